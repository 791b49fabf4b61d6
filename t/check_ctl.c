/* SPDX-License-Identifier: ISC */
/*
 * check_ctl - policydctl's command grammar and wire format, and the
 * records it prints (out): text and JSON.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "buf.h"
#include "err.h"
#include "ctl.h"
#include "out.h"
#include "testutil.h"

/* parse - a command line, words split at "|" */
static int
parse(const char *line, struct pd_ctl_cmd *c, struct pd_err *err)
{
	static char copy[512];
	char *argv[PD_CTL_ARGS_MAX], *p, *save = NULL;
	int argc = 0;

	snprintf(copy, sizeof(copy), "%s", line);
	for (p = strtok_r(copy, "|", &save); p; p = strtok_r(NULL, "|", &save))
		argv[argc++] = p;
	return pd_ctl_parse(argc, argv, c, err);
}

START_TEST(test_parse_commands)
{
	struct pd_ctl_cmd c;
	struct pd_err err;
	char net[64];

	ck_assert_int_eq(parse("status", &c, &err), 0);
	ck_assert_int_eq(c.op, PD_CTL_STATUS);
	ck_assert_int_eq(parse("stats|--prometheus", &c, &err), 0);
	ck_assert(c.op == PD_CTL_STATS && c.prometheus && !c.json);
	ck_assert_int_eq(parse("show|203.0.113.9|--json", &c, &err), 0);
	ck_assert(c.op == PD_CTL_SHOW && c.json);
	pd_cidr_format(&c.net, net, sizeof(net));
	ck_assert_str_eq(net, "203.0.113.9");
	ck_assert_int_eq(parse("list", &c, &err), 0);
	ck_assert_int_eq(c.what, PD_CTL_ALL);
	ck_assert_int_eq(parse("list|listings", &c, &err), 0);
	ck_assert_int_eq(c.what, PD_CTL_LISTINGS);
	ck_assert_int_eq(parse("block|2001:db8::/48|--for=90m|--reason|Call "
	    "the helpdesk", &c, &err), 0);
	ck_assert_int_eq(c.duration, 90 * MIN);
	ck_assert_str_eq(c.reason, "Call the helpdesk");
	pd_cidr_format(&c.net, net, sizeof(net));
	ck_assert_str_eq(net, "2001:db8::/48");
	ck_assert_int_eq(parse("block|192.0.2.1|--for|1h", &c, &err), 0);
	ck_assert_str_eq(c.reason, "Blocked by the postmaster");
	ck_assert_int_eq(parse("explain|pd-7f3a2c", &c, &err), 0);
	ck_assert_uint_eq(c.ref, 0x7f3a2c);
	ck_assert_int_eq(parse("unblock|192.0.2.0/24", &c, &err), 0);
	ck_assert_int_eq(parse("reset|192.0.2.1", &c, &err), 0);
	ck_assert_int_eq(parse("reload", &c, &err), 0);
	/* The widest networks taken without --force, and wider with it. */
	ck_assert_int_eq(parse("block|10.1.0.0/16|--for|1h", &c, &err), 0);
	ck_assert(!c.force && !c.replace);
	ck_assert_int_eq(parse("block|2001:db8::/32|--for|1h", &c, &err), 0);
	ck_assert_int_eq(parse("unblock|10.1.0.0/16", &c, &err), 0);
	ck_assert_int_eq(parse("block|0.0.0.0/0|--for|1h|--force", &c, &err),
	    0);
	ck_assert(c.force);
	ck_assert_int_eq(parse("unblock|::/0|--force", &c, &err), 0);
	ck_assert_int_eq(parse("block|192.0.2.1|--replace|--for|1h", &c, &err),
	    0);
	ck_assert(c.replace && !c.force);
	/* show, list and reset change nothing that --force guards. */
	ck_assert_int_eq(parse("show|0.0.0.0/0", &c, &err), 0);
	ck_assert_int_eq(parse("reset|10.0.0.0/8", &c, &err), 0);
}
END_TEST

static const struct {
	const char *line, *want;
} bad[] = {
	{ "frob", "unknown command \"frob\"" },
	{ "status|extra", "status: unexpected argument \"extra\"" },
	{ "show", "show: give an address or a network" },
	{ "show|1.2.3.4|5.6.7.8", "unexpected argument \"5.6.7.8\"" },
	{ "show|not-an-address", "not-an-address" },
	{ "list|all", "list: \"all\"? (blocks or listings)" },
	{ "block|192.0.2.1", "block: give its length with --for" },
	{ "block|192.0.2.1|--for", "--for needs a value" },
	{ "block|192.0.2.1|--for|0s", "--for: give 1s to 366d" },
	{ "block|192.0.2.1|--for|400d", "--for: give 1s to 366d" },
	{ "block|192.0.2.1|--for|1h|--reason|caf\xc3\xa9", "printable ASCII" },
	{ "show|192.0.2.1|--for|1h", "unknown option --for" },
	{ "stats|--verbose", "unknown option --verbose" },
	{ "show|192.0.2.1|--prometheus", "unknown option --prometheus" },
	{ "explain|PD-12345", "not a reference id" },
	{ "explain|PD-1234567", "not a reference id" },
	{ "explain|XX-123456", "not a reference id" },
	{ "explain", "explain: give a reference id" },
	{ "block|0.0.0.0/0|--for|1h", "block 0.0.0.0/0: a network wider than "
	    "/16 refuses mail from a large part of the Internet; give --force "
	    "if that is meant" },
	{ "block|10.0.0.0/15|--for|1h", "wider than /16" },
	{ "block|2001:db8::/31|--for|1h", "block 2001:db8::/31: a network "
	    "wider than /32" },
	{ "unblock|0.0.0.0/0", "unblock 0.0.0.0/0: a network wider than /16 "
	    "lifts the blocks of many clients at once; give --force" },
	{ "unblock|::/0", "wider than /32" },
	{ "reset|192.0.2.1|--force", "unknown option --force" },
	{ "unblock|192.0.2.1|--replace", "unknown option --replace" },
	{ "block|192.0.2.1|--for|1h|--force=yes", "unknown option --force" },
};

