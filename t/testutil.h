/* SPDX-License-Identifier: ISC */
/*
 * testutil - what the unit tests share: log capture, request building
 * and a scratch directory.  Hermetic: no syslog, DNS or real clock.
 */
#ifndef PD_TESTUTIL_H
#define PD_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <check.h>

struct pd_conf;
struct pd_decision;
struct pd_engine;
struct pd_geo;

/* nitems - the rows of a table */
#define nitems(a)	((int)(sizeof(a) / sizeof((a)[0])))

/* A fixed, bucket-aligned "now": 2026-11-22T00:00:00Z in ms. */
#define T0		1795305600000LL
/* sys/param.h has its own MIN(a, b); the tests want minutes. */
#undef MIN
#define SEC		1000LL
#define MIN		(60 * SEC)
#define HOUR		(60 * MIN)
#define DAY		(24 * HOUR)

/* tu_log_capture - collect log lines (all levels) from now on */
void	tu_log_capture(void);
/* tu_log_text - every captured line, each ending in "\n" */
const char *tu_log_text(void);
/* tu_log_has - some captured line contains s */
bool	tu_log_has(const char *s);
/* tu_count - occurrences of needle in text */
int	tu_count(const char *text, const char *needle);
/* tu_log_level - the level of the first captured line with s, or -1 */
int	tu_log_level(const char *s);
/* tu_log_count - captured lines containing s */
int	tu_log_count(const char *s);
void	tu_log_reset(void);

/*
 * tu_conf - parse config text (fails the test on errors, which are
 * printed); caller frees with pd_conf_free().
 */
struct pd_conf *tu_conf(const char *text);
/* tu_conf_errors - parse text that must fail; returns the messages */
const char *tu_conf_errors(const char *text);

/*
 * tu_heavy - full size for a test that repeats its work many times,
 * light under valgrind (PD_VALGRIND=1), which checks memory, not the
 * property: the plain and sanitizer runs check that at full size
 */
long	tu_heavy(long full, long light);
/* tu_tmpdir - a fresh directory, removed at exit */
const char *tu_tmpdir(void);

/*
 * tu_mmdb - a directory with the test databases t/gen-mmdb.pl writes
 * (flags are its options), made on the first call and removed when the
 * process exits.  Call it from main(), before the suite runs, so that
 * forked tests share one copy.
 */
const char *tu_mmdb(const char *flags);

/* tu_geo - open the databases c names into geo, for e (fails the test) */
void	tu_geo(struct pd_engine *e, const struct pd_conf *c, struct pd_geo *geo);

/* tu_last - the decision of the last tu_decide() */
const struct pd_decision *tu_last(void);

/*
 * tu_engine_log - e's decisions go to the log (and so to the capture),
 * one line each, as the daemon logs them
 */
void	tu_engine_log(struct pd_engine *e);

/* tu_run - run a suite, CK_NORMAL output; returns the failure count */
int	tu_run(Suite *);

/*
 * tu_fixture - requests recorded from a real Postfix, in the format of
 * t/data/postfix-3.7-requests.txt: "# session N: ..." lines start a
 * session, each request ends with an empty line.  Returns the number of
 * requests of session (1-based) and their raw text in reqs[] (static
 * storage, valid until the next call).
 */
size_t	tu_fixture(const char *file, int session, const char **reqs,
	    size_t max);

/*
 * tu_decide - one request (its lines, without the final empty line)
 * through pd_engine_decide with the given HELO DNS answer; the reply
 * goes to out.
 */
const char *tu_decide(struct pd_engine *, const char *raw, int64_t now,
	    int dns, char *out, size_t len);

#endif
