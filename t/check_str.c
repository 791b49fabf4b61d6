/* SPDX-License-Identifier: ISC */
/*
 * check_str - sanitising, the integer, duration and boolean parsers,
 * and the duration and time formatters.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "err.h"
#include "str.h"
#include "testutil.h"


static const struct {
	const char	*name;
	const char	*in;
	size_t		 inlen;		/* 0: strlen(in) */
	size_t		 dstsz;
	const char	*want;
} sanitize_cases[] = {
	{ "printable kept", "Hello, World! ~{}", 0, 64, "Hello, World! ~{}" },
	{ "space kept", " ", 0, 64, " " },
	{ "control chars", "a\x01" "b\x1f" "c", 0, 64, "a?b?c" },
	{ "line ends and tab", "a\r\n\tb", 0, 64, "a???b" },
	{ "DEL", "x\x7fy", 0, 64, "x?y" },
	{ "high bytes", "\x80\xff\xc3\xa9", 0, 64, "????" },
	{ "NUL inside srclen", "a\0b", 3, 64, "a?b" },
	{ "srclen shorter than text", "abcdef", 2, 64, "ab" },
	{ "exact fit", "abc", 0, 4, "abc" },
	{ "truncated", "abcdef", 0, 4, "abc" },
	{ "truncated after masking", "\n\n\n\n\n", 0, 3, "??" },
	{ "room for NUL only", "abc", 0, 1, "" },
	{ "empty", "", 0, 8, "" },
};

START_TEST(test_str_sanitize_masks_and_truncates)
{
	const char *name = sanitize_cases[_i].name;
	size_t inlen = sanitize_cases[_i].inlen, dstsz, n;
	char dst[80];

	if (inlen == 0)
		inlen = strlen(sanitize_cases[_i].in);
	dstsz = sanitize_cases[_i].dstsz;
	memset(dst, '#', sizeof(dst));
	n = pd_str_sanitize(dst, dstsz, sanitize_cases[_i].in, inlen);
	ck_assert_msg(strcmp(dst, sanitize_cases[_i].want) == 0,
	    "%s: got \"%s\", want \"%s\"", name, dst,
	    sanitize_cases[_i].want);
	ck_assert_msg(n == strlen(sanitize_cases[_i].want),
	    "%s: got %zu, want %zu", name, n,
	    strlen(sanitize_cases[_i].want));
	ck_assert_msg(dst[dstsz] == '#', "%s: wrote past dstsz", name);
}
END_TEST

START_TEST(test_str_sanitize_maps_every_byte)
{
	char src[256], dst[257];
	int c;

	for (c = 0; c < 256; c++)
		src[c] = (char)c;
	ck_assert_uint_eq(pd_str_sanitize(dst, sizeof(dst), src, 256), 256);
	for (c = 0; c < 256; c++) {
		char want = c >= 0x20 && c < 0x7f ? (char)c : '?';

		ck_assert_msg(dst[c] == want, "byte 0x%02x: got 0x%02x, want "
		    "0x%02x", c, (unsigned char)dst[c], (unsigned char)want);
	}
	ck_assert_int_eq(dst[256], '\0');
}
END_TEST

