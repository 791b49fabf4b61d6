/* SPDX-License-Identifier: ISC */
/*
 * tail - follow a log file as it grows, across rotation and truncation.
 *
 * pd_tail_poll() reads what was appended since the last call and hands
 * each complete line to the callback.  It notices
 *   - rotation by rename (the path names another file): the old file is
 *     read to its end first, then the new one from its start;
 *   - copytruncate and truncation (the file is shorter than what was
 *     read): reading starts again at 0.
 * The position (device, inode, offset of the last complete line) can be
 * saved and given back at start, so a restarted daemon neither reads a
 * line twice nor skips one written while it was down, as long as the
 * file was not rotated meanwhile.  With no saved position, reading
 * starts at the end: old history is not counted again.
 *
 * Reads are bounded per poll (PD_TAIL_POLL_MAX bytes), so a huge backlog
 * is worked off over several loop iterations without stalling replies.
 */
#ifndef PD_TAIL_H
#define PD_TAIL_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "buf.h"

struct pd_err;

#define PD_TAIL_LINE_MAX 16384 /* longer lines are cut */
#define PD_TAIL_POLL_MAX (1024 * 1024)

struct pd_tail_pos {
	uint64_t dev;
	uint64_t ino;
	uint64_t off; /* after the last complete line */
};

typedef void (*pd_tail_line_cb)(void *arg, const char *line, size_t len);

struct pd_tail_stats {
	uint64_t lines;
	uint64_t bytes;
	uint64_t rotations;
	uint64_t truncations;
};

struct pd_tail {
	char		    *path; /* owned */
	int		     fd;   /* -1 while the file is missing */
	struct pd_tail_pos   pos;
	struct pd_buf	     partial;	    /* a line without its newline yet */
	uint64_t	     partial_bytes; /* read of it, even past the cut */
	bool		     have_resume;
	struct pd_tail_pos   resume;
	pd_tail_line_cb	     cb;
	void		    *arg;
	uv_timer_t	     timer;
	bool		     timer_on;
	struct pd_tail_stats stats;
};

/*
 * pd_tail_init - follow path; resume may be NULL.  The file need not
 * exist yet.  -1 only when out of memory.
 */
int    pd_tail_init(struct pd_tail *, const char *path,
       const struct pd_tail_pos *resume, pd_tail_line_cb, void *arg,
       struct pd_err *);
/* pd_tail_poll - read what is new; returns the lines handed over */
size_t pd_tail_poll(struct pd_tail *);
/* pd_tail_position - where reading stands, to save and resume */
void   pd_tail_position(const struct pd_tail *, struct pd_tail_pos *);
/* pd_tail_start - poll every interval ms on loop */
int    pd_tail_start(struct pd_tail *, uv_loop_t *, uint64_t interval);
/* pd_tail_clear - stop, close the file; the timer is closed on loop */
void   pd_tail_clear(struct pd_tail *);

/* pd_tail_pos_save / load - a position in a small file of its own */
int pd_tail_pos_save(const char *file, const struct pd_tail_pos *,
    struct pd_err *);
/* 1 when loaded, 0 when there is no such file, -1 on a damaged one */
int pd_tail_pos_load(const char *file, struct pd_tail_pos *, struct pd_err *);

#endif
