/* SPDX-License-Identifier: ISC */
/*
 * check_listen - the listen spec and the unix-socket policy: the mode
 * a socket gets, a stale socket replaced, a live one or a plain file
 * left alone.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <uv.h>

#include "err.h"
#include "listen.h"
#include "testutil.h"

static const struct {
	const char	*spec;
	int		 want;		/* 0, or -1 with err */
	bool		 is_unix;
	int		 port;
	const char	*err;
} specs[] = {
	{ "inet:127.0.0.1:12540", 0, false, 12540, NULL },
	{ "inet:[::1]:0", 0, false, 0, NULL },
	{ "unix:/run/policyd/policyd.sock", 0, true, -1, NULL },
	{ "inet:127.0.0.1", -1, false, -1, "inet:127.0.0.1: expected HOST:PORT" },
	{ "inet:localhost:25", -1, false, -1, "is not an IP address" },
	{ "unix:", -1, false, -1, "expected inet:HOST:PORT or unix:PATH" },
	{ "[::1]:12540", -1, false, -1, "expected inet:HOST:PORT or unix:PATH" },
	{ "unix:/a/very/long/path/that/goes/on/and/on/past/the/limit/of/"
	  "sun_path/which/is/a/hundred/and/eight/bytes/long/x.sock", -1, false,
	  -1, "path longer than 107 bytes" },
};

START_TEST(test_listen_parse)
{
	struct pd_listen_addr a;
	struct pd_err err = { "" };
	int got = pd_listen_parse(specs[_i].spec, &a, &err);

	ck_assert_msg(got == specs[_i].want, "%s: got %d, want %d (%s)",
	    specs[_i].spec, got, specs[_i].want, err.msg);
	if (got < 0) {
		ck_assert_msg(strstr(err.msg, specs[_i].err) != NULL,
		    "%s: got \"%s\", want \"%s\"", specs[_i].spec, err.msg,
		    specs[_i].err);
		return;
	}
	ck_assert_int_eq(a.is_unix, specs[_i].is_unix);
	if (!a.is_unix)
		ck_assert_int_eq(ntohs(((struct sockaddr_in *)&a.ss)->sin_port),
		    specs[_i].port);
}
END_TEST

static int
no_conn(void *arg, struct pd_listen *l, union pd_listen_handle *h)
{
	(void)arg;
	(void)l;
	(void)h;
	return -1;
}

/* open_at - listen on unix:path; the error text, or "" */
static const char *
open_at(uv_loop_t *loop, const char *path, int mode, struct pd_listen **lp)
{
	static struct pd_err err;
	struct pd_listen_opts o = { .conn_size = sizeof(union pd_listen_handle),
	    .backlog = 8, .mode = mode, .gid = (gid_t)-1 };
	char spec[220];

	snprintf(spec, sizeof(spec), "unix:%s", path);
	err.msg[0] = '\0';
	*lp = pd_listen_open(loop, spec, &o, no_conn, NULL, &err);
	return err.msg;
}

/* stale_socket - a socket file at path that nobody listens on */
static void
stale_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_uint_lt(strlen(path), sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
}

START_TEST(test_listen_unix_policy)
{
	struct pd_listen *l, *l2;
	char path[200], file[200];
	uv_loop_t loop;
	struct stat st;
	int fd;

	tu_log_capture();
	ck_assert_int_eq(uv_loop_init(&loop), 0);
	snprintf(path, sizeof(path), "%.100s/l.sock", tu_tmpdir());
	snprintf(file, sizeof(file), "%.100s/plain", tu_tmpdir());

	/* The mode asked for, set before anyone can connect. */
	ck_assert_str_eq(open_at(&loop, path, 0640, &l), "");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	ck_assert_int_eq(pd_listen_port(l), -1);

	/* Live: another listener must not take it over. */
	ck_assert_ptr_nonnull(strstr(open_at(&loop, path, 0600, &l2),
	    "another process listens on it"));
	ck_assert_ptr_null(l2);

	/* Closed: libuv removes the file. */
	pd_listen_close(l);
	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(stat(path, &st), -1);

	/* Stale (left by a run that died, nobody listens): replaced. */
	stale_socket(path);
	ck_assert_str_eq(open_at(&loop, path, 0660, &l), "");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0660);
	pd_listen_close(l);

	/* Not a socket: never removed. */
	ck_assert_int_ge(fd = open(file, O_CREAT | O_WRONLY, 0600), 0);
	close(fd);
	ck_assert_ptr_nonnull(strstr(open_at(&loop, file, 0600, &l2),
	    "exists and is not a socket"));
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert(S_ISREG(st.st_mode));

	uv_run(&loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

static Suite *
listen_suite(void)
{
	Suite *s = suite_create("listen");
	TCase *tc = tcase_create("listen");

	tcase_add_loop_test(tc, test_listen_parse, 0,
	    sizeof(specs) / sizeof(specs[0]));
	tcase_add_test(tc, test_listen_unix_policy);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(listen_suite()) != 0;
}
