/* SPDX-License-Identifier: ISC */
/*
 * listen - the listening sockets of every server in policyd: the policy
 * protocol (server), policydctl's control socket and the metrics
 * endpoint (rpc).  One spec syntax, one unix-socket policy and one
 * accept path, so the servers cannot drift apart again.
 *
 * A spec is "inet:HOST:PORT", with HOST an IP address ("inet:[::1]:PORT"
 * for IPv6; port 0 picks a free one), or "unix:PATH".
 *
 * A unix socket is bound under a umask that leaves it to its owner, then
 * gets its group and mode, and only then listens: nobody can connect
 * while its permissions are looser than asked for.  A socket file that
 * nobody listens on (left by a run that died) is replaced; a live socket
 * or a file that is not a socket is left alone and the listen fails.
 *
 * Every pending connection is accepted, whatever comes next.  libuv
 * stops polling a listener whose connection callback returns without
 * uv_accept(), so a connection that cannot be served (no memory, over a
 * limit) is accepted and closed at once, and the listener goes on.
 */
#ifndef PD_LISTEN_H
#define PD_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <uv.h>

struct pd_err;
struct pd_listen;

#define PD_LISTEN_SPEC_MAX 128

/* What a spec names. */
struct pd_listen_addr {
	bool			is_unix;
	struct sockaddr_storage ss; /* inet */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* The handle of a connection: the first member of the owner's struct. */
union pd_listen_handle {
	uv_tcp_t    tcp;
	uv_pipe_t   pipe;
	uv_stream_t stream;
	uv_handle_t handle;
};

struct pd_listen_opts {
	size_t conn_size; /* the owner's connection struct */
	int    backlog;
	int    mode; /* unix socket permissions */
	gid_t  gid;  /* its group; (gid_t)-1: leave it */
};

/*
 * A new connection.  h is open and connected, at the start of a zeroed
 * block of conn_size bytes.  Return 0 to take it: the block is then the
 * owner's, to free() in the close callback of h.  Return -1 to refuse
 * it (over a limit): the listener closes and frees it.
 */
typedef int (
    *pd_listen_cb)(void *arg, struct pd_listen *, union pd_listen_handle *h);

/* pd_listen_parse - check a spec and say what it names */
int pd_listen_parse(const char *spec, struct pd_listen_addr *, struct pd_err *);
/*
 * pd_listen_open - bind and listen on spec; cb is called for each
 * connection.  NULL with err when it cannot (err names the spec).
 * Binding a unix socket changes the process umask for a moment.
 */
struct pd_listen *pd_listen_open(uv_loop_t *, const char *spec,
    const struct pd_listen_opts *, pd_listen_cb, void *arg, struct pd_err *);
/* pd_listen_spec - the spec it was opened with, for log lines */
const char	 *pd_listen_spec(const struct pd_listen *);
/* pd_listen_port - the TCP port (for "inet:...:0"), or -1 */
int		  pd_listen_port(const struct pd_listen *);
/*
 * pd_listen_refused - connections closed at once for want of memory
 * (those the callback refused are the owner's to count)
 */
uint64_t	  pd_listen_refused(const struct pd_listen *);
/*
 * pd_listen_close - stop listening (libuv removes a unix socket's
 * file); the connections taken are the owner's.  NULL ok.
 */
void		  pd_listen_close(struct pd_listen *);

/*
 * pd_listen_fail_allocs - make the next n connection allocations fail,
 * as if memory had run out.  This is to support tests only.
 */
void pd_listen_fail_allocs(unsigned n);

#endif
