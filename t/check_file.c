/* SPDX-License-Identifier: ISC */
/*
 * check_file - a small file replaced whole: the new text in place, no
 * .tmp left behind, and on failure the old file untouched.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "err.h"
#include "file.h"
#include "testutil.h"

/* slurp - path's text, or "" */
static const char *
slurp(const char *path)
{
	static char buf[256];
	FILE	   *fp = fopen(path, "r");
	size_t	    n = 0;

	if (fp != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

START_TEST(test_file_replace_writes_and_replaces)
{
	char	      path[PATH_MAX], tmp[PATH_MAX + 8];
	struct pd_err err;

	snprintf(path, sizeof(path), "%s/pos", tu_tmpdir());
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_eq(pd_file_replace(path, &err, "one %d\n", 1), 0);
	ck_assert_str_eq(slurp(path), "one 1\n");
	ck_assert_int_eq(pd_file_replace(path, &err, "two %s\n", "x"), 0);
	ck_assert_str_eq(slurp(path), "two x\n");
	ck_assert_int_eq(access(tmp, F_OK), -1);
}
END_TEST

START_TEST(test_file_replace_failure_keeps_the_old_file)
{
	char	      path[PATH_MAX], tmp[PATH_MAX + 8];
	struct pd_err err;

	/* A directory where PATH.tmp goes: the open fails, even for root. */
	snprintf(path, sizeof(path), "%s/kept", tu_tmpdir());
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_eq(pd_file_replace(path, &err, "old\n"), 0);
	ck_assert_int_eq(mkdir(tmp, 0755), 0);
	ck_assert_int_eq(pd_file_replace(path, &err, "new\n"), -1);
	ck_assert_msg(strstr(err.msg, "kept.tmp") != NULL, "%s", err.msg);
	ck_assert_str_eq(slurp(path), "old\n");
	rmdir(tmp);
}
END_TEST

START_TEST(test_file_replace_missing_directory)
{
	char	      path[PATH_MAX];
	struct pd_err err;

	snprintf(path, sizeof(path), "%s/none/pos", tu_tmpdir());
	ck_assert_int_eq(pd_file_replace(path, &err, "x\n"), -1);
	ck_assert_msg(strstr(err.msg, "No such file") != NULL, "%s", err.msg);
}
END_TEST

static Suite *
file_suite(void)
{
	Suite *s = suite_create("file");
	TCase *tc = tcase_create("replace");

	tcase_add_test(tc, test_file_replace_writes_and_replaces);
	tcase_add_test(tc, test_file_replace_failure_keeps_the_old_file);
	tcase_add_test(tc, test_file_replace_missing_directory);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(file_suite()) != 0;
}
