/* SPDX-License-Identifier: ISC */
/*
 * check_engine - decisions: case A, blocks, listings, tarpits, lists,
 * profiles, warn mode, and counting once per SMTP session for every
 * placement of check_policy_service.  The clock is made up: an hour of
 * traffic takes milliseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "buf.h"
#include "err.h"
#include "addr.h"
#include "conf.h"
#include "engine.h"
#include "geoip.h"
#include "proto.h"
#include "str.h"
#include "testutil.h"

#define FIXTURE	"t/data/postfix-3.7-requests.txt"

static const char case_a[] =
    "allow local {\n"
    "	client = 127.0.0.0/8\n"
    "}\n"
    "rule connections {\n"
    "	event = connection\n"
    "	limit = 1000 per 1h\n"
    "	release = quiet 1h\n"
    "	reply = 451 4.7.1 Too many connections received this hour from ${client_address}\n"
    "}\n"
    "profile bulk {\n"
    "	policy_context = bulk\n"
    "	rules =\n"
    "}\n";

static struct pd_conf *conf;
static struct pd_engine eng;
static char reply[1024];
/* What the "DNS" says of the HELO name in the next requests. */
static enum pd_helo_dns dns_answer = PD_HELO_DNS_NONE;

static void
setup(const char *text)
{
	struct pd_err err;

	tu_log_capture();
	conf = tu_conf(text);
	ck_assert_int_eq(pd_engine_init(&eng, conf, 0x123456, &err), 0);
	tu_engine_log(&eng);
}

static void
teardown(void)
{
	pd_engine_clear(&eng);
	pd_conf_free(conf);
}

/* ask_raw - one request (lines without the final empty line) */
static const char *
ask_raw(const char *raw, int64_t now)
{
	return tu_decide(&eng, raw, now, dns_answer, reply, sizeof(reply));
}

/* ask - a Postfix-like RCPT request from addr, session port */
static const char *
ask(const char *addr, int port, const char *extra, int64_t now)
{
	char raw[2048];

	snprintf(raw, sizeof(raw),
	    "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "protocol_name=ESMTP\nclient_address=%s\nclient_name=unknown\n"
	    "client_port=%d\nhelo_name=mx.example.net\n"
	    "sender=a@example.org\nrecipient=user@test.example\n"
	    "instance=1b43.6b040633.87a34.%d\nserver_port=25%s%s",
	    addr, port, port, extra ? "\n" : "", extra ? extra : "");
	return ask_raw(raw, now);
}

static bool
dunno(const char *r)
{
	return strcmp(r, "action=DUNNO\n\n") == 0;
}

static const char want_a[] =
    "action=451 4.7.1 Too many connections received this hour from 203.0.113.9\n\n";

START_TEST(test_case_a_1001st_connection_listed)
{
	setup(case_a);
	/* 1000 sessions spread over 59 minutes all pass. */
	for (int i = 0; i < 1000; i++)
		ck_assert_msg(dunno(ask("203.0.113.9", 10000 + i, NULL,
		    T0 + i * (59 * MIN / 1000))), "session %d: %s", i, reply);
	ck_assert_str_eq(ask("203.0.113.9", 20000, NULL, T0 + 59 * MIN), want_a);
	/* Another address is not affected. */
	ck_assert(dunno(ask("203.0.113.10", 20001, NULL, T0 + 59 * MIN)));
	/* The log line carries the figures and a reference. */
	ck_assert(tu_log_has("action=defer rule=connections client=203.0.113.9 "
	    "helo=mx.example.net state=RCPT count=1001 limit=1000/1h "
	    "expires=2026-11-22T01:59:00Z ref=PD-"));
	teardown();
}
END_TEST

/*
 * The field report's case A over three hours of steady traffic: a
 * client at 999 connections an hour is never listed (the old window
 * counted it up to 1083); one at 1020 an hour is, within the hour.
 */
static const struct {
	int  per_hour;
	bool listed;
} steady_cases[] = { { 999, false }, { 990, false }, { 1020, true } };

START_TEST(test_case_a_steady_client_listed_only_past_the_limit)
{
	int64_t step = HOUR / steady_cases[_i].per_hour, first = 0;

	setup(case_a);
	for (int i = 0; i < 3 * steady_cases[_i].per_hour; i++) {
		int64_t now = T0 + 17 + i * step;

		if (!dunno(ask("203.0.113.9", 10000 + i % 50000, NULL, now))) {
			first = now;
			break;
		}
	}
	if (steady_cases[_i].listed)
		ck_assert_msg(first != 0 && first <= T0 + HOUR,
		    "%d an hour: listed at %+lld ms", steady_cases[_i].per_hour,
		    (long long)(first - T0));
	else
		ck_assert_msg(first == 0, "%d an hour: listed at %+lld ms",
		    steady_cases[_i].per_hour, (long long)(first - T0));
	teardown();
}
END_TEST

START_TEST(test_case_a_retry_every_59_minutes_stays_listed)
{
	int64_t t;
	int port = 1;

	setup(case_a);
	for (int i = 0; i < 1001; i++)
		ask("203.0.113.9", port++, NULL, T0 + i);
	ck_assert_str_eq(reply, want_a);
	/* Every retry within the quiet hour restarts it: still listed. */
	for (t = T0 + 59 * MIN; t < T0 + 6 * HOUR; t += 59 * MIN)
		ck_assert_msg(strcmp(ask("203.0.113.9", port++, NULL, t),
		    want_a) == 0, "at +%lld min: %s", (t - T0) / MIN, reply);
	t -= 59 * MIN;
	/* One minute short of a quiet hour: still listed (and restarted). */
	ck_assert_str_eq(ask("203.0.113.9", port++, NULL, t + 59 * MIN), want_a);
	t += 59 * MIN;
	/* A full quiet hour: released, and counting starts afresh. */
	ck_assert(dunno(ask("203.0.113.9", port++, NULL, t + HOUR)));
	for (int i = 0; i < 998; i++)
		ck_assert(dunno(ask("203.0.113.9", port++, NULL, t + HOUR + i)));
	teardown();
}
END_TEST

START_TEST(test_case_a_quiet_release_is_exact)
{
	setup(case_a);
	for (int i = 0; i < 1001; i++)
		ask("203.0.113.9", i, NULL, T0);
	ck_assert_str_eq(reply, want_a);
	/* Listing ends exactly one quiet hour after the last attempt. */
	ck_assert_str_eq(ask("203.0.113.9", 5000, NULL, T0 + HOUR - 1), want_a);
	ck_assert(dunno(ask("203.0.113.9", 5001, NULL, T0 + 2 * HOUR - 1)));
	teardown();
}
END_TEST

START_TEST(test_case_a_same_session_counts_once)
{
	setup(case_a);
	/* 5000 RCPTs in one session are one connection. */
	for (int i = 0; i < 5000; i++)
		ck_assert(dunno(ask("203.0.113.9", 4242, NULL, T0 + i)));
	teardown();
}
END_TEST

START_TEST(test_bulk_profile_has_no_limit)
{
	setup(case_a);
	for (int i = 0; i < 3000; i++)
		ck_assert(dunno(ask("203.0.113.9", i, "policy_context=bulk", T0)));
	teardown();
}
END_TEST

START_TEST(test_allow_list_is_exempt)
{
	setup(case_a);
	for (int i = 0; i < 3000; i++)
		ck_assert(dunno(ask("127.0.0.1", i, NULL, T0)));
	teardown();
}
END_TEST

static const char small[] =
    "rule c {\n"
    "	event = connection\n"
    "	limit = 2 per 1m\n"
    "	reply = 451 4.7.1 over ${count}/${limit} per ${window} (${ref})\n"
    "}\n";

START_TEST(test_ipv6_clients_share_their_64)
{
	setup(small);
	ck_assert(dunno(ask("2001:db8:1:2::1", 1, NULL, T0)));
	ck_assert(dunno(ask("2001:db8:1:2:ffff:ffff:ffff:ffff", 2, NULL, T0)));
	ck_assert(dunno(ask("2001:db8:1:3::1", 3, NULL, T0)));
	ck_assert_ptr_nonnull(strstr(ask("2001:db8:1:2::abcd", 4, NULL, T0),
	    "451 4.7.1 over 3/2 per 1m"));
	ck_assert(tu_log_has("key=2001:db8:1:2::/64"));
	teardown();
}
END_TEST

