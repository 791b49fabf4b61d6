/* SPDX-License-Identifier: ISC */
/*
 * check_window - the sliding window against what "limit = N per W"
 * promises: exact counts inside the window, steady clients below the
 * limit never counted past it and those above it caught within one
 * window, bursts counted until they leave, and, over random traces, an
 * estimate that stays within the bound window.h states, measured
 * against an exact sliding log of timestamps.
 *
 * With a one-hour window the buckets are 7.5 minutes wide and the
 * quantum (the precision of a bucket's first and last event) is 7 ms.
 */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "window.h"
#include "testutil.h"

#define W     HOUR
#define WIDTH (W / PD_WINDOW_BUCKETS)
#define Q     7 /* ceil(WIDTH / 65536) */
/* A start that is on no bucket or quantum edge. */
#define T1    (T0 + 123457)

static const struct {
	int64_t len;
	int64_t want;
} width_cases[] = {
	{ HOUR, 450 * SEC }, { 10 * MIN, 75 * SEC }, { 2 * DAY, 6 * HOUR },
	{ MIN, 7500 },	     { 8, 1 },		     { 9, 2 },
	{ 1, 1 },	     { SEC, 125 },
};

START_TEST(test_window_width_is_eighth_rounded_up)
{
	int64_t got = pd_window_width(width_cases[_i].len);

	ck_assert_msg(got == width_cases[_i].want, "%lld: got %lld, want %lld",
	    (long long)width_cases[_i].len, (long long)got,
	    (long long)width_cases[_i].want);
	ck_assert_msg(got * PD_WINDOW_BUCKETS >= width_cases[_i].len,
	    "%lld: %d buckets of %lld do not cover the window",
	    (long long)width_cases[_i].len, PD_WINDOW_BUCKETS, (long long)got);
}
END_TEST

/* n events, one every step from T1, all inside W. */
static const struct {
	const char *name;
	int64_t	    window;
	int	    n;
	int64_t	    step;
} exact_cases[] = {
	{ "1h, one every 2 min", HOUR, 30, 2 * MIN },
	{ "1h, one every second", HOUR, 3599, SEC },
	{ "1h, burst at one instant", HOUR, 500, 0 },
	{ "10m, one every 6 s", 10 * MIN, 99, 6 * SEC },
	{ "1d, one an hour", DAY, 23, HOUR },
	{ "30s, one every 100 ms", 30 * SEC, 299, 100 },
};

START_TEST(test_window_counts_each_event_exactly)
{
	const char	*name = exact_cases[_i].name;
	int64_t		 len = exact_cases[_i].window, now = T1;
	struct pd_window w;
	uint64_t	 got;
	int		 i;

	pd_window_reset(&w);
	for (i = 0; i < exact_cases[_i].n; i++) {
		now = T1 + i * exact_cases[_i].step;
		got = pd_window_add(&w, len, now, 1);
		ck_assert_msg(got == (uint64_t)i + 1,
		    "%s: event %d: got %llu, want %d", name, i + 1,
		    (unsigned long long)got, i + 1);
	}
	got = pd_window_count(&w, len, now);
	ck_assert_msg(got == (uint64_t)exact_cases[_i].n,
	    "%s: count: got %llu, want %d", name, (unsigned long long)got,
	    exact_cases[_i].n);
}
END_TEST

/* One event at "at", counted at "query" (1 h window). */
static const struct {
	const char *name;
	int64_t	    at;
	int64_t	    query;
	uint64_t    want;
} boundary_cases[] = {
	{ "at once", T1, T1, 1 },
	{ "a minute before it leaves", T1, T1 + W - MIN, 1 },
	{ "a quantum before it leaves", T1, T1 + W - Q, 1 },
	{ "a quantum after it left", T1, T1 + W + Q, 0 },
	{ "a day later", T1, T1 + DAY, 0 },
	{ "on a quantum edge, 1 ms before it leaves", T0, T0 + W - 1, 1 },
	{ "on a quantum edge, as it leaves", T0, T0 + W, 0 },
	{ "last ms of a bucket, a quantum before it leaves", T0 + WIDTH - 1,
	    T0 + WIDTH - 1 - Q + W, 1 },
	{ "last ms of a bucket, as it leaves", T0 + WIDTH - 1,
	    T0 + WIDTH - 1 + W, 0 },
};

