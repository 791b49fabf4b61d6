/* SPDX-License-Identifier: ISC */
/*
 * check_control - the control socket end to end: a whole daemon runs
 * in this process (its loop in a thread) and the real policydctl binary
 * talks to it.  The large answer is the point: 200,000 manual blocks
 * must list in full, as text and as JSON, with exit 0.
 *
 * Under valgrind (PD_VALGRIND=1) the count is 20,000 and the answer
 * that is too large is not tried, to keep the run short; the normal
 * run does 200,000.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <uv.h>

#include "addr.h"
#include "buf.h"
#include "clock.h"
#include "ctl.h"
#include "err.h"
#include "log.h"
#include "daemon.h"
#include "engine.h"
#include "conf.h"
#include "testutil.h"

/* A manual block has a reason; this one is of a typical length. */
#define REASON		"spam run, ticket INC-4711 (ops)"

static struct {
	uv_loop_t		loop;
	uv_async_t		stop;
	struct pd_daemon	d;
	pthread_t		thread;
	int			loop_close;
	char			sock[PATH_MAX];
	char			ctl[PATH_MAX];	/* the policydctl binary */
	char			state[PATH_MAX];	/* state_file */
} tc;

static void
stop_cb(uv_async_t *a)
{
	pd_daemon_stop(&tc.d);
	uv_close((uv_handle_t *)a, NULL);
}

static void *
loop_main(void *arg)
{
	(void)arg;
	uv_run(&tc.loop, UV_RUN_DEFAULT);
	return NULL;
}

/* policydctl_path - build/bin/policydctl beside build/t/ */
static void
policydctl_path(void)
{
	char self[PATH_MAX - 32];
	ssize_t n;
	char *slash;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ck_assert_int_gt(n, 0);
	self[n] = '\0';
	ck_assert_ptr_nonnull(slash = strrchr(self, '/'));
	*slash = '\0';
	snprintf(tc.ctl, sizeof(tc.ctl), "%s/../bin/policydctl", self);
	ck_assert_msg(access(tc.ctl, X_OK) == 0, "%s: not built", tc.ctl);
}

static void
setup(void)
{
	char file[PATH_MAX];
	FILE *f;

	tu_log_capture();
	policydctl_path();
	snprintf(tc.sock, sizeof(tc.sock), "%s/run/control.sock",
	    tu_tmpdir());
	snprintf(file, sizeof(file), "%s/policyd.conf", tu_tmpdir());
	ck_assert_ptr_nonnull(f = fopen(file, "w"));
	fprintf(f, "listen = inet:127.0.0.1:0\nuser =\nstate_file = %s\n"
	    "control_socket = %s\n"
	    "rule connections {\n\tevent = connection\n"
	    "\tlimit = 2 per 1h\n\tblock = 10m\n"
	    "\treply = 451 4.7.1 Too many\n}\n", tc.state, tc.sock);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(uv_loop_init(&tc.loop), 0);
	ck_assert_msg(pd_daemon_start(&tc.d, &tc.loop, file, NULL, 0) == 0,
	    "%s", tu_log_text());
	ck_assert_int_eq(uv_async_init(&tc.loop, &tc.stop, stop_cb), 0);
}

static void
start_loop(void)
{
	ck_assert_int_eq(pthread_create(&tc.thread, NULL, loop_main, NULL), 0);
}

static void
teardown(void)
{
	uv_async_send(&tc.stop);
	pthread_join(tc.thread, NULL);
	pd_daemon_free(&tc.d);
	tc.loop_close = uv_loop_close(&tc.loop);
	ck_assert_int_eq(tc.loop_close, 0);
}

/* block_many - n manual blocks of 2001:db8:X::Y, the long kind */
static void
block_many(size_t n, const char *reason)
{
	int64_t now = pd_clock_now();
	struct pd_cidr net;
	struct pd_err err;
	char text[64];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "2001:db8:%x:beef:cafe:f00d:dead:%x",
		    0xa000 | (unsigned)(i >> 16), (unsigned)(i & 0xffff));
		ck_assert_int_eq(pd_cidr_parse(text, &net, &err), 0);
		ck_assert_msg(pd_engine_block(&tc.d.engine, &net, now,
		    now + 3600 * 1000, reason, false, &err) == 0, "block %zu: %s", i,
		    err.msg);
	}
}

/*
 * run_ctl - the policydctl binary with args; its exit code, and what
 * it printed (standard output, then standard error) in out
 */
