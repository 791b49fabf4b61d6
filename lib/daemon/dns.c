/* SPDX-License-Identifier: ISC */
/*
 * dns - address lookups over libunbound, on the libuv loop, through
 * the cache (dnscache.c).
 *
 * This file is only the adapter: it watches ub_fd(), sends the queries
 * the cache asks for, and settles the cache with what comes back.  A
 * name is looked up as A first and, only when that has no data, as
 * AAAA, so a name with an IPv4 address costs one query.  A query whose
 * waiters all went away is left to finish: its answer serves the next
 * session that asks.
 */
#include <stdlib.h>
#include <string.h>

#include <unbound.h>
#include <uv.h>

#include "err.h"
#include "log.h"
#include "dnscache.h"
#include "dns.h"

#define TYPE_A	  1
#define TYPE_AAAA 28
#define CLASS_IN  1

struct pd_dns {
	struct ub_ctx	   *ctx;
	uv_poll_t	    poll;
	struct pd_dnscache  cache;
	int64_t		    now;   /* of the last lookup */
	struct pd_dns_stats stats; /* the cache's, and queries */
};

const struct pd_dns_stats *
pd_dns_stats(const struct pd_dns *d)
{
	return &d->stats;
}

/* count - show the cache's counters through pd_dns_stats() */
static void
count(struct pd_dns *d)
{
	const struct pd_dnscache_stats *s = &d->cache.stats;

	d->stats.lookups = s->lookups;
	d->stats.cache_hits = s->cache_hits;
	d->stats.merged = s->merged;
	d->stats.tempfails = s->tempfails;
}

static void
poll_cb(uv_poll_t *p, int status, int events)
{
	struct pd_dns *d = p->data;
	int	       rc;

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
	int	       rc;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return pd_err_set(err, "out of memory"), NULL;
	if (pd_dnscache_init(&d->cache, cache_max) < 0 ||
	    (d->ctx = ub_ctx_create()) == NULL) {
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
		pd_err_set(err, "dns: %s: %s",
		    *forward ? forward : "/etc/resolv.conf",
		    rc > 0 ? strerror(rc) : ub_strerror(rc));
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
	pd_dnscache_clear(&d->cache);
	free(d);
	return NULL;
}

static void
poll_close_cb(uv_handle_t *h)
{
	free(h->data);
}

void
pd_dns_free(struct pd_dns *d)
{
	if (d == NULL)
		return;
	/* Deleting the context cancels what is in flight, silently. */
	ub_ctx_delete(d->ctx);
	pd_dnscache_clear(&d->cache);
	uv_poll_stop(&d->poll);
	uv_close((uv_handle_t *)&d->poll, poll_close_cb);
}

static void answer_cb(void *arg, int err, struct ub_result *res);

static int
ask(struct pd_dns *d, struct pd_dnscache_entry *e, int rrtype)
{
	d->stats.queries++;
	return ub_resolve_async(d->ctx, pd_dnscache_name(e), rrtype, CLASS_IN,
	    e, answer_cb, NULL);
}

/*
 * settle - hand the answer to the cache, which calls the waiters.  The
 * expiry counts from the last lookup's time: the adapter has no clock
 * of its own, and an answer kept a little shorter than its TTL is safe.
 */
static void
settle(struct pd_dns *d, struct pd_dnscache_entry *e,
    enum pd_dnscache_status st, int64_t ttl_ms)
{
	pd_dnscache_settle(&d->cache, e, st, ttl_ms, d->now);
	count(d);
}

static void
answer_cb(void *arg, int err, struct ub_result *res)
{
	struct pd_dnscache_entry *e = arg;
	struct pd_dns		 *d =
	    pd_list_entry(pd_dnscache_of(e), struct pd_dns, cache);
	enum pd_dnscache_status st;
	int64_t			ttl = 0;

	if (err != 0 || res == NULL || res->rcode == 2 /* SERVFAIL */ ||
	    (res->rcode != 0 && res->rcode != 3 /* NXDOMAIN */)) {
		st = PD_DNSCACHE_TEMPFAIL;
	} else if (res->havedata) {
		st = PD_DNSCACHE_FOUND;
		ttl = (int64_t)res->ttl * 1000;
	} else if (!res->nxdomain && res->qtype == TYPE_A) {
		/* No A record: an AAAA one will do. */
		ub_resolve_free(res);
		if (ask(d, e, TYPE_AAAA) != 0)
			settle(d, e, PD_DNSCACHE_TEMPFAIL, 0);
		return;
	} else {
		st = PD_DNSCACHE_NOTFOUND;
		ttl = (int64_t)res->ttl * 1000;
	}
	if (res)
		ub_resolve_free(res);
	settle(d, e, st, ttl);
}

/* wait_cb - the cache's answer for a waiter, passed on to its owner */
static void
wait_cb(struct pd_dnscache_wait *cw, enum pd_dnscache_status st)
{
	struct pd_dns_wait *w = pd_list_entry(cw, struct pd_dns_wait, cw);

	w->cb(w->arg, (enum pd_dns_status)st);
}

enum pd_dns_status
pd_dns_lookup(struct pd_dns *d, const char *name, int64_t now,
    struct pd_dns_wait *w, pd_dns_cb cb, void *arg)
{
	struct pd_dnscache_entry *e;
	enum pd_dnscache_status	  st;

	d->now = now;
	w->cb = cb;
	w->arg = arg;
	st = pd_dnscache_lookup(&d->cache, name, now, &w->cw, wait_cb, &e);
	if (e != NULL && ask(d, e, TYPE_A) != 0) {
		/* Not even sent: answer now, and keep the failure a while. */
		pd_dnscache_cancel(&w->cw);
		pd_dnscache_settle(&d->cache, e, PD_DNSCACHE_TEMPFAIL, 0, now);
		st = PD_DNSCACHE_TEMPFAIL;
	}
	count(d);
	return (enum pd_dns_status)st;
}

enum pd_dns_status
pd_dns_peek(struct pd_dns *d, const char *name, int64_t now)
{
	enum pd_dnscache_status st = pd_dnscache_peek(&d->cache, name, now);

	count(d);
	return (enum pd_dns_status)st;
}

void
pd_dns_cancel(struct pd_dns_wait *w)
{
	pd_dnscache_cancel(&w->cw);
}