static const struct {
	const char	*name;
	const char	*in;
	long long	 min, max;
	int		 want_rc;
	long long	 want;
} int_cases[] = {
	{ "zero", "0", 0, 10, 0, 0 },
	{ "max is inclusive", "10", 0, 10, 0, 10 },
	{ "min is inclusive", "-10", -10, 10, 0, -10 },
	{ "negative", "-5", -10, 10, 0, -5 },
	{ "leading zeros are decimal", "010", 0, 100, 0, 10 },
	{ "llong max", "9223372036854775807", LLONG_MIN, LLONG_MAX, 0,
	    LLONG_MAX },
	{ "llong min", "-9223372036854775808", LLONG_MIN, LLONG_MAX, 0,
	    LLONG_MIN },
	{ "above max", "11", 0, 10, -1, 0 },
	{ "below min", "-1", 0, 10, -1, 0 },
	{ "overflow by one", "9223372036854775808", LLONG_MIN, LLONG_MAX, -1,
	    0 },
	{ "overflow", "99999999999999999999", LLONG_MIN, LLONG_MAX, -1, 0 },
	{ "negative overflow", "-99999999999999999999", LLONG_MIN, LLONG_MAX,
	    -1, 0 },
	{ "empty", "", 0, 10, -1, 0 },
	{ "leading space", " 1", 0, 10, -1, 0 },
	{ "leading tab", "\t1", 0, 10, -1, 0 },
	{ "trailing space", "1 ", 0, 10, -1, 0 },
	{ "trailing garbage", "1x", 0, 10, -1, 0 },
	{ "letters", "x", 0, 10, -1, 0 },
	{ "minus alone", "-", 0, 10, -1, 0 },
	{ "hex", "0x10", 0, 100, -1, 0 },
	{ "fraction", "1.5", 0, 10, -1, 0 },
	{ "exponent", "1e3", 0, 10000, -1, 0 },
};

START_TEST(test_str_int_range_and_garbage)
{
	const char *name = int_cases[_i].name;
	struct pd_err err;
	long long v = 12345;
	int rc;

	err.msg[0] = '\0';
	rc = pd_str_int(int_cases[_i].in, int_cases[_i].min,
	    int_cases[_i].max, &v, &err);
	ck_assert_msg(rc == int_cases[_i].want_rc, "%s: got %d, want %d",
	    name, rc, int_cases[_i].want_rc);
	if (rc < 0) {
		ck_assert_msg(err.msg[0] != '\0', "%s: no error message",
		    name);
		ck_assert_msg(v == 12345, "%s: value changed on error to %lld",
		    name, v);
		return;
	}
	ck_assert_msg(v == int_cases[_i].want, "%s: got %lld, want %lld",
	    name, v, int_cases[_i].want);
}
END_TEST

START_TEST(test_str_int_error_names_input)
{
	struct pd_err err;
	long long v;

	ck_assert_int_eq(pd_str_int("12ab", 0, 100, &v, &err), -1);
	ck_assert_str_eq(err.msg, "\"12ab\" is not a number");
	ck_assert_int_eq(pd_str_int("101", 0, 100, &v, &err), -1);
	ck_assert_str_eq(err.msg, "101 is out of range 0..100");
	ck_assert_int_eq(pd_str_int("x", 0, 100, &v, NULL), -1);
}
END_TEST

static const struct {
	const char	*name;
	const char	*in;
	int		 want_rc;
	int64_t		 want;
} duration_cases[] = {
	{ "seconds", "30s", 0, 30 * SEC },
	{ "minutes", "10m", 0, 10 * MIN },
	{ "hours", "1h", 0, HOUR },
	{ "days", "2d", 0, 2 * DAY },
	{ "weeks", "1w", 0, 7 * DAY },
	{ "milliseconds", "500ms", 0, 500 },
	{ "bare number is seconds", "90", 0, 90 * SEC },
	{ "zero", "0", 0, 0 },
	{ "zero seconds", "0s", 0, 0 },
	{ "zero milliseconds", "0ms", 0, 0 },
	{ "one millisecond", "1ms", 0, 1 },
	{ "100 years in days", "36500d", 0, 36500 * DAY },
	{ "empty", "", -1, 0 },
	{ "unit alone", "s", -1, 0 },
	{ "ms alone", "ms", -1, 0 },
	{ "unknown unit", "1x", -1, 0 },
	{ "negative", "-1s", -1, 0 },
	{ "plus sign", "+1s", -1, 0 },
	{ "fraction", "1.5h", -1, 0 },
	{ "leading space", " 1s", -1, 0 },
	{ "trailing space", "1s ", -1, 0 },
	{ "space before unit", "1 s", -1, 0 },
	{ "unit twice", "1hh", -1, 0 },
	{ "two units", "1h30m", -1, 0 },
	{ "overflowing number", "99999999999999999999s", -1, 0 },
	{ "bare number too long", "9223372036854775807", -1, 0 },
	{ "weeks that overflow ms", "100000000000w", -1, 0 },
};

