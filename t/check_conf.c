/* SPDX-License-Identifier: ISC */
/*
 * check_conf - policyd.conf parsing; the bad-file corpus in t/conf is
 * run through "policyd -t" by t/run.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "event.h"
#include "testutil.h"

START_TEST(test_conf_defaults)
{
	struct pd_conf *c = tu_conf("");

	ck_assert_uint_eq(c->listen.n, 1);
	ck_assert_str_eq(c->listen.v[0], "inet:127.0.0.1:12540");
	ck_assert_int_eq(c->request_timeout, 30 * SEC);
	ck_assert_int_eq(c->idle_timeout, 600 * SEC);
	ck_assert_int_eq(c->reply_timeout, 5 * SEC);
	ck_assert_int_eq(c->max_keys, 1000000);
	ck_assert_int_eq(c->ipv6_client_prefix, 64);
	ck_assert_int_eq(c->ipv4_segment, 24);
	ck_assert_int_eq(c->unix_mode, 0666);
	ck_assert(!c->dry_run);
	ck_assert_str_eq(c->user, "");
	ck_assert_uint_eq(c->nrules, 0);
	pd_conf_free(c);
}
END_TEST

START_TEST(test_conf_rule_fields)
{
	struct pd_conf *c = tu_conf(
	    "# comment\n"
	    "rule connections {\n"
	    "    event = connection\n"
	    "    limit = 1000 per 1h\n"
	    "    release = quiet 1h\n"
	    "    reply = 451 4.7.1 Too many connections from ${client_address}\n"
	    "}\n"
	    "rule tarpit {\n"
	    "\tevent = rcpt\n"
	    "\tkey = client_prefix\n"
	    "\tlimit = 2 per 10m\n"
	    "\tdelay = 5s step\n"
	    "\tmode = warn\n"
	    "}\n");
	const struct pd_rule *r;

	ck_assert_uint_eq(c->nrules, 2);
	r = pd_conf_rule(c, "connections");
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->event, PD_EV_CONNECTION);
	ck_assert_int_eq(r->key, PD_KEY_CLIENT_ADDRESS);
	ck_assert_int_eq(r->limit, 1000);
	ck_assert_int_eq(r->window, HOUR);
	ck_assert_int_eq(r->kind, PD_RULE_LISTING);
	ck_assert_int_eq(r->hold, HOUR);
	ck_assert_uint_eq(r->line, 2);
	ck_assert(!r->warn);
	r = pd_conf_rule(c, "tarpit");
	ck_assert_int_eq(r->kind, PD_RULE_TARPIT);
	ck_assert_int_eq(r->key, PD_KEY_CLIENT_PREFIX);
	ck_assert_int_eq(r->delay, 5 * SEC);
	ck_assert(r->delay_step);
	ck_assert_int_eq(r->max_delay, 30 * SEC);	/* default cap */
	ck_assert(r->warn);
	pd_conf_free(c);
}
END_TEST

START_TEST(test_conf_continuation_and_lists)
{
	struct pd_conf *c = tu_conf(
	    "listen = inet:127.0.0.1:1,\n"
	    "    inet:[::1]:2,\n"
	    "    unix:/tmp/x.sock\n"
	    "allow a {\n"
	    "  client = 10.0.0.0/8,\n"
	    "     2001:db8::/32\n"
	    "  client_name = .Example.NET\n"
	    "}\n"
	    "profile bulk {\n"
	    "  policy_context = bulk, mass\n"
	    "  server_port = 2525\n"
	    "  rules =\n"
	    "}\n");

	ck_assert_uint_eq(c->listen.n, 3);
	ck_assert_str_eq(c->listen.v[2], "unix:/tmp/x.sock");
	ck_assert_uint_eq(c->naccess, 1);
	ck_assert_uint_eq(c->access[0].nclients, 2);
	ck_assert_uint_eq(c->access[0].clients[1].bits, 32);
	ck_assert_str_eq(c->access[0].client_names.v[0], ".example.net");
	ck_assert_uint_eq(c->nprofiles, 1);
	ck_assert_uint_eq(c->profiles[0].contexts.n, 2);
	ck_assert_uint_eq(c->profiles[0].nports, 1);
	ck_assert_int_eq(c->profiles[0].ports[0], 2525);
	ck_assert_uint_eq(c->profiles[0].nrules, 0);
	pd_conf_free(c);
}
END_TEST

