/* SPDX-License-Identifier: ISC */
/*
 * check_replay - what replay prints: each decision, the line of what
 * caused it, the summary and the near misses.  The maillog is written
 * here, with the lines Postfix 3.7 logs; its stamps are the clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "conf.h"
#include "err.h"
#include "replay.h"
#include "testutil.h"

static const char conf_text[] =
    "rule errs {\n event = rcpt_rejected\n limit = 6 per 1h\n block = 1h\n"
    " reply = 554 5.7.1 errors\n}\n"
    "rule drops {\n event = dropped\n limit = 1 per 1h\n block = 1h\n"
    " reply = 554 5.7.1 drops\n}\n"
    "rule conns {\n event = log_connection\n limit = 4 per 1h\n"
    " block = 1h\n reply = 554 5.7.1 conns\n}\n";

#define PFX "Nov 22 00:00:0%d mx postfix/smtpd[1]: "
#define REJ                                                                \
	"NOQUEUE: reject: RCPT from unknown[192.0.2.9]:1: %s <u@test.example>: " \
	"Recipient address rejected: %s; from=<s@example.org> "             \
	"to=<u@test.example> proto=ESMTP helo=<h.example>"

/* run - replay a maillog of rejects, drops and connections */
static char *
run(struct pd_replay_stats *st)
{
	static const char *const rejects[][2] = {
		{ "550 5.1.1", "say \"no\" here" },
		{ "550 5.1.1", "User unknown in local recipient table" },
		{ "551 5.1.6", "has moved" },
		{ "550 5.1.1", "User unknown in local recipient table" },
		{ "554 5.7.1", "go away" },
		{ "552 5.2.2", "mailbox full" },
		{ "553 5.7.1", "not here" },
	};
	struct pd_conf *conf = tu_conf(conf_text);
	struct pd_err	err;
	char		path[512], *text = NULL;
	size_t		len;
	FILE	       *fp, *out;

	snprintf(path, sizeof(path), "%s/maillog", tu_tmpdir());
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	for (size_t i = 0; i < 7; i++) {
		fprintf(fp, PFX REJ "\n", 1, rejects[i][0], rejects[i][1]);
		if (i == 1)
			fprintf(fp, PFX "warning: something else\n", 1);
	}
	fprintf(fp, PFX "lost connection after RCPT from unknown[192.0.2.30]:2\n",
	    2);
	fprintf(fp,
	    PFX "timeout after DATA (17 bytes) from unknown[192.0.2.30]:3\n", 3);
	/* Four connections of 4: a near miss; three of another are not. */
	for (int i = 0; i < 4; i++)
		fprintf(fp, PFX "connect from unknown[198.51.100.7]:%d\n", 4,
		    10 + i);
	for (int i = 0; i < 3; i++)
		fprintf(fp, PFX "connect from unknown[198.51.100.8]:%d\n", 5,
		    20 + i);
	fclose(fp);
	ck_assert_ptr_nonnull(out = open_memstream(&text, &len));
	ck_assert_msg(pd_replay(conf, path, T0 + DAY, out, st, &err) == 0,
	    "%s", err.msg);
	fclose(out);
	pd_conf_free(conf);
	return text;
}

/* line_after - the line after the first one containing s, or "" */
static const char *
line_after(const char *text, const char *s)
{
	static char buf[1024];
	const char *p = strstr(text, s), *e;

	buf[0] = '\0';
	if (p == NULL || (p = strchr(p, '\n')) == NULL)
		return buf;
	p++;
	e = strchr(p, '\n');
	snprintf(buf, sizeof(buf), "%.*s", (int)(e ? e - p : (long)strlen(p)),
	    p);
	return buf;
}

START_TEST(test_replay_prints_causes)
{
	struct pd_replay_stats st;
	char		      *text = run(&st);

	ck_assert_uint_eq(st.decisions, 2);
	/* Six reasons, five named, most first, then the rest; quotes as '. */
	ck_assert_str_eq(line_after(text, "rule=errs client=192.0.2.9"),
	    "    caused by: 2 x \"User unknown in local recipient table\" "
	    "(550), 1 x \"say 'no' here\" (550), 1 x \"has moved\" "
	    "(551), 1 x \"go away\" (554), 1 x \"mailbox full\" (552), "
	    "1 x (other reasons)");
	/* Drops by what happened and after what. */
	ck_assert_str_eq(line_after(text, "rule=drops client=192.0.2.30"),
	    "    caused by: 1 x \"lost connection after RCPT\", "
	    "1 x \"timeout after DATA\"");
	ck_assert_int_eq(tu_count(text, "caused by:"), 2);
	free(text);
}
END_TEST

START_TEST(test_replay_lists_near_misses)
{
	struct pd_replay_stats st;
	char		      *text = run(&st);

	/* Keys a rule decided for are no near misses of it. */
	ck_assert_uint_eq(st.near_misses, 1);
	ck_assert_msg(strstr(text, "\n# near miss: rule=conns key=198.51.100.7 "
				   "peak=4 limit=4/1h "
				   "at=2026-11-22T00:00:04Z\n") != NULL,
	    "%s", text);
	ck_assert_int_eq(tu_count(text, "# near miss:"), 1);
	ck_assert(strstr(text, "\n# near misses: 1 (keys that reached 80% of "
			       "a limit and never passed it)\n") != NULL);
	/* Near misses come after the summary. */
	ck_assert(strstr(text, "# rule errs: 1") < strstr(text, "# near miss:"));
	free(text);
}
END_TEST

static Suite *
replay_suite(void)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("output");

	tcase_add_test(tc, test_replay_prints_causes);
	tcase_add_test(tc, test_replay_lists_near_misses);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(replay_suite()) != 0;
}
