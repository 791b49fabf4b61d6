/*
 * dns - cached, merged address lookups over libunbound.
 *
 * A name is looked up as A first and, only when that has no data, as
 * AAAA, so a name with an IPv4 address costs one query.  Entries are
 * kept in a keytab with an LRU list; an entry with a query in flight is
 * never evicted, and its waiters hang off it until the answer comes.
 * Temporary failures are cached for a few seconds only, so a resolver
 * that is down is not asked once per SMTP session.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <unbound.h>
#include <uv.h>

#include "err.h"
#include "log.h"
#include "str.h"
#include "keytab.h"
#include "dns.h"

#define TEMPFAIL_TTL	5000		/* ms */
#define MIN_TTL		1000
#define MAX_TTL		(86400 * 1000)
#define TYPE_A		1
#define TYPE_AAAA	28
#define CLASS_IN	1

struct dns_entry {
	struct pd_dns		*dns;
	struct pd_list		 lru;		/* most recent first */
	struct pd_list		 waiters;
	enum pd_dns_status	 status;	/* PENDING while asking */
	int64_t			 expires;	/* ms */
	int			 async_id;
	int			 rrtype;	/* being asked */
	struct pd_keytab_node	 node;		/* last: the name follows */
};

struct pd_dns {
	struct ub_ctx		*ctx;
	uv_poll_t		 poll;
	struct pd_keytab	 tab;
	struct pd_list		 lru;
	size_t			 max;
	int64_t			 now;		/* of the last lookup */
	struct pd_dns_stats	 stats;
};

static const char *status_names[] = {
	"pending", "found", "notfound", "tempfail"
};

const char *
pd_dns_status_name(enum pd_dns_status s)
{
	return status_names[s];
}

const struct pd_dns_stats *
pd_dns_stats(const struct pd_dns *d)
{
	return &d->stats;
}

static void
poll_cb(uv_poll_t *p, int status, int events)
{
	struct pd_dns *d = p->data;
	int rc;

	(void)events;
	if (status < 0)
		return;
	if ((rc = ub_process(d->ctx)) != 0)
		pd_log_warnx("dns: %s", ub_strerror(rc));
}

struct pd_dns *
pd_dns_new(uv_loop_t *loop, const char *forward, size_t cache_max,
    struct pd_err *err)
{
	struct pd_dns *d;
	int rc;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return pd_err_set(err, "out of memory"), NULL;
	pd_list_init(&d->lru);
	d->max = cache_max;
	if (pd_keytab_init(&d->tab) < 0 || (d->ctx = ub_ctx_create()) == NULL) {
		pd_err_set(err, "dns: cannot create a resolver context");
		goto fail;
	}
	if ((rc = ub_ctx_async(d->ctx, 1)) != 0) {
		pd_err_set(err, "dns: %s", ub_strerror(rc));
		goto fail;
	}
	if (*forward)
		rc = ub_ctx_set_fwd(d->ctx, forward);
	else
		rc = ub_ctx_resolvconf(d->ctx, NULL);
	if (rc != 0) {
		pd_err_set(err, "dns: %s: %s", *forward ? forward :
		    "/etc/resolv.conf", rc > 0 ? strerror(rc) :
		    ub_strerror(rc));
		goto fail;
	}
	if (uv_poll_init(loop, &d->poll, ub_fd(d->ctx)) != 0) {
		pd_err_set(err, "dns: cannot watch the resolver");
		goto fail;
	}
	d->poll.data = d;
	uv_poll_start(&d->poll, UV_READABLE, poll_cb);
	/* Lookups in flight must not keep a stopping loop alive. */
	uv_unref((uv_handle_t *)&d->poll);
	return d;
fail:
	if (d->ctx)
		ub_ctx_delete(d->ctx);
	pd_keytab_clear(&d->tab);
	free(d);
	return NULL;
}

static void
entry_free(struct pd_dns *d, struct dns_entry *e)
{
	pd_list_unlink(&e->lru);
	pd_keytab_remove(&d->tab, &e->node);
	free(e);
}

static void
poll_close_cb(uv_handle_t *h)
{
	free(h->data);
}

void
pd_dns_free(struct pd_dns *d)
{
	struct pd_list *l;

	if (d == NULL)
		return;
	/* Deleting the context cancels what is in flight, silently. */
	ub_ctx_delete(d->ctx);
	while ((l = pd_list_tail(&d->lru)) != NULL) {
		struct dns_entry *e = pd_list_entry(l, struct dns_entry, lru);

		while (!pd_list_empty(&e->waiters))
			pd_dns_cancel(pd_list_entry(e->waiters.next,
			    struct pd_dns_wait, link));
		entry_free(d, e);
	}
	pd_keytab_clear(&d->tab);
	uv_poll_stop(&d->poll);
	uv_close((uv_handle_t *)&d->poll, poll_close_cb);
}

static void answer_cb(void *arg, int err, struct ub_result *res);

static int
ask(struct dns_entry *e, int rrtype)
{
	e->rrtype = rrtype;
	e->dns->stats.queries++;
	return ub_resolve_async(e->dns->ctx, (const char *)e->node.key, rrtype,
	    CLASS_IN, e, answer_cb, &e->async_id);
}

