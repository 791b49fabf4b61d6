/*
 * check_conf - policyd.conf parsing; the bad-file corpus in t/conf is
 * run through "policyd -t" by t/run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "buf.h"
#include "conf.h"
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

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_test(tc, test_conf_defaults);
	tcase_add_test(tc, test_conf_rule_fields);
	tcase_add_test(tc, test_conf_continuation_and_lists);
	tcase_add_test(tc, test_conf_overrides);
	tcase_add_test(tc, test_conf_geo_conditions);
	tcase_add_loop_test(tc, test_conf_restart_changes, 0,
	    (int)(sizeof(restart_cases) / sizeof(restart_cases[0])));
	tcase_add_test(tc, test_conf_restart_changes_cut);
	tcase_add_test(tc, test_conf_keep_running);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, test_conf_reports_every_error);
	tcase_add_test(tc, test_conf_gives_up_after_twenty);
	tcase_add_test(tc, test_conf_load_missing_file);
	tcase_add_test(tc, test_conf_geo_errors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(conf_suite()) != 0;
}
