/* SPDX-License-Identifier: ISC */
/*
 * check_tail - following a real log file across appends, partial lines,
 * rotation, copytruncate, truncation and restarts.  Every test checks
 * that each line arrives exactly once and in order.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "buf.h"
#include "err.h"
#include "tail.h"
#include "testutil.h"

static struct pd_buf got;
static char path[512], path1[512], posfile[600];

static void
line_cb(void *arg, const char *line, size_t len)
{
	(void)arg;
	pd_buf_append(&got, line, len);
	pd_buf_putc(&got, '|');
}

static void
put(const char *file, const char *text)
{
	FILE *fp = fopen(file, "a");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

static void
setup(void)
{
	snprintf(path, sizeof(path), "%s/mail.log", tu_tmpdir());
	snprintf(path1, sizeof(path1), "%s/mail.log.1", tu_tmpdir());
	unlink(path);
	unlink(path1);
	/* Under CK_FORK=no the tests share one process and directory. */
	snprintf(posfile, sizeof(posfile), "%s.pos", path);
	unlink(posfile);
	pd_buf_clear(&got);
	pd_buf_init(&got, 1 << 20);
}

static void
start(struct pd_tail *t, const struct pd_tail_pos *resume)
{
	struct pd_err err;

	pd_buf_reset(&got);
	ck_assert_int_eq(pd_tail_init(t, path, resume, line_cb, NULL, &err), 0);
}

START_TEST(test_tail_first_start_skips_history)
{
	struct pd_tail t;

	setup();
	put(path, "old 1\nold 2\n");
	start(&t, NULL);
	ck_assert_uint_eq(pd_tail_poll(&t), 0);
	put(path, "new 1\nnew 2\n");
	ck_assert_uint_eq(pd_tail_poll(&t), 2);
	ck_assert_str_eq(pd_buf_str(&got), "new 1|new 2|");
	pd_tail_clear(&t);
}
END_TEST

START_TEST(test_tail_partial_line_waits)
{
	struct pd_tail t;
	struct pd_tail_pos pos;

	setup();
	put(path, "");
	start(&t, NULL);
	put(path, "conn");
	ck_assert_uint_eq(pd_tail_poll(&t), 0);
	pd_tail_position(&t, &pos);
	ck_assert_uint_eq(pos.off, 0);
	put(path, "ect from x\nnext");
	ck_assert_uint_eq(pd_tail_poll(&t), 1);
	ck_assert_str_eq(pd_buf_str(&got), "connect from x|");
	pd_tail_position(&t, &pos);
	ck_assert_uint_eq(pos.off, 15);
	pd_tail_clear(&t);
}
END_TEST

START_TEST(test_tail_file_appears_later)
{
	struct pd_tail t;

	setup();
	start(&t, NULL);
	ck_assert_uint_eq(pd_tail_poll(&t), 0);
	/* Created after the start: everything in it is new. */
	put(path, "a\n");
	ck_assert_uint_eq(pd_tail_poll(&t), 1);
	put(path, "b\n");
	ck_assert_uint_eq(pd_tail_poll(&t), 1);
	ck_assert_str_eq(pd_buf_str(&got), "a|b|");
	pd_tail_clear(&t);
}
END_TEST

START_TEST(test_tail_rotation_by_rename)
{
	struct pd_tail t;

	setup();
	put(path, "");
	start(&t, NULL);
	put(path, "1\n2\n");
	ck_assert_uint_eq(pd_tail_poll(&t), 2);
	/* Rotate; the logger still writes to the old file for a while. */
	ck_assert_int_eq(rename(path, path1), 0);
	put(path1, "3\n4");
	ck_assert_uint_eq(pd_tail_poll(&t), 1);
	put(path1, "5\n");
	put(path, "6\n7\n");
	ck_assert_uint_eq(pd_tail_poll(&t), 3);
	put(path, "8\n");
	ck_assert_uint_eq(pd_tail_poll(&t), 1);
	ck_assert_str_eq(pd_buf_str(&got), "1|2|3|45|6|7|8|");
	ck_assert_uint_eq(t.stats.rotations, 1);
	pd_tail_clear(&t);
}
END_TEST

START_TEST(test_tail_rotation_keeps_unterminated_last_line)
{
	struct pd_tail t;

	setup();
	put(path, "");
	start(&t, NULL);
	put(path, "1\nlast without newline");
	ck_assert_uint_eq(pd_tail_poll(&t), 1);
	ck_assert_int_eq(rename(path, path1), 0);
	put(path, "new\n");
	ck_assert_uint_eq(pd_tail_poll(&t), 2);
	ck_assert_str_eq(pd_buf_str(&got), "1|last without newline|new|");
	pd_tail_clear(&t);
}
END_TEST

START_TEST(test_tail_copytruncate)
{
	struct pd_tail t;

	setup();
	put(path, "");
	start(&t, NULL);
	put(path, "aaaa 1\naaaa 2\naaaa 3\n");
	ck_assert_uint_eq(pd_tail_poll(&t), 3);
	/* logrotate copytruncate: copy away, cut to 0, writing goes on. */
	ck_assert_int_eq(truncate(path, 0), 0);
	put(path, "b 1\n");
	ck_assert_uint_eq(pd_tail_poll(&t), 1);
	ck_assert_str_eq(pd_buf_str(&got), "aaaa 1|aaaa 2|aaaa 3|b 1|");
	ck_assert_uint_eq(t.stats.truncations, 1);
	ck_assert_uint_eq(t.stats.rotations, 0);
	pd_tail_clear(&t);
}
END_TEST

