/* SPDX-License-Identifier: ISC */
/*
 * nullserver - the do-nothing policy server of the benchmark.
 *
 * It runs the same server module, parser and libuv loop as policyd and
 * answers DUNNO to every request without looking at it, so the ratio of
 * policyd's throughput to this one's is the cost of deciding.
 *
 *	nullserver -l 127.0.0.1:PORT
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "server.h"

static int
request_cb(void *arg, struct pd_conn *c, const struct pd_req *r,
    const char *peer, struct pd_buf *out)
{
	(void)arg;
	(void)c;
	(void)r;
	(void)peer;
	pd_buf_puts(out, "action=DUNNO\n\n");
	return 0;
}

static void
cancel_cb(void *arg, struct pd_conn *c)
{
	(void)arg;
	(void)c;
}

static void
malformed_cb(void *arg, const char *peer, const char *why, struct pd_buf *out)
{
	(void)arg;
	(void)peer;
	(void)why;
	pd_buf_puts(out, "action=DUNNO\n\n");
}

static const struct pd_server_ops ops = { request_cb, cancel_cb, malformed_cb };

static void
signal_cb(uv_signal_t *s, int signum)
{
	(void)signum;
	pd_server_close(s->data);
	uv_close((uv_handle_t *)s, NULL);
}

int
main(int argc, char **argv)
{
	struct pd_server srv;
	struct pd_err err;
	uv_signal_t sig;
	char spec[128];
	int ch;

	spec[0] = '\0';
	while ((ch = getopt(argc, argv, "l:")) != -1) {
		if (ch != 'l') {
			fprintf(stderr, "usage: nullserver -l HOST:PORT\n");
			return 2;
		}
		snprintf(spec, sizeof(spec), "inet:%s", optarg);
	}
	if (spec[0] == '\0') {
		fprintf(stderr, "usage: nullserver -l HOST:PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	pd_log_open("nullserver", 0, false, true);
	pd_server_init(&srv, uv_default_loop(), &ops, NULL);
	pd_server_set_limits(&srv, 30000, 600000, 100000);
	if (pd_server_listen(&srv, spec, 0, &err) < 0) {
		fprintf(stderr, "nullserver: %s\n", err.msg);
		return 1;
	}
	uv_signal_init(uv_default_loop(), &sig);
	sig.data = &srv;
	uv_signal_start(&sig, signal_cb, SIGTERM);
	uv_unref((uv_handle_t *)&sig);
	fprintf(stderr, "nullserver: ready on %s\n", spec + 5);
	uv_run(uv_default_loop(), UV_RUN_DEFAULT);
	return 0;
}