START_TEST(test_rate_rule_passes_again_as_window_slides)
{
	setup(small);
	ck_assert(dunno(ask("192.0.2.1", 1, NULL, T0)));
	ck_assert(dunno(ask("192.0.2.1", 2, NULL, T0 + 30 * SEC)));
	ck_assert(!dunno(ask("192.0.2.1", 3, NULL, T0 + 40 * SEC)));
	/* The first event leaves the window after 1m (+ 1/12 at most). */
	ck_assert(!dunno(ask("192.0.2.1", 4, NULL, T0 + 60 * SEC)));
	ck_assert(!dunno(ask("192.0.2.1", 5, NULL, T0 + 64 * SEC)));
	teardown();
}
END_TEST

START_TEST(test_ref_in_reply_matches_log)
{
	const char *r, *ref;
	char want[64];

	setup(small);
	ask("192.0.2.1", 1, NULL, T0);
	ask("192.0.2.1", 2, NULL, T0);
	r = ask("192.0.2.1", 3, NULL, T0);
	ref = strstr(r, "(PD-");
	ck_assert_ptr_nonnull(ref);
	snprintf(want, sizeof(want), "ref=%.9s", ref + 1);
	ck_assert_msg(tu_log_has(want), "%s not in log:\n%s", want,
	    tu_log_text());
	teardown();
}
END_TEST

START_TEST(test_warn_mode_logs_and_answers_dunno)
{
	setup("rule c {\n event = connection\n limit = 1 per 1h\n block = 1h\n"
	    " mode = warn\n reply = 554 5.7.1 no\n}\n");
	ck_assert(dunno(ask("192.0.2.1", 1, NULL, T0)));
	ck_assert(dunno(ask("192.0.2.1", 2, NULL, T0)));
	ck_assert(tu_log_has("action=warn would=reject rule=c client=192.0.2.1"));
	/* The would-be block is logged on later requests too. */
	ck_assert(dunno(ask("192.0.2.1", 3, NULL, T0 + MIN)));
	ck_assert_int_eq(tu_log_count("action=warn would=reject"), 2);
	teardown();
}
END_TEST

START_TEST(test_dry_run_covers_deny_lists)
{
	setup("dry_run = yes\ndeny d {\n client = 192.0.2.0/24\n"
	    " reply = 554 5.7.1 denied ${client_address}\n}\n");
	ck_assert(dunno(ask("192.0.2.7", 1, NULL, T0)));
	ck_assert(tu_log_has("action=warn would=reject rule=d client=192.0.2.7"));
	teardown();
}
END_TEST

START_TEST(test_deny_list_renders_text)
{
	setup("allow a {\n client = 192.0.2.1\n}\n"
	    "deny d {\n client = 192.0.2.0/24, 2001:db8::/32\n"
	    " client_name = .bad.example\n"
	    " reply = 554 5.7.1 Access denied for ${client_address} [${helo_name}]\n}\n");
	ck_assert(dunno(ask("192.0.2.1", 1, NULL, T0)));
	ck_assert_str_eq(ask("192.0.2.2", 1, NULL, T0),
	    "action=554 5.7.1 Access denied for 192.0.2.2 [mx.example.net]\n\n");
	ck_assert(!dunno(ask("2001:db8::5", 1, NULL, T0)));
	ck_assert(!dunno(ask("198.51.100.1", 1, "client_name=Host.BAD.example",
	    T0)));
	ck_assert(dunno(ask("198.51.100.1", 1, "client_name=bad.example", T0)));
	teardown();
}
END_TEST

START_TEST(test_fixed_block_expires_and_triggers_again)
{
	setup("rule b {\n event = rcpt\n limit = 3 per 1h\n block = 48h\n"
	    " reply = 554 5.7.1 blocked until ${expires}\n}\n");
	for (int i = 0; i < 3; i++)
		ck_assert(dunno(ask("192.0.2.1", i, NULL, T0)));
	ck_assert_str_eq(ask("192.0.2.1", 9, NULL, T0),
	    "action=554 5.7.1 blocked until 2026-11-24T00:00:00Z\n\n");
	/* Attempts during the block do not extend it. */
	ck_assert(!dunno(ask("192.0.2.1", 10, NULL, T0 + 47 * HOUR)));
	ck_assert(dunno(ask("192.0.2.1", 11, NULL, T0 + 48 * HOUR)));
	/* The behaviour resumes: blocked again. */
	ask("192.0.2.1", 12, NULL, T0 + 48 * HOUR);
	ask("192.0.2.1", 13, NULL, T0 + 48 * HOUR);
	ck_assert_str_eq(ask("192.0.2.1", 14, NULL, T0 + 48 * HOUR),
	    "action=554 5.7.1 blocked until 2026-11-26T00:00:00Z\n\n");
	teardown();
}
END_TEST

START_TEST(test_tarpit_grows_by_step_and_caps)
{
	const char *want[] = { "DUNNO", "DUNNO", "SLEEP 5", "SLEEP 10",
	    "SLEEP 15", "SLEEP 20", "SLEEP 20" };
	char w[64];

	setup("rule t {\n event = rcpt\n limit = 2 per 1h\n delay = 5s step\n"
	    " max_delay = 20s\n}\n");
	for (int i = 0; i < 7; i++) {
		char extra[64];

		/* Each RCPT has its own recipient in one session. */
		snprintf(extra, sizeof(extra), "recipient=u%d@test.example", i);
		snprintf(w, sizeof(w), "action=%s\n\n", want[i]);
		ck_assert_str_eq(ask("192.0.2.1", 7, extra, T0 + i), w);
	}
	ck_assert(tu_log_has("action=sleep rule=t client=192.0.2.1"));
	teardown();
}
END_TEST

START_TEST(test_segment_key_groups_addresses)
{
	setup("rule s {\n event = connection\n key = client_prefix\n"
	    " limit = 2 per 1h\n block = 2m\n reply = 554 5.7.1 segment ${key}\n}\n");
	ck_assert(dunno(ask("192.0.2.1", 1, NULL, T0)));
	ck_assert(dunno(ask("192.0.2.2", 1, NULL, T0)));
	ck_assert_str_eq(ask("192.0.2.3", 1, NULL, T0),
	    "action=554 5.7.1 segment 192.0.2.0/24\n\n");
	/* The whole segment is blocked, not just the third address. */
	ck_assert(!dunno(ask("192.0.2.200", 1, NULL, T0 + MIN)));
	ck_assert(dunno(ask("192.0.3.1", 1, NULL, T0 + MIN)));
	ck_assert(dunno(ask("192.0.2.200", 2, NULL, T0 + 2 * MIN)));
	teardown();
}
END_TEST

START_TEST(test_malformed_requests_get_dunno)
{
	setup(small);
	ck_assert(dunno(ask_raw("request=smtpd_access_policy\nprotocol_state=RCPT",
	    T0)));
	/* The decision says why; the daemon logs it with the peer. */
	ck_assert_str_eq(tu_last()->malformed, "no usable client_address");
	ck_assert(dunno(ask_raw("request=other\nclient_address=192.0.2.1", T0)));
	ck_assert_str_eq(tu_last()->malformed,
	    "request is not smtpd_access_policy");
	ck_assert(dunno(ask_raw("request=smtpd_access_policy\n"
	    "client_address=not-an-ip", T0)));
	ck_assert_str_eq(tu_last()->malformed, "no usable client_address");
	ck_assert(dunno(ask_raw("request=smtpd_access_policy\n"
	    "client_address=192.0.2.1", T0)));
	ck_assert_ptr_null(tu_last()->malformed);
	ck_assert_uint_eq(pd_engine_stats(&eng)->malformed, 3);
	teardown();
}
END_TEST

START_TEST(test_reload_keeps_counters_unless_rule_changes)
{
	struct pd_conf *same, *changed;
	struct pd_err err;

	setup(small);
	ask("192.0.2.1", 1, NULL, T0);
	ask("192.0.2.1", 2, NULL, T0);
	same = tu_conf(small);
	ck_assert_int_eq(pd_engine_set_conf(&eng, same, &err), 0);
	pd_conf_free(conf);
	conf = same;
	ck_assert(!dunno(ask("192.0.2.1", 3, NULL, T0)));
	changed = tu_conf("rule c {\n event = connection\n limit = 2 per 2m\n"
	    " reply = 451 4.7.1 x\n}\n");
	ck_assert_int_eq(pd_engine_set_conf(&eng, changed, &err), 0);
	pd_conf_free(conf);
	conf = changed;
	ck_assert(dunno(ask("192.0.2.1", 4, NULL, T0)));
	teardown();
}
END_TEST