START_TEST(test_str_duration_parses_units)
{
	const char *name = duration_cases[_i].name;
	struct pd_err err;
	int64_t ms = -12345;
	int rc;

	err.msg[0] = '\0';
	rc = pd_str_duration(duration_cases[_i].in, &ms, &err);
	ck_assert_msg(rc == duration_cases[_i].want_rc, "%s: got %d, want %d",
	    name, rc, duration_cases[_i].want_rc);
	if (rc < 0) {
		ck_assert_msg(strstr(err.msg, duration_cases[_i].in) != NULL,
		    "%s: message \"%s\" does not name \"%s\"", name, err.msg,
		    duration_cases[_i].in);
		return;
	}
	ck_assert_msg(ms == duration_cases[_i].want,
	    "%s: got %lld, want %lld", name, (long long)ms,
	    (long long)duration_cases[_i].want);
}
END_TEST

static const struct {
	int64_t		 ms;
	const char	*want;
} fmt_duration_cases[] = {
	{ HOUR, "1h" },
	{ 90 * SEC, "90s" },
	{ 250, "250ms" },
	{ 0, "0s" },
	{ SEC, "1s" },
	{ 1500, "1500ms" },
	{ MIN, "1m" },
	{ 10 * MIN, "10m" },
	{ 90 * MIN, "90m" },
	{ DAY, "1d" },
	{ 2 * DAY, "2d" },
	{ 36 * HOUR, "36h" },
	{ 7 * DAY, "1w" },
	{ 14 * DAY, "2w" },
	{ 10 * DAY, "10d" },
	{ DAY + HOUR + MIN + SEC, "90061s" },
	{ HOUR + 1, "3600001ms" },
};

START_TEST(test_str_fmt_duration_is_shortest_exact)
{
	int64_t ms = fmt_duration_cases[_i].ms, back = -1;
	char out[32];

	pd_str_fmt_duration(out, sizeof(out), ms);
	ck_assert_msg(strcmp(out, fmt_duration_cases[_i].want) == 0,
	    "%lld: got \"%s\", want \"%s\"", (long long)ms, out,
	    fmt_duration_cases[_i].want);
	ck_assert_msg(pd_str_duration(out, &back, NULL) == 0,
	    "%lld: \"%s\" does not parse back", (long long)ms, out);
	ck_assert_msg(back == ms, "%lld: \"%s\" parses back as %lld",
	    (long long)ms, out, (long long)back);
}
END_TEST

static const struct {
	const char	*name;
	int64_t		 ms;
	size_t		 size;
	const char	*want;
} fmt_time_cases[] = {
	{ "T0", T0, 32, "2026-11-22T00:00:00Z" },
	{ "afternoon", T0 + 14 * HOUR + 5 * MIN, 32, "2026-11-22T14:05:00Z" },
	{ "milliseconds dropped", T0 + 999, 32, "2026-11-22T00:00:00Z" },
	{ "one second before", T0 - SEC, 32, "2026-11-21T23:59:59Z" },
	{ "one week later", T0 + 7 * DAY, 32, "2026-11-29T00:00:00Z" },
	{ "leap day", 1835438400000LL, 32, "2028-02-29T12:00:00Z" },
	{ "past 2038", 2147483648000LL, 32, "2038-01-19T03:14:08Z" },
	{ "epoch", 0, 32, "1970-01-01T00:00:00Z" },
	{ "exact fit", T0, 21, "2026-11-22T00:00:00Z" },
	{ "too small", T0, 20, "-" },
};

