/* SPDX-License-Identifier: ISC */
/*
 * engine - binding a config to the counter store, and the entry points.
 *
 * A request goes: facts (what it is about), the allow lists, then the
 * rules (engine_rules.c), each verdict made a decision by engine_emit.c.
 * A maillog event goes the same way without a request.  The engine only
 * fills decisions; the caller frames, logs and sends them.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "conf.h"
#include "match.h"
#include "proto.h"
#include "engine_int.h"

void
pd_engine_ref(uint32_t id, char *buf, size_t len)
{
	pd_decision_ref(id, buf, len);
}

const char *const pd_engine_states[PD_ENGINE_STATES] = {
	"CONNECT",
	"EHLO",
	"HELO",
	"MAIL",
	"RCPT",
	"DATA",
	"END-OF-MESSAGE",
	"VRFY",
	"ETRN",
	"other",
};

/* engine_count_request - one answered request, by protocol_state and action */
void
engine_count_request(struct pd_engine *e, const struct pd_req *r,
    enum pd_action act)
{
	const char *state = r ? pd_req_get(r, PD_A_PROTOCOL_STATE) : "";
	size_t	    i;

	assert(act <= PD_ACT_OTHER);
	for (i = 0; i < PD_ENGINE_STATES - 1; i++)
		if (strcasecmp(state, pd_engine_states[i]) == 0)
			break;
	e->stats.actions[act]++;
	e->stats.by_state[i][act]++;
}

/* engine_facts - the engine's part of a request's facts: the databases */
void
engine_facts(struct pd_engine *e, struct pd_facts *x)
{
	x->geo = e->geo;
	x->geo_gen = e->geo_gen;
	x->geo_errors = &e->stats.geoip_errors;
}

/* rule_sig - what must stay the same for a rule to keep its counters */
static uint32_t
rule_sig(const struct pd_rule *r)
{
	return (uint32_t)r->event << 8 | (uint32_t)r->key;
}

/* Operators' blocks: a slot no rule can have, keyed by network. */
#define MANUAL_SIG 0xffffffffu

/* bind_slots - a counter slot for each rule, and the manual one */
static int
bind_slots(struct pd_engine *e, const struct pd_conf *conf, int *slots,
    size_t *all, struct pd_err *err)
{
	int s;

	for (size_t i = 0; i < conf->nrules; i++) {
		s = pd_counters_slot(&e->counters, conf->rules[i].name,
		    rule_sig(&conf->rules[i]), conf->rules[i].window);
		if (s < 0)
			return pd_err_set(err,
			    "rule %s: no room for its counters",
			    conf->rules[i].name);
		slots[i] = s;
		all[i] = i;
	}
	s = pd_counters_slot(&e->counters, PD_CONF_MANUAL, MANUAL_SIG,
	    24 * 3600 * 1000);
	if (s < 0 ||
	    pd_journal_resize(&e->journal, (size_t)conf->explain_history) < 0)
		return pd_err_set(err, "out of memory");
	e->manual = s;
	return 0;
}

static int
engine_bind(struct pd_engine *e, const struct pd_conf *conf, struct pd_err *err)
{
	size_t *all;
	int    *slots;

	slots = calloc(conf->nrules ? conf->nrules : 1, sizeof(*slots));
	all = calloc(conf->nrules ? conf->nrules : 1, sizeof(*all));
	if (slots == NULL || all == NULL) {
		free(slots);
		free(all);
		return pd_err_set(err, "out of memory");
	}
	pd_counters_begin(&e->counters);
	if (bind_slots(e, conf, slots, all, err) < 0) {
		free(slots);
		free(all);
		return -1;
	}
	pd_counters_retire(&e->counters);
	e->counters.max_keys = (size_t)conf->max_keys;
	e->needs_dns = pd_conf_needs_dns(conf);
	free(e->slots);
	free(e->all);
	e->slots = slots;
	e->all = all;
	e->conf = conf;
	return 0;
}

