/* SPDX-License-Identifier: ISC */
/*
 * loadgen -- load generator for Postfix policy delegation servers.
 *
 * usage: loadgen [-q] [-h host] -p port [-c conns] [-d secs] [-w secs]
 *            [-a addrs] [-H helos] [-r rate [-S]]
 *
 * It behaves like a set of Postfix smtpd processes: CONNS persistent
 * connections, each with at most one request in flight, a request being
 * the 31 attributes Postfix 3.7 sends for a RCPT TO check.
 *
 * Without -r the connections run closed-loop: a connection sends its next
 * request as soon as the previous reply is in, and latency runs from the
 * send to the reply.  With -r the requests are due at fixed intervals
 * (1/RATE) independent of the server; each due request goes to the
 * longest-idle connection, and when none is idle it waits.  Latency is
 * then measured from the time the request was due, not from the time it
 * could be sent, so a stalled server is charged for the requests it
 * delayed (no coordinated omission).  To keep our own wake-up latency out
 * of that figure, -r polls rather than sleeps while a reply or a request
 * is near (one core busy; -S to sleep instead).
 *
 * Timeline: warm-up (-w, not measured), measured window (-d), then at most
 * two seconds to collect replies still in flight.  A request is measured
 * when it was due inside the window; rps is measured replies divided by
 * the window.  Errors are counted over the whole run: a connection closed
 * by the server, a malformed reply, a failed connect, or a reply that never
 * came.  A broken connection is re-opened after a short pause so the run
 * goes on, and each re-open is counted.
 *
 * The requests are rendered once before the clock starts (up to POOL_MAX of
 * them); request i comes from simulated client i % addrs, whose address,
 * client_port, sender and instance are its own and whose HELO name is
 * helo i % helos.
 *
 * Output: the last line (the only one with -q) is space-separated
 * name=value pairs, times in milliseconds with an "ms" suffix:
 *   conns reqs secs rps p50 p90 p99 p999 max	measured replies
 *   errors = closed + malformed + connfail + timeouts
 *   non_dunno					replies other than DUNNO
 *   reconnects
 *   rate unsent lag_p99 lag_max	-r: target, due but never sent, and
 *					how long due requests waited to go
 *   svc_p99				p99 from actual send, without lag
 *   late_p99 late_max			how late our own timed waits ended
 *   cpu				our CPU time, % of one core
 *
 * Exit status: 0 if at least one reply was measured and nothing went wrong,
 * 1 if there were errors, 2 on a usage or setup failure.
 */

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define NS_PER_SEC	1000000000LL
#define NS_PER_MS	1000000LL

#define REQ_MAX		1024		/* room for one rendered request */
#define REPLY_MAX	4096		/* a longer reply is malformed */
#define POOL_MAX	262144		/* requests rendered ahead (~180 MB) */
#define MIN_ATTRS	29		/* what Postfix 3.7 sends, at least */
#define DRAIN_NS	(2 * NS_PER_SEC)
#define RETRY_NS	(100 * NS_PER_MS)
#define SPIN_NS		(300 * 1000LL)	/* see main loop */
#define MAX_EVENTS	512
#define MAX_CONNS	60000		/* one client port each */
#define MAX_ADDRS	(1U << 24)	/* distinct addresses in 10/8 */

/*
 * Latency histogram, log-linear in nanoseconds: values below 256 ns are
 * kept exactly, above that each power of two is cut in 128 buckets, so a
 * bucket is never wider than 1/128 (0.8%) of its value.  The top is 2^40 ns
 * (18 minutes); anything longer is clamped.
 */
#define H_SUB_BITS	7
#define H_SUB		(1 << H_SUB_BITS)
#define H_LINEAR	(2 * H_SUB)
#define H_MAXBITS	40
#define H_BUCKETS	(H_LINEAR + (H_MAXBITS - H_SUB_BITS - 1) * H_SUB)

enum cstate {
	CS_DEAD,
	CS_CONNECTING,
	CS_IDLE,
	CS_BUSY
};

struct conn {
	int		 fd;
	enum cstate	 state;
	int		 wantout;	/* EPOLLOUT registered */
	int		 inq;		/* sits in the idle queue */
	const char	*req;		/* request being sent */
	size_t		 reqlen;
	size_t		 woff;		/* bytes of it sent so far */
	size_t		 rlen;		/* reply bytes buffered */
	int64_t		 sched;		/* when the request was due */
	int64_t		 sent;		/* when it went out */
	int64_t		 retry;		/* CS_DEAD: earliest re-open */
	char		*rbuf;
	char		*wbuf;		/* only when rendering on the fly */
};

