/* SPDX-License-Identifier: ISC */
/*
 * check_dns - the DNS cache with made-up time: how long answers are
 * kept (TTL bounds, negative answers, the 5 s for failures), lookups of
 * one name merging into one query, waiters called once or, cancelled,
 * never, callbacks that change the cache under the settle, and LRU
 * eviction that never drops a query in flight.
 *
 * No resolver here: the test plays it, settling the entries the cache
 * asks for.  The libunbound adapter is covered by t/integ/30-helo.py.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "dnscache.h"
#include "testutil.h"


#define FOUND		PD_DNSCACHE_FOUND
#define NOTFOUND	PD_DNSCACHE_NOTFOUND
#define TEMPFAIL	PD_DNSCACHE_TEMPFAIL
#define PENDING		PD_DNSCACHE_PENDING

/* A caller's state with the waiter embedded, and what it was told. */
struct waiter {
	struct pd_dnscache_wait	 w;
	int			 calls;
	enum pd_dnscache_status	 got;
	void			(*then)(struct waiter *);
	struct waiter		*other;		/* for then() */
	const char		*name;		/* for then() */
	enum pd_dnscache_status	 then_got;
	struct pd_dnscache_entry *then_ask;	/* what then() must settle */
};

static struct pd_dnscache cache;
/*
 * Waiters still waiting when a test ends are dropped by teardown's
 * clear, after the test's stack is gone: so they live here.
 */
static struct waiter pool[32];
static int npool;

static void
setup(void)
{
	memset(pool, 0, sizeof(pool));
	npool = 0;
	ck_assert_int_eq(pd_dnscache_init(&cache, 1000), 0);
}

static void
teardown(void)
{
	pd_dnscache_clear(&cache);
}

/* fresh - start again with room for max entries */
static void
fresh(size_t max)
{
	pd_dnscache_clear(&cache);
	ck_assert_int_eq(pd_dnscache_init(&cache, max), 0);
}

static struct waiter *
waiter(void)
{
	ck_assert_int_lt(npool, nitems(pool));
	return &pool[npool++];
}

static void
waiter_cb(struct pd_dnscache_wait *cw, enum pd_dnscache_status st)
{
	struct waiter *w = (struct waiter *)cw;

	w->calls++;
	w->got = st;
	if (w->then)
		w->then(w);
}

/* lookup - pd_dnscache_lookup with w; the entry to ask, or NULL */
static struct pd_dnscache_entry *
lookup(const char *name, int64_t now, struct waiter *w,
    enum pd_dnscache_status *st)
{
	struct pd_dnscache_entry *e;

	*st = pd_dnscache_lookup(&cache, name, now, &w->w, waiter_cb, &e);
	return e;
}

/* answer - look name up at now and settle it as the resolver would */
static void
answer(const char *name, int64_t now, enum pd_dnscache_status st,
    int64_t ttl)
{
	struct waiter w = { 0 };
	struct pd_dnscache_entry *e;
	enum pd_dnscache_status got;

	e = lookup(name, now, &w, &got);
	ck_assert_msg(got == PENDING && e != NULL,
	    "%s: lookup: got %d (ask %p), want a query", name, got, (void *)e);
	pd_dnscache_settle(&cache, e, st, ttl, now);
	ck_assert_msg(w.calls == 1 && w.got == st,
	    "%s: settle: %d calls with %d, want 1 with %d", name, w.calls,
	    w.got, st);
}