/*
 * Counting once per session, with request sequences recorded from
 * Postfix 3.7.11 (t/data): a rule that allows one connection per hour
 * must let the whole session through, and the next session not.
 */
static const struct {
	const char	*name;
	int		 session;
	int		 repeat;	/* each request asked this often */
	const char	*client;
} placements[] = {
	{ "recipient restrictions", 1, 1, "192.0.2.66" },
	{ "two messages, no PORT in XCLIENT", 2, 1, "192.0.2.1" },
	{ "bulk service, policy_context", 3, 1, "192.0.2.66" },
	{ "delay_reject=no, every stage", 4, 1, "192.0.2.1" },
	/* delay_reject=yes with policy in client, helo, sender, recipient */
	{ "same RCPT asked four times", 1, 4, "192.0.2.66" },
	{ "every stage, each asked twice", 4, 2, "192.0.2.1" },
};

START_TEST(test_counts_once_per_session_for_every_placement)
{
	const char *reqs[32];
	size_t n;
	char raw[4096], *p;

	setup("rule one {\n event = connection\n limit = 1 per 1h\n"
	    " reply = 451 4.7.1 second connection\n}\n"
	    "rule mails {\n event = mail\n limit = 2 per 1h\n"
	    " reply = 451 4.7.1 third mail\n}\n");
	n = tu_fixture(FIXTURE, placements[_i].session, reqs, 32);
	ck_assert_msg(n > 0, "%s: no requests in fixture", placements[_i].name);
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < placements[_i].repeat; k++)
			ck_assert_msg(dunno(ask_raw(reqs[i], T0 + (int64_t)i)),
			    "%s: request %zu: %s", placements[_i].name, i + 1,
			    reply);
	/* The same session replayed with another port is a new session. */
	snprintf(raw, sizeof(raw), "%s", reqs[n - 1]);
	if ((p = strstr(raw, "client_port=")) != NULL)
		p[12] = p[12] == '9' ? '8' : '9';
	ck_assert_msg(!dunno(ask_raw(raw, T0 + MIN)), "%s: second session "
	    "passed: %s", placements[_i].name, reply);
	ck_assert_msg(strstr(reply, "second connection") != NULL, "%s: %s",
	    placements[_i].name, reply);
	teardown();
}
END_TEST

/* The HELO rules of the shipped policyd.conf, with a score on top. */
static const char helo_conf[] =
    "allow local {\n client = 127.0.0.0/8\n}\n"
    "local_domains = mx.test.example\n"
    "local_addresses = 198.51.100.25\n"
    "rule helo_our_address {\n helo = our_address\n"
    " reply = 554 5.7.1 bogus helo ${helo_name}\n}\n"
    "rule helo_ip_literal {\n helo = ip_literal\n"
    " reply = 554 5.7.1 bogus helo\n}\n"
    "rule helo_our_domain {\n helo = our_domain\n"
    " reply = 554 5.7.1 bogus helo matches rcpt\n}\n"
    "rule helo_special_use {\n helo = special_use\n"
    " reply = 554 5.7.1 Go away, bad guy (.${tld})\n}\n"
    "rule helo_non_fqdn {\n helo = non_fqdn\n"
    " reply = 504 5.5.2 need fully-qualified hostname\n}\n"
    "rule helo_invalid {\n helo = invalid\n reply = 501 5.5.2 Invalid name\n}\n"
    "rule helo_unknown {\n helo = unknown\n reply = 450 4.7.1 Host not found\n}\n";

static const struct {
	const char		*name;
	const char		*helo;
	const char		*extra;		/* more attributes */
	enum pd_helo_dns	 dns;
	const char		*want;		/* reply, without "action=" */
} helo_cases[] = {
	{ "address literal", "[192.0.2.1]", NULL, PD_HELO_DNS_NONE,
	    "554 5.7.1 bogus helo" },
	{ "IPv6 literal", "[IPv6:2001:db8::1]", NULL, PD_HELO_DNS_NONE,
	    "554 5.7.1 bogus helo" },
	{ "bare address", "203.0.113.7", NULL, PD_HELO_DNS_NONE,
	    "554 5.7.1 bogus helo" },
	{ "server_address", "192.0.2.25", "server_address=192.0.2.25",
	    PD_HELO_DNS_NONE, "554 5.7.1 bogus helo 192.0.2.25" },
	{ "local_addresses", "[198.51.100.25]", NULL, PD_HELO_DNS_NONE,
	    "554 5.7.1 bogus helo [198.51.100.25]" },
	{ "recipient domain", "Test.Example.", NULL, PD_HELO_DNS_NONE,
	    "554 5.7.1 bogus helo matches rcpt" },
	{ "local_domains", "mx.test.example", NULL, PD_HELO_DNS_NONE,
	    "554 5.7.1 bogus helo matches rcpt" },
	{ ".local", "senderdomain.local", NULL, PD_HELO_DNS_NONE,
	    "554 5.7.1 Go away, bad guy (.local)" },
	{ ".home.arpa", "nas.home.arpa", NULL, PD_HELO_DNS_NONE,
	    "554 5.7.1 Go away, bad guy (.home.arpa)" },
	{ "no dot", "mailserver", NULL, PD_HELO_DNS_NONE,
	    "504 5.5.2 need fully-qualified hostname" },
	{ "invalid", "bad!name.example.com", NULL, PD_HELO_DNS_NONE,
	    "501 5.5.2 Invalid name" },
	{ "no address", "mailserver.mydomain.com", NULL, PD_HELO_DNS_NOTFOUND,
	    "450 4.7.1 Host not found" },
	{ "has address", "mx.example.net", NULL, PD_HELO_DNS_FOUND, "DUNNO" },
	{ "DNS failed", "mx.example.net", NULL, PD_HELO_DNS_TEMPFAIL, "DUNNO" },
	{ "DNS timed out", "mx.example.net", NULL, PD_HELO_DNS_TIMEOUT, "DUNNO" },
	{ "authenticated", "[192.0.2.1]", "sasl_username=bob",
	    PD_HELO_DNS_NONE, "DUNNO" },
	{ "allow-listed", "[192.0.2.1]", "client_address=127.0.0.1",
	    PD_HELO_DNS_NONE, "DUNNO" },
	{ "no HELO yet", "", NULL, PD_HELO_DNS_NONE, "DUNNO" },
};

START_TEST(test_helo_checks_give_their_texts)
{
	char extra[256], want[256];

	setup(helo_conf);
	dns_answer = helo_cases[_i].dns;
	snprintf(extra, sizeof(extra), "helo_name=%s%s%s", helo_cases[_i].helo,
	    helo_cases[_i].extra ? "\n" : "",
	    helo_cases[_i].extra ? helo_cases[_i].extra : "");
	snprintf(want, sizeof(want), "action=%s\n\n", helo_cases[_i].want);
	ask("192.0.2.9", 1, extra, T0);
	ck_assert_msg(strcmp(reply, want) == 0, "%s: got \"%s\", want \"%s\"",
	    helo_cases[_i].name, reply, want);
	/* The daemon logs the skipped check; the decision says so. */
	ck_assert_msg(tu_last()->dns_skipped == (helo_cases[_i].dns >=
	    PD_HELO_DNS_TEMPFAIL && strstr(want, "DUNNO") != NULL),
	    "%s: dns_skipped %d", helo_cases[_i].name, tu_last()->dns_skipped);
	dns_answer = PD_HELO_DNS_NONE;
	teardown();
}
END_TEST

