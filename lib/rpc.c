/*
 * rpc - one request, one answer, then close.
 *
 * Answers are produced synchronously by the handler, so a connection is
 * only ever reading, or writing its answer and then closing.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "err.h"
#include "list.h"
#include "rpc.h"

union handle {
	uv_tcp_t	tcp;
	uv_pipe_t	pipe;
	uv_stream_t	stream;
	uv_handle_t	handle;
};

struct pd_rpc {
	union handle		 h;		/* first */
	uv_loop_t		*loop;
	struct pd_rpc_opts	 opts;
	pd_rpc_handler		 handler;
	void			*arg;
	struct pd_list		 conns;
	bool			 tcp;
};

struct conn {
	union handle	 h;		/* first: handle <-> conn */
	struct pd_rpc	*rpc;
	struct pd_list	 link;
	uv_timer_t	 timer;
	uv_write_t	 wr;
	struct pd_buf	 in;
	struct pd_buf	 out;
	int		 closing;	/* handles still to close */
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
conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = 2;
	pd_list_unlink(&c->link);
	uv_close(&c->h.handle, conn_closed_cb);
	uv_close((uv_handle_t *)&c->timer, conn_closed_cb);
}

static void
write_cb(uv_write_t *w, int status)
{
	(void)status;
	conn_close(w->data);
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	static char buf[4096];

	(void)h;
	(void)hint;
	/* Copied into the connection's buffer before the next read. */
	b->base = buf;
	b->len = sizeof(buf);
}

static void
answer(struct conn *c)
{
	uv_buf_t b;

	uv_read_stop(&c->h.stream);
	uv_timer_stop(&c->timer);
	c->rpc->handler(c->rpc->arg, pd_buf_str(&c->in), c->in.len, &c->out);
	b = uv_buf_init(c->out.data ? c->out.data : (char *)"",
	    (unsigned)c->out.len);
	c->wr.data = c;
	if (c->out.len == 0 || uv_write(&c->wr, &c->h.stream, &b, 1,
	    write_cb) != 0)
		conn_close(c);
}

static void
read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = s->data;
	const char *term = c->rpc->opts.terminator;

	if (n < 0) {
		conn_close(c);		/* gone before the request ended */
		return;
	}
	if (pd_buf_append(&c->in, b->base, (size_t)n) < 0) {
		conn_close(c);		/* longer than any request can be */
		return;
	}
	if (memmem(pd_buf_str(&c->in), c->in.len, term, strlen(term)) != NULL)
		answer(c);
}

static void
timeout_cb(uv_timer_t *t)
{
	conn_close(t->data);
}

static void
accept_cb(uv_stream_t *ls, int status)
{
	struct pd_rpc *rpc = (struct pd_rpc *)ls;
	struct conn *c;

	if (status != 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->rpc = rpc;
	if (rpc->tcp)
		uv_tcp_init(rpc->loop, &c->h.tcp);
	else
		uv_pipe_init(rpc->loop, &c->h.pipe, 0);
	uv_timer_init(rpc->loop, &c->timer);
	c->h.handle.data = c;
	c->timer.data = c;
	pd_buf_init(&c->in, rpc->opts.max);
	pd_buf_init(&c->out, 16 * 1024 * 1024);
	pd_list_push(&rpc->conns, &c->link);
	if (uv_accept(ls, &c->h.stream) != 0 ||
	    uv_read_start(&c->h.stream, alloc_cb, read_cb) != 0) {
		conn_close(c);
		return;
	}
	uv_timer_start(&c->timer, timeout_cb, rpc->opts.timeout, 0);
}

/* bind_unix - the socket file exists only with its final mode and group */
static int
bind_unix(struct pd_rpc *rpc, const char *path, struct pd_err *err)
{
	struct stat st;
	mode_t old;
	int rc;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	old = umask(0177);
	rc = uv_pipe_bind(&rpc->h.pipe, path);
	umask(old);
	if (rc != 0)
		return pd_err_set(err, "unix:%s: %s", path, uv_strerror(rc));
	if (rpc->opts.gid != (gid_t)-1 && chown(path, (uid_t)-1,
	    rpc->opts.gid) < 0)
		return pd_err_set(err, "unix:%s: chown: %s", path,
		    strerror(errno));
	if (chmod(path, (mode_t)rpc->opts.mode) < 0)
		return pd_err_set(err, "unix:%s: chmod: %s", path,
		    strerror(errno));
	return 0;
}

static int
bind_inet(struct pd_rpc *rpc, const char *hp, struct pd_err *err)
{
	struct sockaddr_storage ss;
	struct pd_err why;
	int rc;

	if (pd_hostport_parse(hp, &ss, &why) < 0)
		return pd_err_set(err, "inet:%s: %s", hp, why.msg);
	if ((rc = uv_tcp_bind(&rpc->h.tcp, (struct sockaddr *)&ss, 0)) != 0)
		return pd_err_set(err, "inet:%s: %s", hp, uv_strerror(rc));
	return 0;
}

static void
rpc_closed_cb(uv_handle_t *h)
{
	free(h);
}

struct pd_rpc *
pd_rpc_listen(uv_loop_t *loop, const char *spec,
    const struct pd_rpc_opts *opts, pd_rpc_handler handler, void *arg,
    struct pd_err *err)
{
	struct pd_rpc *rpc;
	int rc;

	if (strncmp(spec, "unix:", 5) != 0 && strncmp(spec, "inet:", 5) != 0) {
		pd_err_set(err, "%s: expected unix:PATH or inet:HOST:PORT", spec);
		return NULL;
	}
	if ((rpc = calloc(1, sizeof(*rpc))) == NULL) {
		pd_err_set(err, "out of memory");
		return NULL;
	}
	rpc->loop = loop;
	rpc->opts = *opts;
	rpc->handler = handler;
	rpc->arg = arg;
	pd_list_init(&rpc->conns);
	rpc->tcp = spec[0] == 'i';
	if (rpc->tcp)
		uv_tcp_init(loop, &rpc->h.tcp);
	else
		uv_pipe_init(loop, &rpc->h.pipe, 0);
	rc = !rpc->tcp ? bind_unix(rpc, spec + 5, err) :
	    bind_inet(rpc, spec + 5, err);
	if (rc == 0 && (rc = uv_listen(&rpc->h.stream, 64, accept_cb)) != 0)
		rc = pd_err_set(err, "%s: %s", spec, uv_strerror(rc));
	if (rc < 0) {
		uv_close(&rpc->h.handle, rpc_closed_cb);
		return NULL;
	}
	return rpc;
}

int
pd_rpc_port(const struct pd_rpc *rpc)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	if (!rpc->tcp || uv_tcp_getsockname(&rpc->h.tcp,
	    (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

void
pd_rpc_close(struct pd_rpc *rpc)
{
	if (rpc == NULL)
		return;
	while (!pd_list_empty(&rpc->conns))
		conn_close(pd_list_entry(rpc->conns.next, struct conn, link));
	uv_close(&rpc->h.handle, rpc_closed_cb);
}
