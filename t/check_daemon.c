/* SPDX-License-Identifier: ISC */
/*
 * check_daemon - a whole daemon in the test process, at its async
 * edges: requests that wait for the DNS answer of their HELO name
 * (replies in order behind one that waits, a peer that hangs up or a
 * daemon that stops meanwhile, reply_timeout, the answer cache).
 *
 * Everything runs on one private loop: the daemon, a small DNS server
 * on a loopback UDP port that libunbound forwards to, and the clients.
 * The test drives the loop until what it waits for has happened, under
 * a guard timer, so no test can hang; and since all of it is one
 * thread, the test reads the daemon's counters directly.
 *
 * The DNS server answers by the start of the name asked: "nx..."
 * NXDOMAIN, "ok..." an address, "late..." NXDOMAIN after LATE_MS,
 * "slow..." never (libunbound then resends over UDP; it never asked
 * over TCP here, and answers are too short to be truncated).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <check.h>
#include <uv.h>

#include "daemon.h"
#include "dns.h"
#include "err.h"
#include "list.h"
#include "clock.h"
#include "str.h"
#include "testutil.h"

#define GUARD_MS	5000		/* per wait, times CK_TIMEOUT_MULTIPLIER */
#define LATE_MS		200
#define DNS_MSG_MAX	512
#define LATE_SLOTS	8
#define ASKED_MAX	64

/* A reply the DNS server sends later. */
struct late {
	uv_timer_t		timer;
	struct sockaddr_storage	to;
	unsigned char		msg[DNS_MSG_MAX];
	size_t			len;
	bool			busy;
};

static struct {
	uv_udp_t	udp;
	int		port;
	int		queries;	/* every datagram that parsed */
	int		late_sent;
	int		bad;		/* what did not parse, or not send */
	char		asked[ASKED_MAX][256];	/* names, in order */
	int		nasked;
	struct late	late[LATE_SLOTS];
} dns;

static struct {
	uv_loop_t		loop;
	uv_timer_t		guard;
	uv_timer_t		pause;		/* run_for()'s */
	bool			expired;
	struct pd_daemon	d;
	char			conf[300];
	int			port;
} td;

/* A policy client: sends its text at once, collects the replies. */
struct client {
	uv_tcp_t	tcp;
	uv_connect_t	creq;
	uv_write_t	wreq;
	uv_write_t	wmore;
	char		out[4096];
	char		more[4096];
	char		in[4096];
	size_t		inlen;
	int		replies;
	int		want;		/* client_wait()'s */
	uint64_t	sent;		/* uv_hrtime at connect */
	uint64_t	got[4];		/* uv_hrtime of each reply */
	bool		eof;
	bool		closed;
};

/* DNS server */

/* dns_name - the question name at q[12...] as text; its end, or 0 */
static size_t
dns_name(const unsigned char *q, size_t len, char *name, size_t size)
{
	size_t i = 12, n = 0;

	while (i < len && q[i] != 0) {
		size_t l = q[i++];

		/* Queries carry no compression; a label is at most 63. */
		if (l > 63 || i + l > len || n + l + 2 > size)
			return 0;
		if (n > 0)
			name[n++] = '.';
		memcpy(name + n, q + i, l);
		n += l;
		i += l;
	}
	name[n] = '\0';
	/* The root label, then type and class. */
	return i + 5 <= len ? i + 5 : 0;
}

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void
put32(unsigned char *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/*
 * dns_answer - the reply to the query q whose question ends at qend:
 * an A record when found, else the rcode with a root SOA in the
 * authority section, which gives the negative answer its TTL.
 */
static size_t
dns_answer(const unsigned char *q, size_t qend, int rcode, bool found,
    unsigned char *r)
{
	static const unsigned char a[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44,
	    0, 4, 192, 0, 2, 1 };
	size_t n = qend;

	memcpy(r, q, qend);
	r[2] = 0x80 | (q[2] & 0x79);	/* QR, the opcode and RD */
	r[3] = 0x80 | (unsigned char)rcode;	/* RA */
	put16(r + 4, 1);
	put16(r + 6, found);
	put16(r + 8, !found);
	put16(r + 10, 0);		/* the query's EDNS is not echoed */
	if (found) {
		memcpy(r + n, a, sizeof(a));
		return n + sizeof(a);
	}
	memset(r + n, 0, 33);
	put16(r + n + 1, 6);		/* ".", SOA, IN, TTL 60, 22 bytes */
	put16(r + n + 3, 1);
	put32(r + n + 5, 60);
	put16(r + n + 9, 22);
	put32(r + n + 13, 1);		/* ". ." then the serial ... */
	put32(r + n + 17, 3600);
	put32(r + n + 21, 600);
	put32(r + n + 25, 86400);
	put32(r + n + 29, 60);		/* ... and the negative TTL */
	return n + 33;
}

static void
dns_send(const struct sockaddr *to, const unsigned char *msg, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)msg, (unsigned)len);

	if (uv_udp_try_send(&dns.udp, &b, 1, to) != (int)len)
		dns.bad++;
}

