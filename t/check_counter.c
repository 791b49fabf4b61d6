/* SPDX-License-Identifier: ISC */
/*
 * check_counter - the counter store: slots across reloads, add and
 * count, blocks, max_keys eviction, the sweep and freeing everything.
 *
 * Run under valgrind too: CK_FORK=no valgrind --leak-check=full
 * --error-exitcode=1 ./build/t/check_counter
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "counter.h"
#include "testutil.h"


#define W	HOUR
#define WIDTH	(W / PD_WINDOW_BUCKETS)

/* K - a string key as the (bytes, length) pair the store takes */
#define K(s)	(s), strlen(s)

static struct pd_counters cs;

static void
setup(void)
{
	ck_assert_int_eq(pd_counters_init(&cs, 1000), 0);
}

static void
teardown(void)
{
	pd_counters_clear(&cs);
}

/* counted - add key to slot and count n events at now */
static struct pd_counter *
counted(int slot, const char *key, int64_t now, uint32_t n)
{
	struct pd_counter *c;

	c = pd_counters_add(&cs, slot, K(key), now);
	ck_assert_msg(c != NULL, "add \"%s\" failed", key);
	pd_counters_count(&cs, c, now, n);
	return c;
}

/* window_of - the current count of key in slot, or -1 when it is gone */
static long long
window_of(int slot, const char *key, int64_t now)
{
	struct pd_counter *c = pd_counters_get(&cs, slot, K(key));

	if (c == NULL)
		return -1;
	return (long long)pd_counters_peek(&cs, c, now);
}

START_TEST(test_counter_slot_same_rule_keeps_counters)
{
	int a, b, a2, b2;

	a = pd_counters_slot(&cs, "conn-rate", 0x1111, W);
	b = pd_counters_slot(&cs, "rcpt-rate", 0x2222, 10 * MIN);
	ck_assert_int_ge(a, 0);
	ck_assert_int_ge(b, 0);
	ck_assert_int_ne(a, b);
	ck_assert_uint_eq(cs.slots[a].width, WIDTH);
	counted(a, "192.0.2.1", T0, 3);
	counted(b, "192.0.2.1", T0, 4);

	/* A reload that keeps both rules unchanged. */
	pd_counters_begin(&cs);
	a2 = pd_counters_slot(&cs, "conn-rate", 0x1111, W);
	b2 = pd_counters_slot(&cs, "rcpt-rate", 0x2222, 10 * MIN);
	pd_counters_retire(&cs);
	ck_assert_int_eq(a2, a);
	ck_assert_int_eq(b2, b);
	ck_assert_uint_eq(pd_counters_size(&cs), 2);
	ck_assert_int_eq(window_of(a, "192.0.2.1", T0), 3);
	ck_assert_int_eq(window_of(b, "192.0.2.1", T0), 4);
}
END_TEST

START_TEST(test_counter_slot_same_key_differs_by_slot)
{
	struct pd_counter *x, *y;
	int a, b;

	a = pd_counters_slot(&cs, "a", 1, W);
	b = pd_counters_slot(&cs, "b", 1, W);
	x = counted(a, "k", T0, 1);
	y = counted(b, "k", T0, 2);
	ck_assert_ptr_ne(x, y);
	ck_assert_ptr_eq(pd_counters_get(&cs, a, K("k")), x);
	ck_assert_ptr_eq(pd_counters_get(&cs, b, K("k")), y);
	ck_assert_uint_eq(pd_counters_size(&cs), 2);
}
END_TEST

/* What a reload changes about rule "r", and whether its counters stay. */
static const struct {
	const char	*name;
	uint32_t	 sig;
	int64_t		 window;
	bool		 keeps;
} reload_cases[] = {
	{ "nothing changed", 7, W, true },
	{ "signature changed", 8, W, false },
	{ "window changed", 7, 2 * W, false },
	{ "both changed", 8, 2 * W, false },
};

