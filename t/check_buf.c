/* SPDX-License-Identifier: ISC */
/*
 * check_buf - the growable buffer: its hard maximum, growth, consume,
 * reset, the key=value writer, and the NUL that always follows the data.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "buf.h"
#include "str.h"
#include "testutil.h"


/* assert_sound - the invariants every operation keeps */
static void
assert_sound(const char *name, const struct pd_buf *b)
{
	ck_assert_msg(b->len <= b->max, "%s: len %zu past max %zu", name,
	    b->len, b->max);
	if (b->data == NULL) {
		ck_assert_msg(b->len == 0, "%s: len %zu without data", name,
		    b->len);
		return;
	}
	ck_assert_msg(b->len < b->cap, "%s: len %zu leaves no room for NUL "
	    "in cap %zu", name, b->len, b->cap);
	ck_assert_msg(b->cap <= b->max + 1, "%s: cap %zu past max + 1 (%zu)",
	    name, b->cap, b->max + 1);
	ck_assert_msg(b->data[b->len] == '\0', "%s: no NUL at len %zu", name,
	    b->len);
}

static const struct {
	const char	*name;
	size_t		 max;
	const char	*first;
	const char	*second;
	int		 want_rc;	/* of the second append */
	const char	*want;
} max_cases[] = {
	{ "exactly max at once", 8, "", "12345678", 0, "12345678" },
	{ "exactly max in two", 8, "1234", "5678", 0, "12345678" },
	{ "one past max at once", 8, "", "123456789", -1, "" },
	{ "one past max in two", 8, "1234567", "89", -1, "1234567" },
	{ "one byte into a full buffer", 8, "12345678", "9", -1, "12345678" },
	{ "nothing into a full buffer", 8, "12345678", "", 0, "12345678" },
	{ "max zero takes nothing", 0, "", "x", -1, "" },
	{ "max zero takes empty", 0, "", "", 0, "" },
	{ "max 100 filled", 100,
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789",
	    "01234567890123456789", 0,
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789"
	    "01234567890123456789" },
	{ "max 100 plus one", 100,
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789",
	    "012345678901234567890", -1,
	    "0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789" },
};

START_TEST(test_buf_append_stops_at_max)
{
	const char *name = max_cases[_i].name;
	struct pd_buf b;
	int rc;

	pd_buf_init(&b, max_cases[_i].max);
	ck_assert_int_eq(pd_buf_puts(&b, max_cases[_i].first), 0);
	rc = pd_buf_append(&b, max_cases[_i].second,
	    strlen(max_cases[_i].second));
	ck_assert_msg(rc == max_cases[_i].want_rc, "%s: got %d, want %d",
	    name, rc, max_cases[_i].want_rc);
	ck_assert_msg(strcmp(pd_buf_str(&b), max_cases[_i].want) == 0,
	    "%s: got \"%s\", want \"%s\"", name, pd_buf_str(&b),
	    max_cases[_i].want);
	ck_assert_msg(b.len == strlen(max_cases[_i].want),
	    "%s: len: got %zu, want %zu", name, b.len,
	    strlen(max_cases[_i].want));
	assert_sound(name, &b);
	pd_buf_clear(&b);
}
END_TEST

START_TEST(test_buf_putc_stops_at_max)
{
	struct pd_buf b;
	int i;

	pd_buf_init(&b, 3);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(pd_buf_putc(&b, 'a' + i), 0);
	ck_assert_int_eq(pd_buf_putc(&b, 'x'), -1);
	ck_assert_str_eq(pd_buf_str(&b), "abc");
	assert_sound("putc", &b);
	pd_buf_clear(&b);
}
END_TEST

START_TEST(test_buf_reserve_refuses_past_max)
{
	struct pd_buf b;

	pd_buf_init(&b, 100);
	ck_assert_int_eq(pd_buf_reserve(&b, 101), -1);
	ck_assert_int_eq(pd_buf_reserve(&b, SIZE_MAX), -1);
	ck_assert_int_eq(pd_buf_puts(&b, "abc"), 0);
	ck_assert_int_eq(pd_buf_reserve(&b, SIZE_MAX - 1), -1);
	ck_assert_int_eq(pd_buf_reserve(&b, 98), -1);
	ck_assert_int_eq(pd_buf_reserve(&b, 97), 0);
	ck_assert_msg(b.cap >= 101, "cap: got %zu, want >= 101", b.cap);
	ck_assert_str_eq(pd_buf_str(&b), "abc");
	assert_sound("reserve", &b);
	pd_buf_clear(&b);
}
END_TEST

