/* SPDX-License-Identifier: ISC */
/*
 * window - sliding window of buckets that remember their span; see
 * window.h for the estimate and its error bound.
 *
 * Buckets that fall out are cleared lazily, when the window is next
 * touched, so an idle counter costs nothing until it is used again.
 * Bucket numbers may be anything an int64_t holds (a damaged snapshot,
 * a clock far off): differences are taken unsigned and indexes are
 * reduced to the ring without overflow.
 */
#include <stdint.h>
#include <string.h>

#include "window.h"

/* floor_div - a / b rounded down, for b > 0 */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && a < 0) ? q - 1 : q;
}

static unsigned
slot(int64_t bucket)
{
	int64_t r = bucket % PD_WINDOW_SLOTS;

	return (unsigned)(r < 0 ? r + PD_WINDOW_SLOTS : r);
}

static int64_t
quantum(int64_t width)
{
	return (width + PD_WINDOW_QUANTA - 1) / PD_WINDOW_QUANTA;
}

/* window_advance - move head to bucket b, clearing what fell out */
static void
window_advance(struct pd_window *w, int64_t b)
{
	uint64_t gap;

	if (b <= w->head)
		return;
	gap = (uint64_t)b - (uint64_t)w->head;
	if (gap >= PD_WINDOW_SLOTS) {
		memset(w->n, 0, sizeof(w->n));
	} else {
		for (uint64_t i = 1; i <= gap; i++)
			w->n[slot(b - (int64_t)(gap - i))] = 0;
	}
	w->head = b;
}

/* in_ring - bucket b is one of the SLOTS ending at head */
static bool
in_ring(const struct pd_window *w, int64_t b)
{
	return b <= w->head &&
	    (uint64_t)w->head - (uint64_t)b < PD_WINDOW_SLOTS;
}

uint64_t
pd_window_add(struct pd_window *w, int64_t len, int64_t now, uint32_t n)
{
	int64_t	 width = pd_window_width(len), b = floor_div(now, width);
	unsigned i;
	uint16_t at;

	window_advance(w, b);
	if (n == 0 || !in_ring(w, b))
		return pd_window_count(w, len, now);
	i = slot(b);
	at = (uint16_t)((now - b * width) / quantum(width));
	if (w->n[i] == 0) {
		w->lo[i] = w->hi[i] = at;
	} else {
		w->lo[i] = at < w->lo[i] ? at : w->lo[i];
		w->hi[i] = at > w->hi[i] ? at : w->hi[i];
	}
	w->n[i] = UINT32_MAX - w->n[i] < n ? UINT32_MAX : w->n[i] + n;
	return pd_window_count(w, len, now);
}

/* share - n * a / b rounded down, for 0 <= a < b, without overflow */
static uint64_t
share(uint64_t n, uint64_t a, uint64_t b)
{
	while (b > UINT32_MAX) {
		a >>= 1;
		b >>= 1;
	}
	return (n / b) * a + (n % b) * a / b;
}

/* partial - the events of bucket k, holding s, that came after s */
static uint64_t
partial(const struct pd_window *w, int64_t k, int64_t width, int64_t s)
{
	unsigned i = slot(k);
	int64_t	 q = quantum(width), start = k * width, first, last;

	if (w->n[i] == 0)
		return 0;
	first = start + w->lo[i] * q;
	last = start + (w->hi[i] + 1) * q;
	last = (last < start + width ? last : start + width) - 1;
	if (s < first)
		return w->n[i];
	if (s >= last)
		return 0;
	return share(w->n[i], (uint64_t)(last - s),
	    (uint64_t)(last - first + 1));
}

/* bucket_start - where bucket b begins, saturated to int64_t */
static int64_t
bucket_start(int64_t b, int64_t width)
{
	if (b > INT64_MAX / width)
		return INT64_MAX;
	if (b < INT64_MIN / width)
		return INT64_MIN;
	return b * width;
}

/* ring_bucket - the i-th newest bucket of the ring, false past its end */
static bool
ring_bucket(const struct pd_window *w, unsigned i, int64_t *b)
{
	if (i >= PD_WINDOW_SLOTS || w->head < INT64_MIN + (int64_t)i)
		return false;
	*b = w->head - (int64_t)i;
	return true;
}

uint64_t
pd_window_count(const struct pd_window *w, int64_t len, int64_t now)
{
	int64_t	 width = pd_window_width(len), s, k, b;
	uint64_t sum = 0;

	/* Before the newest bucket (an event read late): count as of it. */
	if (floor_div(now, width) < w->head)
		now = bucket_start(w->head, width);
	s = now < INT64_MIN + len ? INT64_MIN : now - len;
	k = floor_div(s, width);
	for (unsigned i = 0; ring_bucket(w, i, &b) && b > k; i++)
		sum += w->n[slot(b)];
	if (in_ring(w, k))
		sum += partial(w, k, width, s);
	return sum;
}

void
pd_window_reset(struct pd_window *w)
{
	memset(w, 0, sizeof(*w));
}

void
pd_window_shift(struct pd_window *w, int64_t len, int64_t delta)
{
	struct pd_window old = *w;
	int64_t		 width = pd_window_width(len), k, b;

	k = floor_div(delta, width);
	if (delta - k * width >= (width + 1) / 2)
		k++;
	/* A head so far out that shifting would overflow holds no events. */
	if (k == 0 || (k > 0 && w->head > INT64_MAX - k) ||
	    (k < 0 && w->head < INT64_MIN - k)) {
		if (k != 0)
			pd_window_reset(w);
		return;
	}
	/* Bucket b moves to b + k, and its slot with it. */
	memset(w->n, 0, sizeof(w->n));
	for (unsigned i = 0; ring_bucket(&old, i, &b); i++) {
		w->n[slot(b + k)] = old.n[slot(b)];
		w->lo[slot(b + k)] = old.lo[slot(b)];
		w->hi[slot(b + k)] = old.hi[slot(b)];
	}
	w->head += k;
}