static void
late_cb(uv_timer_t *t)
{
	struct late *l = t->data;

	dns_send((struct sockaddr *)&l->to, l->msg, l->len);
	l->busy = false;
	dns.late_sent++;
}

/* dns_later - send msg after LATE_MS */
static void
dns_later(const struct sockaddr *to, const unsigned char *msg, size_t len)
{
	for (int i = 0; i < LATE_SLOTS; i++) {
		struct late *l = &dns.late[i];

		if (l->busy)
			continue;
		l->busy = true;
		memcpy(&l->to, to, to->sa_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		memcpy(l->msg, msg, len);
		l->len = len;
		uv_timer_start(&l->timer, late_cb, LATE_MS, 0);
		return;
	}
	dns.bad++;
}

/* dns_query - answer one query by the first label of its name */
static void
dns_query(const unsigned char *q, size_t len, const struct sockaddr *from)
{
	unsigned char r[DNS_MSG_MAX];
	char name[256];
	size_t qend, rlen;
	unsigned qtype;

	if (len < 12 || (q[2] & 0x80) || q[4] != 0 || q[5] != 1 ||
	    (qend = dns_name(q, len, name, sizeof(name))) == 0 ||
	    qend + 33 > sizeof(r)) {	/* the longest answer section */
		dns.bad++;
		return;
	}
	dns.queries++;
	if (dns.nasked < ASKED_MAX)
		snprintf(dns.asked[dns.nasked++], sizeof(dns.asked[0]), "%s",
		    name);
	qtype = (unsigned)q[qend - 4] << 8 | q[qend - 3];
	if (strncasecmp(name, "slow", 4) == 0)
		return;
	if (strncasecmp(name, "ok", 2) == 0)
		rlen = dns_answer(q, qend, 0, qtype == 1, r);
	else
		rlen = dns_answer(q, qend, 3, false, r);
	if (strncasecmp(name, "late", 4) == 0)
		dns_later(from, r, rlen);
	else
		dns_send(from, r, rlen);
}

static void
dns_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	static char buf[DNS_MSG_MAX];

	(void)h;
	(void)hint;
	*b = uv_buf_init(buf, sizeof(buf));
}

static void
dns_recv_cb(uv_udp_t *u, ssize_t n, const uv_buf_t *b,
    const struct sockaddr *from, unsigned flags)
{
	(void)u;
	if (n <= 0 || from == NULL || (flags & UV_UDP_PARTIAL))
		return;
	dns_query((const unsigned char *)b->base, (size_t)n, from);
}

static void
dns_start(void)
{
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	memset(&dns, 0, sizeof(dns));
	uv_ip4_addr("127.0.0.1", 0, &sin);
	ck_assert_int_eq(uv_udp_init(&td.loop, &dns.udp), 0);
	ck_assert_int_eq(uv_udp_bind(&dns.udp, (struct sockaddr *)&sin, 0), 0);
	ck_assert_int_eq(uv_udp_getsockname(&dns.udp, (struct sockaddr *)&ss,
	    &len), 0);
	dns.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	ck_assert_int_eq(uv_udp_recv_start(&dns.udp, dns_alloc_cb,
	    dns_recv_cb), 0);
	for (int i = 0; i < LATE_SLOTS; i++) {
		uv_timer_init(&td.loop, &dns.late[i].timer);
		dns.late[i].timer.data = &dns.late[i];
	}
}