/* finish - settle e and tell every waiter */
static void
finish(struct dns_entry *e, enum pd_dns_status st, int64_t ttl_ms)
{
	struct pd_dns_wait *w;
	struct pd_list ready;

	if (ttl_ms < MIN_TTL)
		ttl_ms = MIN_TTL;
	if (ttl_ms > MAX_TTL)
		ttl_ms = MAX_TTL;
	e->status = st;
	e->expires = e->dns->now + ttl_ms;
	if (st == PD_DNS_TEMPFAIL) {
		e->dns->stats.tempfails++;
		e->expires = e->dns->now + TEMPFAIL_TTL;
	}
	/*
	 * A callback may start, cancel or evict other lookups, even this
	 * entry: take the waiters off it first and never touch it again.
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
		w = pd_list_entry(ready.next, struct pd_dns_wait, link);
		pd_list_unlink(&w->link);
		w->entry = NULL;
		w->cb(w->arg, st);
	}
}

static void
answer_cb(void *arg, int err, struct ub_result *res)
{
	struct dns_entry *e = arg;
	enum pd_dns_status st;
	int64_t ttl = 0;

	if (err != 0 || res == NULL || res->rcode == 2 /* SERVFAIL */ ||
	    (res->rcode != 0 && res->rcode != 3 /* NXDOMAIN */)) {
		st = PD_DNS_TEMPFAIL;
	} else if (res->havedata) {
		st = PD_DNS_FOUND;
		ttl = (int64_t)res->ttl * 1000;
	} else if (!res->nxdomain && e->rrtype == TYPE_A) {
		/* No A record: an AAAA one will do. */
		ub_resolve_free(res);
		if (ask(e, TYPE_AAAA) != 0)
			finish(e, PD_DNS_TEMPFAIL, 0);
		return;
	} else {
		st = PD_DNS_NOTFOUND;
		ttl = (int64_t)res->ttl * 1000;
	}
	if (res)
		ub_resolve_free(res);
	finish(e, st, ttl);
}

/* evict - drop least recently used settled entries beyond max */
static void
evict(struct pd_dns *d)
{
	struct pd_list *l = d->lru.prev;

	while (d->tab.count >= d->max && l != &d->lru) {
		struct dns_entry *e = pd_list_entry(l, struct dns_entry, lru);

		l = l->prev;
		if (e->status != PD_DNS_PENDING)
			entry_free(d, e);
	}
}

enum pd_dns_status
pd_dns_lookup(struct pd_dns *d, const char *name, int64_t now,
    struct pd_dns_wait *w, pd_dns_cb cb, void *arg)
{
	struct pd_keytab_node *n;
	struct dns_entry *e;
	size_t len = strlen(name);
	uint32_t h = pd_keytab_hash(name, len);

	d->now = now;
	d->stats.lookups++;
	w->entry = NULL;
	if (len == 0 || len >= PD_KEYTAB_KEY_MAX)
		return PD_DNS_NOTFOUND;
	if ((n = pd_keytab_get(&d->tab, name, len + 1, h)) != NULL) {
		e = pd_list_entry(n, struct dns_entry, node);
		pd_list_unlink(&e->lru);
		pd_list_push(&d->lru, &e->lru);
		if (e->status != PD_DNS_PENDING && now < e->expires) {
			d->stats.cache_hits++;
			return e->status;
		}
		if (e->status == PD_DNS_PENDING) {
			d->stats.merged++;
			goto wait;
		}
		/* Expired: ask again, in the same entry. */
		e->status = PD_DNS_PENDING;
		if (ask(e, TYPE_A) != 0) {
			finish(e, PD_DNS_TEMPFAIL, 0);
			return PD_DNS_TEMPFAIL;
		}
		goto wait;
	}
	evict(d);
	if ((e = calloc(1, sizeof(*e) + len + 1)) == NULL)
		return PD_DNS_TEMPFAIL;
	e->dns = d;
	pd_list_init(&e->waiters);
	e->status = PD_DNS_PENDING;
	e->node.hash = h;
	e->node.klen = (uint16_t)(len + 1);
	memcpy(e->node.key, name, len + 1);	/* with its NUL, for unbound */
	pd_keytab_insert(&d->tab, &e->node);
	pd_list_push(&d->lru, &e->lru);
	if (ask(e, TYPE_A) != 0) {
		finish(e, PD_DNS_TEMPFAIL, 0);
		return PD_DNS_TEMPFAIL;
	}
wait:
	w->entry = e;
	w->cb = cb;
	w->arg = arg;
	pd_list_push(&e->waiters, &w->link);
	return PD_DNS_PENDING;
}

enum pd_dns_status
pd_dns_peek(struct pd_dns *d, const char *name, int64_t now)
{
	struct pd_keytab_node *n;
	struct dns_entry *e;
	size_t len = strlen(name);

	if (len == 0 || len >= PD_KEYTAB_KEY_MAX)
		return PD_DNS_NOTFOUND;
	n = pd_keytab_get(&d->tab, name, len + 1, pd_keytab_hash(name, len));
	if (n == NULL)
		return PD_DNS_PENDING;
	e = pd_list_entry(n, struct dns_entry, node);
	if (e->status == PD_DNS_PENDING || now >= e->expires)
		return PD_DNS_PENDING;
	d->stats.lookups++;
	d->stats.cache_hits++;
	pd_list_unlink(&e->lru);
	pd_list_push(&d->lru, &e->lru);
	return e->status;
}

void
pd_dns_cancel(struct pd_dns_wait *w)
{
	if (w->entry == NULL)
		return;
	pd_list_unlink(&w->link);
	w->entry = NULL;
}
