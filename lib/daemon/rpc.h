/* SPDX-License-Identifier: ISC */
/*
 * rpc - connections that carry one request and one answer: the control
 * socket of policydctl and the HTTP metrics endpoint.
 *
 * A connection is read until the request's terminator ("\n\n" for the
 * control socket, "\r\n\r\n" for HTTP); the handler writes the answer,
 * which is sent before the connection is closed.  A request that grows
 * past its maximum, does not end within the timeout, or is cut off by
 * the peer closes the connection and nothing else, as does one over
 * max_conns: the daemon carries on whatever a peer sends.
 */
#ifndef PD_RPC_H
#define PD_RPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

struct pd_buf;
struct pd_err;

/* req is NUL-terminated, len bytes up to and with the terminator. */
typedef void (*pd_rpc_handler)(void *arg, const char *req, size_t len,
    struct pd_buf *answer);

/*
 * Connections open at once, when max_conns is 0.  The peers are
 * operators, their scripts and a Prometheus scraper: a handful at a
 * time.  Each connection may hold an answer of up to PD_CTL_ANSWER_MAX
 * bytes, so the cap bounds the memory a runaway script can tie up, and
 * it keeps the file descriptors for the policy connections.
 */
#define PD_RPC_MAX_CONNS 64

struct pd_rpc_opts {
	const char *terminator;
	size_t	    max;       /* request bytes */
	uint64_t    timeout;   /* ms to send a request */
	int	    mode;      /* unix socket permissions */
	gid_t	    gid;       /* its group; (gid_t)-1: leave it */
	size_t	    max_conns; /* over it, refused; 0: the default */
};

struct pd_rpc;

/*
 * pd_rpc_listen - listen on "unix:PATH" or "inet:HOST:PORT" (see
 * listen.h for the spec and the unix-socket policy).  The answer may be
 * up to PD_CTL_ANSWER_MAX bytes; the handler's appends past that fail.
 */
struct pd_rpc *pd_rpc_listen(uv_loop_t *, const char *spec,
    const struct pd_rpc_opts *, pd_rpc_handler, void *arg, struct pd_err *);
/* pd_rpc_port - the TCP port (for "inet:...:0"), or -1 */
int	       pd_rpc_port(const struct pd_rpc *);
/* pd_rpc_refused - connections refused (over max_conns, no memory) */
uint64_t       pd_rpc_refused(const struct pd_rpc *);
/* pd_rpc_close - stop listening and drop open connections; NULL ok */
void	       pd_rpc_close(struct pd_rpc *);

#endif