struct hist {
	uint64_t	 n;
	int64_t		 min;
	int64_t		 max;
	double		 sum;
	uint64_t	 b[H_BUCKETS];
};

struct stats {
	uint64_t	 dunno;		/* measured replies by action */
	uint64_t	 other;
	uint64_t	 closed;
	uint64_t	 malformed;
	uint64_t	 connfail;
	uint64_t	 timeouts;
	uint64_t	 reconnects;
	uint64_t	 unsent;
	uint64_t	 wakeups;	/* epoll waits that returned events */
	uint64_t	 events;
	struct hist	 lat;		/* due to reply */
	struct hist	 svc;		/* sent to reply */
	struct hist	 lag;		/* -r: due to sent */
	struct hist	 late;		/* our own wake-ups, past their time */
};

/* Options. */
static const char	*o_host = "127.0.0.1";
static const char	*o_port;
static unsigned		 o_conns = 64;
static double		 o_dur = 5.0;
static double		 o_warm = 1.0;
static unsigned		 o_addrs = 100000;
static unsigned		 o_helos = 1000;
static double		 o_rate;
static int		 o_quiet;
static int		 o_spin = 1;

static struct sockaddr_storage	 srv_addr;
static socklen_t		 srv_addrlen;

static char		*pool;		/* rendered requests, back to back */
static uint32_t		*pool_off;	/* request i is [off[i], off[i+1]) */
static unsigned		 pool_n;	/* 0: render each request on the fly */
static size_t		 pool_bytes;
static unsigned		 nattrs;

static struct conn	*conns;
static int		 epfd;
static uint32_t		*idleq;		/* FIFO of idle connections */
static unsigned		 idle_head, idle_n;
static unsigned		 ndead;
static unsigned		 inflight;
static uint64_t		 seq;		/* next request number */
static uint64_t		 slot;		/* -r: next due request */

static int64_t		 t_start, t_meas, t_end, t_hard;
static int		 have_pwait2 = 1;
static volatile sig_atomic_t	 stop;

static struct stats	 st;

static void fatal(const char *, ...)
    __attribute__((__format__(__printf__, 1, 2), __noreturn__));

static void
fatal(const char *fmt, ...)
{
	va_list ap;

	fputs("loadgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen [-q] [-h host] -p port [-c conns] [-d secs] "
	    "[-w secs]\n"
	    "               [-a addrs] [-H helos] [-r rate [-S]]\n"
	    "  -h host   server address (default 127.0.0.1)\n"
	    "  -p port   server port (required)\n"
	    "  -c conns  persistent connections (default 64)\n"
	    "  -d secs   measured duration (default 5)\n"
	    "  -w secs   warm-up, not measured (default 1)\n"
	    "  -a addrs  distinct client addresses (default 100000)\n"
	    "  -H helos  distinct HELO names (default 1000)\n"
	    "  -r rate   total requests/s, open loop (default 0: "
	    "as fast as possible)\n"
	    "  -S        with -r, sleep between events instead of polling\n"
	    "  -q        print one machine-readable line only\n");
	exit(2);
}

static double
num_arg(int opt, const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	/* The comparisons are false for NaN, which is thus refused too. */
	if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi))
		fatal("-%c: bad value '%s' (want %g..%g)", opt, s, lo, hi);
	return v;
}

