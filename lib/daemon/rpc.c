/* SPDX-License-Identifier: ISC */
/*
 * rpc - one request, one answer, then close.
 *
 * Answers are produced synchronously by the handler, so a connection is
 * only ever reading, or writing its answer and then closing.  Listening
 * and accepting are the listen module's; this file is the exchange.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctl.h"
#include "err.h"
#include "list.h"
#include "listen.h"
#include "rpc.h"

struct pd_rpc {
	struct pd_listen  *l;
	uv_loop_t	  *loop;
	struct pd_rpc_opts opts;
	pd_rpc_handler	   handler;
	void		  *arg;
	struct pd_list	   conns;
	size_t		   nconns;
	uint64_t	   refused; /* over max_conns */
};

struct conn {
	union pd_listen_handle h; /* first: handle <-> conn */
	struct pd_rpc	      *rpc;
	struct pd_list	       link;
	uv_timer_t	       timer;
	uv_write_t	       wr;
	struct pd_buf	       in;
	struct pd_buf	       out;
	int		       closing; /* handles still to close */
};

static void
conn_closed_cb(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->closing > 0)
		return;
	pd_buf_clear(&c->in);
	pd_buf_clear(&c->out);
	free(c);
}

static void
rpc_conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 2;
	pd_list_unlink(&c->link);
	c->rpc->nconns--;
	uv_close(&c->h.handle, conn_closed_cb);
	uv_close((uv_handle_t *)&c->timer, conn_closed_cb);
}

static void
rpc_write_cb(uv_write_t *w, int status)
{
	/* Sent or not, the exchange is over. */
	(void)status;
	rpc_conn_close(w->data);
}

static void
rpc_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	static char buf[4096];

	(void)h;
	(void)hint;
	/* Copied into the connection's buffer before the next read. */
	b->base = buf;
	b->len = sizeof(buf);
}

static void
rpc_answer(struct conn *c)
{
	uv_buf_t b;

	uv_read_stop(&c->h.stream);
	uv_timer_stop(&c->timer);
	c->rpc->handler(c->rpc->arg, pd_buf_str(&c->in), c->in.len, &c->out);
	b = uv_buf_init(c->out.data ? c->out.data : (char *)"",
	    (unsigned)c->out.len);
	c->wr.data = c;
	if (c->out.len == 0 ||
	    uv_write(&c->wr, &c->h.stream, &b, 1, rpc_write_cb) != 0)
		rpc_conn_close(c);
}

static void
rpc_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = s->data;
	const char  *term = c->rpc->opts.terminator;

	if (n < 0) {
		rpc_conn_close(c); /* gone before the request ended */
		return;
	}
	if (pd_buf_append(&c->in, b->base, (size_t)n) < 0) {
		rpc_conn_close(c); /* longer than any request can be */
		return;
	}
	if (memmem(pd_buf_str(&c->in), c->in.len, term, strlen(term)) != NULL)
		rpc_answer(c);
}

static void
timeout_cb(uv_timer_t *t)
{
	rpc_conn_close(t->data);
}

/* rpc_conn_take - a connection the listener accepted; -1 refuses it */
static int
rpc_conn_take(void *arg, struct pd_listen *l, union pd_listen_handle *h)
{
	struct pd_rpc *rpc = arg;
	struct conn   *c = (struct conn *)h;

	(void)l;
	if (rpc->nconns >= rpc->opts.max_conns) {
		rpc->refused++;
		return -1;
	}
	c->rpc = rpc;
	uv_timer_init(rpc->loop, &c->timer);
	c->h.handle.data = c;
	c->timer.data = c;
	pd_buf_init(&c->in, rpc->opts.max);
	pd_buf_init(&c->out, PD_CTL_ANSWER_MAX);
	pd_list_push(&rpc->conns, &c->link);
	rpc->nconns++;
	if (uv_read_start(&c->h.stream, rpc_alloc_cb, rpc_read_cb) != 0) {
		rpc_conn_close(c);
		return 0;
	}
	uv_timer_start(&c->timer, timeout_cb, rpc->opts.timeout, 0);
	return 0;
}

struct pd_rpc *
pd_rpc_listen(uv_loop_t *loop, const char *spec, const struct pd_rpc_opts *opts,
    pd_rpc_handler handler, void *arg, struct pd_err *err)
{
	struct pd_listen_opts lo = { .conn_size = sizeof(struct conn),
		.backlog = 64,
		.mode = opts->mode,
		.gid = opts->gid };
	struct pd_rpc	     *rpc;

	if ((rpc = calloc(1, sizeof(*rpc))) == NULL) {
		pd_err_set(err, "%s: out of memory", spec);
		return NULL;
	}
	rpc->loop = loop;
	rpc->opts = *opts;
	if (rpc->opts.max_conns == 0)
		rpc->opts.max_conns = PD_RPC_MAX_CONNS;
	rpc->handler = handler;
	rpc->arg = arg;
	pd_list_init(&rpc->conns);
	if ((rpc->l = pd_listen_open(loop, spec, &lo, rpc_conn_take, rpc,
		 err)) == NULL) {
		free(rpc);
		return NULL;
	}
	return rpc;
}

int
pd_rpc_port(const struct pd_rpc *rpc)
{
	return pd_listen_port(rpc->l);
}

uint64_t
pd_rpc_refused(const struct pd_rpc *rpc)
{
	return rpc->refused + pd_listen_refused(rpc->l);
}

void
pd_rpc_close(struct pd_rpc *rpc)
{
	if (rpc == NULL)
		return;
	while (!pd_list_empty(&rpc->conns))
		rpc_conn_close(
		    pd_list_entry(rpc->conns.next, struct conn, link));
	pd_listen_close(rpc->l);
	free(rpc);
}