/* A "#" after a value: an error, but in a reply text a warning. */
static const struct {
	const char *name, *text, *want; /* want: NULL parses */
} comment_cases[] = {
	{ "after an option",
	    "listen = inet:127.0.0.1:1   # the port\n",
	    "test.conf:1: listen: comments go on a line of their own "
	    "(\"# the port\")\n" },
	{ "after an event, one error only",
	    "rule r {\n\tevent = connection   # per client\n"
	    "\tlimit = 5 per 1m\n\tblock = 1m\n\treply = 451 4.7.1 no\n}\n",
	    "test.conf:2: event: comments go on a line of their own "
	    "(\"# per client\")\n" },
	{ "after a block's opening",
	    "rule r { # counts\n\tevent = connection\n\tlimit = 5 per 1m\n"
	    "\tblock = 1m\n\treply = 451 4.7.1 no\n}\n",
	    "test.conf:1: comments go on a line of their own "
	    "(\"# counts\")\n" },
	{ "after a closing brace",
	    "allow a {\n\tclient = 10.0.0.0/8\n} # end\n",
	    "test.conf:3: comments go on a line of their own (\"# end\")\n" },
	{ "a tab before it", "dry_run = yes\t#no\n",
	    "test.conf:1: dry_run: comments go on a line of their own "
	    "(\"#no\")\n" },
	{ "a comment line inside a continued value",
	    "listen = inet:127.0.0.1:1,\n# the other\n  inet:127.0.0.1:2\n",
	    NULL },
	{ "no blank before it", "block_reply = 451 4.7.1 call#5 (${ref})\n",
	    NULL },
	{ "in a reply text", "rule r {\n\tevent = connection\n"
	    "\tlimit = 5 per 1m\n\tblock = 1m\n"
	    "\treply = 451 4.7.1 Slow down # ask us\n}\n", NULL },
};

START_TEST(test_conf_trailing_comments)
{
	const char *want = comment_cases[_i].want;

	if (want == NULL) {
		pd_conf_free(tu_conf(comment_cases[_i].text));
		return;
	}
	ck_assert_msg(strcmp(tu_conf_errors(comment_cases[_i].text), want) ==
	    0, "%s: got %s, want %s", comment_cases[_i].name,
	    tu_conf_errors(comment_cases[_i].text), want);
}
END_TEST

START_TEST(test_conf_reply_comment_warns)
{
	struct pd_conf *c = tu_conf("block_reply = 451 4.7.1 ${reason} # ours\n"
	    "rule r {\n\tevent = connection\n\tlimit = 5 per 1m\n"
	    "\tblock = 1m\n\treply = 451 4.7.1 Slow down # ask us\n}\n");

	ck_assert_uint_eq(c->warnings.n, 2);
	ck_assert_str_eq(c->warnings.v[0], "test.conf:1: block_reply: "
	    "\"# ours\" is part of the reply text that SMTP clients see; "
	    "comments go on a line of their own");
	ck_assert_str_eq(c->warnings.v[1], "test.conf:6: reply: \"# ask us\" is "
	    "part of the reply text that SMTP clients see; comments go on a "
	    "line of their own");
	/* It is sent as written: a warning, not a change. */
	ck_assert_str_eq(c->rules[0].reply.src, "451 4.7.1 Slow down # ask us");
	pd_conf_free(c);
}
END_TEST

static const struct {
	const char *text, *want;
} spec_cases[] = {
	{ "dns_forward = 127.0.0.1:5601\n",
	    "test.conf: dns_forward: \"127.0.0.1:5601\" is not ADDRESS or "
	    "ADDRESS@PORT (an IP address; the port follows \"@\", as in "
	    "127.0.0.1@5353)\n" },
	{ "dns_forward = 127.0.0.1@0\n", "dns_forward: \"127.0.0.1@0\"" },
	{ "dns_forward = resolver.example\n", "is not ADDRESS" },
	{ "listen = inet:localhost:10040\n",
	    "test.conf: listen: \"inet:localhost:10040\": " },
	{ "listen = inet:127.0.0.1\n", "listen: \"inet:127.0.0.1\": expected "
	    "HOST:PORT" },
	{ "listen = tcp:127.0.0.1:1\n", "is neither inet:HOST:PORT nor "
	    "unix:PATH" },
	{ "metrics_listen = 127.0.0.1:99999\n", "metrics_listen: "
	    "\"inet:127.0.0.1:99999\": bad port" },
	{ "control_socket = /tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n",
	    "control_socket: \"unix:/tmp/aaa" },
};

START_TEST(test_conf_specs_checked)
{
	const char *e = tu_conf_errors(spec_cases[_i].text);

	ck_assert_msg(strstr(e, spec_cases[_i].want) != NULL, "%s: got %s",
	    spec_cases[_i].text, e);
}
END_TEST