START_TEST(test_counter_slot_change_resets_counters)
{
	const char *name = reload_cases[_i].name;
	struct pd_counter *c;
	int s, s2, other;
	size_t want;

	s = pd_counters_slot(&cs, "r", 7, W);
	other = pd_counters_slot(&cs, "other", 9, W);
	counted(s, "k1", T0, 5);
	c = counted(s, "k2", T0, 1);
	pd_counters_block(&cs, c, T0, T0 + DAY, 0);
	counted(other, "k1", T0, 2);

	pd_counters_begin(&cs);
	s2 = pd_counters_slot(&cs, "r", reload_cases[_i].sig,
	    reload_cases[_i].window);
	ck_assert_int_eq(pd_counters_slot(&cs, "other", 9, W), other);
	pd_counters_retire(&cs);

	ck_assert_msg(s2 == s, "%s: slot: got %d, want %d", name, s2, s);
	want = reload_cases[_i].keeps ? 3 : 1;
	ck_assert_msg(pd_counters_size(&cs) == want, "%s: size: got %zu, "
	    "want %zu", name, pd_counters_size(&cs), want);
	ck_assert_msg(cs.nblocked == (reload_cases[_i].keeps ? 1u : 0u),
	    "%s: nblocked: got %zu", name, cs.nblocked);
	ck_assert_msg(window_of(s, "k1", T0) == (reload_cases[_i].keeps ? 5 :
	    -1), "%s: k1: got %lld", name, window_of(s, "k1", T0));
	ck_assert_msg((pd_counters_get(&cs, s, K("k2")) != NULL) ==
	    reload_cases[_i].keeps, "%s: blocked k2 kept wrongly", name);
	ck_assert_int_eq(window_of(other, "k1", T0), 2);
	ck_assert_uint_eq(cs.slots[s].width,
	    pd_window_width(reload_cases[_i].window));
}
END_TEST

START_TEST(test_counter_retired_rule_frees_counters)
{
	struct pd_counter *c;
	int gone, kept, reused, again;

	gone = pd_counters_slot(&cs, "gone", 1, W);
	kept = pd_counters_slot(&cs, "kept", 2, W);
	counted(gone, "k1", T0, 1);
	c = counted(gone, "k2", T0, 1);
	pd_counters_block(&cs, c, T0, T0 + DAY, PD_COUNTER_MANUAL);
	counted(kept, "k1", T0, 1);
	ck_assert_uint_eq(pd_counters_size(&cs), 3);
	ck_assert_uint_eq(cs.nblocked, 1);

	pd_counters_begin(&cs);
	ck_assert_int_eq(pd_counters_slot(&cs, "kept", 2, W), kept);
	pd_counters_retire(&cs);
	ck_assert_uint_eq(pd_counters_size(&cs), 1);
	ck_assert_uint_eq(cs.nblocked, 0);
	ck_assert_ptr_null(pd_counters_get(&cs, gone, K("k1")));
	ck_assert_ptr_null(pd_counters_get(&cs, gone, K("k2")));
	ck_assert_int_eq(window_of(kept, "k1", T0), 1);

	/* The freed slot goes to the next new rule, empty. */
	reused = pd_counters_slot(&cs, "new", 3, W);
	ck_assert_int_eq(reused, gone);
	ck_assert_ptr_null(pd_counters_get(&cs, reused, K("k1")));
	/* The retired name comes back empty too. */
	again = pd_counters_slot(&cs, "gone", 1, W);
	ck_assert_int_ge(again, 0);
	ck_assert_int_ne(again, kept);
	ck_assert_int_ne(again, reused);
	ck_assert_ptr_null(pd_counters_get(&cs, again, K("k1")));
	ck_assert_uint_eq(pd_counters_size(&cs), 1);
}
END_TEST

