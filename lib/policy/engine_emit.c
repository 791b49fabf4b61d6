/* SPDX-License-Identifier: ISC */
/*
 * engine_emit - a verdict made into a decision.
 *
 * The reply text comes from the one template renderer; the decision
 * gets a reference id that can also go into that text, then goes into
 * the journal and to the sink.  Nothing here formats a log line or the
 * wire: that is decision.c's and proto.c's job.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "str.h"
#include "conf.h"
#include "proto.h"
#include "engine_int.h"

/* count_decision - one decision of a rule or list, by its name */
static void
count_decision(struct pd_engine *e, const char *name, enum pd_action act,
    bool warn)
{
	struct pd_engine_rulestat *rs = NULL, *p;

	for (size_t i = 0; i < e->nrstats && rs == NULL; i++)
		if (strcmp(e->rstats[i].name, name) == 0)
			rs = &e->rstats[i];
	if (rs == NULL) {
		/* A name is added once; a reload keeps its totals going. */
		p = realloc(e->rstats, (e->nrstats + 1) * sizeof(*p));
		if (p == NULL)
			return;
		e->rstats = p;
		rs = &p[e->nrstats++];
		memset(rs, 0, sizeof(*rs));
		snprintf(rs->name, sizeof(rs->name), "%s", name);
	}
	if (warn)
		rs->warned++;
	else
		rs->actions[act]++;
}

/* Texts for the template, kept alive while it is rendered. */
struct texts {
	char	count[24], limit[24], win[32], exp[32], asn[16], score[24];
	char	ref[16];
	int64_t wall; /* add to show a time (clock.h) */
};

/* vars_limits - the variables of a counting rule, a block and a score */
static void
vars_limits(const struct verdict *v, struct texts *t, const char **vars)
{
	if (v->rule && v->rule->limit >= 0) {
		snprintf(t->count, sizeof(t->count), "%" PRIu64, v->count);
		snprintf(t->limit, sizeof(t->limit), "%lld", v->rule->limit);
		pd_str_fmt_duration(t->win, sizeof(t->win), v->rule->window);
		vars[PD_VAR_COUNT] = t->count;
		vars[PD_VAR_LIMIT] = t->limit;
		vars[PD_VAR_WINDOW] = t->win;
	}
	if (v->expires) {
		pd_str_fmt_time(t->exp, sizeof(t->exp), v->expires + t->wall);
		vars[PD_VAR_EXPIRES] = t->exp;
	}
	if (v->score) {
		snprintf(t->score, sizeof(t->score), "%lld", v->score->score);
		vars[PD_VAR_SCORE] = t->score;
		vars[PD_VAR_REASONS] = v->score->reasons;
	}
}

/* emit_reply_text - the rendered action text of verdict v, into text */
static void
emit_reply_text(struct pd_facts *x, const struct verdict *v, const char *key,
    struct texts *t, struct pd_buf *text)
{
	const char *vars[PD_VAR_MAX] = { 0 };

	if (v->tmpl == NULL) {
		pd_buf_printf(text, "SLEEP %" PRId64, v->delay / 1000);
		return;
	}
	vars[PD_VAR_CLIENT_ADDRESS] = pd_facts_client(x);
	vars[PD_VAR_CLIENT_NAME] = pd_req_get(x->req, PD_A_CLIENT_NAME);
	vars[PD_VAR_HELO_NAME] = pd_req_get(x->req, PD_A_HELO_NAME);
	vars[PD_VAR_SENDER] = pd_req_get(x->req, PD_A_SENDER);
	vars[PD_VAR_RECIPIENT] = pd_req_get(x->req, PD_A_RECIPIENT);
	vars[PD_VAR_RULE] = v->name;
	vars[PD_VAR_REF] = t->ref;
	vars[PD_VAR_KEY] = key;
	vars_limits(v, t, vars);
	vars[PD_VAR_TLD] = x->tld;
	vars[PD_VAR_REASON] = v->reason;
	vars[PD_VAR_COUNTRY] = pd_facts_country(x);
	if (pd_facts_asn(x))
		snprintf(t->asn, sizeof(t->asn), "%" PRIu32, x->asn);
	vars[PD_VAR_ASN] = t->asn;
	pd_tmpl_render(v->tmpl, vars, text);
}

/* fill - the decision's fields from the verdict and the facts */
static void
fill(struct pd_facts *x, const struct verdict *v, int64_t wall,
    struct pd_decision *d)
{
	const char *s;

	*d = (struct pd_decision){ .warn = v->warn,
		.from_log = x->from_log,
		.when = x->now + wall,
		.client = x->client,
		.count = v->count,
		.delay = v->delay,
		.expires = v->expires ? v->expires + wall : 0 };
	memcpy(d->country, pd_facts_country(x), sizeof(d->country));
	d->asn = pd_facts_asn(x);
	snprintf(d->rule, sizeof(d->rule), "%s", v->name);
	if (v->key)
		pd_key_text(v->key, d->key, sizeof(d->key));
	s = pd_req_get(x->req, PD_A_HELO_NAME);
	if (*x->helo)
		pd_str_sanitize(d->helo, sizeof(d->helo), s, strlen(s));
	s = pd_req_get(x->req, PD_A_PROTOCOL_STATE);
	pd_str_sanitize(d->state, sizeof(d->state), s, strlen(s));
	if (v->rule && v->rule->limit >= 0) {
		d->counted = true;
		d->limit = v->rule->limit;
		d->window = v->rule->window;
	}
	if (v->score) {
		d->scored = true;
		d->score = v->score->score;
		snprintf(d->reasons, sizeof(d->reasons), "%s",
		    v->score->reasons);
	}
	if (v->reason) {
		d->has_reason = true;
		snprintf(d->reason, sizeof(d->reason), "%s", v->reason);
	}
}

enum pd_action
engine_emit(struct pd_engine *e, struct pd_facts *x, const struct verdict *v,
    struct pd_decision *answer)
{
	struct pd_decision d;
	struct texts	   t = { .asn = "", .wall = e->wall_offset };
	struct pd_buf	   text;
	bool		   sent = answer != NULL && !v->warn;

	/* What people read is wall-clock time (clock.h). */
	fill(x, v, e->wall_offset, &d);
	d.ref = e->ref_next & 0xffffff;
	pd_decision_ref(d.ref, t.ref, sizeof(t.ref));
	/* An odd step visits every 24-bit value before one repeats. */
	e->ref_next += 0x9e3779;
	pd_buf_init(&text, PD_DECISION_REPLY_MAX);
	emit_reply_text(x, v, *d.key ? d.key : pd_facts_client(x), &t, &text);
	d.act = pd_tmpl_action(pd_buf_str(&text));
	/* What the client was told; nothing when another verdict answered. */
	if (sent)
		snprintf(d.reply, sizeof(d.reply), "%s", pd_buf_str(&text));
	pd_buf_clear(&text);
	pd_journal_add(&e->journal, &d);
	count_decision(e, v->name, d.act, v->warn);
	if (e->sink)
		e->sink(e->sink_arg, &d);
	if (!sent) {
		e->stats.warned += v->warn;
		return PD_ACT_DUNNO;
	}
	if (d.act == PD_ACT_DEFER || d.act == PD_ACT_REJECT)
		pd_own_note(&e->own, &x->client, d.reply, x->now);
	*answer = d;
	return d.act;
}
