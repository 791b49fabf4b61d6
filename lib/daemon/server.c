/* SPDX-License-Identifier: ISC */
/*
 * server - libuv connections speaking the policy protocol.
 *
 * Each connection owns its parser and its handle; conn_close() is the
 * one way out, idempotent, and conn_close_cb() the only place that frees
 * a connection, as libuv requires.  Timeouts are checked by one sweep
 * timer over all connections instead of a timer per connection, so a
 * request costs no timer operations; the price is up to one second of
 * slack on each timeout.  Listening and accepting are listen.c's, which
 * hands over a connection already accepted into its block.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "listen.h"
#include "proto.h"
#include "server.h"

/* Replies queued for a peer that does not read them. */
#define OUT_MAX	     (1024 * 1024)
#define SWEEP_MS     1000
#define PD_PEER_HOST 46

struct pd_server_listener {
	struct pd_listen	  *l;
	struct pd_server_listener *next;
};

struct pd_conn {
	union pd_listen_handle h; /* first: handle <-> conn */
	struct pd_server      *srv;
	struct pd_list	       link;
	uint64_t	       id; /* conn=%016llx in logs */
	char		       peer[80];
	struct pd_proto	       proto;
	struct pd_buf	       out;	/* replies not yet written */
	uint64_t	       active;	/* uv_now of the last read */
	uint64_t	       started; /* uv_now when a request began */
	uint64_t	       asked;	/* uv_hrtime when it was complete */
	size_t		       queued;	/* bytes in uv_write requests */
	struct pd_buf	       hold;	/* input behind a pending request */
	bool		       pending; /* a request awaits its answer */
	bool		       closing;
};

struct write_req {
	uv_write_t	req;
	struct pd_conn *c;
	size_t		len;
	char		data[];
};

static void conn_close(struct pd_conn *, const char *reason, bool warn);

/* answered - count how long the request of c took */
static void
answered(struct pd_conn *c)
{
	struct pd_server_stats *st = &c->srv->stats;
	uint64_t		ns = uv_hrtime() - c->asked;
	size_t			i = 0;

	while (i < PD_SERVER_LATENCY_BUCKETS - 1 &&
	    ns > (uint64_t)pd_server_latency_us[i] * 1000)
		i++;
	st->latency[i]++;
	st->latency_ns += ns;
}

static void
sweep_cb(uv_timer_t *t)
{
	struct pd_server *srv = t->data;
	uint64_t	  now = uv_now(srv->loop);
	struct pd_list	 *l, *next;

	for (l = srv->conns.next; l != &srv->conns; l = next) {
		struct pd_conn *c = pd_list_entry(l, struct pd_conn, link);

		next = l->next;
		if (c->pending)
			continue; /* the owner's deadline applies */
		if (pd_proto_pending(&c->proto) > 0) {
			if (now - c->started >=
			    (uint64_t)srv->request_timeout) {
				srv->stats.timeouts++;
				conn_close(c, "request timeout", true);
			}
		} else if (now - c->active >= (uint64_t)srv->idle_timeout) {
			conn_close(c, "idle timeout", false);
		}
	}
}

int
pd_server_init(struct pd_server *srv, uv_loop_t *loop,
    const struct pd_server_ops *ops, void *arg)
{
	memset(srv, 0, sizeof(*srv));
	srv->loop = loop;
	srv->ops = ops;
	srv->arg = arg;
	pd_list_init(&srv->conns);
	srv->request_timeout = 30000;
	srv->idle_timeout = 600000;
	srv->max_clients = 1000;
	srv->next_id = ((uint64_t)getpid() << 32);
	if (uv_timer_init(loop, &srv->sweep) != 0)
		return -1;
	srv->sweep.data = srv;
	uv_timer_start(&srv->sweep, sweep_cb, SWEEP_MS, SWEEP_MS);
	uv_unref((uv_handle_t *)&srv->sweep);
	return 0;
}

void
pd_server_set_limits(struct pd_server *srv, int64_t request_timeout,
    int64_t idle_timeout, size_t max_clients)
{
	srv->request_timeout = request_timeout;
	srv->idle_timeout = idle_timeout;
	srv->max_clients = max_clients;
}

static void
conn_close_cb(uv_handle_t *h)
{
	struct pd_conn *c = (struct pd_conn *)h;

	pd_proto_clear(&c->proto);
	pd_buf_clear(&c->out);
	pd_buf_clear(&c->hold);
	free(c);
}