/* write_back - pd_conf_write of text, parsed again and written again */
static void
write_back(const char *text, bool all, char **first, char **second)
{
	struct pd_conf *c = tu_conf(text);
	size_t		n;
	FILE	       *fp;

	fp = open_memstream(first, &n);
	ck_assert_int_eq(pd_conf_write(c, all, fp), 0);
	fclose(fp);
	pd_conf_free(c);
	c = tu_conf(*first);
	fp = open_memstream(second, &n);
	ck_assert_int_eq(pd_conf_write(c, all, fp), 0);
	fclose(fp);
	pd_conf_free(c);
}

START_TEST(test_conf_write)
{
	const char *text = "# ours\n"
			   "request_timeout = 10s\n"
			   "user = policyd\n"
			   "local_domains = example.org,\n"
			   "\texample.net\n"
			   "idle_timeout = 600s\n" /* the default, written so */
			   "rule r {\n"
			   "  event = connection\n"
			   "  limit = 5 per 1m\n"
			   "  block = 1m\n"
			   "  reply = 451 4.7.1 no ${client_address}\n"
			   "}\n";
	char	   *first, *second;

	write_back(text, false, &first, &second);
	ck_assert_str_eq(first, "user = policyd\n"
				"request_timeout = 10s\n"
				"local_domains = example.org, example.net\n"
				"\n"
				"rule r {\n"
				"\tevent = connection\n"
				"\tlimit = 5 per 1m\n"
				"\tblock = 1m\n"
				"\treply = 451 4.7.1 no ${client_address}\n"
				"}\n");
	ck_assert_str_eq(second, first);
	free(first);
	free(second);
	/* All: every option, in the table's order, the empty ones too. */
	write_back(text, true, &first, &second);
	ck_assert_ptr_nonnull(strstr(first, "listen = inet:127.0.0.1:12540\n"
					    "unix_mode = 0666\n"
					    "user = policyd\n"));
	ck_assert_ptr_nonnull(strstr(first, "\nidle_timeout = 10m\n"));
	ck_assert_ptr_nonnull(strstr(first, "\ndry_run = no\n"));
	ck_assert_ptr_nonnull(strstr(first, "\nstate_file =\n"));
	ck_assert_str_eq(second, first);
	free(first);
	free(second);
}
END_TEST

START_TEST(test_conf_reports_every_error)
{
	const char *e = tu_conf_errors(
	    "max_key = 1\n"
	    "idle_timeout = forever\n"
	    "rule r {\n"
	    "  limit = 5 per 1m\n"
	    "}\n"
	    "dry_run = perhaps\n");

	ck_assert_ptr_nonnull(strstr(e, "test.conf:1: unknown option \"max_key\""));
	ck_assert_ptr_nonnull(strstr(e, "test.conf:2: idle_timeout:"));
	ck_assert_ptr_nonnull(strstr(e, "test.conf:3: rule r: no event and no "
	    "condition"));
	ck_assert_ptr_nonnull(strstr(e, "test.conf:3: rule r: a limit needs an "
	    "event"));
	ck_assert_ptr_nonnull(strstr(e, "test.conf:3: rule r: no reply"));
	ck_assert_ptr_nonnull(strstr(e, "test.conf:6: dry_run: \"perhaps\" is not yes or no"));
}
END_TEST

START_TEST(test_conf_gives_up_after_twenty)
{
	struct pd_buf text;
	const char *e;
	int lines = 0;

	pd_buf_init(&text, 1 << 20);
	for (int i = 0; i < 100; i++)
		pd_buf_printf(&text, "bogus%d = 1\n", i);
	e = tu_conf_errors(pd_buf_str(&text));
	for (const char *p = e; *p; p++)
		lines += *p == '\n';
	ck_assert_int_eq(lines, 20);
	ck_assert_ptr_nonnull(strstr(e, "too many errors"));
	pd_buf_clear(&text);
}
END_TEST

static void
collect_cb(void *arg, const char *msg)
{
	pd_buf_puts(arg, msg);
	pd_buf_putc(arg, '\n');
}

START_TEST(test_conf_overrides)
{
	char *ov[] = { "listen = inet:127.0.0.1:2525", "dry_run=yes" };
	char *bad[] = { "nosuch=1" };
	struct pd_buf errs;
	struct pd_conf *c;

	pd_buf_init(&errs, 4096);
	c = pd_conf_parse("t", "listen = inet:127.0.0.1:1\n", ov, 2,
	    collect_cb, &errs);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->listen.v[0], "inet:127.0.0.1:2525");
	ck_assert(c->dry_run);
	pd_conf_free(c);
	c = pd_conf_parse("t", "", bad, 1, collect_cb, &errs);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(pd_buf_str(&errs),
	    "command line: -o: unknown option \"nosuch\"\n");
	pd_buf_clear(&errs);
}
END_TEST