START_TEST(test_window_event_leaves_after_one_window)
{
	const char	*name = boundary_cases[_i].name;
	struct pd_window w;
	uint64_t	 got;

	pd_window_reset(&w);
	ck_assert_uint_eq(pd_window_add(&w, W, boundary_cases[_i].at, 1), 1);
	got = pd_window_count(&w, W, boundary_cases[_i].query);
	ck_assert_msg(got == boundary_cases[_i].want, "%s: got %llu, want %llu",
	    name, (unsigned long long)got,
	    (unsigned long long)boundary_cases[_i].want);
	/* An add at the query time sees the same events plus itself. */
	got = pd_window_add(&w, W, boundary_cases[_i].query, 1);
	ck_assert_msg(got == boundary_cases[_i].want + 1,
	    "%s: add: got %llu, want %llu", name, (unsigned long long)got,
	    (unsigned long long)boundary_cases[_i].want + 1);
}
END_TEST

/*
 * limit = 5 per 1h: five events 10 minutes apart pass, the sixth inside
 * the window triggers, and once the first has left it passes again.
 */
static const struct {
	const char *name;
	int64_t	    start;
	int64_t	    sixth;
	uint64_t    want;
} n_plus_one_cases[] = {
	{ "sixth at +50 min", T1, T1 + 50 * MIN, 6 },
	{ "sixth a quantum before the first leaves", T1, T1 + W - Q, 6 },
	{ "sixth after the first left", T1, T1 + W + Q, 5 },
	{ "sixth after the second left", T1, T1 + W + 10 * MIN + Q, 4 },
	{ "edge: sixth 1 ms before the first leaves", T0, T0 + W - 1, 6 },
	{ "edge: sixth as the first leaves", T0, T0 + W, 5 },
};

START_TEST(test_window_n_plus_one_triggers)
{
	const char	*name = n_plus_one_cases[_i].name;
	int64_t		 t = n_plus_one_cases[_i].start;
	struct pd_window w;
	uint64_t	 got;
	int		 i;

	pd_window_reset(&w);
	for (i = 0; i < 5; i++) {
		got = pd_window_add(&w, W, t + i * 10 * MIN, 1);
		ck_assert_msg(got == (uint64_t)i + 1, "%s: event %d: got %llu",
		    name, i + 1, (unsigned long long)got);
	}
	got = pd_window_add(&w, W, n_plus_one_cases[_i].sixth, 1);
	ck_assert_msg(got == n_plus_one_cases[_i].want,
	    "%s: got %llu, want %llu", name, (unsigned long long)got,
	    (unsigned long long)n_plus_one_cases[_i].want);
}
END_TEST

/*
 * The limits of the issue: W of 1 min, 1 h and 48 h, N of 5, 1000 and
 * 100,000, each pair one case.
 */
static const int64_t  limit_windows[] = { MIN, HOUR, 2 * DAY };
static const uint64_t limit_ns[] = { 5, 1000, 100000 };

/* limit_case - case i; false for the largest limit under valgrind */
static bool
limit_case(int i, int64_t *len, uint64_t *n)
{
	*len = limit_windows[i / nitems(limit_ns)];
	*n = limit_ns[i % nitems(limit_ns)];
	return *n <= (uint64_t)tu_heavy(LONG_MAX, 1000);
}

/* steady_at - the time of event k for n * pct / 100 events per len */
static int64_t
steady_at(int64_t len, uint64_t n, int pct, uint64_t k)
{
	/* k * 100 * len stays below 2^53 for the cases here. */
	return T1 + (int64_t)(k * 100 * (uint64_t)len / (n * (uint64_t)pct));
}

