/* SPDX-License-Identifier: ISC */
/*
 * listen - bind, listen and accept for every server in policyd.
 *
 * The accept path allocates the owner's connection block itself, so
 * that the one thing that can fail before uv_accept() (memory) is met
 * here, once.  When there is no block a spare handle, kept in the
 * listener for that, takes the connection and closes it.  If the spare
 * is still closing from the previous refusal the connection waits in
 * libuv (which stops polling meanwhile) and the spare's close callback
 * offers it again: the listener never goes quiet for good.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "addr.h"
#include "err.h"
#include "log.h"
#include "listen.h"

struct pd_listen {
	union pd_listen_handle h;     /* first: handle <-> listener */
	union pd_listen_handle spare; /* refuses when memory is short */
	uv_loop_t	      *loop;
	pd_listen_cb	       cb;
	void		      *arg;
	size_t		       conn_size;
	bool		       is_unix;
	bool		       spare_busy; /* closing a refused connection */
	bool		       stalled;	   /* a connection waits for it */
	bool		       closing;
	int		       handles;	  /* still to be closed */
	uint64_t	       refused;	  /* for want of memory */
	uint64_t	       last_warn; /* uv_now of the last accept error */
	char		       spec[PD_LISTEN_SPEC_MAX];
};

static atomic_uint fail_allocs;

void
pd_listen_fail_allocs(unsigned n)
{
	atomic_store(&fail_allocs, n);
}

/* conn_alloc - the owner's block, unless a test wants it to fail */
static void *
conn_alloc(size_t size)
{
	unsigned n = atomic_load(&fail_allocs);

	while (n > 0 && !atomic_compare_exchange_weak(&fail_allocs, &n, n - 1))
		;
	if (n > 0)
		return NULL;
	return calloc(1, size);
}

int
pd_listen_parse(const char *spec, struct pd_listen_addr *a, struct pd_err *err)
{
	struct pd_err why;

	memset(a, 0, sizeof(*a));
	if (strlen(spec) >= PD_LISTEN_SPEC_MAX)
		return pd_err_set(err, "%.40s...: longer than %d bytes", spec,
		    PD_LISTEN_SPEC_MAX - 1);
	if (strncmp(spec, "inet:", 5) == 0) {
		if (pd_hostport_parse(spec + 5, &a->ss, &why) < 0)
			return pd_err_set(err, "%s: %s", spec, why.msg);
		return 0;
	}
	if (strncmp(spec, "unix:", 5) != 0 || spec[5] == '\0')
		return pd_err_set(err,
		    "%s: expected inet:HOST:PORT or "
		    "unix:PATH",
		    spec);
	/* libuv cuts a long path short without a word: refuse it here. */
	if (strlen(spec + 5) >= sizeof(a->path))
		return pd_err_set(err, "%s: path longer than %zu bytes", spec,
		    sizeof(a->path) - 1);
	a->is_unix = true;
	memcpy(a->path, spec + 5, strlen(spec + 5) + 1);
	return 0;
}

/* handle_init - h as a stream of the listener's kind */
static int
handle_init(struct pd_listen *l, union pd_listen_handle *h)
{
	/* Neither makes a socket, so neither fails in practice. */
	if (l->is_unix)
		return uv_pipe_init(l->loop, &h->pipe, 0);
	return uv_tcp_init(l->loop, &h->tcp);
}

static void
listener_unref(struct pd_listen *l)
{
	if (--l->handles == 0)
		free(l);
}

static void
listener_closed_cb(uv_handle_t *h)
{
	listener_unref(h->data);
}

static void
block_free_cb(uv_handle_t *h)
{
	free(h);
}

static void take(struct pd_listen *);

static void
spare_closed_cb(uv_handle_t *h)
{
	struct pd_listen *l = h->data;

	l->spare_busy = false;
	if (l->closing) {
		listener_unref(l);
		return;
	}
	l->handles--;
	if (l->stalled) {
		l->stalled = false;
		take(l);
	}
}

/* refuse - accept the pending connection into the spare and close it */
static void
refuse(struct pd_listen *l)
{
	if (l->spare_busy || handle_init(l, &l->spare) != 0) {
		l->stalled = true;
		return;
	}
	l->spare.handle.data = l;
	l->spare_busy = true;
	l->refused++;
	l->handles++;
	(void)uv_accept(&l->h.stream, &l->spare.stream);
	uv_close(&l->spare.handle, spare_closed_cb);
}

/* take - hand the pending connection to the owner, or refuse it */
static void
take(struct pd_listen *l)
{
	union pd_listen_handle *c;

	if ((c = conn_alloc(l->conn_size)) == NULL) {
		refuse(l);
		return;
	}
	if (handle_init(l, c) != 0) {
		free(c);
		refuse(l);
		return;
	}
	if (uv_accept(&l->h.stream, &c->stream) != 0) {
		/* libuv has dropped the connection already. */
		uv_close(&c->handle, block_free_cb);
		return;
	}
	if (l->cb(l->arg, l, c) < 0)
		uv_close(&c->handle, block_free_cb);
}