START_TEST(test_counter_slot_name_limit)
{
	char name[PD_COUNTER_NAME_MAX + 2];
	int s;

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	ck_assert_int_eq(pd_counters_slot(&cs, name, 1, W), -1);
	name[PD_COUNTER_NAME_MAX] = '\0';
	s = pd_counters_slot(&cs, name, 1, W);
	ck_assert_int_ge(s, 0);
	ck_assert_str_eq(cs.slots[s].name, name);
}
END_TEST

START_TEST(test_counter_slots_run_out_and_come_back)
{
	char name[32];
	int i, s;

	for (i = 0; i < PD_COUNTER_SLOTS; i++) {
		snprintf(name, sizeof(name), "rule%d", i);
		s = pd_counters_slot(&cs, name, 1, W);
		ck_assert_msg(s == i, "%s: got %d, want %d", name, s, i);
	}
	ck_assert_int_eq(pd_counters_slot(&cs, "one-too-many", 1, W), -1);
	pd_counters_begin(&cs);
	ck_assert_int_eq(pd_counters_slot(&cs, "rule7", 1, W), 7);
	pd_counters_retire(&cs);
	s = pd_counters_slot(&cs, "one-too-many", 1, W);
	ck_assert_int_ge(s, 0);
	ck_assert_int_ne(s, 7);
}
END_TEST

START_TEST(test_counter_add_get_count)
{
	struct pd_counter *c;
	const uint8_t *key;
	size_t klen;
	int s;

	s = pd_counters_slot(&cs, "r", 1, W);
	ck_assert_ptr_null(pd_counters_get(&cs, s, K("192.0.2.1")));
	c = pd_counters_add(&cs, s, K("192.0.2.1"), T0);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(pd_counters_size(&cs), 1);
	ck_assert_int_eq(c->first, T0);
	ck_assert_int_eq(c->last, T0);
	ck_assert_int_eq(c->since, 0);
	ck_assert_int_eq(c->slot, s);
	key = pd_counter_key(c, &klen);
	ck_assert_uint_eq(klen, 9);
	ck_assert_int_eq(memcmp(key, "192.0.2.1", 9), 0);

	ck_assert_ptr_eq(pd_counters_add(&cs, s, K("192.0.2.1"), T0 + SEC), c);
	ck_assert_ptr_eq(pd_counters_get(&cs, s, K("192.0.2.1")), c);
	ck_assert_uint_eq(pd_counters_size(&cs), 1);
	ck_assert_int_eq(c->first, T0);

	ck_assert_uint_eq(pd_counters_count(&cs, c, T0 + SEC, 1), 1);
	ck_assert_uint_eq(pd_counters_count(&cs, c, T0 + 2 * SEC, 1), 2);
	ck_assert_uint_eq(pd_counters_count(&cs, c, T0 + 3 * SEC, 5), 7);
	ck_assert_uint_eq(pd_counters_count(&cs, c, T0 + 4 * SEC, 0), 7);
	ck_assert_int_eq(c->last, T0 + 4 * SEC);
	ck_assert_int_eq(c->first, T0);
	/* The store's window follows the slot's bucket width. */
	ck_assert_uint_eq(pd_counters_count(&cs, c, T0 + 13 * WIDTH, 1), 1);
}
END_TEST

START_TEST(test_counter_key_length_limit)
{
	uint8_t key[PD_KEYTAB_KEY_MAX];
	struct pd_counter *c;
	size_t klen;
	int s;

	memset(key, 0xab, sizeof(key));
	s = pd_counters_slot(&cs, "r", 1, W);
	c = pd_counters_add(&cs, s, key, PD_KEYTAB_KEY_MAX - 2, T0);
	ck_assert_ptr_nonnull(c);
	pd_counter_key(c, &klen);
	ck_assert_uint_eq(klen, PD_KEYTAB_KEY_MAX - 2);
	ck_assert_ptr_eq(pd_counters_get(&cs, s, key, PD_KEYTAB_KEY_MAX - 2),
	    c);
	ck_assert_ptr_null(pd_counters_add(&cs, s, key, PD_KEYTAB_KEY_MAX - 1,
	    T0));
	ck_assert_ptr_null(pd_counters_get(&cs, s, key, PD_KEYTAB_KEY_MAX - 1));
	ck_assert_uint_eq(pd_counters_size(&cs), 1);
	/* Binary keys with NULs are keys like any other. */
	ck_assert_ptr_nonnull(pd_counters_add(&cs, s, "\0\0\0\1", 4, T0));
	ck_assert_ptr_null(pd_counters_get(&cs, s, "\0\0\0\2", 4));
	ck_assert_uint_eq(pd_counters_size(&cs), 2);
}
END_TEST