START_TEST(test_str_fmt_time_is_utc_iso8601)
{
	const char *name = fmt_time_cases[_i].name;
	char out[32];

	pd_str_fmt_time(out, fmt_time_cases[_i].size, fmt_time_cases[_i].ms);
	ck_assert_msg(strcmp(out, fmt_time_cases[_i].want) == 0,
	    "%s: got \"%s\", want \"%s\"", name, out,
	    fmt_time_cases[_i].want);
}
END_TEST

static const struct {
	const char	*in;
	int		 want_rc;
	bool		 want;
} bool_cases[] = {
	{ "yes", 0, true },
	{ "true", 0, true },
	{ "on", 0, true },
	{ "1", 0, true },
	{ "YES", 0, true },
	{ "True", 0, true },
	{ "no", 0, false },
	{ "false", 0, false },
	{ "off", 0, false },
	{ "0", 0, false },
	{ "NO", 0, false },
	{ "Off", 0, false },
	{ "", -1, false },
	{ "y", -1, false },
	{ "n", -1, false },
	{ "2", -1, false },
	{ "yes ", -1, false },
	{ " no", -1, false },
	{ "enable", -1, false },
	{ "yesno", -1, false },
};

START_TEST(test_str_bool_words)
{
	const char *in = bool_cases[_i].in;
	struct pd_err err;
	bool v;
	int rc;

	err.msg[0] = '\0';
	v = !bool_cases[_i].want;
	rc = pd_str_bool(in, &v, &err);
	ck_assert_msg(rc == bool_cases[_i].want_rc, "\"%s\": got %d, want %d",
	    in, rc, bool_cases[_i].want_rc);
	if (rc < 0) {
		ck_assert_msg(strstr(err.msg, in) != NULL,
		    "\"%s\": message \"%s\" does not name it", in, err.msg);
		return;
	}
	ck_assert_msg(v == bool_cases[_i].want, "\"%s\": got %d, want %d", in,
	    v, bool_cases[_i].want);
}
END_TEST

static const struct {
	const char	*in;
	const char	*want;
} trim_cases[] = {
	{ "abc", "abc" },
	{ "  abc", "abc" },
	{ "abc  ", "abc" },
	{ " \t a b \t ", "a b" },
	{ "value\r\n", "value" },
	{ "   ", "" },
	{ "", "" },
};

START_TEST(test_str_trim_strips_blanks)
{
	char buf[32];
	char *p;

	snprintf(buf, sizeof(buf), "%s", trim_cases[_i].in);
	p = pd_str_trim(buf);
	ck_assert_msg(strcmp(p, trim_cases[_i].want) == 0,
	    "\"%s\": got \"%s\", want \"%s\"", trim_cases[_i].in, p,
	    trim_cases[_i].want);
}
END_TEST

START_TEST(test_str_lower_is_ascii_only)
{
	char buf[] = "MX.Example.NET-\xc3\x89";

	ck_assert_ptr_eq(pd_str_lower(buf), buf);
	ck_assert_str_eq(buf, "mx.example.net-\xc3\x89");
}
END_TEST

/* Words joined with "|", so that a case can say which words it wants. */
static const struct {
	const char	*in, *want;
} split_cases[] = {
	{ "", "" },
	{ " ,\t, ", "" },
	{ "a", "a" },
	{ "a, b c", "a|b|c" },
	{ ",a,,b,", "a|b" },
	{ "inet:[::1]:2\tunix:/x y", "inet:[::1]:2|unix:/x|y" },
};