int
pd_engine_init(struct pd_engine *e, const struct pd_conf *conf, uint32_t seed,
    struct pd_err *err)
{
	memset(e, 0, sizeof(*e));
	e->ref_next = seed;
	if (pd_own_init(&e->own) < 0 ||
	    pd_counters_init(&e->counters, (size_t)conf->max_keys) < 0 ||
	    pd_sessions_init(&e->sessions, PD_SESSION_MAX) < 0) {
		pd_engine_clear(e);
		return pd_err_set(err, "out of memory");
	}
	if (engine_bind(e, conf, err) < 0) {
		pd_engine_clear(e);
		return -1;
	}
	return 0;
}

void
pd_engine_clear(struct pd_engine *e)
{
	pd_counters_clear(&e->counters);
	pd_sessions_clear(&e->sessions);
	pd_journal_clear(&e->journal);
	pd_own_clear(&e->own);
	free(e->slots);
	free(e->all);
	free(e->rstats);
	e->slots = NULL;
	e->all = NULL;
	e->rstats = NULL;
	e->nrstats = 0;
}

int
pd_engine_set_conf(struct pd_engine *e, const struct pd_conf *conf,
    struct pd_err *err)
{
	return engine_bind(e, conf, err);
}

void
pd_engine_set_geo(struct pd_engine *e, const struct pd_geo *geo)
{
	e->geo = geo;
	/* What sessions remember came from the databases before. */
	e->geo_gen++;
}

void
pd_engine_set_wall_offset(struct pd_engine *e, int64_t offset)
{
	e->wall_offset = offset;
}

int64_t
pd_engine_wall_offset(const struct pd_engine *e)
{
	return e->wall_offset;
}

void
pd_engine_set_sink(struct pd_engine *e, pd_engine_sink sink, void *arg)
{
	e->sink = sink;
	e->sink_arg = arg;
}

void
pd_engine_set_tap(struct pd_engine *e, pd_engine_tap tap, void *arg)
{
	e->tap = tap;
	e->tap_arg = arg;
}

bool
pd_engine_dns_name(struct pd_engine *e, const struct pd_req *r, char *name,
    size_t size)
{
	struct pd_facts x = { .req = r };

	assert(size > PD_HELO_NAME_MAX);
	(void)size;
	if (!e->needs_dns || pd_facts_init(&x, r, 0) != NULL)
		return false;
	engine_facts(e, &x);
	if (!pd_facts_helo_name(&x, e->conf, name))
		return false;
	/* Allow-listed clients are not checked, so not looked up. */
	return pd_match_access(e->conf, &x, false) == NULL;
}

void
pd_engine_decide(struct pd_engine *e, const struct pd_req *r, int64_t now,
    enum pd_helo_dns dns, struct pd_decision *d)
{
	struct pd_facts x = { .req = r };
	const char     *why;

	if ((why = pd_facts_init(&x, r, now)) != NULL) {
		e->stats.requests++;
		pd_engine_malformed(e, now, d);
		d->malformed = why;
		return;
	}
	engine_facts(e, &x);
	e->stats.requests++;
	pd_decision_dunno(d, now);
	/* Allow-listed clients are not checked at all, not even looked up. */
	if (pd_match_access(e->conf, &x, false) != NULL) {
		engine_count_request(e, r, PD_ACT_DUNNO);
		return;
	}
	pd_facts_helo(&x, e->conf, dns);
	engine_rules(e, &x, d);
}

void
pd_engine_malformed(struct pd_engine *e, int64_t now, struct pd_decision *d)
{
	e->stats.malformed++;
	engine_count_request(e, NULL, PD_ACT_DUNNO);
	pd_decision_dunno(d, now);
	d->malformed = "malformed";
}

/* event_rule - maillog event for rule i: count it, block past the limit */
static void
event_rule(struct pd_engine *e, struct pd_facts *x, size_t i)
{
	const struct pd_rule *r = &e->conf->rules[i];
	struct pd_counter    *c;
	struct verdict	      v;
	struct pd_key	      k;
	uint64_t	      count;

	if (!pd_match_geo(x, &r->geo) || !pd_key_make(e->conf, r, x, &k))
		return;
	c = pd_counters_add(&e->counters, e->slots[i], k.bytes, k.len, x->now);
	if (c == NULL) {
		e->stats.store_full++;
		return;
	}
	if (pd_counter_blocked(c, x->now)) {
		/* Each attempt while listed starts the quiet period again. */
		if (c->flags & PD_COUNTER_LISTING)
			c->until = x->now + r->hold;
		c->last = x->now;
		return;
	}
	count = pd_counters_count(&e->counters, c, x->now, 1);
	if (e->tap != NULL)
		e->tap(e->tap_arg, i, c, x->now);
	if (count <= (uint64_t)r->limit)
		return;
	/* Rate and tarpit rules act on requests; say when they start. */
	if ((r->kind == PD_RULE_RATE || r->kind == PD_RULE_TARPIT) &&
	    count != (uint64_t)r->limit + 1)
		return;
	engine_fire(e, x, r, c, count, &k, &v);
	engine_emit(e, x, &v, NULL);
}

