/*
 * clock - the wall clock, read once per request at the edge.
 *
 * The engine never reads the time itself: it is given "now" in
 * milliseconds since the epoch, so tests can run hour- and day-long
 * windows with made-up values.  Only this module calls clock_gettime().
 */
#ifndef PD_CLOCK_H
#define PD_CLOCK_H

#include <stdint.h>

/*
 * pd_clock_now - wall-clock milliseconds; never goes backwards within
 * one process (a step back is held at the last value until time
 * catches up), so windows and expiries stay monotonic.
 */
int64_t pd_clock_now(void);
/* pd_clock_seconds - monotonic seconds, for measuring how long work took */
double	pd_clock_seconds(void);

#endif
