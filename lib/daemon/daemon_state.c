/* SPDX-License-Identifier: ISC */
/*
 * daemon_state - what survives a restart: the counter snapshot, saved in
 * a forked child so that replies never wait for it, and the maillog
 * position kept beside it; and the maillog lines as they are read.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "log.h"
#include "conf.h"
#include "maillog.h"
#include "state.h"
#include "daemon_int.h"

/*
 * count_line - a line Postfix logged: count what it reports, at when
 * (engine time), or now when when is 0
 */
static void
count_line(struct pd_daemon *d, const char *line, size_t len, bool journal)
{
	struct pd_maillog_line ml;
	enum pd_event_type     type;
	int64_t		       now = pd_clock_now(), at = now;
	int64_t		       wall = now + pd_engine_wall_offset(&d->engine);
	struct tm	       tm;
	time_t		       t = (time_t)(wall / 1000);

	d->log_lines++;
	/* The line's stamp is wall-clock time, in the local zone. */
	localtime_r(&t, &tm);
	if (pd_maillog_parse_as(line, len, wall, tm.tm_gmtoff,
		&d->conf->maillog_syslog_names, &ml) < 0)
		return;
	/* For the metrics: a reader that falls behind shows here. */
	d->log_stamp = ml.time;
	d->log_lag = wall > ml.time ? wall - ml.time : 0;
	if (!pd_maillog_event(&ml, &type))
		return;
	d->log_matched++;
	/*
	 * Live, a file's line is as old as it takes to read it: count it
	 * now.  A journal entry carries its time, and after a restart the
	 * entries written meanwhile are counted when they happened, in the
	 * order read and never later than now.
	 */
	if (journal) {
		at = ml.time - pd_engine_wall_offset(&d->engine);
		if (at < d->journal_last)
			at = d->journal_last;
		if (at > now)
			at = now;
		d->journal_last = at;
	}
	pd_engine_event(&d->engine, type, &ml.client, ml.reason, at);
}

static void
maillog_line_cb(void *arg, const char *line, size_t len)
{
	count_line(arg, line, len, false);
}

static void
journal_line_cb(void *arg, const char *line, size_t len)
{
	count_line(arg, line, len, true);
}

/*
 * maillog_pos_file - where the maillog position (a file's, or the
 * journal's cursor) is kept, or NULL
 */
static const char *
maillog_pos_file(const struct pd_daemon *d, char *buf, size_t len)
{
	if (*d->conf->state_file == '\0')
		return NULL;
	if ((size_t)snprintf(buf, len, "%s.%s", d->conf->state_file,
		d->journaling ? "journal" : "maillog") >= len) {
		pd_log_err("state_file %s: path too long to keep the maillog "
			   "position beside it",
		    d->conf->state_file);
		return NULL;
	}
	return buf;
}

/*
 * start_journal - follow the journal from the saved cursor, or with
 * none from the longest window of the maillog rules ago: what still
 * counts toward them
 */
static int
start_journal(struct pd_daemon *d)
{
	const struct pd_strlist *u = &d->conf->maillog_unit;
	struct pd_err		 err;
	const char		*pf, *path;
	char			 buf[PATH_MAX], *cursor = NULL;
	int64_t			 start;

	d->journaling = true;
	pd_conf_maillog_journal(d->conf, &path);
	if ((pf = maillog_pos_file(d, buf, sizeof(buf))) != NULL &&
	    pd_sdj_cursor_load(pf, &cursor, &err) < 0)
		pd_log_warnx("%s; reading the journal from the longest "
			     "window ago",
		    err.msg);
	start = pd_clock_now() + pd_engine_wall_offset(&d->engine) -
	    pd_conf_maillog_window(d->conf);
	d->journal_last = 0;
	if (pd_sdj_init(&d->sdj, path, u->v, u->n, cursor, start,
		journal_line_cb, d, &err) < 0 ||
	    pd_sdj_start(&d->sdj, d->loop) < 0) {
		free(cursor);
		pd_log_err("maillog %s: %s", d->conf->maillog, err.msg);
		d->journaling = false;
		return -1;
	}
	free(cursor);
	return 0;
}

void
daemon_drain_journal(struct pd_daemon *d)
{
	/* Bounded: a journal written faster than read must not hang a stop. */
	for (int i = 0; d->journaling && i < 100; i++)
		if (pd_sdj_read(&d->sdj, PD_SDJ_DRAIN) < PD_SDJ_DRAIN)
			break;
}

/* daemon_start_maillog - follow the maillog from where the last run stopped */
int
daemon_start_maillog(struct pd_daemon *d)
{
	struct pd_tail_pos pos;
	struct pd_err	   err;
	const char	  *pf;
	char		   buf[PATH_MAX];
	int		   have = 0;

	if (*d->conf->maillog == '\0') {
		if (pd_conf_needs_maillog(d->conf))
			pd_log_warnx("rules count maillog events, but no "
				     "maillog is set: they will never trigger");
		return 0;
	}
	if (pd_conf_maillog_journal(d->conf, NULL))
		return start_journal(d);
	if ((pf = maillog_pos_file(d, buf, sizeof(buf))) != NULL &&
	    (have = pd_tail_pos_load(pf, &pos, &err)) < 0) {
		pd_log_warnx("%s; reading the maillog from its end", err.msg);
		have = 0;
	}
	if (pd_tail_init(&d->tail, d->conf->maillog, have ? &pos : NULL,
		maillog_line_cb, d, &err) < 0 ||
	    pd_tail_start(&d->tail, d->loop, 500) < 0) {
		pd_log_err("maillog %s: %s", d->conf->maillog, err.msg);
		return -1;
	}
	d->tailing = true;
	if (d->tail.fd < 0)
		pd_log_warnx("maillog %s: not there yet; reading it once it "
			     "appears",
		    d->conf->maillog);
	return 0;
}

