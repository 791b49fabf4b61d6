/* SPDX-License-Identifier: ISC */
/*
 * check_cause - what replay says a decision came from, and its near
 * misses.  Counts come from a real counter store read with
 * pd_counters_peek at made-up times, so windows slide in milliseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cause.h"
#include "conf.h"
#include "counter.h"
#include "testutil.h"

static struct pd_conf	 *conf;
static struct pd_causes	  cs;
static struct pd_counters store;
static int		  slots[3];

/* Rule 0 "errs": 4 per 1h; rule 1 "wide": 9 per 1h; rule 2 "one": 1. */
static void
setup(void)
{
	conf = tu_conf("rule errs {\n event = rcpt_rejected\n"
		       " limit = 4 per 1h\n block = 1h\n reply = 554 5.7.1 no\n}\n"
		       "rule wide {\n event = rcpt_rejected\n key = client_prefix\n"
		       " limit = 9 per 1h\n block = 1h\n reply = 554 5.7.1 no\n}\n"
		       "rule one {\n event = rcpt_rejected\n"
		       " limit = 1 per 1h\n block = 1h\n reply = 554 5.7.1 no\n}\n");
	ck_assert_int_eq(pd_causes_init(&cs, conf), 0);
	ck_assert_int_eq(pd_counters_init(&store, 1000), 0);
	for (int i = 0; i < 3; i++) {
		slots[i] = pd_counters_slot(&store, conf->rules[i].name,
		    (uint32_t)i, conf->rules[i].window);
		ck_assert_int_ge(slots[i], 0);
	}
}

static void
teardown(void)
{
	pd_counters_clear(&store);
	pd_causes_clear(&cs);
	pd_conf_free(conf);
}

/* line - one line of reason text for rule and key at now, as replay
 * feeds it: counted in the store, then told with the window's count */
static struct pd_cause_key *
line(size_t rule, const char *key, const char *text, const char *code,
    int64_t now)
{
	struct pd_counter *c;
	size_t		   klen = strlen(key);

	c = pd_counters_add(&store, slots[rule], key, klen, now);
	ck_assert_ptr_nonnull(c);
	pd_counters_count(&store, c, now, 1);
	return pd_causes_count(&cs, rule, key, klen,
	    pd_causes_reason(&cs, text, code),
	    pd_counters_peek(&store, c, now), now);
}

/* tally_text - "3 x A (550), 1 x B" */
static const char *
tally_text(const struct pd_cause_tally *t)
{
	static char buf[512];
	size_t	    len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < t->ntop; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "%s%llu x %s%s%s%s", i ? ", " : "",
		    (unsigned long long)t->top[i].n, t->top[i].text,
		    *t->top[i].code ? " (" : "", t->top[i].code,
		    *t->top[i].code ? ")" : "");
	if (t->other)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    ", %llu other", (unsigned long long)t->other);
	if (t->unknown)
		snprintf(buf + len, sizeof(buf) - len, ", %llu unknown",
		    (unsigned long long)t->unknown);
	return buf;
}

START_TEST(test_cause_tally_by_reason)
{
	static const char *const texts[] = { "User unknown", "User unknown",
		"Relay access denied", "User unknown", "try again later" };
	static const char *const codes[] = { "550", "550", "454", "550",
		"450" };
	struct pd_cause_key	*k = NULL;
	struct pd_cause_tally	 t;

	setup();
	for (int i = 0; i < 5; i++)
		k = line(0, "192.0.2.9", texts[i], codes[i], T0 + i * SEC);
	ck_assert_ptr_nonnull(k);
	pd_causes_fired(&cs, k, 5, &t);
	/* Most first; a tie goes to the reason the log showed first. */
	ck_assert_str_eq(tally_text(&t),
	    "3 x User unknown (550), 1 x Relay access denied (454), "
	    "1 x try again later (450)");
	/* The same text with another code is another reason. */
	k = line(0, "192.0.2.10", "User unknown", "450", T0);
	k = line(0, "192.0.2.10", "User unknown", "550", T0);
	pd_causes_fired(&cs, k, 2, &t);
	ck_assert_str_eq(tally_text(&t),
	    "1 x User unknown (550), 1 x User unknown (450)");
	teardown();
}
END_TEST

START_TEST(test_cause_only_lines_in_the_window)
{
	struct pd_cause_key  *k = NULL;
	struct pd_cause_tally t;

	setup();
	/* Two old lines, then five an hour and a half later (of 9/1h). */
	line(1, "192.0.2.0", "Relay access denied", "454", T0);
	line(1, "192.0.2.0", "Relay access denied", "454", T0 + MIN);
	for (int i = 0; i < 5; i++)
		k = line(1, "192.0.2.0", "User unknown", "550",
		    T0 + 90 * MIN + i * SEC);
	pd_causes_fired(&cs, k, 7, &t);
	ck_assert_str_eq(tally_text(&t), "5 x User unknown (550), 2 unknown");
	/* Lines the window no longer holds are not kept either. */
	ck_assert_uint_eq(pd_causes_kept(&cs), 5);
	teardown();
}
END_TEST

