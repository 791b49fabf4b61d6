/*
 * check_window - the bucketed sliding window: exact counts, the exact
 * boundary at bucket-aligned times, clock steps and saturation.
 *
 * With a one-hour window the buckets are 5 minutes wide, and the count
 * at t covers buckets floor(t/width) - 12 .. floor(t/width): an event
 * at the bucket-aligned T0 is counted up to T0 + 65 min - 1 ms and
 * gone at T0 + 65 min.
 */
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "window.h"
#include "testutil.h"


#define W	HOUR
#define WIDTH	(5 * MIN)

static const struct {
	int64_t		len;
	int64_t		want;
} width_cases[] = {
	{ HOUR, 5 * MIN },
	{ 10 * MIN, 50 * SEC },
	{ 2 * DAY, 4 * HOUR },
	{ MIN, 5 * SEC },
	{ 12, 1 },
	{ 13, 2 },
	{ 1, 1 },
	{ SEC, 84 },
};

START_TEST(test_window_width_is_twelfth_rounded_up)
{
	int64_t got = pd_window_width(width_cases[_i].len);

	ck_assert_msg(got == width_cases[_i].want, "%lld: got %lld, want %lld",
	    (long long)width_cases[_i].len, (long long)got,
	    (long long)width_cases[_i].want);
	ck_assert_msg(got * PD_WINDOW_BUCKETS >= width_cases[_i].len,
	    "%lld: 12 buckets of %lld do not cover the window",
	    (long long)width_cases[_i].len, (long long)got);
}
END_TEST

/* n events, one every step from the bucket-aligned T0, all inside W. */
static const struct {
	const char	*name;
	int64_t		 window;
	int		 n;
	int64_t		 step;
} exact_cases[] = {
	{ "1h, one every 2 min", HOUR, 30, 2 * MIN },
	{ "1h, one every second", HOUR, 3599, SEC },
	{ "1h, burst at one instant", HOUR, 500, 0 },
	{ "10m, one every 6 s", 10 * MIN, 100, 6 * SEC },
	{ "1d, one an hour", DAY, 24, HOUR },
	{ "30s, one every 100 ms", 30 * SEC, 300, 100 },
};

START_TEST(test_window_counts_each_event_exactly)
{
	const char *name = exact_cases[_i].name;
	int64_t width = pd_window_width(exact_cases[_i].window), now = T0;
	struct pd_window w;
	uint64_t got;
	int i;

	pd_window_reset(&w);
	for (i = 0; i < exact_cases[_i].n; i++) {
		now = T0 + i * exact_cases[_i].step;
		got = pd_window_add(&w, width, now, 1);
		ck_assert_msg(got == (uint64_t)i + 1,
		    "%s: event %d: got %llu, want %d", name, i + 1,
		    (unsigned long long)got, i + 1);
	}
	got = pd_window_count(&w, width, now);
	ck_assert_msg(got == (uint64_t)exact_cases[_i].n,
	    "%s: count: got %llu, want %d", name, (unsigned long long)got,
	    exact_cases[_i].n);
}
END_TEST

/* One event at "at", counted at "query" (1 h window, 5 min buckets). */
static const struct {
	const char	*name;
	int64_t		 at;
	int64_t		 query;
	uint64_t	 want;
} boundary_cases[] = {
	{ "at once", T0, T0, 1 },
	{ "a minute before the window ends", T0, T0 + W - MIN, 1 },
	{ "1 ms before the window ends", T0, T0 + W - 1, 1 },
	{ "at exactly one window", T0, T0 + W, 1 },
	{ "last ms of the 13th bucket", T0, T0 + 13 * WIDTH - 1, 1 },
	{ "first ms of the 14th bucket", T0, T0 + 13 * WIDTH, 0 },
	{ "a day later", T0, T0 + DAY, 0 },
	{ "late in its bucket, one window later", T0 + WIDTH - 1,
	    T0 + WIDTH - 1 + W, 1 },
	{ "late in its bucket, gone with it", T0 + WIDTH - 1, T0 + 13 * WIDTH,
	    0 },
	{ "mid-bucket, one window later", T0 + 2 * MIN, T0 + 2 * MIN + W, 1 },
	{ "mid-bucket, at most W + W/12", T0 + 2 * MIN,
	    T0 + 2 * MIN + W + WIDTH, 0 },
};

