/* SPDX-License-Identifier: ISC */
/*
 * server - policy protocol connections on a libuv loop.
 *
 * Listens on inet:HOST:PORT and unix:PATH sockets, reads requests with
 * the proto parser, hands each complete request to ops->request and
 * writes the replies back in order.  It enforces the limits of SPEC 3:
 * an oversized line or request closes that connection with a log line,
 * a request left incomplete longer than request_timeout closes it, an
 * idle connection is closed after idle_timeout, and connections beyond
 * max_clients are refused.  Nothing a peer sends can stop the loop.
 *
 * The server knows nothing of rules: the same I/O path serves policyd
 * and the do-nothing server of the benchmark.
 */
#ifndef PD_SERVER_H
#define PD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "list.h"
#include "stats.h"

struct pd_buf;
struct pd_err;
struct pd_req;

struct pd_conn;

struct pd_server_ops {
	/*
	 * Append the framed reply (pd_proto_reply) for one request to out and
	 * return 0; or return 1 to answer later with pd_server_answer().
	 * The request and peer stay valid until then; the connection reads
	 * nothing more meanwhile, so replies leave in order.
	 */
	int (*request)(void *arg, struct pd_conn *, const struct pd_req *,
	    const char *peer, struct pd_buf *out);
	/* The connection of a pending request closed: drop the work. */
	void (*cancel)(void *arg, struct pd_conn *);
	/* Append the reply for a request that did not parse. */
	void (*malformed)(void *arg, const char *peer, const char *why,
	    struct pd_buf *out);
};

struct pd_server_listener;

struct pd_server {
	uv_loop_t		   *loop;
	const struct pd_server_ops *ops;
	void			   *arg;
	struct pd_server_listener  *listeners; /* linked, owned */
	struct pd_list		    conns;
	size_t			    nconns;
	uv_timer_t		    sweep;
	int64_t			    request_timeout; /* ms */
	int64_t			    idle_timeout;    /* ms */
	size_t			    max_clients;
	uint64_t		    next_id;
	uint64_t		    last_refusal_log;
	struct pd_server_stats	    stats;
	char			    rbuf[65536]; /* shared read buffer */
};

int  pd_server_init(struct pd_server *, uv_loop_t *,
     const struct pd_server_ops *, void *arg);
void pd_server_set_limits(struct pd_server *, int64_t request_timeout,
    int64_t idle_timeout, size_t max_clients);
/*
 * pd_server_listen - listen on spec, "inet:HOST:PORT" or "unix:PATH"
 * (made with mode), as listen.h describes.
 */
int  pd_server_listen(struct pd_server *, const char *spec, int mode,
     struct pd_err *);
/* pd_server_answer - the reply to the pending request of conn */
void pd_server_answer(struct pd_conn *, const char *reply, size_t len);
/* pd_server_port - the TCP port of the newest inet listener, or -1 */
int  pd_server_port(const struct pd_server *);
/* pd_server_stop_listening - close the listeners, keep the connections */
void pd_server_stop_listening(struct pd_server *);
/* pd_server_close - close everything; the loop then runs dry */
void pd_server_close(struct pd_server *);

#endif
