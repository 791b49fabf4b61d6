/* SPDX-License-Identifier: ISC */
/*
 * check_clock - policyd's time runs on the monotonic clock; a step of
 * the wall clock moves only the offset that shows times.
 */
#include <check.h>

#include "clock.h"
#include "testutil.h"

/* The clocks the test moves by hand. */
static int64_t wall_ms, mono_ms;

static int64_t
fake_wall(void)
{
	return wall_ms;
}

static int64_t
fake_mono(void)
{
	return mono_ms;
}

START_TEST(test_clock_steps_move_only_the_offset)
{
	static const int64_t steps[] = { -10 * MIN, 10 * MIN, -DAY, 3 * SEC };
	int64_t start, block_end;

	wall_ms = T0;
	mono_ms = 5 * SEC;
	pd_clock_set_source(fake_wall, fake_mono);
	/* Anchored at the first call: it reads as the wall clock then. */
	start = pd_clock_now();
	ck_assert_int_eq(start, T0);
	ck_assert_int_eq(pd_clock_wall_offset(), 0);
	block_end = start + 2 * MIN;
	/* 30 s on, the wall clock steps. */
	mono_ms += 30 * SEC;
	wall_ms += 30 * SEC + steps[_i];
	ck_assert_int_eq(pd_clock_now(), T0 + 30 * SEC);
	ck_assert_int_eq(pd_clock_wall_offset(), steps[_i]);
	/* The block ends two minutes after it began, whatever the step. */
	mono_ms += 90 * SEC - 1;
	wall_ms += 90 * SEC - 1;
	ck_assert_int_lt(pd_clock_now(), block_end);
	mono_ms += 2;
	wall_ms += 2;
	ck_assert_int_gt(pd_clock_now(), block_end);
	/* And people read its end on the wall clock. */
	ck_assert_int_eq(block_end + pd_clock_wall_offset(),
	    T0 + 2 * MIN + steps[_i]);
	pd_clock_set_source(NULL, NULL);
}
END_TEST

START_TEST(test_clock_system_source)
{
	int64_t a, b;

	pd_clock_set_source(NULL, NULL);
	a = pd_clock_now();
	b = pd_clock_now();
	ck_assert_int_ge(b, a);
	/* Anchored to the wall clock just now: within a second of it. */
	ck_assert_int_lt(pd_clock_wall_offset(), SEC);
	ck_assert_int_gt(pd_clock_wall_offset(), -SEC);
}
END_TEST

static Suite *
clock_suite(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("clock");

	tcase_add_loop_test(tc, test_clock_steps_move_only_the_offset, 0, 4);
	tcase_add_test(tc, test_clock_system_source);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(clock_suite()) ? 1 : 0;
}