static unsigned
uint_arg(int opt, const char *s, unsigned lo, unsigned hi)
{
	double v;

	v = num_arg(opt, s, lo, hi);
	if (v != (double)(unsigned)v)
		fatal("-%c: '%s' is not a whole number", opt, s);
	return (unsigned)v;
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Client i's address in 10.0.0.0/8.  Multiplying by an odd constant is a
 * bijection modulo 2^24, so up to 2^24 clients get distinct addresses, and
 * neighbouring clients land in different /24s as they would on the
 * Internet instead of filling one subnet after another.
 */
static uint32_t
client_addr(uint32_t i)
{
	return (i * 0x9e3779U + 0x010203U) & 0xffffffU;
}

/*
 * One RCPT-stage request as Postfix 3.7 sends it, attribute for attribute
 * (see SMTPD_POLICY_README), with the per-client values filled in.
 */
static size_t
render(char *buf, size_t size, uint32_t i)
{
	uint32_t a;
	int n;

	a = client_addr(i);
	n = snprintf(buf, size,
	    "request=smtpd_access_policy\n"
	    "protocol_state=RCPT\n"
	    "protocol_name=ESMTP\n"
	    "helo_name=mx%u.example.net\n"
	    "queue_id=\n"
	    "sender=user%u@example.org\n"
	    "recipient=rcpt@example.com\n"
	    "recipient_count=0\n"
	    "client_address=10.%u.%u.%u\n"
	    "client_name=unknown\n"
	    "reverse_client_name=unknown\n"
	    "instance=%x.%x.%x.0\n"
	    "sasl_method=\n"
	    "sasl_username=\n"
	    "sasl_sender=\n"
	    "size=0\n"
	    "ccert_subject=\n"
	    "ccert_issuer=\n"
	    "ccert_fingerprint=\n"
	    "ccert_pubkey_fingerprint=\n"
	    "encryption_protocol=TLSv1.3\n"
	    "encryption_cipher=TLS_AES_256_GCM_SHA384\n"
	    "encryption_keysize=256\n"
	    "etrn_domain=\n"
	    "stress=\n"
	    "client_port=%u\n"
	    "policy_context=\n"
	    "server_address=127.0.0.1\n"
	    "server_port=25\n"
	    "compatibility_level=3.6\n"
	    "mail_version=3.7.11\n"
	    "\n",
	    i % o_helos,
	    i,
	    a >> 16, (a >> 8) & 0xff, a & 0xff,
	    /* smtpd pid, arrival seconds and microseconds, as Postfix. */
	    0x400U + i % 30000U, 0x65000000U + i / 1000U,
	    (i * 997U) % 1000000U,
	    1024U + i % 64511U);
	if (n < 0 || (size_t)n >= size)
		fatal("request %u does not fit in %d bytes", i, REQ_MAX);
	return (size_t)n;
}

/* Count attributes so an edit of render() cannot drop below Postfix's. */
static unsigned
count_attrs(const char *r, size_t len)
{
	unsigned n;
	size_t i;

	/* Each non-empty line ends with a newline after a non-newline. */
	n = 0;
	for (i = 1; i < len; i++)
		if (r[i] == '\n' && r[i - 1] != '\n')
			n++;
	return n;
}

static void
pool_build(void)
{
	char buf[REQ_MAX], *p;
	size_t len, off;
	unsigned i;

	len = render(buf, sizeof(buf), 0);
	if ((nattrs = count_attrs(buf, len)) < MIN_ATTRS)
		fatal("request has %u attributes, want %d", nattrs,
		    MIN_ATTRS);

	/*
	 * Beyond POOL_MAX clients the memory is not worth it: requests are
	 * then rendered as they are sent (about a microsecond each, before
	 * the send is timed in closed-loop mode).
	 */
	if (o_addrs > POOL_MAX)
		return;
	pool_n = o_addrs;
	if ((pool = malloc((size_t)pool_n * REQ_MAX)) == NULL ||
	    (pool_off = malloc(((size_t)pool_n + 1) * sizeof(*pool_off))) ==
	    NULL)
		fatal("out of memory for %u requests", pool_n);
	off = 0;
	for (i = 0; i < pool_n; i++) {
		pool_off[i] = (uint32_t)off;
		off += render(pool + off, REQ_MAX, i);
	}
	pool_off[pool_n] = (uint32_t)off;
	pool_bytes = off;
	/* Give back the unused tail; a failure just keeps it. */
	if ((p = realloc(pool, off)) != NULL)
		pool = p;
}

static unsigned
hist_index(int64_t v)
{
	unsigned msb, shift;

	if (v < H_LINEAR)
		return (unsigned)(v < 0 ? 0 : v);
	if (v >= (1LL << H_MAXBITS))
		v = (1LL << H_MAXBITS) - 1;
	msb = 63U - (unsigned)__builtin_clzll((unsigned long long)v);
	shift = msb - H_SUB_BITS;
	return H_LINEAR + (shift - 1) * H_SUB +
	    (unsigned)((v >> shift) - H_SUB);
}

/* Middle of bucket idx, in ns. */
static double
hist_mid(unsigned idx)
{
	unsigned j, shift;

	if (idx < H_LINEAR)
		return idx;
	j = idx - H_LINEAR;
	shift = j / H_SUB + 1;
	return ((double)(H_SUB + j % H_SUB) + 0.5) * (double)(1ULL << shift);
}

/* Value at quantile q, in ns, never outside the exact extremes. */
static double
hist_quantile(const struct hist *h, double q)
{
	uint64_t want, sum;
	unsigned i;
	double v;

	if (h->n == 0)
		return 0;
	/* Rank of the quantile, rounded up, as HdrHistogram does. */
	want = (uint64_t)(q * (double)h->n);
	if ((double)want < q * (double)h->n)
		want++;
	if (want < 1)
		want = 1;
	sum = 0;
	for (i = 0; i < H_BUCKETS - 1; i++) {
		sum += h->b[i];
		if (sum >= want)
			break;
	}
	v = hist_mid(i);
	if (v > (double)h->max)
		v = (double)h->max;
	if (v < (double)h->min)
		v = (double)h->min;
	return v;
}

static void
hist_add(struct hist *h, int64_t v)
{
	if (v < 0)
		v = 0;
	h->n++;
	h->b[hist_index(v)]++;
	h->sum += (double)v;
	if (h->n == 1 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/* In milliseconds, for printing. */
static double
hist_ms(const struct hist *h, double q)
{
	return hist_quantile(h, q) / 1e6;
}

static int64_t
slot_time(uint64_t k)
{
	return t_start + (int64_t)((double)k * 1e9 / o_rate);
}

static void
idle_push(struct conn *c)
{
	if (c->inq)
		return;
	c->inq = 1;
	idleq[(idle_head + idle_n) % o_conns] = (uint32_t)(c - conns);
	idle_n++;
}

/*
 * Oldest idle connection, so that with -r the load is spread over all of
 * them as Postfix's many smtpd processes spread it.  Connections that died
 * while queued are dropped here.
 */
static struct conn *
idle_pop(void)
{
	struct conn *c;

	while (idle_n > 0) {
		c = &conns[idleq[idle_head]];
		idle_head = (idle_head + 1) % o_conns;
		idle_n--;
		c->inq = 0;
		if (c->state == CS_IDLE)
			return c;
	}
	return NULL;
}

static void
set_events(struct conn *c, uint32_t ev)
{
	struct epoll_event e;

	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.u32 = (uint32_t)(c - conns);
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &e) == -1)
		fatal("epoll_ctl: %s", strerror(errno));
}

/*
 * Drop a connection after an error.  The request in flight on it is lost
 * and counted in the error given by the caller; the connection is re-opened
 * after RETRY_NS so a server that closes at once does not make us spin.
 */
static void
conn_fail(struct conn *c, uint64_t *counter, int64_t now)
{
	(*counter)++;
	if (c->state == CS_BUSY)
		inflight--;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->state = CS_DEAD;
	c->wantout = 0;
	c->rlen = 0;
	c->retry = now + RETRY_NS;
	ndead++;
}

static void
conn_open(struct conn *c, int64_t now)
{
	struct epoll_event e;
	int fd, one;

	fd = socket(srv_addr.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		fatal("socket: %s", strerror(errno));
	/* Each request is one write; never let Nagle hold a tail back. */
	one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	c->rlen = 0;
	c->wantout = 0;
	memset(&e, 0, sizeof(e));
	e.data.u32 = (uint32_t)(c - conns);
	if (connect(fd, (struct sockaddr *)&srv_addr, srv_addrlen) == 0) {
		c->state = CS_IDLE;
		e.events = EPOLLIN;
	} else if (errno == EINPROGRESS) {
		c->state = CS_CONNECTING;
		e.events = EPOLLOUT;
	} else {
		c->state = CS_CONNECTING;
		conn_fail(c, &st.connfail, now);
		return;
	}
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) == -1)
		fatal("epoll_ctl: %s", strerror(errno));
	if (c->state == CS_IDLE)
		idle_push(c);
}