START_TEST(test_conf_load_missing_file)
{
	struct pd_buf errs;

	pd_buf_init(&errs, 4096);
	ck_assert_ptr_null(pd_conf_load("/nonexistent/policyd.conf", NULL, 0,
	    collect_cb, &errs));
	ck_assert_str_eq(pd_buf_str(&errs),
	    "/nonexistent/policyd.conf: No such file or directory\n");
	pd_buf_clear(&errs);
}
END_TEST

START_TEST(test_conf_geo_conditions)
{
	struct pd_conf *c = tu_conf(
	    "geoip_country_db = /var/lib/GeoIP/GeoLite2-Country.mmdb\n"
	    "geoip_asn_db = /var/lib/GeoIP/GeoLite2-ASN.mmdb\n"
	    "rule per_asn {\n"
	    "\tevent = rcpt_rejected\n"
	    "\tkey = asn\n"
	    "\tcountry = !de, !At\n"
	    "\tlimit = 100 per 1h\n"
	    "\tblock = 1h\n"
	    "\treply = 451 4.7.1 Too many errors from ${key}\n"
	    "}\n"
	    "rule foreign {\n"
	    "\tcountry = CN\n"
	    "\tscore = 2\n"
	    "}\n"
	    "deny bad_as {\n"
	    "\tasn = AS64501, as64502, 4200000000\n"
	    "\treply = 554 5.7.1 Not from ${asn}\n"
	    "}\n"
	    "profile domestic {\n"
	    "\tcountry = DE\n"
	    "\trules =\n"
	    "}\n");
	const struct pd_rule *r = pd_conf_rule(c, "per_asn");

	ck_assert_str_eq(c->geoip_country_db,
	    "/var/lib/GeoIP/GeoLite2-Country.mmdb");
	ck_assert_str_eq(c->geoip_asn_db, "/var/lib/GeoIP/GeoLite2-ASN.mmdb");
	ck_assert_int_eq(r->key, PD_KEY_ASN);
	ck_assert_uint_eq(r->geo.ncountries, 2);
	ck_assert(r->geo.countries_not);
	ck_assert_str_eq(r->geo.countries[0], "DE");
	ck_assert_str_eq(r->geo.countries[1], "AT");
	ck_assert_uint_eq(r->geo.nasns, 0);
	r = pd_conf_rule(c, "foreign");
	ck_assert(!r->geo.countries_not);
	ck_assert_str_eq(r->geo.countries[0], "CN");
	ck_assert_uint_eq(c->access[0].geo.nasns, 3);
	ck_assert(!c->access[0].geo.asns_not);
	ck_assert_uint_eq(c->access[0].geo.asns[0], 64501);
	ck_assert_uint_eq(c->access[0].geo.asns[1], 64502);
	ck_assert_uint_eq(c->access[0].geo.asns[2], 4200000000u);
	ck_assert_str_eq(c->profiles[0].geo.countries[0], "DE");
	pd_conf_free(c);
}
END_TEST

START_TEST(test_conf_geo_errors)
{
	const char *e = tu_conf_errors(
	    "rule r {\n"				/* 1 */
	    "\tevent = connection\n"
	    "\tkey = country\n"
	    "\tlimit = 5 per 1m\n"
	    "\treply = 451 4.7.1 ${key}\n"		/* 5 */
	    "}\n"
	    "deny d {\n"
	    "\tasn = 64500\n"
	    "\treply = 554 5.7.1 no\n"
	    "}\n"					/* 10 */
	    "allow a {\n"
	    "\tcountry = D1, !FR\n"
	    "\tasn = AS0\n"
	    "}\n"
	    "profile p {\n"				/* 15 */
	    "\tasn = 12, !13\n"
	    "\tcountry =\n"
	    "\trules =\n"
	    "}\n"
	    "rule s {\n"				/* 20 */
	    "\tevent = auth_failed\n"
	    "\tkey = sasl_username\n"
	    "\tlimit = 5 per 1m\n"
	    "\tblock = 1h\n"
	    "\treply = 554 5.7.1 no\n"		/* 25 */
	    "}\n");

	ck_assert_ptr_nonnull(strstr(e, "test.conf:1: rule r: country needs "
	    "geoip_country_db"));
	ck_assert_ptr_nonnull(strstr(e, "test.conf:7: deny d: asn needs "
	    "geoip_asn_db"));
	ck_assert_ptr_nonnull(strstr(e, "test.conf:12: country: \"D1\" is not "
	    "a two-letter country code"));
	ck_assert_ptr_nonnull(strstr(e, "test.conf:13: asn: 0 is out of range "
	    "1..4294967295"));
	ck_assert_ptr_nonnull(strstr(e, "test.conf:16: asn: \"!13\": either "
	    "every entry starts with \"!\" or none does"));
	ck_assert_ptr_nonnull(strstr(e, "test.conf:17: country: no country "
	    "given"));
	ck_assert_ptr_nonnull(strstr(e, "test.conf:20: rule s: a maillog event "
	    "needs"));
}
END_TEST