START_TEST(test_helo_lookup_asked_only_when_needed)
{
	static const struct {
		const char *extra;
		bool want;
	} rows[] = {
		{ "helo_name=mx.example.net", true },
		{ "helo_name=MX.Example.NET.", true },
		{ "helo_name=[192.0.2.1]", false },
		{ "helo_name=x.local", false },
		{ "helo_name=mx.example.net\nsasl_username=bob", false },
		{ "helo_name=mx.example.net\nclient_address=127.0.0.1", false },
		{ "helo_name=mx.example.net\nrequest=junk", false },
	};
	struct pd_proto p;
	struct pd_req r;
	struct pd_err err;
	char raw[1024], name[PD_HELO_NAME_MAX + 1];
	size_t used;

	setup(helo_conf);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(raw, sizeof(raw), "request=smtpd_access_policy\n"
		    "client_address=192.0.2.9\nclient_port=7\n%s\n\n",
		    rows[i].extra);
		pd_proto_init(&p);
		ck_assert_int_eq(pd_proto_feed(&p, raw, strlen(raw), &used,
		    &err), 1);
		ck_assert_int_eq(pd_proto_parse(&p, &r, &err), 0);
		name[0] = '\0';
		ck_assert_msg(pd_engine_dns_name(&eng, &r, name, sizeof(name)) ==
		    rows[i].want, "%s", rows[i].extra);
		if (rows[i].want)
			ck_assert_str_eq(name, "mx.example.net");
		pd_proto_clear(&p);
	}
	/* Asking is pure: nothing was counted, no session was opened. */
	ck_assert_uint_eq(pd_engine_stats(&eng)->requests, 0);
	ck_assert_uint_eq(eng.sessions.tab.count, 0);
	ck_assert_uint_eq(pd_counters_size(pd_engine_counters(&eng)), 0);
	teardown();
	/* Without a rule on "unknown" nothing is looked up. */
	setup(small);
	pd_proto_init(&p);
	snprintf(raw, sizeof(raw), "request=smtpd_access_policy\n"
	    "client_address=192.0.2.9\nhelo_name=mx.example.net\n\n");
	ck_assert_int_eq(pd_proto_feed(&p, raw, strlen(raw), &used, &err), 1);
	ck_assert_int_eq(pd_proto_parse(&p, &r, &err), 0);
	ck_assert(!pd_engine_dns_name(&eng, &r, name, sizeof(name)));
	pd_proto_clear(&p);
	teardown();
}
END_TEST

START_TEST(test_dns_tempfail_action_reply)
{
	setup("dns_tempfail_action = 451 4.7.1 Cannot check ${helo_name} now\n"
	    "rule u {\n helo = unknown\n reply = 450 4.7.1 Host not found\n}\n");
	dns_answer = PD_HELO_DNS_TIMEOUT;
	ck_assert_str_eq(ask("192.0.2.9", 1, "helo_name=mx.example.net", T0),
	    "action=451 4.7.1 Cannot check mx.example.net now\n\n");
	ck_assert(tu_log_has("action=defer rule=dns_tempfail"));
	dns_answer = PD_HELO_DNS_NONE;
	teardown();
}
END_TEST

START_TEST(test_score_adds_up_to_threshold)
{
	setup("score_defer = 2\nscore_reject = 3\n"
	    "rule no_rdns {\n helo = no_rdns\n score = 1\n}\n"
	    "rule unknown {\n helo = unknown\n score = 1\n}\n"
	    "rule lit {\n helo = ip_literal\n score = 2\n}\n");
	/* One point: nothing. */
	ck_assert(dunno(ask("192.0.2.9", 1, "helo_name=mx.example.net", T0)));
	/* Two: defer, naming the reasons. */
	dns_answer = PD_HELO_DNS_NOTFOUND;
	ck_assert_ptr_nonnull(strstr(ask("192.0.2.9", 2,
	    "helo_name=mx.example.net", T0), "action=451 4.7.1 Message refused "
	    "for now: no_rdns,unknown (PD-"));
	dns_answer = PD_HELO_DNS_NONE;
	/* Three: reject. */
	ck_assert_ptr_nonnull(strstr(ask("192.0.2.9", 3, "helo_name=[192.0.2.1]",
	    T0), "action=554 5.7.1 Message refused: no_rdns,lit (PD-"));
	ck_assert(tu_log_has("action=reject rule=score client=192.0.2.9"));
	ck_assert(tu_log_has("score=3 reasons=no_rdns,lit"));
	/* A name for the client takes its point away. */
	ck_assert_ptr_nonnull(strstr(ask("192.0.2.9", 4, "helo_name=[192.0.2.1]\n"
	    "client_name=mail.example.net", T0), "action=451 4.7.1"));
	teardown();
}
END_TEST

START_TEST(test_later_rules_count_after_a_decision)
{
	setup("rule a {\n event = connection\n limit = 1 per 1h\n"
	    " reply = 451 4.7.1 rule a\n}\n"
	    "rule b {\n event = connection\n limit = 2 per 1h\n block = 1h\n"
	    " reply = 554 5.7.1 rule b\n}\n");
	ck_assert(dunno(ask("192.0.2.9", 1, NULL, T0)));
	ck_assert_str_eq(ask("192.0.2.9", 2, NULL, T0), "action=451 4.7.1 rule a\n\n");
	/* a answers; b passes its limit on the same event and blocks. */
	ck_assert_str_eq(ask("192.0.2.9", 3, NULL, T0), "action=451 4.7.1 rule a\n\n");
	ck_assert(tu_log_has("action=reject rule=b client=192.0.2.9"));
	ck_assert_str_eq(ask("192.0.2.9", 4, NULL, T0), "action=554 5.7.1 rule b\n\n");
	teardown();
}
END_TEST

START_TEST(test_condition_filters_counting)
{
	/* Count only connections whose HELO is a bare address. */
	setup("rule lit_flood {\n event = connection\n helo = ip_literal\n"
	    " limit = 2 per 1h\n reply = 451 4.7.1 too many from ${client_address}\n}\n");
	for (int i = 0; i < 5; i++)
		ck_assert(dunno(ask("192.0.2.9", i, "helo_name=mx.example.net", T0)));
	ck_assert(dunno(ask("192.0.2.9", 10, "helo_name=[192.0.2.9]", T0)));
	ck_assert(dunno(ask("192.0.2.9", 11, "helo_name=[192.0.2.9]", T0)));
	ck_assert(!dunno(ask("192.0.2.9", 12, "helo_name=[192.0.2.9]", T0)));
	teardown();
}
END_TEST

static const char case_b[] =
    "allow trusted {\n client = 192.0.2.200\n}\n"
    "rule dict_tarpit {\n event = rcpt_rejected\n limit = 1 per 1h\n"
    " delay = 5s step\n max_delay = 30s\n}\n"
    "rule dict_block {\n event = rcpt_rejected\n limit = 4 per 1h\n"
    " block = 2m\n reply = 554 5.7.1 Too many errors from ${client_address}\n}\n"
    "rule dict_segment {\n event = rcpt_rejected\n key = client_prefix\n"
    " limit = 9 per 1h\n block = 1h\n"
    " reply = 554 5.7.1 Too many errors from ${key}\n}\n";

static void
log_event(enum pd_event_type type, const char *addr, int64_t now)
{
	struct pd_addr a;

	ck_assert_int_eq(pd_addr_parse(addr, &a), 0);
	pd_engine_event(&eng, type, &a,
	    "550 5.1.1 User unknown in local recipient table", now);
}

/*
 * Several blocks hold for one client: the one that ends last answers,
 * whatever the order of the rules, so a client blocked for 48h is told
 * so, not about a 2-minute block set at the same time; a block in warn
 * mode answers only when no other does.
 */
static const char blocks_conf[] =
    "rule short {\n event = rcpt_rejected\n limit = 1 per 1h\n"
    " block = 2m\n reply = 451 4.7.1 short (${ref})\n}\n"
    "rule trial {\n event = rcpt_rejected\n limit = 1 per 1h\n"
    " block = 72h\n mode = warn\n reply = 554 5.7.1 trial (${ref})\n}\n"
    "rule long {\n event = rcpt_rejected\n limit = 2 per 1h\n"
    " block = 48h\n reply = 554 5.7.1 long (${ref})\n}\n"
    "rule listed {\n event = connection\n limit = 0 per 1h\n"
    " release = quiet 1h\n reply = 451 4.7.1 listed (${ref})\n}\n";