START_TEST(test_parse_errors)
{
	struct pd_ctl_cmd c;
	struct pd_err err;

	ck_assert_int_eq(parse(bad[_i].line, &c, &err), -1);
	ck_assert_msg(strstr(err.msg, bad[_i].want) != NULL,
	    "%s: got \"%s\", want \"%s\"", bad[_i].line, err.msg, bad[_i].want);
}
END_TEST

START_TEST(test_wire_round_trip)
{
	char *argv[] = { "block", "192.0.2.1", "--reason", "two words" };
	char *back[PD_CTL_ARGS_MAX];
	struct pd_buf b;
	struct pd_err err;
	char copy[256];

	pd_buf_init(&b, PD_CTL_REQUEST_MAX);
	ck_assert_int_eq(pd_ctl_encode(4, argv, &b, &err), 0);
	ck_assert_str_eq(pd_buf_str(&b), "block\n192.0.2.1\n--reason\n"
	    "two words\n\n");
	snprintf(copy, sizeof(copy), "%s", pd_buf_str(&b));
	ck_assert_int_eq(pd_ctl_decode(copy, back, &err), 4);
	ck_assert_str_eq(back[3], "two words");
	/* What no client may send. */
	argv[3] = "a\nb";
	pd_buf_reset(&b);
	ck_assert_int_eq(pd_ctl_encode(4, argv, &b, &err), -1);
	snprintf(copy, sizeof(copy), "status\n");
	ck_assert_int_eq(pd_ctl_decode(copy, back, &err), -1);
	ck_assert_str_eq(err.msg, "incomplete command");
	snprintf(copy, sizeof(copy), "\n\n");
	ck_assert_int_eq(pd_ctl_decode(copy, back, &err), -1);
	snprintf(copy, sizeof(copy), "show\n\x1b[2J\n\n");
	ck_assert_int_eq(pd_ctl_decode(copy, back, &err), -1);
	ck_assert_str_eq(err.msg, "control character in the command");
	pd_buf_clear(&b);
}
END_TEST

/* doc - the same small document, as text or JSON */
static const char *
doc(struct pd_buf *b, bool json)
{
	struct pd_out o;

	pd_buf_reset(b);
	pd_out_init(&o, b, json);
	pd_out_str(&o, "address", "203.0.113.9");
	pd_out_int(&o, "keys", 2);
	pd_out_list(&o, "counters");
	pd_out_open(&o);
	pd_out_str(&o, "rule", "a");
	pd_out_str(&o, "reason", "two \"quoted\" words\\");
	pd_out_close(&o);
	pd_out_open(&o);
	pd_out_str(&o, "rule", "b\x01\xe9");
	pd_out_duration(&o, "for", 90 * MIN);
	pd_out_time(&o, "none", 0);
	pd_out_close(&o);
	pd_out_end(&o);
	pd_out_list(&o, "empty");
	pd_out_end(&o);
	pd_out_time(&o, "at", T0);
	pd_out_finish(&o);
	return pd_buf_str(b);
}

START_TEST(test_out_text_and_json)
{
	struct pd_buf b;

	pd_buf_init(&b, 1 << 16);
	ck_assert_str_eq(doc(&b, false),
	    "address          203.0.113.9\n"
	    "keys             2\n"
	    "counters:\n"
	    "  rule=a reason=\"two 'quoted' words\\\"\n"
	    "  rule=b?? for=90m\n"
	    "empty:\n"
	    "at               2026-11-22T00:00:00Z\n");
	ck_assert_str_eq(doc(&b, true),
	    "{\"address\":\"203.0.113.9\",\"keys\":2,\"counters\":["
	    "{\"rule\":\"a\",\"reason\":\"two \\\"quoted\\\" words\\\\\"},"
	    "{\"rule\":\"b\\u0001\\u00e9\",\"for\":5400}],\"empty\":[],"
	    "\"at\":\"2026-11-22T00:00:00Z\"}\n");
	pd_buf_clear(&b);
}
END_TEST

static Suite *
ctl_suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("ctl");

	tcase_add_test(tc, test_parse_commands);
	tcase_add_loop_test(tc, test_parse_errors, 0, sizeof(bad) /
	    sizeof(bad[0]));
	tcase_add_test(tc, test_wire_round_trip);
	tcase_add_test(tc, test_out_text_and_json);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(ctl_suite()) != 0;
}