/* codes: the reject rules' default, a list of their own, and errors */
START_TEST(test_conf_codes)
{
	struct pd_conf *c = tu_conf(
	    "rule a {\n event = rcpt_rejected\n limit = 1 per 1h\n"
	    " block = 1h\n reply = 554 5.7.1 no\n}\n"
	    "rule b {\n event = rcpt_rejected\n limit = 1 per 1h\n"
	    " codes = !5.7.1, 5.1.x,x.1.1 , 550 5.1.1\n block = 1h\n"
	    " reply = 554 5.7.1 no\n}\n"
	    "rule c {\n event = data_rejected\n limit = 1 per 1h\n"
	    " block = 1h\n reply = 554 5.7.1 no\n}\n"
	    "rule d {\n event = dropped\n limit = 1 per 1h\n"
	    " block = 1h\n reply = 554 5.7.1 no\n}\n");
	const char *e;

	ck_assert_uint_eq(c->rules[0].codes.n, 2);
	ck_assert_str_eq(c->rules[0].codes.v[0].code, "5xx");
	ck_assert(!c->rules[0].codes.v[0].has_status);
	ck_assert_str_eq(c->rules[0].codes.v[1].code, "454");
	ck_assert_int_eq(c->rules[0].codes.v[1].status[2], 1);
	ck_assert_uint_eq(c->rules[1].codes.n, 4);
	ck_assert(c->rules[1].codes.v[0].not);
	ck_assert_int_eq(c->rules[1].codes.v[1].status[2], -1);
	ck_assert_int_eq(c->rules[1].codes.v[2].status[0], -1);
	ck_assert_str_eq(c->rules[1].codes.v[3].code, "550");
	ck_assert_uint_eq(c->rules[2].codes.n, 1);
	ck_assert_uint_eq(c->rules[3].codes.n, 0);
	pd_conf_free(c);

	e = tu_conf_errors(
	    "rule r {\n"				/* 1 */
	    "\tevent = rcpt_rejected\n"
	    "\tlimit = 5 per 1h\n"
	    "\tblock = 1h\n"
	    "\treply = 554 5.7.1 no\n"		/* 5 */
	    "\tcodes = 5xx, 6xx\n"
	    "}\n"
	    "rule s {\n"
	    "\tevent = rcpt_rejected\n"
	    "\tlimit = 5 per 1h\n"			/* 10 */
	    "\tcodes = !5xx, !4.7.1\n"
	    "\tblock = 1h\n"
	    "\treply = 554 5.7.1 no\n"
	    "}\n"
	    "rule t {\n"				/* 15 */
	    "\tevent = server_defer\n"
	    "\tlimit = 5 per 1h\n"
	    "\tblock = 1h\n"
	    "\treply = 554 5.7.1 no\n"
	    "}\n"					/* 20 */
	    "rule u {\n"
	    "\tevent = rcpt_rejected\n"
	    "\tlimit = 5 per 1h\n"
	    "\tcodes = 5.1.1000, 5.1, 550 5.1.1 x\n"
	    "\tblock = 1h\n"			/* 25 */
	    "\treply = 554 5.7.1 no\n"
	    "}\n"
	    "rule v {\n"
	    "\tevent = auth_failed\n"
	    "\tlimit = 5 per 1h\n"			/* 30 */
	    "\tcodes = 5xx\n"
	    "\tblock = 1h\n"
	    "\treply = 554 5.7.1 no\n"
	    "}\n"
	    "rule w {\n"				/* 35 */
	    "\tevent = data_rejected\n"
	    "\tlimit = 5 per 1h\n"
	    "\tcodes =\n"
	    "\tblock = 1h\n"
	    "\treply = 554 5.7.1 no\n"		/* 40 */
	    "}\n");
	ck_assert_ptr_nonnull(strstr(e, "test.conf:6: codes: \"6xx\" is not a "
	    "reply code (550, 5xx), an enhanced status code (5.1.1, 5.7.x) "
	    "or both (454 4.7.1)"));
	ck_assert_ptr_nonnull(strstr(e, "test.conf:11: codes: nothing to count "
	    "(an empty list, or only exclusions)"));
	ck_assert_ptr_nonnull(strstr(e, "test.conf:15: rule t: server_defer is "
	    "the server's doing, not the client's: no rule counts it"));
	ck_assert_ptr_nonnull(strstr(e, "test.conf:24: codes: \"5.1.1000\" is "
	    "not"));
	ck_assert_ptr_nonnull(strstr(e, "test.conf:28: rule v: codes are for "
	    "rcpt_rejected and data_rejected"));
	ck_assert_ptr_nonnull(strstr(e, "test.conf:38: codes: nothing to "
	    "count"));
}
END_TEST