static void
conn_close(struct pd_conn *c, const char *reason, bool warn)
{
	if (c->closing)
		return;
	c->closing = true;
	if (warn)
		pd_log_warnx("conn=%016" PRIx64 " peer=%s closed: %s", c->id,
		    c->peer, reason);
	else
		pd_log_debug("conn=%016" PRIx64 " peer=%s closed: %s", c->id,
		    c->peer, reason);
	pd_list_unlink(&c->link);
	c->srv->nconns--;
	if (c->pending) {
		c->pending = false;
		c->srv->ops->cancel(c->srv->arg, c);
	}
	uv_close(&c->h.handle, conn_close_cb);
}

static void
write_cb(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct pd_conn	 *c = w->c;

	c->queued -= w->len;
	free(w);
	if (status < 0 && status != UV_ECANCELED)
		conn_close(c, uv_strerror(status), false);
}

/* conn_flush - send the replies in out, in order, without blocking */
static void
conn_flush(struct pd_conn *c)
{
	struct write_req *w;
	uv_buf_t	  b;
	int		  n = 0;

	if (c->out.len == 0 || c->closing)
		return;
	b = uv_buf_init(c->out.data, (unsigned)c->out.len);
	/* uv_try_write fails with EAGAIN while writes are queued: order holds. */
	if (c->queued == 0 && (n = uv_try_write(&c->h.stream, &b, 1)) < 0 &&
	    n != UV_EAGAIN) {
		conn_close(c, uv_strerror(n), false);
		return;
	}
	if (n < 0)
		n = 0;
	if ((size_t)n == c->out.len) {
		pd_buf_reset(&c->out);
		return;
	}
	if (c->queued + c->out.len - (size_t)n > OUT_MAX) {
		conn_close(c, "peer does not read its replies", true);
		return;
	}
	if ((w = malloc(sizeof(*w) + c->out.len - (size_t)n)) == NULL) {
		conn_close(c, "out of memory", true);
		return;
	}
	w->c = c;
	w->len = c->out.len - (size_t)n;
	memcpy(w->data, c->out.data + n, w->len);
	pd_buf_reset(&c->out);
	b = uv_buf_init(w->data, (unsigned)w->len);
	if (uv_write(&w->req, &c->h.stream, &b, 1, write_cb) < 0) {
		free(w);
		conn_close(c, "write failed", false);
		return;
	}
	c->queued += w->len;
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct pd_conn *c = (struct pd_conn *)h;

	(void)hint;
	/* One buffer serves all: read_cb consumes it before the next read. */
	*b = uv_buf_init(c->srv->rbuf, sizeof(c->srv->rbuf));
}

/*
 * conn_hold - keep input that arrives behind a pending request.  Reading
 * goes on meanwhile, so a peer that hangs up is noticed and its pending
 * work cancelled at once.
 */
static void
conn_hold(struct pd_conn *c, const char *data, size_t len)
{
	if (pd_buf_append(&c->hold, data, len) < 0)
		conn_close(c, "too much input behind a pending request", true);
}

/* conn_input - feed bytes to the parser, answering each request */
static void
conn_input(struct pd_conn *c, const char *data, size_t len)
{
	struct pd_server *srv = c->srv;
	struct pd_err	  err;
	struct pd_req	  req;
	size_t		  used;
	int		  rc;

	while (len > 0 && !c->closing) {
		if (pd_proto_pending(&c->proto) == 0)
			c->started = uv_now(srv->loop);
		rc = pd_proto_feed(&c->proto, data, len, &used, &err);
		if (rc < 0) {
			srv->stats.protocol_errors++;
			conn_flush(c);
			conn_close(c, err.msg, true);
			return;
		}
		data += used;
		len -= used;
		if (rc == 0)
			break;
		srv->stats.requests++;
		c->asked = uv_hrtime();
		if (pd_proto_parse(&c->proto, &req, &err) < 0) {
			srv->ops->malformed(srv->arg, c->peer, err.msg,
			    &c->out);
		} else if (srv->ops->request(srv->arg, c, &req, c->peer,
			       &c->out) == 1) {
			/* Answered later: what follows waits in hold. */
			c->pending = true;
			conn_hold(c, data, len);
			break;
		}
		answered(c);
		pd_proto_next(&c->proto);
	}
	conn_flush(c);
}

