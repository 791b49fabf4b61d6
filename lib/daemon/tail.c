/* SPDX-License-Identifier: ISC */
/*
 * tail - a polling log follower.
 *
 * Polling (a stat and a read every interval) rather than inotify: it
 * sees rotation, truncation and files on any file system the same way,
 * and a log file that grows by some lines a second costs nothing worth
 * an event mechanism.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "file.h"
#include "tail.h"

static bool tail_open(struct pd_tail *, bool);

int
pd_tail_init(struct pd_tail *t, const char *path,
    const struct pd_tail_pos *resume, pd_tail_line_cb cb, void *arg,
    struct pd_err *err)
{
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	if ((t->path = strdup(path)) == NULL)
		return pd_err_set(err, "out of memory");
	pd_buf_init(&t->partial, PD_TAIL_LINE_MAX);
	if (resume) {
		t->resume = *resume;
		t->have_resume = true;
	}
	t->cb = cb;
	t->arg = arg;
	/*
	 * Where reading starts is fixed now, not at the first poll.  A file
	 * that does not exist yet is read from its start once it appears.
	 */
	if (!tail_open(t, false) && !t->have_resume) {
		t->have_resume = true;
		memset(&t->resume, 0, sizeof(t->resume));
	}
	return 0;
}

/* tail_open - open the file now at path, at where reading must start */
static bool
tail_open(struct pd_tail *t, bool rotated)
{
	struct stat st;
	off_t	    start = 0;
	int	    fd;

	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return false;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return false;
	}
	if (!rotated) {
		if (t->have_resume && t->resume.dev == (uint64_t)st.st_dev &&
		    t->resume.ino == (uint64_t)st.st_ino &&
		    t->resume.off <= (uint64_t)st.st_size)
			start = (off_t)t->resume.off;
		else if (!t->have_resume)
			start = st.st_size; /* first start: no history */
		/* A resume for another file: it was rotated; read it all. */
	}
	if (lseek(fd, start, SEEK_SET) < 0) {
		close(fd);
		return false;
	}
	t->fd = fd;
	t->pos.dev = (uint64_t)st.st_dev;
	t->pos.ino = (uint64_t)st.st_ino;
	t->pos.off = (uint64_t)start;
	t->have_resume = false;
	pd_buf_reset(&t->partial);
	return true;
}

/* tail_lines - hand over the complete lines in buf, keep the rest */
static size_t
tail_lines(struct pd_tail *t, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;
	size_t	    n = 0, l, room;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		l = (size_t)(nl - p);
		if (t->partial_bytes > 0) {
			/* A line longer than PD_TAIL_LINE_MAX is handed over cut. */
			room = PD_TAIL_LINE_MAX - t->partial.len;
			pd_buf_append(&t->partial, p, l < room ? l : room);
			t->cb(t->arg, t->partial.data, t->partial.len);
		} else {
			t->cb(t->arg, p,
			    l < PD_TAIL_LINE_MAX ? l : PD_TAIL_LINE_MAX);
		}
		t->pos.off += t->partial_bytes + l + 1;
		t->partial_bytes = 0;
		pd_buf_reset(&t->partial);
		t->stats.lines++;
		n++;
		p = nl + 1;
	}
	if (p < end) {
		l = (size_t)(end - p);
		room = PD_TAIL_LINE_MAX - t->partial.len;
		pd_buf_append(&t->partial, p, l < room ? l : room);
		t->partial_bytes += l;
	}
	return n;
}

/* tail_switched - the path now names another file than the one open */
static bool
tail_switched(const struct pd_tail *t)
{
	struct stat st;

	if (stat(t->path, &st) < 0)
		return false; /* gone: rotated, the new one not there yet */
	return (uint64_t)st.st_ino != t->pos.ino ||
	    (uint64_t)st.st_dev != t->pos.dev;
}

size_t
pd_tail_poll(struct pd_tail *t)
{
	char	    buf[65536];
	struct stat st;
	size_t	    n = 0, total = 0;
	ssize_t	    r;

	if (t->fd < 0 && !tail_open(t, false))
		return 0;
	/* Shorter than what was read: truncated (or copytruncate). */
	if (fstat(t->fd, &st) == 0 &&
	    (uint64_t)st.st_size < t->pos.off + t->partial_bytes) {
		t->stats.truncations++;
		lseek(t->fd, 0, SEEK_SET);
		t->pos.off = 0;
		t->partial_bytes = 0;
		pd_buf_reset(&t->partial);
	}
	while (total < PD_TAIL_POLL_MAX) {
		r = read(t->fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!tail_switched(t))
				break;
			/*
			 * Rotated and read to its end: a last line without
			 * its newline is complete now, then the new file.
			 */
			if (t->partial_bytes > 0)
				n += tail_lines(t, "\n", 1);
			close(t->fd);
			t->fd = -1;
			t->stats.rotations++;
			if (!tail_open(t, true))
				break;
			continue;
		}
		t->stats.bytes += (uint64_t)r;
		total += (size_t)r;
		n += tail_lines(t, buf, (size_t)r);
	}
	return n;
}

void
pd_tail_position(const struct pd_tail *t, struct pd_tail_pos *pos)
{
	if (t->fd < 0 && t->have_resume)
		*pos = t->resume;
	else
		*pos = t->pos;
}

static void
tail_timer_cb(uv_timer_t *timer)
{
	pd_tail_poll(timer->data);
}

int
pd_tail_start(struct pd_tail *t, uv_loop_t *loop, uint64_t interval)
{
	if (uv_timer_init(loop, &t->timer) != 0)
		return -1;
	t->timer.data = t;
	t->timer_on = true;
	pd_tail_poll(t);
	uv_timer_start(&t->timer, tail_timer_cb, interval, interval);
	uv_unref((uv_handle_t *)&t->timer);
	return 0;
}

void
pd_tail_clear(struct pd_tail *t)
{
	if (t->timer_on) {
		uv_close((uv_handle_t *)&t->timer, NULL);
		t->timer_on = false;
	}
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	pd_buf_clear(&t->partial);
	free(t->path);
	t->path = NULL;
}

int
pd_tail_pos_save(const char *file, const struct pd_tail_pos *pos,
    struct pd_err *err)
{
	return pd_file_replace(file, err,
	    "policyd-maillog-position 1 %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
	    pos->dev, pos->ino, pos->off);
}

int
pd_tail_pos_load(const char *file, struct pd_tail_pos *pos, struct pd_err *err)
{
	char  line[256], extra;
	FILE *fp;
	int   v;

	if ((fp = fopen(file, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		return pd_err_set(err, "%s: %s", file, strerror(errno));
	}
	if (fgets(line, sizeof(line), fp) == NULL ||
	    sscanf(line,
		"policyd-maillog-position %d %" SCNu64 " %" SCNu64 " %" SCNu64
		" %c",
		&v, &pos->dev, &pos->ino, &pos->off, &extra) != 4 ||
	    v != 1) {
		fclose(fp);
		return pd_err_set(err, "%s: not a maillog position", file);
	}
	fclose(fp);
	return 1;
}