/* Send what is left of the current request. */
static void
conn_flush(struct conn *c, int64_t now)
{
	ssize_t n;

	while (c->woff < c->reqlen) {
		n = send(c->fd, c->req + c->woff, c->reqlen - c->woff,
		    MSG_NOSIGNAL);
		if (n > 0) {
			c->woff += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->wantout) {
				c->wantout = 1;
				set_events(c, EPOLLIN | EPOLLOUT);
			}
			return;
		}
		conn_fail(c, &st.closed, now);
		return;
	}
	if (c->wantout) {
		c->wantout = 0;
		set_events(c, EPOLLIN);
	}
}

static void
conn_send(struct conn *c, int64_t sched, int64_t now)
{
	uint32_t i;

	i = (uint32_t)(seq++ % o_addrs);
	if (pool_n != 0) {
		c->req = pool + pool_off[i];
		c->reqlen = pool_off[i + 1] - pool_off[i];
	} else {
		c->reqlen = render(c->wbuf, REQ_MAX, i);
		c->req = c->wbuf;
	}
	if (o_rate <= 0)
		sched = now = now_ns();
	else if (sched >= t_meas && sched < t_end)
		hist_add(&st.lag, now - sched);
	c->sched = sched;
	c->sent = now;
	c->woff = 0;
	c->rlen = 0;
	c->state = CS_BUSY;
	inflight++;
	conn_flush(c, now);
}

