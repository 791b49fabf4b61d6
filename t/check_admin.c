/* SPDX-License-Identifier: ISC */
/*
 * check_admin - what policydctl asks of the engine: manual blocks and
 * their reply, show, list, unblock, reset and explain; manual blocks
 * in a snapshot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "buf.h"
#include "err.h"
#include "addr.h"
#include "admin.h"
#include "conf.h"
#include "ctl.h"
#include "engine.h"
#include "geoip.h"
#include "out.h"
#include "state.h"
#include "testutil.h"

static const char text[] =
    "ipv4_segment = 24\n"
    "explain_history = 4\n"
    "rule connections {\n"
    "	event = connection\n"
    "	limit = 2 per 1h\n"
    "	release = quiet 1h\n"
    "	reply = 451 4.7.1 Too many connections from ${client_address} (${ref})\n"
    "}\n"
    "rule segment {\n"
    "	event = connection\n"
    "	key = client_prefix\n"
    "	limit = 4 per 1h\n"
    "	block = 10m\n"
    "	reply = 451 4.7.1 Too many from ${key}\n"
    "}\n";

static struct pd_conf *conf;
static struct pd_engine eng;
static char reply[1024];
static struct pd_buf outb;

static const char *mmdb;
static struct pd_geo geo;

static void
setup_text(const char *t)
{
	struct pd_err err;

	tu_log_capture();
	conf = tu_conf(t);
	ck_assert_int_eq(pd_engine_init(&eng, conf, 0x10, &err), 0);
	tu_engine_log(&eng);
	pd_buf_init(&outb, 1 << 20);
}

static void
setup(void)
{
	setup_text(text);
}

static void
teardown(void)
{
	pd_buf_clear(&outb);
	pd_engine_clear(&eng);
	pd_conf_free(conf);
}

/* connect - a CONNECT request from addr; each port is a new session */
static const char *
connect_from(const char *addr, int port, int64_t now)
{
	char raw[512];

	snprintf(raw, sizeof(raw), "request=smtpd_access_policy\n"
	    "protocol_state=CONNECT\nclient_address=%s\nclient_port=%d\n"
	    "client_name=unknown", addr, port);
	return tu_decide(&eng, raw, now, PD_HELO_DNS_NONE, reply,
	    sizeof(reply));
}

/* run - a policydctl command line; returns its exit code */
static int
run(const char *line, bool json, int64_t now, struct pd_err *err)
{
	char copy[512], *argv[PD_CTL_ARGS_MAX], *p, *save = NULL;
	struct pd_ctl_cmd cmd;
	struct pd_out o;
	int argc = 0, rc;

	snprintf(copy, sizeof(copy), "%s", line);
	for (p = strtok_r(copy, "|", &save); p; p = strtok_r(NULL, "|", &save))
		argv[argc++] = p;
	ck_assert_int_eq(pd_ctl_parse(argc, argv, &cmd, err), 0);
	pd_buf_reset(&outb);
	pd_out_init(&o, &outb, json);
	rc = pd_admin_run(&eng, &cmd, now, &o, err);
	pd_out_finish(&o);
	return rc;
}

static const char *
out(void)
{
	return pd_buf_str(&outb);
}

START_TEST(test_manual_block_reply_and_expiry)
{
	struct pd_err err;

	setup();
	ck_assert_int_eq(run("block|198.51.100.0/24|--for|2h|--reason|Spam "
	    "complaint, call us", false, T0, &err), PD_CTL_OK);
	ck_assert_pstr_eq(out(), "blocked          198.51.100.0/24\n"
	    "expires          2026-11-22T02:00:00Z\n"
	    "reason           Spam complaint, call us\n");
	connect_from("198.51.100.7", 1, T0 + 1000);
	ck_assert_msg(strncmp(reply, "action=451 4.7.1 Spam complaint, call us "
	    "(PD-", 40) == 0, "got %s", reply);
	ck_assert(tu_log_has("action=defer rule=manual client=198.51.100.7 "
	    "key=198.51.100.0/24 state=CONNECT reason=\"Spam complaint, call "
	    "us\" expires=2026-11-22T02:00:00Z ref=PD-"));
	/* Outside the network, and after the block: nothing. */
	ck_assert_pstr_eq(connect_from("198.51.101.7", 2, T0 + 1000),
	    "action=DUNNO\n\n");
	ck_assert_pstr_eq(connect_from("198.51.100.7", 3, T0 + 2 * HOUR),
	    "action=DUNNO\n\n");
	teardown();
}
END_TEST

