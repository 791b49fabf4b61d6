/*
 * window - a bucketed sliding-window event counter.
 *
 * A window of length W is kept as PD_WINDOW_SLOTS buckets of width
 * ceil(W / 12): twelve full buckets plus the one now filling.  The count
 * at time t is the sum of the buckets from floor(t/width) - 12 to
 * floor(t/width).  So an event is counted for at least W and at most
 * W + W/12 after it happened: no event inside the last W is ever
 * missed, and the error, always towards counting more, is at most 1/12
 * of the window.  At bucket-aligned times the window is exact.
 *
 * Pure functions of their arguments: the caller passes "now" in ms.
 */
#ifndef PD_WINDOW_H
#define PD_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#define PD_WINDOW_BUCKETS 12
#define PD_WINDOW_SLOTS	  (PD_WINDOW_BUCKETS + 1)

struct pd_window {
	int64_t	 head;		     /* bucket number of the newest */
	uint32_t n[PD_WINDOW_SLOTS]; /* ring, indexed by number % SLOTS */
};

/* pd_window_width - bucket width in ms for a window of len ms */
static inline int64_t
pd_window_width(int64_t len)
{
	return (len + PD_WINDOW_BUCKETS - 1) / PD_WINDOW_BUCKETS;
}

/* pd_window_add - count n events at now; returns the count after */
uint64_t pd_window_add(struct pd_window *, int64_t width, int64_t now,
    uint32_t n);
/* pd_window_count - events within the window at now */
uint64_t pd_window_count(const struct pd_window *, int64_t width, int64_t now);
/*
 * pd_window_shift - move every event by delta ms (whole buckets: the
 * rest of a bucket is dropped), when the times it was counted on are
 * mapped to another clock
 */
void	 pd_window_shift(struct pd_window *, int64_t width, int64_t delta);
/* pd_window_reset - forget every event */
void	 pd_window_reset(struct pd_window *);

#endif
