/* SPDX-License-Identifier: ISC */
/*
 * check_helo - HELO name classification: address literals, our own
 * addresses and domains, special-use names, syntax, normalisation and
 * the finding names.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "addr.h"
#include "conf.h"
#include "helo.h"
#include "testutil.h"


/* Labels and names of known lengths, built from 10-letter pieces. */
#define C10	"abcdefghij"
#define L61	C10 C10 C10 C10 C10 C10 "a"
#define L63	C10 C10 C10 C10 C10 C10 "abc"
#define L64	L63 "d"
#define N253	L63 "." L63 "." L63 "." L61
#define N255	L63 "." L63 "." L63 "." L63
#define N256	"ab." N253
#define N257	"abc." N253

/* The special-use and private names SPEC.md section 6 lists. */
static char *special_names[] = {
	"local", "localdomain", "lan", "home", "corp", "internal",
	"localhost", "invalid", "test", "example", "home.arpa",
};
static const struct pd_strlist special_list = {
	special_names, sizeof(special_names) / sizeof(special_names[0])
};

/* "mx.test.example" and "example.local" are also special-use names. */
static char *local_names[] = {
	"mail.example.org", "mailhub", "mx.test.example", "example.local",
};
static const struct pd_strlist local_list = {
	local_names, sizeof(local_names) / sizeof(local_names[0])
};

static const char *local_cidrs[] = { "198.51.100.0/24", "2001:db8:25::/48" };

enum ctx_choice {
	CTX_EMPTY,	/* nothing known, no special-use list */
	CTX_SPECIAL,	/* only the special-use list */
	CTX_FULL,	/* server 192.0.2.25, local lists, rcpt example.com */
};

static const char *const ctx_names[] = {
	[CTX_EMPTY] = "empty", [CTX_SPECIAL] = "special", [CTX_FULL] = "full",
};

/* ctx - the context for c (the CIDR list is parsed on first use) */
static const struct pd_helo_ctx *
ctx(enum ctx_choice c)
{
	static struct pd_cidr cidrs[2];
	static struct pd_helo_ctx x[3];
	static bool ready;

	if (!ready) {
		for (int i = 0; i < nitems(local_cidrs); i++)
			ck_assert_int_eq(pd_cidr_parse(local_cidrs[i],
			    &cidrs[i], NULL), 0);
		x[CTX_EMPTY] = (struct pd_helo_ctx){
			.server_address = "", .rcpt_domain = "",
		};
		x[CTX_SPECIAL] = (struct pd_helo_ctx){
			.server_address = "", .rcpt_domain = "",
			.special_use = &special_list,
		};
		x[CTX_FULL] = (struct pd_helo_ctx){
			.server_address = "192.0.2.25",
			.local_addresses = cidrs,
			.nlocal_addresses = nitems(local_cidrs),
			.local_domains = &local_list,
			.rcpt_domain = "example.com",
			.special_use = &special_list,
		};
		ready = true;
	}
	return &x[c];
}

/*
 * want_norm NULL: norm is not checked (helo.h promises it only for
 * PD_HELO_NEED_DNS).  tld is always checked: "" unless special_use.
 */