START_TEST(test_manual_block_most_specific_first)
{
	struct pd_err err;

	setup();
	ck_assert_int_eq(run("block|2001:db8::/32|--for|1h|--reason|wide",
	    false, T0, &err), 0);
	ck_assert_int_eq(run("block|2001:db8::25|--for|1h|--reason|narrow",
	    false, T0, &err), 0);
	tu_decide(&eng, "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "client_address=2001:db8::25\nclient_port=1", T0 + 1, 0, reply,
	    sizeof(reply));
	ck_assert_msg(strstr(reply, "451 4.7.1 narrow (PD-") != NULL, "%s",
	    reply);
	tu_decide(&eng, "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "client_address=2001:db8::26\nclient_port=1", T0 + 1, 0, reply,
	    sizeof(reply));
	ck_assert_msg(strstr(reply, "451 4.7.1 wide (PD-") != NULL, "%s",
	    reply);
	/* Blocking again replaces the expiry, not adds a second block. */
	ck_assert_int_eq(run("block|2001:db8::25|--for|3h", false, T0, &err), 0);
	ck_assert_uint_eq(pd_engine_manual_blocked(&eng), 2);
	teardown();
}
END_TEST

START_TEST(test_reblock_never_shortens)
{
	struct pd_err err;

	setup();
	ck_assert_int_eq(run("block|198.51.100.0/24|--for|2d", false, T0, &err),
	    PD_CTL_OK);
	/* Shorter: the block that ends later stays, and says so. */
	ck_assert_int_eq(run("block|198.51.100.0/24|--for|1h|--reason|again",
	    false, T0 + HOUR, &err), PD_CTL_OK);
	ck_assert_pstr_eq(out(), "blocked          198.51.100.0/24\n"
	    "expires          2026-11-24T00:00:00Z\n"
	    "reason           again\n"
	    "note             kept the block that ends later; --replace "
	    "shortens it\n");
	ck_assert(tu_log_has("control: block 198.51.100.0/24 until "
	    "2026-11-24T00:00:00Z (kept the longer block) reason=\"again\""));
	ck_assert_msg(strstr(connect_from("198.51.100.7", 1, T0 + 3 * HOUR),
	    "451 4.7.1 again (PD-") != NULL, "%s", reply);
	/* Longer: it grows. */
	ck_assert_int_eq(run("block|198.51.100.0/24|--for|3d", false, T0, &err),
	    PD_CTL_OK);
	ck_assert_msg(strstr(out(), "expires          2026-11-25T00:00:00Z\n")
	    != NULL, "%s", out());
	/* --replace: exactly as asked, shorter too. */
	ck_assert_int_eq(run("block|198.51.100.0/24|--for|1h|--replace", false,
	    T0, &err), PD_CTL_OK);
	ck_assert_pstr_eq(out(), "blocked          198.51.100.0/24\n"
	    "expires          2026-11-22T01:00:00Z\n"
	    "reason           Blocked by the postmaster\n");
	ck_assert_pstr_eq(connect_from("198.51.100.7", 2, T0 + 2 * HOUR),
	    "action=DUNNO\n\n");
	/* A block that has ended is no longer kept. */
	ck_assert_int_eq(run("block|198.51.100.0/24|--for|10m", false,
	    T0 + 3 * HOUR, &err), PD_CTL_OK);
	ck_assert_msg(strstr(out(), "expires          2026-11-22T03:10:00Z\n")
	    != NULL, "%s", out());
	teardown();
}
END_TEST