static void
dns_stop(void)
{
	uv_close((uv_handle_t *)&dns.udp, NULL);
	for (int i = 0; i < LATE_SLOTS; i++)
		uv_close((uv_handle_t *)&dns.late[i].timer, NULL);
}

/* dns_asked - how many queries named name */
static int
dns_asked(const char *name)
{
	int n = 0;

	for (int i = 0; i < dns.nasked; i++)
		n += strcasecmp(dns.asked[i], name) == 0;
	return n;
}

/* Loop */

static void
guard_cb(uv_timer_t *t)
{
	(void)t;
	td.expired = true;
}

/* slowness - how much slower the tests run: 20 under valgrind */
static int
slowness(void)
{
	const char *m = getenv("CK_TIMEOUT_MULTIPLIER");

	return m && atoi(m) > 0 ? atoi(m) : 1;
}

/*
 * run_until - run the loop until done(arg) holds, at most a guard's
 * time; fails the test when it does not.
 */
static void
run_until(bool (*done)(void *), void *arg, const char *what)
{
	td.expired = false;
	uv_timer_start(&td.guard, guard_cb, GUARD_MS * (uint64_t)slowness(),
	    0);
	while (!done(arg) && !td.expired)
		uv_run(&td.loop, UV_RUN_ONCE);
	uv_timer_stop(&td.guard);
	ck_assert_msg(!td.expired, "gave up waiting for %s", what);
}

static void
pause_cb(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

static bool
is_set(void *arg)
{
	return *(bool *)arg;
}

static bool
loop_dry(void *arg)
{
	(void)arg;
	return !uv_loop_alive(&td.loop);
}

/* run_for - let the loop run for ms */
static void
run_for(uint64_t ms)
{
	bool over = false;

	td.pause.data = &over;
	uv_timer_start(&td.pause, pause_cb, ms, 0);
	run_until(is_set, &over, "a pause");
}

/* Daemon */

/*
 * A rule on "helo = unknown" is what makes the daemon look names up;
 * extra adds options of the test.
 */
static void
write_conf(const char *extra, const char *text)
{
	FILE *fp;

	snprintf(td.conf, sizeof(td.conf), "%.200s/policyd.conf", tu_tmpdir());
	ck_assert_ptr_nonnull(fp = fopen(td.conf, "w"));
	fprintf(fp, "listen = inet:127.0.0.1:0\ncontrol_socket =\n"
	    "dns_forward = 127.0.0.1@%d\n%s\n"
	    "rule helo_unknown {\n\thelo = unknown\n"
	    "\treply = 450 4.7.1 %s: ${helo_name}\n}\n",
	    dns.port, extra, text);
	fclose(fp);
}

static void
daemon_start(const char *extra)
{
	tu_log_capture();
	memset(&td.d, 0, sizeof(td.d));
	ck_assert_int_eq(uv_loop_init(&td.loop), 0);
	uv_timer_init(&td.loop, &td.guard);
	/* The guard must not keep a stopped daemon's loop running. */
	uv_unref((uv_handle_t *)&td.guard);
	uv_timer_init(&td.loop, &td.pause);
	dns_start();
	write_conf(extra, "Host not found");
	ck_assert_msg(pd_daemon_start(&td.d, &td.loop, td.conf, NULL, 0) == 0,
	    "daemon did not start: %s", tu_log_text());
	ck_assert_ptr_nonnull(td.d.dns);
	td.port = pd_server_port(&td.d.server);
	ck_assert_int_gt(td.port, 0);
}

/* daemon_stop - stop everything; every handle must then be closed */
static void
daemon_stop(void)
{
	pd_daemon_stop(&td.d);
	dns_stop();
	uv_close((uv_handle_t *)&td.pause, NULL);
	run_until(loop_dry, NULL, "every handle to close");
	uv_close((uv_handle_t *)&td.guard, NULL);
	uv_run(&td.loop, UV_RUN_DEFAULT);
	pd_daemon_free(&td.d);
	ck_assert_int_eq(uv_loop_close(&td.loop), 0);
	ck_assert_int_eq(dns.bad, 0);
}

/* Clients */

static void
client_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct client *c = h->data;

	(void)hint;
	*b = uv_buf_init(c->in + c->inlen, (unsigned)(sizeof(c->in) - 1 -
	    c->inlen));
}

