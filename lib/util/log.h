/* SPDX-License-Identifier: ISC */
/*
 * log - one logging API for the daemon and the library.
 *
 * Lines go to a sink: syslog (facility mail, ident policyd) and/or
 * stderr by default, or a function set with pd_log_set_sink() so tests
 * can capture and assert on them.  pd_log_warn() appends strerror(errno),
 * pd_log_warnx() does not (as BSD err(3)).  Peer text never goes into a
 * format string: build decision lines with pd_buf_kv().
 */
#ifndef PD_LOG_H
#define PD_LOG_H

#include <stdbool.h>

enum pd_log_level {
	PD_LOG_ERR,
	PD_LOG_WARNING,
	PD_LOG_INFO,
	PD_LOG_DEBUG,
};

typedef void (*pd_log_sink_cb)(void *arg, enum pd_log_level, const char *line);

/* pd_log_open - log to syslog with ident/facility, and to stderr if asked */
void pd_log_open(const char *ident, int facility, bool syslog, bool stderr);
/*
 * pd_log_open_journal - stderr alone, each line with the "<N>" prefix
 * by which systemd's journal takes its priority (sd-daemon(3))
 */
void pd_log_open_journal(void);
/* pd_log_set_sink - send every line to fn instead (NULL restores) */
void pd_log_set_sink(pd_log_sink_cb fn, void *arg);
void pd_log_set_debug(bool);

void pd_log_err(const char *, ...) __attribute__((format(printf, 1, 2)));
void pd_log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void pd_log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void pd_log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void pd_log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
