/* SPDX-License-Identifier: ISC */
/*
 * check_rpc - one request, one answer, over real loopback sockets.  The
 * rpc server runs its loop in a thread; the tests are blocking clients.
 * At the end every handle must be closed (uv_loop_close() == 0).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <uv.h>

#include "buf.h"
#include "err.h"
#include "listen.h"
#include "rpc.h"
#include "testutil.h"

static struct {
	uv_loop_t	loop;
	uv_async_t	stop;
	struct pd_rpc	*rpc;
	pthread_t	thread;
	int		port;
	int		ready[2];
	int		loop_close;
	atomic_int	handled;
	uint64_t	refused;
} tr;

/* The handler echoes the request's length and text. */
static void
handler(void *arg, const char *req, size_t len, struct pd_buf *answer)
{
	(void)arg;
	atomic_fetch_add(&tr.handled, 1);
	pd_buf_printf(answer, "%zu %s", len, req);
}

static void
stop_cb(uv_async_t *a)
{
	tr.refused = pd_rpc_refused(tr.rpc);
	pd_rpc_close(tr.rpc);
	uv_close((uv_handle_t *)a, NULL);
}

static void *
rpc_main(void *arg)
{
	struct pd_rpc_opts o = { .terminator = "\n\n", .max = 64,
	    .timeout = 1000, .gid = (gid_t)-1, .max_conns = 2 };
	struct pd_err err;

	(void)arg;
	ck_assert_int_eq(uv_loop_init(&tr.loop), 0);
	tr.rpc = pd_rpc_listen(&tr.loop, "inet:127.0.0.1:0", &o, handler, NULL,
	    &err);
	ck_assert_msg(tr.rpc != NULL, "%s", err.msg);
	tr.port = pd_rpc_port(tr.rpc);
	uv_async_init(&tr.loop, &tr.stop, stop_cb);
	ck_assert_int_eq(write(tr.ready[1], "x", 1), 1);
	uv_run(&tr.loop, UV_RUN_DEFAULT);
	tr.loop_close = uv_loop_close(&tr.loop);
	return NULL;
}

static void
setup(void)
{
	char c;

	atomic_store(&tr.handled, 0);
	ck_assert_int_eq(pipe(tr.ready), 0);
	pthread_create(&tr.thread, NULL, rpc_main, NULL);
	ck_assert_int_eq(read(tr.ready[0], &c, 1), 1);
}

static void
teardown(void)
{
	uv_async_send(&tr.stop);
	pthread_join(tr.thread, NULL);
	ck_assert_int_eq(tr.loop_close, 0);
	close(tr.ready[0]);
	close(tr.ready[1]);
}

static int
dial(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_port = htons((uint16_t)tr.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static void
put(int fd, const char *s)
{
	ck_assert_int_eq(send(fd, s, strlen(s), MSG_NOSIGNAL),
	    (ssize_t)strlen(s));
}

/*
 * answer - read until the server closes; the text, or NULL when it did
 * not close within timeout_ms
 */
static const char *
answer(int fd, int timeout_ms)
{
	static char buf[4096];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;

	buf[0] = '\0';
	while (len + 1 < sizeof(buf)) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return NULL;
		if ((n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) < 0 &&
		    errno == ECONNRESET)
			n = 0;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return buf;
}

/* The request in pieces: the terminator may be split across reads. */
static const struct {
	const char	*parts[3];
	const char	*want;
} framing[] = {
	{ { "status\n\n", NULL }, "8 status\n\n" },
	{ { "status\n", "\n", NULL }, "8 status\n\n" },
	{ { "sta", "tus\n", "\n" }, "8 status\n\n" },
	{ { "list\nblocks\n", "\n", NULL }, "13 list\nblocks\n\n" },
};

START_TEST(test_rpc_framing)
{
	const char *got;
	int fd;

	setup();
	fd = dial();
	for (size_t i = 0; i < 3 && framing[_i].parts[i]; i++) {
		put(fd, framing[_i].parts[i]);
		usleep(20000);
	}
	got = answer(fd, 2000);
	ck_assert_msg(got != NULL && strcmp(got, framing[_i].want) == 0,
	    "case %d: got \"%s\", want \"%s\"", _i, got ? got : "(no close)",
	    framing[_i].want);
	close(fd);
	teardown();
}
END_TEST

/* A request that cannot be served closes with no answer. */
START_TEST(test_rpc_oversize_timeout_hangup_close)
{
	char big[100];
	const char *got;
	int fd;

	setup();
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fd = dial();
	put(fd, big);				/* over max (64) */
	ck_assert_str_eq((got = answer(fd, 2000)) ? got : "(open)", "");
	close(fd);
	fd = dial();
	put(fd, "status\n");			/* no end within 1 s */
	ck_assert_str_eq((got = answer(fd, 2000)) ? got : "(open)", "");
	close(fd);
	fd = dial();
	put(fd, "stat");			/* the peer hangs up */
	close(fd);
	fd = dial();
	put(fd, "status\n\n");
	ck_assert_str_eq((got = answer(fd, 2000)) ? got : "(open)",
	    "8 status\n\n");
	close(fd);
	ck_assert_int_eq(atomic_load(&tr.handled), 1);
	teardown();
}
END_TEST

/* Over max_conns (2) a connection is closed; the listener goes on. */
START_TEST(test_rpc_over_cap_refused)
{
	const char *got;
	int fd[4];

	setup();
	fd[0] = dial();
	fd[1] = dial();
	put(fd[0], "a");
	put(fd[1], "b");
	usleep(50000);
	fd[2] = dial();
	ck_assert_str_eq((got = answer(fd[2], 2000)) ? got : "(open)", "");
	put(fd[0], "\n\n");
	ck_assert_str_eq((got = answer(fd[0], 2000)) ? got : "(open)",
	    "3 a\n\n");
	fd[3] = dial();
	put(fd[3], "c\n\n");
	ck_assert_str_eq((got = answer(fd[3], 2000)) ? got : "(open)",
	    "3 c\n\n");
	for (int i = 0; i < 4; i++)
		close(fd[i]);
	teardown();
	ck_assert_int_eq(tr.refused, 1);
}
END_TEST

/* No memory for a connection: it is closed, and the next is served. */
START_TEST(test_rpc_alloc_failure_keeps_listening)
{
	const char *got;
	int fd[2];

	setup();
	pd_listen_fail_allocs(1);
	fd[0] = dial();
	ck_assert_str_eq((got = answer(fd[0], 2000)) ? got : "(open)", "");
	fd[1] = dial();
	put(fd[1], "status\n\n");
	ck_assert_str_eq((got = answer(fd[1], 2000)) ? got : "(open)",
	    "8 status\n\n");
	close(fd[0]);
	close(fd[1]);
	teardown();
	ck_assert_int_eq(tr.refused, 1);
}
END_TEST

static Suite *
rpc_suite(void)
{
	Suite *s = suite_create("rpc");
	TCase *tc = tcase_create("rpc");

	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_rpc_framing, 0,
	    sizeof(framing) / sizeof(framing[0]));
	tcase_add_test(tc, test_rpc_oversize_timeout_hangup_close);
	tcase_add_test(tc, test_rpc_over_cap_refused);
	tcase_add_test(tc, test_rpc_alloc_failure_keeps_listening);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(rpc_suite()) != 0;
}