static int
run_ctl(const char *const *args, struct pd_buf *out)
{
	char buf[65536], *argv[8];
	int fds[2], status;
	size_t i;
	ssize_t n;
	pid_t pid;

	argv[0] = tc.ctl;
	for (i = 0; args[i] != NULL && i < 6; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		execv(tc.ctl, argv);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0)
		ck_assert_int_eq(pd_buf_append(out, buf, (size_t)n), 0);
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * count - occurrences of needle in b.  Not tu_count(): ASan checks the
 * whole haystack on each strstr(), which makes 200,000 calls on 50 MB
 * take minutes.
 */
static size_t
count(const struct pd_buf *b, const char *needle)
{
	size_t i, n = 0, k = strlen(needle);

	for (i = 0; i + k <= b->len; i++)
		if (b->data[i] == needle[0] && memcmp(b->data + i, needle,
		    k) == 0) {
			n++;
			i += k - 1;
		}
	return n;
}

static size_t
block_count(void)
{
	const char *v = getenv("PD_VALGRIND");

	return v != NULL && strcmp(v, "1") == 0 ? 20000 : 200000;
}

static const struct {
	const char	*name;
	bool		 json;
	const char	*item;		/* once per block */
	const char	*total;		/* printf format of the total */
} big_cases[] = {
	{ "text", false, "rule=manual", "total            %zu\n" },
	{ "json", true, "\"rule\":\"manual\"", "\"total\":%zu}" },
};

START_TEST(test_control_lists_every_block)
{
	const char *args[] = { "-s", tc.sock, "list", "blocks", NULL, NULL };
	const char *args_json[] = { "-s", tc.sock, "--json", "list", "blocks",
	    NULL };
	size_t n = block_count();
	struct pd_buf out;
	char total[64];
	int rc;

	block_many(n, REASON);
	start_loop();
	pd_buf_init(&out, (size_t)1 << 30);
	rc = run_ctl(big_cases[_i].json ? args_json : args, &out);
	ck_assert_msg(rc == 0, "%s: exit %d, want 0", big_cases[_i].name, rc);
	ck_assert_msg(count(&out, big_cases[_i].item) == n,
	    "%s: got %zu blocks, want %zu", big_cases[_i].name,
	    count(&out, big_cases[_i].item), n);
	snprintf(total, sizeof(total), big_cases[_i].total, n);
	ck_assert_msg(strstr(pd_buf_str(&out), total) != NULL,
	    "%s: no \"%s\" in the answer", big_cases[_i].name, total);
	fprintf(stderr, "%s: %zu blocks in %zu bytes (%zu a block)\n",
	    big_cases[_i].name, n, out.len, out.len / n);
	pd_buf_clear(&out);
}
END_TEST

START_TEST(test_control_small_answer)
{
	const char *args[] = { "-s", tc.sock, "list", "blocks", NULL };
	struct pd_buf out;

	block_many(3, REASON);
	start_loop();
	pd_buf_init(&out, 1 << 20);
	ck_assert_int_eq(run_ctl(args, &out), 0);
	ck_assert_uint_eq(count(&out, "rule=manual"), 3);
	pd_buf_clear(&out);
}
END_TEST

/*
 * More than PD_CTL_ANSWER_MAX of output fails with a message and exit
 * 1, never an empty success: 360,000 blocks with the longest reason
 * take about 144 MB as text.
 */
START_TEST(test_control_too_large_answer_fails)
{
	const char *args[] = { "-s", tc.sock, "list", "blocks", NULL };
	char reason[PD_CTL_REASON_MAX + 1];
	struct pd_buf out;
	int rc;

	memset(reason, 'x', PD_CTL_REASON_MAX);
	reason[PD_CTL_REASON_MAX] = '\0';
	block_many(360000, reason);
	start_loop();
	pd_buf_init(&out, 1 << 20);
	rc = run_ctl(args, &out);
	ck_assert_msg(rc == 1, "exit %d, want 1", rc);
	ck_assert_msg(strstr(pd_buf_str(&out), "policydctl: answer too large (")
	    != NULL, "got \"%s\"", pd_buf_str(&out));
	ck_assert(tu_log_has("control: answer too large ("));
	pd_buf_clear(&out);
}
END_TEST

/* A state_file in a directory that is not there: every save fails. */
static void
setup_unsaved(void)
{
	snprintf(tc.state, sizeof(tc.state), "%s/missing/policyd.state",
	    tu_tmpdir());
	setup();
}

static void
setup_saved(void)
{
	snprintf(tc.state, sizeof(tc.state), "%s/policyd.state", tu_tmpdir());
	setup();
}

/* ctl_has - policydctl args prints a line with want, within 10 s */
static void
ctl_has(const char *a1, const char *a2, const char *want)
{
	const char *args[] = { "-s", tc.sock, a1, a2, NULL };
	struct pd_buf out;

	pd_buf_init(&out, 1 << 20);
	for (int i = 0; i < 100; i++) {
		pd_buf_reset(&out);
		ck_assert_int_eq(run_ctl(args, &out), 0);
		if (strstr(pd_buf_str(&out), want) != NULL)
			break;
		usleep(100 * 1000); /* the daemon's tick reaps the saver */
	}
	ck_assert_msg(strstr(pd_buf_str(&out), want) != NULL,
	    "policydctl %s %s: no \"%s\" in:\n%.3000s", a1, a2 ? a2 : "", want,
	    pd_buf_str(&out));
	pd_buf_clear(&out);
}

/*
 * A save that fails, in the process (as at SIGTERM) and in the child
 * (every state_interval), is a warning, a metric and a status line.
 */
START_TEST(test_control_save_fails)
{
	ck_assert_int_eq(pd_daemon_save(&tc.d, false), -1);
	ck_assert_msg(tu_log_level("state: saving") == PD_LOG_WARNING,
	    "level %d: %.2000s", tu_log_level("state: saving"), tu_log_text());
	ck_assert(tu_log_has("failed (1 failures since start)"));
	ck_assert_int_eq(pd_daemon_save(&tc.d, true), 0);
	start_loop();
	ctl_has("status", NULL, "state_save_failures 2\n");
	ctl_has("status", NULL, "state_saved      -\n");
	ctl_has("stats", "--prometheus",
	    "policyd_state_saves_total{result=\"failed\"} 2\n");
	ctl_has("stats", "--prometheus",
	    "\npolicyd_state_last_save_timestamp_seconds 0\n");
	ctl_has("stats", "--prometheus",
	    "policyd_state_saves_total{result=\"ok\"} 0\n");
}
END_TEST

START_TEST(test_control_save_counted)
{
	char want[64];

	ck_assert_int_eq(pd_daemon_save(&tc.d, false), 0);
	ck_assert_uint_eq(tc.d.saves, 1);
	ck_assert_int_gt(tc.d.saved_at, 0);
	start_loop();
	ctl_has("status", NULL, "state_save_failures 0\n");
	ctl_has("status", NULL, "state_saved      20");
	ctl_has("stats", "--prometheus",
	    "policyd_state_saves_total{result=\"ok\"} 1\n");
	snprintf(want, sizeof(want), "policyd_state_last_save_timestamp_seconds "
	    "%lld\n", (long long)(tc.d.saved_at / 1000));
	ctl_has("stats", "--prometheus", want);
}
END_TEST

static Suite *
control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc_case = tcase_create("control");

	tcase_add_checked_fixture(tc_case, setup, teardown);
	tcase_set_timeout(tc_case, 60);
	tcase_add_test(tc_case, test_control_small_answer);
	tcase_add_loop_test(tc_case, test_control_lists_every_block, 0,
	    sizeof(big_cases) / sizeof(big_cases[0]));
	/* It needs a lot of memory, which valgrind makes slow. */
	if (block_count() == 200000)
		tcase_add_test(tc_case, test_control_too_large_answer_fails);
	suite_add_tcase(s, tc_case);
	tc_case = tcase_create("unsaved");
	tcase_add_checked_fixture(tc_case, setup_unsaved, teardown);
	tcase_set_timeout(tc_case, 60);
	tcase_add_test(tc_case, test_control_save_fails);
	suite_add_tcase(s, tc_case);
	tc_case = tcase_create("saved");
	tcase_add_checked_fixture(tc_case, setup_saved, teardown);
	tcase_set_timeout(tc_case, 60);
	tcase_add_test(tc_case, test_control_save_counted);
	suite_add_tcase(s, tc_case);
	tc_case = tcase_create("state_dir");
	suite_add_tcase(s, tc_case);
	return s;
}

int
main(void)
{
	return tu_run(control_suite()) != 0;
}
