/* SPDX-License-Identifier: ISC */
/*
 * storebench - memory and snapshot figures for 1,000,000 tracked
 * client addresses (SPEC 12), through the real engine and config.
 *
 *	storebench CONF [N]
 *
 * Feeds N (default 1,000,000) requests from N distinct addresses into
 * the engine, then prints the RSS, the time of a snapshot save and of a
 * load into a fresh engine, and how long the parent is stalled by the
 * fork that writes snapshots in the background.
 */
#include <sys/wait.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "conf.h"
#include "engine.h"
#include "proto.h"
#include "state.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *fp = fopen("/proc/self/status", "r");

	while (fp && fgets(line, sizeof(line), fp))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = atol(line + 6);
	if (fp)
		fclose(fp);
	return kib;
}

static void
conf_err(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "storebench: %s\n", msg);
}

static void
quiet(void *arg, enum pd_log_level l, const char *line)
{
	(void)arg;
	(void)l;
	(void)line;
}

int
main(int argc, char **argv)
{
	struct pd_engine e, e2;
	struct pd_state_info info;
	struct pd_conf *conf;
	struct pd_req r;
	struct pd_decision dec;
	struct pd_err err;
	char addr[32], port[16], path[] = "/tmp/storebench.XXXXXX";
	long n = argc > 2 ? atol(argv[2]) : 1000000, base;
	double t0, t_feed, t_save, t_load, t_fork;
	int64_t now = 1795305600000LL;
	pid_t pid;
	int fd, status;

	if (argc < 2) {
		fprintf(stderr, "usage: storebench CONF [N]\n");
		return 2;
	}
	pd_log_set_sink(quiet, NULL);
	if ((conf = pd_conf_load(argv[1], NULL, 0, conf_err, NULL)) == NULL)
		return 1;
	base = rss_kib();
	if (pd_engine_init(&e, conf, 1, &err) < 0) {
		fprintf(stderr, "storebench: %s\n", err.msg);
		return 1;
	}
	memset(&r, 0, sizeof(r));
	r.attr[PD_A_REQUEST] = "smtpd_access_policy";
	r.attr[PD_A_PROTOCOL_STATE] = "RCPT";
	r.attr[PD_A_HELO_NAME] = "mx.example.net";
	r.attr[PD_A_INSTANCE] = "1.2.3";
	r.attr[PD_A_CLIENT_ADDRESS] = addr;
	r.attr[PD_A_CLIENT_PORT] = port;
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		snprintf(addr, sizeof(addr), "10.%ld.%ld.%ld", (i >> 16) & 255,
		    (i >> 8) & 255, i & 255);
		snprintf(port, sizeof(port), "%ld", 1024 + i % 60000);
		pd_engine_decide(&e, &r, now + i / 1000, PD_HELO_DNS_NONE,
		    &dec);
	}
	t_feed = now_s() - t0;
	printf("keys=%zu feed=%.2fs (%.0f req/s) rss=%ld MiB (engine %ld MiB)\n",
	    pd_counters_size(pd_engine_counters(&e)), t_feed, (double)n / t_feed,
	    rss_kib() / 1024, (rss_kib() - base) / 1024);

	if ((fd = mkstemp(path)) < 0)
		return 1;
	close(fd);
	t0 = now_s();
	if (pd_state_save(pd_engine_counters(&e), path, now, 0, &err) < 0) {
		fprintf(stderr, "storebench: %s\n", err.msg);
		return 1;
	}
	t_save = now_s() - t0;

	/* The daemon saves in a child: the parent only waits for fork(). */
	t0 = now_s();
	if ((pid = fork()) == 0) {
		pd_state_save(pd_engine_counters(&e), path, now, 0, &err);
		_exit(0);
	}
	t_fork = now_s() - t0;
	waitpid(pid, &status, 0);

	if (pd_engine_init(&e2, conf, 1, &err) < 0)
		return 1;
	t0 = now_s();
	if (pd_state_load(pd_engine_counters(&e2), path, 0, &info, &err) < 0) {
		fprintf(stderr, "storebench: %s\n", err.msg);
		return 1;
	}
	t_load = now_s() - t0;
	printf("snapshot: save=%.2fs load=%.2fs (%" PRIu64 " keys) "
	    "fork stall=%.1fms\n", t_save, t_load, info.loaded, t_fork * 1000);
	unlink(path);
	pd_engine_clear(&e2);
	pd_engine_clear(&e);
	pd_conf_free(conf);
	return 0;
}
