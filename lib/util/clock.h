/* SPDX-License-Identifier: ISC */
/*
 * clock - policyd's time, read once per request at the edge.
 *
 * The engine never reads the time itself: it is given "now" in
 * milliseconds, so tests can run hour- and day-long windows with
 * made-up values.  Only this module calls clock_gettime().
 *
 * policyd's time is the monotonic clock, anchored to the wall clock
 * when the process first asks: it reads as milliseconds since the epoch
 * and runs at the rate of real time, but a step of the wall clock (NTP,
 * an operator's date(1)) does not move it.  So a two-minute block lasts
 * two minutes and a one-hour window one hour, whatever the wall clock
 * does.  What people read (log lines, replies, policydctl) and what a
 * snapshot stores are wall-clock times: policyd's time plus
 * pd_clock_wall_offset(), which is 0 until the wall clock steps.
 */
#ifndef PD_CLOCK_H
#define PD_CLOCK_H

#include <stdint.h>

/* pd_clock_now - policyd's time: monotonic, in ms since the epoch */
int64_t pd_clock_now(void);
/*
 * pd_clock_wall_offset - the wall clock minus policyd's time, in ms:
 * add it to show a time of policyd's as a wall-clock time
 */
int64_t pd_clock_wall_offset(void);
/* pd_clock_seconds - monotonic seconds, for measuring how long work took */
double	pd_clock_seconds(void);

/*
 * pd_clock_set_source - read the wall and the monotonic clock (both in
 * ms) from these functions instead, and anchor again; NULL restores the
 * system's.  This is to support tests only.
 */
void pd_clock_set_source(int64_t (*wall)(void), int64_t (*mono)(void));

#endif