START_TEST(test_block_that_ends_last_answers)
{
	setup(blocks_conf);
	/* Listed at the first connection, for an hour. */
	ck_assert_msg(strstr(ask("198.51.100.7", 1, NULL, T0), "listed") !=
		NULL,
	    "%s", reply);
	log_event(PD_EV_RCPT_REJECTED, "198.51.100.7", T0 + SEC);
	log_event(PD_EV_RCPT_REJECTED, "198.51.100.7", T0 + 2 * SEC);
	/* short (2m) and trial (72h, warn) hold; the listing ends later. */
	ck_assert_msg(strstr(ask("198.51.100.7", 1, NULL, T0 + 3 * SEC),
			  "listed") != NULL,
	    "%s", reply);
	log_event(PD_EV_RCPT_REJECTED, "198.51.100.7", T0 + 4 * SEC);
	/* long (48h) too: it ends last of the blocks not in warn mode. */
	ck_assert_msg(strstr(ask("198.51.100.7", 1, NULL, T0 + 5 * SEC),
			  "action=554 5.7.1 long (PD-") != NULL,
	    "%s", reply);
	ck_assert_msg(tu_log_has("action=reject rule=long client=198.51.100.7 "
			  "helo=mx.example.net state=RCPT count=3 limit=2/1h "
			  "expires=2026-11-24T00:00:04Z"),
	    "%s", tu_log_text());
	/*
	 * After the 48h trial's 72h block is left, in warn mode: it logs,
	 * and the new session's listing answers.
	 */
	tu_log_reset();
	ck_assert_msg(strstr(ask("198.51.100.7", 2, NULL, T0 + 49 * HOUR),
			  "action=451 4.7.1 listed (PD-") != NULL,
	    "%s", reply);
	ck_assert(tu_log_has("action=warn would=reject rule=trial "));
	teardown();
}
END_TEST

START_TEST(test_case_b_tarpit_then_block)
{
	const char *want[] = { "DUNNO", "SLEEP 5", "SLEEP 10", "SLEEP 15" };
	char w[64];

	setup(case_b);
	for (int i = 0; i < 4; i++) {
		log_event(PD_EV_RCPT_REJECTED, "198.51.100.7", T0 + i * SEC);
		snprintf(w, sizeof(w), "action=%s\n\n", want[i]);
		ck_assert_str_eq(ask("198.51.100.7", 1, NULL, T0 + i * SEC), w);
	}
	/* The fifth error blocks for 2 minutes. */
	log_event(PD_EV_RCPT_REJECTED, "198.51.100.7", T0 + 5 * SEC);
	ck_assert(tu_log_has("action=reject rule=dict_block client=198.51.100.7 "
	    "source=maillog count=5 limit=4/1h"));
	ck_assert_str_eq(ask("198.51.100.7", 2, NULL, T0 + 6 * SEC),
	    "action=554 5.7.1 Too many errors from 198.51.100.7\n\n");
	ck_assert_str_eq(ask("198.51.100.7", 3, NULL, T0 + 2 * MIN + 4 * SEC),
	    "action=554 5.7.1 Too many errors from 198.51.100.7\n\n");
	/* After the block the tarpit goes on: five errors in the hour. */
	ck_assert_str_eq(ask("198.51.100.7", 4, NULL, T0 + 2 * MIN + 6 * SEC),
	    "action=SLEEP 20\n\n");
	/* Another address is not delayed. */
	ck_assert(dunno(ask("198.51.100.8", 1, NULL, T0 + 7 * SEC)));
	teardown();
}
END_TEST

START_TEST(test_case_b_segment_and_allow_list)
{
	char addr[32];

	setup(case_b);
	/* Ten addresses of one /24, one error each: the segment is blocked. */
	for (int i = 1; i <= 10; i++) {
		snprintf(addr, sizeof(addr), "203.0.113.%d", i);
		log_event(PD_EV_RCPT_REJECTED, addr, T0 + i * SEC);
	}
	ck_assert_str_eq(ask("203.0.113.77", 1, NULL, T0 + MIN),
	    "action=554 5.7.1 Too many errors from 203.0.113.0/24\n\n");
	/* A trusted address is never counted, delayed or blocked. */
	for (int i = 0; i < 20; i++)
		log_event(PD_EV_RCPT_REJECTED, "192.0.2.200", T0 + i * SEC);
	ck_assert(dunno(ask("192.0.2.200", 1, NULL, T0 + MIN)));
	ck_assert(dunno(ask("192.0.2.201", 1, NULL, T0 + MIN)));
	teardown();
}
END_TEST

START_TEST(test_case_e_block_and_reblock)
{
	setup("rule auth_flood {\n event = auth_failed\n limit = 9 per 1h\n"
	    " block = 24h\n reply = 554 5.7.1 Your IP is generating excessive "
	    "authentication failures. Please contact support.\n}\n");
	for (int i = 0; i < 10; i++)
		log_event(PD_EV_AUTH_FAILED, "198.51.100.9", T0 + i * SEC);
	ck_assert_str_eq(ask("198.51.100.9", 1, NULL, T0 + MIN),
	    "action=554 5.7.1 Your IP is generating excessive authentication "
	    "failures. Please contact support.\n\n");
	ck_assert(dunno(ask("198.51.100.9", 2, NULL, T0 + 10 * SEC + DAY)));
	/* The behaviour resumes after the block: blocked again. */
	for (int i = 0; i < 10; i++)
		log_event(PD_EV_AUTH_FAILED, "198.51.100.9", T0 + DAY + MIN + i);
	ck_assert(!dunno(ask("198.51.100.9", 3, NULL, T0 + DAY + 2 * MIN)));
	teardown();
}
END_TEST

START_TEST(test_own_rejects_are_not_counted_back)
{
	struct pd_addr a;

	setup("rule conn {\n event = connection\n limit = 1 per 1h\n"
	    " reply = 451 4.7.1 Too many from ${client_address}; later\n}\n"
	    "rule errs {\n event = rcpt_rejected\n limit = 1 per 1h\n"
	    " block = 1h\n reply = 554 5.7.1 errors\n}\n");
	ask("192.0.2.9", 1, NULL, T0);
	ck_assert_str_eq(ask("192.0.2.9", 2, NULL, T0),
	    "action=451 4.7.1 Too many from 192.0.2.9; later\n\n");
	/* Postfix logs that reply as a reject, reason up to the ';'. */
	ck_assert_int_eq(pd_addr_parse("192.0.2.9", &a), 0);
	for (int i = 0; i < 3; i++)
		pd_engine_event(&eng, PD_EV_RCPT_REJECTED, &a,
		    "Too many from 192.0.2.9", T0 + SEC);
	ck_assert_uint_eq(pd_engine_stats(&eng)->own_rejects, 3);
	ck_assert(!tu_log_has("rule=errs"));
	/* Another client's own error is counted. */
	ck_assert_int_eq(pd_addr_parse("192.0.2.10", &a), 0);
	pd_engine_event(&eng, PD_EV_RCPT_REJECTED, &a,
	    "550 5.1.1 User unknown in local recipient table", T0 + SEC);
	pd_engine_event(&eng, PD_EV_RCPT_REJECTED, &a,
	    "550 5.1.1 User unknown in local recipient table", T0 + SEC);
	ck_assert(tu_log_has("rule=errs client=192.0.2.10"));
	teardown();
}
END_TEST

/* What the tap was told: rule, key and window count of each call. */
struct tapped {
	int	 n;
	size_t	 rule[8];
	char	 key[8][64];
	uint64_t count[8];
	int	 decisions_before[8]; /* lines logged when it was told */
};

static void
tap_cb(void *arg, size_t i, const struct pd_counter *c, int64_t now)
{
	struct tapped *t = arg;

	ck_assert_int_lt(t->n, 8);
	t->rule[t->n] = i;
	pd_engine_counter_text(&eng, c, t->key[t->n], sizeof(t->key[0]));
	t->count[t->n] = pd_counters_peek(pd_engine_counters_c(&eng), c, now);
	t->decisions_before[t->n] = tu_log_count("rule=");
	t->n++;
}

