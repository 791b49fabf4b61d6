/*
 * window - bucketed sliding window; see window.h for the error bound.
 *
 * Buckets that fall out are cleared lazily, when the window is next
 * touched, so an idle counter costs nothing until it is used again.
 */
#include <stdint.h>
#include <string.h>

#include "window.h"

/* window_advance - move head to bucket b, clearing what fell out */
static void
window_advance(struct pd_window *w, int64_t b)
{
	int64_t i;

	if (b <= w->head)
		return;
	if (b - w->head >= PD_WINDOW_SLOTS) {
		memset(w->n, 0, sizeof(w->n));
	} else {
		for (i = w->head + 1; i <= b; i++)
			w->n[i % PD_WINDOW_SLOTS] = 0;
	}
	w->head = b;
}

uint64_t
pd_window_add(struct pd_window *w, int64_t width, int64_t now, uint32_t n)
{
	int64_t b = now / width;

	window_advance(w, b);
	/*
	 * An event older than head (a clock step back, or a log line read
	 * late) is counted in the newest bucket: counting it late is safer
	 * than dropping it.
	 */
	if (UINT32_MAX - w->n[w->head % PD_WINDOW_SLOTS] < n)
		w->n[w->head % PD_WINDOW_SLOTS] = UINT32_MAX;
	else
		w->n[w->head % PD_WINDOW_SLOTS] += n;
	return pd_window_count(w, width, now);
}

uint64_t
pd_window_count(const struct pd_window *w, int64_t width, int64_t now)
{
	int64_t	 b = now / width, i, lo;
	uint64_t sum = 0;

	/* Before the newest bucket (the clock stepped back): count as of it. */
	if (b < w->head)
		b = w->head;

	lo = b - PD_WINDOW_BUCKETS;
	for (i = w->head; i > w->head - PD_WINDOW_SLOTS && i >= lo; i--)
		sum += w->n[((i % PD_WINDOW_SLOTS) + PD_WINDOW_SLOTS) %
		    PD_WINDOW_SLOTS];
	return sum;
}

void
pd_window_reset(struct pd_window *w)
{
	memset(w, 0, sizeof(*w));
}

void
pd_window_shift(struct pd_window *w, int64_t width, int64_t delta)
{
	uint32_t n[PD_WINDOW_SLOTS];
	int64_t	 k = delta / width, r;

	/* A head so far out that shifting would overflow holds no events. */
	if (k == 0 || (k > 0 && w->head > INT64_MAX - k) ||
	    (k < 0 && w->head < INT64_MIN - k)) {
		if (k != 0)
			pd_window_reset(w);
		return;
	}
	/* Bucket i moves to i + k, and its slot with it. */
	r = ((k % PD_WINDOW_SLOTS) + PD_WINDOW_SLOTS) % PD_WINDOW_SLOTS;
	for (int i = 0; i < PD_WINDOW_SLOTS; i++)
		n[(i + r) % PD_WINDOW_SLOTS] = w->n[i];
	memcpy(w->n, n, sizeof(n));
	w->head += k;
}
