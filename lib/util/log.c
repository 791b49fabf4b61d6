/* SPDX-License-Identifier: ISC */
/*
 * log - syslog and stderr output behind one small API.
 *
 * Global by nature, as syslog itself is: one process has one log.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static struct {
	bool	       syslog;
	bool	       stderr;
	bool	       journal; /* stderr with <N> priority prefixes */
	bool	       debug;
	pd_log_sink_cb sink;
	void	      *arg;
} lg = { .stderr = true };

void
pd_log_open(const char *ident, int facility, bool to_syslog, bool to_stderr)
{
	lg.syslog = to_syslog;
	lg.stderr = to_stderr;
	lg.journal = false;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

void
pd_log_open_journal(void)
{
	lg.syslog = false;
	lg.stderr = true;
	lg.journal = true;
}

void
pd_log_set_sink(pd_log_sink_cb fn, void *arg)
{
	lg.sink = fn;
	lg.arg = arg;
}

void
pd_log_set_debug(bool on)
{
	lg.debug = on;
}

static void
log_emit(enum pd_log_level level, int errnum, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *tag[] = { "error: ", "warning: ", "", "debug: " };
	char		   line[2048];
	int		   n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, ": %s",
		    strerror(errnum));
	if (lg.sink) {
		lg.sink(lg.arg, level, line);
		return;
	}
	if (lg.syslog)
		syslog(prio[level], "%s%s", tag[level], line);
	/* The journal names the program; "<3>" gives it the priority. */
	if (lg.stderr && lg.journal)
		fprintf(stderr, "<%d>%s%s\n", prio[level], tag[level], line);
	else if (lg.stderr)
		fprintf(stderr, "policyd: %s%s\n", tag[level], line);
}

#define LOG_FN(name, level, witherr)                               \
	void name(const char *fmt, ...)                            \
	{                                                          \
		int	saved = errno;                             \
		va_list ap;                                        \
                                                                   \
		if ((level) == PD_LOG_DEBUG && !lg.debug)          \
			return;                                    \
		va_start(ap, fmt);                                 \
		log_emit((level), (witherr) ? saved : 0, fmt, ap); \
		va_end(ap);                                        \
		errno = saved;                                     \
	}

LOG_FN(pd_log_err, PD_LOG_ERR, 0)
LOG_FN(pd_log_warn, PD_LOG_WARNING, 1)
LOG_FN(pd_log_warnx, PD_LOG_WARNING, 0)
LOG_FN(pd_log_info, PD_LOG_INFO, 0)
LOG_FN(pd_log_debug, PD_LOG_DEBUG, 0)
