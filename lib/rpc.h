/*
 * rpc - connections that carry one request and one answer: the control
 * socket of policydctl and the HTTP metrics endpoint.
 *
 * A connection is read until the request's terminator ("\n\n" for the
 * control socket, "\r\n\r\n" for HTTP); the handler writes the answer,
 * which is sent before the connection is closed.  A request that grows
 * past its maximum, does not end within the timeout, or is cut off by
 * the peer closes the connection and nothing else: the daemon carries
 * on whatever a peer sends.
 */
#ifndef PD_RPC_H
#define PD_RPC_H

#include <stddef.h>
#include <sys/types.h>

#include <uv.h>

struct pd_buf;
struct pd_err;

/* req is NUL-terminated, len bytes up to and with the terminator. */
typedef void (*pd_rpc_handler)(void *arg, const char *req, size_t len,
    struct pd_buf *answer);

struct pd_rpc_opts {
	const char	*terminator;
	size_t		 max;		/* request bytes */
	uint64_t	 timeout;	/* ms to send a request */
	int		 mode;		/* unix socket permissions */
	gid_t		 gid;		/* its group; (gid_t)-1: leave it */
};

struct pd_rpc;

/*
 * pd_rpc_listen - listen on "unix:PATH" or "inet:HOST:PORT".  A unix
 * socket gets mode and gid before anyone can connect to it.
 */
struct pd_rpc *pd_rpc_listen(uv_loop_t *, const char *spec,
	    const struct pd_rpc_opts *, pd_rpc_handler, void *arg,
	    struct pd_err *);
/* pd_rpc_port - the TCP port (for "inet:...:0"), or -1 */
int	pd_rpc_port(const struct pd_rpc *);
/* pd_rpc_close - stop listening and drop open connections; NULL ok */
void	pd_rpc_close(struct pd_rpc *);

#endif