static void
client_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct client *c = s->data;
	int got = 0;

	(void)b;
	if (n < 0) {
		c->eof = true;
		uv_read_stop(s);
		return;
	}
	c->inlen += (size_t)n;
	c->in[c->inlen] = '\0';
	for (const char *p = c->in; (p = strstr(p, "\n\n")) != NULL; p += 2)
		got++;
	for (; c->replies < got; c->replies++)
		if (c->replies < 4)
			c->got[c->replies] = uv_hrtime();
}

static void
client_write_cb(uv_write_t *w, int status)
{
	(void)w;
	/* Cancelled is fine: a test may hang up with a write queued. */
	ck_assert_msg(status == 0 || status == UV_ECANCELED, "write: %s",
	    uv_strerror(status));
}

static void
client_connect_cb(uv_connect_t *r, int status)
{
	struct client *c = r->data;
	uv_buf_t b = uv_buf_init(c->out, (unsigned)strlen(c->out));

	ck_assert_int_eq(status, 0);
	uv_read_start((uv_stream_t *)&c->tcp, client_alloc_cb, client_read_cb);
	uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, client_write_cb);
}

/* The recipient of the next requests. */
static const char *rcpt_to = "user@example.com";

/* request - a Postfix RCPT request with this HELO name, appended to buf */
static void
request(char *buf, size_t size, const char *helo)
{
	size_t n = strlen(buf);

	snprintf(buf + n, size - n,
	    "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "protocol_name=ESMTP\nclient_address=192.0.2.9\n"
	    "client_name=mail.example.net\nclient_port=40000\nhelo_name=%s\n"
	    "sender=a@example.org\nrecipient=%s\n"
	    "instance=1b43.6b040633.87a34.0\nserver_port=25\n\n", helo, rcpt_to);
}

/* client_open - connect and send one request per HELO name, NULL-ended */
static void
client_open(struct client *c, const char *helo, ...)
{
	struct sockaddr_in sin;
	va_list ap;

	memset(c, 0, sizeof(*c));
	va_start(ap, helo);
	for (; helo; helo = va_arg(ap, const char *))
		request(c->out, sizeof(c->out), helo);
	va_end(ap);
	uv_ip4_addr("127.0.0.1", td.port, &sin);
	uv_tcp_init(&td.loop, &c->tcp);
	c->tcp.data = c;
	c->creq.data = c;
	c->sent = uv_hrtime();
	ck_assert_int_eq(uv_tcp_connect(&c->creq, &c->tcp,
	    (struct sockaddr *)&sin, client_connect_cb), 0);
}

/* client_more - send more requests on c, one write, NULL-ended */
static void
client_more(struct client *c, const char *helo, ...)
{
	va_list ap;
	uv_buf_t b;

	va_start(ap, helo);
	for (; helo; helo = va_arg(ap, const char *))
		request(c->more, sizeof(c->more), helo);
	va_end(ap);
	b = uv_buf_init(c->more, (unsigned)strlen(c->more));
	ck_assert_int_eq(uv_write(&c->wmore, (uv_stream_t *)&c->tcp, &b, 1,
	    client_write_cb), 0);
}

static void
client_close_cb(uv_handle_t *h)
{
	((struct client *)h->data)->closed = true;
}

static bool
client_is_closed(void *arg)
{
	return ((struct client *)arg)->closed;
}

static void
client_close(struct client *c)
{
	uv_close((uv_handle_t *)&c->tcp, client_close_cb);
	run_until(client_is_closed, c, "the client to close");
}

static bool
has_replies(void *arg)
{
	struct client *c = arg;

	return c->replies >= c->want || c->eof;
}

/* client_wait - until c has n replies (or the daemon hung up) */
static void
client_wait(struct client *c, int n)
{
	c->want = n;
	run_until(has_replies, c, "replies");
	ck_assert_msg(c->replies == n, "got %d replies, want %d: \"%s\"",
	    c->replies, n, c->in);
}

/* ms_to - milliseconds from c's connect to its reply i */
static long
ms_to(const struct client *c, int i)
{
	return (long)((c->got[i] - c->sent) / 1000000);
}

