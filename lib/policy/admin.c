/* SPDX-License-Identifier: ISC */
/*
 * admin - operators' commands on the counter store and the journal.
 *
 * A query names an address or a network; it concerns every counter
 * whose key overlaps it: for 203.0.113.9 the client's own counters, its
 * segment's (203.0.113.0/24), any manual block of a network holding it,
 * and the counters of its AS and country (for a network: those of its
 * first address).  That is also what unblock lifts, since each of those
 * would keep the address out.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "str.h"
#include "conf.h"
#include "ctl.h"
#include "engine.h"
#include "out.h"
#include "admin.h"

/* overlap - one network holds the other */
static bool
overlap(const struct pd_cidr *a, const struct pd_cidr *b)
{
	struct pd_addr x = a->addr, y = b->addr;
	int	       bits = a->bits < b->bits ? a->bits : b->bits;

	if (x.family != y.family)
		return false;
	pd_addr_mask(&x, bits);
	pd_addr_mask(&y, bits);
	return memcmp(x.bytes, y.bytes, pd_addr_len(&x)) == 0;
}

typedef void (*visit_fn)(struct pd_engine *, struct pd_counter *, void *);

/* concerns - counter c is about net, whose country and AS are w */
static bool
concerns(const struct pd_engine *e, const struct pd_counter *c,
    const struct pd_cidr *net, const struct pd_engine_where *w)
{
	struct pd_cidr kn;

	if (pd_engine_counter_net(e, c, &kn))
		return overlap(net, &kn);
	return pd_engine_counter_at(c, w);
}

/*
 * visit - call fn for each counter about net (NULL: every counter); fn
 * may free it
 */
static void
visit(struct pd_engine *e, const struct pd_cidr *net, bool blocked_only,
    visit_fn fn, void *arg)
{
	struct pd_counters    *cs = pd_engine_counters(e);
	struct pd_list	      *head, *l, *next;
	struct pd_engine_where w = { .asn = 0 };

	if (net != NULL)
		pd_engine_where(e, &net->addr, &w);
	for (size_t s = 0; s <= cs->nslots; s++) {
		if (s < cs->nslots && (blocked_only || cs->slots[s].count == 0))
			continue;
		head = s < cs->nslots ? &cs->slots[s].lru : &cs->blocked;
		for (l = head->next; l != head; l = next) {
			struct pd_counter *c =
			    pd_list_entry(l, struct pd_counter, link);

			next = l->next;
			if (net == NULL || concerns(e, c, net, &w))
				fn(e, c, arg);
		}
	}
}

static const char *
kind_name(const struct pd_engine *e, const struct pd_counter *c,
    const struct pd_rule *r)
{
	if (pd_engine_counter_manual(e, c))
		return "manual";
	return r ? pd_rule_kind_name(r->kind) : "?";
}

static const char *
state_name(const struct pd_counter *c, const struct pd_rule *r, uint64_t count,
    int64_t now)
{
	if (pd_counter_blocked(c, now))
		return c->flags & PD_COUNTER_LISTING ? "listed" : "blocked";
	if (r && r->limit >= 0 && count > (uint64_t)r->limit)
		return "over-limit";
	return "counting";
}

struct show {
	struct pd_out	*o;
	int64_t		 now;
	enum pd_ctl_what what;
	size_t		 n;
};