static const struct {
	const char		*name;
	const char		*helo;
	enum ctx_choice		 ctx;
	enum pd_helo_finding	 want;
	const char		*want_tld;
	const char		*want_norm;
} classify_cases[] = {
	/* No HELO. */
	{ "empty helo", "", CTX_FULL, PD_HELO_NONE, "", "" },
	{ "empty helo, empty ctx", "", CTX_EMPTY, PD_HELO_NONE, "", "" },

	/* Address literals and bare addresses. */
	{ "v4 literal", "[192.0.2.1]", CTX_FULL, PD_HELO_IP_LITERAL, "", "" },
	{ "v6 literal", "[IPv6:2001:db8::1]", CTX_FULL, PD_HELO_IP_LITERAL,
	    "", "" },
	{ "v6 literal, tag in lower case", "[ipv6:2001:db8::1]", CTX_FULL,
	    PD_HELO_IP_LITERAL, "", "" },
	{ "v6 literal, garbage", "[IPv6:garbage]", CTX_FULL, PD_HELO_INVALID,
	    "", NULL },
	{ "v6 literal, v4 address after the tag", "[IPv6:192.0.2.1]",
	    CTX_FULL, PD_HELO_INVALID, "", NULL },
	/* RFC 5321 wants the tag; without it, still an address to us. */
	{ "v6 literal without tag", "[2001:db8::1]", CTX_FULL,
	    PD_HELO_IP_LITERAL, "", "" },
	{ "bare v4", "192.0.2.1", CTX_FULL, PD_HELO_IP_LITERAL, "", "" },
	{ "bare v6", "2001:db8::1", CTX_FULL, PD_HELO_IP_LITERAL, "", "" },
	{ "bare v4, empty ctx", "192.0.2.1", CTX_EMPTY, PD_HELO_IP_LITERAL,
	    "", "" },
	/* Not an address, and "192.0.2.1" is no host name: numeric TLD. */
	{ "bare v4 with trailing dot", "192.0.2.1.", CTX_FULL,
	    PD_HELO_INVALID, "", NULL },
	{ "empty brackets", "[]", CTX_FULL, PD_HELO_INVALID, "", NULL },
	{ "unbalanced bracket", "[192.0.2.1", CTX_FULL, PD_HELO_INVALID, "",
	    NULL },
	{ "name in brackets", "[mx.example.net]", CTX_FULL, PD_HELO_INVALID,
	    "", NULL },
	{ "v4 literal with prefix", "[192.0.2.0/24]", CTX_FULL,
	    PD_HELO_INVALID, "", NULL },
	{ "long literal", "[" N255 "]", CTX_FULL, PD_HELO_INVALID, "", NULL },

	/* Our own addresses: our_address before ip_literal. */
	{ "server address literal", "[192.0.2.25]", CTX_FULL,
	    PD_HELO_OUR_ADDRESS, "", "" },
	{ "server address bare", "192.0.2.25", CTX_FULL, PD_HELO_OUR_ADDRESS,
	    "", "" },
	{ "server address v4-mapped", "[IPv6:::ffff:192.0.2.25]", CTX_FULL,
	    PD_HELO_OUR_ADDRESS, "", "" },
	{ "server address, unknown to ctx", "[192.0.2.25]", CTX_SPECIAL,
	    PD_HELO_IP_LITERAL, "", "" },
	{ "next to server address", "[192.0.2.26]", CTX_FULL,
	    PD_HELO_IP_LITERAL, "", "" },
	{ "local_addresses literal", "[198.51.100.7]", CTX_FULL,
	    PD_HELO_OUR_ADDRESS, "", "" },
	{ "local_addresses bare", "198.51.100.7", CTX_FULL,
	    PD_HELO_OUR_ADDRESS, "", "" },
	{ "local_addresses v6 literal", "[IPv6:2001:db8:25::1]", CTX_FULL,
	    PD_HELO_OUR_ADDRESS, "", "" },
	{ "local_addresses v6 bare", "2001:db8:25::1", CTX_FULL,
	    PD_HELO_OUR_ADDRESS, "", "" },
	{ "outside local_addresses", "[198.51.101.7]", CTX_FULL,
	    PD_HELO_IP_LITERAL, "", "" },
	{ "outside local_addresses v6", "[IPv6:2001:db8:26::1]", CTX_FULL,
	    PD_HELO_IP_LITERAL, "", "" },

	/* Names to look up: lower case, without the trailing dot. */
	{ "plain name", "mx.example.net", CTX_FULL, PD_HELO_NEED_DNS, "",
	    "mx.example.net" },
	{ "trailing dot", "mx.example.net.", CTX_FULL, PD_HELO_NEED_DNS, "",
	    "mx.example.net" },
	{ "upper case", "MX.Example.NET", CTX_FULL, PD_HELO_NEED_DNS, "",
	    "mx.example.net" },
	{ "upper case, trailing dot", "MX.Example.NET.", CTX_FULL,
	    PD_HELO_NEED_DNS, "", "mx.example.net" },
	{ "punycode", "xn--bcher-kva.example.net", CTX_FULL, PD_HELO_NEED_DNS,
	    "", "xn--bcher-kva.example.net" },
	{ "underscore", "host_1.example.com", CTX_FULL, PD_HELO_NEED_DNS, "",
	    "host_1.example.com" },
	{ "numeric first label", "123.example.com", CTX_FULL,
	    PD_HELO_NEED_DNS, "", "123.example.com" },
	{ "digit in tld", "mx.example.c0m", CTX_FULL, PD_HELO_NEED_DNS, "",
	    "mx.example.c0m" },
	{ "label of 63", L63 ".example.com", CTX_FULL, PD_HELO_NEED_DNS, "",
	    L63 ".example.com" },
	{ "name of 253", N253, CTX_FULL, PD_HELO_NEED_DNS, "", N253 },
	{ "name of 253, trailing dot", N253 ".", CTX_FULL, PD_HELO_NEED_DNS,
	    "", N253 },
	{ "name of 255", N255, CTX_FULL, PD_HELO_NEED_DNS, "", N255 },
	{ "name of 255, trailing dot", N255 ".", CTX_FULL, PD_HELO_NEED_DNS,
	    "", N255 },
	{ "name of 255, empty ctx", N255, CTX_EMPTY, PD_HELO_NEED_DNS, "",
	    N255 },

	/* Special-use names: the suffix on a label boundary. */
	{ "localhost", "localhost", CTX_SPECIAL, PD_HELO_SPECIAL_USE,
	    "localhost", NULL },
	{ "localhost, upper case with dot", "LOCALHOST.", CTX_SPECIAL,
	    PD_HELO_SPECIAL_USE, "localhost", NULL },
	{ "localhost, no list", "localhost", CTX_EMPTY, PD_HELO_NON_FQDN, "",
	    NULL },
	{ ".local", "senderdomain.local", CTX_FULL, PD_HELO_SPECIAL_USE,
	    "local", NULL },
	{ ".localdomain", "mail.localdomain", CTX_FULL, PD_HELO_SPECIAL_USE,
	    "localdomain", NULL },
	{ ".home.arpa", "router.home.arpa", CTX_FULL, PD_HELO_SPECIAL_USE,
	    "home.arpa", NULL },
	{ ".home", "router.home", CTX_FULL, PD_HELO_SPECIAL_USE, "home",
	    NULL },
	{ ".lan upper case with dot", "x.LAN.", CTX_FULL, PD_HELO_SPECIAL_USE,
	    "lan", NULL },
	{ ".corp", "dc01.ad.corp", CTX_FULL, PD_HELO_SPECIAL_USE, "corp",
	    NULL },
	{ ".internal", "ip-10-0-0-1.ec2.internal", CTX_FULL,
	    PD_HELO_SPECIAL_USE, "internal", NULL },
	{ ".invalid", "mx.invalid", CTX_FULL, PD_HELO_SPECIAL_USE, "invalid",
	    NULL },
	{ ".test", "mx.test", CTX_FULL, PD_HELO_SPECIAL_USE, "test", NULL },
	{ ".example, punycode", "xn--bcher-kva.example", CTX_FULL,
	    PD_HELO_SPECIAL_USE, "example", NULL },
	{ "special name alone", "local", CTX_FULL, PD_HELO_SPECIAL_USE,
	    "local", NULL },
	{ "suffix not on a label boundary", "mx.notlocal", CTX_FULL,
	    PD_HELO_NEED_DNS, "", "mx.notlocal" },
	{ "special word not last", "local.example.net", CTX_FULL,
	    PD_HELO_NEED_DNS, "", "local.example.net" },
	{ "arpa but not home.arpa", "x.myhome.arpa", CTX_FULL,
	    PD_HELO_NEED_DNS, "", "x.myhome.arpa" },
	{ "special-use, no list", "senderdomain.local", CTX_EMPTY,
	    PD_HELO_NEED_DNS, "", "senderdomain.local" },

	/* No dot. */
	{ "single label", "foo", CTX_FULL, PD_HELO_NON_FQDN, "", NULL },
	{ "single label, trailing dot", "foo.", CTX_FULL, PD_HELO_NON_FQDN,
	    "", NULL },
	{ "single label, upper case", "FOO", CTX_FULL, PD_HELO_NON_FQDN, "",
	    NULL },
	{ "single letter", "a", CTX_FULL, PD_HELO_NON_FQDN, "", NULL },

	/* Not a host name. */
	{ "leading hyphen", "-bad.example.com", CTX_FULL, PD_HELO_INVALID,
	    "", NULL },
	{ "trailing hyphen", "bad-.example.com", CTX_FULL, PD_HELO_INVALID,
	    "", NULL },
	{ "hyphen starts inner label", "bad.-example.com", CTX_FULL,
	    PD_HELO_INVALID, "", NULL },
	{ "hyphen ends tld", "bad.example.com-", CTX_FULL, PD_HELO_INVALID,
	    "", NULL },
	{ "empty label", "a..b.com", CTX_FULL, PD_HELO_INVALID, "", NULL },
	{ "leading dot", ".example.com", CTX_FULL, PD_HELO_INVALID, "",
	    NULL },
	{ "two trailing dots", "foo..", CTX_FULL, PD_HELO_INVALID, "", NULL },
	{ "dot alone", ".", CTX_FULL, PD_HELO_INVALID, "", NULL },
	{ "two dots", "..", CTX_FULL, PD_HELO_INVALID, "", NULL },
	{ "hyphen alone", "-", CTX_FULL, PD_HELO_INVALID, "", NULL },
	{ "numeric tld", "1.2.3", CTX_FULL, PD_HELO_INVALID, "", NULL },
	{ "numeric tld after name", "mx.example.123", CTX_FULL,
	    PD_HELO_INVALID, "", NULL },
	{ "space", "bad name.com", CTX_FULL, PD_HELO_INVALID, "", NULL },
	{ "bang", "bad!name.com", CTX_FULL, PD_HELO_INVALID, "", NULL },
	{ "newline", "mx.example.net\n", CTX_FULL, PD_HELO_INVALID, "",
	    NULL },
	{ "UTF-8", "b\xc3\xbc" "cher.example.net", CTX_FULL, PD_HELO_INVALID,
	    "", NULL },
	{ "label of 64", L64 ".example.com", CTX_FULL, PD_HELO_INVALID, "",
	    NULL },
	{ "name of 256", N256, CTX_FULL, PD_HELO_INVALID, "", NULL },
	{ "name of 256, trailing dot", N256 ".", CTX_FULL, PD_HELO_INVALID,
	    "", NULL },
	{ "name of 257", N257, CTX_FULL, PD_HELO_INVALID, "", NULL },
	{ "name of 513", N255 "." N253 ".com", CTX_FULL, PD_HELO_INVALID, "",
	    NULL },
	/* Syntax before special-use: the list is never asked. */
	{ "invalid in special-use tld", "bad_-.local", CTX_FULL,
	    PD_HELO_INVALID, "", NULL },

	/* Our domains: local_domains or the recipient's domain. */
	{ "local_domains", "mail.example.org", CTX_FULL, PD_HELO_OUR_DOMAIN,
	    "", NULL },
	{ "local_domains, upper case with dot", "MAIL.Example.ORG.",
	    CTX_FULL, PD_HELO_OUR_DOMAIN, "", NULL },
	{ "local_domains, subdomain", "mx.mail.example.org", CTX_FULL,
	    PD_HELO_NEED_DNS, "", "mx.mail.example.org" },
	{ "local_domains, other ctx", "mail.example.org", CTX_SPECIAL,
	    PD_HELO_NEED_DNS, "", "mail.example.org" },
	{ "local_domains before non_fqdn", "mailhub", CTX_FULL,
	    PD_HELO_OUR_DOMAIN, "", NULL },
	{ "rcpt domain", "example.com", CTX_FULL, PD_HELO_OUR_DOMAIN, "",
	    NULL },
	{ "rcpt domain, upper case with dot", "Example.COM.", CTX_FULL,
	    PD_HELO_OUR_DOMAIN, "", NULL },
	{ "rcpt domain differs", "mx.example.com", CTX_FULL,
	    PD_HELO_NEED_DNS, "", "mx.example.com" },
	/*
	 * our_domain before special_use (SPEC.md leaves this open): our own
	 * exact name is the more specific finding, even under .example.
	 */
	{ "special-use in local_domains", "mx.test.example", CTX_FULL,
	    PD_HELO_OUR_DOMAIN, "", NULL },
	{ "special-use .local in local_domains", "example.local", CTX_FULL,
	    PD_HELO_OUR_DOMAIN, "", NULL },
	{ "special-use not ours", "other.example", CTX_FULL,
	    PD_HELO_SPECIAL_USE, "example", NULL },
};