START_TEST(test_window_boundary_at_bucket_edges)
{
	const char *name = boundary_cases[_i].name;
	struct pd_window w;
	uint64_t got;

	pd_window_reset(&w);
	ck_assert_uint_eq(pd_window_add(&w, WIDTH, boundary_cases[_i].at, 1),
	    1);
	got = pd_window_count(&w, WIDTH, boundary_cases[_i].query);
	ck_assert_msg(got == boundary_cases[_i].want, "%s: got %llu, want %llu",
	    name, (unsigned long long)got,
	    (unsigned long long)boundary_cases[_i].want);
	/* An add at the query time sees the same events plus itself. */
	got = pd_window_add(&w, WIDTH, boundary_cases[_i].query, 1);
	ck_assert_msg(got == boundary_cases[_i].want + 1,
	    "%s: add: got %llu, want %llu", name, (unsigned long long)got,
	    (unsigned long long)boundary_cases[_i].want + 1);
}
END_TEST

START_TEST(test_window_burst_in_first_minute)
{
	struct pd_window w;
	uint64_t got;
	int i;

	pd_window_reset(&w);
	for (i = 0; i < 1000; i++)
		pd_window_add(&w, WIDTH, T0 + i * 60, 1);
	ck_assert_uint_eq(pd_window_count(&w, WIDTH, T0 + MIN - 1), 1000);
	got = pd_window_count(&w, WIDTH, T0 + 59 * MIN);
	ck_assert_msg(got == 1000, "+59 min: got %llu, want 1000",
	    (unsigned long long)got);
	got = pd_window_count(&w, WIDTH, T0 + 60 * MIN);
	ck_assert_msg(got == 1000, "+60 min: got %llu, want 1000",
	    (unsigned long long)got);
	got = pd_window_count(&w, WIDTH, T0 + 65 * MIN - 1);
	ck_assert_msg(got == 1000, "+65 min - 1 ms: got %llu, want 1000",
	    (unsigned long long)got);
	got = pd_window_count(&w, WIDTH, T0 + 65 * MIN);
	ck_assert_msg(got == 0, "+65 min: got %llu, want 0",
	    (unsigned long long)got);
}
END_TEST

/*
 * limit = 5 per 1h: five events pass, the sixth inside the window
 * triggers, and once the first has left the window it passes again.
 */
static const struct {
	const char	*name;
	int64_t		 sixth;
	uint64_t	 want;
} n_plus_one_cases[] = {
	{ "sixth at +50 min", T0 + 50 * MIN, 6 },
	{ "sixth 1 ms before the first leaves", T0 + 65 * MIN - 1, 6 },
	{ "sixth as the first leaves", T0 + 65 * MIN, 5 },
	{ "sixth as the second leaves", T0 + 75 * MIN, 4 },
};

START_TEST(test_window_n_plus_one_triggers)
{
	const char *name = n_plus_one_cases[_i].name;
	struct pd_window w;
	uint64_t got;
	int i;

	pd_window_reset(&w);
	for (i = 0; i < 5; i++) {
		got = pd_window_add(&w, WIDTH, T0 + i * 10 * MIN, 1);
		ck_assert_msg(got == (uint64_t)i + 1, "%s: event %d: got %llu",
		    name, i + 1, (unsigned long long)got);
	}
	got = pd_window_add(&w, WIDTH, n_plus_one_cases[_i].sixth, 1);
	ck_assert_msg(got == n_plus_one_cases[_i].want,
	    "%s: got %llu, want %llu", name, (unsigned long long)got,
	    (unsigned long long)n_plus_one_cases[_i].want);
}
END_TEST