START_TEST(test_window_steady_99_percent_never_triggers)
{
	struct pd_window w;
	int64_t		 len, t;
	uint64_t	 n, got, peak = 0;

	if (!limit_case(_i, &len, &n))
		return;
	pd_window_reset(&w);
	for (uint64_t k = 0;; k++) {
		if ((t = steady_at(len, n, 99, k)) > T1 + 3 * len)
			break;
		got = pd_window_add(&w, len, t, 1);
		peak = got > peak ? got : peak;
		ck_assert_msg(got <= n,
		    "W %lld ms, limit %llu: event %llu at +%lld ms counts %llu",
		    (long long)len, (unsigned long long)n,
		    (unsigned long long)k, (long long)(t - T1),
		    (unsigned long long)got);
	}
	/* Steady means the window really filled to 99%. */
	ck_assert_msg(peak * 100 >= n * 98, "peak %llu of %llu",
	    (unsigned long long)peak, (unsigned long long)n);
}
END_TEST

START_TEST(test_window_steady_102_percent_triggers_in_one_window)
{
	struct pd_window w;
	int64_t		 len, t;
	uint64_t	 n;

	if (!limit_case(_i, &len, &n))
		return;
	pd_window_reset(&w);
	for (uint64_t k = 0;; k++) {
		t = steady_at(len, n, 102, k);
		ck_assert_msg(t <= T1 + len,
		    "W %lld ms, limit %llu: not past the limit in one window",
		    (long long)len, (unsigned long long)n);
		if (pd_window_add(&w, len, t, 1) > n)
			break;
	}
}
END_TEST

START_TEST(test_window_burst_passes_and_ages_out)
{
	struct pd_window w;
	int64_t		 len, q;
	uint64_t	 n, got;

	if (!limit_case(_i, &len, &n))
		return;
	q = (pd_window_width(len) + PD_WINDOW_QUANTA - 1) / PD_WINDOW_QUANTA;
	pd_window_reset(&w);
	for (uint64_t k = 1; k <= n; k++)
		ck_assert_uint_eq(pd_window_add(&w, len, T1, 1), k);
	/* Any instant inside the window but its last quantum sees them. */
	ck_assert_uint_eq(pd_window_count(&w, len, T1 + len / 2), n);
	ck_assert_uint_eq(pd_window_count(&w, len, T1 + len - q), n);
	got = pd_window_add(&w, len, T1 + len - q, 1);
	ck_assert_msg(got == n + 1, "W %lld ms: N+1st got %llu, want %llu",
	    (long long)len, (unsigned long long)got,
	    (unsigned long long)n + 1);
	/* Once they left, only the N+1st is left. */
	ck_assert_uint_eq(pd_window_count(&w, len, T1 + len + q), 1);
	ck_assert_uint_eq(pd_window_count(&w, len, T1 + 2 * len), 0);
}
END_TEST

START_TEST(test_window_late_event_counts_in_its_bucket)
{
	struct pd_window w;
	uint64_t	 got;

	pd_window_reset(&w);
	ck_assert_uint_eq(pd_window_add(&w, W, T1 + 30 * MIN, 1), 1);
	/* Read late, still inside: counted where it belongs. */
	got = pd_window_add(&w, W, T1, 1);
	ck_assert_msg(got == 2, "late by 30 min: got %llu, want 2",
	    (unsigned long long)got);
	ck_assert_uint_eq(pd_window_count(&w, W, T1 + W - Q), 2);
	ck_assert_uint_eq(pd_window_count(&w, W, T1 + W + Q), 1);
	/* Older than any window to come: dropped. */
	got = pd_window_add(&w, W, T1 - DAY, 1);
	ck_assert_msg(got == 2, "late by a day: got %llu, want 2",
	    (unsigned long long)got);
	ck_assert_uint_eq(pd_window_count(&w, W, T1 + 30 * MIN), 2);
}
END_TEST

