/* SPDX-License-Identifier: ISC */
/*
 * sdjournal - sd_journal on libuv.
 *
 * libsystemd gives an inotify descriptor (sd_journal_get_fd) and, for
 * file systems where that is not enough, a deadline
 * (sd_journal_get_timeout).  The descriptor goes into a uv_poll, the
 * deadline into a uv_timer; either wakes sdj_wake(), which calls
 * sd_journal_process() (it takes in new, rotated and vacuumed files)
 * and reads at most PD_SDJ_DRAIN entries.  A longer backlog is read on
 * the next turns of the loop, with replies in between.  Every result of
 * sd_journal_process() (APPEND, INVALIDATE) is just "read on": a reader
 * that only goes forward may do so (sd_journal_get_fd(3)).
 *
 * Matches are exact FIELD=value, so the units are matched by the
 * journal and Postfix's program names, whatever its syslog_name, here.
 */
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef PD_HAVE_SYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "err.h"
#include "file.h"
#include "log.h"
#include "sdjournal.h"

#define RETRY_MS 5000 /* the journal could not be opened: try again */
#define IDLE_MS	 1000 /* at the latest, look again after this */

#ifdef PD_HAVE_SYSTEMD

static void sdj_arm(struct pd_sdj *, uint64_t ms);

int
pd_sdj_init(struct pd_sdj *s, const char *path, char *const *units,
    size_t nunits, const char *cursor, int64_t start, pd_sdj_line_cb cb,
    void *arg, struct pd_err *err)
{
	memset(s, 0, sizeof(*s));
	pd_buf_init(&s->line, PD_SDJ_LINE_MAX + 512);
	s->cb = cb;
	s->arg = arg;
	s->start = start;
	if (path != NULL && (s->path = strdup(path)) == NULL)
		goto nomem;
	if (cursor != NULL && (s->cursor = strdup(cursor)) == NULL)
		goto nomem;
	if (nunits > 0 &&
	    (s->units = calloc(nunits, sizeof(*s->units))) == NULL)
		goto nomem;
	for (; s->nunits < nunits; s->nunits++)
		if ((s->units[s->nunits] = strdup(units[s->nunits])) == NULL)
			goto nomem;
	snprintf(s->why, sizeof(s->why), "not opened yet");
	return 0;
nomem:
	pd_sdj_clear(s);
	return pd_err_set(err, "out of memory");
}

/* sdj_name - the journal, as messages name it */
static const char *
sdj_name(const struct pd_sdj *s)
{
	return s->path ? s->path : "the system journal";
}

/* sdj_match - the units, or'ed: one field's matches are alternatives */
static int
sdj_match(struct pd_sdj *s)
{
	char m[512];
	int  r;

	for (size_t i = 0; i < s->nunits; i++) {
		if ((size_t)snprintf(m, sizeof(m), "_SYSTEMD_UNIT=%s",
			s->units[i]) >= sizeof(m))
			return -ENAMETOOLONG;
		if ((r = sd_journal_add_match(s->j, m, 0)) < 0)
			return r;
	}
	return 0;
}

/*
 * sdj_seek - where the last run stopped, or s->start.  On the saved
 * entry, it was read: go on after it.  On another, the saved one is
 * gone (vacuumed, or its file rotated away unread): this one is unread,
 * and what lay between is lost.
 */
static int
sdj_seek(struct pd_sdj *s)
{
	int r;

	if (s->cursor == NULL || sd_journal_seek_cursor(s->j, s->cursor) < 0) {
		if (s->start > 0)
			return sd_journal_seek_realtime_usec(s->j,
			    (uint64_t)s->start * 1000);
		return sd_journal_seek_head(s->j);
	}
	if ((r = sd_journal_next(s->j)) <= 0)
		return r; /* nothing at or after it yet */
	if (sd_journal_test_cursor(s->j, s->cursor) > 0)
		return 0;
	s->pending = true;
	s->stats.entries++;
	s->stats.gaps++;
	pd_log_warnx("journal %s: the last entry read before is gone "
		     "(vacuumed or rotated away): entries written since may "
		     "have been lost; reading on from the next one",
	    sdj_name(s));
	return 0;
}