/* Guards after both buffers catch a write past PD_HELO_NAME_MAX + 1. */
struct bufs {
	char	norm[PD_HELO_NAME_MAX + 1];
	char	norm_guard[16];
	char	tld[PD_HELO_NAME_MAX + 1];
	char	tld_guard[16];
};

static const char guard[16] = "GGGGGGGGGGGGGGG";

START_TEST(test_helo_classify_gives_most_specific_finding)
{
	const char *name = classify_cases[_i].name;
	const char *want_tld = classify_cases[_i].want_tld;
	const char *want_norm = classify_cases[_i].want_norm;
	enum pd_helo_finding want = classify_cases[_i].want, got;
	struct bufs b;

	memset(&b, 'Z', sizeof(b));
	memcpy(b.norm_guard, guard, sizeof(guard));
	memcpy(b.tld_guard, guard, sizeof(guard));
	got = pd_helo_classify(classify_cases[_i].helo,
	    ctx(classify_cases[_i].ctx), b.norm, b.tld);
	ck_assert_msg(memcmp(b.norm_guard, guard, sizeof(guard)) == 0,
	    "%s: wrote past the %d-byte norm buffer", name,
	    PD_HELO_NAME_MAX + 1);
	ck_assert_msg(memcmp(b.tld_guard, guard, sizeof(guard)) == 0,
	    "%s: wrote past the %d-byte tld buffer", name,
	    PD_HELO_NAME_MAX + 1);
	ck_assert_msg(got == want, "%s (ctx %s): got %s, want %s", name,
	    ctx_names[classify_cases[_i].ctx], pd_helo_finding_name(got),
	    pd_helo_finding_name(want));
	ck_assert_msg(strcmp(b.tld, want_tld) == 0,
	    "%s: tld: got \"%s\", want \"%s\"", name, b.tld, want_tld);
	if (want_norm != NULL)
		ck_assert_msg(strcmp(b.norm, want_norm) == 0,
		    "%s: norm: got \"%s\", want \"%s\"", name, b.norm,
		    want_norm);
}
END_TEST