START_TEST(test_window_ring_reuses_slots)
{
	struct pd_window w;
	uint64_t	 got, want;
	int		 i;

	/* One event in each of 40 buckets: the ring wraps four times. */
	pd_window_reset(&w);
	for (i = 0; i < 40; i++) {
		got = pd_window_add(&w, W, T0 + i * WIDTH + 7 * SEC, 1);
		want = i < PD_WINDOW_BUCKETS ? (uint64_t)i + 1 :
					       PD_WINDOW_BUCKETS;
		ck_assert_msg(got == want, "bucket %d: got %llu, want %llu", i,
		    (unsigned long long)got, (unsigned long long)want);
	}
	/* At bucket 45 the window starts at 37: events 37, 38 and 39. */
	got = pd_window_add(&w, W, T0 + 45 * WIDTH, 1);
	ck_assert_msg(got == 4, "after a gap of 5: got %llu, want 4",
	    (unsigned long long)got);
}
END_TEST

START_TEST(test_window_jump_past_window_clears_all)
{
	struct pd_window w;
	uint64_t	 got;
	int		 i;

	pd_window_reset(&w);
	for (i = 0; i < PD_WINDOW_BUCKETS; i++)
		pd_window_add(&w, W, T0 + i * WIDTH + SEC, 100);
	ck_assert_uint_eq(pd_window_count(&w, W, T0 + 8 * WIDTH), 800);
	got = pd_window_add(&w, W, T0 + 20 * WIDTH, 1);
	ck_assert_msg(got == 1, "12 buckets on: got %llu, want 1",
	    (unsigned long long)got);
	got = pd_window_add(&w, W, T0 + 30 * DAY, 1);
	ck_assert_msg(got == 1, "a month on: got %llu, want 1",
	    (unsigned long long)got);
	/* The cleared slots stay cleared as the head moves on. */
	for (i = 1; i < PD_WINDOW_BUCKETS; i++) {
		got = pd_window_count(&w, W, T0 + 30 * DAY + i * WIDTH);
		ck_assert_msg(got == 1, "%d buckets after: got %llu, want 1",
		    i, (unsigned long long)got);
	}
}
END_TEST

START_TEST(test_window_saturates_without_wrapping)
{
	struct pd_window w;

	pd_window_reset(&w);
	ck_assert_uint_eq(pd_window_add(&w, W, T0, UINT32_MAX - 1),
	    UINT32_MAX - 1);
	ck_assert_uint_eq(pd_window_add(&w, W, T0, 1), UINT32_MAX);
	ck_assert_uint_eq(pd_window_add(&w, W, T0, 1), UINT32_MAX);
	ck_assert_uint_eq(pd_window_add(&w, W, T0, UINT32_MAX), UINT32_MAX);
	/* The sum over buckets is 64-bit and does not wrap either. */
	ck_assert_uint_eq(pd_window_add(&w, W, T0 + WIDTH, UINT32_MAX),
	    2 * (uint64_t)UINT32_MAX);
	ck_assert_uint_eq(pd_window_add(&w, W, T0 + 2 * WIDTH, 3),
	    2 * (uint64_t)UINT32_MAX + 3);
	/* The share of a full bucket neither: 48 h, 6 h buckets. */
	pd_window_reset(&w);
	pd_window_add(&w, 2 * DAY, T0, UINT32_MAX);
	pd_window_add(&w, 2 * DAY, T0 + 6 * HOUR - 1, 1);
	ck_assert_uint_eq(pd_window_count(&w, 2 * DAY, T0 + 2 * DAY + 3 * HOUR),
	    (uint64_t)UINT32_MAX * (3 * HOUR - 1) / (6 * HOUR));
}
END_TEST

