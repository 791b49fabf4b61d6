/* SPDX-License-Identifier: ISC */
/*
 * conf_rule - the rule block of policyd.conf: a handler for each key,
 * and the checks at "}" that the keys make sense together.
 *
 * A handler checks its one value; whether the keys of a rule go
 * together (how it answers, what a maillog event can count by) waits
 * for the end of the block, in conf_close_rule, so that the order of
 * the lines in a block does not matter.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "str.h"
#include "conf.h"
#include "helo.h"
#include "conf_int.h"

/* rule_kind - block, release and delay each make a rule of one kind */
static int
rule_kind(struct pd_rule *r, enum pd_rule_kind kind, struct pd_err *err)
{
	if (r->kind != PD_RULE_RATE && r->kind != kind)
		return pd_err_set(err,
		    "block, release and delay exclude each "
		    "other");
	r->kind = kind;
	return 0;
}

static int
rule_event(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;
	int		n;

	if ((n = pd_event_lookup(val)) < 0)
		return pd_err_set(err, "unknown event \"%s\"", val);
	r->event = (enum pd_event_type)n;
	r->has_event = true;
	return 0;
}

/* rule_key_type - "key = client_address", what the rule counts by */
static int
rule_key_type(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;
	int		n;

	if ((n = pd_key_lookup(val)) < 0)
		return pd_err_set(err, "unknown key \"%s\"", val);
	r->key = (enum pd_key_type)n;
	return 0;
}

/* rule_limit - "N per DURATION" */
static int
rule_limit(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;
	char		num[32], per[8], dur[32], extra;

	if (sscanf(val, "%31s %7s %31s %c", num, per, dur, &extra) != 3 ||
	    strcmp(per, "per") != 0)
		return pd_err_set(err,
		    "limit must read \"N per DURATION\", "
		    "e.g. \"1000 per 1h\"");
	if (pd_str_int(num, 0, 1000000000, &r->limit, err) < 0 ||
	    pd_str_duration(dur, &r->window, err) < 0)
		return -1;
	if (r->window < 1000)
		return pd_err_set(err, "window must be at least 1s");
	return 0;
}

/* rule_block - "block = DURATION" */
static int
rule_block(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;

	if (rule_kind(r, PD_RULE_BLOCK, err) < 0 ||
	    pd_str_duration(val, &r->hold, err) < 0)
		return -1;
	return r->hold > 0 ? 0 :
			     pd_err_set(err,
				 "block must be longer "
				 "than 0");
}

/* rule_release - "release = quiet DURATION" */
static int
rule_release(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;
	char		word[16], dur[32], extra;

	if (sscanf(val, "%15s %31s %c", word, dur, &extra) != 2 ||
	    strcmp(word, "quiet") != 0)
		return pd_err_set(err, "release must read \"quiet DURATION\"");
	if (rule_kind(r, PD_RULE_LISTING, err) < 0 ||
	    pd_str_duration(dur, &r->hold, err) < 0)
		return -1;
	return r->hold > 0 ? 0 :
			     pd_err_set(err,
				 "quiet period must be longer "
				 "than 0");
}

/*
 * rule_delay - "delay = DURATION [step]".  Whole seconds, as Postfix's
 * SLEEP action takes them.
 */
static int
rule_delay(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;
	char		word[16], dur[32], extra;
	int		n;

	n = sscanf(val, "%31s %15s %c", dur, word, &extra);
	if (n < 1 || n > 2 || (n == 2 && strcmp(word, "step") != 0))
		return pd_err_set(err,
		    "delay must read \"DURATION\" or "
		    "\"DURATION step\"");
	if (rule_kind(r, PD_RULE_TARPIT, err) < 0 ||
	    pd_str_duration(dur, &r->delay, err) < 0)
		return -1;
	if (r->delay < 1000 || r->delay % 1000)
		return pd_err_set(err,
		    "delay must be whole seconds, at "
		    "least 1s");
	r->delay_step = n == 2;
	return 0;
}

/* rule_max_delay - checked with delay when the block closes */
static int
rule_max_delay(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;

	return pd_str_duration(val, &r->max_delay, err);
}

static int
rule_mode(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;

	if (strcmp(val, "warn") == 0)
		r->warn = true;
	else if (strcmp(val, "enforce") == 0)
		r->warn = false;
	else
		return pd_err_set(err, "mode must be enforce or warn");
	return 0;
}

static int
rule_reply(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;

	if (pd_tmpl_check_action(val, err) < 0)
		return -1;
	return pd_tmpl_compile(&r->reply, val, err);
}

/* rule_helo - "helo = invalid, non_fqdn": findings, any of which holds */
static int
rule_helo(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule	 *r = blk;
	struct pd_strlist words = { 0 };
	int		  n, rc = 0;

	if (pd_strlist_split(&words, val) < 0)
		return pd_err_set(err, "out of memory");
	for (size_t j = 0; rc == 0 && j < words.n; j++) {
		if ((n = pd_helo_finding_lookup(words.v[j])) < 0)
			rc = pd_err_set(err, "unknown HELO finding \"%s\"",
			    words.v[j]);
		else
			r->helo |= 1u << n;
	}
	pd_strlist_free(&words);
	if (rc < 0)
		return -1;
	return r->helo ? 0 : pd_err_set(err, "no HELO finding named");
}

static int
rule_score(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;

	return pd_str_int(val, -1000000, 1000000, &r->score, err);
}

