/* SPDX-License-Identifier: ISC */
/*
 * sdjournal - Postfix's lines from the systemd journal, on the loop.
 *
 * Not the decision journal (journal.h): this reads what systemd-journald
 * keeps.  Entries of the given units (none: every entry) whose
 * SYSLOG_IDENTIFIER is Postfix's ("postfix/smtpd",
 * "postfix/submission/smtpd", "postfix-out/cleanup") become one line
 * each, "STAMP HOST IDENT[PID]: MESSAGE", with an RFC 3339 stamp in UTC
 * made from the entry's realtime field, so the maillog parser takes
 * them as it takes a file's and the time is the journal's, not the
 * text's.
 *
 * Where reading starts: after the saved cursor (the last entry handed
 * over in an earlier run), so that a restart counts no entry twice and
 * reads what was written meanwhile; when that entry has been vacuumed,
 * at the next one after it, and the gap is counted.  With no cursor, at
 * a realtime given by the caller (0: the first entry).
 *
 * The journal is opened on the loop's first turn, not at start, so that
 * it is opened by the process and the user that read it: sd_journal is
 * not fork-safe, and policyd forks to daemonise after start and to save
 * snapshots (the child only writes pd_sdj_cursor(), a copy).
 *
 * Without libsystemd (PD_HAVE_SYSTEMD unset) every call fails with "built
 * without journal support"; the config refuses maillog = journal then.
 */
#ifndef PD_SDJOURNAL_H
#define PD_SDJOURNAL_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "buf.h"

struct pd_err;
struct sd_journal;

#define PD_SDJ_LINE_MAX 16384 /* longer messages are cut */
#define PD_SDJ_DRAIN	1000  /* entries per wake, so replies go on */

typedef void (*pd_sdj_line_cb)(void *arg, const char *line, size_t len);

struct pd_sdj_stats {
	uint64_t entries; /* read, of the units */
	uint64_t lines;	  /* of them Postfix's, handed over */
	uint64_t gaps;	  /* the saved entry was gone: some were lost */
	uint64_t reopens; /* after an error of the journal */
};

struct pd_sdj {
	struct sd_journal  *j;	  /* NULL while not open */
	char		   *path; /* NULL: the system journal; owned */
	char		  **units;
	size_t		    nunits;
	char		   *cursor;   /* of the last entry read; owned */
	int64_t		    start;    /* no cursor: realtime ms, 0: head */
	bool		    pending;  /* positioned on an unread entry */
	bool		    readable; /* some journal file could be read */
	char		    why[256]; /* when not: why, for status */
	pd_sdj_line_cb	    cb;
	void		   *arg;
	struct pd_buf	    line;
	uv_loop_t	   *loop;
	uv_poll_t	    poll;
	uv_timer_t	    timer;
	bool		    poll_on, timer_on;
	struct pd_sdj_stats stats;
};

/*
 * pd_sdj_init - read path (NULL: the local system journal; a directory
 * or a journal file) for the units (copied; nunits 0: all), from after
 * cursor (may be NULL) or else from start.  Opens nothing yet.  -1 only
 * when out of memory or built without journal support.
 */
int	    pd_sdj_init(struct pd_sdj *, const char *path, char *const *units,
	    size_t nunits, const char *cursor, int64_t start, pd_sdj_line_cb, void *arg,
	    struct pd_err *);
/*
 * pd_sdj_open - open and position the journal now (replay; the loop
 * calls it itself).  -1 with err when it cannot be opened; an open
 * journal with no file readable is not an error: see readable.
 */
int	    pd_sdj_open(struct pd_sdj *, struct pd_err *);
/* pd_sdj_read - hand over up to max entries; returns how many were read */
size_t	    pd_sdj_read(struct pd_sdj *, size_t max);
/*
 * pd_sdj_next_line - the next Postfix line, pulled (for replay): its
 * length and *line (valid until the next call), or -1 at the end
 */
ssize_t	    pd_sdj_next_line(struct pd_sdj *, const char **line);
/* pd_sdj_start - open on the loop's first turn, then follow the journal */
int	    pd_sdj_start(struct pd_sdj *, uv_loop_t *);
/* pd_sdj_cursor - the last entry read, to save; NULL when none yet */
const char *pd_sdj_cursor(const struct pd_sdj *);
/* pd_sdj_clear - stop and close; the handles are closed on the loop */
void	    pd_sdj_clear(struct pd_sdj *);

/* pd_sdj_cursor_save / load - a cursor in a small file of its own */
int pd_sdj_cursor_save(const char *file, const char *cursor, struct pd_err *);
/* 1 with *cursor (malloc'd) when loaded, 0 when no file, -1 if damaged */
int pd_sdj_cursor_load(const char *file, char **cursor, struct pd_err *);

#endif