static const struct {
	const char	*name;
	size_t		 max;
	const char	*prefix;
	const char	*arg;
	int		 want_rc;
	const char	*want;
} printf_max_cases[] = {
	{ "fits", 10, "abc", "1234567", 0, "abc1234567" },
	{ "one past max", 10, "abc", "12345678", -1, "abc" },
	{ "far past max", 10, "abc", "1234567890123456789012345678901234567890"
	    "12345678901234567890123456789012345678901234567890", -1, "abc" },
	{ "into an empty buffer", 5, "", "123456", -1, "" },
	{ "past the first allocation", 1000, "x",
	    "1234567890123456789012345678901234567890"
	    "1234567890123456789012345678901234567890", 0,
	    "x1234567890123456789012345678901234567890"
	    "1234567890123456789012345678901234567890" },
	{ "past max after growing", 70, "x",
	    "1234567890123456789012345678901234567890"
	    "1234567890123456789012345678901234567890", -1, "x" },
};

START_TEST(test_buf_printf_past_max_leaves_content)
{
	const char *name = printf_max_cases[_i].name;
	struct pd_buf b;
	int rc;

	pd_buf_init(&b, printf_max_cases[_i].max);
	ck_assert_int_eq(pd_buf_puts(&b, printf_max_cases[_i].prefix), 0);
	rc = pd_buf_printf(&b, "%s", printf_max_cases[_i].arg);
	ck_assert_msg(rc == printf_max_cases[_i].want_rc,
	    "%s: got %d, want %d", name, rc, printf_max_cases[_i].want_rc);
	ck_assert_msg(strcmp(pd_buf_str(&b), printf_max_cases[_i].want) == 0,
	    "%s: got \"%s\", want \"%s\"", name, pd_buf_str(&b),
	    printf_max_cases[_i].want);
	ck_assert_msg(b.len == strlen(printf_max_cases[_i].want),
	    "%s: len: got %zu, want %zu", name, b.len,
	    strlen(printf_max_cases[_i].want));
	assert_sound(name, &b);
	pd_buf_clear(&b);
}
END_TEST

/* lost counts what did not fit, so a cut answer can say how large */
START_TEST(test_buf_lost_counts_refused_bytes)
{
	struct pd_buf b;

	pd_buf_init(&b, 8);
	ck_assert_int_eq(pd_buf_puts(&b, "12345"), 0);
	ck_assert_uint_eq(b.lost, 0);
	ck_assert_int_eq(pd_buf_puts(&b, "6789"), -1);
	ck_assert_int_eq(pd_buf_printf(&b, "%s", "abcdef"), -1);
	ck_assert_uint_eq(b.lost, 10);
	ck_assert_str_eq(pd_buf_str(&b), "12345");
	pd_buf_reset(&b);
	ck_assert_uint_eq(b.lost, 0);
	pd_buf_clear(&b);
}
END_TEST

START_TEST(test_buf_printf_grows_beyond_first_cap)
{
	char want[8192], *w = want;
	struct pd_buf b;
	size_t first_cap;
	int i;

	pd_buf_init(&b, 65536);
	ck_assert_int_eq(pd_buf_printf(&b, "%d", 0), 0);
	first_cap = b.cap;
	w += snprintf(w, sizeof(want), "%d", 0);
	for (i = 1; i < 1000; i++) {
		ck_assert_int_eq(pd_buf_printf(&b, ",%d", i), 0);
		w += snprintf(w, sizeof(want) - (size_t)(w - want), ",%d", i);
	}
	ck_assert_msg(b.cap > first_cap, "cap: got %zu, want more than %zu",
	    b.cap, first_cap);
	ck_assert_msg(b.len == strlen(want), "len: got %zu, want %zu", b.len,
	    strlen(want));
	ck_assert_str_eq(pd_buf_str(&b), want);
	assert_sound("printf growth", &b);
	pd_buf_clear(&b);
}
END_TEST