START_TEST(test_tap_sees_each_counted_event)
{
	struct tapped t = { 0 };
	struct pd_addr a;

	setup("allow local {\n client = 127.0.0.0/8\n}\n"
	    "rule conns {\n event = log_connection\n limit = 9 per 1h\n"
	    " block = 1h\n reply = 554 5.7.1 no\n}\n"
	    "rule errs {\n event = rcpt_rejected\n key = client_prefix\n"
	    " limit = 1 per 1h\n block = 1h\n reply = 554 5.7.1 errors\n}\n");
	pd_engine_set_tap(&eng, tap_cb, &t);
	log_event(PD_EV_RCPT_REJECTED, "192.0.2.9", T0);
	log_event(PD_EV_RCPT_REJECTED, "192.0.2.10", T0 + SEC);
	/* Blocked now: the third is not counted, so not told. */
	log_event(PD_EV_RCPT_REJECTED, "192.0.2.11", T0 + 2 * SEC);
	/* Allow-listed clients are not counted either. */
	log_event(PD_EV_RCPT_REJECTED, "127.0.0.1", T0 + 2 * SEC);
	ck_assert_int_eq(t.n, 2);
	ck_assert_uint_eq(t.rule[0], 1);
	ck_assert_str_eq(t.key[0], "192.0.2.0/24");
	ck_assert_uint_eq(t.count[0], 1);
	ck_assert_uint_eq(t.count[1], 2);
	/* Told before the rule fires, so the count is the one it fires at. */
	ck_assert_int_eq(t.decisions_before[1], 0);
	ck_assert_int_eq(tu_log_count("rule=errs"), 1);
	ck_assert_int_eq(pd_addr_parse("192.0.2.9", &a), 0);
	pd_engine_event(&eng, PD_EV_LOG_CONNECTION, &a, "", T0 + 3 * SEC);
	ck_assert_int_eq(t.n, 3);
	ck_assert_uint_eq(t.rule[2], 0);
	ck_assert_str_eq(t.key[2], "192.0.2.9");
	pd_engine_set_tap(&eng, NULL, NULL);
	pd_engine_event(&eng, PD_EV_LOG_CONNECTION, &a, "", T0 + 4 * SEC);
	ck_assert_int_eq(t.n, 3);
	teardown();
}
END_TEST

/* event - pd_engine_event for addr with Postfix's reason */
static void
event(enum pd_event_type type, const char *addr, const char *reason,
    int64_t now)
{
	struct pd_addr a = { 0 };

	if (addr != NULL)
		ck_assert_int_eq(pd_addr_parse(addr, &a), 0);
	pd_engine_event(&eng, type, &a, reason, now);
}

/* Only the codes a rule counts are counted: its own, or the default. */
START_TEST(test_maillog_rejects_count_by_their_codes)
{
	setup("rule dflt {\n event = rcpt_rejected\n limit = 2 per 1h\n"
	    " block = 1h\n reply = 554 5.7.1 dflt\n}\n"
	    "rule users {\n event = rcpt_rejected\n limit = 0 per 1h\n"
	    " codes = 5.1.1\n block = 1h\n reply = 554 5.7.1 users\n}\n"
	    "rule msgs {\n event = data_rejected\n limit = 0 per 1h\n"
	    " block = 1h\n reply = 554 5.7.1 msgs\n}\n");
	/* Temporary rejects other than relaying: not by default. */
	event(PD_EV_RCPT_REJECTED, "192.0.2.1", "450 4.2.0 try again later",
	    T0);
	event(PD_EV_RCPT_REJECTED, "192.0.2.1", "450 4.1.1 unverified address",
	    T0);
	event(PD_EV_RCPT_REJECTED, "192.0.2.1", "554 5.7.1 Access denied", T0);
	event(PD_EV_RCPT_REJECTED, "192.0.2.1",
	    "454 4.7.1 Relay access denied", T0);
	ck_assert(!tu_log_has("client=192.0.2.1"));
	event(PD_EV_RCPT_REJECTED, "192.0.2.1", "550 5.7.1 nope", T0);
	ck_assert(tu_log_has("rule=dflt client=192.0.2.1 source=maillog "
	    "count=3"));
	ck_assert(!tu_log_has("rule=users client=192.0.2.1"));
	event(PD_EV_RCPT_REJECTED, "192.0.2.2", "550 5.1.1 User unknown", T0);
	ck_assert(tu_log_has("rule=users client=192.0.2.2"));
	/* cleanup's rejects have no reply code: 5xx goes by the status. */
	event(PD_EV_DATA_REJECTED, "192.0.2.3", "4.7.1 try later", T0);
	ck_assert(!tu_log_has("client=192.0.2.3"));
	event(PD_EV_DATA_REJECTED, "192.0.2.3", "5.7.1 header says no", T0);
	ck_assert(tu_log_has("rule=msgs client=192.0.2.3"));
	teardown();
}
END_TEST

/*
 * The server's deferrals count nothing; the drop for too many errors
 * that they cause is forgiven for PD_OWN_TTL, and every drop while a
 * service runs in stress mode.
 */
START_TEST(test_server_defers_and_the_drops_they_cause)
{
	setup("rule drops {\n event = dropped\n limit = 0 per 1h\n"
	    " block = 1h\n reply = 554 5.7.1 drops\n}\n");
	for (int i = 0; i < 20; i++)
		event(PD_EV_SERVER_DEFER, "192.0.2.1", "451 4.3.5 Server "
		    "configuration problem", T0);
	event(PD_EV_DROPPED, "192.0.2.1", "too many errors", T0 + SEC);
	ck_assert_uint_eq(pd_engine_stats(&eng)->server_defers, 20);
	ck_assert_uint_eq(pd_engine_stats(&eng)->drops_forgiven, 1);
	ck_assert(!tu_log_has("rule=drops"));
	/* Any other drop is the client's; so is one long after. */
	event(PD_EV_DROPPED, "192.0.2.1", "lost connection", T0 + 2 * SEC);
	ck_assert(tu_log_has("rule=drops client=192.0.2.1"));
	event(PD_EV_SERVER_DEFER, "192.0.2.2", "450 4.7.1 Greylisted", T0);
	event(PD_EV_DROPPED, "192.0.2.2", "too many errors", T0 + PD_OWN_TTL);
	ck_assert(tu_log_has("rule=drops client=192.0.2.2"));
	event(PD_EV_DROPPED, "192.0.2.3", "too many errors", T0);
	ck_assert(tu_log_has("rule=drops client=192.0.2.3"));
	/* A service at its process limit: no drop counts for 1000s. */
	event(PD_EV_SERVER_DEFER, NULL, "", T0 + HOUR);
	event(PD_EV_DROPPED, "192.0.2.4", "lost connection", T0 + HOUR);
	event(PD_EV_DROPPED, "192.0.2.4", "timeout",
	    T0 + HOUR + PD_ENGINE_STRESS - 1);
	ck_assert(!tu_log_has("client=192.0.2.4"));
	event(PD_EV_DROPPED, "192.0.2.4", "timeout",
	    T0 + HOUR + PD_ENGINE_STRESS);
	ck_assert(tu_log_has("rule=drops client=192.0.2.4"));
	ck_assert_uint_eq(pd_engine_stats(&eng)->drops_forgiven, 3);
	teardown();
}
END_TEST

START_TEST(test_own_reply_texts_known_after_restart)
{
	struct pd_addr a;

	/* No reply given in this run: the text of a rule still tells. */
	setup("rule conn {\n event = connection\n limit = 1 per 1h\n"
	    " reply = 451 4.7.1 Too many connections received this hour from "
	    "${client_address}\n}\n"
	    "rule errs {\n event = rcpt_rejected\n limit = 1 per 1h\n"
	    " block = 1h\n reply = REJECT errors\n}\n");
	ck_assert_int_eq(pd_addr_parse("192.0.2.9", &a), 0);
	for (int i = 0; i < 3; i++)
		pd_engine_event(&eng, PD_EV_RCPT_REJECTED, &a, "Too many "
		    "connections received this hour from 192.0.2.9", T0);
	ck_assert_uint_eq(pd_engine_stats(&eng)->own_rejects, 3);
	ck_assert(!tu_log_has("rule=errs"));
	teardown();
}
END_TEST

/*
 * GeoIP: the databases t/gen-mmdb.pl writes.  192.0.2.0/24 is DE, split
 * into two /25s of AS64500, as is 2001:db8:1::/48; 198.51.100.0/24 and
 * 2001:db8:2::/48 are CN, AS64501; 203.0.113.0/25 is US, AS64502;
 * 10.0.0.0/8 is in neither.
 */
static const char *mmdb;
static struct pd_geo geo;

