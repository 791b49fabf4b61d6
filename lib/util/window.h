/* SPDX-License-Identifier: ISC */
/*
 * window - a sliding-window event counter in 80 bytes.
 *
 * The question is "how many events in the last W", the interval
 * (t - W, t].  An exact answer needs every timestamp; a counter for a
 * million keys cannot keep them.  So the window is cut into
 * PD_WINDOW_BUCKETS buckets of width w = ceil(W / 8), plus the one now
 * filling, and each bucket keeps its count n and the positions of its
 * first and last event, to 1/65536 of the bucket (the quantum q =
 * ceil(w / 65536): 1 ms up to W = 8.7 min, 7 ms for W = 1 h, 330 ms for
 * W = 48 h).
 *
 * At time t the window starts at s = t - W.  Every bucket after the one
 * holding s is wholly inside and counts in full.  The bucket holding s
 * (the oldest, partly expired one) counts its events after s, read from
 * what it kept: all n when s is before its first event, none from its
 * last, and in between the share of the span [first, last] that lies
 * after s, rounded down: n * (last - s) / (last - first + 1).  This is
 * the weighted-window estimate, with the span of the events in place of
 * the bucket's width, so that events bunched in part of a bucket (a
 * burst, a client that mails at the same minute each hour) are not
 * spread over all of it.
 *
 * The error, estimate minus the exact count, comes only from that one
 * bucket; with n_s its events:
 *
 *   -n_s  <=  estimate - exact  <=  +n_s,   and so
 *   count(t - W + w, t]  <=  estimate  <=  count(t - W - w, t]
 *
 * for any traffic: the estimate lies between the exact counts over
 * W - W/8 and over W + W/8.  It is exact (0) when s is outside the
 * bucket's span, which covers every instant but those within one span
 * of the window's start.  For a single burst that span is one quantum:
 * the burst is counted in full until W - q after it and not at all from
 * W + q.  For steady traffic, events evenly spaced at any rate, the
 * span is the bucket's share of the traffic and the error is at most
 * +1 + n_s * q / (last - first): the events that fit in one quantum, a
 * 1/524288 share of the window's count, and at least -1 - that share.
 * A client that keeps below the limit by more than that share plus one
 * event is never counted past it.
 *
 * An event older than the newest bucket (a maillog line read late) is
 * counted in its own bucket while that is in the ring, else dropped: it
 * is then older than any window to come.
 *
 * Pure functions of their arguments: the caller passes "now" in ms.
 */
#ifndef PD_WINDOW_H
#define PD_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#define PD_WINDOW_BUCKETS 8
#define PD_WINDOW_SLOTS	  (PD_WINDOW_BUCKETS + 1)
#define PD_WINDOW_QUANTA  65536

struct pd_window {
	int64_t	 head;		      /* bucket number of the newest */
	uint32_t n[PD_WINDOW_SLOTS];  /* ring, indexed by number % SLOTS */
	uint16_t lo[PD_WINDOW_SLOTS]; /* quantum of the first event */
	uint16_t hi[PD_WINDOW_SLOTS]; /* quantum of the last */
};

/* pd_window_width - bucket width in ms for a window of len ms */
static inline int64_t
pd_window_width(int64_t len)
{
	return (len + PD_WINDOW_BUCKETS - 1) / PD_WINDOW_BUCKETS;
}

/* pd_window_add - count n events at now; returns the count after */
uint64_t pd_window_add(struct pd_window *, int64_t len, int64_t now,
    uint32_t n);
/* pd_window_count - events within the window of len ms at now */
uint64_t pd_window_count(const struct pd_window *, int64_t len, int64_t now);
/*
 * pd_window_shift - move every event by delta ms, rounded to whole
 * buckets, when the times it was counted on are mapped to another clock
 */
void	 pd_window_shift(struct pd_window *, int64_t len, int64_t delta);
/* pd_window_reset - forget every event */
void	 pd_window_reset(struct pd_window *);

#endif