/* Settled at T0 with status and ttl, then asked at T0 + at. */
static const struct {
	const char		*name;
	enum pd_dnscache_status	 status;
	int64_t			 ttl;
	int64_t			 at;
	enum pd_dnscache_status	 want;
} ttl_cases[] = {
	{ "found, at once", FOUND, 300 * SEC, 0, FOUND },
	{ "found, 1 ms before the TTL", FOUND, 300 * SEC, 300 * SEC - 1,
	    FOUND },
	{ "found, at the TTL", FOUND, 300 * SEC, 300 * SEC, PENDING },
	{ "notfound is kept too", NOTFOUND, 60 * SEC, 60 * SEC - 1, NOTFOUND },
	{ "notfound, at its TTL", NOTFOUND, 60 * SEC, 60 * SEC, PENDING },
	{ "TTL 0 is kept 1 s", FOUND, 0, SEC - 1, FOUND },
	{ "TTL 0, at 1 s", FOUND, 0, SEC, PENDING },
	{ "TTL 0 notfound is kept 1 s", NOTFOUND, 0, SEC - 1, NOTFOUND },
	{ "negative TTL is kept 1 s", FOUND, -5 * SEC, SEC - 1, FOUND },
	{ "TTL 999 ms is kept 1 s", FOUND, 999, 999, FOUND },
	{ "TTL 1 day, just before", FOUND, DAY, DAY - 1, FOUND },
	{ "TTL a week, capped at a day", FOUND, 7 * DAY, DAY, PENDING },
	{ "TTL a week, just before a day", FOUND, 7 * DAY, DAY - 1, FOUND },
	{ "TTL 2^31 s, capped at a day", FOUND, 2147483647LL * SEC, DAY,
	    PENDING },
	{ "tempfail, 1 ms before 5 s", TEMPFAIL, 0, 5 * SEC - 1, TEMPFAIL },
	{ "tempfail, at 5 s", TEMPFAIL, 0, 5 * SEC, PENDING },
	{ "tempfail ignores a long TTL", TEMPFAIL, HOUR, 5 * SEC, PENDING },
	{ "tempfail ignores a short TTL", TEMPFAIL, 1, 5 * SEC - 1, TEMPFAIL },
	{ "clock stepped back: still kept", FOUND, 60 * SEC, -HOUR, FOUND },
};

START_TEST(test_dnscache_answer_kept_for_its_ttl)
{
	const char *name = ttl_cases[_i].name;
	int64_t now = T0 + ttl_cases[_i].at;
	enum pd_dnscache_status got, want = ttl_cases[_i].want;
	struct pd_dnscache_entry *e;
	struct waiter *w = waiter();

	answer("mx.example.org", T0, ttl_cases[_i].status, ttl_cases[_i].ttl);
	got = pd_dnscache_peek(&cache, "mx.example.org", now);
	ck_assert_msg(got == want, "%s: peek: got %d, want %d", name, got,
	    want);
	e = lookup("mx.example.org", now, w, &got);
	ck_assert_msg(got == want, "%s: lookup: got %d, want %d", name, got,
	    want);
	/* Expired: asked again, in the same entry. */
	ck_assert_msg((e != NULL) == (want == PENDING),
	    "%s: lookup: ask %p with %d", name, (void *)e, got);
	ck_assert_msg((w->w.entry != NULL) == (want == PENDING),
	    "%s: waiting %d with %d", name, w->w.entry != NULL, got);
	ck_assert_uint_eq(pd_dnscache_count(&cache), 1);
	ck_assert_int_eq(w->calls, 0);
}
END_TEST

START_TEST(test_dnscache_expired_entry_takes_the_new_answer)
{
	answer("a.example", T0, FOUND, 60 * SEC);
	answer("a.example", T0 + 60 * SEC, NOTFOUND, 60 * SEC);
	ck_assert_int_eq(pd_dnscache_peek(&cache, "a.example", T0 + 61 * SEC),
	    NOTFOUND);
	ck_assert_uint_eq(pd_dnscache_count(&cache), 1);
}
END_TEST

/*
 * n waiters on one name, those in the cancel mask cancelled before the
 * answer: the others are called once each, and the answer is kept.
 */
static const struct {
	const char		*name;
	int			 n;
	unsigned		 cancel;
	enum pd_dnscache_status	 status;
} merge_cases[] = {
	{ "one waiter", 1, 0, FOUND },
	{ "two waiters, both called", 2, 0, FOUND },
	{ "two waiters, notfound", 2, 0, NOTFOUND },
	{ "two waiters, tempfail", 2, 0, TEMPFAIL },
	{ "two waiters, the first cancelled", 2, 0x1, FOUND },
	{ "two waiters, the second cancelled", 2, 0x2, FOUND },
	{ "five waiters, the middle one cancelled", 5, 0x4, NOTFOUND },
	{ "all cancelled: the answer is still kept", 3, 0x7, FOUND },
};

