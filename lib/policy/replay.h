/* SPDX-License-Identifier: ISC */
/*
 * replay - run the rules over a saved maillog, with the log's own
 * timestamps, and report which keys would have been delayed or blocked,
 * when and by which rule.  Ops tune thresholds with it before going
 * live; it uses the engine that runs live, so its answers are the
 * daemon's.
 */
#ifndef PD_REPLAY_H
#define PD_REPLAY_H

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>

struct pd_conf;
struct pd_err;

struct pd_replay_stats {
	uint64_t lines;
	uint64_t events;
	uint64_t decisions;
	size_t	 near_misses;
	double	 seconds;
};

/*
 * pd_replay - read file (a maillog, "-" for standard input) through the
 * rules of conf and print each decision to out, prefixed by the time of
 * the line that caused it and followed by a line of what the lines
 * counted toward it said ("    caused by: 4 x \"User unknown in local
 * recipient table\" (550), 1 x ..."), then a summary and the near
 * misses (keys that reached PD_CAUSE_NEAR_PCT of a limit and never
 * passed it).  Traditional syslog stamps have no year: the one that
 * puts them no later than now is taken.  -1 with err when file cannot
 * be read or memory runs out.
 */
int pd_replay(const struct pd_conf *, const char *file, int64_t now, FILE *out,
    struct pd_replay_stats *, struct pd_err *);

/*
 * pd_replay_next - a source of lines: the next one (without its
 * newline) in *line, valid until the next call, and its length; -1 at
 * the end
 */
typedef ssize_t (*pd_replay_next)(void *arg, const char **line);

/*
 * pd_replay_lines - the same over the lines next gives, such as the
 * systemd journal's entries made into lines (sdjournal.h): replay
 * itself reads no journal, so it stays pure
 */
int pd_replay_lines(const struct pd_conf *, pd_replay_next, void *arg,
    int64_t now, FILE *out, struct pd_replay_stats *, struct pd_err *);

#endif
