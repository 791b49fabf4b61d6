/* SPDX-License-Identifier: ISC */
/*
 * state - binary snapshots of the counter store.
 *
 * Layout, all integers little-endian as this machine writes them (the
 * file is a cache of one host's state, not an exchange format):
 *
 *	"PDSTATE\0" u32 version u32 nslots i64 saved_at
 *	nslots x { u16 slot, u8 namelen, name, u32 sig, i64 window }
 *	counters: { u16 slot, u16 keylen, key, i64 first, last, since,
 *	            until, u32 hits, u8 flags, struct window,
 *	            u16 notelen, note }
 *	end marker u16 0xffff, u64 count, u64 FNV-1a of all before
 *
 * Older files still load: version 1 has no notes, and versions 1 and 2
 * hold the window of policyd 0.1 (struct window_v2); its counts are
 * converted to today's window.  Times are stored
 * on the wall clock and counted on policyd's (clock.h): saving adds the
 * offset between the two, loading takes it off, so a block keeps its
 * end on the wall clock across a restart even when the wall clock
 * stepped while policyd ran.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "str.h"
#include "counter.h"
#include "state.h"

#define MAGIC	 "PDSTATE" /* 8 bytes with the NUL */
#define VERSION	 3
#define END_MARK 0xffff

/*
 * The window of versions 1 and 2: twelve buckets of ceil(W / 12) and
 * the one filling, counting events for W to W + W/12.
 */
#define V2_BUCKETS 12
struct window_v2 {
	int64_t	 head;
	uint32_t n[V2_BUCKETS + 1];
	uint32_t pad;
};

struct writer {
	FILE			 *fp;
	uint64_t		  hash;
	bool			  failed;
	int64_t			  wall; /* policyd's time to the wall clock */
	const struct pd_counters *s;
};

static void
w_put(struct writer *w, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		w->hash ^= b[i];
		w->hash *= 0x100000001b3ULL;
	}
	if (fwrite(p, 1, n, w->fp) != n)
		w->failed = true;
}

static void
w_counter(struct writer *w, const struct pd_counter *c)
{
	uint16_t       slot = c->slot, klen, nlen;
	const uint8_t *key;
	size_t	       len;

	struct pd_window win = c->win;
	int64_t		 t[4] = { c->first + w->wall, c->last + w->wall,
		 c->since ? c->since + w->wall : 0,
		 c->since ? c->until + w->wall : 0 };

	key = pd_counter_key(c, &len);
	klen = (uint16_t)len;
	pd_window_shift(&win, w->s->slots[c->slot].window, w->wall);
	w_put(w, &slot, sizeof(slot));
	w_put(w, &klen, sizeof(klen));
	w_put(w, key, len);
	w_put(w, t, sizeof(t));
	w_put(w, &c->hits, sizeof(c->hits));
	w_put(w, &c->flags, sizeof(c->flags));
	w_put(w, &win, sizeof(win));
	len = c->note ? strlen(c->note) : 0;
	nlen = (uint16_t)(len > PD_STATE_NOTE_MAX ? PD_STATE_NOTE_MAX : len);
	w_put(w, &nlen, sizeof(nlen));
	w_put(w, c->note ? c->note : "", nlen);
}

static uint64_t
w_list(struct writer *w, const struct pd_list *head)
{
	const struct pd_list *l;
	uint64_t	      n = 0;

	/* Oldest first: loading pushes each to the head, restoring order. */
	for (l = head->prev; l != head; l = l->prev, n++)
		w_counter(w, pd_list_entry(l, const struct pd_counter, link));
	return n;
}