START_TEST(test_counter_block_unblock_nblocked)
{
	struct pd_counter *a, *b;
	int s;

	s = pd_counters_slot(&cs, "r", 1, W);
	a = counted(s, "a", T0, 1);
	b = counted(s, "b", T0, 1);
	ck_assert_uint_eq(cs.nblocked, 0);
	ck_assert(!pd_counter_blocked(a, T0));

	pd_counters_block(&cs, a, T0, T0 + HOUR, PD_COUNTER_LISTING);
	a->hits = 11;
	ck_assert_uint_eq(cs.nblocked, 1);
	ck_assert(pd_counter_blocked(a, T0));
	ck_assert(pd_counter_blocked(a, T0 + HOUR - 1));
	ck_assert(!pd_counter_blocked(a, T0 + HOUR));
	ck_assert_int_eq(a->flags, PD_COUNTER_LISTING);

	/* Blocking again moves the end, and still counts one block. */
	pd_counters_block(&cs, a, T0, T0 + 2 * HOUR, PD_COUNTER_LISTING);
	ck_assert_uint_eq(cs.nblocked, 1);
	ck_assert(pd_counter_blocked(a, T0 + HOUR));
	pd_counters_block(&cs, b, T0, T0 + HOUR, 0);
	ck_assert_uint_eq(cs.nblocked, 2);

	/* Counting a blocked key still counts. */
	ck_assert_uint_eq(pd_counters_count(&cs, a, T0 + MIN, 1), 2);
	ck_assert_int_eq(a->last, T0 + MIN);

	pd_counters_unblock(&cs, a);
	ck_assert_uint_eq(cs.nblocked, 1);
	ck_assert_int_eq(a->since, 0);
	ck_assert_int_eq(a->until, 0);
	ck_assert_int_eq(a->flags, 0);
	ck_assert_int_eq(a->hits, 0);
	ck_assert(!pd_counter_blocked(a, T0 + MIN));
	pd_counters_unblock(&cs, a);
	ck_assert_uint_eq(cs.nblocked, 1);

	pd_counters_remove(&cs, b);
	ck_assert_uint_eq(cs.nblocked, 0);
	ck_assert_uint_eq(pd_counters_size(&cs), 1);
	ck_assert_ptr_null(pd_counters_get(&cs, s, K("b")));
	pd_counters_remove(&cs, a);
	ck_assert_uint_eq(pd_counters_size(&cs), 0);
}
END_TEST

START_TEST(test_counter_full_evicts_least_recent_unblocked)
{
	struct pd_counter *c;
	int s;

	cs.max_keys = 3;
	s = pd_counters_slot(&cs, "r", 1, W);
	/* The oldest key holds a block: it must survive every eviction. */
	c = counted(s, "blocked", T0, 1);
	pd_counters_block(&cs, c, T0, T0 + DAY, 0);
	counted(s, "k1", T0 + 1 * SEC, 1);
	counted(s, "k2", T0 + 2 * SEC, 1);
	counted(s, "k1", T0 + 3 * SEC, 1);
	ck_assert_uint_eq(pd_counters_size(&cs), 3);

	/* k2 was counted least recently. */
	counted(s, "k3", T0 + 4 * SEC, 1);
	ck_assert_uint_eq(pd_counters_size(&cs), 3);
	ck_assert_ptr_null(pd_counters_get(&cs, s, K("k2")));
	ck_assert_ptr_nonnull(pd_counters_get(&cs, s, K("blocked")));
	ck_assert_int_eq(window_of(s, "k1", T0 + 4 * SEC), 2);
	ck_assert_ptr_nonnull(pd_counters_get(&cs, s, K("k3")));

	/* Then k1, never the blocked key. */
	counted(s, "k4", T0 + 5 * SEC, 1);
	ck_assert_ptr_null(pd_counters_get(&cs, s, K("k1")));
	ck_assert_ptr_nonnull(pd_counters_get(&cs, s, K("blocked")));
	ck_assert_ptr_nonnull(pd_counters_get(&cs, s, K("k3")));
	ck_assert_ptr_nonnull(pd_counters_get(&cs, s, K("k4")));
	ck_assert_uint_eq(cs.nblocked, 1);
	ck_assert_uint_eq(pd_counters_size(&cs), 3);
}
END_TEST

