/* SPDX-License-Identifier: ISC */
/*
 * state - snapshots of the counter store, so counters, blocks and
 * listings survive a restart.
 *
 * A snapshot is written to PATH.tmp, flushed with fsync and renamed over
 * PATH, so PATH always holds the last complete snapshot: a crash or a
 * full disk during a save leaves the old one.  The file ends with a
 * checksum; a file that is truncated, corrupt or from another version
 * is refused as a whole, never half loaded.
 *
 * Counters are stored with their rule name; at load they go back to the
 * slot of the same name when the rule still counts the same event by
 * the same key over the same window, and are dropped otherwise.
 */
#ifndef PD_STATE_H
#define PD_STATE_H

#include <stddef.h>
#include <stdint.h>

/* The longest note (an operator's reason) a snapshot keeps. */
#define PD_STATE_NOTE_MAX 1024

struct pd_counters;
struct pd_err;

struct pd_state_info {
	uint64_t loaded;    /* counters restored */
	uint64_t dropped;   /* of rules gone or changed */
	uint64_t converted; /* of them, counts from an older format */
	int64_t	 saved_at;  /* when the snapshot was written */
};

/*
 * pd_state_save - write a snapshot of s at now; -1 (old file kept) on
 * error.  wall is the wall clock minus the clock s counts on
 * (pd_clock_wall_offset()): the file holds wall-clock times.
 */
int pd_state_save(const struct pd_counters *, const char *path, int64_t now,
    int64_t wall, struct pd_err *);
/*
 * pd_state_load - restore counters from path into s.  A missing file is
 * not an error (0, nothing loaded).  -1 with err when the file is
 * unreadable or damaged; s is then unchanged.  wall as for save: the
 * file's wall-clock times are mapped back to the clock s counts on.
 */
int pd_state_load(struct pd_counters *, const char *path, int64_t wall,
    struct pd_state_info *, struct pd_err *);
/*
 * pd_state_move_aside - rename a damaged snapshot to PATH.bad-TIME so
 * that it can be looked at and is not loaded again; writes the new name.
 */
int pd_state_move_aside(const char *path, int64_t now, char *newpath,
    size_t len, struct pd_err *);

#endif
