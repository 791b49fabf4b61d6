/* SPDX-License-Identifier: ISC */
/*
 * engine_manual - operators' blocks, and what policydctl asks of the
 * counters.
 *
 * Manual blocks are ordinary counters in a slot no rule can have, keyed
 * by network and prefix length.  They are looked up only for the prefix
 * lengths some block has: usually one or two, and none while there is
 * no block.
 */
#include <string.h>

#include "err.h"
#include "conf.h"
#include "engine_int.h"

static void
manual_mark(struct pd_engine *e, int family, int bits)
{
	e->manual_bits[family == 6][bits / 64] |= 1ULL << (bits % 64);
}

bool
engine_check_manual(struct pd_engine *e, struct pd_facts *x, struct verdict *v,
    struct pd_key *k)
{
	const uint64_t	  *bits = e->manual_bits[x->client.family == 6];
	struct pd_counter *c;

	if (e->counters.slots[e->manual].nblocked == 0)
		return false;
	/* The most specific first. */
	for (int b = x->client.family == 6 ? 128 : 32; b >= 0; b--) {
		if (!(bits[b / 64] & (1ULL << (b % 64))))
			continue;
		pd_key_manual(k, &x->client, b);
		c = pd_counters_get(&e->counters, e->manual, k->bytes, k->len);
		if (c == NULL || c->since == 0)
			continue;
		if (!pd_counter_blocked(c, x->now)) {
			pd_counters_unblock(&e->counters, c);
			continue;
		}
		c->last = x->now;
		*v = (struct verdict){ .name = PD_CONF_MANUAL,
			.tmpl = &e->conf->block_reply,
			.key = k,
			.expires = c->until,
			.reason = c->note ? c->note : "",
			.warn = e->conf->dry_run };
		return true;
	}
	return false;
}

int
pd_engine_block(struct pd_engine *e, const struct pd_cidr *net, int64_t now,
    int64_t until, const char *reason, bool replace, struct pd_err *err)
{
	int kept = 0;

	struct pd_counter *c;
	struct pd_key	   k;

	pd_key_manual(&k, &net->addr, net->bits);
	c = pd_counters_add(&e->counters, e->manual, k.bytes, k.len, now);
	if (c == NULL)
		return pd_err_set(err,
		    "out of memory, or every key is blocked");
	if (pd_counters_note(c, reason) < 0) {
		pd_counters_remove(&e->counters, c);
		return pd_err_set(err, "out of memory");
	}
	/* Blocking again lengthens a block; only replace shortens it. */
	if (c->since && c->until > until && pd_counter_blocked(c, now) &&
	    !replace)
		kept = 1;
	else if (c->since)
		c->until = until;
	else
		pd_counters_block(&e->counters, c, now, until,
		    PD_COUNTER_MANUAL);
	c->last = now;
	manual_mark(e, net->addr.family, net->bits);
	return kept;
}

int64_t
pd_engine_block_until(struct pd_engine *e, const struct pd_cidr *net)
{
	struct pd_counter *c;
	struct pd_key	   k;

	pd_key_manual(&k, &net->addr, net->bits);
	c = pd_counters_get(&e->counters, e->manual, k.bytes, k.len);
	return c && c->since ? c->until : 0;
}

void
pd_engine_reindex(struct pd_engine *e)
{
	struct pd_list *l;
	struct pd_cidr	net;

	memset(e->manual_bits, 0, sizeof(e->manual_bits));
	for (l = e->counters.blocked.next; l != &e->counters.blocked;
	     l = l->next) {
		const struct pd_counter *c =
		    pd_list_entry(l, struct pd_counter, link);

		if (c->slot == e->manual && pd_engine_counter_net(e, c, &net))
			manual_mark(e, net.addr.family, net.bits);
	}
}

bool
pd_engine_counter_manual(const struct pd_engine *e, const struct pd_counter *c)
{
	return (int)c->slot == e->manual;
}

const struct pd_rule *
pd_engine_counter_rule(const struct pd_engine *e, const struct pd_counter *c)
{
	for (size_t i = 0; i < e->conf->nrules; i++)
		if (e->slots[i] == (int)c->slot)
			return &e->conf->rules[i];
	return NULL;
}

bool
pd_engine_counter_net(const struct pd_engine *e, const struct pd_counter *c,
    struct pd_cidr *net)
{
	bool	       manual = pd_engine_counter_manual(e, c);
	const uint8_t *key;
	size_t	       len;

	key = pd_counter_key(c, &len);
	return pd_key_net(e->conf, manual ? NULL : pd_engine_counter_rule(e, c),
	    manual, key, len, net);
}

void
pd_engine_counter_text(const struct pd_engine *e, const struct pd_counter *c,
    char *buf, size_t size)
{
	bool	       manual = pd_engine_counter_manual(e, c);
	const uint8_t *key;
	size_t	       len;

	key = pd_counter_key(c, &len);
	pd_key_stored_text(e->conf,
	    manual ? NULL : pd_engine_counter_rule(e, c), manual, key, len, buf,
	    size);
}

void
pd_engine_where(struct pd_engine *e, const struct pd_addr *a,
    struct pd_engine_where *w)
{
	struct pd_facts x = { .client = *a };

	engine_facts(e, &x);
	memcpy(w->country, pd_facts_country(&x), sizeof(w->country));
	w->asn = pd_facts_asn(&x);
}

bool
pd_engine_counter_at(const struct pd_counter *c,
    const struct pd_engine_where	     *w)
{
	const uint8_t *key;
	size_t	       len;

	key = pd_counter_key(c, &len);
	return pd_key_at(key, len, w->country, w->asn);
}