static void
setup_geo(const char *text)
{
	char full[4096];

	snprintf(full, sizeof(full), "geoip_country_db = %s/country.mmdb\n"
	    "geoip_asn_db = %s/asn.mmdb\n%s", mmdb, mmdb, text);
	setup(full);
	tu_geo(&eng, conf, &geo);
}

static void
teardown_geo(void)
{
	teardown();
	pd_geo_close(&geo);
}

START_TEST(test_geo_deny_country_renders_text)
{
	setup_geo("deny cn {\n country = CN\n"
	    " reply = 554 5.7.1 No mail from ${country} (AS${asn}) ${ref}\n}\n");
	ck_assert_str_eq(ask("198.51.100.7", 1, NULL, T0),
	    "action=554 5.7.1 No mail from CN (AS64501) PD-123456\n\n");
	ck_assert(tu_log_has("action=reject rule=cn client=198.51.100.7 "
	    "country=CN asn=64501 helo=mx.example.net state=RCPT ref=PD-123456"));
	ck_assert(strstr(ask("2001:db8:2::7", 2, NULL, T0), "from CN") != NULL);
	ck_assert(dunno(ask("192.0.2.7", 3, NULL, T0)));
	ck_assert(dunno(ask("203.0.113.200", 4, NULL, T0)));	/* FR */
	ck_assert(dunno(ask("10.1.2.3", 5, NULL, T0)));	/* not listed */
	teardown_geo();
}
END_TEST

START_TEST(test_geo_negated_list_and_allow_by_asn)
{
	setup_geo("allow friends {\n asn = AS64502\n}\n"
	    "deny foreign {\n country = !DE\n"
	    " reply = 554 5.7.1 Only from DE [${country}]\n}\n");
	ck_assert(dunno(ask("192.0.2.7", 1, NULL, T0)));
	ck_assert(dunno(ask("2001:db8:1::7", 2, NULL, T0)));
	ck_assert_str_eq(ask("198.51.100.7", 3, NULL, T0),
	    "action=554 5.7.1 Only from DE [CN]\n\n");
	/* Not known is not DE either; the log line has no empty fields. */
	ck_assert_str_eq(ask("10.1.2.3", 4, NULL, T0),
	    "action=554 5.7.1 Only from DE []\n\n");
	ck_assert(tu_log_has("rule=foreign client=10.1.2.3 helo="));
	/* US, but allowed by its AS before the deny list is asked. */
	ck_assert(dunno(ask("203.0.113.5", 5, NULL, T0)));
	teardown_geo();
}
END_TEST

START_TEST(test_geo_asn_key_blocks_the_whole_as)
{
	const char *as64500[] = { "192.0.2.10", "192.0.2.200",
	    "2001:db8:1::10" };

	setup_geo("rule per_asn {\n event = connection\n key = asn\n"
	    " limit = 3 per 1h\n block = 1h\n"
	    " reply = 451 4.7.1 Too many connections from ${key}\n}\n");
	for (int i = 0; i < 3; i++)
		ck_assert_msg(dunno(ask(as64500[i], i, NULL, T0 + i * SEC)),
		    "%s: %s", as64500[i], reply);
	/* The fourth, from any address of the AS, and then all of them. */
	for (int i = 0; i < 3; i++)
		ck_assert_str_eq(ask(as64500[i], 10 + i, NULL, T0 + MIN),
		    "action=451 4.7.1 Too many connections from AS64500\n\n");
	ck_assert(tu_log_has("action=defer rule=per_asn client=192.0.2.10 "
	    "country=DE asn=64500 key=AS64500 helo=mx.example.net state=RCPT "
	    "count=4 limit=3/1h expires=2026-11-22T01:01:00Z ref=PD-"));
	/* Another AS is not affected; an address of no known AS never counts. */
	ck_assert(dunno(ask("203.0.113.5", 20, NULL, T0 + MIN)));
	for (int i = 0; i < 10; i++)
		ck_assert(dunno(ask("10.1.2.3", 30 + i, NULL, T0 + MIN)));
	/* The block ends on its own. */
	ck_assert(dunno(ask("192.0.2.10", 50, NULL, T0 + MIN + HOUR)));
	teardown_geo();
}
END_TEST

START_TEST(test_geo_country_key_and_condition)
{
	setup_geo("rule per_country {\n event = connection\n key = country\n"
	    " limit = 2 per 1h\n reply = 451 4.7.1 Busy for ${key}\n}\n"
	    "rule cn_once {\n event = connection\n country = CN\n"
	    " limit = 1 per 1h\n reply = 451 4.7.1 Once from CN\n}\n");
	ck_assert(dunno(ask("192.0.2.1", 1, NULL, T0)));
	ck_assert(dunno(ask("2001:db8:1::1", 2, NULL, T0)));
	ck_assert_str_eq(ask("192.0.2.2", 3, NULL, T0),
	    "action=451 4.7.1 Busy for DE\n\n");
	/* cn_once counts only CN clients: one each. */
	ck_assert(dunno(ask("198.51.100.1", 4, NULL, T0)));
	ck_assert_str_eq(ask("198.51.100.1", 5, NULL, T0),
	    "action=451 4.7.1 Once from CN\n\n");
	ck_assert(dunno(ask("203.0.113.1", 6, NULL, T0)));
	ck_assert(dunno(ask("203.0.113.1", 7, NULL, T0)));
	teardown_geo();
}
END_TEST

START_TEST(test_geo_score_per_country_and_asn)
{
	setup_geo("score_reject = 3\n"
	    "rule cn {\n country = CN\n score = 2\n}\n"
	    "rule as64501 {\n asn = 64501\n score = 1\n}\n"
	    "rule us {\n country = US\n score = 1\n}\n");
	ck_assert_str_eq(ask("198.51.100.9", 1, NULL, T0),
	    "action=554 5.7.1 Message refused: cn,as64501 (PD-123456)\n\n");
	ck_assert(tu_log_has("client=198.51.100.9 country=CN asn=64501 "));
	ck_assert(dunno(ask("203.0.113.9", 2, NULL, T0)));
	ck_assert(dunno(ask("192.0.2.9", 3, NULL, T0)));
	teardown_geo();
}
END_TEST

START_TEST(test_geo_profile_by_country)
{
	setup_geo("rule conn {\n event = connection\n limit = 1 per 1h\n"
	    " reply = 451 4.7.1 Slow down\n}\n"
	    "profile domestic {\n country = DE\n rules =\n}\n"
	    "profile relay {\n policy_context = relay\n asn = !64501\n"
	    " rules =\n}\n");
	for (int i = 0; i < 3; i++)
		ck_assert(dunno(ask("192.0.2.1", i, NULL, T0)));
	ck_assert(dunno(ask("203.0.113.1", 10, NULL, T0)));
	ck_assert_str_eq(ask("203.0.113.1", 11, NULL, T0),
	    "action=451 4.7.1 Slow down\n\n");
	/* Context and AS must both fit. */
	ck_assert(dunno(ask("203.0.113.2", 20, "policy_context=relay", T0)));
	ck_assert(dunno(ask("203.0.113.2", 21, "policy_context=relay", T0)));
	ck_assert(dunno(ask("198.51.100.2", 22, "policy_context=relay", T0)));
	ck_assert(!dunno(ask("198.51.100.2", 23, "policy_context=relay", T0)));
	teardown_geo();
}
END_TEST

START_TEST(test_geo_maillog_events_by_asn)
{
	setup_geo("rule dict_as {\n event = rcpt_rejected\n key = asn\n"
	    " limit = 2 per 1h\n block = 1h\n"
	    " reply = 554 5.7.1 Too many errors from ${key}\n}\n");
	log_event(PD_EV_RCPT_REJECTED, "192.0.2.10", T0);
	log_event(PD_EV_RCPT_REJECTED, "192.0.2.200", T0 + SEC);
	ck_assert(dunno(ask("2001:db8:1::5", 1, NULL, T0 + 2 * SEC)));
	log_event(PD_EV_RCPT_REJECTED, "2001:db8:1::5", T0 + 3 * SEC);
	ck_assert(tu_log_has("action=reject rule=dict_as client=2001:db8:1::5 "
	    "country=DE asn=64500 key=AS64500 source=maillog count=3"));
	ck_assert_str_eq(ask("192.0.2.77", 2, NULL, T0 + 4 * SEC),
	    "action=554 5.7.1 Too many errors from AS64500\n\n");
	ck_assert(dunno(ask("198.51.100.77", 3, NULL, T0 + 4 * SEC)));
	teardown_geo();
}
END_TEST