START_TEST(test_dnscache_waiters_on_one_name_share_a_query)
{
	const char *name = merge_cases[_i].name;
	enum pd_dnscache_status st = merge_cases[_i].status, got;
	struct pd_dnscache_entry *ask = NULL, *e;
	struct waiter *w[8];
	int i, want;

	for (i = 0; i < merge_cases[_i].n; i++) {
		w[i] = waiter();
		e = lookup("mx.example.org", T0 + i, w[i], &got);
		ck_assert_msg(got == PENDING, "%s: waiter %d: got %d", name, i,
		    got);
		if (i == 0)
			ask = e;
		else
			ck_assert_msg(e == NULL, "%s: waiter %d asks again",
			    name, i);
	}
	ck_assert_ptr_nonnull(ask);
	ck_assert_uint_eq(cache.stats.merged, (uint64_t)merge_cases[_i].n - 1);
	for (i = 0; i < merge_cases[_i].n; i++)
		if (merge_cases[_i].cancel & (1u << i))
			pd_dnscache_cancel(&w[i]->w);
	pd_dnscache_settle(&cache, ask, st, HOUR, T0);
	for (i = 0; i < merge_cases[_i].n; i++) {
		want = merge_cases[_i].cancel & (1u << i) ? 0 : 1;
		ck_assert_msg(w[i]->calls == want, "%s: waiter %d: got %d "
		    "calls, want %d", name, i, w[i]->calls, want);
		ck_assert_msg(!want || w[i]->got == st, "%s: waiter %d: got "
		    "%d, want %d", name, i, w[i]->got, st);
		ck_assert_ptr_null(w[i]->w.entry);
	}
	ck_assert_int_eq(pd_dnscache_peek(&cache, "mx.example.org", T0), st);
}
END_TEST

START_TEST(test_dnscache_cancel_twice_or_after_the_answer_is_a_no_op)
{
	struct waiter *w = waiter(), *v = waiter();
	struct pd_dnscache_entry *e;
	enum pd_dnscache_status got;

	e = lookup("a.example", T0, w, &got);
	lookup("a.example", T0, v, &got);
	pd_dnscache_cancel(&v->w);
	pd_dnscache_cancel(&v->w);
	pd_dnscache_settle(&cache, e, FOUND, HOUR, T0);
	pd_dnscache_cancel(&w->w);
	ck_assert_int_eq(w->calls, 1);
	ck_assert_int_eq(v->calls, 0);
	/* A waiter answered at once never waited: cancelling it is safe. */
	v = waiter();
	ck_assert_ptr_null(lookup("a.example", T0, v, &got));
	ck_assert_int_eq(got, FOUND);
	pd_dnscache_cancel(&v->w);
	ck_assert_int_eq(v->calls, 0);
}
END_TEST

/* look_again - a callback that waits, with the same waiter, for w->name */
static void
look_again(struct waiter *w)
{
	w->then = NULL;
	w->then_ask = lookup(w->name, T0, w, &w->then_got);
}

/* A callback may reuse its own waiter: it then waits on the new name. */
START_TEST(test_dnscache_callback_may_wait_again_with_its_waiter)
{
	struct waiter *w = waiter();
	struct pd_dnscache_entry *e;
	enum pd_dnscache_status got;

	w->then = look_again;
	w->name = "b.example";
	e = lookup("a.example", T0, w, &got);
	pd_dnscache_settle(&cache, e, FOUND, HOUR, T0);
	ck_assert_int_eq(w->calls, 1);
	ck_assert_int_eq(w->then_got, PENDING);
	ck_assert_ptr_nonnull(w->w.entry);
	ck_assert_ptr_nonnull(w->then_ask);
	pd_dnscache_settle(&cache, w->then_ask, NOTFOUND, HOUR, T0);
	ck_assert_int_eq(w->calls, 2);
	ck_assert_int_eq(w->got, NOTFOUND);
}
END_TEST

static void
cancel_other(struct waiter *w)
{
	pd_dnscache_cancel(&w->other->w);
}

/* Whichever is called first cancels the other, which is not called. */
START_TEST(test_dnscache_waiter_cancelled_by_a_callback_is_not_called)
{
	struct waiter *a = waiter(), *b = waiter();
	struct pd_dnscache_entry *e;
	enum pd_dnscache_status got;

	a->then = b->then = cancel_other;
	a->other = b;
	b->other = a;
	e = lookup("a.example", T0, a, &got);
	lookup("a.example", T0, b, &got);
	pd_dnscache_settle(&cache, e, FOUND, HOUR, T0);
	ck_assert_msg(a->calls + b->calls == 1, "calls: a %d, b %d, want 1 "
	    "in all", a->calls, b->calls);
}
END_TEST

