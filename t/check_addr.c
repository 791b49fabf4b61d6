/* SPDX-License-Identifier: ISC */
/*
 * check_addr - address parsing and masking, CIDR parsing, matching and
 * formatting.
 */
#include <string.h>

#include <check.h>

#include "addr.h"
#include "err.h"
#include "testutil.h"


static const uint8_t zero16[16];

/* family 0: the text must be rejected. */
static const struct {
	const char	*name;
	const char	*in;
	int		 family;
	const char	*want;		/* pd_addr_format() */
} parse_cases[] = {
	{ "ipv4", "192.0.2.1", 4, "192.0.2.1" },
	{ "ipv4 any", "0.0.0.0", 4, "0.0.0.0" },
	{ "ipv4 broadcast", "255.255.255.255", 4, "255.255.255.255" },
	{ "ipv6", "2001:db8::1", 6, "2001:db8::1" },
	{ "ipv6 long form", "2001:0db8:0000:0000:0000:0000:0000:0001", 6,
	    "2001:db8::1" },
	{ "ipv6 upper case", "2001:DB8::A", 6, "2001:db8::a" },
	{ "ipv6 loopback", "::1", 6, "::1" },
	{ "ipv6 unspecified", "::", 6, "::" },
	{ "ipv4-mapped", "::ffff:192.0.2.1", 4, "192.0.2.1" },
	{ "ipv4-mapped in hex", "::ffff:c000:201", 4, "192.0.2.1" },
	{ "ipv4-mapped long form", "0:0:0:0:0:ffff:192.0.2.1", 4,
	    "192.0.2.1" },
	{ "ipv4-compatible stays ipv6", "::c000:201", 6, "::192.0.2.1" },
	{ "nat64 stays ipv6", "64:ff9b::192.0.2.1", 6, "64:ff9b::c000:201" },
	{ "empty", "", 0, NULL },
	{ "three parts", "1.2.3", 0, NULL },
	{ "five parts", "1.2.3.4.5", 0, NULL },
	{ "octet over 255", "192.0.2.256", 0, NULL },
	{ "bad hex digit", "::g", 0, NULL },
	{ "two double colons", "2001::db8::1", 0, NULL },
	{ "leading space", " 192.0.2.1", 0, NULL },
	{ "trailing space", "192.0.2.1 ", 0, NULL },
	{ "with prefix", "192.0.2.0/24", 0, NULL },
	{ "with zone", "fe80::1%eth0", 0, NULL },
	{ "host name", "mx.example.net", 0, NULL },
};

START_TEST(test_addr_parse_gives_family_and_text)
{
	const char *name = parse_cases[_i].name;
	struct pd_addr a;
	char out[PD_ADDR_STRLEN];
	int rc;

	rc = pd_addr_parse(parse_cases[_i].in, &a);
	if (parse_cases[_i].family == 0) {
		ck_assert_msg(rc == -1, "%s: got %d, want -1", name, rc);
		return;
	}
	ck_assert_msg(rc == 0, "%s: got %d, want 0", name, rc);
	ck_assert_msg(a.family == parse_cases[_i].family,
	    "%s: family: got %d, want %d", name, a.family,
	    parse_cases[_i].family);
	ck_assert_msg(pd_addr_len(&a) == (a.family == 4 ? 4u : 16u),
	    "%s: len: got %zu", name, pd_addr_len(&a));
	/* Keys may hash all 16 bytes: an IPv4 address leaves 12 zeros. */
	if (a.family == 4)
		ck_assert_msg(memcmp(a.bytes + 4, zero16, 12) == 0,
		    "%s: bytes after the IPv4 address are not zero", name);
	pd_addr_format(&a, out, sizeof(out));
	ck_assert_msg(strcmp(out, parse_cases[_i].want) == 0,
	    "%s: got \"%s\", want \"%s\"", name, out, parse_cases[_i].want);
}
END_TEST

