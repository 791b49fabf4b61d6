/* SPDX-License-Identifier: ISC */
/*
 * dns - "does this name have an address?", asynchronously, on the
 * libuv loop, through libunbound.
 *
 * libunbound resolves in its own thread and signals results on ub_fd(),
 * which the loop watches.  Answers are cached by name for their TTL,
 * negative ones too, and concurrent lookups of one name wait for the
 * same query: that is dnscache.h, which this module feeds.  A timeout
 * or SERVFAIL is PD_DNS_TEMPFAIL, never "not found".
 *
 * A waiter is embedded in the caller's state: pd_dns_lookup() either
 * answers at once from the cache (the callback is then never called),
 * or returns PD_DNS_PENDING and calls the callback exactly once later,
 * unless pd_dns_cancel() was called first.
 */
#ifndef PD_DNS_H
#define PD_DNS_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "dnscache.h"
#include "stats.h"

struct pd_err;

/* The cache's answers, by the same numbers. */
enum pd_dns_status {
	PD_DNS_PENDING = PD_DNSCACHE_PENDING,
	PD_DNS_FOUND = PD_DNSCACHE_FOUND,	/* an A or AAAA record exists */
	PD_DNS_NOTFOUND = PD_DNSCACHE_NOTFOUND, /* NXDOMAIN, or neither */
	PD_DNS_TEMPFAIL = PD_DNSCACHE_TEMPFAIL, /* timeout, SERVFAIL, none */
};

typedef void (*pd_dns_cb)(void *arg, enum pd_dns_status);

struct pd_dns_wait {
	struct pd_dnscache_wait cw; /* first: cache <-> dns */
	pd_dns_cb		cb;
	void		       *arg;
};

struct pd_dns;

/*
 * pd_dns_new - a resolver on loop: forward is "ADDR@PORT" or "" for the
 * system resolver (resolv.conf).  cache_max bounds the cache entries.
 */
struct pd_dns *pd_dns_new(uv_loop_t *, const char *forward, size_t cache_max,
    struct pd_err *);
/* pd_dns_free - cancel every lookup (no callbacks) and close; NULL ok */
void	       pd_dns_free(struct pd_dns *);
/*
 * pd_dns_lookup - the cached answer for name at now, or PD_DNS_PENDING:
 * then cb(arg, answer) runs once from the loop, unless pd_dns_cancel(w)
 * comes first.  w belongs to the caller and must live until then.
 */
enum pd_dns_status pd_dns_lookup(struct pd_dns *, const char *name, int64_t now,
    struct pd_dns_wait *w, pd_dns_cb cb, void *arg);
/* pd_dns_cancel - w is not called back; a no-op if it is not waiting */
void		   pd_dns_cancel(struct pd_dns_wait *w);
/*
 * pd_dns_peek - the cached answer for name, or PD_DNS_PENDING when it
 * must be looked up (with pd_dns_lookup); starts nothing.
 */
enum pd_dns_status pd_dns_peek(struct pd_dns *, const char *name, int64_t now);
const struct pd_dns_stats *pd_dns_stats(const struct pd_dns *);

#endif