/* Each entry alone, and the first that matches deciding. */
START_TEST(test_conf_codes_match)
{
	static const struct {
		const char *list, *reply;
		bool	    want;
	} cases[] = {
		{ "5xx, 454 4.7.1", "550 5.1.1 User unknown", true },
		{ "5xx, 454 4.7.1", "454 4.7.1 Relay access denied", true },
		{ "5xx, 454 4.7.1", "450 4.7.1 Greylisted", false },
		{ "5xx, 454 4.7.1", "450 4.2.0 try again later", false },
		{ "5xx, 454 4.7.1", "5.7.1 header says no", true },
		{ "5xx, 454 4.7.1", "4.7.1 try later", false },
		{ "5xx", "550 go away", true },
		{ "5xx", "User unknown in local recipient table", false },
		{ "5xx", "", false },
		{ "550", "5.7.1 header says no", false },
		{ "5.1.1", "550 5.1.1 User unknown", true },
		{ "5.1.1", "550 User unknown", false },
		{ "5.1.1", "554 5.7.1 Relay access denied", false },
		{ "x.1.1", "450 4.1.1 User unknown", true },
		{ "5.1.x", "550 5.1.10 nullMX", true },
		{ "55x", "554 5.7.1 no", true },
		{ "55x", "504 5.5.2 no", false },
		{ "!5.7.1, 5xx", "554 5.7.1 Access denied", false },
		{ "!5.7.1, 5xx", "550 5.1.1 User unknown", true },
		{ "5xx, !5.7.1", "554 5.7.1 Access denied", true },
		{ "454 4.7.1", "454 4.7.0 other", false },
		{ "454 4.7.1", "4.7.1 no code", false },
	};
	struct pd_codes c = { 0 };
	struct pd_err	err;

	for (size_t i = 0; i < nitems(cases); i++) {
		ck_assert_int_eq(pd_codes_parse(&c, cases[i].list, &err), 0);
		ck_assert_msg(pd_codes_match(&c, cases[i].reply) == cases[i].want,
		    "\"%s\" against \"%s\": want %d", cases[i].list,
		    cases[i].reply, cases[i].want);
	}
	pd_codes_free(&c);
	ck_assert_ptr_nonnull(pd_codes_default(PD_EV_RCPT_REJECTED));
	ck_assert_ptr_null(pd_codes_default(PD_EV_DROPPED));
}
END_TEST

/*
 * What a reload warns about: the options it cannot apply that changed.
 * The same config text on both sides gives configs that share no
 * pointer, so lists and strings must compare by content.
 */
static const struct {
	const char	*old, *new;
	bool		 resolver;	/* a resolver runs */
	size_t		 want;
	const char	*want_names;
} restart_cases[] = {
	/* nothing changed */
	{ "", "", true, 0, "" },
	{ "listen = inet:127.0.0.1:1 unix:/tmp/p\nuser = pd\n",
	    "listen = inet:127.0.0.1:1, unix:/tmp/p\nuser = pd\n", true, 0, "" },
	/* reloadable options are never named */
	{ "", "request_timeout = 10s\nmax_keys = 500\ndry_run = yes\n"
	    "local_domains = example.org\nstate_file = /tmp/s\n"
	    "geoip_asn_db = /tmp/a.mmdb\n", true, 0, "" },
	/* one restart-only option, and the rest of the file changed too */
	{ "maillog = /var/log/a\n", "maillog = /var/log/b\ndry_run = yes\n",
	    false, 1, "maillog" },
	/* named in the order of the option table */
	{ "", "maillog = /var/log/mail.log\nuser = pd\n", false, 2,
	    "user, maillog" },
	{ "listen = inet:127.0.0.1:1\n", "listen = inet:127.0.0.1:2\n", false,
	    1, "listen" },
	{ "listen = inet:127.0.0.1:1\n",
	    "listen = inet:127.0.0.1:1 inet:127.0.0.1:2\n", false, 1, "listen" },
	{ "", "unix_mode = 0660\ncontrol_socket = /tmp/c\n"
	    "metrics_listen = 127.0.0.1:12541\n", false, 3,
	    "unix_mode, control_socket, metrics_listen" },
	/* the resolver's options are fixed only once it runs */
	{ "", "dns_forward = 127.0.0.1@5353\ndns_cache_size = 200\n", false, 0,
	    "" },
	{ "", "dns_forward = 127.0.0.1@5353\ndns_cache_size = 200\n", true, 2,
	    "dns_forward, dns_cache_size" },
};