static bool
hung_up(void *arg)
{
	return ((struct client *)arg)->eof;
}

static bool
is_pending(void *arg)
{
	(void)arg;
	return !pd_list_empty(&td.d.pending);
}

static bool
all_gone(void *arg)
{
	(void)arg;
	return pd_list_empty(&td.d.pending) && td.d.server.nconns == 0;
}

/* Tests */

/*
 * The first request waits for a late answer; the second needs no DNS
 * and the third has an answer at once, but both wait behind the first,
 * whether they came in its write or while it waited.
 */
static const bool held_later[] = { false, true };

START_TEST(test_daemon_reply_order_with_held_input)
{
	struct client c;

	daemon_start("");
	if (held_later[_i]) {
		client_open(&c, "late-nx.mail.net", NULL);
		run_until(is_pending, NULL, "the request to wait for DNS");
		client_more(&c, "[192.0.2.1]", "nx3.mail.net", NULL);
	} else {
		client_open(&c, "late-nx.mail.net", "[192.0.2.1]",
		    "nx3.mail.net", NULL);
	}
	client_wait(&c, 3);
	ck_assert_str_eq(c.in,
	    "action=450 4.7.1 Host not found: late-nx.mail.net\n\n"
	    "action=DUNNO\n\n"
	    "action=450 4.7.1 Host not found: nx3.mail.net\n\n");
	ck_assert_msg(ms_to(&c, 0) >= LATE_MS - 10, "first reply after %ld ms",
	    ms_to(&c, 0));
	ck_assert_int_eq(dns_asked("late-nx.mail.net"), 1);
	ck_assert_int_eq(dns_asked("nx3.mail.net"), 1);
	ck_assert_int_eq(dns.late_sent, 1);
	ck_assert_uint_eq(td.d.dns_timeouts, 0);
	client_close(&c);
	daemon_stop();
}
END_TEST

/* Hang up while the answer is awaited: one never comes, one comes late. */
static const char *const cancelled[] = { "slow1.mail.net", "late1.mail.net" };

START_TEST(test_daemon_cancel_while_pending)
{
	struct client c;

	daemon_start("reply_timeout = 300ms");
	client_open(&c, cancelled[_i], "[192.0.2.1]", NULL);
	run_until(is_pending, NULL, "the request to wait for DNS");
	client_close(&c);
	run_until(all_gone, NULL, "the daemon to drop the connection");
	/* Past reply_timeout and the late answer: nothing may fire. */
	run_for(LATE_MS + 400);
	ck_assert_uint_eq(td.d.dns_timeouts, 0);
	ck_assert_int_ge(dns_asked(cancelled[_i]), 1);
	ck_assert_int_eq(dns.late_sent, strncmp(cancelled[_i], "late", 4) == 0);
	ck_assert_int_eq(c.replies, 0);
	/* Dropped undecided, the held request with it. */
	ck_assert_uint_eq(pd_engine_stats(&td.d.engine)->requests, 0);
	ck_assert_uint_eq(td.d.server.stats.requests, 1);
	/* And the daemon still serves. */
	client_open(&c, "nx2.mail.net", "ok2.mail.net", NULL);
	client_wait(&c, 2);
	ck_assert_str_eq(c.in,
	    "action=450 4.7.1 Host not found: nx2.mail.net\n\n"
	    "action=DUNNO\n\n");
	client_close(&c);
	daemon_stop();
}
END_TEST

START_TEST(test_daemon_stop_while_pending)
{
	struct client c;

	daemon_start("reply_timeout = 300ms");
	client_open(&c, "slow5.mail.net", "[192.0.2.1]", NULL);
	run_until(is_pending, NULL, "the request to wait for DNS");
	/* Stopping closes the connection, which drops the wait. */
	pd_daemon_stop(&td.d);
	run_until(hung_up, &c, "the daemon to hang up");
	ck_assert_int_eq(c.replies, 0);
	ck_assert(pd_list_empty(&td.d.pending));
	/* Past reply_timeout: nothing may fire. */
	run_for(400);
	ck_assert_uint_eq(td.d.dns_timeouts, 0);
	ck_assert_uint_eq(pd_engine_stats(&td.d.engine)->requests, 0);
	client_close(&c);
	daemon_stop();
}
END_TEST

