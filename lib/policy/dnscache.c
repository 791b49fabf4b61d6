/* SPDX-License-Identifier: ISC */
/*
 * dnscache - DNS answers by name, with the queries in flight.
 *
 * One entry per name, in a keytab and on an LRU list.  An entry is
 * either settled (an answer and its expiry) or in flight (PENDING, with
 * the list of its waiters): concurrent lookups of one name merge into
 * one query, as postscreen's reference counts do.  An expired entry is
 * asked again in place, so its waiters and LRU position need no copy.
 *
 * Only settled entries are evicted, least recently used first, and only
 * when a new name comes in: an entry in flight is what the resolver's
 * callback will hand back, so freeing it would leave that dangling.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "keytab.h"
#include "list.h"
#include "dnscache.h"

struct pd_dnscache_entry {
	struct pd_dnscache     *cache;
	struct pd_list		lru;	 /* on cache->lru */
	struct pd_list		waiters; /* while PENDING */
	enum pd_dnscache_status status;
	int64_t			expires; /* ms, when settled */
	struct pd_keytab_node	node;	 /* last: the name */
};

int
pd_dnscache_init(struct pd_dnscache *c, size_t max)
{
	memset(c, 0, sizeof(*c));
	pd_list_init(&c->lru);
	c->max = max;
	return pd_keytab_init(&c->tab);
}

static void
entry_free(struct pd_dnscache *c, struct pd_dnscache_entry *e)
{
	pd_list_unlink(&e->lru);
	pd_keytab_remove(&c->tab, &e->node);
	free(e);
}

void
pd_dnscache_clear(struct pd_dnscache *c)
{
	struct pd_list *l;

	while ((l = pd_list_tail(&c->lru)) != NULL) {
		struct pd_dnscache_entry *e =
		    pd_list_entry(l, struct pd_dnscache_entry, lru);

		while (!pd_list_empty(&e->waiters))
			pd_dnscache_cancel(pd_list_entry(e->waiters.next,
			    struct pd_dnscache_wait, link));
		entry_free(c, e);
	}
	pd_keytab_clear(&c->tab);
}

/* dnscache_find - the entry for name (len bytes plus its NUL), or NULL */
static struct pd_dnscache_entry *
dnscache_find(const struct pd_dnscache *c, const char *name, size_t len,
    uint32_t h)
{
	struct pd_keytab_node *n = pd_keytab_get(&c->tab, name, len + 1, h);

	return n ? pd_list_entry(n, struct pd_dnscache_entry, node) : NULL;
}

static bool
live(const struct pd_dnscache_entry *e, int64_t now)
{
	return e->status != PD_DNSCACHE_PENDING && now < e->expires;
}

static void
touch(struct pd_dnscache *c, struct pd_dnscache_entry *e)
{
	pd_list_unlink(&e->lru);
	pd_list_push(&c->lru, &e->lru);
}

/* evict - drop least recently used settled entries to make room */
static void
evict(struct pd_dnscache *c)
{
	struct pd_list *l = c->lru.prev;

	while (c->tab.count >= c->max && l != &c->lru) {
		struct pd_dnscache_entry *e =
		    pd_list_entry(l, struct pd_dnscache_entry, lru);

		l = l->prev;
		if (e->status != PD_DNSCACHE_PENDING)
			entry_free(c, e);
	}
}

/* entry_new - an entry in flight for name, or NULL when out of memory */
static struct pd_dnscache_entry *
entry_new(struct pd_dnscache *c, const char *name, size_t len, uint32_t h)
{
	struct pd_dnscache_entry *e;

	evict(c);
	if ((e = calloc(1, sizeof(*e) + len + 1)) == NULL)
		return NULL;
	e->cache = c;
	pd_list_init(&e->waiters);
	e->status = PD_DNSCACHE_PENDING;
	e->node.hash = h;
	e->node.klen = (uint16_t)(len + 1);
	memcpy(e->node.key, name, len + 1); /* with its NUL: a C string */
	pd_keytab_insert(&c->tab, &e->node);
	pd_list_push(&c->lru, &e->lru);
	return e;
}

static bool
name_ok(size_t len)
{
	return len > 0 && len < PD_KEYTAB_KEY_MAX;
}