START_TEST(test_tail_restart_resumes_exactly)
{
	struct pd_tail t;
	struct pd_tail_pos pos, loaded;
	struct pd_err err;

	setup();
	put(path, "");
	start(&t, NULL);
	put(path, "1\n2\n3");
	pd_tail_poll(&t);
	pd_tail_position(&t, &pos);
	ck_assert_int_eq(pd_tail_pos_save(posfile, &pos, &err), 0);
	pd_tail_clear(&t);
	/* Written while policyd was down. */
	put(path, "\n4\n");
	ck_assert_int_eq(pd_tail_pos_load(posfile, &loaded, &err), 1);
	ck_assert_uint_eq(loaded.off, pos.off);
	ck_assert_uint_eq(loaded.ino, pos.ino);
	start(&t, &loaded);
	ck_assert_uint_eq(pd_tail_poll(&t), 2);
	ck_assert_str_eq(pd_buf_str(&got), "3|4|");
	pd_tail_clear(&t);
}
END_TEST

START_TEST(test_tail_restart_after_rotation_reads_new_file)
{
	struct pd_tail t;
	struct pd_tail_pos pos;

	setup();
	put(path, "");
	start(&t, NULL);
	put(path, "1\n");
	pd_tail_poll(&t);
	pd_tail_position(&t, &pos);
	pd_tail_clear(&t);
	ck_assert_int_eq(rename(path, path1), 0);
	put(path, "new 1\nnew 2\n");
	start(&t, &pos);
	ck_assert_uint_eq(pd_tail_poll(&t), 2);
	ck_assert_str_eq(pd_buf_str(&got), "new 1|new 2|");
	pd_tail_clear(&t);
}
END_TEST

START_TEST(test_tail_restart_after_truncation)
{
	struct pd_tail t;
	struct pd_tail_pos pos;

	setup();
	put(path, "");
	start(&t, NULL);
	put(path, "a long first line\n");
	pd_tail_poll(&t);
	pd_tail_position(&t, &pos);
	pd_tail_clear(&t);
	ck_assert_int_eq(truncate(path, 0), 0);
	put(path, "x\n");
	start(&t, &pos);
	ck_assert_uint_eq(pd_tail_poll(&t), 1);
	ck_assert_str_eq(pd_buf_str(&got), "x|");
	pd_tail_clear(&t);
}
END_TEST

START_TEST(test_tail_long_line_is_cut)
{
	struct pd_tail t;
	struct pd_tail_pos pos;
	char *big = malloc(PD_TAIL_LINE_MAX * 3 + 2);

	setup();
	put(path, "");
	start(&t, NULL);
	memset(big, 'x', PD_TAIL_LINE_MAX * 3);
	big[PD_TAIL_LINE_MAX * 3] = '\n';
	big[PD_TAIL_LINE_MAX * 3 + 1] = '\0';
	put(path, big);
	put(path, "after\n");
	ck_assert_uint_eq(pd_tail_poll(&t), 2);
	ck_assert_uint_eq(got.len, PD_TAIL_LINE_MAX + 1 + 6);
	pd_tail_position(&t, &pos);
	ck_assert_uint_eq(pos.off, PD_TAIL_LINE_MAX * 3 + 1 + 6);
	pd_tail_clear(&t);
	free(big);
}
END_TEST

START_TEST(test_tail_damaged_position_file)
{
	struct pd_tail_pos pos;
	struct pd_err err;

	setup();
	ck_assert_int_eq(pd_tail_pos_load(posfile, &pos, &err), 0);
	put(posfile, "garbage\n");
	ck_assert_int_eq(pd_tail_pos_load(posfile, &pos, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a maillog position"));
	pd_buf_clear(&got);
}
END_TEST

static void
got_clear(void)
{
	pd_buf_clear(&got);
}

static Suite *
tail_suite(void)
{
	Suite *s = suite_create("tail");
	TCase *tc = tcase_create("follow");

	tcase_add_checked_fixture(tc, NULL, got_clear);

	tcase_add_test(tc, test_tail_first_start_skips_history);
	tcase_add_test(tc, test_tail_partial_line_waits);
	tcase_add_test(tc, test_tail_file_appears_later);
	tcase_add_test(tc, test_tail_rotation_by_rename);
	tcase_add_test(tc, test_tail_rotation_keeps_unterminated_last_line);
	tcase_add_test(tc, test_tail_copytruncate);
	tcase_add_test(tc, test_tail_restart_resumes_exactly);
	tcase_add_test(tc, test_tail_restart_after_rotation_reads_new_file);
	tcase_add_test(tc, test_tail_restart_after_truncation);
	tcase_add_test(tc, test_tail_long_line_is_cut);
	tcase_add_test(tc, test_tail_damaged_position_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(tail_suite()) != 0;
}