/* sdj_unreadable - say once why nothing can be read, and what helps */
static void
sdj_unreadable(struct pd_sdj *s, const char *why)
{
	struct passwd *pw = getpwuid(geteuid());
	bool first = s->readable || strcmp(s->why, "not opened yet") == 0;

	s->readable = false;
	snprintf(s->why, sizeof(s->why),
	    "%s as user %s: add it to the group systemd-journal", why,
	    pw ? pw->pw_name : "?");
	if (first)
		pd_log_warnx("journal %s: %s (SupplementaryGroups="
			     "systemd-journal in the unit), or follow "
			     "Postfix's maillog_file instead; the rules that "
			     "count maillog events will not trigger until then",
		    sdj_name(s), s->why);
}

int
pd_sdj_open(struct pd_sdj *s, struct pd_err *err)
{
	const char *files[2] = { s->path, NULL };
	uint64_t    bytes = 0;
	int	    r;

	if (s->path == NULL)
		r = sd_journal_open(&s->j,
		    SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
	else if ((r = sd_journal_open_directory(&s->j, s->path, 0)) == -ENOTDIR)
		r = sd_journal_open_files(&s->j, files, 0);
	if (r < 0) {
		char why[128];

		s->j = NULL;
		snprintf(why, sizeof(why), "cannot be read (%s)", strerror(-r));
		sdj_unreadable(s, why);
		return pd_err_set(err, "journal %s: %s", sdj_name(s),
		    strerror(-r));
	}
	/* Files it may not read are skipped in silence: none read, say so. */
	if (sd_journal_get_usage(s->j, &bytes) < 0 || bytes == 0)
		sdj_unreadable(s, "no journal file could be read");
	else {
		s->readable = true;
		*s->why = '\0';
	}
	if ((r = sdj_match(s)) < 0 || (r = sdj_seek(s)) < 0) {
		sd_journal_close(s->j);
		s->j = NULL;
		return pd_err_set(err, "journal %s: %s", sdj_name(s),
		    strerror(-r));
	}
	return 0;
}

/* sdj_field - the value of field in the current entry, without "NAME=" */
static bool
sdj_field(struct pd_sdj *s, const char *field, const char **v, size_t *n)
{
	const void *data;
	size_t	    len, k = strlen(field);

	if (sd_journal_get_data(s->j, field, &data, &len) < 0 || len <= k)
		return false;
	*v = (const char *)data + k + 1;
	*n = len - k - 1;
	return true;
}

/* sdj_postfix - the identifier is Postfix's: "postfix" then / or - */
static bool
sdj_postfix(const char *p, size_t n)
{
	return n > 8 && memcmp(p, "postfix", 7) == 0 &&
	    (p[7] == '/' || p[7] == '-') && memchr(p, ' ', n) == NULL;
}

/* sdj_stamp - realtime µs as RFC 3339 in UTC, as the parser reads it */
static void
sdj_stamp(struct pd_buf *b, uint64_t usec)
{
	time_t	  t = (time_t)(usec / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	pd_buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (unsigned)(usec % 1000000));
}

/* sdj_line - the current entry as a maillog line, if it is Postfix's */
static bool
sdj_line(struct pd_sdj *s)
{
	const char *id, *pid, *host, *msg, *nl;
	size_t	    nid, npid, nhost, nmsg;
	uint64_t    usec;

	if (!sdj_field(s, "SYSLOG_IDENTIFIER", &id, &nid) ||
	    !sdj_postfix(id, nid) || !sdj_field(s, "MESSAGE", &msg, &nmsg) ||
	    sd_journal_get_realtime_usec(s->j, &usec) < 0)
		return false;
	if (!sdj_field(s, "_HOSTNAME", &host, &nhost) ||
	    memchr(host, ' ', nhost) != NULL)
		host = "localhost", nhost = 9;
	/* One line per entry: a message of several lines gives its first. */
	if ((nl = memchr(msg, '\n', nmsg)) != NULL)
		nmsg = (size_t)(nl - msg);
	if (nmsg > PD_SDJ_LINE_MAX)
		nmsg = PD_SDJ_LINE_MAX;
	pd_buf_reset(&s->line);
	sdj_stamp(&s->line, usec);
	pd_buf_append(&s->line, host, nhost);
	pd_buf_putc(&s->line, ' ');
	pd_buf_append(&s->line, id, nid);
	if (sdj_field(s, "SYSLOG_PID", &pid, &npid) && npid < 12) {
		pd_buf_putc(&s->line, '[');
		pd_buf_append(&s->line, pid, npid);
		pd_buf_putc(&s->line, ']');
	}
	pd_buf_puts(&s->line, ": ");
	pd_buf_append(&s->line, msg, nmsg);
	return s->line.lost == 0;
}

/* sdj_step - on to the next entry: 1, 0 at the end, < 0 on an error */
static int
sdj_step(struct pd_sdj *s)
{
	int r;

	if (s->pending) {
		s->pending = false;
		return 1;
	}
	if ((r = sd_journal_next(s->j)) > 0)
		s->stats.entries++;
	return r;
}

/* sdj_keep_cursor - the entry read last, for the next start */
static void
sdj_keep_cursor(struct pd_sdj *s)
{
	char *c;

	if (sd_journal_get_cursor(s->j, &c) < 0)
		return;
	free(s->cursor);
	s->cursor = c;
}

ssize_t
pd_sdj_next_line(struct pd_sdj *s, const char **line)
{
	if (s->j == NULL)
		return -1;
	while (sdj_step(s) > 0) {
		if (!sdj_line(s))
			continue;
		s->stats.lines++;
		*line = s->line.data;
		return (ssize_t)s->line.len;
	}
	return -1;
}

size_t
pd_sdj_read(struct pd_sdj *s, size_t max)
{
	size_t n = 0;
	int    r = 0;

	if (s->j == NULL)
		return 0;
	while (n < max && (r = sdj_step(s)) > 0) {
		n++;
		if (!sdj_line(s))
			continue;
		s->stats.lines++;
		s->cb(s->arg, s->line.data, s->line.len);
	}
	if (n > 0)
		sdj_keep_cursor(s);
	if (r < 0) {
		/* Reopened at the cursor on the next wake. */
		pd_log_warnx("journal %s: %s; opening it again", sdj_name(s),
		    strerror(-r));
		sd_journal_close(s->j);
		s->j = NULL;
		s->stats.reopens++;
	}
	return n;
}

static void
sdj_poll_close_cb(uv_handle_t *h)
{
	struct pd_sdj *s = h->data;

	s->poll_on = false;
}

static void sdj_wake(struct pd_sdj *);

static void
sdj_poll_cb(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	sdj_wake(p->data);
}

static void
sdj_timer_cb(uv_timer_t *t)
{
	sdj_wake(t->data);
}

/* sdj_watch - the journal's descriptor in the loop, once it is open */
static void
sdj_watch(struct pd_sdj *s)
{
	int fd;

	if (s->poll_on || s->loop == NULL || (fd = sd_journal_get_fd(s->j)) < 0)
		return;
	if (uv_poll_init(s->loop, &s->poll, fd) != 0)
		return; /* the timer still wakes us */
	s->poll.data = s;
	s->poll_on = true;
	uv_poll_start(&s->poll, UV_READABLE, sdj_poll_cb);
	uv_unref((uv_handle_t *)&s->poll);
}

/* sdj_unwatch - the descriptor goes with the journal it belongs to */
static void
sdj_unwatch(struct pd_sdj *s)
{
	if (s->poll_on && !uv_is_closing((uv_handle_t *)&s->poll))
		uv_close((uv_handle_t *)&s->poll, sdj_poll_close_cb);
}

/* sdj_deadline - ms until libsystemd wants to be asked again */
static uint64_t
sdj_deadline(struct pd_sdj *s)
{
	struct timespec ts;
	uint64_t	t, now;

	if (sd_journal_get_timeout(s->j, &t) < 0 || t == (uint64_t)-1)
		return IDLE_MS;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	if (t <= now)
		return 0;
	t = (t - now + 999) / 1000;
	return t < IDLE_MS ? t : IDLE_MS;
}

static void
sdj_wake(struct pd_sdj *s)
{
	struct pd_err err;
	size_t	      n;

	if (s->j == NULL) {
		sdj_unwatch(s);
		if (pd_sdj_open(s, &err) < 0) {
			sdj_arm(s, RETRY_MS);
			return;
		}
	}
	sdj_watch(s);
	if (sd_journal_process(s->j) < 0) {
		sd_journal_close(s->j);
		s->j = NULL;
		s->stats.reopens++;
		sdj_arm(s, 0);
		return;
	}
	n = pd_sdj_read(s, PD_SDJ_DRAIN);
	if (s->j == NULL)
		sdj_arm(s, RETRY_MS);
	else
		sdj_arm(s, n == PD_SDJ_DRAIN ? 0 : sdj_deadline(s));
}

static void
sdj_arm(struct pd_sdj *s, uint64_t ms)
{
	if (s->timer_on)
		uv_timer_start(&s->timer, sdj_timer_cb, ms, 0);
}

int
pd_sdj_start(struct pd_sdj *s, uv_loop_t *loop)
{
	if (uv_timer_init(loop, &s->timer) != 0)
		return -1;
	s->loop = loop;
	s->timer.data = s;
	s->timer_on = true;
	uv_timer_start(&s->timer, sdj_timer_cb, 0, 0);
	uv_unref((uv_handle_t *)&s->timer);
	return 0;
}

void
pd_sdj_clear(struct pd_sdj *s)
{
	if (s->timer_on)
		uv_close((uv_handle_t *)&s->timer, NULL);
	s->timer_on = false;
	sdj_unwatch(s);
	if (s->j != NULL)
		sd_journal_close(s->j);
	s->j = NULL;
	for (size_t i = 0; i < s->nunits; i++)
		free(s->units[i]);
	free(s->units);
	free(s->path);
	free(s->cursor);
	s->units = NULL;
	s->nunits = 0;
	s->path = s->cursor = NULL;
	pd_buf_clear(&s->line);
}

#else /* !PD_HAVE_SYSTEMD */

int
pd_sdj_init(struct pd_sdj *s, const char *path, char *const *units,
    size_t nunits, const char *cursor, int64_t start, pd_sdj_line_cb cb,
    void *arg, struct pd_err *err)
{
	(void)path, (void)units, (void)nunits, (void)cursor, (void)start;
	(void)cb, (void)arg;
	memset(s, 0, sizeof(*s));
	return pd_err_set(err, "policyd was built without journal support");
}

int
pd_sdj_open(struct pd_sdj *s, struct pd_err *err)
{
	(void)s;
	return pd_err_set(err, "policyd was built without journal support");
}

size_t
pd_sdj_read(struct pd_sdj *s, size_t max)
{
	(void)s, (void)max;
	return 0;
}

ssize_t
pd_sdj_next_line(struct pd_sdj *s, const char **line)
{
	(void)s, (void)line;
	return -1;
}

int
pd_sdj_start(struct pd_sdj *s, uv_loop_t *loop)
{
	(void)s, (void)loop;
	return -1;
}

void
pd_sdj_clear(struct pd_sdj *s)
{
	(void)s;
}

#endif

const char *
pd_sdj_cursor(const struct pd_sdj *s)
{
	return s->cursor;
}

int
pd_sdj_cursor_save(const char *file, const char *cursor, struct pd_err *err)
{
	return pd_file_replace(file, err, "policyd-journal-cursor 1 %s\n",
	    cursor);
}

int
pd_sdj_cursor_load(const char *file, char **cursor, struct pd_err *err)
{
	static const char magic[] = "policyd-journal-cursor 1 ";
	char		  line[1024];
	size_t		  n;
	FILE		 *fp;

	if ((fp = fopen(file, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		return pd_err_set(err, "%s: %s", file, strerror(errno));
	}
	if (fgets(line, sizeof(line), fp) == NULL ||
	    strncmp(line, magic, sizeof(magic) - 1) != 0 ||
	    (n = strlen(line)) < sizeof(magic) + 1 || line[n - 1] != '\n') {
		fclose(fp);
		return pd_err_set(err, "%s: not a journal cursor", file);
	}
	fclose(fp);
	line[n - 1] = '\0';
	if ((*cursor = strdup(line + sizeof(magic) - 1)) == NULL)
		return pd_err_set(err, "out of memory");
	return 1;
}