/*
 * server_defer - the server put the client off: its failure, not the
 * client's error.  No client: a service at its process limit.
 */
static void
server_defer(struct pd_engine *e, const struct pd_addr *client, int64_t now)
{
	e->stats.server_defers++;
	if (client->family == 0)
		e->busy_until = now + PD_ENGINE_STRESS;
	else
		pd_own_note_defer(&e->own, client, now);
}

/*
 * drop_forgiven - the server dropped the client for its own reasons: in
 * stress mode, or for errors that were the server's deferrals (Postfix
 * counts them as the session's errors, too)
 */
static bool
drop_forgiven(const struct pd_engine *e, const struct pd_addr *client,
    const char *reason, int64_t now)
{
	if (now < e->busy_until)
		return true;
	return reason != NULL && strcmp(reason, "too many errors") == 0 &&
	    pd_own_deferred(&e->own, client, now);
}

void
pd_engine_event(struct pd_engine *e, enum pd_event_type type,
    const struct pd_addr *client, const char *reason, int64_t now)
{
	const struct pd_conf *conf = e->conf;
	struct pd_req	      none = { 0 };
	struct pd_facts	      x = { .req = &none };
	const struct pd_rule *r;

	e->stats.log_events++;
	if (type == PD_EV_SERVER_DEFER) {
		server_defer(e, client, now);
		return;
	}
	pd_facts_event(&x, &none, client, now);
	engine_facts(e, &x);
	/* Trusted clients are exempt from what the maillog says, too. */
	if (pd_match_access(conf, &x, false) != NULL)
		return;
	/* Our own reject, logged by Postfix: not an error of the client's. */
	if (pd_own_reply(&e->own, conf, client, reason, now)) {
		e->stats.own_rejects++;
		return;
	}
	if (type == PD_EV_DROPPED && drop_forgiven(e, client, reason, now)) {
		e->stats.drops_forgiven++;
		return;
	}
	for (size_t i = 0; i < conf->nrules; i++) {
		r = &conf->rules[i];
		if (r->event == type && r->limit >= 0 &&
		    (r->codes.n == 0 || pd_codes_match(&r->codes, reason)))
			event_rule(e, &x, i);
	}
}

void
pd_engine_tick(struct pd_engine *e, int64_t now)
{
	pd_counters_sweep(&e->counters, now, 100000);
	pd_sessions_expire(&e->sessions, now);
}

const struct pd_engine_stats *
pd_engine_stats(const struct pd_engine *e)
{
	return &e->stats;
}

const struct pd_engine_rulestat *
pd_engine_rulestat(const struct pd_engine *e, size_t i)
{
	return i < e->nrstats ? &e->rstats[i] : NULL;
}

size_t
pd_engine_rule_blocked(const struct pd_engine *e, size_t i)
{
	assert(i < e->conf->nrules);
	return e->counters.slots[e->slots[i]].nblocked;
}

size_t
pd_engine_manual_blocked(const struct pd_engine *e)
{
	return e->counters.slots[e->manual].nblocked;
}

struct pd_counters *
pd_engine_counters(struct pd_engine *e)
{
	return &e->counters;
}

const struct pd_counters *
pd_engine_counters_c(const struct pd_engine *e)
{
	return &e->counters;
}

const struct pd_journal *
pd_engine_journal(const struct pd_engine *e)
{
	return &e->journal;
}

const struct pd_conf *
pd_engine_conf(const struct pd_engine *e)
{
	return e->conf;
}

const struct pd_geo *
pd_engine_geo(const struct pd_engine *e)
{
	return e->geo;
}
