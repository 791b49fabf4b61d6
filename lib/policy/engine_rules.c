/* SPDX-License-Identifier: ISC */
/*
 * engine_rules - rule evaluation for one request.
 *
 * One pass over the profile's rules looks for an active block or
 * listing; a second counts the request's events and fires the rules
 * whose limit is passed.  Every rule counts the events it applies to,
 * decided or not, so that a later rule's block still takes effect.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "match.h"
#include "proto.h"
#include "engine_int.h"

/*
 * check_blocks - the active block or listing of a profile rule that ends
 * last (the first in the file on a tie), so that a client blocked for
 * 48h and listed for an hour is told about the 48h.  A block in warn
 * mode answers only when no other holds.  Every listing that holds
 * starts its quiet period again.
 */
static bool
check_blocks(struct pd_engine *e, struct pd_facts *x, const size_t *rules,
    size_t n, struct verdict *v, struct pd_key *k)
{
	const struct pd_conf *conf = e->conf;
	struct pd_counter    *c;
	struct pd_key	      kr;
	bool		      found = false, warn;

	for (size_t i = 0; i < n; i++) {
		const struct pd_rule *r = &conf->rules[rules[i]];

		/* Most rules hold no block at all: no lookup then. */
		if ((r->kind != PD_RULE_BLOCK && r->kind != PD_RULE_LISTING) ||
		    e->counters.slots[e->slots[rules[i]]].nblocked == 0)
			continue;
		if (!pd_key_make(conf, r, x, &kr))
			continue;
		c = pd_counters_get(&e->counters, e->slots[rules[i]], kr.bytes,
		    kr.len);
		if (c == NULL || c->since == 0)
			continue;
		if (!pd_counter_blocked(c, x->now)) {
			pd_counters_unblock(&e->counters, c);
			continue;
		}
		/* Each attempt while listed starts the quiet period again. */
		if ((c->flags & PD_COUNTER_LISTING) &&
		    (x->events & (1u << r->event))) {
			c->until = x->now + r->hold;
			c->last = x->now;
		}
		warn = r->warn || conf->dry_run;
		if (found &&
		    (warn > v->warn ||
			(warn == v->warn && c->until <= v->expires)))
			continue;
		*k = kr;
		*v = (struct verdict){ .name = r->name,
			.rule = r,
			.tmpl = &r->reply,
			.key = k,
			.count = c->hits,
			.expires = c->until,
			.warn = warn };
		found = true;
	}
	return found;
}

void
engine_fire(struct pd_engine *e, const struct pd_facts *x,
    const struct pd_rule *r, struct pd_counter *c, uint64_t n,
    const struct pd_key *k, struct verdict *v)
{
	*v = (struct verdict){ .name = r->name,
		.rule = r,
		.tmpl = &r->reply,
		.count = n,
		.key = k,
		.warn = r->warn || e->conf->dry_run };
	switch (r->kind) {
	case PD_RULE_RATE:
		break;
	case PD_RULE_BLOCK:
	case PD_RULE_LISTING:
		/*
		 * The block uses up the events that caused it: once it ends,
		 * the key must pass the limit anew to be blocked again.
		 */
		pd_window_reset(&c->win);
		pd_counters_block(&e->counters, c, x->now, x->now + r->hold,
		    r->kind == PD_RULE_LISTING ? PD_COUNTER_LISTING : 0);
		c->hits = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
		v->expires = c->until;
		break;
	case PD_RULE_TARPIT:
		v->tmpl = NULL;
		v->delay = r->delay_step ?
		    r->delay * (int64_t)(n - (uint64_t)r->limit) :
		    r->delay;
		if (v->delay > r->max_delay || v->delay <= 0)
			v->delay = r->max_delay;
		break;
	}
}

/* applies - the request carries the rule's event and meets its conditions */
static bool
applies(const struct pd_rule *r, struct pd_facts *x)
{
	if (r->has_event && !(x->events & (1u << r->event)))
		return false;
	if (r->helo != 0 && (r->helo & x->findings) == 0)
		return false;
	return pd_match_geo(x, &r->geo);
}

/* add_score - a scoring rule adds its score and its name */
static void
add_score(struct outcome *o, const struct pd_rule *r)
{
	size_t len = strlen(o->reasons);

	o->score += r->score;
	snprintf(o->reasons + len, sizeof(o->reasons) - len, "%s%s",
	    len ? "," : "", r->name);
}