static int
rule_country(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;

	return conf_geo_cond(&r->geo, false, val, err);
}

static int
rule_asn(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;

	return conf_geo_cond(&r->geo, true, val, err);
}

/* rule_codes - "codes = 5xx, 454 4.7.1, !5.7.1": which rejects count */
static int
rule_codes(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;

	return pd_codes_parse(&r->codes, val, err);
}

static const struct blockkey rule_keys[] = {
	{ "event", rule_event },
	{ "key", rule_key_type },
	{ "limit", rule_limit },
	{ "block", rule_block },
	{ "release", rule_release },
	{ "delay", rule_delay },
	{ "max_delay", rule_max_delay },
	{ "mode", rule_mode },
	{ "reply", rule_reply },
	{ "helo", rule_helo },
	{ "score", rule_score },
	{ "country", rule_country },
	{ "asn", rule_asn },
	{ "codes", rule_codes },
};

const struct blocktype conf_rule_block = { "rule", rule_keys,
	NITEMS(rule_keys) };

/* Each key is a bit of ps->seen. */
_Static_assert(NITEMS(rule_keys) <= 32, "more block keys than bits in seen");

/* close_rule_answer - a rule that fires must have one way to answer */
static void
close_rule_answer(struct parser *ps, struct pd_rule *r)
{
	unsigned l = ps->block_line;

	if (r->kind != PD_RULE_TARPIT) {
		if (r->reply.src == NULL && r->score == 0)
			conf_perr(ps, l, "rule %s: no reply", r->name);
		if (r->max_delay)
			conf_perr(ps, l,
			    "rule %s: max_delay is for delay "
			    "rules",
			    r->name);
		return;
	}
	/* A tarpit's answer is the delay itself. */
	if (r->reply.src)
		conf_perr(ps, l,
		    "rule %s: a tarpit replies SLEEP; "
		    "it takes no reply",
		    r->name);
	/* A growing delay stops at 30s unless told; a fixed one is its cap. */
	if (r->max_delay == 0)
		r->max_delay = r->delay_step ? 30000 : r->delay;
	/* Postfix gives up on an answer that takes longer than 100s. */
	if (r->max_delay < r->delay || r->max_delay >= 100000)
		conf_perr(ps, l,
		    "rule %s: max_delay must be at least "
		    "delay and below Postfix's 100s policy "
		    "timeout",
		    r->name);
}

/*
 * close_rule_codes - codes are for the rejects, which count their
 * event's default list unless told; no rule counts the server's own
 * deferrals
 */
static void
close_rule_codes(struct parser *ps, struct pd_rule *r)
{
	const char   *def;
	struct pd_err err;

	if (!r->has_event) {
		if (r->codes.n)
			conf_perr(ps, ps->block_line,
			    "rule %s: codes need an event to count", r->name);
		return;
	}
	if (r->event == PD_EV_SERVER_DEFER)
		conf_perr(ps, ps->block_line,
		    "rule %s: server_defer is the server's doing, not the "
		    "client's: no rule counts it",
		    r->name);
	if ((def = pd_codes_default(r->event)) == NULL) {
		if (r->codes.n)
			conf_perr(ps, ps->block_line,
			    "rule %s: codes are for rcpt_rejected and "
			    "data_rejected",
			    r->name);
		return;
	}
	if (r->codes.n == 0 && pd_codes_parse(&r->codes, def, &err) < 0)
		conf_perr(ps, ps->block_line, "rule %s: %s", r->name, err.msg);
}

/*
 * conf_close_rule - check what one key alone cannot: the keys of a
 * rule must make sense together.  Each check turns away a rule that
 * would do something other than what its author meant.
 */
void
conf_close_rule(struct parser *ps, struct pd_rule *r)
{
	unsigned l = ps->block_line;

	/* Most likely a line left out; it would answer all mail. */
	if (!r->has_event && r->helo == 0 && pd_geo_cond_empty(&r->geo))
		conf_perr(ps, l,
		    "rule %s: no event and no condition: it "
		    "would match every request",
		    r->name);
	/* These act once a count passes its limit: no limit, no count. */
	if (r->limit < 0 && r->kind != PD_RULE_RATE)
		conf_perr(ps, l,
		    "rule %s: block, release and delay need a "
		    "limit",
		    r->name);
	if (r->limit >= 0 && !r->has_event)
		conf_perr(ps, l, "rule %s: a limit needs an event to count",
		    r->name);
	close_rule_codes(ps, r);
	/*
	 * A maillog event is counted after the fact, with no request to
	 * answer or score and no HELO name; all the log line gives is the
	 * client's address, so the key must be one that address yields.
	 */
	if (r->has_event && pd_event_from_log(r->event) &&
	    (r->limit < 0 || r->helo || r->score ||
		r->key == PD_KEY_SASL_USERNAME ||
		r->key == PD_KEY_SENDER_DOMAIN))
		conf_perr(ps, l,
		    "rule %s: a maillog event needs a limit, no "
		    "helo condition or score, and a key the client "
		    "address gives: client_address, client_prefix, asn "
		    "or country",
		    r->name);
	/* A score is added up and the total answers, never the rule. */
	if (r->score && (r->reply.src || r->kind != PD_RULE_RATE))
		conf_perr(ps, l,
		    "rule %s: score takes the place of reply, "
		    "block, release and delay",
		    r->name);
	close_rule_answer(ps, r);
}
