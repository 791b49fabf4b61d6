/* SPDX-License-Identifier: ISC */
/*
 * check_journal - the ring of recent decisions behind "explain".
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "buf.h"
#include "decision.h"
#include "journal.h"
#include "testutil.h"

static void
add(struct pd_journal *j, uint32_t ref)
{
	struct pd_decision d;

	pd_decision_dunno(&d, T0 + ref);
	d.act = PD_ACT_DEFER;
	d.ref = ref;
	pd_addr_parse("192.0.2.1", &d.client);
	snprintf(d.rule, sizeof(d.rule), "rule%u", ref);
	snprintf(d.reply, sizeof(d.reply), "451 4.7.1 no");
	d.counted = true;
	d.count = ref;
	d.limit = 3;
	d.window = 3600 * 1000;
	pd_journal_add(j, &d);
}

/* ref_at - the ref of the i-th newest decision, 0 past the end */
static uint32_t
ref_at(const struct pd_journal *j, size_t i)
{
	struct pd_decision d;

	return pd_journal_at(j, i, &d) ? d.ref : 0;
}

START_TEST(test_journal_ring)
{
	struct pd_journal j;
	struct pd_decision d;

	ck_assert_int_eq(pd_journal_init(&j, 3), 0);
	ck_assert(!pd_journal_find(&j, 1, &d));
	for (uint32_t r = 1; r <= 5; r++)
		add(&j, r);
	/* Only the newest three are kept, newest first. */
	ck_assert(!pd_journal_find(&j, 2, &d));
	ck_assert(pd_journal_find(&j, 3, &d));
	ck_assert_str_eq(d.rule, "rule3");
	ck_assert_uint_eq(d.count, 3);
	ck_assert(pd_journal_find(&j, 5, &d));
	ck_assert_str_eq(d.reply, "451 4.7.1 no");
	ck_assert_int_eq(d.act, PD_ACT_DEFER);
	ck_assert_uint_eq(ref_at(&j, 0), 5);
	ck_assert_uint_eq(ref_at(&j, 2), 3);
	ck_assert_uint_eq(ref_at(&j, 3), 0);
	ck_assert_ptr_null(pd_journal_client(&j, 3));
	/* Ids are 24 bits, as printed. */
	add(&j, 0x1abcdef);
	ck_assert(pd_journal_find(&j, 0xabcdef, &d));
	ck_assert_int_eq(d.when, T0 + 0x1abcdef);
	pd_journal_clear(&j);
}
END_TEST

START_TEST(test_journal_keeps_fields)
{
	struct pd_journal j;
	struct pd_decision d, got;
	struct pd_buf a, b;

	/* Every field, strings at their longest, comes back as it went in. */
	memset(&d, 0, sizeof(d));
	d.act = PD_ACT_REJECT;
	d.warn = d.from_log = d.counted = d.scored = d.has_reason = true;
	d.ref = 0x7f3a2c;
	d.when = T0;
	pd_addr_parse("2001:db8::1", &d.client);
	memcpy(d.country, "DE", 3);
	d.asn = 64500;
	d.count = 1001;
	d.limit = 1000;
	d.window = 3600 * 1000;
	d.delay = 5000;
	d.score = 7;
	d.expires = T0 + 3600 * 1000;
	memset(d.rule, 'r', sizeof(d.rule) - 1);
	memset(d.key, 'k', sizeof(d.key) - 1);
	snprintf(d.helo, sizeof(d.helo), "mx.example.net");
	snprintf(d.state, sizeof(d.state), "RCPT");
	snprintf(d.reasons, sizeof(d.reasons), "a,b");
	snprintf(d.reason, sizeof(d.reason), "with \"quotes\" and spaces");
	memset(d.reply, 'y', sizeof(d.reply) - 1);
	ck_assert_int_eq(pd_journal_init(&j, 2), 0);
	pd_journal_add(&j, &d);
	ck_assert(pd_journal_at(&j, 0, &got));
	ck_assert_str_eq(got.rule, d.rule);
	ck_assert_str_eq(got.key, d.key);
	ck_assert_str_eq(got.reply, d.reply);
	ck_assert_str_eq(got.reason, d.reason);
	ck_assert_int_eq(got.expires, d.expires);
	/* And so its log line is the same line. */
	pd_buf_init(&a, 1 << 16);
	pd_buf_init(&b, 1 << 16);
	ck_assert_str_eq(pd_decision_line(&got, &a), pd_decision_line(&d, &b));
	ck_assert(strstr(pd_buf_str(&a), " country=DE asn=64500 ") != NULL);
	pd_buf_clear(&a);
	pd_buf_clear(&b);
	pd_journal_clear(&j);
}
END_TEST

START_TEST(test_journal_resize_keeps_newest)
{
	struct pd_journal j;
	struct pd_decision d;

	ck_assert_int_eq(pd_journal_init(&j, 4), 0);
	for (uint32_t r = 1; r <= 6; r++)
		add(&j, r);
	ck_assert_int_eq(pd_journal_resize(&j, 2), 0);
	ck_assert_uint_eq(j.n, 2);
	ck_assert_uint_eq(ref_at(&j, 0), 6);
	ck_assert_uint_eq(ref_at(&j, 1), 5);
	ck_assert_int_eq(pd_journal_resize(&j, 10), 0);
	add(&j, 7);
	ck_assert_uint_eq(ref_at(&j, 0), 7);
	ck_assert_uint_eq(ref_at(&j, 2), 5);
	/* Size 0 keeps nothing, and adding is harmless. */
	ck_assert_int_eq(pd_journal_resize(&j, 0), 0);
	add(&j, 8);
	ck_assert(!pd_journal_find(&j, 8, &d));
	pd_journal_clear(&j);
}
END_TEST

START_TEST(test_journal_parse_ref)
{
	uint32_t r = 0;

	ck_assert_int_eq(pd_journal_parse_ref("PD-7F3A2C", &r), 0);
	ck_assert_uint_eq(r, 0x7f3a2c);
	ck_assert_int_eq(pd_journal_parse_ref("pd-00000a", &r), 0);
	ck_assert_uint_eq(r, 10);
	ck_assert_int_eq(pd_journal_parse_ref("PD-7F3A2", &r), -1);
	ck_assert_int_eq(pd_journal_parse_ref("PD-7F3A2CD", &r), -1);
	ck_assert_int_eq(pd_journal_parse_ref("PD-7G3A2C", &r), -1);
	ck_assert_int_eq(pd_journal_parse_ref("7F3A2C", &r), -1);
	ck_assert_int_eq(pd_journal_parse_ref("", &r), -1);
}
END_TEST

static Suite *
journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("journal");

	tcase_add_test(tc, test_journal_ring);
	tcase_add_test(tc, test_journal_keeps_fields);
	tcase_add_test(tc, test_journal_resize_keeps_newest);
	tcase_add_test(tc, test_journal_parse_ref);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(journal_suite()) != 0;
}
