/* SPDX-License-Identifier: ISC */
/*
 * dnscache - the answers to "does this name have an address?", kept by
 * name for their TTL, with the lookups still in flight and who waits
 * for them.
 *
 * The cache asks nothing itself: pd_dnscache_lookup() says when a query
 * must be started, and whoever asks the resolver hands the answer back
 * with pd_dnscache_settle().  Time is an argument (ms), so the cache is
 * tested with made-up clocks; it includes neither libuv nor libunbound.
 *
 * A waiter is embedded in the caller's state, as libuv embeds requests:
 * it is on no list until pd_dnscache_lookup() returns
 * PD_DNSCACHE_PENDING, then its callback runs exactly once, from
 * pd_dnscache_settle(), unless pd_dnscache_cancel() came first.  The
 * cache never frees a waiter.
 */
#ifndef PD_DNSCACHE_H
#define PD_DNSCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "keytab.h"
#include "list.h"

/* How long an answer is kept, whatever its TTL says (ms). */
#define PD_DNSCACHE_MIN_TTL	 1000
#define PD_DNSCACHE_MAX_TTL	 (86400 * 1000)
/* A failure is kept this long, so a dead resolver is not asked per mail. */
#define PD_DNSCACHE_TEMPFAIL_TTL 5000

enum pd_dnscache_status {
	PD_DNSCACHE_PENDING, /* a query is in flight */
	PD_DNSCACHE_FOUND,
	PD_DNSCACHE_NOTFOUND,
	PD_DNSCACHE_TEMPFAIL,
};

struct pd_dnscache_entry;
struct pd_dnscache_wait;

typedef void (
    *pd_dnscache_cb)(struct pd_dnscache_wait *, enum pd_dnscache_status);

struct pd_dnscache_wait {
	struct pd_list		  link;	 /* on the entry's waiters */
	struct pd_dnscache_entry *entry; /* NULL when not waiting */
	pd_dnscache_cb		  cb;
};

struct pd_dnscache_stats {
	uint64_t lookups;
	uint64_t cache_hits;
	uint64_t merged;    /* joined a query in flight */
	uint64_t tempfails; /* settled as TEMPFAIL */
};

/* Embedded by its user (the resolver), hence not opaque. */
struct pd_dnscache {
	struct pd_keytab	 tab; /* of entries, by name */
	struct pd_list		 lru; /* most recent first */
	size_t			 max;
	struct pd_dnscache_stats stats;
};

/*
 * pd_dnscache_init - an empty cache of about max entries: entries with a
 * query in flight are never evicted, so the cache may hold more while
 * many are.  Returns 0, or -1 when out of memory.
 */
int  pd_dnscache_init(struct pd_dnscache *, size_t max);
/*
 * pd_dnscache_clear - free every entry; waiters are taken off without a
 * call (cancelling them afterwards is a no-op).
 */
void pd_dnscache_clear(struct pd_dnscache *);

/*
 * pd_dnscache_lookup - the answer for name at now when the cache has a
 * live one (w is left alone).  Otherwise PD_DNSCACHE_PENDING: w waits
 * on the entry, and when no query was in flight for the name *ask is
 * set to the entry, which the caller must settle later (it is never
 * evicted before).  When the caller cannot start that query, it cancels
 * w first and settles the entry as TEMPFAIL.  An empty or over-long
 * name is PD_DNSCACHE_NOTFOUND; TEMPFAIL when out of memory.
 */
enum pd_dnscache_status pd_dnscache_lookup(struct pd_dnscache *,
    const char *name, int64_t now, struct pd_dnscache_wait *w, pd_dnscache_cb,
    struct pd_dnscache_entry **ask);
/*
 * pd_dnscache_peek - the live answer for name at now, or
 * PD_DNSCACHE_PENDING when it must be looked up; starts nothing and
 * counts only hits.
 */
enum pd_dnscache_status pd_dnscache_peek(struct pd_dnscache *, const char *name,
    int64_t now);
/*
 * pd_dnscache_settle - the answer for an entry *ask returned: kept from
 * now for ttl_ms, within the bounds above (TEMPFAIL: always 5 s), and
 * each waiter called once.  A callback may look up, cancel or evict
 * anything, this entry too: the caller must not use e afterwards.
 */
void pd_dnscache_settle(struct pd_dnscache *, struct pd_dnscache_entry *e,
    enum pd_dnscache_status, int64_t ttl_ms, int64_t now);
/* pd_dnscache_cancel - w is not called back; a no-op if not waiting */
void pd_dnscache_cancel(struct pd_dnscache_wait *w);

/* pd_dnscache_name - the name of e, NUL-terminated, as long as e lives */
const char	   *pd_dnscache_name(const struct pd_dnscache_entry *e);
/* pd_dnscache_of - the cache e belongs to */
struct pd_dnscache *pd_dnscache_of(const struct pd_dnscache_entry *e);
/* pd_dnscache_count - entries held, in flight or not */
size_t		    pd_dnscache_count(const struct pd_dnscache *);

#endif