START_TEST(test_counter_full_evicts_across_slots)
{
	int a, b;

	cs.max_keys = 2;
	a = pd_counters_slot(&cs, "a", 1, W);
	b = pd_counters_slot(&cs, "b", 2, W);
	counted(b, "old", T0 + 5 * SEC, 1);
	counted(a, "new", T0 + 10 * SEC, 1);
	/* Room is made in slot b, whose key was seen least recently. */
	counted(a, "newer", T0 + 20 * SEC, 1);
	ck_assert_ptr_null(pd_counters_get(&cs, b, K("old")));
	ck_assert_ptr_nonnull(pd_counters_get(&cs, a, K("new")));
	ck_assert_ptr_nonnull(pd_counters_get(&cs, a, K("newer")));
	ck_assert_uint_eq(pd_counters_size(&cs), 2);
}
END_TEST

START_TEST(test_counter_full_of_blocks_refuses_new_keys)
{
	struct pd_counter *x, *y;
	int s;

	cs.max_keys = 2;
	s = pd_counters_slot(&cs, "r", 1, W);
	x = counted(s, "x", T0, 1);
	y = counted(s, "y", T0, 1);
	pd_counters_block(&cs, x, T0, T0 + DAY, 0);
	pd_counters_block(&cs, y, T0, T0 + DAY, 0);
	ck_assert_ptr_null(pd_counters_add(&cs, s, K("z"), T0 + SEC));
	ck_assert_uint_eq(pd_counters_size(&cs), 2);
	ck_assert_uint_eq(cs.nblocked, 2);
	/* Keys already held are still found. */
	ck_assert_ptr_eq(pd_counters_add(&cs, s, K("x"), T0 + SEC), x);
	/* Once one block is lifted, that key makes room. */
	pd_counters_unblock(&cs, y);
	ck_assert_ptr_nonnull(pd_counters_add(&cs, s, K("z"), T0 + SEC));
	ck_assert_ptr_null(pd_counters_get(&cs, s, K("y")));
	ck_assert_ptr_eq(pd_counters_get(&cs, s, K("x")), x);
	ck_assert_uint_eq(pd_counters_size(&cs), 2);
}
END_TEST

START_TEST(test_counter_unblocked_key_evicted_by_last_use)
{
	struct pd_counter *x;
	int s;

	cs.max_keys = 2;
	s = pd_counters_slot(&cs, "r", 1, W);
	x = counted(s, "x", T0, 1);
	pd_counters_block(&cs, x, T0, T0 + 10 * MIN, 0);
	counted(s, "y", T0 + 5 * MIN, 1);
	/* x's block ends; x has not been seen since T0, y since +5 min. */
	pd_counters_unblock(&cs, x);
	counted(s, "z", T0 + 11 * MIN, 1);
	ck_assert_msg(pd_counters_get(&cs, s, K("x")) == NULL,
	    "x (last seen T0) was kept, y (last seen T0 + 5 min) evicted");
	ck_assert_ptr_nonnull(pd_counters_get(&cs, s, K("y")));
}
END_TEST

