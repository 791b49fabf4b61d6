/*
 * clock - monotonic-clamped wall clock in milliseconds.
 */
#include <time.h>

#include "clock.h"

int64_t
pd_clock_now(void)
{
	static int64_t last;
	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now < last)
		return last;
	last = now;
	return now;
}