START_TEST(test_window_ring_reuses_slots)
{
	struct pd_window w;
	uint64_t got, want;
	int i;

	/* One event in each of 40 buckets: the ring wraps three times. */
	pd_window_reset(&w);
	for (i = 0; i < 40; i++) {
		got = pd_window_add(&w, WIDTH, T0 + i * WIDTH + 7 * SEC, 1);
		want = i + 1 < PD_WINDOW_SLOTS ? (uint64_t)i + 1 :
		    PD_WINDOW_SLOTS;
		ck_assert_msg(got == want, "bucket %d: got %llu, want %llu", i,
		    (unsigned long long)got, (unsigned long long)want);
	}
	/* Skipping to bucket 45 leaves buckets 33..39 and the new event. */
	got = pd_window_add(&w, WIDTH, T0 + 45 * WIDTH, 1);
	ck_assert_msg(got == 8, "after a gap of 5: got %llu, want 8",
	    (unsigned long long)got);
}
END_TEST

START_TEST(test_window_jump_past_window_clears_all)
{
	struct pd_window w;
	uint64_t got;
	int i;

	pd_window_reset(&w);
	for (i = 0; i < 12; i++)
		pd_window_add(&w, WIDTH, T0 + i * WIDTH, 100);
	ck_assert_uint_eq(pd_window_count(&w, WIDTH, T0 + 11 * WIDTH), 1200);
	got = pd_window_add(&w, WIDTH, T0 + 11 * WIDTH + 13 * WIDTH, 1);
	ck_assert_msg(got == 1, "13 buckets on: got %llu, want 1",
	    (unsigned long long)got);
	got = pd_window_add(&w, WIDTH, T0 + 30 * DAY, 1);
	ck_assert_msg(got == 1, "a month on: got %llu, want 1",
	    (unsigned long long)got);
	/* The cleared slots stay cleared as the head moves on. */
	for (i = 1; i <= 12; i++) {
		got = pd_window_count(&w, WIDTH, T0 + 30 * DAY + i * WIDTH);
		ck_assert_msg(got == 1, "%d buckets after: got %llu, want 1",
		    i, (unsigned long long)got);
	}
}
END_TEST

START_TEST(test_window_jump_inside_window_keeps_all)
{
	struct pd_window w;
	uint64_t got;

	pd_window_reset(&w);
	pd_window_add(&w, WIDTH, T0, 100);
	got = pd_window_add(&w, WIDTH, T0 + 12 * WIDTH, 1);
	ck_assert_msg(got == 101, "12 buckets on: got %llu, want 101",
	    (unsigned long long)got);
}
END_TEST

START_TEST(test_window_clock_back_keeps_events)
{
	struct pd_window w;
	uint64_t got;

	pd_window_reset(&w);
	ck_assert_uint_eq(pd_window_add(&w, WIDTH, T0 + 10 * MIN, 1), 1);
	pd_window_add(&w, WIDTH, T0, 1);
	got = pd_window_count(&w, WIDTH, T0 + 10 * MIN);
	ck_assert_msg(got == 2, "back 10 min: got %llu, want 2",
	    (unsigned long long)got);
	pd_window_add(&w, WIDTH, T0 - DAY, 1);
	got = pd_window_count(&w, WIDTH, T0 + 10 * MIN);
	ck_assert_msg(got == 3, "back a day: got %llu, want 3",
	    (unsigned long long)got);
	/* Late events live as long as the bucket they were put in. */
	got = pd_window_count(&w, WIDTH, T0 + 10 * MIN + 13 * WIDTH - 1);
	ck_assert_msg(got == 3, "end of the newest bucket: got %llu, want 3",
	    (unsigned long long)got);
}
END_TEST

/* The count pd_window_add() returns must include what it just added. */
static const struct {
	const char	*name;
	int64_t		 back;
} clock_back_cases[] = {
	{ "within the bucket", 1 * MIN },
	{ "one bucket", 5 * MIN },
	{ "two buckets", 10 * MIN },
	{ "a day", DAY },
};

START_TEST(test_window_clock_back_add_returns_count)
{
	const char *name = clock_back_cases[_i].name;
	int64_t head = T0 + 2 * HOUR + 4 * MIN;
	struct pd_window w;
	uint64_t got;

	pd_window_reset(&w);
	ck_assert_uint_eq(pd_window_add(&w, WIDTH, head, 1), 1);
	got = pd_window_add(&w, WIDTH, head - clock_back_cases[_i].back, 1);
	ck_assert_msg(got == 2, "%s: got %llu, want 2", name,
	    (unsigned long long)got);
}
END_TEST