/*
 * An unblocked counter goes back into its slot's list by its last use,
 * whichever end the search starts from: the list stays ordered newest
 * first, as eviction needs.
 */
static const struct {
	const char *name;
	int64_t	    last; /* of the unblocked counter, from T0 */
	int	    pos;  /* its place, newest first, among 10 + itself */
} unblock_cases[] = {
	{ "older than all", -MIN, 10 },	 { "newest", 20 * MIN, 0 },
	{ "near the old end", 90 * SEC, 8 }, { "near the new end", 510 * SEC, 1 },
	{ "tied with one: before it", 5 * MIN, 4 },
};

START_TEST(test_counter_unblock_keeps_lru_order)
{
	struct pd_counter *x;
	struct pd_list	  *l;
	int		   s, i = 0, at = -1;
	int64_t		   prev = INT64_MAX;

	s = pd_counters_slot(&cs, "r", 1, W);
	x = counted(s, "x", T0, 1);
	pd_counters_block(&cs, x, T0, T0 + DAY, 0);
	for (int k = 0; k < 10; k++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", k);
		counted(s, key, T0 + k * MIN, 1);
	}
	x->last = T0 + unblock_cases[_i].last;
	pd_counters_unblock(&cs, x);
	for (l = cs.slots[s].lru.next; l != &cs.slots[s].lru; l = l->next, i++) {
		struct pd_counter *c = pd_list_entry(l, struct pd_counter, link);

		ck_assert_msg(c->last <= prev, "%s: out of order at %d",
		    unblock_cases[_i].name, i);
		prev = c->last;
		if (c == x)
			at = i;
	}
	ck_assert_int_eq(i, 11);
	ck_assert_msg(at == unblock_cases[_i].pos, "%s: at %d, want %d",
	    unblock_cases[_i].name, at, unblock_cases[_i].pos);
}
END_TEST

/* One event at T0 in a 1 h window, then a sweep at T0 + at. */
static const struct {
	const char	*name;
	int64_t		 at;
	size_t		 want_freed;
} sweep_cases[] = {
	{ "at once", 0, 0 },
	{ "one window later", W, 0 },
	{ "window + width later", W + WIDTH, 0 },
	{ "1 ms after window + width", W + WIDTH + 1, 1 },
	{ "a day later", DAY, 1 },
};

START_TEST(test_counter_sweep_frees_after_window_and_width)
{
	const char *name = sweep_cases[_i].name;
	int64_t now = T0 + sweep_cases[_i].at;
	size_t freed;
	int s;

	s = pd_counters_slot(&cs, "r", 1, W);
	counted(s, "k", T0, 1);
	freed = pd_counters_sweep(&cs, now, 1000);
	ck_assert_msg(freed == sweep_cases[_i].want_freed,
	    "%s: got %zu, want %zu", name, freed, sweep_cases[_i].want_freed);
	ck_assert_msg(pd_counters_size(&cs) == 1 - sweep_cases[_i].want_freed,
	    "%s: size: got %zu", name, pd_counters_size(&cs));
	ck_assert_msg((pd_counters_get(&cs, s, K("k")) == NULL) ==
	    (sweep_cases[_i].want_freed == 1), "%s: get disagrees", name);
}
END_TEST

START_TEST(test_counter_sweep_frees_idle_only)
{
	int s;

	s = pd_counters_slot(&cs, "r", 1, W);
	counted(s, "idle1", T0, 1);
	counted(s, "idle2", T0 + MIN, 1);
	counted(s, "busy", T0 + 30 * MIN, 1);
	ck_assert_uint_eq(pd_counters_sweep(&cs, T0 + MIN + W + WIDTH + 1,
	    1000), 2);
	ck_assert_uint_eq(pd_counters_size(&cs), 1);
	ck_assert_int_eq(window_of(s, "busy", T0 + MIN + W + WIDTH + 1), 1);
}
END_TEST