/* counter_out - one counter as a list item */
static void
counter_out(struct pd_engine *e, struct pd_counter *c, void *arg)
{
	struct show	     *sh = arg;
	const struct pd_rule *r = pd_engine_counter_rule(e, c);
	char		      key[PD_STR_VALUE_MAX + 1], limit[64], win[32];
	uint64_t	      count;
	int64_t		      wall = pd_engine_wall_offset(e);

	if (sh->what == PD_CTL_BLOCKS && (c->flags & PD_COUNTER_LISTING))
		return;
	if (sh->what == PD_CTL_LISTINGS && !(c->flags & PD_COUNTER_LISTING))
		return;
	count = pd_engine_counter_manual(e, c) ?
	    0 :
	    pd_counters_peek(pd_engine_counters(e), c, sh->now);
	pd_engine_counter_text(e, c, key, sizeof(key));
	pd_out_open(sh->o);
	pd_out_str(sh->o, "key", key);
	pd_out_str(sh->o, "rule",
	    pd_engine_counter_manual(e, c) ? PD_CONF_MANUAL :
		r			   ? r->name :
		    pd_engine_counters(e)->slots[c->slot].name);
	pd_out_str(sh->o, "kind", kind_name(e, c, r));
	pd_out_str(sh->o, "state", state_name(c, r, count, sh->now));
	if (r && r->limit >= 0) {
		pd_str_fmt_duration(win, sizeof(win), r->window);
		snprintf(limit, sizeof(limit), "%lld/%s", r->limit, win);
		/* A block used its events up: show the count that set it. */
		pd_out_int(sh->o, "count",
		    pd_counter_blocked(c, sh->now) && c->hits ?
			(long long)c->hits :
			(long long)count);
		pd_out_str(sh->o, "limit", limit);
	}
	/* Counted on policyd's clock, shown on the wall clock. */
	pd_out_time(sh->o, "first", c->first + wall);
	pd_out_time(sh->o, "last", c->last + wall);
	if (pd_counter_blocked(c, sh->now)) {
		pd_out_time(sh->o, "since", c->since + wall);
		pd_out_time(sh->o, "expires", c->until + wall);
		if (c->note)
			pd_out_str(sh->o, "reason", c->note);
	}
	pd_out_close(sh->o);
	sh->n++;
}

static void
pair_out(void *arg, const char *name, const char *value)
{
	pd_out_str(arg, name, value);
}

/* decision_out - a decision's fields as values, and its time first */
static void
decision_out(struct pd_out *o, const struct pd_decision *d)
{
	pd_out_time(o, "time", d->when);
	pd_decision_pairs(d, pair_out, o);
}

static int
cmd_show(struct pd_engine *e, const struct pd_ctl_cmd *cmd, int64_t now,
    struct pd_out *o)
{
	struct show		 sh = { .o = o, .now = now };
	const struct pd_journal *j = pd_engine_journal(e);
	const struct pd_addr	*client;
	struct pd_decision	 d;
	struct pd_engine_where	 w;
	char			 net[PD_CIDR_STRLEN];
	size_t			 shown = 0;

	pd_cidr_format(&cmd->net, net, sizeof(net));
	pd_out_str(o, "address", net);
	pd_engine_where(e, &cmd->net.addr, &w);
	if (*w.country)
		pd_out_str(o, "country", w.country);
	if (w.asn)
		pd_out_int(o, "asn", (long long)w.asn);
	pd_out_list(o, "counters");
	visit(e, &cmd->net, false, counter_out, &sh);
	pd_out_end(o);
	/* The latest decisions about it, newest first. */
	pd_out_list(o, "decisions");
	for (size_t i = 0;
	     (client = pd_journal_client(j, i)) != NULL && shown < 10; i++) {
		if (!pd_cidr_match(&cmd->net, client) ||
		    !pd_journal_at(j, i, &d))
			continue;
		pd_out_open(o);
		decision_out(o, &d);
		pd_out_close(o);
		shown++;
	}
	pd_out_end(o);
	return PD_CTL_OK;
}

static int
cmd_list(struct pd_engine *e, const struct pd_ctl_cmd *cmd, int64_t now,
    struct pd_out *o)
{
	struct show sh = { .o = o, .now = now, .what = cmd->what };

	pd_out_list(o,
	    cmd->what == PD_CTL_LISTINGS   ? "listings" :
		cmd->what == PD_CTL_BLOCKS ? "blocks" :
					     "blocked");
	visit(e, NULL, true, counter_out, &sh);
	pd_out_end(o);
	pd_out_int(o, "total", (long long)sh.n);
	return PD_CTL_OK;
}

static int
cmd_block(struct pd_engine *e, const struct pd_ctl_cmd *cmd, int64_t now,
    struct pd_out *o, struct pd_err *err)
{
	char net[PD_CIDR_STRLEN], until[32];
	int  kept;

