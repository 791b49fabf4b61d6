/* SPDX-License-Identifier: ISC */
/*
 * check_metrics - the Prometheus text and the --json records, from an
 * engine that answered a few requests.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "buf.h"
#include "err.h"
#include "conf.h"
#include "dns.h"
#include "engine.h"
#include "metrics.h"
#include "out.h"
#include "server.h"
#include "stats.h"
#include "testutil.h"

static const char text[] =
    "rule connections {\n"
    "	event = connection\n"
    "	limit = 1 per 1h\n"
    "	release = quiet 1h\n"
    "	reply = 451 4.7.1 Too many connections\n"
    "}\n"
    "rule helo_warn {\n"
    "	helo = non_fqdn\n"
    "	mode = warn\n"
    "	reply = 504 5.5.2 need fully-qualified hostname\n"
    "}\n";

static struct pd_conf *conf;
static struct pd_engine eng;
static struct pd_server_stats ss;
static struct pd_dns_stats ds;
static struct pd_metrics m;

static void
setup(void)
{
	struct pd_err err;
	char reply[512];

	tu_log_capture();
	conf = tu_conf(text);
	ck_assert_int_eq(pd_engine_init(&eng, conf, 1, &err), 0);
	tu_engine_log(&eng);
	tu_decide(&eng, "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "client_address=192.0.2.1\nclient_port=1\nhelo_name=box", T0, 0,
	    reply, sizeof(reply));
	tu_decide(&eng, "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "client_address=192.0.2.1\nclient_port=2\nhelo_name=box", T0, 0,
	    reply, sizeof(reply));
	tu_decide(&eng, "request=smtpd_access_policy\nprotocol_state=CONNECT\n"
	    "client_address=192.0.2.2\nclient_port=3", T0, 0, reply,
	    sizeof(reply));
	memset(&ss, 0, sizeof(ss));
	ss.accepted = 3;
	ss.latency[0] = 2;
	ss.latency[3] = 1;
	ss.latency_ns = 1500000;
	ds = (struct pd_dns_stats){ .lookups = 7, .cache_hits = 5,
	    .queries = 2, .tempfails = 1 };
	m = (struct pd_metrics){ .engine = &eng, .server = &ss,
	    .connections = 1, .dns = &ds, .dns_timeouts = 1,
	    .maillog_lines = 10, .maillog_events = 4, .reloads = 2,
	    .state_saves = 6, .state_save_failures = 3,
	    .state_saved_at = T0 + 1500, .started = T0 };
}

static void
teardown(void)
{
	pd_engine_clear(&eng);
	pd_conf_free(conf);
}

START_TEST(test_prometheus_text)
{
	struct pd_buf b;
	const char *t;

	setup();
	pd_buf_init(&b, 1 << 20);
	pd_metrics_text(&m, true, &b);
	t = pd_buf_str(&b);
	ck_assert_msg(strstr(t, "# HELP policyd_requests_total Policy requests "
	    "answered, by protocol_state and action.\n"
	    "# TYPE policyd_requests_total counter\n"
	    "policyd_requests_total{protocol_state=\"CONNECT\",action=\"dunno\"} 1\n"
	    "policyd_requests_total{protocol_state=\"RCPT\",action=\"dunno\"} 1\n"
	    "policyd_requests_total{protocol_state=\"RCPT\",action=\"defer\"} 1\n"
	    "# HELP") != NULL, "%.1500s", t);
	ck_assert_msg(strstr(t, "policyd_decisions_total{rule=\"helo_warn\","
	    "action=\"warn\"} 1\n") != NULL, "%.1500s", t);
	ck_assert_msg(strstr(t, "policyd_decisions_total{rule=\"connections\","
	    "action=\"defer\"} 1\n") != NULL, "%.1500s", t);
	ck_assert_msg(strstr(t, "policyd_blocks_active{rule=\"connections\","
	    "kind=\"listing\"} 1\n") != NULL, "%.1500s", t);
	ck_assert_ptr_nonnull(strstr(t, "policyd_keys_tracked 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "policyd_start_time_seconds "
	    "1795305600\n"));
	/* The histogram is cumulative, with +Inf equal to the count. */
	ck_assert_msg(strstr(t, "# TYPE policyd_reply_latency_seconds histogram\n"
	    "policyd_reply_latency_seconds_bucket{le=\"0.0001\"} 2\n"
	    "policyd_reply_latency_seconds_bucket{le=\"0.00025\"} 2\n"
	    "policyd_reply_latency_seconds_bucket{le=\"0.0005\"} 2\n"
	    "policyd_reply_latency_seconds_bucket{le=\"0.001\"} 3\n") != NULL,
	    "%.1500s", t);
	ck_assert_ptr_nonnull(strstr(t, "policyd_reply_latency_seconds_bucket"
	    "{le=\"+Inf\"} 3\npolicyd_reply_latency_seconds_sum 0.0015\n"
	    "policyd_reply_latency_seconds_count 3\n"));
	ck_assert_ptr_nonnull(strstr(t, "policyd_dns_cache_hits_total 5\n"));
	ck_assert_ptr_nonnull(strstr(t, "policyd_dns_timeouts_total 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "policyd_maillog_events_total 4\n"));
	ck_assert_ptr_nonnull(strstr(t, "policyd_config_reloads_total{result="
	    "\"ok\"} 2\n"));
	/* Saves and failures, and when the last good one was taken. */
	ck_assert_msg(strstr(t, "# TYPE policyd_state_saves_total counter\n"
	    "policyd_state_saves_total{result=\"ok\"} 6\n"
	    "policyd_state_saves_total{result=\"failed\"} 3\n") != NULL,
	    "%s", t);
	ck_assert_ptr_nonnull(strstr(t, "# TYPE "
	    "policyd_state_last_save_timestamp_seconds gauge\n"
	    "policyd_state_last_save_timestamp_seconds 1795305601\n"));
	/* Each family is described once. */
	ck_assert_int_eq(tu_count(t, "# TYPE policyd_requests_total "), 1);
	ck_assert_int_eq(tu_count(t, "# TYPE policyd_config_reloads_total "), 1);
	/* Without help: the samples alone, for people. */
	pd_buf_reset(&b);
	pd_metrics_text(&m, false, &b);
	ck_assert_ptr_null(strstr(pd_buf_str(&b), "# "));
	ck_assert_ptr_nonnull(strstr(pd_buf_str(&b), "policyd_keys_tracked 2\n"));
	pd_buf_clear(&b);
	teardown();
}
END_TEST

/* What an operator's stock dashboards expect, and the maillog's lag. */
START_TEST(test_process_build_and_maillog)
{
	struct pd_proc_stats ps;
	struct pd_buf	     b;
	const char	    *t;

	setup();
	ck_assert_int_eq(pd_proc_stats_read(&ps), 0);
	ck_assert_uint_gt(ps.rss_bytes, 0);
	ck_assert_uint_ge(ps.vsize_bytes, ps.rss_bytes);
	ck_assert_uint_ge(ps.open_fds, 3);
	m.version = "9.8.7";
	m.proc = &ps;
	m.maillog = true;
	m.maillog_stamp = T0 - 3000;
	m.maillog_lag = 2500;
	pd_buf_init(&b, 1 << 20);
	pd_metrics_text(&m, true, &b);
	t = pd_buf_str(&b);
	ck_assert_msg(strstr(t, "# TYPE policyd_build_info gauge\n"
				"policyd_build_info{version=\"9.8.7\"} 1\n") !=
		NULL,
	    "%.1500s", t);
	ck_assert_ptr_nonnull(strstr(t, "process_start_time_seconds "
					"1795305600\n"));
	ck_assert_ptr_nonnull(strstr(t, "# TYPE process_cpu_seconds_total "
					"counter\n"));
	ck_assert_ptr_nonnull(strstr(t, "# TYPE process_resident_memory_bytes "
					"gauge\nprocess_resident_memory_bytes "));
	ck_assert_ptr_nonnull(strstr(t, "\nprocess_open_fds "));
	ck_assert_ptr_nonnull(strstr(t, "\nprocess_max_fds "));
	ck_assert_ptr_nonnull(strstr(t, "policyd_maillog_following 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "policyd_maillog_last_line_timestamp_"
					"seconds 1795305597\n"));
	ck_assert_ptr_nonnull(strstr(t, "policyd_maillog_lag_seconds 2\n"));
	/* Without the process's figures: no process_ lines but the start. */
	m.proc = NULL;
	pd_buf_reset(&b);
	pd_metrics_text(&m, false, &b);
	ck_assert_ptr_null(strstr(pd_buf_str(&b), "process_open_fds"));
	ck_assert_ptr_nonnull(strstr(pd_buf_str(&b), "process_start_time_"));
	pd_buf_clear(&b);
	teardown();
}
END_TEST

START_TEST(test_json_records)
{
	struct pd_buf b;
	struct pd_out o;

	setup();
	m.dns = NULL;	/* no resolver: zeros */
	pd_buf_init(&b, 1 << 20);
	pd_out_init(&o, &b, true);
	pd_metrics_out(&m, &o);
	pd_out_finish(&o);
	ck_assert_msg(strstr(pd_buf_str(&b), "{\"name\":\"policyd_requests_total\","
	    "\"protocol_state\":\"RCPT\",\"action\":\"defer\",\"value\":1}") !=
	    NULL, "%s", pd_buf_str(&b));
	ck_assert_ptr_nonnull(strstr(pd_buf_str(&b), "{\"name\":"
	    "\"policyd_reply_latency_seconds_sum\",\"value\":\"0.0015\"}"));
	ck_assert_ptr_nonnull(strstr(pd_buf_str(&b), "{\"name\":"
	    "\"policyd_dns_lookups_total\",\"value\":0}"));
	pd_buf_clear(&b);
	teardown();
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_test(tc, test_prometheus_text);
	tcase_add_test(tc, test_json_records);
	tcase_add_test(tc, test_process_build_and_maillog);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(metrics_suite()) != 0;
}
