/* SPDX-License-Identifier: ISC */
/*
 * check_state - snapshots: round trip, damaged files, changed rules.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "err.h"
#include "counter.h"
#include "state.h"
#include "testutil.h"

static char path[512];

/* fill - a store with one rule slot, n counters and one block */
static void
fill(struct pd_counters *s, int n)
{
	struct pd_counter *c;
	uint32_t key;

	ck_assert_int_eq(pd_counters_init(s, 1000000), 0);
	ck_assert_int_eq(pd_counters_slot(s, "connections", 7, HOUR), 0);
	for (key = 0; key < (uint32_t)n; key++) {
		c = pd_counters_add(s, 0, &key, sizeof(key), T0 + key);
		pd_counters_count(s, c, T0 + key, key % 5 + 1);
	}
	key = 3;
	c = pd_counters_get(s, 0, &key, sizeof(key));
	pd_counters_block(s, c, T0 + 10, T0 + HOUR, PD_COUNTER_LISTING);
	c->hits = 1001;
}

static void
setup(void)
{
	snprintf(path, sizeof(path), "%s/policyd.state", tu_tmpdir());
	unlink(path);
}

START_TEST(test_state_round_trip)
{
	struct pd_counters a, b;
	struct pd_state_info info;
	struct pd_counter *c;
	struct pd_err err;
	uint32_t key;

	setup();
	fill(&a, 1000);
	ck_assert_int_eq(pd_state_save(&a, path, T0 + HOUR, 0, &err), 0);
	ck_assert_int_eq(access(path, F_OK), 0);
	{
		char tmp[600];

		snprintf(tmp, sizeof(tmp), "%s.tmp", path);
		ck_assert_int_ne(access(tmp, F_OK), 0);
	}
	ck_assert_int_eq(pd_counters_init(&b, 1000000), 0);
	ck_assert_int_eq(pd_counters_slot(&b, "connections", 7, HOUR), 0);
	ck_assert_int_eq(pd_state_load(&b, path, 0, &info, &err), 0);
	ck_assert_uint_eq(info.loaded, 1000);
	ck_assert_uint_eq(info.dropped, 0);
	ck_assert_int_eq(info.saved_at, T0 + HOUR);
	ck_assert_uint_eq(pd_counters_size(&b), 1000);
	ck_assert_uint_eq(b.nblocked, 1);
	for (key = 0; key < 1000; key++) {
		c = pd_counters_get(&b, 0, &key, sizeof(key));
		ck_assert_ptr_nonnull(c);
		ck_assert_uint_eq(pd_counters_peek(&b, c, T0 + key), key % 5 + 1);
		ck_assert_int_eq(c->last, T0 + key);
	}
	key = 3;
	c = pd_counters_get(&b, 0, &key, sizeof(key));
	ck_assert(pd_counter_blocked(c, T0 + HOUR - 1));
	ck_assert_int_eq(c->until, T0 + HOUR);
	ck_assert_uint_eq(c->flags, PD_COUNTER_LISTING);
	ck_assert_uint_eq(c->hits, 1001);
	/* The LRU order survives: the oldest is still evicted first. */
	b.max_keys = 1000;
	key = 5000;
	ck_assert_ptr_nonnull(pd_counters_add(&b, 0, &key, sizeof(key), T0 + DAY));
	key = 0;
	ck_assert_ptr_null(pd_counters_get(&b, 0, &key, sizeof(key)));
	key = 1;
	ck_assert_ptr_nonnull(pd_counters_get(&b, 0, &key, sizeof(key)));
	pd_counters_clear(&a);
	pd_counters_clear(&b);
}
END_TEST

/*
 * The wall clock stepped back 10 minutes while policyd ran: the file
 * holds wall-clock times, so after a restart (policyd's clock anchored
 * to the wall clock again) a block ends when it was shown to end.
 */
