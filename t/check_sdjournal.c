/* SPDX-License-Identifier: ISC */
/*
 * check_sdjournal - Postfix's lines from real journal files, written by
 * systemd-journal-remote from the export format: which entries become
 * lines and how, the unit match, resuming at a cursor, a vacuumed
 * cursor, where reading starts without one, and the cursor file.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "buf.h"
#include "err.h"
#include "sdjournal.h"
#include "testutil.h"

#define REMOTE "/lib/systemd/systemd-journal-remote"
#define JT0     1795430333000000ULL /* 2026-11-23T10:38:53Z, µs */

static struct pd_buf got;
static char	     dir[512];
static unsigned	     seq;

static void
line_cb(void *arg, const char *line, size_t len)
{
	(void)arg;
	pd_buf_append(&got, line, len);
	pd_buf_putc(&got, '\n');
}

/* entry - one export-format entry at JT0 + sec s */
static void
entry(FILE *fp, unsigned s, const char *unit, const char *ident,
    const char *msg)
{
	fprintf(fp,
	    "__REALTIME_TIMESTAMP=%llu\n__MONOTONIC_TIMESTAMP=%u\n"
	    "_BOOT_ID=2f0c8a7e4b6d4e1f9a3c5b7d9e1f2a3b\n_HOSTNAME=mx\n"
	    "_SYSTEMD_UNIT=%s\nSYSLOG_IDENTIFIER=%s\nSYSLOG_PID=%u\n"
	    "MESSAGE=%s\n\n",
	    (unsigned long long)(JT0 + s * 1000000ULL + 250),
	    1000000 + s * 1000000, unit, ident, 4000 + s, msg);
}

/* journal - file name in dir from entries s0 .. s1-1 of the unit */
static void
journal(const char *name, unsigned s0, unsigned s1)
{
	char  exp[600], cmd[2048];
	FILE *fp;

	snprintf(exp, sizeof(exp), "%s/%u.export", dir, seq++);
	ck_assert_ptr_nonnull(fp = fopen(exp, "w"));
	for (unsigned s = s0; s < s1; s++) {
		char msg[128];

		snprintf(msg, sizeof(msg), "connect from unknown[192.0.2.%u]",
		    s);
		entry(fp, s, "postfix@-.service",
		    s % 2 ? "postfix/submission/smtpd" : "postfix/smtpd", msg);
	}
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "%s -o %s/%s.journal - <%s 2>/dev/null",
	    REMOTE, dir, name, exp);
	ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

static void
setup(void)
{
	char cmd[1200];

	snprintf(dir, sizeof(dir), "%s/journal", tu_tmpdir());
	snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s", dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_msg(access(REMOTE, X_OK) == 0,
	    "%s: install systemd-journal-remote (build-aux/deps check)",
	    REMOTE);
	pd_buf_clear(&got);
	pd_buf_init(&got, 1 << 20);
}

static void
teardown(void)
{
	pd_buf_clear(&got);
}

static char *units[] = { "postfix.service", "postfix@-.service" };

/* reader - open dir for the Postfix units, from cursor or start */
static void
reader(struct pd_sdj *s, const char *cursor, int64_t start)
{
	struct pd_err err;

	ck_assert_int_eq(pd_sdj_init(s, dir, units, 2, cursor, start, line_cb,
			     NULL, &err),
	    0);
	ck_assert_msg(pd_sdj_open(s, &err) == 0, "%s", err.msg);
	ck_assert(s->readable);
}

START_TEST(test_lines)
{
	struct pd_sdj s;
	char	      exp[600], cmd[2048];
	FILE	     *fp;

	snprintf(exp, sizeof(exp), "%s/mixed.export", dir);
	ck_assert_ptr_nonnull(fp = fopen(exp, "w"));
	entry(fp, 0, "postfix@-.service", "postfix/smtpd",
	    "connect from unknown[192.0.2.1]");
	/* Another program in the unit, Postfix's name in another unit. */
	entry(fp, 1, "postfix@-.service", "CRON", "not Postfix");
	entry(fp, 2, "cron.service", "postfix/smtpd",
	    "connect from unknown[192.0.2.2]");
	entry(fp, 3, "postfix@-.service", "postfix-out/cleanup",
	    "ABC123: message-id=<x@y>");
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "%s -o %s/m.journal - <%s 2>/dev/null",
	    REMOTE, dir, exp);
	ck_assert_int_eq(system(cmd), 0);
	reader(&s, NULL, 0);
	ck_assert_uint_eq(pd_sdj_read(&s, 100), 3);
	ck_assert_str_eq(got.data,
	    "2026-11-23T10:38:53.000250Z mx postfix/smtpd[4000]: connect "
	    "from unknown[192.0.2.1]\n"
	    "2026-11-23T10:38:56.000250Z mx postfix-out/cleanup[4003]: "
	    "ABC123: message-id=<x@y>\n");
	ck_assert_uint_eq(s.stats.entries, 3);
	ck_assert_uint_eq(s.stats.lines, 2);
	pd_sdj_clear(&s);

	/* No unit: every entry, still only Postfix's programs. */
	pd_buf_reset(&got);
	ck_assert_int_eq(pd_sdj_init(&s, dir, NULL, 0, NULL, 0, line_cb, NULL,
			     NULL),
	    0);
	ck_assert_int_eq(pd_sdj_open(&s, NULL), 0);
	ck_assert_uint_eq(pd_sdj_read(&s, 100), 4);
	ck_assert_int_eq(tu_count(got.data, "\n"), 3);
	ck_assert(strstr(got.data, "192.0.2.2") != NULL);
	pd_sdj_clear(&s);
}
END_TEST