START_TEST(test_addr_parse_mapped_equals_ipv4)
{
	struct pd_addr v4, mapped;

	ck_assert_int_eq(pd_addr_parse("198.51.100.7", &v4), 0);
	ck_assert_int_eq(pd_addr_parse("::ffff:198.51.100.7", &mapped), 0);
	ck_assert_msg(memcmp(&v4, &mapped, sizeof(v4)) == 0,
	    "::ffff:198.51.100.7 and 198.51.100.7 differ in memory");
}
END_TEST

static const struct {
	const char	*name;
	const char	*in;
	int		 bits;
	const char	*want;
} mask_cases[] = {
	{ "v4 /32 keeps all", "192.0.2.255", 32, "192.0.2.255" },
	{ "v4 /31", "192.0.2.255", 31, "192.0.2.254" },
	{ "v4 /25", "192.0.2.255", 25, "192.0.2.128" },
	{ "v4 /24", "192.0.2.255", 24, "192.0.2.0" },
	{ "v4 /23", "192.0.3.255", 23, "192.0.2.0" },
	{ "v4 /9", "255.255.255.255", 9, "255.128.0.0" },
	{ "v4 /8", "10.20.30.40", 8, "10.0.0.0" },
	{ "v4 /1", "192.0.2.255", 1, "128.0.0.0" },
	{ "v4 /0", "192.0.2.255", 0, "0.0.0.0" },
	{ "v4 past 32 keeps all", "192.0.2.255", 64, "192.0.2.255" },
	{ "v4 negative is /0", "192.0.2.255", -1, "0.0.0.0" },
	{ "v6 /128 keeps all", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 128,
	    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff" },
	{ "v6 /127", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 127,
	    "2001:db8:aaaa:bbbb:cccc:dddd:eeee:fffe" },
	{ "v6 /120", "2001:db8::ffff", 120, "2001:db8::ff00" },
	{ "v6 /64", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 64,
	    "2001:db8:aaaa:bbbb::" },
	{ "v6 /56", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 56,
	    "2001:db8:aaaa:bb00::" },
	{ "v6 /48", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 48,
	    "2001:db8:aaaa::" },
	{ "v6 /33", "2001:db8:ffff::", 33, "2001:db8:8000::" },
	{ "v6 /0", "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 0, "::" },
};

START_TEST(test_addr_mask_clears_host_bits)
{
	const char *name = mask_cases[_i].name;
	struct pd_addr a;
	char out[PD_ADDR_STRLEN];

	ck_assert_int_eq(pd_addr_parse(mask_cases[_i].in, &a), 0);
	pd_addr_mask(&a, mask_cases[_i].bits);
	pd_addr_format(&a, out, sizeof(out));
	ck_assert_msg(strcmp(out, mask_cases[_i].want) == 0,
	    "%s: got \"%s\", want \"%s\"", name, out, mask_cases[_i].want);
	if (a.family == 4)
		ck_assert_msg(memcmp(a.bytes + 4, zero16, 12) == 0,
		    "%s: bytes after the IPv4 address are not zero", name);
}
END_TEST

/* family 0: the text must be rejected, with a message naming it. */
static const struct {
	const char	*name;
	const char	*in;
	int		 family;
	int		 bits;
	const char	*want;		/* pd_cidr_format() */
} cidr_cases[] = {
	{ "v4 /24", "192.0.2.0/24", 4, 24, "192.0.2.0/24" },
	{ "v4 host bits masked", "192.0.2.77/24", 4, 24, "192.0.2.0/24" },
	{ "v4 /25", "192.0.2.200/25", 4, 25, "192.0.2.128/25" },
	{ "v4 /0", "0.0.0.0/0", 4, 0, "0.0.0.0/0" },
	{ "v4 /0 masks all", "192.0.2.1/0", 4, 0, "0.0.0.0/0" },
	{ "v4 /32 prints as address", "192.0.2.1/32", 4, 32, "192.0.2.1" },
	{ "v4 single address is /32", "192.0.2.1", 4, 32, "192.0.2.1" },
	{ "v6 /32", "2001:db8::/32", 6, 32, "2001:db8::/32" },
	{ "v6 host bits masked", "2001:db8:1:2::5/32", 6, 32,
	    "2001:db8::/32" },
	{ "v6 /64", "2001:db8:0:1:2:3:4:5/64", 6, 64, "2001:db8:0:1::/64" },
	{ "v6 /0", "::/0", 6, 0, "::/0" },
	{ "v6 /128 prints as address", "2001:db8::1/128", 6, 128,
	    "2001:db8::1" },
	{ "v6 single address is /128", "2001:db8::1", 6, 128, "2001:db8::1" },
	{ "mapped /120 is v4 /24", "::ffff:192.0.2.0/120", 4, 24,
	    "192.0.2.0/24" },
	{ "mapped /128 is v4 /32", "::ffff:192.0.2.1/128", 4, 32,
	    "192.0.2.1" },
	{ "mapped /96 is all of v4", "::ffff:0.0.0.0/96", 4, 0, "0.0.0.0/0" },
	{ "mapped single address", "::ffff:192.0.2.1", 4, 32, "192.0.2.1" },
	{ "v4 /33", "192.0.2.0/33", 0, 0, NULL },
	{ "v4 prefix missing", "192.0.2.0/", 0, 0, NULL },
	{ "v4 prefix negative", "192.0.2.0/-1", 0, 0, NULL },
	{ "v4 prefix not a number", "192.0.2.0/2x", 0, 0, NULL },
	{ "v4 two slashes", "192.0.2.0/24/", 0, 0, NULL },
	{ "v4 prefix huge", "192.0.2.0/99999999999999999999", 0, 0, NULL },
	{ "v6 /129", "2001:db8::/129", 0, 0, NULL },
	{ "mapped /129", "::ffff:192.0.2.0/129", 0, 0, NULL },
	{ "short v4", "192.0.2/24", 0, 0, NULL },
	{ "no address", "/24", 0, 0, NULL },
	{ "empty", "", 0, 0, NULL },
	{ "host name", "example.net/24", 0, 0, NULL },
	{ "address too long",
	    "2001:0db8:0000:0000:0000:0000:0000:0001:0000:0000:0000/64", 0, 0,
	    NULL },
};

START_TEST(test_cidr_parse_masks_and_formats)
{
	const char *name = cidr_cases[_i].name;
	struct pd_cidr c;
	struct pd_err err;
	char out[PD_CIDR_STRLEN];
	int rc;

	memset(&err, 0, sizeof(err));
	rc = pd_cidr_parse(cidr_cases[_i].in, &c, &err);
	if (cidr_cases[_i].family == 0) {
		ck_assert_msg(rc == -1, "%s: got %d, want -1", name, rc);
		ck_assert_msg(strstr(err.msg, cidr_cases[_i].in) != NULL,
		    "%s: message \"%s\" does not name \"%s\"", name, err.msg,
		    cidr_cases[_i].in);
		return;
	}
	ck_assert_msg(rc == 0, "%s: got %d (%s), want 0", name, rc, err.msg);
	ck_assert_msg(c.addr.family == cidr_cases[_i].family,
	    "%s: family: got %d, want %d", name, c.addr.family,
	    cidr_cases[_i].family);
	ck_assert_msg(c.bits == cidr_cases[_i].bits,
	    "%s: bits: got %d, want %d", name, c.bits, cidr_cases[_i].bits);
	pd_cidr_format(&c, out, sizeof(out));
	ck_assert_msg(strcmp(out, cidr_cases[_i].want) == 0,
	    "%s: got \"%s\", want \"%s\"", name, out, cidr_cases[_i].want);
}
END_TEST

START_TEST(test_cidr_parse_null_err_is_allowed)
{
	struct pd_cidr c;

	ck_assert_int_eq(pd_cidr_parse("192.0.2.0/33", &c, NULL), -1);
	ck_assert_int_eq(pd_cidr_parse("192.0.2.0/24", &c, NULL), 0);
}
END_TEST

static const struct {
	const char	*name;
	const char	*cidr;
	const char	*addr;
	bool		 want;
} match_cases[] = {
	{ "v4 /24 first", "192.0.2.0/24", "192.0.2.0", true },
	{ "v4 /24 last", "192.0.2.0/24", "192.0.2.255", true },
	{ "v4 /24 below", "192.0.2.0/24", "192.0.1.255", false },
	{ "v4 /24 above", "192.0.2.0/24", "192.0.3.0", false },
	{ "v4 /25 lower half out", "192.0.2.128/25", "192.0.2.127", false },
	{ "v4 /25 upper half in", "192.0.2.128/25", "192.0.2.128", true },
	{ "v4 /31 pair", "192.0.2.2/31", "192.0.2.3", true },
	{ "v4 /31 next pair", "192.0.2.2/31", "192.0.2.4", false },
	{ "v4 /32 same", "192.0.2.1", "192.0.2.1", true },
	{ "v4 /32 other", "192.0.2.1", "192.0.2.2", false },
	{ "v4 /0 any v4", "0.0.0.0/0", "203.0.113.9", true },
	{ "v4 /0 not v6", "0.0.0.0/0", "2001:db8::1", false },
	{ "v4 /24 not v6", "192.0.2.0/24", "2001:db8::1", false },
	{ "v4 /24 not v4-compatible v6", "192.0.2.0/24", "::c000:201",
	    false },
	{ "v4 /24 mapped client", "192.0.2.0/24", "::ffff:192.0.2.7", true },
	{ "mapped /120 v4 client", "::ffff:192.0.2.0/120", "192.0.2.7", true },
	{ "mapped /120 other v4", "::ffff:192.0.2.0/120", "192.0.3.7", false },
	{ "v6 /32 in", "2001:db8::/32", "2001:db8:ffff::1", true },
	{ "v6 /32 out", "2001:db8::/32", "2001:db9::1", false },
	{ "v6 /33 in", "2001:db8::/33", "2001:db8:7fff::1", true },
	{ "v6 /33 out", "2001:db8::/33", "2001:db8:8000::1", false },
	{ "v6 /128 same", "2001:db8::1", "2001:db8::1", true },
	{ "v6 /128 other", "2001:db8::1", "2001:db8::2", false },
	{ "v6 /0 any v6", "::/0", "2001:db8::1", true },
	{ "v6 /0 not v4", "::/0", "192.0.2.1", false },
	{ "v6 /32 not v4", "2001:db8::/32", "192.0.2.1", false },
};

START_TEST(test_cidr_match_by_prefix_and_family)
{
	const char *name = match_cases[_i].name;
	struct pd_cidr c;
	struct pd_addr a;
	bool got;

	ck_assert_int_eq(pd_cidr_parse(match_cases[_i].cidr, &c, NULL), 0);
	ck_assert_int_eq(pd_addr_parse(match_cases[_i].addr, &a), 0);
	got = pd_cidr_match(&c, &a);
	ck_assert_msg(got == match_cases[_i].want, "%s: got %d, want %d",
	    name, got, match_cases[_i].want);
}
END_TEST

START_TEST(test_cidr_format_truncates_safely)
{
	struct pd_cidr c;
	char out[8];

	ck_assert_int_eq(pd_cidr_parse("192.0.2.0/24", &c, NULL), 0);
	memset(out, 'x', sizeof(out));
	pd_cidr_format(&c, out, sizeof(out));
	ck_assert_str_eq(out, "192.0.2");
}
END_TEST

static Suite *
addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_addr_parse_gives_family_and_text, 0,
	    nitems(parse_cases));
	tcase_add_test(tc, test_addr_parse_mapped_equals_ipv4);
	suite_add_tcase(s, tc);

	tc = tcase_create("mask");
	tcase_add_loop_test(tc, test_addr_mask_clears_host_bits, 0,
	    nitems(mask_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("cidr_parse");
	tcase_add_loop_test(tc, test_cidr_parse_masks_and_formats, 0,
	    nitems(cidr_cases));
	tcase_add_test(tc, test_cidr_parse_null_err_is_allowed);
	tcase_add_test(tc, test_cidr_format_truncates_safely);
	suite_add_tcase(s, tc);

	tc = tcase_create("cidr_match");
	tcase_add_loop_test(tc, test_cidr_match_by_prefix_and_family, 0,
	    nitems(match_cases));
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run(addr_suite()) != 0;
}