/* consider - what to do with a rule that fired */
static void
consider(struct pd_engine *e, struct pd_facts *x, struct verdict *v,
    struct outcome *o)
{
	const struct pd_rule *r = v->rule;

	/* Decided already: a later rule still takes effect, and says so. */
	if (o->decided) {
		if (v->tmpl != NULL && r->score == 0)
			engine_emit(e, x, v, NULL);
		return;
	}
	if (r->score != 0) {
		if (v->warn)
			engine_emit(e, x, v, o->answer);
		else
			add_score(o, r);
		return;
	}
	if (v->tmpl == NULL && !v->warn) {
		/* A tarpit lets later rules still decide. */
		if (o->sleep.delay < v->delay) {
			o->sleep = *v;
			if (v->key) {
				o->sleep_key = *v->key;
				o->sleep.key = &o->sleep_key;
			}
		}
		return;
	}
	o->act = engine_emit(e, x, v, o->answer);
	o->decided = !v->warn;
}

/*
 * log_rule - a rate or tarpit rule counting a maillog event acts on the
 * requests of a key whose count is past the limit, without counting
 * them: the events come from the maillog.
 */
static void
log_rule(struct pd_engine *e, struct pd_facts *x, size_t i,
    const struct pd_key *k, struct outcome *o)
{
	const struct pd_rule *r = &e->conf->rules[i];
	struct pd_counter    *c;
	struct verdict	      v;
	uint64_t	      count;

	if (r->kind != PD_RULE_RATE && r->kind != PD_RULE_TARPIT)
		return; /* blocks are set when the event comes */
	c = pd_counters_get(&e->counters, e->slots[i], k->bytes, k->len);
	if (c == NULL || pd_counter_blocked(c, x->now))
		return;
	count = pd_counters_peek(&e->counters, c, x->now);
	if (count <= (uint64_t)r->limit)
		return;
	engine_fire(e, x, r, c, count, k, &v);
	consider(e, x, &v, o);
}

/* count_one - count request rule i, and fire it past its limit */
static void
count_one(struct pd_engine *e, struct pd_facts *x, size_t i, struct outcome *o)
{
	const struct pd_rule *r = &e->conf->rules[i];
	struct pd_counter    *c;
	struct verdict	      v;
	struct pd_key	      k;
	uint64_t	      count;

	if (!applies(r, x) || !pd_key_make(e->conf, r, x, &k))
		return;
	c = pd_counters_add(&e->counters, e->slots[i], k.bytes, k.len, x->now);
	if (c == NULL) {
		e->stats.store_full++;
		return;
	}
	/* A warn-mode block is logged by check_blocks; don't recount. */
	if (pd_counter_blocked(c, x->now))
		return;
	count = pd_counters_count(&e->counters, c, x->now, 1);
	if (count <= (uint64_t)r->limit)
		return;
	engine_fire(e, x, r, c, count, &k, &v);
	consider(e, x, &v, o);
}

/* count_rules - the rules with a limit: count, and fire past it */
static void
count_rules(struct pd_engine *e, struct pd_facts *x, const size_t *rules,
    size_t n, struct outcome *o)
{
	const struct pd_conf *conf = e->conf;
	struct pd_key	      k;

	for (size_t i = 0; i < n; i++) {
		const struct pd_rule *r = &conf->rules[rules[i]];

		if (r->limit < 0)
			continue;
		if (!pd_event_from_log(r->event)) {
			count_one(e, x, rules[i], o);
			continue;
		}
		/* Nothing counted for the rule yet: nothing to look up. */
		if (e->counters.slots[e->slots[rules[i]]].count > 0 &&
		    pd_match_geo(x, &r->geo) && pd_key_make(conf, r, x, &k))
			log_rule(e, x, rules[i], &k, o);
	}
}

/* check_rules - the rules without a limit: HELO findings and the like */
static void
check_rules(struct pd_engine *e, struct pd_facts *x, const size_t *rules,
    size_t n, struct outcome *o)
{
	const struct pd_conf *conf = e->conf;
	struct verdict	      v;

	for (size_t i = 0; i < n && !o->decided; i++) {
		const struct pd_rule *r = &conf->rules[rules[i]];

		if (r->limit >= 0 || !applies(r, x))
			continue;
		v = (struct verdict){ .name = r->name,
			.rule = r,
			.tmpl = &r->reply,
			.warn = r->warn || conf->dry_run };
		consider(e, x, &v, o);
	}
}