START_TEST(test_cause_names_the_top_and_pools_the_rest)
{
	struct pd_cause_key  *k = NULL;
	struct pd_cause_tally t;
	char		      text[32];

	setup();
	/* Seven reasons for a rule of 9: the 7th has 3 lines, 6th 2. */
	for (int i = 0; i < 10; i++) {
		snprintf(text, sizeof(text), "r%d", i < 7 ? i : 6 - (i == 9));
		k = line(1, "198.51.100.0", text, "", T0 + i * SEC);
	}
	pd_causes_fired(&cs, k, 10, &t);
	ck_assert_uint_eq(t.ntop, PD_CAUSE_TOP);
	ck_assert_str_eq(tally_text(&t),
	    "3 x r6, 2 x r5, 1 x r0, 1 x r1, 1 x r2, 2 other");
	teardown();
}
END_TEST

START_TEST(test_cause_lines_bounded_by_the_limit)
{
	struct pd_cause_key  *k = NULL;
	struct pd_cause_tally t;

	setup();
	/* More lines than the limit needs (a decision comes at 5). */
	for (int i = 0; i < 50; i++)
		k = pd_causes_count(&cs, 0, "k", 1,
		    pd_causes_reason(&cs, i < 45 ? "old" : "new", ""),
		    (uint64_t)i + 1, T0 + i);
	ck_assert_uint_eq(pd_causes_kept(&cs), 5);
	/* A count beyond what is kept: the rest is not known. */
	pd_causes_fired(&cs, k, 8, &t);
	ck_assert_str_eq(tally_text(&t), "5 x new, 3 unknown");
	teardown();
}
END_TEST

START_TEST(test_cause_reasons_beyond_the_cap_are_other)
{
	struct pd_cause_key  *k;
	struct pd_cause_tally t;
	char		      text[32];
	unsigned	      id = 0;

	setup();
	for (int i = 1; i < PD_CAUSE_REASONS_MAX; i++) {
		snprintf(text, sizeof(text), "reason %d", i);
		id = pd_causes_reason(&cs, text, "550");
		ck_assert_uint_eq(id, (unsigned)i);
	}
	ck_assert_uint_eq(pd_causes_reason(&cs, "reason 1", "550"), 1);
	ck_assert_uint_eq(pd_causes_reason(&cs, "one too many", "550"), 0);
	k = pd_causes_count(&cs, 0, "k", 1, 0, 1, T0);
	k = pd_causes_count(&cs, 0, "k", 1, id, 2, T0);
	pd_causes_fired(&cs, k, 2, &t);
	ck_assert_str_eq(tally_text(&t), "1 x reason 4095 (550), 1 other");
	teardown();
}
END_TEST

/* Near misses: rule 1 has a limit of 9, so 80% is a peak of 8 (7.2). */
static const struct {
	int  lines; /* within a minute */
	bool fired; /* the rule decided */
	bool near;
} near_cases[] = {
	{ 9, false, true },
	{ 8, false, true },
	{ 7, false, false },
	{ 1, false, false },
	{ 9, true, false },
};

START_TEST(test_cause_near_miss_threshold)
{
	struct pd_cause_near  *nm;
	struct pd_cause_key   *k = NULL;
	struct pd_cause_tally  t;
	size_t		       n;

	setup();
	for (int i = 0; i < near_cases[_i].lines; i++)
		k = line(1, "203.0.113.0", "User unknown", "550", T0 + i * SEC);
	if (near_cases[_i].fired)
		pd_causes_fired(&cs, k, (uint64_t)near_cases[_i].lines, &t);
	ck_assert_int_eq(pd_causes_near(&cs, &nm, &n), 0);
	ck_assert_msg(n == (near_cases[_i].near ? 1u : 0u),
	    "%d lines%s: got %zu near misses, want %d", near_cases[_i].lines,
	    near_cases[_i].fired ? ", fired" : "", n, near_cases[_i].near);
	if (n == 1) {
		ck_assert_uint_eq(nm[0].rule, 1);
		ck_assert_uint_eq(nm[0].peak, (uint64_t)near_cases[_i].lines);
		ck_assert_int_eq(nm[0].at,
		    T0 + (near_cases[_i].lines - 1) * SEC);
		ck_assert_uint_eq(nm[0].klen, 11);
		ck_assert_int_eq(memcmp(nm[0].key, "203.0.113.0", 11), 0);
	}
	free(nm);
	teardown();
}
END_TEST