void
pd_server_answer(struct pd_conn *c, const char *reply, size_t len)
{
	struct pd_buf rest;

	/* Only a request the server handed out is answered, and only once. */
	assert(c->pending);
	if (c->closing)
		return;
	c->pending = false;
	answered(c);
	if (pd_buf_append(&c->out, reply, len) < 0) {
		conn_close(c, "peer does not read its replies", true);
		return;
	}
	pd_proto_next(&c->proto);
	/* Input held back may hold more requests, or another pending one. */
	rest = c->hold;
	pd_buf_init(&c->hold, rest.max);
	conn_input(c, rest.data ? rest.data : "", rest.len);
	pd_buf_clear(&rest);
}

static void
read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct pd_conn *c = (struct pd_conn *)s;

	if (nread < 0) {
		conn_close(c,
		    nread == UV_EOF ? "peer closed" : uv_strerror((int)nread),
		    false);
		return;
	}
	c->active = uv_now(c->srv->loop);
	if (c->pending)
		conn_hold(c, b->base, (size_t)nread);
	else
		conn_input(c, b->base, (size_t)nread);
}

/* conn_peer - "HOST:PORT" of a TCP peer, "unix" otherwise */
static void
conn_peer(struct pd_conn *c)
{
	struct sockaddr_storage ss;
	int			len = sizeof(ss);
	char			host[PD_PEER_HOST];

	snprintf(c->peer, sizeof(c->peer), "unix");
	if (c->h.handle.type != UV_TCP)
		return;
	uv_tcp_nodelay(&c->h.tcp, 1);
	if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&ss, &len) == 0 &&
	    uv_ip_name((struct sockaddr *)&ss, host, sizeof(host)) == 0)
		snprintf(c->peer, sizeof(c->peer), "%s:%u", host,
		    ntohs(((struct sockaddr_in *)&ss)->sin_port));
}

/* conn_take - a connection the listener accepted; -1 refuses it */
static int
conn_take(void *arg, struct pd_listen *l, union pd_listen_handle *h)
{
	struct pd_server *srv = arg;
	struct pd_conn	 *c = (struct pd_conn *)h;

	if (srv->nconns >= srv->max_clients) {
		srv->stats.refused++;
		if (uv_now(srv->loop) - srv->last_refusal_log >= 1000) {
			srv->last_refusal_log = uv_now(srv->loop);
			pd_log_warnx("%s: max_clients (%zu) reached, refusing "
				     "connections",
			    pd_listen_spec(l), srv->max_clients);
		}
		return -1;
	}
	c->srv = srv;
	conn_peer(c);
	c->id = ++srv->next_id;
	pd_proto_init(&c->proto);
	pd_buf_init(&c->out, OUT_MAX);
	pd_buf_init(&c->hold, OUT_MAX);
	c->active = uv_now(srv->loop);
	pd_list_push(&srv->conns, &c->link);
	srv->nconns++;
	srv->stats.accepted++;
	if (uv_read_start(&c->h.stream, alloc_cb, read_cb) != 0)
		conn_close(c, "read failed", true);
	return 0;
}

int
pd_server_listen(struct pd_server *srv, const char *spec, int mode,
    struct pd_err *err)
{
	struct pd_listen_opts	   o = { .conn_size = sizeof(struct pd_conn),
		     .backlog = 1024,
		     .mode = mode,
		     .gid = (gid_t)-1 };
	struct pd_server_listener *sl;

	if ((sl = calloc(1, sizeof(*sl))) == NULL)
		return pd_err_set(err, "%s: out of memory", spec);
	if ((sl->l = pd_listen_open(srv->loop, spec, &o, conn_take, srv,
		 err)) == NULL) {
		free(sl);
		return -1;
	}
	sl->next = srv->listeners;
	srv->listeners = sl;
	return 0;
}

int
pd_server_port(const struct pd_server *srv)
{
	const struct pd_server_listener *sl;
	int				 port;

	for (sl = srv->listeners; sl; sl = sl->next)
		if ((port = pd_listen_port(sl->l)) >= 0)
			return port;
	return -1;
}

void
pd_server_stop_listening(struct pd_server *srv)
{
	struct pd_server_listener *sl, *next;

	for (sl = srv->listeners; sl; sl = next) {
		next = sl->next;
		pd_listen_close(sl->l);
		free(sl);
	}
	srv->listeners = NULL;
}

void
pd_server_close(struct pd_server *srv)
{
	struct pd_list *l;

	pd_server_stop_listening(srv);
	while ((l = pd_list_tail(&srv->conns)) != NULL)
		conn_close(pd_list_entry(l, struct pd_conn, link), "shutdown",
		    false);
	if (!uv_is_closing((uv_handle_t *)&srv->sweep))
		uv_close((uv_handle_t *)&srv->sweep, NULL);
}
