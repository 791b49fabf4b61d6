/* SPDX-License-Identifier: ISC */
/*
 * check_server - the libuv connection layer, over real loopback
 * sockets.  The server runs its loop in a thread; the tests are plain
 * blocking clients.  At the end every handle must be closed
 * (uv_loop_close() == 0), which catches leaked handles.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <uv.h>

#include "buf.h"
#include "err.h"
#include "listen.h"
#include "proto.h"
#include "server.h"
#include "testutil.h"

static struct {
	uv_loop_t		loop;
	uv_async_t		stop;
	struct pd_server	srv;
	pthread_t		thread;
	int			port;
	char			sock[100];
	int			ready[2];
	int			loop_close;
} ts;

/*
 * Requests from 192.0.2.99 are answered later, by a timer, as policyd
 * answers those that wait for DNS.
 */
static struct {
	uv_timer_t	 timer;
	struct pd_conn	*conn;
	int		 cancelled;
} later;

static void
later_cb(uv_timer_t *t)
{
	(void)t;
	if (later.conn)
		pd_server_answer(later.conn, "action=OK later\n\n", 17);
	later.conn = NULL;
}

static int
request_cb(void *arg, struct pd_conn *c, const struct pd_req *r,
    const char *peer, struct pd_buf *out)
{
	(void)arg;
	(void)peer;
	if (strcmp(pd_req_get(r, PD_A_CLIENT_ADDRESS), "192.0.2.99") == 0) {
		later.conn = c;
		uv_timer_start(&later.timer, later_cb, 300, 0);
		return 1;
	}
	pd_buf_printf(out, "action=OK %s\n\n",
	    pd_req_get(r, PD_A_CLIENT_ADDRESS));
	return 0;
}

static void
cancel_cb(void *arg, struct pd_conn *c)
{
	(void)arg;
	if (c == later.conn) {
		later.conn = NULL;
		later.cancelled++;
	}
}

static void
malformed_cb(void *arg, const char *peer, const char *why, struct pd_buf *out)
{
	(void)arg;
	(void)peer;
	pd_buf_printf(out, "action=DUNNO malformed: %s\n\n", why);
}

static const struct pd_server_ops ops = { request_cb, cancel_cb, malformed_cb };

static void
stop_cb(uv_async_t *a)
{
	pd_server_close(&ts.srv);
	uv_close((uv_handle_t *)&later.timer, NULL);
	uv_close((uv_handle_t *)a, NULL);
}

static void *
server_main(void *arg)
{
	struct pd_err err;
	char spec[300];

	(void)arg;
	ck_assert_int_eq(uv_loop_init(&ts.loop), 0);
	ck_assert_int_eq(pd_server_init(&ts.srv, &ts.loop, &ops, NULL), 0);
	pd_server_set_limits(&ts.srv, 1500, 3000, 4);
	ck_assert_msg(pd_server_listen(&ts.srv, "inet:127.0.0.1:0", 0, &err) == 0,
	    "%s", err.msg);
	snprintf(spec, sizeof(spec), "unix:%s", ts.sock);
	ck_assert_msg(pd_server_listen(&ts.srv, spec, 0660, &err) == 0, "%s",
	    err.msg);
	ts.port = pd_server_port(&ts.srv);
	uv_async_init(&ts.loop, &ts.stop, stop_cb);
	uv_timer_init(&ts.loop, &later.timer);
	later.conn = NULL;
	later.cancelled = 0;
	ck_assert_int_eq(write(ts.ready[1], "x", 1), 1);
	uv_run(&ts.loop, UV_RUN_DEFAULT);
	ts.loop_close = uv_loop_close(&ts.loop);
	return NULL;
}

static void
setup(void)
{
	char c;

	tu_log_capture();
	snprintf(ts.sock, sizeof(ts.sock), "%.80s/policyd.sock", tu_tmpdir());
	ck_assert_int_eq(pipe(ts.ready), 0);
	pthread_create(&ts.thread, NULL, server_main, NULL);
	ck_assert_int_eq(read(ts.ready[0], &c, 1), 1);
}