/* Hand due requests to idle connections. */
static void
dispatch(int64_t now)
{
	struct conn *c;
	int64_t due;

	while (idle_n > 0) {
		if (o_rate > 0) {
			due = slot_time(slot);
			if (due > now || due >= t_end)
				return;
		} else {
			if (now >= t_end)
				return;
			due = now;
		}
		if ((c = idle_pop()) == NULL)
			return;
		if (o_rate > 0)
			slot++;
		conn_send(c, due, now);
	}
}

/*
 * Postfix reads the reply with attr_scan(), which accepts exactly one
 * attribute, "action", so anything else is malformed here too.  Returns 1
 * for DUNNO, 0 for another action, -1 if malformed; len includes the
 * terminating empty line.
 */
static int
reply_kind(const char *r, size_t len)
{
	const char *v, *e;

	if (len < sizeof("action=x\n\n") - 1 ||
	    memcmp(r, "action=", 7) != 0)
		return -1;
	v = r + 7;
	e = memchr(v, '\n', len - 7);
	if (e == NULL || e + 2 != r + len || e == v)
		return -1;
	if (e - v >= 5 && strncasecmp(v, "DUNNO", 5) == 0 &&
	    (e - v == 5 || v[5] == ' ' || v[5] == '\t'))
		return 1;
	return 0;
}

static void
conn_read(struct conn *c, int64_t now)
{
	const char *p;
	size_t from, end;
	ssize_t n;
	int kind;

	n = read(c->fd, c->rbuf + c->rlen, REPLY_MAX - c->rlen);
	if (n == 0) {
		conn_fail(c, &st.closed, now);
		return;
	}
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		conn_fail(c, &st.closed, now);
		return;
	}
	/* Data before the whole request went out is not a reply to it. */
	if (c->state != CS_BUSY || c->woff < c->reqlen) {
		conn_fail(c, &st.malformed, now);
		return;
	}
	/* The terminator may straddle the previous read. */
	from = c->rlen > 0 ? c->rlen - 1 : 0;
	c->rlen += (size_t)n;
	if (c->rbuf[0] == '\n')
		end = 1;		/* empty reply, no action */
	else if ((p = memmem(c->rbuf + from, c->rlen - from, "\n\n", 2)) !=
	    NULL)
		end = (size_t)(p - c->rbuf) + 2;
	else {
		if (c->rlen == REPLY_MAX)
			conn_fail(c, &st.malformed, now);
		return;
	}
	/* With one request in flight, bytes past the reply are garbage. */
	if (end != c->rlen || (kind = reply_kind(c->rbuf, end)) < 0) {
		conn_fail(c, &st.malformed, now);
		return;
	}
	if (c->sched >= t_meas && c->sched < t_end) {
		hist_add(&st.lat, now - c->sched);
		hist_add(&st.svc, now - c->sent);
		if (kind)
			st.dunno++;
		else
			st.other++;
	}
	inflight--;
	c->state = CS_IDLE;
	c->rlen = 0;
	idle_push(c);
	dispatch(now);
}

static void
conn_connected(struct conn *c, int64_t now)
{
	socklen_t len;
	int err;

	err = 0;
	len = sizeof(err);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		conn_fail(c, &st.connfail, now);
		return;
	}
	c->state = CS_IDLE;
	set_events(c, EPOLLIN);
	idle_push(c);
	dispatch(now);
}