START_TEST(test_state_stores_wall_clock_times)
{
	struct pd_counters a, b;
	struct pd_state_info info;
	struct pd_counter *c;
	struct pd_err err;
	const int64_t wall = -10 * MIN; /* a whole number of buckets */
	uint32_t key;

	setup();
	fill(&a, 100);
	ck_assert_int_eq(pd_state_save(&a, path, T0 + HOUR, wall, &err), 0);
	ck_assert_int_eq(pd_counters_init(&b, 1000000), 0);
	ck_assert_int_eq(pd_counters_slot(&b, "connections", 7, HOUR), 0);
	ck_assert_int_eq(pd_state_load(&b, path, 0, &info, &err), 0);
	ck_assert_int_eq(info.saved_at, T0 + HOUR + wall);
	key = 3;
	c = pd_counters_get(&b, 0, &key, sizeof(key));
	ck_assert_int_eq(c->since, T0 + 10 + wall);
	ck_assert_int_eq(c->until, T0 + HOUR + wall);
	ck_assert(pd_counter_blocked(c, T0 + HOUR + wall - 1));
	ck_assert(!pd_counter_blocked(c, T0 + HOUR + wall));
	for (key = 0; key < 100; key++) {
		c = pd_counters_get(&b, 0, &key, sizeof(key));
		ck_assert_int_eq(c->last, T0 + key + wall);
		ck_assert_uint_eq(pd_counters_peek(&b, c, T0 + key + wall), key % 5 + 1);
		/* The events moved with the clock: they age out an hour on. */
		ck_assert_uint_eq(pd_counters_peek(&b, c, T0 + key + wall + HOUR + 6 * MIN), 0);
	}
	pd_counters_clear(&b);
	/* Loading maps back with the loader's own offset. */
	ck_assert_int_eq(pd_counters_init(&b, 1000000), 0);
	ck_assert_int_eq(pd_counters_slot(&b, "connections", 7, HOUR), 0);
	ck_assert_int_eq(pd_state_load(&b, path, wall, &info, &err), 0);
	key = 3;
	c = pd_counters_get(&b, 0, &key, sizeof(key));
	ck_assert_int_eq(c->until, T0 + HOUR);
	pd_counters_clear(&a);
	pd_counters_clear(&b);
}
END_TEST

START_TEST(test_state_missing_file_is_empty_start)
{
	struct pd_counters b;
	struct pd_state_info info;
	struct pd_err err;

	setup();
	ck_assert_int_eq(pd_counters_init(&b, 100), 0);
	ck_assert_int_eq(pd_state_load(&b, path, 0, &info, &err), 0);
	ck_assert_uint_eq(info.loaded, 0);
	pd_counters_clear(&b);
}
END_TEST

/* Damage done to a good snapshot, one per row. */
static const struct {
	const char	*name;
	long		 truncate_to;	/* -1: keep length */
	long		 flip;		/* byte to flip, -1: none */
	const char	*garbage;	/* replace the whole file */
	const char	*want;
} damage[] = {
	{ "truncated", 5000, -1, NULL, "checksum mismatch" },
	{ "cut to the header", 20, -1, NULL, "not a policyd state file" },
	{ "one byte flipped", -1, 3000, NULL, "checksum mismatch" },
	{ "garbage", -1, -1, "this is not a snapshot\n", "not a policyd state file" },
	{ "empty", 0, -1, NULL, "not a policyd state file" },
};