static void
teardown(void)
{
	uv_async_send(&ts.stop);
	pthread_join(ts.thread, NULL);
	ck_assert_int_eq(ts.loop_close, 0);
	close(ts.ready[0]);
	close(ts.ready[1]);
}

static int
connect_tcp(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_port = htons((uint16_t)ts.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static void
send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;		/* the server may close on us */
		p += w;
		n -= (size_t)w;
	}
}

/* recv_until - read until want replies arrived or EOF; returns bytes */
static size_t
recv_until(int fd, char *buf, size_t size, int want, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	int got = 0;
	ssize_t n;

	buf[0] = '\0';
	while (got < want && len + 1 < size && poll(&pfd, 1, timeout_ms) > 0) {
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		got = 0;
		for (const char *p = buf; (p = strstr(p, "\n\n")) != NULL; p += 2)
			got++;
	}
	return len;
}

/* closed_by_peer - the server closed fd within timeout_ms */
static bool
closed_by_peer(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return false;
	return recv(fd, &c, 1, 0) == 0;
}

static const char req1[] = "request=smtpd_access_policy\nclient_address=192.0.2.1\n\n";

START_TEST(test_server_three_requests_one_write)
{
	const char *three =
	    "request=smtpd_access_policy\nclient_address=192.0.2.1\n\n"
	    "request=smtpd_access_policy\nclient_address=192.0.2.2\n\n"
	    "request=smtpd_access_policy\nclient_address=192.0.2.3\n\n";
	char buf[512];
	int fd;

	setup();
	fd = connect_tcp();
	send_all(fd, three, strlen(three));
	recv_until(fd, buf, sizeof(buf), 3, 2000);
	ck_assert_str_eq(buf, "action=OK 192.0.2.1\n\naction=OK 192.0.2.2\n\n"
	    "action=OK 192.0.2.3\n\n");
	close(fd);
	teardown();
}
END_TEST

START_TEST(test_server_pending_reply_keeps_order)
{
	const char *three =
	    "request=smtpd_access_policy\nclient_address=192.0.2.99\n\n"
	    "request=smtpd_access_policy\nclient_address=192.0.2.2\n\n"
	    "request=smtpd_access_policy\nclient_address=192.0.2.3\n\n";
	char buf[512];
	int fd;

	setup();
	fd = connect_tcp();
	send_all(fd, three, strlen(three));
	/* Nothing before the late answer: replies leave in order. */
	ck_assert_uint_eq(recv_until(fd, buf, sizeof(buf), 1, 150), 0);
	recv_until(fd, buf, sizeof(buf), 3, 2000);
	ck_assert_str_eq(buf, "action=OK later\n\naction=OK 192.0.2.2\n\n"
	    "action=OK 192.0.2.3\n\n");
	/* The connection reads again after the answer. */
	send_all(fd, req1, strlen(req1));
	recv_until(fd, buf, sizeof(buf), 1, 2000);
	ck_assert_str_eq(buf, "action=OK 192.0.2.1\n\n");
	close(fd);
	teardown();
}
END_TEST

START_TEST(test_server_close_while_pending_cancels)
{
	const char *req99 =
	    "request=smtpd_access_policy\nclient_address=192.0.2.99\n\n";
	char buf[256];
	int fd;

	setup();
	fd = connect_tcp();
	send_all(fd, req99, strlen(req99));
	usleep(50 * 1000);
	close(fd);
	usleep(500 * 1000);
	ck_assert_int_eq(later.cancelled, 1);
	/* The server still serves others. */
	fd = connect_tcp();
	send_all(fd, req1, strlen(req1));
	recv_until(fd, buf, sizeof(buf), 1, 2000);
	ck_assert_str_eq(buf, "action=OK 192.0.2.1\n\n");
	close(fd);
	teardown();
}
END_TEST

START_TEST(test_server_split_request)
{
	char buf[256];
	int fd;

	setup();
	fd = connect_tcp();
	for (size_t i = 0; i < sizeof(req1) - 1; i++) {
		send_all(fd, req1 + i, 1);
		usleep(1000);
	}
	recv_until(fd, buf, sizeof(buf), 1, 2000);
	ck_assert_str_eq(buf, "action=OK 192.0.2.1\n\n");
	close(fd);
	teardown();
}
END_TEST