/* look_up_name - a callback that looks w->name up for w->other */
static void
look_up_name(struct waiter *w)
{
	enum pd_dnscache_status got;

	lookup(w->name, T0, w->other, &got);
	w->then_got = got;
}

/*
 * With room for one entry, the first callback looks up another name:
 * that evicts the entry being settled.  The second waiter must still
 * be called, and nothing may read the freed entry (ASan, valgrind).
 */
START_TEST(test_dnscache_callback_may_evict_the_entry_being_settled)
{
	struct waiter *a = waiter(), *b = waiter();
	struct pd_dnscache_entry *e;
	enum pd_dnscache_status got;

	fresh(1);
	a->then = b->then = look_up_name;
	a->name = "b.example";
	b->name = "c.example";
	a->other = waiter();
	b->other = waiter();
	e = lookup("a.example", T0, a, &got);
	lookup("a.example", T0, b, &got);
	pd_dnscache_settle(&cache, e, FOUND, HOUR, T0);
	ck_assert_int_eq(a->calls, 1);
	ck_assert_int_eq(b->calls, 1);
	ck_assert_int_eq(a->then_got, PENDING);
	ck_assert_int_eq(b->then_got, PENDING);
	/* a.example made room; both new names are in flight, kept. */
	ck_assert_int_eq(pd_dnscache_peek(&cache, "a.example", T0), PENDING);
	ck_assert_uint_eq(pd_dnscache_count(&cache), 2);
	ck_assert_ptr_nonnull(a->other->w.entry);
	ck_assert_ptr_nonnull(b->other->w.entry);
}
END_TEST

START_TEST(test_dnscache_callback_may_look_up_the_same_name)
{
	struct waiter *a = waiter();
	struct pd_dnscache_entry *e;
	enum pd_dnscache_status got;

	a->then = look_up_name;
	a->name = "a.example";
	a->other = waiter();
	e = lookup("a.example", T0, a, &got);
	pd_dnscache_settle(&cache, e, NOTFOUND, HOUR, T0);
	ck_assert_int_eq(a->then_got, NOTFOUND);
	ck_assert_ptr_null(a->other->w.entry);
	ck_assert_uint_eq(cache.stats.cache_hits, 1);
}
END_TEST

/* The resolver cannot even be asked: the waiter goes, the failure stays. */
START_TEST(test_dnscache_query_not_sent_is_a_tempfail_kept_5_s)
{
	struct waiter *w = waiter(), *v = waiter();
	struct pd_dnscache_entry *e;
	enum pd_dnscache_status got;

	e = lookup("a.example", T0, w, &got);
	pd_dnscache_cancel(&w->w);
	pd_dnscache_settle(&cache, e, TEMPFAIL, 0, T0);
	ck_assert_int_eq(w->calls, 0);
	ck_assert_uint_eq(cache.stats.tempfails, 1);
	ck_assert_ptr_null(lookup("a.example", T0 + 5 * SEC - 1, v, &got));
	ck_assert_int_eq(got, TEMPFAIL);
	ck_assert_ptr_nonnull(lookup("a.example", T0 + 5 * SEC, v, &got));
	ck_assert_int_eq(got, PENDING);
}
END_TEST

/*
 * Eviction scripts, one step a millisecond: "a" looks a.example up and
 * answers it (found, 1 h) unless the cache has it, "+a" looks it up and
 * leaves it in flight, "?a" peeks.  Afterwards the names in kept must
 * be answered from the cache and those in gone must not.
 */
static const struct {
	const char	*name;
	size_t		 max;
	const char	*ops;
	const char	*kept;
	const char	*gone;
	size_t		 count;
} evict_cases[] = {
	{ "the least recent goes", 3, "a b c d", "b c d", "a", 3 },
	{ "a hit makes it recent", 3, "a b c a d", "a c d", "b", 3 },
	{ "a peek makes it recent", 3, "a b c ?a d", "a c d", "b", 3 },
	{ "two new names, two go", 3, "a b c d e", "c d e", "a b", 3 },
	{ "room for one", 1, "a b", "b", "a", 1 },
	{ "room for none keeps the newest", 0, "a b", "b", "a", 1 },
	{ "in flight at the tail stays", 2, "+a b c", "c", "b", 2 },
	{ "all in flight: past the bound", 2, "+a +b +c", "", "", 3 },
	{ "in flight kept, settled go", 3, "a +b c d e", "d e", "a c", 3 },
	{ "a name in flight twice is one entry", 2, "+a +a b", "b", "", 2 },
	{ "below the bound nothing goes", 10, "a b c d e", "a b c d e", "",
	    5 },
};