int
pd_state_save(const struct pd_counters *s, const char *path, int64_t now,
    int64_t wall, struct pd_err *err)
{
	struct writer w = { .hash = 0xcbf29ce484222325ULL,
		.wall = wall,
		.s = s };
	char	      tmp[4096];
	uint32_t      version = VERSION, nslots = 0;
	uint16_t      end = END_MARK;
	uint64_t      count = 0, hash;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return pd_err_set(err, "%s: path too long", path);
	if ((w.fp = fopen(tmp, "w")) == NULL)
		return pd_err_set(err, "%s: %s", tmp, strerror(errno));
	for (size_t i = 0; i < s->nslots; i++)
		nslots += s->slots[i].name[0] != '\0';
	w_put(&w, MAGIC, 8);
	w_put(&w, &version, sizeof(version));
	w_put(&w, &nslots, sizeof(nslots));
	now += wall;
	w_put(&w, &now, sizeof(now));
	for (size_t i = 0; i < s->nslots; i++) {
		const struct pd_counter_slot *sl = &s->slots[i];
		uint16_t		      id = (uint16_t)i;
		uint8_t			      nl = (uint8_t)strlen(sl->name);

		if (nl == 0)
			continue;
		w_put(&w, &id, sizeof(id));
		w_put(&w, &nl, 1);
		w_put(&w, sl->name, nl);
		w_put(&w, &sl->sig, sizeof(sl->sig));
		w_put(&w, &sl->window, sizeof(sl->window));
	}
	for (size_t i = 0; i < s->nslots; i++)
		count += w_list(&w, &s->slots[i].lru);
	count += w_list(&w, &s->blocked);
	w_put(&w, &end, sizeof(end));
	w_put(&w, &count, sizeof(count));
	hash = w.hash;
	w_put(&w, &hash, sizeof(hash));
	if (fflush(w.fp) != 0 || w.failed || fsync(fileno(w.fp)) != 0) {
		pd_err_set(err, "%s: %s", tmp, strerror(errno ? errno : EIO));
		fclose(w.fp);
		unlink(tmp);
		return -1;
	}
	if (fclose(w.fp) != 0) {
		pd_err_set(err, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		pd_err_set(err, "rename %s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* A snapshot is read whole into memory and parsed from there. */
struct reader {
	const uint8_t *p, *end;
	bool	       short_read;
};

static bool
r_get(struct reader *r, void *dst, size_t n)
{
	if ((size_t)(r->end - r->p) < n) {
		r->short_read = true;
		return false;
	}
	memcpy(dst, r->p, n);
	r->p += n;
	return true;
}

/* r_window - a counter's window as the file's version stores it */
static bool
r_window(struct reader *r, uint32_t version, struct pd_window *w,
    struct window_v2 *old)
{
	if (version >= 3)
		return r_get(r, w, sizeof(*w));
	return r_get(r, old, sizeof(*old));
}

/*
 * window_convert - put the counts of a version 2 window into w, each
 * bucket's at its middle, mapped from the wall clock; true if any
 */
static bool
window_convert(struct pd_window *w, const struct window_v2 *old, int64_t len,
    int64_t wall)
{
	int64_t width = (len + V2_BUCKETS - 1) / V2_BUCKETS;
	bool	any = false;

	pd_window_reset(w);
	if (old->head < INT64_MIN / width + V2_BUCKETS ||
	    old->head > INT64_MAX / width - 1)
		return false;
	for (int64_t b = old->head - V2_BUCKETS; b <= old->head; b++) {
		int64_t	 i = b % (V2_BUCKETS + 1);
		uint32_t n = old->n[i < 0 ? i + V2_BUCKETS + 1 : i];

		if (n > 0) {
			pd_window_add(w, len, b * width + width / 2 - wall, n);
			any = true;
		}
	}
	return any;
}

/* map_file - the snapshot mapped read-only; NULL with no error if absent */
static uint8_t *
map_file(const char *path, size_t *len, struct pd_err *err)
{
	struct stat st;
	void	   *p;
	int	    fd;

	if ((fd = open(path, O_RDONLY)) < 0) {
		if (errno != ENOENT)
			pd_err_set(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		pd_err_set(err, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (st.st_size == 0) {
		close(fd);
		pd_err_set(err, "%s: not a policyd state file", path);
		return NULL;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		pd_err_set(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
	*len = (size_t)st.st_size;
	return p;
}

static uint64_t
fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* state_check_file - header, end marker and checksum, checked first */
static int
state_check_file(const uint8_t *buf, size_t len, const char *path,
    uint32_t *version, struct pd_err *err)
{
	uint64_t want;

	if (len < 8 + 4 + 4 + 8 + 2 + 8 + 8 || memcmp(buf, MAGIC, 8) != 0)
		return pd_err_set(err, "%s: not a policyd state file", path);
	memcpy(version, buf + 8, 4);
	if (*version < 1)
		return pd_err_set(err,
		    "%s: state version 0 is not one policyd "
		    "ever wrote",
		    path);
	if (*version > VERSION)
		return pd_err_set(err,
		    "%s: state version %" PRIu32 " is newer than this "
		    "policyd reads (1 to %d)",
		    path, *version, VERSION);
	memcpy(&want, buf + len - 8, 8);
	if (fnv(buf, len - 8) != want)
		return pd_err_set(err,
		    "%s: checksum mismatch (truncated or "
		    "damaged)",
		    path);
	return 0;
}

int
pd_state_load(struct pd_counters *s, const char *path, int64_t wall,
    struct pd_state_info *info, struct pd_err *err)
{
	struct reader r;
	int	      map[PD_COUNTER_SLOTS];
	uint32_t      nslots = 0, version = 0;
	uint64_t      count = 0, want = 0;
	size_t	      len = 0;
	uint8_t	     *buf;

	memset(info, 0, sizeof(*info));
	err->msg[0] = '\0';
	if ((buf = map_file(path, &len, err)) == NULL)
		return err->msg[0] ? -1 : 0; /* no file: start empty */
	if (state_check_file(buf, len, path, &version, err) < 0) {
		munmap(buf, len);
		return -1;
	}
	memcpy(&want, buf + len - 16, 8);
	pd_keytab_reserve(&s->tab, pd_counters_size(s) + (size_t)want);
	r.p = buf + 12;
	r.end = buf + len - 8;
	r.short_read = false;
	r_get(&r, &nslots, 4);
	r_get(&r, &info->saved_at, 8);
	for (size_t i = 0; i < PD_COUNTER_SLOTS; i++)
		map[i] = -1;
	for (uint32_t i = 0; i < nslots && !r.short_read; i++) {
		char	 name[PD_COUNTER_NAME_MAX + 1] = "";
		uint16_t id = 0;
		uint8_t	 nl = 0;
		uint32_t sig = 0;
		int64_t	 window = 0;

		r_get(&r, &id, 2);
		r_get(&r, &nl, 1);
		if (nl > PD_COUNTER_NAME_MAX || id >= PD_COUNTER_SLOTS)
			break;
		r_get(&r, name, nl);
		r_get(&r, &sig, 4);
		r_get(&r, &window, 8);
		for (size_t j = 0; j < s->nslots; j++)
			if (s->slots[j].live &&
			    strcmp(s->slots[j].name, name) == 0 &&
			    s->slots[j].sig == sig &&
			    s->slots[j].window == window)
				map[id] = (int)j;
	}
	for (;;) {
		uint8_t		  key[PD_KEYTAB_KEY_MAX];
		char		  note[PD_STATE_NOTE_MAX + 1] = "";
		uint16_t	  slot, klen, nlen = 0;
		struct pd_counter tmp, *c;
		struct window_v2  old;

		if (!r_get(&r, &slot, 2) || slot == END_MARK)
			break;
		if (!r_get(&r, &klen, 2) || klen > sizeof(key) - 2 ||
		    !r_get(&r, key, klen) || !r_get(&r, &tmp.first, 8) ||
		    !r_get(&r, &tmp.last, 8) || !r_get(&r, &tmp.since, 8) ||
		    !r_get(&r, &tmp.until, 8) || !r_get(&r, &tmp.hits, 4) ||
		    !r_get(&r, &tmp.flags, 1) ||
		    !r_window(&r, version, &tmp.win, &old))
			break;
		if (version >= 2 &&
		    (!r_get(&r, &nlen, 2) || nlen > PD_STATE_NOTE_MAX ||
			!r_get(&r, note, nlen)))
			break;
		count++;
		if (slot >= PD_COUNTER_SLOTS || map[slot] < 0) {
			info->dropped++;
			continue;
		}
		if ((c = pd_counters_add(s, map[slot], key, klen,
			 tmp.last - wall)) == NULL) {
			info->dropped++;
			continue;
		}
		/* Saved on the wall clock; counted on policyd's. */
		c->first = tmp.first - wall;
		c->last = tmp.last - wall;
		c->hits = tmp.hits;
		if (version >= 3) {
			c->win = tmp.win;
			pd_window_shift(&c->win, s->slots[map[slot]].window,
			    -wall);
		} else if (window_convert(&c->win, &old,
			       s->slots[map[slot]].window, wall)) {
			info->converted++;
		}
		if (tmp.since) {
			pd_counters_block(s, c, tmp.since - wall,
			    tmp.until - wall, tmp.flags);
			if (nlen > 0)
				pd_counters_note(c, note);
		}
		info->loaded++;
	}
	/* The checksum held, so a bad count means a bug, not damage. */
	if (r.short_read || !r_get(&r, &want, 8) || want != count) {
		munmap(buf, len);
		return pd_err_set(err, "%s: inconsistent snapshot", path);
	}
	munmap(buf, len);
	return 0;
}

int
pd_state_move_aside(const char *path, int64_t now, char *newpath, size_t len,
    struct pd_err *err)
{
	char	  stamp[32];
	time_t	  t = (time_t)(now / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if ((size_t)snprintf(newpath, len, "%s.bad-%s", path, stamp) >= len)
		return pd_err_set(err, "%s: path too long", path);
	if (rename(path, newpath) != 0)
		return pd_err_set(err, "rename %s: %s", path, strerror(errno));
	return 0;
}