START_TEST(test_window_saturates_without_wrapping)
{
	struct pd_window w;

	pd_window_reset(&w);
	ck_assert_uint_eq(pd_window_add(&w, WIDTH, T0, UINT32_MAX - 1),
	    UINT32_MAX - 1);
	ck_assert_uint_eq(pd_window_add(&w, WIDTH, T0, 1), UINT32_MAX);
	ck_assert_uint_eq(pd_window_add(&w, WIDTH, T0, 1), UINT32_MAX);
	ck_assert_uint_eq(pd_window_add(&w, WIDTH, T0, UINT32_MAX),
	    UINT32_MAX);
	/* The sum over buckets is 64-bit and does not wrap either. */
	ck_assert_uint_eq(pd_window_add(&w, WIDTH, T0 + WIDTH, UINT32_MAX),
	    2 * (uint64_t)UINT32_MAX);
	ck_assert_uint_eq(pd_window_add(&w, WIDTH, T0 + 2 * WIDTH, 3),
	    2 * (uint64_t)UINT32_MAX + 3);
}
END_TEST

START_TEST(test_window_add_zero_changes_nothing)
{
	struct pd_window w;

	pd_window_reset(&w);
	ck_assert_uint_eq(pd_window_add(&w, WIDTH, T0, 0), 0);
	ck_assert_uint_eq(pd_window_add(&w, WIDTH, T0, 4), 4);
	ck_assert_uint_eq(pd_window_add(&w, WIDTH, T0 + MIN, 0), 4);
	ck_assert_uint_eq(pd_window_count(&w, WIDTH, T0 + MIN), 4);
}
END_TEST

START_TEST(test_window_reset_forgets_everything)
{
	struct pd_window w;

	memset(&w, 0, sizeof(w));
	ck_assert_uint_eq(pd_window_count(&w, WIDTH, T0), 0);
	pd_window_add(&w, WIDTH, T0, 7);
	pd_window_add(&w, WIDTH, T0 + WIDTH, 7);
	ck_assert_uint_eq(pd_window_count(&w, WIDTH, T0 + WIDTH), 14);
	pd_window_reset(&w);
	ck_assert_uint_eq(pd_window_count(&w, WIDTH, T0 + WIDTH), 0);
	ck_assert_uint_eq(pd_window_add(&w, WIDTH, T0 + WIDTH, 1), 1);
}
END_TEST

static Suite *
window_suite(void)
{
	Suite *s = suite_create("window");
	TCase *tc;

	tc = tcase_create("width");
	tcase_add_loop_test(tc, test_window_width_is_twelfth_rounded_up, 0,
	    nitems(width_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("exact");
	tcase_add_loop_test(tc, test_window_counts_each_event_exactly, 0,
	    nitems(exact_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("boundary");
	tcase_add_loop_test(tc, test_window_boundary_at_bucket_edges, 0,
	    nitems(boundary_cases));
	tcase_add_test(tc, test_window_burst_in_first_minute);
	tcase_add_loop_test(tc, test_window_n_plus_one_triggers, 0,
	    nitems(n_plus_one_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("advance");
	tcase_add_test(tc, test_window_ring_reuses_slots);
	tcase_add_test(tc, test_window_jump_past_window_clears_all);
	tcase_add_test(tc, test_window_jump_inside_window_keeps_all);
	suite_add_tcase(s, tc);

	tc = tcase_create("clock_back");
	tcase_add_test(tc, test_window_clock_back_keeps_events);
	tcase_add_loop_test(tc, test_window_clock_back_add_returns_count, 0,
	    nitems(clock_back_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("saturation");
	tcase_add_test(tc, test_window_saturates_without_wrapping);
	suite_add_tcase(s, tc);

	tc = tcase_create("reset");
	tcase_add_test(tc, test_window_add_zero_changes_nothing);
	tcase_add_test(tc, test_window_reset_forgets_everything);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run(window_suite()) != 0;
}