/* step - look name up; answer it if that asks the resolver */
static void
step(const char *name, int64_t now, bool leave)
{
	struct waiter *w = waiter();
	struct pd_dnscache_entry *e;
	enum pd_dnscache_status got;

	e = lookup(name, now, w, &got);
	if (e != NULL && !leave)
		pd_dnscache_settle(&cache, e, FOUND, HOUR, now);
	ck_assert_msg(leave || w->w.entry == NULL, "%s: still waiting with %d",
	    name, got);
}

static void
run_ops(const char *ops)
{
	char name[64];
	const char *p;
	int64_t now = T0;

	for (p = ops; *p; p++, now++) {
		if (*p == ' ')
			continue;
		if (*p == '?' || *p == '+')
			snprintf(name, sizeof(name), "%c.example", p[1]);
		else
			snprintf(name, sizeof(name), "%c.example", p[0]);
		if (*p == '?')
			pd_dnscache_peek(&cache, name, now);
		else
			step(name, now, *p == '+');
		if (*p == '?' || *p == '+')
			p++;
	}
}

/* check_names - each letter of list is (live) or is not in the cache */
static void
check_names(const char *test, const char *list, bool live)
{
	char name[64];
	enum pd_dnscache_status got;
	const char *p;

	for (p = list; *p; p++) {
		if (*p == ' ')
			continue;
		snprintf(name, sizeof(name), "%c.example", *p);
		got = pd_dnscache_peek(&cache, name, T0 + MIN);
		ck_assert_msg((got == FOUND) == live, "%s: %s: got %d, want %s",
		    test, name, got, live ? "kept" : "gone");
	}
}

START_TEST(test_dnscache_evicts_lru_never_in_flight)
{
	const char *name = evict_cases[_i].name;

	fresh(evict_cases[_i].max);
	run_ops(evict_cases[_i].ops);
	ck_assert_msg(pd_dnscache_count(&cache) == evict_cases[_i].count,
	    "%s: count: got %zu, want %zu", name, pd_dnscache_count(&cache),
	    evict_cases[_i].count);
	check_names(name, evict_cases[_i].gone, false);
	check_names(name, evict_cases[_i].kept, true);
}
END_TEST

/* An expired entry asked again is in flight: eviction skips it. */
START_TEST(test_dnscache_expired_entry_in_flight_again_is_not_evicted)
{
	struct waiter *w = waiter(), *v = waiter();
	struct pd_dnscache_entry *e, *f;
	enum pd_dnscache_status got;

	fresh(1);
	answer("a.example", T0, FOUND, SEC);
	e = lookup("a.example", T0 + 2 * SEC, w, &got);
	ck_assert_ptr_nonnull(e);
	f = lookup("b.example", T0 + 2 * SEC, v, &got);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(pd_dnscache_count(&cache), 2);
	pd_dnscache_settle(&cache, e, NOTFOUND, HOUR, T0 + 3 * SEC);
	ck_assert_int_eq(w->calls, 1);
	ck_assert_int_eq(w->got, NOTFOUND);
	ck_assert_str_eq(pd_dnscache_name(f), "b.example");
	ck_assert_ptr_eq(pd_dnscache_of(f), &cache);
}
END_TEST

/* Names the cache refuses at once, and the longest it takes. */
static const struct {
	size_t			 len;
	enum pd_dnscache_status	 want;
} name_cases[] = {
	{ 0, NOTFOUND },
	{ 1, PENDING },
	{ PD_KEYTAB_KEY_MAX - 1, PENDING },
	{ PD_KEYTAB_KEY_MAX, NOTFOUND },
	{ 1000, NOTFOUND },
};

START_TEST(test_dnscache_name_length_bounds)
{
	char name[1001];
	size_t len = name_cases[_i].len;
	struct waiter *w = waiter();
	struct pd_dnscache_entry *e;
	enum pd_dnscache_status got, want = name_cases[_i].want;

	memset(name, 'a', len);
	name[len] = '\0';
	got = pd_dnscache_peek(&cache, name, T0);
	ck_assert_msg(got == want, "len %zu: peek: got %d, want %d", len, got,
	    want);
	e = lookup(name, T0, w, &got);
	ck_assert_msg(got == want, "len %zu: lookup: got %d, want %d", len,
	    got, want);
	ck_assert_int_eq(e != NULL, want == PENDING);
	ck_assert_int_eq(w->w.entry != NULL, want == PENDING);
	if (e != NULL)
		ck_assert_str_eq(pd_dnscache_name(e), name);
	ck_assert_uint_eq(pd_dnscache_count(&cache), want == PENDING);
}
END_TEST