START_TEST(test_conf_restart_changes)
{
	struct pd_conf *old = tu_conf(restart_cases[_i].old);
	struct pd_conf *new = tu_conf(restart_cases[_i].new);
	char buf[256];
	size_t n;

	memset(buf, 'x', sizeof(buf));
	n = pd_conf_restart_changes(old, new, restart_cases[_i].resolver, buf,
	    sizeof(buf));
	ck_assert_msg(n == restart_cases[_i].want &&
	    strcmp(buf, restart_cases[_i].want_names) == 0,
	    "case %d: got %zu \"%s\", want %zu \"%s\"", _i, n, buf,
	    restart_cases[_i].want, restart_cases[_i].want_names);
	/* What changed is the same seen from either side. */
	ck_assert_uint_eq(pd_conf_restart_changes(new, old,
	    restart_cases[_i].resolver, buf, sizeof(buf)), n);
	pd_conf_free(old);
	pd_conf_free(new);
}
END_TEST

/* A buffer too small gets a cut, terminated list and the full count. */
START_TEST(test_conf_restart_changes_cut)
{
	struct pd_conf *old = tu_conf("");
	struct pd_conf *new = tu_conf("user = pd\nmaillog = /var/log/m\n");
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	ck_assert_uint_eq(pd_conf_restart_changes(old, new, false, buf,
	    sizeof(buf)), 2);
	ck_assert_str_eq(buf, "user, m");
	ck_assert_uint_eq(pd_conf_restart_changes(old, new, false, buf, 0), 2);
	ck_assert_str_eq(buf, "user, m");
	pd_conf_free(old);
	pd_conf_free(new);
}
END_TEST

/*
 * After a reload the new config holds the values in use of what the
 * reload cannot apply, and the new values of everything else.
 */
START_TEST(test_conf_keep_running)
{
	struct pd_conf *old = tu_conf("listen = inet:127.0.0.1:1\n"
	    "maillog = /var/log/a\ndns_forward = 127.0.0.1@53\n");
	struct pd_conf *new = tu_conf("listen = inet:127.0.0.1:2, unix:/x\n"
	    "maillog = /var/log/b\ndns_forward = 127.0.0.1@54\n"
	    "user = pd\nmax_keys = 500\n");
	char buf[256];

	ck_assert_int_eq(pd_conf_keep_running(new, old, false), 0);
	ck_assert_uint_eq(new->listen.n, 1);
	ck_assert_str_eq(new->listen.v[0], "inet:127.0.0.1:1");
	ck_assert_str_eq(new->maillog, "/var/log/a");
	ck_assert_str_eq(new->user, "");
	ck_assert_int_eq(new->max_keys, 500);
	/* No resolver runs: the next one is made with the new address. */
	ck_assert_str_eq(new->dns_forward, "127.0.0.1@54");
	ck_assert_uint_eq(pd_conf_restart_changes(old, new, false, buf,
	    sizeof(buf)), 0);
	ck_assert_int_eq(pd_conf_keep_running(new, old, true), 0);
	ck_assert_str_eq(new->dns_forward, "127.0.0.1@53");
	ck_assert_uint_eq(pd_conf_restart_changes(old, new, true, buf,
	    sizeof(buf)), 0);
	pd_conf_free(old);
	pd_conf_free(new);
}
END_TEST

/*
 * The shipped etc/policyd.conf: each reply that refuses mail is the
 * field reports' text (SPEC 2, 6), word for word, then the reference
 * (SPEC 15), so that a bounce leads to "policydctl explain".
 */
static const struct {
	const char *rule;
	const char *text; /* before " (${ref})" */
} shipped_replies[] = {
	{ "connections", "451 4.7.1 Too many connections received this hour "
			 "from ${client_address}" },
	{ "helo_our_address", "554 5.7.1 bogus helo ${helo_name}" },
	{ "helo_ip_literal", "554 5.7.1 bogus helo" },
	{ "helo_our_domain", "554 5.7.1 bogus helo matches rcpt" },
	{ "helo_special_use", "554 5.7.1 Go away, bad guy (.${tld})" },
	{ "helo_non_fqdn", "504 5.5.2 need fully-qualified hostname" },
	{ "helo_invalid", "501 5.5.2 Invalid name" },
	{ "helo_unknown", "450 4.7.1 Host not found" },
	{ "dict_block", "451 4.7.1 Too many invalid recipients from "
			"${client_address}, try again later" },
	{ "dict_segment", "451 4.7.1 Too many invalid recipients from ${key}, "
			  "try again later" },
	{ "rcpt_flood", "554 5.7.1 Your IP is sending excessive rejected "
			"recipients. Please contact support." },
	{ "auth_flood", "554 5.7.1 Your IP is generating excessive "
			"authentication failures. Please contact support." },
	{ "conn_flood", "554 5.7.1 Your IP address is flooding our SMTP "
			"server with abusive requests, please contact "
			"support." },
	{ "data_flood", "554 5.7.1 Your IP is sending excessive rejected "
			"messages. Please contact support." },
};

