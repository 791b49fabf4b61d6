/* SPDX-License-Identifier: ISC */
/*
 * decision - what policyd decided about one request or maillog event,
 * as a value.
 *
 * The engine fills a decision and writes nothing.  The daemon frames
 * its reply for Postfix (pd_proto_reply), the log gets its key=value
 * line (pd_decision_line), the journal keeps its fields, and policydctl
 * and replay read those fields: no module parses a log line back.
 *
 * Every string is a copy held in the struct, so a decision outlives the
 * request, the config and the counters it came from.
 */
#ifndef PD_DECISION_H
#define PD_DECISION_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "counter.h"
#include "str.h"
#include "tmpl.h"

struct pd_buf;

/* The longest action text: a rendered reply, or "SLEEP N". */
#define PD_DECISION_REPLY_MAX	(PD_TMPL_REPLY_MAX + 16)
#define PD_DECISION_REASONS_MAX 255

struct pd_decision {
	enum pd_action act;	    /* what the reply does (or would) */
	bool	       warn;	    /* logged only: the request goes on */
	bool	       from_log;    /* a maillog event, not a request */
	bool	       counted;	    /* count, limit and window are set */
	bool	       scored;	    /* score and reasons are set */
	bool	       has_reason;  /* reason is set (an operator's block) */
	bool	       dns_skipped; /* the HELO lookup failed; check skipped */
	const char    *malformed;   /* why the request was not understood,
					   static text; NULL when it was */
	uint32_t       ref;	    /* 24 bits; 0 for a plain DUNNO */
	int64_t	       when;	    /* ms since the epoch */
	struct pd_addr client;
	char	       country[3]; /* "" when not known */
	uint32_t       asn;	   /* 0 when not known */
	uint64_t       count;
	long long      limit;
	int64_t	       window; /* ms */
	int64_t	       delay;  /* tarpit, ms; 0 none */
	long long      score;
	int64_t	       expires; /* ms; 0 none */
	/* The strings last: the journal keeps them cut to their length. */
	char	       rule[PD_COUNTER_NAME_MAX + 1]; /* "" for DUNNO */
	char	       key[PD_STR_VALUE_MAX + 1];     /* "" when the client */
	char	       helo[PD_STR_VALUE_MAX + 1];    /* as sent; "" none */
	char	       state[24]; /* protocol_state; "" none */
	char	       reasons[PD_DECISION_REASONS_MAX + 1];
	char	       reason[PD_STR_VALUE_MAX + 1];
	char	       reply[PD_DECISION_REPLY_MAX + 1]; /* the action
					   text sent; "" when none was */
};

/* pd_decision_dunno - the plain answer: DUNNO, nothing logged */
void pd_decision_dunno(struct pd_decision *, int64_t when);

/* A pair of a decision, as pd_decision_pairs() hands it on. */
typedef void (
    *pd_decision_pair_fn)(void *arg, const char *name, const char *value);

/*
 * pd_decision_pairs - the decision's fields as name/value pairs, in the
 * order of the log line (action, would, rule, client, country, asn,
 * key, source, helo, state, count, limit, delay, score, reasons,
 * reason, expires, ref); fields that are not set are left out.  The
 * reply is not among them.
 */
void pd_decision_pairs(const struct pd_decision *, pd_decision_pair_fn,
    void *arg);

/*
 * pd_decision_line - the one log line of a decision, built in line;
 * returns its text (inside line).
 */
const char *pd_decision_line(const struct pd_decision *, struct pd_buf *line);

/* pd_decision_ref - format a reference id "PD-7F3A2C" */
void pd_decision_ref(uint32_t id, char *buf, size_t len);

#endif
