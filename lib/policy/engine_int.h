/* SPDX-License-Identifier: ISC */
/*
 * engine_int - what the engine's files share, and nothing else does.
 *
 * The engine is one module in four files, split by job as postscreen
 * is: engine.c (binding to a config, the entry points, what others may
 * read), engine_rules.c (rule evaluation), engine_emit.c (a verdict
 * made into a decision: reply text, journal, sink) and engine_manual.c
 * (operators' blocks and the counter queries of policydctl).  Only
 * these files include this header.
 */
#ifndef PD_ENGINE_INT_H
#define PD_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "decision.h"
#include "engine.h"
#include "facts.h"
#include "key.h"

struct outcome;

/* What a rule or list decided for this request. */
struct verdict {
	const char	     *name; /* rule or list */
	const struct pd_rule *rule; /* NULL for a list */
	const struct pd_tmpl *tmpl; /* NULL for a tarpit */
	const struct pd_key  *key;
	uint64_t	      count;
	int64_t		      expires; /* 0: none */
	int64_t		      delay;   /* tarpit, ms */
	bool		      warn;
	const struct outcome *score;  /* for a score decision */
	const char	     *reason; /* an operator's block */
};

/* What the rules decided so far, while they are being evaluated. */
struct outcome {
	enum pd_action	    act;
	bool		    decided;
	struct verdict	    sleep; /* the longest tarpit */
	struct pd_key	    sleep_key;
	long long	    score;
	char		    reasons[PD_DECISION_REASONS_MAX + 1];
	bool		    dns_skipped; /* a HELO lookup failed */
	struct pd_decision *answer;	 /* filled by the deciding verdict */
};

/* engine.c */
void engine_facts(struct pd_engine *, struct pd_facts *);
void engine_count_request(struct pd_engine *, const struct pd_req *,
    enum pd_action);

/* engine_emit.c */
/*
 * engine_emit - make verdict v a decision: into the journal, to the
 * sink, and, with answer not NULL and v not a warning, into *answer.
 * Returns what the reply does (DUNNO for a warning).
 */
enum pd_action engine_emit(struct pd_engine *, struct pd_facts *,
    const struct verdict *v, struct pd_decision *answer);

/* engine_rules.c */
/*
 * engine_fire - rule r passed its limit with count n on counter c, for
 * key k: its verdict into v, and a block or listing set
 */
void engine_fire(struct pd_engine *, const struct pd_facts *,
    const struct pd_rule *r, struct pd_counter *c, uint64_t n,
    const struct pd_key *k, struct verdict *v);
/* engine_rules - the decision for a request whose facts are known */
void engine_rules(struct pd_engine *, struct pd_facts *,
    struct pd_decision *answer);

/* engine_manual.c */
/* engine_check_manual - an operator's block of a network with the client */
bool engine_check_manual(struct pd_engine *, struct pd_facts *,
    struct verdict *, struct pd_key *);

#endif