START_TEST(test_counter_sweep_uses_each_slot_window)
{
	int shortw, longw;

	shortw = pd_counters_slot(&cs, "short", 1, MIN);
	longw = pd_counters_slot(&cs, "long", 2, W);
	counted(shortw, "k", T0, 1);
	counted(longw, "k", T0, 1);
	ck_assert_uint_eq(pd_counters_sweep(&cs, T0 + MIN + MIN / 8, 1000), 0);
	ck_assert_uint_eq(pd_counters_sweep(&cs, T0 + MIN + MIN / 8 + 1,
	    1000), 1);
	ck_assert_ptr_null(pd_counters_get(&cs, shortw, K("k")));
	ck_assert_ptr_nonnull(pd_counters_get(&cs, longw, K("k")));
}
END_TEST

START_TEST(test_counter_sweep_lifts_ended_blocks)
{
	struct pd_counter *c;
	int s;

	s = pd_counters_slot(&cs, "r", 1, W);
	c = counted(s, "k", T0, 1);
	pd_counters_block(&cs, c, T0, T0 + 30 * MIN, 0);

	/* Idle or not, a blocked key stays. */
	ck_assert_uint_eq(pd_counters_sweep(&cs, T0 + 30 * MIN - 1, 1000), 0);
	ck_assert_uint_eq(cs.nblocked, 1);
	ck_assert_int_eq(c->since, T0);

	ck_assert_uint_eq(pd_counters_sweep(&cs, T0 + 30 * MIN, 1000), 0);
	ck_assert_uint_eq(cs.nblocked, 0);
	ck_assert_int_eq(c->since, 0);
	ck_assert_uint_eq(pd_counters_size(&cs), 1);

	/* Unblocked, it goes once its window is empty. */
	ck_assert_uint_eq(pd_counters_sweep(&cs, T0 + W + WIDTH + 1, 1000), 1);
	ck_assert_uint_eq(pd_counters_size(&cs), 0);
}
END_TEST

START_TEST(test_counter_sweep_keeps_long_block_on_idle_key)
{
	struct pd_counter *c;
	int s;

	s = pd_counters_slot(&cs, "r", 1, W);
	c = counted(s, "k", T0, 1);
	pd_counters_block(&cs, c, T0, T0 + 2 * DAY, 0);
	ck_assert_uint_eq(pd_counters_sweep(&cs, T0 + DAY, 1000), 0);
	ck_assert_ptr_eq(pd_counters_get(&cs, s, K("k")), c);
	ck_assert_uint_eq(cs.nblocked, 1);
	/* Ended long after its window emptied: lifted and freed at once. */
	ck_assert_uint_eq(pd_counters_sweep(&cs, T0 + 2 * DAY, 1000), 1);
	ck_assert_uint_eq(pd_counters_size(&cs), 0);
	ck_assert_uint_eq(cs.nblocked, 0);
}
END_TEST

START_TEST(test_counter_sweep_frees_ended_block_behind_busy_key)
{
	struct pd_counter *x;
	int s;

	s = pd_counters_slot(&cs, "r", 1, W);
	x = counted(s, "x", T0, 1);
	pd_counters_block(&cs, x, T0, T0 + 2 * HOUR, 0);
	counted(s, "busy", T0 + 90 * MIN, 1);
	/* At +2 h x's block ends and its window has long been empty. */
	pd_counters_sweep(&cs, T0 + 2 * HOUR, 1000);
	ck_assert_uint_eq(cs.nblocked, 0);
	ck_assert_msg(pd_counters_get(&cs, s, K("x")) == NULL,
	    "idle x kept after its block ended, behind a busy key");
	ck_assert_ptr_nonnull(pd_counters_get(&cs, s, K("busy")));
}
END_TEST