START_TEST(test_window_add_zero_changes_nothing)
{
	struct pd_window w;

	pd_window_reset(&w);
	ck_assert_uint_eq(pd_window_add(&w, W, T0, 0), 0);
	ck_assert_uint_eq(pd_window_add(&w, W, T0, 4), 4);
	ck_assert_uint_eq(pd_window_add(&w, W, T0 + MIN, 0), 4);
	ck_assert_uint_eq(pd_window_count(&w, W, T0 + MIN), 4);
	/* An add of nothing does not stretch the span of the bucket. */
	ck_assert_uint_eq(pd_window_count(&w, W, T0 + W + Q), 0);
}
END_TEST

START_TEST(test_window_reset_forgets_everything)
{
	struct pd_window w;

	memset(&w, 0, sizeof(w));
	ck_assert_uint_eq(pd_window_count(&w, W, T0), 0);
	pd_window_add(&w, W, T0, 7);
	pd_window_add(&w, W, T0 + WIDTH, 7);
	ck_assert_uint_eq(pd_window_count(&w, W, T0 + WIDTH), 14);
	pd_window_reset(&w);
	ck_assert_uint_eq(pd_window_count(&w, W, T0 + WIDTH), 0);
	ck_assert_uint_eq(pd_window_add(&w, W, T0 + WIDTH, 1), 1);
}
END_TEST

START_TEST(test_window_shift_moves_whole_buckets)
{
	struct pd_window w;

	pd_window_reset(&w);
	pd_window_add(&w, W, T1, 3);
	pd_window_add(&w, W, T1 + 20 * MIN, 2);
	/* Less than half a bucket: nothing moves. */
	pd_window_shift(&w, W, WIDTH / 2 - 1);
	ck_assert_uint_eq(pd_window_count(&w, W, T1 + W - Q), 5);
	/* A day on: the same counts a day later. */
	pd_window_shift(&w, W, DAY);
	ck_assert_uint_eq(pd_window_count(&w, W, T1 + DAY + W - Q), 5);
	ck_assert_uint_eq(pd_window_count(&w, W, T1 + DAY + W + Q), 2);
	/* And back, by a step that rounds to the nearest bucket. */
	pd_window_shift(&w, W, -DAY - WIDTH / 2 + 1);
	ck_assert_uint_eq(pd_window_count(&w, W, T1 + W + Q), 2);
	/* Shifting out of range forgets instead of wrapping. */
	w.head = INT64_MAX - 1;
	pd_window_shift(&w, W, DAY);
	ck_assert_uint_eq(pd_window_count(&w, W, T1), 0);
}
END_TEST

/* Heads a damaged snapshot could hold: no overflow, no stray counts. */
static const int64_t extreme_heads[] = { INT64_MIN, INT64_MIN + 3, -1,
	INT64_MAX - 3, INT64_MAX };

START_TEST(test_window_extreme_heads_are_safe)
{
	struct pd_window w;

	pd_window_reset(&w);
	for (int i = 0; i < PD_WINDOW_SLOTS; i++)
		w.n[i] = 1;
	w.head = extreme_heads[_i];
	(void)pd_window_count(&w, W, T0);
	(void)pd_window_count(&w, W, INT64_MIN);
	(void)pd_window_count(&w, W, INT64_MAX);
	pd_window_shift(&w, W, -DAY);
	(void)pd_window_add(&w, W, T0, 1);
	/* A head in the past gives way to the present. */
	if (extreme_heads[_i] < T0 / WIDTH) {
		ck_assert_uint_eq(pd_window_add(&w, W, T0 + 10 * W, 1), 1);
		ck_assert_uint_eq(pd_window_count(&w, W, T0 + 10 * W + Q), 1);
	}
}
END_TEST

/*
 * The property: random traces of events against an exact sliding log.
 * Each trace picks a window and a kind of traffic, adds its events in
 * time order, and after each add and at random later instants compares
 * the estimate with the exact count of (t - W, t] and with the bound of
 * window.h: count(t - W + w, t] <= estimate <= count(t - W - w, t].
 */