/* One oversized input per row: it closes only its own connection. */
static const struct {
	const char	*name;
	size_t		 line;		/* bytes per line */
	size_t		 total;		/* bytes in all */
	const char	*log;
} oversize[] = {
	{ "line over 8 KiB", 9000, 9000, "closed: line longer than 8192 bytes" },
	{ "request over 64 KiB", 1000, 70000,
	    "closed: request longer than 65536 bytes" },
};

START_TEST(test_server_oversize_closes_only_that_connection)
{
	char *big = malloc(oversize[_i].total), buf[256];
	int bad, good;

	memset(big, 'a', oversize[_i].total);
	for (size_t i = oversize[_i].line - 1; i < oversize[_i].total;
	    i += oversize[_i].line)
		big[i] = '\n';
	memcpy(big, "x=", 2);
	setup();
	good = connect_tcp();
	bad = connect_tcp();
	send_all(bad, big, oversize[_i].total);
	ck_assert_msg(closed_by_peer(bad, 3000), "%s: not closed",
	    oversize[_i].name);
	send_all(good, req1, strlen(req1));
	recv_until(good, buf, sizeof(buf), 1, 2000);
	ck_assert_str_eq(buf, "action=OK 192.0.2.1\n\n");
	ck_assert_msg(tu_log_has(oversize[_i].log), "%s: log:\n%s",
	    oversize[_i].name, tu_log_text());
	ck_assert(tu_log_has("peer=127.0.0.1:"));
	close(bad);
	close(good);
	free(big);
	teardown();
}
END_TEST

START_TEST(test_server_binary_garbage_survives)
{
	char junk[4096], buf[512];
	int fd;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + (i >> 3));
	setup();
	fd = connect_tcp();
	send_all(fd, junk, sizeof(junk));
	send_all(fd, "\n\n", 2);
	close(fd);
	/* The server is still there and answers. */
	fd = connect_tcp();
	send_all(fd, "a=\0b\n\n", 6);
	recv_until(fd, buf, sizeof(buf), 1, 2000);
	ck_assert_str_eq(buf, "action=DUNNO malformed: NUL byte in line 1\n\n");
	close(fd);
	teardown();
}
END_TEST

START_TEST(test_server_request_timeout)
{
	int fd;

	setup();
	fd = connect_tcp();
	send_all(fd, "request=smtpd_access_policy\n", 28);
	/* Not before the timeout (1.5 s), and within one sweep after. */
	ck_assert(!closed_by_peer(fd, 1000));
	ck_assert(closed_by_peer(fd, 2500));
	ck_assert(tu_log_has("closed: request timeout"));
	close(fd);
	teardown();
}
END_TEST

START_TEST(test_server_idle_timeout_spares_active_connections)
{
	char buf[256];
	int idle, busy;

	setup();
	idle = connect_tcp();
	busy = connect_tcp();
	for (int i = 0; i < 5; i++) {
		send_all(busy, req1, strlen(req1));
		recv_until(busy, buf, sizeof(buf), 1, 2000);
		ck_assert_str_eq(buf, "action=OK 192.0.2.1\n\n");
		usleep(700 * 1000);
	}
	/* 3.5 s have passed: idle (3 s) is gone, busy is not. */
	ck_assert(closed_by_peer(idle, 1500));
	send_all(busy, req1, strlen(req1));
	recv_until(busy, buf, sizeof(buf), 1, 2000);
	ck_assert_str_eq(buf, "action=OK 192.0.2.1\n\n");
	close(idle);
	close(busy);
	teardown();
}
END_TEST

START_TEST(test_server_max_clients)
{
	int fd[5];
	char buf[256];

	setup();
	for (int i = 0; i < 4; i++)
		fd[i] = connect_tcp();
	fd[4] = connect_tcp();
	ck_assert(closed_by_peer(fd[4], 2000));
	ck_assert(tu_log_has("max_clients (4) reached"));
	send_all(fd[0], req1, strlen(req1));
	recv_until(fd[0], buf, sizeof(buf), 1, 2000);
	ck_assert_str_eq(buf, "action=OK 192.0.2.1\n\n");
	for (int i = 0; i < 5; i++)
		close(fd[i]);
	teardown();
}
END_TEST