START_TEST(test_strlist_split_words)
{
	struct pd_strlist l = { 0 };
	char got[64] = "";

	/* A second split replaces the first: nothing of "old" is left. */
	ck_assert_int_eq(pd_strlist_split(&l, "old words"), 0);
	ck_assert_int_eq(pd_strlist_split(&l, split_cases[_i].in), 0);
	for (size_t i = 0; i < l.n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
		    i ? "|" : "", l.v[i]);
	ck_assert_msg(strcmp(got, split_cases[_i].want) == 0,
	    "\"%s\": got \"%s\", want \"%s\"", split_cases[_i].in, got,
	    split_cases[_i].want);
	pd_strlist_free(&l);
	ck_assert_ptr_null(l.v);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(test_strlist_copy_is_deep)
{
	struct pd_strlist src = { 0 }, dst = { 0 };

	ck_assert_int_eq(pd_strlist_split(&src, "a b"), 0);
	ck_assert_int_eq(pd_strlist_split(&dst, "old"), 0);
	ck_assert_int_eq(pd_strlist_copy(&dst, &src), 0);
	ck_assert(pd_strlist_equal(&dst, &src));
	ck_assert_ptr_ne(dst.v[0], src.v[0]);
	pd_strlist_free(&src);
	ck_assert_str_eq(dst.v[1], "b");
	ck_assert_int_eq(pd_strlist_copy(&dst, &src), 0);
	ck_assert_uint_eq(dst.n, 0);
	pd_strlist_free(&dst);
}
END_TEST

static const struct {
	const char	*a, *b;
	bool		 want;
} equal_cases[] = {
	{ "", "", true },
	{ "a b", "a, b", true },
	{ "a b", "a", false },
	{ "a b", "b a", false },
	{ "a b", "a c", false },
	{ "", "a", false },
};

START_TEST(test_strlist_equal_by_content)
{
	struct pd_strlist a = { 0 }, b = { 0 };
	bool got;

	ck_assert_int_eq(pd_strlist_split(&a, equal_cases[_i].a), 0);
	ck_assert_int_eq(pd_strlist_split(&b, equal_cases[_i].b), 0);
	got = pd_strlist_equal(&a, &b);
	ck_assert_msg(got == equal_cases[_i].want,
	    "\"%s\" vs \"%s\": got %d, want %d", equal_cases[_i].a,
	    equal_cases[_i].b, got, equal_cases[_i].want);
	ck_assert(pd_strlist_equal(&b, &a) == got);
	pd_strlist_free(&a);
	pd_strlist_free(&b);
}
END_TEST

static Suite *
str_suite(void)
{
	Suite *s = suite_create("str");
	TCase *tc;

	tc = tcase_create("sanitize");
	tcase_add_loop_test(tc, test_str_sanitize_masks_and_truncates, 0,
	    nitems(sanitize_cases));
	tcase_add_test(tc, test_str_sanitize_maps_every_byte);
	suite_add_tcase(s, tc);

	tc = tcase_create("int");
	tcase_add_loop_test(tc, test_str_int_range_and_garbage, 0,
	    nitems(int_cases));
	tcase_add_test(tc, test_str_int_error_names_input);
	suite_add_tcase(s, tc);

	tc = tcase_create("duration");
	tcase_add_loop_test(tc, test_str_duration_parses_units, 0,
	    nitems(duration_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("fmt_duration");
	tcase_add_loop_test(tc, test_str_fmt_duration_is_shortest_exact, 0,
	    nitems(fmt_duration_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("fmt_time");
	tcase_add_loop_test(tc, test_str_fmt_time_is_utc_iso8601, 0,
	    nitems(fmt_time_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("bool");
	tcase_add_loop_test(tc, test_str_bool_words, 0, nitems(bool_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("trim_lower");
	tcase_add_loop_test(tc, test_str_trim_strips_blanks, 0,
	    nitems(trim_cases));
	tcase_add_test(tc, test_str_lower_is_ascii_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("strlist");
	tcase_add_loop_test(tc, test_strlist_split_words, 0,
	    nitems(split_cases));
	tcase_add_loop_test(tc, test_strlist_equal_by_content, 0,
	    nitems(equal_cases));
	tcase_add_test(tc, test_strlist_copy_is_deep);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run(str_suite()) != 0;
}