enum pd_dnscache_status
pd_dnscache_lookup(struct pd_dnscache *c, const char *name, int64_t now,
    struct pd_dnscache_wait *w, pd_dnscache_cb cb,
    struct pd_dnscache_entry **ask)
{
	struct pd_dnscache_entry *e;
	size_t			  len = strlen(name);
	uint32_t		  h;

	c->stats.lookups++;
	w->entry = NULL;
	*ask = NULL;
	if (!name_ok(len))
		return PD_DNSCACHE_NOTFOUND;
	h = pd_keytab_hash(name, len);
	if ((e = dnscache_find(c, name, len, h)) != NULL) {
		touch(c, e);
		if (live(e, now)) {
			c->stats.cache_hits++;
			return e->status;
		}
		if (e->status == PD_DNSCACHE_PENDING)
			c->stats.merged++;
		else {
			e->status = PD_DNSCACHE_PENDING; /* expired */
			*ask = e;
		}
	} else if ((e = entry_new(c, name, len, h)) != NULL)
		*ask = e;
	else
		return PD_DNSCACHE_TEMPFAIL;
	w->entry = e;
	w->cb = cb;
	pd_list_push(&e->waiters, &w->link);
	return PD_DNSCACHE_PENDING;
}

enum pd_dnscache_status
pd_dnscache_peek(struct pd_dnscache *c, const char *name, int64_t now)
{
	struct pd_dnscache_entry *e;
	size_t			  len = strlen(name);

	if (!name_ok(len))
		return PD_DNSCACHE_NOTFOUND;
	e = dnscache_find(c, name, len, pd_keytab_hash(name, len));
	if (e == NULL || !live(e, now))
		return PD_DNSCACHE_PENDING;
	c->stats.lookups++;
	c->stats.cache_hits++;
	touch(c, e);
	return e->status;
}

static int64_t
clamp_ttl(enum pd_dnscache_status st, int64_t ttl_ms)
{
	if (st == PD_DNSCACHE_TEMPFAIL)
		return PD_DNSCACHE_TEMPFAIL_TTL;
	if (ttl_ms < PD_DNSCACHE_MIN_TTL)
		return PD_DNSCACHE_MIN_TTL;
	if (ttl_ms > PD_DNSCACHE_MAX_TTL)
		return PD_DNSCACHE_MAX_TTL;
	return ttl_ms;
}

void
pd_dnscache_settle(struct pd_dnscache *c, struct pd_dnscache_entry *e,
    enum pd_dnscache_status st, int64_t ttl_ms, int64_t now)
{
	struct pd_dnscache_wait *w;
	struct pd_list		 ready;

	assert(e->cache == c && e->status == PD_DNSCACHE_PENDING);
	assert(st != PD_DNSCACHE_PENDING);
	e->status = st;
	e->expires = now + clamp_ttl(st, ttl_ms);
	if (st == PD_DNSCACHE_TEMPFAIL)
		c->stats.tempfails++;
	/*
	 * A callback may start, cancel or evict other lookups, even this
	 * entry: move the waiters to a list of our own first, and never
	 * touch e again.  A waiter cancelled by an earlier callback leaves
	 * that list, so it is not called.
	 */
	pd_list_init(&ready);
	if (!pd_list_empty(&e->waiters)) {
		ready.next = e->waiters.next;
		ready.prev = e->waiters.prev;
		ready.next->prev = &ready;
		ready.prev->next = &ready;
		pd_list_init(&e->waiters);
	}
	while (!pd_list_empty(&ready)) {
		w = pd_list_entry(ready.next, struct pd_dnscache_wait, link);
		pd_list_unlink(&w->link);
		w->entry = NULL;
		w->cb(w, st);
	}
}

void
pd_dnscache_cancel(struct pd_dnscache_wait *w)
{
	if (w->entry == NULL)
		return;
	pd_list_unlink(&w->link);
	w->entry = NULL;
}

const char *
pd_dnscache_name(const struct pd_dnscache_entry *e)
{
	return (const char *)e->node.key;
}

struct pd_dnscache *
pd_dnscache_of(const struct pd_dnscache_entry *e)
{
	return e->cache;
}

size_t
pd_dnscache_count(const struct pd_dnscache *c)
{
	return c->tab.count;
}