START_TEST(test_server_unix_socket)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	char buf[256];
	int fd;

	setup();
	ck_assert_int_eq(stat(ts.sock, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0660);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ts.sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	send_all(fd, req1, strlen(req1));
	recv_until(fd, buf, sizeof(buf), 1, 2000);
	ck_assert_str_eq(buf, "action=OK 192.0.2.1\n\n");
	close(fd);
	teardown();
}
END_TEST

static int
connect_unix(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ts.sock);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/*
 * With no memory for a connection the listener closes it, and serves
 * the next client: libuv would stop polling a listener that did not
 * accept.  _i 0 and 1 are TCP, 2 and 3 the unix socket; 1 or 3
 * allocations fail.  Three clients come at once, so a refusal may find
 * the spare handle still closing and wait for it (then retrying costs
 * one more failed allocation, and a later client may be served).
 */
START_TEST(test_server_alloc_failure_keeps_listening)
{
	unsigned fails = _i % 2 ? 3 : 1;
	int (*dial)(void) = _i < 2 ? connect_tcp : connect_unix;
	char buf[256];
	int fd[4];

	setup();
	pd_listen_fail_allocs(fails);
	for (unsigned i = 0; i < fails; i++)
		fd[i] = dial();
	ck_assert_msg(closed_by_peer(fd[0], 2000), "first client not closed");
	fd[fails] = dial();
	send_all(fd[fails], req1, strlen(req1));
	recv_until(fd[fails], buf, sizeof(buf), 1, 2000);
	ck_assert_str_eq(buf, "action=OK 192.0.2.1\n\n");
	for (unsigned i = 0; i <= fails; i++)
		close(fd[i]);
	teardown();
}
END_TEST

START_TEST(test_server_listen_errors)
{
	struct pd_server srv;
	struct pd_err err;
	uv_loop_t loop;
	static const struct {
		const char *spec, *want;
	} bad[] = {
		{ "inet:127.0.0.1", "inet:127.0.0.1: expected HOST:PORT" },
		{ "inet:localhost:25", "is not an IP address" },
		{ "inet:127.0.0.1:99999", "bad port" },
		{ "tcp:1:2", "expected inet:HOST:PORT or unix:PATH" },
		{ "unix:/nonexistent/dir/sock", "unix:/nonexistent/dir/sock: " },
	};

	ck_assert_int_eq(uv_loop_init(&loop), 0);
	ck_assert_int_eq(pd_server_init(&srv, &loop, &ops, NULL), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(pd_server_listen(&srv, bad[i].spec, 0600, &err), -1);
		ck_assert_msg(strstr(err.msg, bad[i].want) != NULL,
		    "%s: got \"%s\", want \"%s\"", bad[i].spec, err.msg,
		    bad[i].want);
	}
	pd_server_close(&srv);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static Suite *
server_suite(void)
{
	Suite *s = suite_create("server");
	TCase *tc;

	tc = tcase_create("io");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_server_three_requests_one_write);
	tcase_add_test(tc, test_server_split_request);
	tcase_add_test(tc, test_server_pending_reply_keeps_order);
	tcase_add_test(tc, test_server_close_while_pending_cancels);
	tcase_add_loop_test(tc, test_server_oversize_closes_only_that_connection,
	    0, sizeof(oversize) / sizeof(oversize[0]));
	tcase_add_test(tc, test_server_binary_garbage_survives);
	tcase_add_test(tc, test_server_unix_socket);
	tcase_add_test(tc, test_server_listen_errors);
	tcase_add_loop_test(tc, test_server_alloc_failure_keeps_listening, 0, 4);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_server_request_timeout);
	tcase_add_test(tc, test_server_idle_timeout_spares_active_connections);
	tcase_add_test(tc, test_server_max_clients);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(server_suite()) != 0;
}