/* The context changes with the request: no state kept between calls. */
START_TEST(test_helo_classify_keeps_no_state)
{
	char norm[PD_HELO_NAME_MAX + 1], tld[PD_HELO_NAME_MAX + 1];
	enum pd_helo_finding got;

	got = pd_helo_classify("x.lan", ctx(CTX_FULL), norm, tld);
	ck_assert_int_eq(got, PD_HELO_SPECIAL_USE);
	ck_assert_str_eq(tld, "lan");
	got = pd_helo_classify("MX.Example.NET.", ctx(CTX_FULL), norm, tld);
	ck_assert_int_eq(got, PD_HELO_NEED_DNS);
	ck_assert_str_eq(tld, "");
	ck_assert_str_eq(norm, "mx.example.net");
	got = pd_helo_classify("[192.0.2.25]", ctx(CTX_FULL), norm, tld);
	ck_assert_int_eq(got, PD_HELO_OUR_ADDRESS);
	ck_assert_str_eq(norm, "");
	got = pd_helo_classify("[192.0.2.25]", ctx(CTX_EMPTY), norm, tld);
	ck_assert_int_eq(got, PD_HELO_IP_LITERAL);
}
END_TEST

START_TEST(test_helo_classify_leaves_name_alone)
{
	char name[] = "MX.Example.NET.";
	char norm[PD_HELO_NAME_MAX + 1], tld[PD_HELO_NAME_MAX + 1];

	pd_helo_classify(name, ctx(CTX_FULL), norm, tld);
	ck_assert_str_eq(name, "MX.Example.NET.");
}
END_TEST