START_TEST(test_buf_printf_one_call_larger_than_cap)
{
	char want[3001];
	struct pd_buf b;

	memset(want, 'q', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	pd_buf_init(&b, 4096);
	ck_assert_int_eq(pd_buf_puts(&b, "<"), 0);
	ck_assert_int_eq(pd_buf_printf(&b, "%s>", want), 0);
	ck_assert_uint_eq(b.len, 3002);
	ck_assert_int_eq(b.data[0], '<');
	ck_assert_int_eq(memcmp(b.data + 1, want, 3000), 0);
	ck_assert_int_eq(b.data[3001], '>');
	assert_sound("one large printf", &b);
	pd_buf_clear(&b);
}
END_TEST

static const struct {
	const char	*name;
	const char	*in;
	size_t		 n;
	const char	*want;
} consume_cases[] = {
	{ "nothing", "hello world", 0, "hello world" },
	{ "front word", "hello world", 6, "world" },
	{ "all but one", "hello world", 10, "d" },
	{ "exactly all", "hello world", 11, "" },
	{ "more than all", "hello world", 100, "" },
	{ "a request line", "name=value\nrest=1\n", 11, "rest=1\n" },
};

START_TEST(test_buf_consume_drops_front)
{
	const char *name = consume_cases[_i].name;
	struct pd_buf b;

	pd_buf_init(&b, 1024);
	ck_assert_int_eq(pd_buf_puts(&b, consume_cases[_i].in), 0);
	pd_buf_consume(&b, consume_cases[_i].n);
	ck_assert_msg(strcmp(pd_buf_str(&b), consume_cases[_i].want) == 0,
	    "%s: got \"%s\", want \"%s\"", name, pd_buf_str(&b),
	    consume_cases[_i].want);
	ck_assert_msg(b.len == strlen(consume_cases[_i].want),
	    "%s: len: got %zu, want %zu", name, b.len,
	    strlen(consume_cases[_i].want));
	assert_sound(name, &b);
	/* The room freed at the front can be used again. */
	ck_assert_int_eq(pd_buf_puts(&b, "+"), 0);
	ck_assert_uint_eq(b.len, strlen(consume_cases[_i].want) + 1);
	ck_assert_int_eq(b.data[b.len - 1], '+');
	pd_buf_clear(&b);
}
END_TEST

START_TEST(test_buf_consume_frees_room_below_max)
{
	struct pd_buf b;

	pd_buf_init(&b, 8);
	ck_assert_int_eq(pd_buf_puts(&b, "abcdefgh"), 0);
	ck_assert_int_eq(pd_buf_putc(&b, 'i'), -1);
	pd_buf_consume(&b, 3);
	ck_assert_int_eq(pd_buf_puts(&b, "ijk"), 0);
	ck_assert_str_eq(pd_buf_str(&b), "defghijk");
	ck_assert_int_eq(pd_buf_putc(&b, 'l'), -1);
	assert_sound("consume then append", &b);
	pd_buf_clear(&b);
}
END_TEST

START_TEST(test_buf_reset_keeps_memory)
{
	struct pd_buf b;
	size_t cap;
	char *data;

	pd_buf_init(&b, 1024);
	ck_assert_int_eq(pd_buf_puts(&b, "some text"), 0);
	data = b.data;
	cap = b.cap;
	pd_buf_reset(&b);
	ck_assert_ptr_eq(b.data, data);
	ck_assert_uint_eq(b.cap, cap);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(pd_buf_str(&b), "");
	assert_sound("reset", &b);
	ck_assert_int_eq(pd_buf_puts(&b, "new"), 0);
	ck_assert_str_eq(pd_buf_str(&b), "new");
	pd_buf_clear(&b);
}
END_TEST

START_TEST(test_buf_clear_frees_and_allows_reuse)
{
	struct pd_buf b;

	pd_buf_init(&b, 4);
	ck_assert_int_eq(pd_buf_puts(&b, "abcd"), 0);
	pd_buf_clear(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
	ck_assert_str_eq(pd_buf_str(&b), "");
	/* The maximum survives clear. */
	ck_assert_int_eq(pd_buf_puts(&b, "abcde"), -1);
	ck_assert_int_eq(pd_buf_puts(&b, "wxyz"), 0);
	ck_assert_str_eq(pd_buf_str(&b), "wxyz");
	pd_buf_clear(&b);
}
END_TEST

START_TEST(test_buf_unused_is_empty_string)
{
	struct pd_buf b;

	pd_buf_init(&b, 16);
	ck_assert_str_eq(pd_buf_str(&b), "");
	pd_buf_reset(&b);
	pd_buf_consume(&b, 5);
	ck_assert_str_eq(pd_buf_str(&b), "");
	ck_assert_uint_eq(b.len, 0);
	/* An empty append still gives a terminated string. */
	ck_assert_int_eq(pd_buf_append(&b, "", 0), 0);
	ck_assert_ptr_nonnull(b.data);
	assert_sound("empty append", &b);
	pd_buf_clear(&b);
	pd_buf_clear(&b);
}
END_TEST

START_TEST(test_buf_nul_follows_data_after_every_call)
{
	struct pd_buf b;

	pd_buf_init(&b, 16);
	ck_assert_int_eq(pd_buf_append(&b, "ab\0cd", 5), 0);
	ck_assert_uint_eq(b.len, 5);
	assert_sound("append with a NUL inside", &b);
	ck_assert_int_eq(pd_buf_putc(&b, 'e'), 0);
	assert_sound("putc", &b);
	ck_assert_int_eq(pd_buf_printf(&b, "%d", 42), 0);
	assert_sound("printf", &b);
	ck_assert_int_eq(pd_buf_printf(&b, "%s", "0123456789"), -1);
	assert_sound("failed printf", &b);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_int_eq(memcmp(b.data, "ab\0cde42", 9), 0);
	ck_assert_int_eq(pd_buf_puts(&b, "0123456789"), -1);
	assert_sound("failed puts", &b);
	pd_buf_consume(&b, 3);
	assert_sound("consume", &b);
	ck_assert_int_eq(memcmp(b.data, "cde42", 6), 0);
	ck_assert_int_eq(pd_buf_kv(&b, "k", "v"), 0);
	assert_sound("kv", &b);
	ck_assert_str_eq(pd_buf_str(&b), "cde42 k=v");
	pd_buf_reset(&b);
	assert_sound("reset", &b);
	pd_buf_clear(&b);
}
END_TEST

static const struct {
	const char	*name;
	const char	*key;
	const char	*value;
	const char	*want;
} kv_cases[] = {
	{ "plain", "client", "192.0.2.1", " client=192.0.2.1" },
	{ "empty is quoted", "helo", "", " helo=\"\"" },
	{ "space is quoted", "text", "a b", " text=\"a b\"" },
	{ "leading space is quoted", "text", " a", " text=\" a\"" },
	{ "quote is replaced", "v", "say \"hi\" now", " v=\"say 'hi' now\"" },
	{ "quote alone is quoted", "v", "a\"b", " v=\"a'b\"" },
	{ "single quote kept", "v", "it's", " v=it's" },
	{ "equals kept", "v", "a=b", " v=a=b" },
	{ "newline masked", "v", "a\nb", " v=a?b" },
	{ "tab masked, not quoted", "v", "a\tb", " v=a?b" },
	{ "line injection masked", "v", "x\r\nfake=1", " v=x??fake=1" },
	{ "DEL masked", "v", "a\x7f", " v=a?" },
	{ "high bytes masked", "v", "caf\xc3\xa9", " v=caf??" },
	{ "control and space", "v", "a\x01 b", " v=\"a? b\"" },
};

START_TEST(test_buf_kv_quotes_and_masks)
{
	const char *name = kv_cases[_i].name;
	struct pd_buf b;

	pd_buf_init(&b, 1024);
	ck_assert_int_eq(pd_buf_kv(&b, kv_cases[_i].key, kv_cases[_i].value),
	    0);
	ck_assert_msg(strcmp(pd_buf_str(&b), kv_cases[_i].want) == 0,
	    "%s: got \"%s\", want \"%s\"", name, pd_buf_str(&b),
	    kv_cases[_i].want);
	assert_sound(name, &b);
	pd_buf_clear(&b);
}
END_TEST

START_TEST(test_buf_kv_cuts_long_values)
{
	char value[PD_STR_VALUE_MAX + 100], want[PD_STR_VALUE_MAX + 10];
	struct pd_buf b;

	memset(value, 'x', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	snprintf(want, sizeof(want), " v=%.*s", PD_STR_VALUE_MAX, value);
	pd_buf_init(&b, 4096);
	ck_assert_int_eq(pd_buf_kv(&b, "v", value), 0);
	ck_assert_uint_eq(b.len, 3 + PD_STR_VALUE_MAX);
	ck_assert_str_eq(pd_buf_str(&b), want);
	pd_buf_clear(&b);
}
END_TEST

START_TEST(test_buf_kv_appends_pairs)
{
	struct pd_buf b;

	pd_buf_init(&b, 1024);
	ck_assert_int_eq(pd_buf_puts(&b, "decision"), 0);
	ck_assert_int_eq(pd_buf_kv(&b, "rule", "conn-rate"), 0);
	ck_assert_int_eq(pd_buf_kv(&b, "helo", ""), 0);
	ck_assert_int_eq(pd_buf_kv(&b, "text", "451 4.7.1 slow down"), 0);
	ck_assert_str_eq(pd_buf_str(&b),
	    "decision rule=conn-rate helo=\"\" text=\"451 4.7.1 slow down\"");
	pd_buf_clear(&b);
}
END_TEST

START_TEST(test_buf_kv_past_max_leaves_content)
{
	struct pd_buf b;

	pd_buf_init(&b, 10);
	ck_assert_int_eq(pd_buf_puts(&b, "abc"), 0);
	ck_assert_int_eq(pd_buf_kv(&b, "key", "value"), -1);
	ck_assert_str_eq(pd_buf_str(&b), "abc");
	ck_assert_uint_eq(b.len, 3);
	assert_sound("kv past max", &b);
	pd_buf_clear(&b);
}
END_TEST

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc;

	tc = tcase_create("max");
	tcase_add_loop_test(tc, test_buf_append_stops_at_max, 0,
	    nitems(max_cases));
	tcase_add_test(tc, test_buf_putc_stops_at_max);
	tcase_add_test(tc, test_buf_reserve_refuses_past_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("printf");
	tcase_add_loop_test(tc, test_buf_printf_past_max_leaves_content, 0,
	    nitems(printf_max_cases));
	tcase_add_test(tc, test_buf_lost_counts_refused_bytes);
	tcase_add_test(tc, test_buf_printf_grows_beyond_first_cap);
	tcase_add_test(tc, test_buf_printf_one_call_larger_than_cap);
	suite_add_tcase(s, tc);

	tc = tcase_create("consume");
	tcase_add_loop_test(tc, test_buf_consume_drops_front, 0,
	    nitems(consume_cases));
	tcase_add_test(tc, test_buf_consume_frees_room_below_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("reset");
	tcase_add_test(tc, test_buf_reset_keeps_memory);
	tcase_add_test(tc, test_buf_clear_frees_and_allows_reuse);
	tcase_add_test(tc, test_buf_unused_is_empty_string);
	suite_add_tcase(s, tc);

	tc = tcase_create("nul");
	tcase_add_test(tc, test_buf_nul_follows_data_after_every_call);
	suite_add_tcase(s, tc);

	tc = tcase_create("kv");
	tcase_add_loop_test(tc, test_buf_kv_quotes_and_masks, 0,
	    nitems(kv_cases));
	tcase_add_test(tc, test_buf_kv_cuts_long_values);
	tcase_add_test(tc, test_buf_kv_appends_pairs);
	tcase_add_test(tc, test_buf_kv_past_max_leaves_content);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run(buf_suite()) != 0;
}