START_TEST(test_counter_sweep_keeps_to_budget)
{
	char key[16];
	int i, s;

	s = pd_counters_slot(&cs, "r", 1, W);
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		counted(s, key, T0 + i, 1);
	}
	ck_assert_uint_eq(pd_counters_sweep(&cs, T0 + DAY, 3), 3);
	ck_assert_uint_eq(pd_counters_size(&cs), 7);
	/* The oldest go first. */
	ck_assert_ptr_null(pd_counters_get(&cs, s, K("k2")));
	ck_assert_ptr_nonnull(pd_counters_get(&cs, s, K("k3")));
	ck_assert_uint_eq(pd_counters_sweep(&cs, T0 + DAY, 100), 7);
	ck_assert_uint_eq(pd_counters_size(&cs), 0);
}
END_TEST

START_TEST(test_counter_clear_frees_everything)
{
	struct pd_counters st;
	struct pd_counter *c;
	char key[16];
	int a, b, i;

	ck_assert_int_eq(pd_counters_init(&st, 5000), 0);
	a = pd_counters_slot(&st, "a", 1, W);
	b = pd_counters_slot(&st, "b", 2, MIN);
	/* Enough keys to make the table grow. */
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		c = pd_counters_add(&st, i % 2 ? a : b, K(key), T0);
		ck_assert_ptr_nonnull(c);
		pd_counters_count(&st, c, T0, 1);
		if (i % 7 == 0)
			pd_counters_block(&st, c, T0, T0 + DAY, 0);
	}
	ck_assert_uint_eq(pd_counters_size(&st), 3000);
	ck_assert_uint_eq(st.nblocked, 429);
	pd_counters_clear(&st);
	ck_assert_ptr_null(st.slots);
	ck_assert_uint_eq(st.nblocked, 0);
	ck_assert_uint_eq(pd_counters_size(&st), 0);

	/* An empty store clears too. */
	ck_assert_int_eq(pd_counters_init(&st, 10), 0);
	pd_counters_clear(&st);
}
END_TEST

static Suite *
counter_suite(void)
{
	Suite *s = suite_create("counter");
	TCase *tc;

	tc = tcase_create("slot");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_counter_slot_same_rule_keeps_counters);
	tcase_add_test(tc, test_counter_slot_same_key_differs_by_slot);
	tcase_add_loop_test(tc, test_counter_slot_change_resets_counters, 0,
	    nitems(reload_cases));
	tcase_add_test(tc, test_counter_retired_rule_frees_counters);
	tcase_add_test(tc, test_counter_slot_name_limit);
	tcase_add_test(tc, test_counter_slots_run_out_and_come_back);
	suite_add_tcase(s, tc);

	tc = tcase_create("count");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_counter_add_get_count);
	tcase_add_test(tc, test_counter_key_length_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("block");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_counter_block_unblock_nblocked);
	suite_add_tcase(s, tc);

	tc = tcase_create("evict");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_counter_full_evicts_least_recent_unblocked);
	tcase_add_test(tc, test_counter_full_evicts_across_slots);
	tcase_add_test(tc, test_counter_full_of_blocks_refuses_new_keys);
	tcase_add_test(tc, test_counter_unblocked_key_evicted_by_last_use);
	tcase_add_loop_test(tc, test_counter_unblock_keeps_lru_order, 0,
	    nitems(unblock_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("sweep");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_counter_sweep_frees_after_window_and_width,
	    0, nitems(sweep_cases));
	tcase_add_test(tc, test_counter_sweep_frees_idle_only);
	tcase_add_test(tc, test_counter_sweep_uses_each_slot_window);
	tcase_add_test(tc, test_counter_sweep_lifts_ended_blocks);
	tcase_add_test(tc, test_counter_sweep_keeps_long_block_on_idle_key);
	tcase_add_test(tc,
	    test_counter_sweep_frees_ended_block_behind_busy_key);
	tcase_add_test(tc, test_counter_sweep_keeps_to_budget);
	suite_add_tcase(s, tc);

	tc = tcase_create("clear");
	tcase_add_test(tc, test_counter_clear_frees_everything);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run(counter_suite()) != 0;
}