START_TEST(test_show_address_and_segment)
{
	struct pd_err err;

	setup();
	for (int i = 0; i < 3; i++)
		connect_from("203.0.113.9", 10 + i, T0 + i * MIN);
	ck_assert_msg(strstr(reply, "451 4.7.1 Too many connections from "
	    "203.0.113.9 (PD-") != NULL, "%s", reply);
	connect_from("203.0.113.77", 20, T0 + 5 * MIN);
	ck_assert_int_eq(run("show|203.0.113.9", false, T0 + 10 * MIN, &err),
	    PD_CTL_OK);
	ck_assert_msg(strstr(out(), "address          203.0.113.9\n"
	    "counters:\n") == out(), "%s", out());
	ck_assert_msg(strstr(out(), "  key=203.0.113.9 rule=connections "
	    "kind=listing state=listed count=3 limit=2/1h "
	    "first=2026-11-22T00:00:00Z last=2026-11-22T00:02:00Z "
	    "since=2026-11-22T00:02:00Z expires=2026-11-22T01:02:00Z\n"),
	    "%s", out());
	ck_assert_msg(strstr(out(), "  key=203.0.113.0/24 rule=segment "
	    "kind=block state=counting count=4 limit=4/1h "
	    "first=2026-11-22T00:00:00Z last=2026-11-22T00:05:00Z\n"),
	    "%s", out());
	/* Another client's own counter is not this address's. */
	ck_assert_ptr_null(strstr(out(), "key=203.0.113.77"));
	ck_assert_msg(strstr(out(), "decisions:\n  time=2026-11-22T00:02:00Z "
	    "action=defer rule=connections client=203.0.113.9 state=CONNECT "
	    "count=3 limit=2/1h expires=2026-11-22T01:02:00Z ref=PD-"), "%s",
	    out());
	/* A network shows every key inside it. */
	ck_assert_int_eq(run("show|203.0.113.0/24", false, T0 + 10 * MIN, &err),
	    0);
	ck_assert_ptr_nonnull(strstr(out(), "key=203.0.113.77"));
	teardown();
}
END_TEST

START_TEST(test_show_json)
{
	struct pd_err err;

	setup();
	for (int i = 0; i < 3; i++)
		connect_from("203.0.113.9", 10 + i, T0);
	ck_assert_int_eq(run("show|203.0.113.9|--json", true, T0, &err), 0);
	ck_assert_msg(strncmp(out(), "{\"address\":\"203.0.113.9\","
	    "\"counters\":[{", 38) == 0, "%s", out());
	ck_assert_msg(strstr(out(), "{\"key\":\"203.0.113.9\",\"rule\":"
	    "\"connections\",\"kind\":\"listing\",\"state\":\"listed\","
	    "\"count\":3,\"limit\":\"2/1h\"") != NULL, "%s", out());
	ck_assert_msg(strstr(out(), "],\"decisions\":[{\"time\":"
	    "\"2026-11-22T00:00:00Z\",\"action\":\"defer\"") != NULL, "%s",
	    out());
	ck_assert_msg(strcmp(out() + outb.len - 3, "]}\n") == 0, "%s", out());
	teardown();
}
END_TEST