/* Names are bytes: letter case makes another entry (callers fold). */
START_TEST(test_dnscache_names_are_exact_bytes)
{
	answer("mx.example.org", T0, FOUND, HOUR);
	ck_assert_int_eq(pd_dnscache_peek(&cache, "MX.example.org", T0),
	    PENDING);
	ck_assert_int_eq(pd_dnscache_peek(&cache, "mx.example.org.", T0),
	    PENDING);
	ck_assert_int_eq(pd_dnscache_peek(&cache, "mx.example.org", T0),
	    FOUND);
}
END_TEST

START_TEST(test_dnscache_clear_drops_waiters_without_a_call)
{
	struct waiter *w = waiter(), *v = waiter();
	enum pd_dnscache_status got;

	lookup("a.example", T0, w, &got);
	lookup("a.example", T0, v, &got);
	fresh(10);
	ck_assert_ptr_null(w->w.entry);
	ck_assert_ptr_null(v->w.entry);
	pd_dnscache_cancel(&w->w);
	ck_assert_int_eq(w->calls + v->calls, 0);
}
END_TEST

START_TEST(test_dnscache_counts_lookups_hits_merges_failures)
{
	struct pd_dnscache_entry *e;
	enum pd_dnscache_status got;

	e = lookup("a.example", T0, waiter(), &got);	/* lookup 1 */
	lookup("a.example", T0, waiter(), &got);	/* 2, merged */
	pd_dnscache_peek(&cache, "a.example", T0);	/* in flight: none */
	pd_dnscache_settle(&cache, e, TEMPFAIL, 0, T0);
	lookup("a.example", T0 + 1, waiter(), &got);	/* 3, a hit */
	pd_dnscache_peek(&cache, "a.example", T0 + 2);	/* 4, a hit */
	pd_dnscache_peek(&cache, "b.example", T0 + 2);	/* a miss: none */
	lookup("", T0, waiter(), &got);			/* 5 */
	ck_assert_uint_eq(cache.stats.lookups, 5);
	ck_assert_uint_eq(cache.stats.cache_hits, 2);
	ck_assert_uint_eq(cache.stats.merged, 1);
	ck_assert_uint_eq(cache.stats.tempfails, 1);
}
END_TEST

static Suite *
dnscache_suite(void)
{
	Suite *s = suite_create("dnscache");
	TCase *tc;

	tc = tcase_create("ttl");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_dnscache_answer_kept_for_its_ttl, 0,
	    nitems(ttl_cases));
	tcase_add_test(tc, test_dnscache_expired_entry_takes_the_new_answer);
	tcase_add_test(tc, test_dnscache_query_not_sent_is_a_tempfail_kept_5_s);
	suite_add_tcase(s, tc);

	tc = tcase_create("waiters");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_dnscache_waiters_on_one_name_share_a_query,
	    0, nitems(merge_cases));
	tcase_add_test(tc,
	    test_dnscache_cancel_twice_or_after_the_answer_is_a_no_op);
	tcase_add_test(tc,
	    test_dnscache_waiter_cancelled_by_a_callback_is_not_called);
	tcase_add_test(tc,
	    test_dnscache_callback_may_evict_the_entry_being_settled);
	tcase_add_test(tc, test_dnscache_callback_may_look_up_the_same_name);
	tcase_add_test(tc,
	    test_dnscache_callback_may_wait_again_with_its_waiter);
	tcase_add_test(tc, test_dnscache_clear_drops_waiters_without_a_call);
	suite_add_tcase(s, tc);

	tc = tcase_create("evict");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_dnscache_evicts_lru_never_in_flight, 0,
	    nitems(evict_cases));
	tcase_add_test(tc,
	    test_dnscache_expired_entry_in_flight_again_is_not_evicted);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_dnscache_name_length_bounds, 0,
	    nitems(name_cases));
	tcase_add_test(tc, test_dnscache_names_are_exact_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("stats");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dnscache_counts_lookups_hits_merges_failures);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run(dnscache_suite()) != 0;
}
