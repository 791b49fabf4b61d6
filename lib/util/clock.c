/* SPDX-License-Identifier: ISC */
/*
 * clock - the monotonic clock anchored to the wall clock, and the
 * distance between the two.
 *
 * The anchor is taken once, at the first call, and never moved: moving
 * it would move every time policyd holds.  The one piece of state here
 * is that anchor (and, for tests, the sources), which is what a clock is.
 */
#include <stddef.h>
#include <time.h>

#include "clock.h"

static int64_t
system_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
system_wall(void)
{
	return system_clock(CLOCK_REALTIME);
}

static int64_t
system_mono(void)
{
	return system_clock(CLOCK_MONOTONIC);
}

static struct {
	int64_t (*wall)(void);
	int64_t (*mono)(void);
	int64_t anchor; /* policyd's time minus the monotonic clock */
	int	set;
} clk = { system_wall, system_mono, 0, 0 };

int64_t
pd_clock_now(void)
{
	int64_t mono = clk.mono();

	if (!clk.set) {
		clk.anchor = clk.wall() - mono;
		clk.set = 1;
	}
	return clk.anchor + mono;
}

int64_t
pd_clock_wall_offset(void)
{
	int64_t now = pd_clock_now();

	return clk.wall() - now;
}

void
pd_clock_set_source(int64_t (*wall)(void), int64_t (*mono)(void))
{
	clk.wall = wall ? wall : system_wall;
	clk.mono = mono ? mono : system_mono;
	clk.set = 0;
}

double
pd_clock_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