static const struct {
	const char	*name;
	const char	*in;
	bool		 want;
} hostname_cases[] = {
	{ "three labels", "mx.example.net", true },
	{ "one label", "a", true },
	{ "upper case", "MX.EXAMPLE.NET", true },
	{ "hyphen inside", "a-b.example", true },
	{ "punycode", "xn--bcher-kva.example", true },
	{ "underscore", "host_1.example.com", true },
	{ "underscore alone", "_", true },
	{ "underscore first", "_dmarc.example.com", true },
	{ "digits then letter", "123a", true },
	{ "numeric first label", "123.example.com", true },
	{ "label of 63", L63 ".com", true },
	{ "name of 253", N253, true },
	{ "name of 255", N255, true },
	{ "empty", "", false },
	{ "dot alone", ".", false },
	/* Callers strip the one trailing dot before asking. */
	{ "trailing dot", "a.", false },
	{ "leading dot", ".a", false },
	{ "empty label", "a..b", false },
	{ "leading hyphen", "-a", false },
	{ "trailing hyphen", "a-", false },
	{ "hyphen starts inner label", "a.-b", false },
	{ "hyphen ends inner label", "a-.b", false },
	{ "hyphen ends last label", "a.b-", false },
	{ "hyphen alone", "-", false },
	{ "numeric single label", "123", false },
	{ "numeric tld", "a.123", false },
	{ "dotted quad", "192.0.2.1", false },
	{ "space", "a b", false },
	{ "bang", "a!b", false },
	{ "colon", "a:b", false },
	{ "bracket", "[a]", false },
	{ "UTF-8", "b\xc3\xbc" "cher", false },
	{ "label of 64", L64 ".com", false },
	{ "name of 256", N256, false },
};