/* dns_failed - the HELO lookup failed and a rule wanted its answer */
static void
dns_failed(struct pd_engine *e, struct pd_facts *x, const size_t *rules,
    size_t n, struct outcome *o)
{
	const struct pd_conf *conf = e->conf;
	struct verdict	      v;
	size_t		      i;

	for (i = 0; i < n; i++)
		if (conf->rules[rules[i]].helo & (1u << PD_HELO_UNKNOWN))
			break;
	if (i == n)
		return;
	if (conf->dns_tempfail_reply.src == NULL) {
		/* The caller says so in the log; the request goes on. */
		o->dns_skipped = true;
		return;
	}
	v = (struct verdict){ .name = "dns_tempfail",
		.tmpl = &conf->dns_tempfail_reply,
		.warn = conf->dry_run };
	o->act = engine_emit(e, x, &v, o->answer);
	o->decided = !v.warn;
}

/* score_decide - the score's answer, when it reaches a threshold */
static void
score_decide(struct pd_engine *e, struct pd_facts *x, struct outcome *o)
{
	const struct pd_conf *conf = e->conf;
	struct verdict	      v = { .name = "score",
		       .score = o,
		       .warn = conf->dry_run };

	if (conf->score_reject && o->score >= conf->score_reject)
		v.tmpl = &conf->score_reject_reply;
	else if (conf->score_defer && o->score >= conf->score_defer)
		v.tmpl = &conf->score_defer_reply;
	else
		return;
	o->act = engine_emit(e, x, &v, o->answer);
	o->decided = !v.warn;
}

/* lists - a deny list or an operator's block answers; true when decided */
static bool
lists(struct pd_engine *e, struct pd_facts *x, struct outcome *o)
{
	const struct pd_access *a;
	struct verdict		v;
	struct pd_key		k;

	if ((a = pd_match_access(e->conf, x, true)) != NULL) {
		v = (struct verdict){ .name = a->name,
			.tmpl = &a->reply,
			.warn = e->conf->dry_run };
		o->act = engine_emit(e, x, &v, o->answer);
		if (!v.warn)
			return true;
	}
	if (engine_check_manual(e, x, &v, &k)) {
		o->act = engine_emit(e, x, &v, o->answer);
		if (!v.warn)
			return true;
	}
	return false;
}

/* the_rules - the rules of the profile that fits, or all of them */
static const size_t *
the_rules(struct pd_engine *e, struct pd_facts *x, size_t *n)
{
	const struct pd_profile *p = pd_match_profile(e->conf, x);

	if (p == NULL) {
		*n = e->conf->nrules;
		return e->all;
	}
	*n = p->nrules;
	return p->rules;
}

/* evaluate - the rules, in SPEC 5's order, until one decides */
static void
evaluate(struct pd_engine *e, struct pd_facts *x, struct outcome *o)
{
	struct verdict v;
	struct pd_key  k;
	const size_t  *rules;
	size_t	       n;

	if (lists(e, x, o))
		return;
	rules = the_rules(e, x, &n);
	if (check_blocks(e, x, rules, n, &v, &k)) {
		o->act = engine_emit(e, x, &v, o->answer);
		if (!v.warn)
			return;
	}
	count_rules(e, x, rules, n, o);
	if (!o->decided)
		check_rules(e, x, rules, n, o);
	if (!o->decided &&
	    (x->dns == PD_HELO_DNS_TEMPFAIL || x->dns == PD_HELO_DNS_TIMEOUT))
		dns_failed(e, x, rules, n, o);
	if (!o->decided)
		score_decide(e, x, o);
	if (!o->decided && o->sleep.delay)
		o->act = engine_emit(e, x, &o->sleep, o->answer);
}

void
engine_rules(struct pd_engine *e, struct pd_facts *x, struct pd_decision *d)
{
	struct outcome	       o = { .act = PD_ACT_DUNNO, .answer = d };
	struct pd_session_geo *sg;

	/* The session first: it knows the client's place for the lists. */
	x->events = pd_sessions_events(&e->sessions, x->req, x->now, &sg);
	pd_facts_session(x, sg);
	evaluate(e, x, &o);
	d->dns_skipped = o.dns_skipped;
	engine_count_request(e, x->req, o.act);
}