START_TEST(test_unblock_lifts_what_keeps_the_address_out)
{
	struct pd_err err;

	setup();
	/* Listed, and its segment blocked by a neighbour's connections. */
	for (int i = 0; i < 3; i++)
		connect_from("203.0.113.9", 10 + i, T0);
	connect_from("203.0.113.10", 20, T0);
	connect_from("203.0.113.10", 21, T0);
	ck_assert_msg(strstr(reply, "Too many from 203.0.113.0/24"), "%s",
	    reply);
	ck_assert_int_eq(run("unblock|203.0.113.9", false, T0 + MIN, &err),
	    PD_CTL_OK);
	ck_assert_msg(strcmp(out(), "unblocked:\n"
	    "  key=203.0.113.9 rule=connections lifted=listing\n"
	    "  key=203.0.113.0/24 rule=segment lifted=block\n") == 0 ||
	    strcmp(out(), "unblocked:\n"
	    "  key=203.0.113.0/24 rule=segment lifted=block\n"
	    "  key=203.0.113.9 rule=connections lifted=listing\n") == 0,
	    "%s", out());
	ck_assert(tu_log_has("control: unblock rule=segment "
	    "key=203.0.113.0/24"));
	ck_assert_pstr_eq(connect_from("203.0.113.9", 30, T0 + MIN),
	    "action=DUNNO\n\n");
	ck_assert_int_eq(run("unblock|203.0.113.9", false, T0 + MIN, &err),
	    PD_CTL_FAILED);
	ck_assert_str_eq(err.msg, "nothing blocks 203.0.113.9");
	teardown();
}
END_TEST

START_TEST(test_reset_forgets_counters)
{
	struct pd_err err;

	setup();
	connect_from("203.0.113.9", 1, T0);
	connect_from("203.0.113.9", 2, T0);
	ck_assert_int_eq(run("reset|203.0.113.9", false, T0, &err), PD_CTL_OK);
	ck_assert_uint_eq(pd_counters_size(pd_engine_counters(&eng)), 0);
	/* Counting starts over: two more pass, the third is listed. */
	ck_assert_pstr_eq(connect_from("203.0.113.9", 3, T0), "action=DUNNO\n\n");
	ck_assert_pstr_eq(connect_from("203.0.113.9", 4, T0), "action=DUNNO\n\n");
	ck_assert_ptr_nonnull(strstr(connect_from("203.0.113.9", 5, T0), "451"));
	ck_assert_int_eq(run("reset|192.0.2.0/24", false, T0, &err),
	    PD_CTL_FAILED);
	ck_assert_str_eq(err.msg, "nothing is counted for 192.0.2.0/24");
	teardown();
}
END_TEST

START_TEST(test_list_blocks_and_listings)
{
	struct pd_err err;

	setup();
	for (int i = 0; i < 3; i++)
		connect_from("203.0.113.9", 10 + i, T0);
	ck_assert_int_eq(run("block|192.0.2.1|--for|1h", false, T0, &err), 0);
	ck_assert_int_eq(run("list|listings", false, T0, &err), 0);
	ck_assert_ptr_nonnull(strstr(out(), "key=203.0.113.9"));
	ck_assert_ptr_null(strstr(out(), "key=192.0.2.1"));
	ck_assert_ptr_nonnull(strstr(out(), "total            1\n"));
	ck_assert_int_eq(run("list|blocks", false, T0, &err), 0);
	ck_assert_msg(strstr(out(), "  key=192.0.2.1 rule=manual kind=manual "
	    "state=blocked first=2026-11-22T00:00:00Z last=2026-11-22T00:00:00Z "
	    "since=2026-11-22T00:00:00Z expires=2026-11-22T01:00:00Z "
	    "reason=\"Blocked by the postmaster\"\n") != NULL, "%s", out());
	ck_assert_int_eq(run("list", false, T0, &err), 0);
	ck_assert_ptr_nonnull(strstr(out(), "total            2\n"));
	teardown();
}
END_TEST