static void
connection_cb(uv_stream_t *s, int status)
{
	struct pd_listen *l = (struct pd_listen *)s;

	if (status == 0) {
		take(l);
		return;
	}
	/* Nothing is pending (EMFILE and the like): once a second is enough. */
	if (uv_now(l->loop) - l->last_warn >= 1000) {
		l->last_warn = uv_now(l->loop);
		pd_log_warnx("%s: accept: %s", l->spec, uv_strerror(status));
	}
}

/*
 * clear_stale - make room for a socket at path: replace a socket file
 * nobody listens on, keep a live one or anything else.
 */
static int
clear_stale(const char *path, const char *spec, struct pd_err *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat	   st;
	int		   fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ?
		    0 :
		    pd_err_set(err, "%s: %s", spec, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return pd_err_set(err, "%s: exists and is not a socket", spec);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		 0)) < 0)
		return pd_err_set(err, "%s: socket: %s", spec, strerror(errno));
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (rc < 0 && errno == ECONNREFUSED) {
		close(fd);
		if (unlink(path) < 0 && errno != ENOENT)
			return pd_err_set(err, "%s: unlink: %s", spec,
			    strerror(errno));
		return 0;
	}
	close(fd);
	if (rc == 0 || errno == EAGAIN)
		return pd_err_set(err, "%s: another process listens on it",
		    spec);
	return pd_err_set(err, "%s: %s", spec, strerror(errno));
}

/* bind_unix - the socket is never open to more than mode and gid allow */
static int
bind_unix(struct pd_listen *l, const char *path, const struct pd_listen_opts *o,
    struct pd_err *err)
{
	mode_t old;
	int    rc;

	if (clear_stale(path, l->spec, err) < 0)
		return -1;
	old = umask(0177);
	rc = uv_pipe_bind(&l->h.pipe, path);
	umask(old);
	if (rc != 0)
		return pd_err_set(err, "%s: %s", l->spec, uv_strerror(rc));
	if (o->gid != (gid_t)-1 && chown(path, (uid_t)-1, o->gid) < 0)
		return pd_err_set(err, "%s: chown: %s", l->spec,
		    strerror(errno));
	if (chmod(path, (mode_t)o->mode) < 0)
		return pd_err_set(err, "%s: chmod: %s", l->spec,
		    strerror(errno));
	return 0;
}

static int
bind_inet(struct pd_listen *l, const struct sockaddr_storage *ss,
    struct pd_err *err)
{
	int rc;

	if ((rc = uv_tcp_bind(&l->h.tcp, (const struct sockaddr *)ss, 0)) != 0)
		return pd_err_set(err, "%s: %s", l->spec, uv_strerror(rc));
	return 0;
}

/* listen_bind - bind l as a says, then listen */
static int
listen_bind(struct pd_listen *l, const struct pd_listen_addr *a,
    const struct pd_listen_opts *o, struct pd_err *err)
{
	int rc;

	rc = a->is_unix ? bind_unix(l, a->path, o, err) :
			  bind_inet(l, &a->ss, err);
	if (rc < 0)
		return -1;
	if ((rc = uv_listen(&l->h.stream, o->backlog, connection_cb)) != 0)
		return pd_err_set(err, "%s: %s", l->spec, uv_strerror(rc));
	return 0;
}

struct pd_listen *
pd_listen_open(uv_loop_t *loop, const char *spec,
    const struct pd_listen_opts *o, pd_listen_cb cb, void *arg,
    struct pd_err *err)
{
	struct pd_listen_addr a;
	struct pd_listen     *l;

	if (pd_listen_parse(spec, &a, err) < 0)
		return NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		pd_err_set(err, "%s: out of memory", spec);
		return NULL;
	}
	l->loop = loop;
	l->cb = cb;
	l->arg = arg;
	l->conn_size = o->conn_size;
	l->is_unix = a.is_unix;
	memcpy(l->spec, spec, strlen(spec) + 1);
	if (handle_init(l, &l->h) != 0) {
		pd_err_set(err, "%s: cannot make a handle", spec);
		free(l);
		return NULL;
	}
	l->h.handle.data = l;
	l->handles = 1;
	if (listen_bind(l, &a, o, err) < 0) {
		l->closing = true;
		uv_close(&l->h.handle, listener_closed_cb);
		return NULL;
	}
	return l;
}

const char *
pd_listen_spec(const struct pd_listen *l)
{
	return l->spec;
}

int
pd_listen_port(const struct pd_listen *l)
{
	struct sockaddr_storage ss;
	int			len = sizeof(ss);

	if (l->is_unix ||
	    uv_tcp_getsockname(&l->h.tcp, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

uint64_t
pd_listen_refused(const struct pd_listen *l)
{
	return l->refused;
}

void
pd_listen_close(struct pd_listen *l)
{
	if (l == NULL || l->closing)
		return;
	/* A busy spare frees the listener with its own close, if last. */
	l->closing = true;
	uv_close(&l->h.handle, listener_closed_cb);
}