/* One line is no pattern: a limit of 1 makes no near misses. */
START_TEST(test_cause_single_line_is_no_near_miss)
{
	struct pd_cause_near *nm;
	size_t		      n;

	setup();
	line(2, "192.0.2.1", "User unknown", "550", T0);
	line(2, "192.0.2.2", "User unknown", "550", T0 + SEC);
	ck_assert_int_eq(pd_causes_near(&cs, &nm, &n), 0);
	ck_assert_uint_eq(n, 0);
	free(nm);
	teardown();
}
END_TEST

START_TEST(test_cause_near_misses_sorted_with_peak_time)
{
	struct pd_cause_near *nm;
	size_t		      n;

	setup();
	/* b peaks at 4 of 4 first, a later; c at 8 of 9 in rule 1. */
	for (int i = 0; i < 4; i++)
		line(0, "b", "x", "", T0 + i * MIN);
	for (int i = 0; i < 4; i++)
		line(0, "a", "x", "", T0 + 10 * MIN + i * SEC);
	for (int i = 0; i < 8; i++)
		line(1, "c", "x", "", T0 + 20 * MIN + i * SEC);
	/* b's window slides on: its peak stays what it was. */
	line(0, "b", "x", "", T0 + 2 * HOUR);
	ck_assert_int_eq(pd_causes_near(&cs, &nm, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert(nm[0].rule == 0 && nm[0].key[0] == 'b' && nm[0].peak == 4);
	ck_assert_int_eq(nm[0].at, T0 + 3 * MIN);
	ck_assert(nm[1].rule == 0 && nm[1].key[0] == 'a');
	ck_assert_int_eq(nm[1].at, T0 + 10 * MIN + 3 * SEC);
	ck_assert(nm[2].rule == 1 && nm[2].key[0] == 'c' && nm[2].peak == 8);
	free(nm);
	teardown();
}
END_TEST

START_TEST(test_cause_expire_keeps_what_is_reported)
{
	struct pd_cause_near  *nm;
	struct pd_cause_key   *k = NULL;
	struct pd_cause_tally  t;
	size_t		       n;

	setup();
	line(0, "quiet", "x", "", T0);		   /* 1 of 4: forgotten */
	for (int i = 0; i < 4; i++)		   /* 4 of 4: a near miss */
		line(0, "near", "x", "", T0 + i);
	for (int i = 0; i < 5; i++)		   /* decided */
		k = line(0, "fired", "x", "", T0 + i);
	pd_causes_fired(&cs, k, 5, &t);
	line(0, "busy", "x", "", T0 + 90 * MIN);   /* still in its window */
	ck_assert_uint_eq(pd_causes_keys(&cs), 4);
	/* Not yet two windows since: nothing goes. */
	pd_causes_expire(&cs, T0 + 2 * HOUR);
	ck_assert_uint_eq(pd_causes_keys(&cs), 4);
	ck_assert_uint_eq(pd_causes_kept(&cs), 11);
	pd_causes_expire(&cs, T0 + 2 * HOUR + SEC);
	ck_assert_uint_eq(pd_causes_keys(&cs), 3);
	ck_assert_uint_eq(pd_causes_kept(&cs), 1);
	/* The decided key is still no near miss; the near one is one. */
	ck_assert_int_eq(pd_causes_near(&cs, &nm, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(memcmp(nm[0].key, "near", 4), 0);
	free(nm);
	/* A key whose lines were given back counts again from nothing. */
	k = line(0, "near", "y", "", T0 + 3 * HOUR);
	pd_causes_fired(&cs, k, 1, &t);
	ck_assert_str_eq(tally_text(&t), "1 x y");
	teardown();
}
END_TEST

static Suite *
cause_suite(void)
{
	Suite *s = suite_create("cause");
	TCase *tc = tcase_create("cause");

	tcase_add_test(tc, test_cause_tally_by_reason);
	tcase_add_test(tc, test_cause_only_lines_in_the_window);
	tcase_add_test(tc, test_cause_names_the_top_and_pools_the_rest);
	tcase_add_test(tc, test_cause_lines_bounded_by_the_limit);
	tcase_add_test(tc, test_cause_reasons_beyond_the_cap_are_other);
	tcase_add_loop_test(tc, test_cause_near_miss_threshold, 0,
	    nitems(near_cases));
	tcase_add_test(tc, test_cause_near_misses_sorted_with_peak_time);
	tcase_add_test(tc, test_cause_single_line_is_no_near_miss);
	tcase_add_test(tc, test_cause_expire_keeps_what_is_reported);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(cause_suite()) != 0;
}
