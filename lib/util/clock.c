/*
 * clock - monotonic-clamped wall clock in milliseconds, and a monotonic
 * one for durations.
 */
#include <time.h>

#include "clock.h"

int64_t
pd_clock_now(void)
{
	static int64_t	last;
	struct timespec ts;
	int64_t		now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now < last)
		return last;
	last = now;
	return now;
}

double
pd_clock_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