/* Two connections wait for one name: one query answers both. */
START_TEST(test_daemon_one_query_for_two_waiting)
{
	struct client a, b;

	daemon_start("");
	client_open(&a, "late2.mail.net", NULL);
	client_open(&b, "late2.mail.net", NULL);
	client_wait(&a, 1);
	client_wait(&b, 1);
	ck_assert_str_eq(a.in, "action=450 4.7.1 Host not found: "
	    "late2.mail.net\n\n");
	ck_assert_str_eq(b.in, a.in);
	ck_assert_int_eq(dns_asked("late2.mail.net"), 1);
	ck_assert_uint_eq(pd_dns_stats(td.d.dns)->merged, 1);
	ck_assert_uint_eq(pd_dns_stats(td.d.dns)->queries, 1);
	client_close(&a);
	client_close(&b);
	daemon_stop();
}
END_TEST

/*
 * A reload while a request waits: the request is decided once, when
 * the answer comes, with the configuration in use then.
 */
START_TEST(test_daemon_reload_while_pending)
{
	struct client c;
	struct pd_err err;

	daemon_start("");
	client_open(&c, "late3.mail.net", NULL);
	run_until(is_pending, NULL, "the request to wait for DNS");
	write_conf("", "Reloaded");
	ck_assert_msg(pd_daemon_reload(&td.d, NULL, &err) == 0, "%s", err.msg);
	client_wait(&c, 1);
	ck_assert_str_eq(c.in, "action=450 4.7.1 Reloaded: late3.mail.net\n\n");
	client_close(&c);
	daemon_stop();
}
END_TEST

/* A lookup that never answers: skipped, or the tempfail action. */
static const struct {
	const char	*extra;
	const char	*want;
} timeouts[] = {
	{ "reply_timeout = 300ms", "action=DUNNO\n\n" },
	{ "reply_timeout = 300ms\n"
	    "dns_tempfail_action = 451 4.7.1 Try again later (${helo_name})",
	    "action=451 4.7.1 Try again later (slow.mail.net)\n\n" },
};

START_TEST(test_daemon_reply_timeout)
{
	struct client c;

	daemon_start(timeouts[_i].extra);
	client_open(&c, "slow.mail.net", NULL);
	client_wait(&c, 1);
	ck_assert_str_eq(c.in, timeouts[_i].want);
	ck_assert_msg(ms_to(&c, 0) >= 290 && ms_to(&c, 0) < 300 + 500 *
	    slowness(),
	    "reply after %ld ms", ms_to(&c, 0));
	ck_assert_uint_eq(td.d.dns_timeouts, 1);
	ck_assert_msg(tu_log_has("helo=slow.mail.net client=192.0.2.9: DNS "
	    "lookup timed out") == (_i == 0), "%s", tu_log_text());
	ck_assert(pd_list_empty(&td.d.pending));
	client_close(&c);
	daemon_stop();
}
END_TEST

/* A second request for a name is answered from the cache. */
static const struct {
	const char	*helo;
	const char	*want;
} cached[] = {
	{ "ok4.mail.net", "action=DUNNO\n\n" },
	{ "nx4.mail.net", "action=450 4.7.1 Host not found: nx4.mail.net\n\n" },
};

START_TEST(test_daemon_cached_answer)
{
	struct client c;
	uint64_t hits, queries;

	daemon_start("");
	client_open(&c, cached[_i].helo, NULL);
	client_wait(&c, 1);
	ck_assert_str_eq(c.in, cached[_i].want);
	client_close(&c);
	hits = pd_dns_stats(td.d.dns)->cache_hits;
	queries = pd_dns_stats(td.d.dns)->queries;
	/*
	 * The second is answered from policyd's cache, without asking
	 * libunbound.  Its own cache would spare the DNS server a second
	 * query too, so the server's count alone proves nothing.
	 */
	client_open(&c, cached[_i].helo, NULL);
	client_wait(&c, 1);
	ck_assert_str_eq(c.in, cached[_i].want);
	ck_assert_int_eq(dns_asked(cached[_i].helo), 1);
	ck_assert_int_eq(dns.queries, 1);
	ck_assert_uint_eq(pd_dns_stats(td.d.dns)->cache_hits, hits + 1);
	ck_assert_uint_eq(pd_dns_stats(td.d.dns)->queries, queries);
	ck_assert(pd_list_empty(&td.d.pending));
	client_close(&c);
	daemon_stop();
}
END_TEST