START_TEST(test_geo_looked_up_once_per_session)
{
	struct pd_geoip *v4, *old;
	struct pd_err err;
	char path[512];

	setup_geo("deny cn {\n country = CN\n reply = 554 5.7.1 not from CN\n}\n");
	ck_assert(!dunno(ask("2001:db8:2::7", 1, NULL, T0)));
	/* An IPv4-only file knows no IPv6 client. */
	snprintf(path, sizeof(path), "%s/v4-country.mmdb", mmdb);
	ck_assert_ptr_nonnull(v4 = pd_geoip_open(path, PD_GEOIP_COUNTRY, &err));
	old = geo.country;
	geo.country = v4;
	/* The session keeps what it learnt; a new session looks up. */
	ck_assert(!dunno(ask("2001:db8:2::7", 1, NULL, T0 + SEC)));
	ck_assert(dunno(ask("2001:db8:2::7", 2, NULL, T0 + SEC)));
	/* Once told of the swap, every session looks up anew. */
	pd_engine_set_geo(&eng, &geo);
	ck_assert(dunno(ask("2001:db8:2::7", 1, NULL, T0 + 2 * SEC)));
	geo.country = old;
	pd_geoip_close(v4);
	teardown_geo();
}
END_TEST

START_TEST(test_geo_without_databases)
{
	/* The same config, no databases given to the engine: nothing known. */
	char full[1024];

	snprintf(full, sizeof(full), "geoip_asn_db = %s/asn.mmdb\n"
	    "deny as {\n asn = 64501\n reply = 554 5.7.1 no\n}\n"
	    "rule per_asn {\n event = connection\n key = asn\n"
	    " limit = 1 per 1h\n reply = 451 4.7.1 ${key}\n}\n"
	    "rule any {\n event = connection\n limit = 0 per 1h\n"
	    " mode = warn\n reply = 451 4.7.1 logged\n}\n", mmdb);
	setup(full);
	for (int i = 0; i < 3; i++)
		ck_assert(dunno(ask("198.51.100.7", i, NULL, T0)));
	ck_assert(tu_log_has("rule=any client=198.51.100.7 helo="));
	teardown();
	/* With them, the same requests are refused. */
	setup(full);
	tu_geo(&eng, conf, &geo);
	ck_assert(!dunno(ask("198.51.100.7", 1, NULL, T0)));
	teardown_geo();
}
END_TEST

/*
 * A wall clock step (NTP, date(1)) moves what people read, not how long
 * a block lasts: the engine counts on policyd's monotonic time ("now"),
 * and shows times plus the wall offset the daemon hands it.
 */
START_TEST(test_block_lasts_its_duration_across_wall_steps)
{
	static const int64_t steps[] = { -10 * MIN, 10 * MIN };
	char want[128], exp[32];

	setup("rule c {\n event = connection\n limit = 1 per 1h\n"
	    " block = 2m\n reply = 451 4.7.1 until ${expires}\n}\n");
	pd_engine_set_wall_offset(&eng, 0);
	ck_assert(dunno(ask("192.0.2.1", 1, NULL, T0)));
	ck_assert(!dunno(ask("192.0.2.1", 2, NULL, T0)));
	/* The wall clock steps; policyd's time goes on at its pace. */
	pd_engine_set_wall_offset(&eng, steps[_i]);
	ck_assert(!dunno(ask("192.0.2.1", 3, NULL, T0 + 2 * MIN - SEC)));
	/* The reply shows the end on the wall clock as it reads now. */
	pd_str_fmt_time(exp, sizeof(exp), T0 + 2 * MIN + steps[_i]);
	snprintf(want, sizeof(want), "action=451 4.7.1 until %s\n\n", exp);
	ck_assert_str_eq(reply, want);
	ck_assert_int_eq(tu_last()->expires, T0 + 2 * MIN + steps[_i]);
	ck_assert_int_eq(tu_last()->when, T0 + 2 * MIN - SEC + steps[_i]);
	ck_assert(dunno(ask("192.0.2.1", 4, NULL, T0 + 2 * MIN + SEC)));
	teardown();
}
END_TEST

static Suite *
engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc;

	tc = tcase_create("geo");
	tcase_add_test(tc, test_geo_deny_country_renders_text);
	tcase_add_test(tc, test_geo_negated_list_and_allow_by_asn);
	tcase_add_test(tc, test_geo_asn_key_blocks_the_whole_as);
	tcase_add_test(tc, test_geo_country_key_and_condition);
	tcase_add_test(tc, test_geo_score_per_country_and_asn);
	tcase_add_test(tc, test_geo_profile_by_country);
	tcase_add_test(tc, test_geo_maillog_events_by_asn);
	tcase_add_test(tc, test_geo_without_databases);
	tcase_add_test(tc, test_geo_looked_up_once_per_session);
	suite_add_tcase(s, tc);

	tc = tcase_create("case_a");
	tcase_add_test(tc, test_case_a_1001st_connection_listed);
	tcase_add_loop_test(tc,
	    test_case_a_steady_client_listed_only_past_the_limit, 0,
	    nitems(steady_cases));
	tcase_add_test(tc, test_case_a_retry_every_59_minutes_stays_listed);
	tcase_add_test(tc, test_case_a_quiet_release_is_exact);
	tcase_add_loop_test(tc, test_block_lasts_its_duration_across_wall_steps,
	    0, 2);
	tcase_add_test(tc, test_case_a_same_session_counts_once);
	tcase_add_test(tc, test_bulk_profile_has_no_limit);
	tcase_add_test(tc, test_allow_list_is_exempt);
	suite_add_tcase(s, tc);
	tc = tcase_create("rules");
	tcase_add_test(tc, test_ipv6_clients_share_their_64);
	tcase_add_test(tc, test_rate_rule_passes_again_as_window_slides);
	tcase_add_test(tc, test_ref_in_reply_matches_log);
	tcase_add_test(tc, test_warn_mode_logs_and_answers_dunno);
	tcase_add_test(tc, test_dry_run_covers_deny_lists);
	tcase_add_test(tc, test_deny_list_renders_text);
	tcase_add_test(tc, test_fixed_block_expires_and_triggers_again);
	tcase_add_test(tc, test_tarpit_grows_by_step_and_caps);
	tcase_add_test(tc, test_segment_key_groups_addresses);
	tcase_add_test(tc, test_malformed_requests_get_dunno);
	tcase_add_test(tc, test_reload_keeps_counters_unless_rule_changes);
	suite_add_tcase(s, tc);
	tc = tcase_create("helo");
	tcase_add_loop_test(tc, test_helo_checks_give_their_texts, 0,
	    sizeof(helo_cases) / sizeof(helo_cases[0]));
	tcase_add_test(tc, test_helo_lookup_asked_only_when_needed);
	tcase_add_test(tc, test_dns_tempfail_action_reply);
	tcase_add_test(tc, test_score_adds_up_to_threshold);
	tcase_add_test(tc, test_condition_filters_counting);
	tcase_add_test(tc, test_later_rules_count_after_a_decision);
	suite_add_tcase(s, tc);
	tc = tcase_create("maillog");
	tcase_add_test(tc, test_case_b_tarpit_then_block);
	tcase_add_test(tc, test_block_that_ends_last_answers);
	tcase_add_test(tc, test_case_b_segment_and_allow_list);
	tcase_add_test(tc, test_case_e_block_and_reblock);
	tcase_add_test(tc, test_own_rejects_are_not_counted_back);
	tcase_add_test(tc, test_maillog_rejects_count_by_their_codes);
	tcase_add_test(tc, test_server_defers_and_the_drops_they_cause);
	tcase_add_test(tc, test_own_reply_texts_known_after_restart);
	tcase_add_test(tc, test_tap_sees_each_counted_event);
	suite_add_tcase(s, tc);
	tc = tcase_create("sessions");
	tcase_add_loop_test(tc, test_counts_once_per_session_for_every_placement,
	    0, sizeof(placements) / sizeof(placements[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	mmdb = tu_mmdb("--ipv4");
	return tu_run(engine_suite()) != 0;
}