static struct pd_conf *
shipped_conf(void)
{
	char		path[512];
	struct pd_conf *c;

	snprintf(path, sizeof(path), "%s/etc/policyd.conf",
	    getenv("PD_TOP") ? getenv("PD_TOP") : ".");
	c = pd_conf_load(path, NULL, 0, NULL, NULL);
	ck_assert_msg(c != NULL, "%s does not load", path);
	return c;
}

/* ends_with_ref - text is want, then " (${ref})" */
static bool
ends_with_ref(const char *text, const char *want)
{
	size_t n = strlen(want);

	return strncmp(text, want, n) == 0 && strcmp(text + n, " (${ref})") == 0;
}

START_TEST(test_conf_shipped_replies_carry_the_ref)
{
	struct pd_conf *c = shipped_conf();
	size_t		found = 0;

	for (size_t i = 0; i < c->nrules; i++) {
		const struct pd_rule *r = &c->rules[i];
		size_t		      j;

		if (r->reply.src == NULL)
			continue;
		for (j = 0; j < sizeof(shipped_replies) /
			     sizeof(shipped_replies[0]);
		     j++)
			if (strcmp(shipped_replies[j].rule, r->name) == 0)
				break;
		ck_assert_msg(j < sizeof(shipped_replies) /
			    sizeof(shipped_replies[0]),
		    "rule %s: a reply the test does not know: %s", r->name,
		    r->reply.src);
		ck_assert_msg(ends_with_ref(r->reply.src,
				  shipped_replies[j].text),
		    "rule %s: got \"%s\", want \"%s (${ref})\"", r->name,
		    r->reply.src, shipped_replies[j].text);
		found++;
	}
	ck_assert_uint_eq(found,
	    sizeof(shipped_replies) / sizeof(shipped_replies[0]));
	ck_assert_msg(ends_with_ref(c->block_reply_text, "451 4.7.1 ${reason}"),
	    "block_reply: %s", c->block_reply_text);
	ck_assert_msg(strstr(c->score_defer_reply_text, " (${ref})") != NULL,
	    "score_defer_reply: %s", c->score_defer_reply_text);
	ck_assert_msg(strstr(c->score_reject_reply_text, " (${ref})") != NULL,
	    "score_reject_reply: %s", c->score_reject_reply_text);
	pd_conf_free(c);
}
END_TEST

/* Bulk senders skip the connection limit, and nothing else (case A). */
START_TEST(test_conf_shipped_bulk_profile)
{
	struct pd_conf		*c = shipped_conf();
	const struct pd_profile *p = NULL;

	for (size_t i = 0; i < c->nprofiles; i++)
		if (strcmp(c->profiles[i].name, "bulk") == 0)
			p = &c->profiles[i];
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->nrules, c->nrules - 1);
	for (size_t i = 0; i < p->nrules; i++)
		ck_assert_str_ne(c->rules[p->rules[i]].name, "connections");
	pd_conf_free(c);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_conf_defaults);
	tcase_add_test(tc, test_conf_rule_fields);
	tcase_add_test(tc, test_conf_continuation_and_lists);
	tcase_add_test(tc, test_conf_reply_comment_warns);
	tcase_add_test(tc, test_conf_write);
	tcase_add_test(tc, test_conf_overrides);
	tcase_add_test(tc, test_conf_geo_conditions);
	tcase_add_loop_test(tc, test_conf_restart_changes, 0,
	    (int)(sizeof(restart_cases) / sizeof(restart_cases[0])));
	tcase_add_test(tc, test_conf_restart_changes_cut);
	tcase_add_test(tc, test_conf_keep_running);
	tcase_add_test(tc, test_conf_shipped_replies_carry_the_ref);
	tcase_add_test(tc, test_conf_shipped_bulk_profile);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, test_conf_reports_every_error);
	tcase_add_loop_test(tc, test_conf_trailing_comments, 0,
	    sizeof(comment_cases) / sizeof(comment_cases[0]));
	tcase_add_loop_test(tc, test_conf_specs_checked, 0,
	    sizeof(spec_cases) / sizeof(spec_cases[0]));
	tcase_add_test(tc, test_conf_gives_up_after_twenty);
	tcase_add_test(tc, test_conf_load_missing_file);
	tcase_add_test(tc, test_conf_geo_errors);
	tcase_add_test(tc, test_conf_codes);
	tcase_add_test(tc, test_conf_codes_match);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(conf_suite()) != 0;
}