START_TEST(test_explain_and_its_horizon)
{
	struct pd_err err;
	char ref[16], cmd[64];
	const char *p;

	setup();
	for (int i = 0; i < 3; i++)
		connect_from("203.0.113.9", 10 + i, T0);
	ck_assert_ptr_nonnull(p = strstr(reply, "PD-"));
	snprintf(ref, sizeof(ref), "%.9s", p);
	snprintf(cmd, sizeof(cmd), "explain|%s", ref);
	ck_assert_int_eq(run(cmd, false, T0, &err), PD_CTL_OK);
	ck_assert_msg(strstr(out(), "time             2026-11-22T00:00:00Z\n"
	    "action           defer\nrule             connections\n"
	    "client           203.0.113.9\nstate            CONNECT\n"
	    "count            3\nlimit            2/1h\n") == out(), "%s", out());
	ck_assert_ptr_nonnull(strstr(out(), "reply            451 4.7.1 Too "
	    "many connections from 203.0.113.9 ("));
	/* explain_history = 4: four more decisions push it out. */
	for (int i = 0; i < 4; i++)
		connect_from("203.0.113.9", 20 + i, T0);
	ck_assert_int_eq(run(cmd, false, T0, &err), PD_CTL_FAILED);
	ck_assert_msg(strstr(err.msg, "is not among the last 4 decisions") !=
	    NULL, "%s", err.msg);
	teardown();
}
END_TEST

START_TEST(test_manual_blocks_survive_a_snapshot)
{
	struct pd_engine e2;
	struct pd_state_info info;
	struct pd_err err;
	char path[512];

	setup();
	snprintf(path, sizeof(path), "%s/admin.state", tu_tmpdir());
	ck_assert_int_eq(run("block|198.51.100.0/24|--for|1h|--reason|kept "
	    "across restarts", false, T0, &err), 0);
	ck_assert_int_eq(pd_state_save(pd_engine_counters(&eng), path, T0, 0, &err), 0);
	ck_assert_int_eq(pd_engine_init(&e2, conf, 1, &err), 0);
	tu_engine_log(&e2);
	ck_assert_int_eq(pd_state_load(pd_engine_counters(&e2), path, 0, &info, &err), 0);
	ck_assert_uint_eq(info.loaded, 1);
	pd_engine_reindex(&e2);
	tu_decide(&e2, "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "client_address=198.51.100.200\nclient_port=1", T0 + MIN, 0, reply,
	    sizeof(reply));
	ck_assert_msg(strstr(reply, "451 4.7.1 kept across restarts (PD-") !=
	    NULL, "%s", reply);
	pd_engine_clear(&e2);
	teardown();
}
END_TEST

/* 192.0.2.0/24 is DE and AS64500 in the test databases, 198.51.100/24 CN. */
static const char geo_text[] =
    "geoip_country_db = %s/country.mmdb\n"
    "geoip_asn_db = %s/asn.mmdb\n"
    "rule per_asn {\n"
    "	event = connection\n"
    "	key = asn\n"
    "	limit = 2 per 1h\n"
    "	block = 10m\n"
    "	reply = 451 4.7.1 Too many from ${key}\n"
    "}\n"
    "rule per_login {\n"
    "	event = connection\n"
    "	key = sasl_username\n"
    "	limit = 0 per 1h\n"
    "	block = 1h\n"
    "	reply = 451 4.7.1 Not you, ${key}\n"
    "}\n";

static void
setup_geo(void)
{
	char t[1024];

	snprintf(t, sizeof(t), geo_text, mmdb, mmdb);
	setup_text(t);
	tu_geo(&eng, conf, &geo);
}