START_TEST(test_helo_valid_hostname_checks_syntax)
{
	const char *name = hostname_cases[_i].name;
	bool got = pd_helo_valid_hostname(hostname_cases[_i].in);

	ck_assert_msg(got == hostname_cases[_i].want, "%s: got %d, want %d",
	    name, got, hostname_cases[_i].want);
}
END_TEST

static const struct {
	enum pd_helo_finding	 f;
	const char		*name;
} finding_cases[] = {
	{ PD_HELO_NONE, "none" },
	{ PD_HELO_IP_LITERAL, "ip_literal" },
	{ PD_HELO_OUR_ADDRESS, "our_address" },
	{ PD_HELO_OUR_DOMAIN, "our_domain" },
	{ PD_HELO_SPECIAL_USE, "special_use" },
	{ PD_HELO_NON_FQDN, "non_fqdn" },
	{ PD_HELO_INVALID, "invalid" },
	{ PD_HELO_UNKNOWN, "unknown" },
	{ PD_HELO_NO_RDNS, "no_rdns" },
	{ PD_HELO_NEED_DNS, "need_dns" },
};

/*
 * Lookup is for the check names of the config (conf.c): "none" and
 * "need_dns" name no check, so they are not found.
 */
START_TEST(test_helo_finding_names_round_trip)
{
	enum pd_helo_finding f = finding_cases[_i].f;
	const char *want = finding_cases[_i].name, *got;
	int n, want_n;

	got = pd_helo_finding_name(f);
	ck_assert_msg(got != NULL && strcmp(got, want) == 0,
	    "name(%d): got %s, want %s", (int)f, got ? got : "(null)", want);
	want_n = f == PD_HELO_NONE || f == PD_HELO_NEED_DNS ? -1 : (int)f;
	n = pd_helo_finding_lookup(want);
	ck_assert_msg(n == want_n, "lookup(\"%s\"): got %d, want %d", want, n,
	    want_n);
}
END_TEST

static const char *const unknown_names[] = {
	"nonsense", "", "IP_LITERAL", "ip_literal ", "our", "no_rdns_",
};

START_TEST(test_helo_finding_lookup_unknown_is_minus_one)
{
	const char *s = unknown_names[_i];
	int n = pd_helo_finding_lookup(s);

	ck_assert_msg(n == -1, "lookup(\"%s\"): got %d, want -1", s, n);
}
END_TEST

START_TEST(test_helo_finding_names_cover_every_finding)
{
	ck_assert_int_eq(nitems(finding_cases), PD_HELO_MAX + 1);
	for (int i = 0; i < PD_HELO_MAX; i++)
		ck_assert_msg(finding_cases[i].f == (enum pd_helo_finding)i,
		    "finding_cases[%d] is out of order", i);
}
END_TEST

static Suite *
helo_suite(void)
{
	Suite *s = suite_create("helo");
	TCase *tc;

	tc = tcase_create("classify");
	tcase_add_loop_test(tc, test_helo_classify_gives_most_specific_finding,
	    0, nitems(classify_cases));
	tcase_add_test(tc, test_helo_classify_keeps_no_state);
	tcase_add_test(tc, test_helo_classify_leaves_name_alone);
	suite_add_tcase(s, tc);

	tc = tcase_create("valid_hostname");
	tcase_add_loop_test(tc, test_helo_valid_hostname_checks_syntax, 0,
	    nitems(hostname_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("finding_names");
	tcase_add_loop_test(tc, test_helo_finding_names_round_trip, 0,
	    nitems(finding_cases));
	tcase_add_loop_test(tc, test_helo_finding_lookup_unknown_is_minus_one,
	    0, nitems(unknown_names));
	tcase_add_test(tc, test_helo_finding_names_cover_every_finding);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run(helo_suite()) != 0;
}