/* save_maillog_pos - keep the position with the counters it fed */
static int
save_maillog_pos(struct pd_daemon *d)
{
	struct pd_tail_pos pos;
	struct pd_err	   err;
	char		   buf[PATH_MAX];
	const char	  *pf;

	if ((!d->tailing && !d->journaling) ||
	    (pf = maillog_pos_file(d, buf, sizeof(buf))) == NULL)
		return 0;
	/* In the snapshot child too: the cursor is a copy, not sd_journal. */
	if (d->journaling) {
		if (pd_sdj_cursor(&d->sdj) == NULL)
			return 0;
		if (pd_sdj_cursor_save(pf, pd_sdj_cursor(&d->sdj), &err) < 0) {
			pd_log_err("state: %s", err.msg);
			return -1;
		}
		return 0;
	}
	pd_tail_position(&d->tail, &pos);
	if (pd_tail_pos_save(pf, &pos, &err) < 0) {
		pd_log_warnx("state: %s", err.msg);
		return -1;
	}
	return 0;
}

/*
 * saved - count a save that ended: taken is when its snapshot was
 * taken.  A failure is a warning, not an error: policyd goes on
 * serving, but what it learns is lost at the next restart.
 */
static void
saved(struct pd_daemon *d, bool ok, int64_t taken)
{
	if (ok) {
		d->saves++;
		d->saved_at = taken;
		return;
	}
	d->save_failures++;
	pd_log_warnx("state: saving %s failed (%" PRIu64 " failures since "
		     "start); the previous snapshot is kept, and blocks and "
		     "counters learnt since are lost at a restart",
	    d->conf->state_file, d->save_failures);
}

/* daemon_reap_saver - collect the snapshot child, blocking if asked */
void
daemon_reap_saver(struct pd_daemon *d, bool wait)
{
	int status;

	if (d->saver <= 0 ||
	    waitpid(d->saver, &status, wait ? 0 : WNOHANG) == 0)
		return;
	saved(d, WIFEXITED(status) && WEXITSTATUS(status) == 0, d->saver_began);
	d->saver = 0;
}

int
pd_daemon_save(struct pd_daemon *d, bool background)
{
	const char *path = d->conf->state_file;
	int64_t	    now = pd_clock_now(),
		wall = now + pd_engine_wall_offset(&d->engine);
	struct pd_err err;
	int	      rc;

	if (*path == '\0')
		return 0;
	if (background) {
		if (d->saver > 0)
			return 0; /* the last one is still writing */
		if ((d->saver = fork()) < 0) {
			d->saver = 0;
			pd_log_warn("state: cannot fork to save");
			saved(d, false, wall);
			return -1;
		}
		if (d->saver > 0) {
			d->saver_began = wall;
			return 0;
		}
		/* Child: a copy-on-write view of the store, frozen now. */
		rc = pd_state_save(pd_engine_counters(&d->engine), path, now,
		    pd_engine_wall_offset(&d->engine), &err);
		if (rc < 0)
			pd_log_warnx("state: %s", err.msg);
		else
			rc = save_maillog_pos(d);
		_exit(rc < 0);
	}
	daemon_reap_saver(d, true);
	if (pd_state_save(pd_engine_counters(&d->engine), path, now,
		pd_engine_wall_offset(&d->engine), &err) < 0) {
		pd_log_warnx("state: %s", err.msg);
		saved(d, false, wall);
		return -1;
	}
	saved(d, save_maillog_pos(d) == 0, wall);
	pd_log_info("state: saved %zu counters to %s",
	    pd_counters_size(pd_engine_counters(&d->engine)), path);
	return 0;
}

/* daemon_load_state - restore the snapshot; a damaged one is moved aside */
void
daemon_load_state(struct pd_daemon *d)
{
	const char	    *path = d->conf->state_file;
	struct pd_state_info info;
	struct pd_err	     err;
	char		     aside[PATH_MAX];

	if (*path == '\0')
		return;
	if (pd_state_load(pd_engine_counters(&d->engine), path,
		pd_engine_wall_offset(&d->engine), &info, &err) == 0) {
		if (info.saved_at)
			pd_log_info("state: loaded %" PRIu64
				    " counters from %s "
				    "(%" PRIu64
				    " of changed or removed rules dropped)",
			    info.loaded, path, info.dropped);
		if (info.converted)
			pd_log_info("state: %" PRIu64 " counts of an older "
				    "snapshot format converted: each old "
				    "bucket is counted at its middle",
			    info.converted);
		return;
	}
	if (pd_state_move_aside(path, pd_clock_now(), aside, sizeof(aside),
		&err) == 0)
		pd_log_err("state: %s; moved it to %s and started with "
			   "empty counters",
		    err.msg, aside);
	else
		pd_log_err("state: %s; starting with empty counters", err.msg);
}