START_TEST(test_geo_show_list_unblock)
{
	struct pd_err err;

	setup_geo();
	connect_from("192.0.2.10", 1, T0);
	connect_from("192.0.2.200", 2, T0);
	ck_assert_pstr_eq(connect_from("192.0.2.10", 3, T0),
	    "action=451 4.7.1 Too many from AS64500\n\n");
	tu_decide(&eng, "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "client_address=10.0.0.1\nclient_port=9\nsasl_username=bob",
	    T0, 0, reply, sizeof(reply));
	ck_assert_str_eq(reply, "action=451 4.7.1 Not you, bob\n\n");

	/* Any address of the AS shows its block, with where it is. */
	ck_assert_int_eq(run("show|192.0.2.77", false, T0 + MIN, &err), 0);
	ck_assert_msg(strstr(out(), "address          192.0.2.77\n"
	    "country          DE\nasn              64500\ncounters:\n"
	    "  key=AS64500 rule=per_asn kind=block state=blocked count=3 "
	    "limit=2/1h first=2026-11-22T00:00:00Z last=2026-11-22T00:00:00Z "
	    "since=2026-11-22T00:00:00Z expires=2026-11-22T00:10:00Z\n") ==
	    out(), "%s", out());
	ck_assert_int_eq(run("show|192.0.2.77|--json", true, T0, &err), 0);
	ck_assert_msg(strstr(out(), "{\"address\":\"192.0.2.77\","
	    "\"country\":\"DE\",\"asn\":64500,\"counters\":[{\"key\":"
	    "\"AS64500\",") == out(), "%s", out());
	ck_assert_int_eq(run("show|198.51.100.1", false, T0, &err), 0);
	ck_assert_ptr_nonnull(strstr(out(), "country          CN\n"));
	ck_assert_ptr_null(strstr(out(), "AS64500"));
	/* An address no database knows has neither line. */
	ck_assert_int_eq(run("show|10.0.0.1", false, T0, &err), 0);
	ck_assert_ptr_null(strstr(out(), "country"));
	ck_assert_ptr_null(strstr(out(), "asn"));

	/* list shows every block, whatever its key. */
	ck_assert_int_eq(run("list|blocks", false, T0, &err), 0);
	ck_assert_ptr_nonnull(strstr(out(), "  key=AS64500 rule=per_asn "));
	ck_assert_ptr_nonnull(strstr(out(), "  key=bob rule=per_login "));
	ck_assert_ptr_nonnull(strstr(out(), "total            2\n"));

	/* Unblocking one address of the AS lifts the AS's block. */
	ck_assert_int_eq(run("unblock|192.0.2.1", false, T0 + MIN, &err), 0);
	ck_assert_str_eq(out(), "unblocked:\n"
	    "  key=AS64500 rule=per_asn lifted=block\n");
	ck_assert_pstr_eq(connect_from("192.0.2.10", 4, T0 + MIN),
	    "action=DUNNO\n\n");
	teardown();
	pd_geo_close(&geo);
}
END_TEST

START_TEST(test_geo_block_survives_a_snapshot)
{
	struct pd_engine e2;
	struct pd_state_info info;
	struct pd_err err;
	char path[512];

	setup_geo();
	snprintf(path, sizeof(path), "%s/geo.state", tu_tmpdir());
	for (int i = 0; i < 3; i++)
		connect_from("198.51.100.1", i, T0);
	ck_assert_int_eq(pd_state_save(pd_engine_counters(&eng), path, T0, 0, &err), 0);
	ck_assert_int_eq(pd_engine_init(&e2, conf, 1, &err), 0);
	tu_engine_log(&e2);
	pd_engine_set_geo(&e2, &geo);
	ck_assert_int_eq(pd_state_load(pd_engine_counters(&e2), path, 0, &info, &err), 0);
	ck_assert_uint_eq(info.loaded, 1);
	tu_decide(&e2, "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "client_address=2001:db8:2::1\nclient_port=1", T0 + MIN, 0, reply,
	    sizeof(reply));
	ck_assert_str_eq(reply, "action=451 4.7.1 Too many from AS64501\n\n");
	pd_engine_clear(&e2);
	teardown();
	pd_geo_close(&geo);
}
END_TEST

/*
 * t/data/state-0.1.0.bin was written by policyd 0.1.0 (the release
 * before the decision-as-value work) on 2026-12-02 at 09:00:37Z, with
 * the rules below: a block, a listing, a counter, and an operator's
 * block with its reason.  This release loads all of them, with their
 * expiries.
 */