START_TEST(test_bounded_and_resume)
{
	struct pd_sdj s;
	char	     *cursor;

	journal("a", 0, 10);
	reader(&s, NULL, 0);
	/* A drain reads no more than asked: replies go on in between. */
	ck_assert_uint_eq(pd_sdj_read(&s, 4), 4);
	ck_assert_int_eq(tu_count(got.data, "\n"), 4);
	ck_assert_ptr_nonnull(pd_sdj_cursor(&s));
	cursor = strdup(pd_sdj_cursor(&s));
	pd_sdj_clear(&s);

	/* Restarted: on after the last entry read, none twice. */
	journal("b", 10, 15); /* written while "down" */
	pd_buf_reset(&got);
	reader(&s, cursor, 0);
	ck_assert_uint_eq(pd_sdj_read(&s, 100), 11);
	ck_assert_int_eq(tu_count(got.data, "\n"), 11);
	ck_assert_msg(strncmp(got.data, "2026-11-23T10:38:57", 19) == 0, "%s",
	    got.data);
	ck_assert(strstr(got.data, "[192.0.2.14]\n") != NULL);
	ck_assert_uint_eq(s.stats.gaps, 0);
	/* Nothing more: the end is the end. */
	ck_assert_uint_eq(pd_sdj_read(&s, 100), 0);
	pd_sdj_clear(&s);
	free(cursor);
}
END_TEST

START_TEST(test_vacuumed_cursor)
{
	struct pd_sdj s;
	char	      file[600], *cursor;

	journal("a", 0, 5);
	reader(&s, NULL, 0);
	ck_assert_uint_eq(pd_sdj_read(&s, 100), 5);
	cursor = strdup(pd_sdj_cursor(&s));
	pd_sdj_clear(&s);
	snprintf(file, sizeof(file), "%s/a.journal", dir);
	ck_assert_int_eq(unlink(file), 0);
	journal("b", 8, 12);
	pd_buf_reset(&got);
	tu_log_capture();
	reader(&s, cursor, 0);
	ck_assert_uint_eq(s.stats.gaps, 1);
	ck_assert(tu_log_has("the last entry read before is gone"));
	/* The entry it landed on is unread: it is read, not skipped. */
	ck_assert_uint_eq(pd_sdj_read(&s, 100), 4);
	ck_assert_msg(strncmp(got.data, "2026-11-23T10:39:01", 19) == 0, "%s",
	    got.data);
	pd_sdj_clear(&s);
	free(cursor);
}
END_TEST

START_TEST(test_start_time)
{
	struct pd_sdj s;

	journal("a", 0, 10);
	/* No cursor: from a realtime on (the longest window ago). */
	reader(&s, NULL, (int64_t)(JT0 / 1000) + 6000);
	ck_assert_uint_eq(pd_sdj_read(&s, 100), 4);
	ck_assert_msg(strncmp(got.data, "2026-11-23T10:38:59", 19) == 0, "%s",
	    got.data);
	pd_sdj_clear(&s);
}
END_TEST

START_TEST(test_next_line)
{
	struct pd_sdj s;
	const char   *line;
	ssize_t	      n;
	int	      lines = 0;

	journal("a", 0, 3);
	reader(&s, NULL, 0);
	while ((n = pd_sdj_next_line(&s, &line)) >= 0) {
		ck_assert_int_eq((int)strlen(line), (int)n);
		lines++;
	}
	ck_assert_int_eq(lines, 3);
	pd_sdj_clear(&s);
}
END_TEST

START_TEST(test_unreadable)
{
	struct pd_sdj s;
	struct pd_err err;
	char	      missing[600];

	snprintf(missing, sizeof(missing), "%s/none", dir);
	tu_log_capture();
	ck_assert_int_eq(pd_sdj_init(&s, missing, NULL, 0, NULL, 0, line_cb,
			     NULL, &err),
	    0);
	ck_assert_int_eq(pd_sdj_open(&s, &err), -1);
	ck_assert(!s.readable);
	ck_assert_msg(strstr(s.why, "group systemd-journal") != NULL, "%s",
	    s.why);
	ck_assert_int_eq(tu_log_count("group systemd-journal"), 1);
	/* Tried again: not said again. */
	ck_assert_int_eq(pd_sdj_open(&s, &err), -1);
	ck_assert_int_eq(tu_log_count("group systemd-journal"), 1);
	pd_sdj_clear(&s);
}
END_TEST

START_TEST(test_cursor_file)
{
	struct pd_err err;
	char	      file[600], *c = NULL;
	FILE	     *fp;

	snprintf(file, sizeof(file), "%s/state.journal", dir);
	ck_assert_int_eq(pd_sdj_cursor_load(file, &c, &err), 0);
	ck_assert_int_eq(pd_sdj_cursor_save(file, "s=ab;i=1;b=cd", &err), 0);
	ck_assert_int_eq(pd_sdj_cursor_load(file, &c, &err), 1);
	ck_assert_str_eq(c, "s=ab;i=1;b=cd");
	free(c);
	ck_assert_ptr_nonnull(fp = fopen(file, "w"));
	fputs("policyd-maillog-position 1 1 2 3\n", fp);
	fclose(fp);
	ck_assert_int_eq(pd_sdj_cursor_load(file, &c, &err), -1);
	ck_assert(strstr(err.msg, "not a journal cursor") != NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sdjournal");
	TCase *tc = tcase_create("sdjournal");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_lines);
	tcase_add_test(tc, test_bounded_and_resume);
	tcase_add_test(tc, test_vacuumed_cursor);
	tcase_add_test(tc, test_start_time);
	tcase_add_test(tc, test_next_line);
	tcase_add_test(tc, test_unreadable);
	tcase_add_test(tc, test_cursor_file);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