	if ((kept = pd_engine_block(e, &cmd->net, now, now + cmd->duration,
		 cmd->reason, cmd->replace, err)) < 0)
		return PD_CTL_FAILED;
	pd_cidr_format(&cmd->net, net, sizeof(net));
	pd_str_fmt_time(until, sizeof(until),
	    pd_engine_block_until(e, &cmd->net) + pd_engine_wall_offset(e));
	pd_log_info("control: block %s until %s%s reason=\"%s\"", net, until,
	    kept ? " (kept the longer block)" : "", cmd->reason);
	pd_out_str(o, "blocked", net);
	pd_out_str(o, "expires", until);
	pd_out_str(o, "reason", cmd->reason);
	if (kept)
		pd_out_str(o, "note",
		    "kept the block that ends later; --replace shortens it");
	return PD_CTL_OK;
}

struct lift {
	struct pd_out *o;
	bool	       reset;
	int64_t	       now;
	size_t	       n;
};

/* lift_one - unblock (or, for reset, forget) one counter */
static void
lift_one(struct pd_engine *e, struct pd_counter *c, void *arg)
{
	struct lift	     *lf = arg;
	const struct pd_rule *r = pd_engine_counter_rule(e, c);
	const char *rule = pd_engine_counter_manual(e, c) ? PD_CONF_MANUAL :
	    r						  ? r->name :
							    "?";
	char	    key[PD_STR_VALUE_MAX + 1];

	if (!lf->reset && !pd_counter_blocked(c, lf->now))
		return;
	pd_engine_counter_text(e, c, key, sizeof(key));
	pd_out_open(lf->o);
	pd_out_str(lf->o, "key", key);
	pd_out_str(lf->o, "rule", rule);
	if (pd_counter_blocked(c, lf->now))
		pd_out_str(lf->o, "lifted",
		    c->flags & PD_COUNTER_LISTING ? "listing" : "block");
	pd_out_close(lf->o);
	pd_log_info("control: %s rule=%s key=%s",
	    lf->reset ? "reset" : "unblock", rule, key);
	/* A manual block is nothing but its block. */
	if (lf->reset || pd_engine_counter_manual(e, c))
		pd_counters_remove(pd_engine_counters(e), c);
	else
		pd_counters_unblock(pd_engine_counters(e), c);
	lf->n++;
}

static int
cmd_lift(struct pd_engine *e, const struct pd_ctl_cmd *cmd, int64_t now,
    struct pd_out *o, struct pd_err *err)
{
	struct lift lf = { .o = o,
		.reset = cmd->op == PD_CTL_RESET,
		.now = now };
	char	    net[PD_CIDR_STRLEN];

	pd_cidr_format(&cmd->net, net, sizeof(net));
	pd_out_list(o, lf.reset ? "reset" : "unblocked");
	visit(e, &cmd->net, !lf.reset, lift_one, &lf);
	pd_out_end(o);
	if (lf.n == 0) {
		pd_err_set(err,
		    lf.reset ? "nothing is counted for %s" :
			       "nothing blocks %s",
		    net);
		return PD_CTL_FAILED;
	}
	return PD_CTL_OK;
}

static int
cmd_explain(struct pd_engine *e, const struct pd_ctl_cmd *cmd, struct pd_out *o,
    struct pd_err *err)
{
	const struct pd_journal *j = pd_engine_journal(e);
	struct pd_decision	 d;
	char			 ref[16];

	pd_engine_ref(cmd->ref, ref, sizeof(ref));
	if (!pd_journal_find(j, cmd->ref, &d)) {
		pd_err_set(err,
		    "%s is not among the last %zu decisions; look "
		    "for ref=%s in the mail log",
		    ref, j->cap, ref);
		return PD_CTL_FAILED;
	}
	decision_out(o, &d);
	if (*d.reply)
		pd_out_str(o, "reply", d.reply);
	return PD_CTL_OK;
}

int
pd_admin_run(struct pd_engine *e, const struct pd_ctl_cmd *cmd, int64_t now,
    struct pd_out *o, struct pd_err *err)
{
	switch (cmd->op) {
	case PD_CTL_SHOW:
		return cmd_show(e, cmd, now, o);
	case PD_CTL_LIST:
		return cmd_list(e, cmd, now, o);
	case PD_CTL_BLOCK:
		return cmd_block(e, cmd, now, o, err);
	case PD_CTL_UNBLOCK:
	case PD_CTL_RESET:
		return cmd_lift(e, cmd, now, o, err);
	case PD_CTL_EXPLAIN:
		return cmd_explain(e, cmd, o, err);
	default:
		pd_err_set(err, "not a command of the engine");
		return PD_CTL_USAGE;
	}
}