static const char old_rules[] =
    "rule blocked {\n event = rcpt\n limit = 2 per 1h\n block = 2d\n"
    " reply = 554 5.7.1 blocked ${client_address}\n}\n"
    "rule listed {\n event = connection\n limit = 1 per 1h\n"
    " release = quiet 1h\n reply = 451 4.7.1 listed ${client_address}\n}\n";

START_TEST(test_admin_loads_snapshot_of_0_1_0)
{
	static const char *want[] = {
		"key=198.51.100.0/24 rule=manual kind=manual state=blocked",
		"expires=2027-01-01T09:00:37Z reason=\"kept since 0.1.0\"",
		"key=192.0.2.20 rule=listed kind=listing state=listed count=2",
		"expires=2026-12-02T10:00:37Z",
		"key=192.0.2.10 rule=blocked kind=block state=blocked count=3",
		"expires=2026-12-04T09:00:37Z",
	};
	const int64_t then = 1796203800000LL; /* 2026-12-02T09:30:00Z */
	struct pd_state_info info;
	struct pd_err err;

	setup_text(old_rules);
	ck_assert_int_eq(pd_state_load(pd_engine_counters(&eng),
	    "t/data/state-0.1.0.bin", 0, &info, &err), 0);
	ck_assert_uint_eq(info.loaded, 6);
	ck_assert_uint_eq(info.dropped, 0);
	pd_engine_reindex(&eng);
	/* The counts of 0.1.0's windows are converted, not restarted. */
	ck_assert_uint_eq(info.converted, 3);
	ck_assert_int_eq(run("show|192.0.2.30", false, then, &err), 0);
	ck_assert_int_eq(tu_count(out(), "state=counting count=1 "), 2);
	ck_assert_int_eq(run("show|192.0.2.30", false, then + HOUR, &err), 0);
	ck_assert_int_eq(tu_count(out(), "state=counting count=0 "), 2);
	ck_assert_int_eq(run("list", false, then, &err), 0);
	for (size_t i = 0; i < nitems(want); i++)
		ck_assert_msg(strstr(out(), want[i]) != NULL, "no \"%s\" in:\n%s",
		    want[i], out());
	/* And they hold: the operator's block answers with its reason. */
	tu_decide(&eng, "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "client_address=198.51.100.7\nclient_port=1", then, 0, reply,
	    sizeof(reply));
	ck_assert_msg(strstr(reply, "kept since 0.1.0") != NULL, "%s", reply);
	tu_decide(&eng, "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "client_address=192.0.2.10\nclient_port=9\nrecipient=z@x", then, 0,
	    reply, sizeof(reply));
	ck_assert_str_eq(reply, "action=554 5.7.1 blocked 192.0.2.10\n\n");
	teardown();
}
END_TEST

static Suite *
admin_suite(void)
{
	Suite *s = suite_create("admin");
	TCase *tc = tcase_create("admin");

	tcase_add_test(tc, test_manual_block_reply_and_expiry);
	tcase_add_test(tc, test_admin_loads_snapshot_of_0_1_0);
	tcase_add_test(tc, test_manual_block_most_specific_first);
	tcase_add_test(tc, test_reblock_never_shortens);
	tcase_add_test(tc, test_show_address_and_segment);
	tcase_add_test(tc, test_show_json);
	tcase_add_test(tc, test_unblock_lifts_what_keeps_the_address_out);
	tcase_add_test(tc, test_reset_forgets_counters);
	tcase_add_test(tc, test_list_blocks_and_listings);
	tcase_add_test(tc, test_explain_and_its_horizon);
	tcase_add_test(tc, test_manual_blocks_survive_a_snapshot);
	tcase_add_test(tc, test_geo_show_list_unblock);
	tcase_add_test(tc, test_geo_block_survives_a_snapshot);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	mmdb = tu_mmdb("");
	return tu_run(admin_suite()) != 0;
}
