/*
 * check_journal - the ring of recent decisions behind "explain".
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "journal.h"
#include "testutil.h"

static void
add(struct pd_journal *j, uint32_t ref)
{
	struct pd_addr a;
	char line[64];

	pd_addr_parse("192.0.2.1", &a);
	snprintf(line, sizeof(line), "action=defer ref=%u", ref);
	pd_journal_add(j, ref, T0 + ref, &a, line, "451 4.7.1 no");
}

START_TEST(test_journal_ring)
{
	struct pd_journal j;

	ck_assert_int_eq(pd_journal_init(&j, 3), 0);
	ck_assert_ptr_null(pd_journal_find(&j, 1));
	for (uint32_t r = 1; r <= 5; r++)
		add(&j, r);
	/* Only the newest three are kept, newest first. */
	ck_assert_ptr_null(pd_journal_find(&j, 2));
	ck_assert_str_eq(pd_journal_find(&j, 3)->line, "action=defer ref=3");
	ck_assert_str_eq(pd_journal_find(&j, 5)->reply, "451 4.7.1 no");
	ck_assert_uint_eq(pd_journal_at(&j, 0)->ref, 5);
	ck_assert_uint_eq(pd_journal_at(&j, 2)->ref, 3);
	ck_assert_ptr_null(pd_journal_at(&j, 3));
	/* Ids are 24 bits, as printed. */
	add(&j, 0x1abcdef);
	ck_assert_uint_eq(pd_journal_find(&j, 0xabcdef)->when, T0 + 0x1abcdef);
	pd_journal_clear(&j);
}
END_TEST

START_TEST(test_journal_resize_keeps_newest)
{
	struct pd_journal j;

	ck_assert_int_eq(pd_journal_init(&j, 4), 0);
	for (uint32_t r = 1; r <= 6; r++)
		add(&j, r);
	ck_assert_int_eq(pd_journal_resize(&j, 2), 0);
	ck_assert_uint_eq(j.n, 2);
	ck_assert_uint_eq(pd_journal_at(&j, 0)->ref, 6);
	ck_assert_uint_eq(pd_journal_at(&j, 1)->ref, 5);
	ck_assert_int_eq(pd_journal_resize(&j, 10), 0);
	add(&j, 7);
	ck_assert_uint_eq(pd_journal_at(&j, 0)->ref, 7);
	ck_assert_uint_eq(pd_journal_at(&j, 2)->ref, 5);
	/* Size 0 keeps nothing, and adding is harmless. */
	ck_assert_int_eq(pd_journal_resize(&j, 0), 0);
	add(&j, 8);
	ck_assert_ptr_null(pd_journal_find(&j, 8));
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