/*
 * A wall clock step while a block holds (done through the clock's test
 * sources, so that the loop's own timers still run on real time): the
 * block ends two minutes after it began, the daemon says the clock
 * stepped, and the reply shows the end on the new wall clock.
 */
static int64_t fake_wall_ms, fake_mono_ms;

static int64_t
fake_wall(void)
{
	return fake_wall_ms;
}

static int64_t
fake_mono(void)
{
	return fake_mono_ms;
}

/* ask_once - one request (a new recipient) on a new connection */
static void
ask_once(char *buf, size_t size)
{
	static const char *rcpts[] = { "a@example.com", "b@example.com",
		"c@example.com", "d@example.com" };
	static unsigned	   n;
	struct client	   c;

	rcpt_to = rcpts[n++ % 4];
	client_open(&c, "[192.0.2.1]", NULL);
	client_wait(&c, 1);
	snprintf(buf, size, "%s", c.in);
	client_close(&c);
}

static const int64_t wall_steps[] = { -10 * MIN, 10 * MIN };

START_TEST(test_daemon_block_across_wall_step)
{
	char reply[4096], want[512], until[32];

	fake_wall_ms = T0;
	fake_mono_ms = 1000;
	pd_clock_set_source(fake_wall, fake_mono);
	daemon_start("rule r {\n\tevent = rcpt\n\tlimit = 1 per 1h\n"
		     "\tblock = 2m\n\treply = 451 4.7.1 until ${expires}\n}");
	ask_once(reply, sizeof(reply));
	ck_assert_str_eq(reply, "action=DUNNO\n\n");
	ask_once(reply, sizeof(reply));
	pd_str_fmt_time(until, sizeof(until), T0 + 2 * MIN);
	snprintf(want, sizeof(want), "action=451 4.7.1 until %s\n\n", until);
	ck_assert_str_eq(reply, want);
	/* The wall clock steps; the daemon sees it at its next tick. */
	fake_wall_ms += wall_steps[_i];
	run_for(1500);
	ck_assert_msg(tu_log_has("the wall clock stepped by"), "%s",
	    tu_log_text());
	fake_mono_ms += 2 * MIN - SEC;
	fake_wall_ms += 2 * MIN - SEC;
	ask_once(reply, sizeof(reply));
	pd_str_fmt_time(until, sizeof(until), T0 + 2 * MIN + wall_steps[_i]);
	snprintf(want, sizeof(want), "action=451 4.7.1 until %s\n\n", until);
	ck_assert_str_eq(reply, want);
	fake_mono_ms += 2 * SEC;
	fake_wall_ms += 2 * SEC;
	ask_once(reply, sizeof(reply));
	ck_assert_str_eq(reply, "action=DUNNO\n\n");
	daemon_stop();
	pd_clock_set_source(NULL, NULL);
	rcpt_to = "user@example.com";
}
END_TEST

static Suite *
daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("pending");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_daemon_reply_order_with_held_input, 0,
	    sizeof(held_later) / sizeof(held_later[0]));
	tcase_add_loop_test(tc, test_daemon_cancel_while_pending, 0,
	    sizeof(cancelled) / sizeof(cancelled[0]));
	tcase_add_test(tc, test_daemon_stop_while_pending);
	tcase_add_test(tc, test_daemon_one_query_for_two_waiting);
	tcase_add_test(tc, test_daemon_reload_while_pending);
	tcase_add_loop_test(tc, test_daemon_reply_timeout, 0,
	    sizeof(timeouts) / sizeof(timeouts[0]));
	tcase_add_loop_test(tc, test_daemon_cached_answer, 0,
	    sizeof(cached) / sizeof(cached[0]));
	tcase_add_loop_test(tc, test_daemon_block_across_wall_step, 0,
	    sizeof(wall_steps) / sizeof(wall_steps[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(daemon_suite()) != 0;
}