static void
on_event(struct conn *c, uint32_t ev, int64_t now)
{
	if (c->state == CS_CONNECTING) {
		conn_connected(c, now);
		return;
	}
	if ((ev & EPOLLOUT) && c->state == CS_BUSY)
		conn_flush(c, now);
	if ((ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->fd != -1)
		conn_read(c, now);
}

static void
reopen_dead(int64_t now)
{
	unsigned i;

	for (i = 0; i < o_conns && ndead > 0; i++) {
		if (conns[i].state != CS_DEAD || conns[i].retry > now)
			continue;
		ndead--;
		st.reconnects++;
		conn_open(&conns[i], now);
	}
}

/* When the loop must wake up next if nothing happens. */
static int64_t
next_deadline(int64_t now)
{
	int64_t d, t;
	unsigned i;

	d = t_hard;
	if (now < t_end && t_end < d)
		d = t_end;
	if (o_rate > 0 && idle_n > 0) {
		t = slot_time(slot);
		if (t < t_end && t < d)
			d = t;
	}
	if (ndead > 0 && now < t_end)
		for (i = 0; i < o_conns; i++)
			if (conns[i].state == CS_DEAD && conns[i].retry < d)
				d = conns[i].retry;
	return d;
}

static int
wait_events(struct epoll_event *ev, int maxev, int64_t wait)
{
	struct timespec ts;
	int n;

	if (wait < 0)
		wait = 0;
	if (have_pwait2) {
		ts.tv_sec = wait / NS_PER_SEC;
		ts.tv_nsec = wait % NS_PER_SEC;
		n = epoll_pwait2(epfd, ev, maxev, &ts, NULL);
		if (n != -1 || errno != ENOSYS)
			return n;
		have_pwait2 = 0;
	}
	/* Pre-5.11 kernels: millisecond timeouts, rounded up. */
	return epoll_wait(epfd, ev, maxev,
	    (int)((wait + NS_PER_MS - 1) / NS_PER_MS));
}

static void
resolve(void)
{
	struct addrinfo hints, *res;
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((e = getaddrinfo(o_host, o_port, &hints, &res)) != 0)
		fatal("%s port %s: %s", o_host, o_port, gai_strerror(e));
	memcpy(&srv_addr, res->ai_addr, res->ai_addrlen);
	srv_addrlen = res->ai_addrlen;
	freeaddrinfo(res);
}

static void
setup(void)
{
	struct rlimit rl;
	unsigned i;
	char *rbufs;

	/* One descriptor per connection, plus a few of our own. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)o_conns + 16) {
		rl.rlim_cur = (rlim_t)o_conns + 16;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
			fatal("-c %u needs more descriptors than the hard "
			    "limit %llu", o_conns,
			    (unsigned long long)rl.rlim_max);
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatal("setrlimit: %s", strerror(errno));
	}
	/*
	 * The default 50 us timer slack would make -r wake-ups late and
	 * bunch requests together.
	 */
	(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	if ((conns = calloc(o_conns, sizeof(*conns))) == NULL ||
	    (idleq = calloc(o_conns, sizeof(*idleq))) == NULL ||
	    (rbufs = malloc((size_t)o_conns * REPLY_MAX)) == NULL)
		fatal("out of memory for %u connections", o_conns);
	for (i = 0; i < o_conns; i++) {
		conns[i].fd = -1;
		conns[i].rbuf = rbufs + (size_t)i * REPLY_MAX;
		if (pool_n == 0 &&
		    (conns[i].wbuf = malloc(REQ_MAX)) == NULL)
			fatal("out of memory");
	}
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1: %s", strerror(errno));
}

static double
tv_sec(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void
report(double secs, double cpu)
{
	const struct hist *l = &st.lat;
	double rps;
	uint64_t errors;

	errors = st.closed + st.malformed + st.connfail + st.timeouts;
	rps = secs > 0 ? (double)l->n / secs : 0;
	if (!o_quiet) {
		printf("target %s port %s, %u conns, warm-up %.2fs, "
		    "measured %.2fs, rate %s\n", o_host, o_port, o_conns,
		    o_warm, secs, o_rate > 0 ? "fixed" : "max");
		if (o_rate > 0)
			printf("  target rate %.0f req/s, unsent %" PRIu64
			    "; send lag ms: p50 %.3f p99 %.3f p99.9 %.3f "
			    "max %.3f\n", o_rate, st.unsent,
			    hist_ms(&st.lag, 0.5), hist_ms(&st.lag, 0.99),
			    hist_ms(&st.lag, 0.999), (double)st.lag.max / 1e6);
		printf("  clients %u, helos %u, %u attributes, pool %u "
		    "requests (%.1f MB)\n", o_addrs, o_helos, nattrs, pool_n,
		    (double)pool_bytes / 1e6);
		printf("  replies: dunno %" PRIu64 ", other %" PRIu64 "\n",
		    st.dunno, st.other);
		printf("  latency ms: min %.3f mean %.3f p50 %.3f p90 %.3f "
		    "p99 %.3f p99.9 %.3f max %.3f\n", (double)l->min / 1e6,
		    l->n ? l->sum / (double)l->n / 1e6 : 0.0,
		    hist_ms(l, 0.5), hist_ms(l, 0.9), hist_ms(l, 0.99),
		    hist_ms(l, 0.999), (double)l->max / 1e6);
		if (o_rate > 0)
			printf("  from send (no lag) ms: p50 %.3f p99 %.3f "
			    "p99.9 %.3f max %.3f\n", hist_ms(&st.svc, 0.5),
			    hist_ms(&st.svc, 0.99), hist_ms(&st.svc, 0.999),
			    (double)st.svc.max / 1e6);
		if (o_rate > 0)
			printf("  own wake-ups late ms: p99 %.3f p99.9 %.3f "
			    "max %.3f\n", hist_ms(&st.late, 0.99),
			    hist_ms(&st.late, 0.999),
			    (double)st.late.max / 1e6);
		printf("  errors: closed %" PRIu64 ", malformed %" PRIu64
		    ", connect %" PRIu64 ", no reply %" PRIu64
		    " (reconnects %" PRIu64 ")\n", st.closed, st.malformed,
		    st.connfail, st.timeouts, st.reconnects);
		printf("  loadgen cpu %.0f%% of one core, %.1f events per "
		    "wake-up\n", cpu * 100, st.wakeups ?
		    (double)st.events / (double)st.wakeups : 0.0);
	}
	printf("conns=%u reqs=%" PRIu64 " secs=%.2f rps=%.0f p50=%.3fms "
	    "p90=%.3fms p99=%.3fms p999=%.3fms max=%.3fms errors=%" PRIu64
	    " non_dunno=%" PRIu64 " closed=%" PRIu64 " malformed=%" PRIu64
	    " connfail=%" PRIu64 " timeouts=%" PRIu64 " reconnects=%" PRIu64
	    " rate=%.0f unsent=%" PRIu64 " lag_p99=%.3fms lag_max=%.3fms"
	    " svc_p99=%.3fms late_p99=%.3fms late_max=%.3fms cpu=%.0f%%\n",
	    o_conns, l->n, secs, rps, hist_ms(l, 0.5), hist_ms(l, 0.9),
	    hist_ms(l, 0.99), hist_ms(l, 0.999), (double)l->max / 1e6,
	    errors, st.other, st.closed, st.malformed, st.connfail,
	    st.timeouts, st.reconnects, o_rate, st.unsent,
	    hist_ms(&st.lag, 0.99), (double)st.lag.max / 1e6,
	    hist_ms(&st.svc, 0.99), hist_ms(&st.late, 0.99),
	    (double)st.late.max / 1e6, cpu * 100);
	fflush(stdout);
}

int
main(int argc, char *argv[])
{
	struct epoll_event ev[MAX_EVENTS];
	struct rusage ru0, ru1;
	int64_t now, t_stop, t_wait, wait;
	unsigned i;
	int ch, n, maxev;
	double secs, cpu;

	while ((ch = getopt(argc, argv, "a:c:d:h:H:p:qr:Sw:")) != -1) {
		switch (ch) {
		case 'a':
			o_addrs = uint_arg(ch, optarg, 1, MAX_ADDRS);
			break;
		case 'c':
			o_conns = uint_arg(ch, optarg, 1, MAX_CONNS);
			break;
		case 'd':
			o_dur = num_arg(ch, optarg, 0.001, 86400);
			break;
		case 'h':
			o_host = optarg;
			break;
		case 'H':
			o_helos = uint_arg(ch, optarg, 1, UINT_MAX);
			break;
		case 'p':
			(void)uint_arg(ch, optarg, 1, 65535);
			o_port = optarg;
			break;
		case 'q':
			o_quiet = 1;
			break;
		case 'r':
			o_rate = num_arg(ch, optarg, 0, 1e8);
			break;
		case 'S':
			o_spin = 0;
			break;
		case 'w':
			o_warm = num_arg(ch, optarg, 0, 86400);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || o_port == NULL)
		usage();

	resolve();
	pool_build();
	setup();

	maxev = o_conns < MAX_EVENTS ? (int)o_conns : MAX_EVENTS;
	getrusage(RUSAGE_SELF, &ru0);
	t_start = now_ns();
	t_meas = t_start + (int64_t)(o_warm * 1e9);
	t_end = t_meas + (int64_t)(o_dur * 1e9);
	t_hard = t_end + DRAIN_NS;
	/* Backstop: the loop below is bounded, this is in case it is not. */
	alarm((unsigned)(o_warm + o_dur) + 10);

	/* Connecting is part of the warm-up. */
	for (i = 0; i < o_conns; i++)
		conn_open(&conns[i], t_start);
	dispatch(t_start);

	n = 1;
	wait = t_wait = 0;
	for (;;) {
		now = now_ns();
		/*
		 * How late a timed-out wait came back tells whether the
		 * machine, not the server, delayed us.
		 */
		if (n == 0 && t_wait >= t_meas && t_wait < t_end)
			hist_add(&st.late, now - t_wait - wait);
		if (stop) {
			/* Interrupted: end the window now, keep the drain. */
			stop = 0;
			if (now < t_end) {
				t_end = now > t_meas ? now : t_meas;
				t_hard = now + DRAIN_NS;
			}
		}
		if (now >= t_hard)
			break;
		if (now >= t_end && inflight == 0 &&
		    (o_rate <= 0 || slot_time(slot) >= t_end))
			break;
		if (ndead > 0 && now < t_end)
			reopen_dead(now);
		dispatch(now);
		wait = next_deadline(now) - now;
		/*
		 * With -r, sleeping until a request is due or a reply comes
		 * charges our own wake-up latency to the server: on the
		 * 2-core VM this was written on that is 40 us typically and
		 * up to milliseconds when idle.  So poll instead while
		 * replies are outstanding or a request is due within
		 * SPIN_NS.  This takes one core, as closed-loop mode does at
		 * full speed; -S sleeps instead.
		 */
		if (o_rate > 0 && o_spin) {
			if (inflight > 0 || wait <= SPIN_NS)
				wait = 0;
			else
				wait -= SPIN_NS;
		}
		t_wait = now_ns();
		n = wait_events(ev, maxev, wait);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait: %s", strerror(errno));
		}
		if (n == 0) {
			/*
			 * Polling: let anything else runnable here have the
			 * core, notably a server thread the scheduler put on
			 * our core to be near its waker.
			 */
			if (wait == 0)
				sched_yield();
			continue;
		}
		st.wakeups++;
		st.events += (uint64_t)n;
		now = now_ns();
		for (i = 0; i < (unsigned)n; i++)
			on_event(&conns[ev[i].data.u32], ev[i].events, now);
	}
	t_stop = now_ns();
	getrusage(RUSAGE_SELF, &ru1);

	/*
	 * A request still out after the drain had two seconds at least to
	 * be answered, unless it was a backlogged one sent during the drain:
	 * that one is merely cut off.
	 */
	for (i = 0; i < o_conns; i++) {
		if (conns[i].state != CS_BUSY)
			continue;
		if (conns[i].sent < t_end)
			st.timeouts++;
		else if (conns[i].sched >= t_meas)
			st.unsent++;
	}
	if (o_rate > 0)
		for (; slot_time(slot) < t_end; slot++)
			if (slot_time(slot) >= t_meas)
				st.unsent++;

	secs = (double)(t_end - t_meas) / 1e9;
	cpu = (tv_sec(ru1.ru_utime) + tv_sec(ru1.ru_stime) -
	    tv_sec(ru0.ru_utime) - tv_sec(ru0.ru_stime)) /
	    ((double)(t_stop - t_start) / 1e9);
	report(secs, cpu);

	if (st.closed + st.malformed + st.connfail + st.timeouts > 0 ||
	    st.lat.n == 0)
		return 1;
	return 0;
}