START_TEST(test_state_damaged_file_is_refused)
{
	struct pd_counters a, b;
	struct pd_state_info info;
	struct pd_err err;
	char aside[600];
	FILE *fp;

	setup();
	fill(&a, 500);
	ck_assert_int_eq(pd_state_save(&a, path, T0, 0, &err), 0);
	if (damage[_i].truncate_to >= 0)
		ck_assert_int_eq(truncate(path, damage[_i].truncate_to), 0);
	if (damage[_i].flip >= 0) {
		fp = fopen(path, "r+");
		fseek(fp, damage[_i].flip, SEEK_SET);
		int ch = fgetc(fp);
		fseek(fp, damage[_i].flip, SEEK_SET);
		fputc(ch ^ 0x40, fp);
		fclose(fp);
	}
	if (damage[_i].garbage) {
		fp = fopen(path, "w");
		fputs(damage[_i].garbage, fp);
		fclose(fp);
	}
	ck_assert_int_eq(pd_counters_init(&b, 1000000), 0);
	ck_assert_int_eq(pd_counters_slot(&b, "connections", 7, HOUR), 0);
	ck_assert_int_eq(pd_state_load(&b, path, 0, &info, &err), -1);
	ck_assert_msg(strstr(err.msg, damage[_i].want) != NULL,
	    "%s: got \"%s\", want \"%s\"", damage[_i].name, err.msg,
	    damage[_i].want);
	ck_assert_uint_eq(pd_counters_size(&b), 0);
	ck_assert_int_eq(pd_state_move_aside(path, T0, aside, sizeof(aside),
	    &err), 0);
	ck_assert_ptr_nonnull(strstr(aside, ".bad-20261122T000000Z"));
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_int_eq(access(aside, F_OK), 0);
	pd_counters_clear(&a);
	pd_counters_clear(&b);
}
END_TEST

START_TEST(test_state_changed_rule_is_dropped)
{
	struct pd_counters a, b;
	struct pd_state_info info;
	struct pd_err err;

	setup();
	fill(&a, 100);
	ck_assert_int_eq(pd_state_save(&a, path, T0, 0, &err), 0);
	ck_assert_int_eq(pd_counters_init(&b, 1000000), 0);
	/* Same name, other window: its counters would mean something else. */
	ck_assert_int_eq(pd_counters_slot(&b, "connections", 7, 2 * HOUR), 0);
	ck_assert_int_eq(pd_state_load(&b, path, 0, &info, &err), 0);
	ck_assert_uint_eq(info.loaded, 0);
	ck_assert_uint_eq(info.dropped, 100);
	pd_counters_clear(&a);
	pd_counters_clear(&b);
}
END_TEST

START_TEST(test_state_full_disk_keeps_old_snapshot)
{
	struct pd_counters a, b;
	struct pd_state_info info;
	struct pd_err err;
	char tmp[600], bad[600];
	uint32_t key = 999999;

	setup();
	fill(&a, 10);
	snprintf(bad, sizeof(bad), "%s/nodir/policyd.state", tu_tmpdir());
	ck_assert_int_eq(pd_state_save(&a, bad, T0, 0, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "nodir/policyd.state.tmp: No such file"));
	ck_assert_int_eq(pd_state_save(&a, path, T0, 0, &err), 0);
	/* The disk fills up: every write of the next snapshot fails. */
	pd_counters_add(&a, 0, &key, sizeof(key), T0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_eq(symlink("/dev/full", tmp), 0);
	ck_assert_int_eq(pd_state_save(&a, path, T0 + 1, 0, &err), -1);
	ck_assert_msg(strstr(err.msg, "No space left on device") != NULL, "%s",
	    err.msg);
	ck_assert_int_ne(access(tmp, F_OK), 0);
	/* The previous snapshot is intact. */
	ck_assert_int_eq(pd_counters_init(&b, 1000000), 0);
	ck_assert_int_eq(pd_counters_slot(&b, "connections", 7, HOUR), 0);
	ck_assert_int_eq(pd_state_load(&b, path, 0, &info, &err), 0);
	ck_assert_uint_eq(info.loaded, 10);
	ck_assert_int_eq(info.saved_at, T0);
	pd_counters_clear(&a);
	pd_counters_clear(&b);
}
END_TEST

static Suite *
state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc;

	tc = tcase_create("snapshot");
	tcase_add_test(tc, test_state_round_trip);
	tcase_add_test(tc, test_state_stores_wall_clock_times);
	tcase_add_test(tc, test_state_missing_file_is_empty_start);
	tcase_add_loop_test(tc, test_state_damaged_file_is_refused, 0,
	    sizeof(damage) / sizeof(damage[0]));
	tcase_add_test(tc, test_state_changed_rule_is_dropped);
	tcase_add_test(tc, test_state_full_disk_keeps_old_snapshot);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(state_suite()) != 0;
}