#define TRACES	   10000
#define TRACE_MAX  400

enum trace_kind { STEADY, POISSON, BURSTY, EDGES, HOURLY, KINDS };

static const char *const kind_names[] = { "steady", "poisson", "bursty",
	"bucket edges", "same minute each window" };

static const int64_t trace_windows[] = { SEC, 10 * SEC, MIN, 7 * MIN + 17,
	HOUR, DAY, 2 * DAY };

struct errs {
	int64_t	 over, under; /* largest estimate - exact, exact - estimate */
	uint64_t over_at, under_at; /* the exact count at those */
	long	 checks;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int64_t
rng_below(int64_t n)
{
	return n <= 1 ? 0 : (int64_t)(rng() % (uint64_t)n);
}

/* trace - fill t[] with up to TRACE_MAX times for kind; returns count */
static int
trace(enum trace_kind kind, int64_t len, int64_t *t)
{
	int64_t width = pd_window_width(len), now = T0 + rng_below(width);
	int64_t step = 1 + rng_below(len / 40 + 1);
	int	n = 50 + (int)rng_below(TRACE_MAX - 50), i;

	for (i = 0; i < n; i++) {
		switch (kind) {
		case STEADY:
			now += step;
			break;
		case POISSON: /* exponential gaps, by inversion */
			now += (int64_t)(-(double)step *
			    log((double)(rng() % 1000000 + 1) / 1e6));
			break;
		case BURSTY: /* bursts of up to 40 in one ms to one step */
			if (rng_below(20) == 0)
				now += rng_below(len);
			else
				now += rng_below(4) == 0 ? rng_below(step) : 0;
			break;
		case EDGES: /* on, just before and just after bucket edges */
			now = (now / width + 1 + rng_below(3)) * width +
			    (rng_below(3) - 1) * (1 + rng_below(2));
			break;
		case HOURLY: /* a burst at the same instant of each window */
			now = T0 + (i / 20) * len + (i % 20) * rng_below(3);
			break;
		default:
			abort();
		}
		t[i] = i > 0 && now < t[i - 1] ? t[i - 1] : now;
	}
	return n;
}

/* upto - events of the sorted t[0..n) at or before x */
static int
upto(const int64_t *t, int n, int64_t x)
{
	int lo = 0, hi = n;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (t[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* exact - events of t[0..n) in (from, to] */
static uint64_t
exact(const int64_t *t, int n, int64_t from, int64_t to)
{
	return (uint64_t)(upto(t, n, to) - upto(t, n, from));
}

static void
check_at(const struct pd_window *w, int64_t len, const int64_t *t, int n,
    int64_t at, struct errs *e)
{
	int64_t	 width = pd_window_width(len), s = at - len;
	uint64_t est = pd_window_count(w, len, at);
	uint64_t want = exact(t, n, s, at);
	uint64_t lo = exact(t, n, s + width, at), hi = exact(t, n, s - width, at);

	ck_assert_msg(lo <= est && est <= hi,
	    "W %lld ms at %lld: estimate %llu outside [%llu, %llu] (exact %llu)",
	    (long long)len, (long long)(at - T0), (unsigned long long)est,
	    (unsigned long long)lo, (unsigned long long)hi,
	    (unsigned long long)want);
	if ((int64_t)(est - want) > e->over) {
		e->over = (int64_t)(est - want);
		e->over_at = want;
	}
	if ((int64_t)(want - est) > e->under) {
		e->under = (int64_t)(want - est);
		e->under_at = want;
	}
	e->checks++;
}

/*
 * steady_bound - what window.h promises steady traffic: within one
 * event plus the events of one quantum
 */
static int64_t
steady_bound(int64_t len, const int64_t *t, int n)
{
	int64_t q = (pd_window_width(len) + PD_WINDOW_QUANTA - 1) /
	    PD_WINDOW_QUANTA;
	int64_t gap = n > 1 ? t[1] - t[0] : len;

	return 1 + (q + gap - 1) / (gap > 0 ? gap : 1);
}

START_TEST(test_window_property_against_exact_log)
{
	static int64_t	 t[TRACE_MAX];
	struct errs	 errs[KINDS] = { 0 };
	struct pd_window w;

	for (long tr = 0; tr < tu_heavy(TRACES, TRACES / 20); tr++) {
		enum trace_kind kind = (enum trace_kind)(tr % KINDS);
		int64_t len = trace_windows[rng_below(nitems(trace_windows))];
		int	n = trace(kind, len, t);
		struct errs one = { 0 };

		pd_window_reset(&w);
		for (int i = 0; i < n; i++) {
			pd_window_add(&w, len, t[i], 1);
			check_at(&w, len, t, i + 1, t[i], &one);
			if (i + 1 == n || t[i + 1] != t[i])
				check_at(&w, len, t, i + 1,
				    t[i] + rng_below(2 * len), &one);
		}
		if (kind == STEADY)
			ck_assert_msg(one.over <= steady_bound(len, t, n) &&
				one.under <= steady_bound(len, t, n),
			    "steady, W %lld ms, gap %lld: error +%lld/-%lld",
			    (long long)len, (long long)(t[1] - t[0]),
			    (long long)one.over, (long long)one.under);
		if (one.over > errs[kind].over) {
			errs[kind].over = one.over;
			errs[kind].over_at = one.over_at;
		}
		if (one.under > errs[kind].under) {
			errs[kind].under = one.under;
			errs[kind].under_at = one.under_at;
		}
		errs[kind].checks += one.checks;
	}
	for (int k = 0; k < KINDS; k++)
		printf("window: %-24s %8ld checks, largest error +%" PRId64
		       " (exact %" PRIu64 ") / -%" PRId64 " (exact %" PRIu64
		       ")\n",
		    kind_names[k], errs[k].checks, errs[k].over,
		    errs[k].over_at, errs[k].under, errs[k].under_at);
}
END_TEST

static Suite *
window_suite(void)
{
	Suite *s = suite_create("window");
	TCase *tc;
	int    nlimits = nitems(limit_windows) * nitems(limit_ns);

	tc = tcase_create("width");
	tcase_add_loop_test(tc, test_window_width_is_eighth_rounded_up, 0,
	    nitems(width_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("exact");
	tcase_add_loop_test(tc, test_window_counts_each_event_exactly, 0,
	    nitems(exact_cases));
	tcase_add_loop_test(tc, test_window_event_leaves_after_one_window, 0,
	    nitems(boundary_cases));
	tcase_add_loop_test(tc, test_window_n_plus_one_triggers, 0,
	    nitems(n_plus_one_cases));
	tcase_add_test(tc, test_window_late_event_counts_in_its_bucket);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_window_steady_99_percent_never_triggers, 0,
	    nlimits);
	tcase_add_loop_test(tc,
	    test_window_steady_102_percent_triggers_in_one_window, 0, nlimits);
	tcase_add_loop_test(tc, test_window_burst_passes_and_ages_out, 0,
	    nlimits);
	suite_add_tcase(s, tc);

	tc = tcase_create("property");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_window_property_against_exact_log);
	suite_add_tcase(s, tc);

	tc = tcase_create("ring");
	tcase_add_test(tc, test_window_ring_reuses_slots);
	tcase_add_test(tc, test_window_jump_past_window_clears_all);
	tcase_add_test(tc, test_window_saturates_without_wrapping);
	tcase_add_test(tc, test_window_add_zero_changes_nothing);
	tcase_add_test(tc, test_window_reset_forgets_everything);
	tcase_add_test(tc, test_window_shift_moves_whole_buckets);
	tcase_add_loop_test(tc, test_window_extreme_heads_are_safe, 0,
	    nitems(extreme_heads));
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run(window_suite()) != 0;
}
