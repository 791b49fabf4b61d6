/* SPDX-License-Identifier: ISC */
/*
 * engine - the decision for one policy request.
 *
 * Order, as SPEC 5 gives it: allow lists, deny lists, active blocks and
 * listings, then counting and rule triggers; the first decisive answer
 * wins and every request gets one.  A rule in warn mode (or every rule,
 * with dry_run) logs what it would have done and lets the request on.
 *
 * The engine never reads the clock and does no I/O: the caller passes
 * "now" (ms since the epoch), which is what lets the tests run hour-
 * and day-long windows in milliseconds, and gets each decision back as
 * a value.  The answer to a request comes back from pd_engine_decide();
 * every decision that is not a plain DUNNO (the answer, a warn-mode
 * rule, a block set by a later rule, a block set from the maillog) also
 * goes to the sink and into the journal, in the order made.
 *
 * The HELO check's DNS answer is asked for, not fetched: the caller asks
 * pd_engine_dns_name() which name a request needs, looks it up itself,
 * then decides once with the answer (postscreen's request, then
 * retrieve).
 *
 * The config is borrowed: it must outlive the engine or the next
 * pd_engine_set_conf().  Counters and blocks belong to the engine and
 * survive a config change for every rule that keeps its name, event,
 * key and window.  The struct is public so that it can be embedded;
 * other modules use the functions below, not its fields.
 */
#ifndef PD_ENGINE_H
#define PD_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "counter.h"
#include "decision.h"
#include "event.h"
#include "helo.h"
#include "journal.h"
#include "own.h"
#include "session.h"
#include "tmpl.h"

struct pd_cidr;
struct pd_geo;
struct pd_conf;
struct pd_rule;
struct pd_err;
struct pd_req;

/* Requests are counted by protocol_state; these, then "other". */
#define PD_ENGINE_STATES 10
extern const char *const pd_engine_states[PD_ENGINE_STATES];

struct pd_engine_stats {
	uint64_t requests;
	uint64_t malformed;
	uint64_t actions[PD_ACT_OTHER + 1];
	uint64_t by_state[PD_ENGINE_STATES][PD_ACT_OTHER + 1];
	uint64_t warned;
	uint64_t store_full;
	uint64_t log_events;
	uint64_t own_rejects;	 /* maillog rejects that were ours */
	uint64_t server_defers;	 /* the server's own deferrals, busy */
	uint64_t drops_forgiven; /* drops that were the server's doing */
	uint64_t geoip_errors;	 /* lookups that failed */
};

/* Decisions per rule (or list, "manual", "score"), by name. */
struct pd_engine_rulestat {
	char	 name[PD_COUNTER_NAME_MAX + 1];
	uint64_t actions[PD_ACT_OTHER + 1];
	uint64_t warned;
};

/* Where decisions go as they are made (see above); arg is the caller's. */
typedef void (*pd_engine_sink)(void *arg, const struct pd_decision *);
/*
 * Told of each maillog event counted for conf rule i into c, before the
 * rule may fire; c is valid during the call only.  Replay uses it to
 * tell what a decision came from; the daemon sets none.
 */
typedef void (*pd_engine_tap)(void *arg, size_t i, const struct pd_counter *c,
    int64_t now);

struct pd_engine {
	const struct pd_conf	  *conf;
	int			  *slots; /* per conf rule: counter slot */
	size_t			  *all;	  /* 0..nrules-1: no profile matched */
	struct pd_counters	   counters;
	struct pd_sessions	   sessions;
	uint32_t		   ref_next;
	bool			   needs_dns; /* a rule checks "unknown" */
	pd_engine_sink		   sink;
	void			  *sink_arg;
	pd_engine_tap		   tap; /* NULL: none */
	void			  *tap_arg;
	struct pd_engine_stats	   stats;
	struct pd_engine_rulestat *rstats; /* owned, nrstats of them */
	size_t			   nrstats;
	struct pd_own		   own;	    /* our rejects, lately */
	struct pd_journal	   journal; /* the latest decisions */
	int			   manual;  /* slot of operators' blocks */
	uint64_t		   manual_bits[2][3]; /* prefix lengths in
							   use, IPv4 and IPv6 */
	const struct pd_geo	  *geo;		      /* borrowed; NULL: none */
	uint32_t		   geo_gen;	/* counts pd_engine_set_geo() */
	int64_t			   wall_offset; /* wall clock minus "now" */
	int64_t busy_until; /* a service at its process limit: drops
			       until then are the server's */
};

/*
 * How long the master runs a busy service in stress mode after it hit
 * its process limit (master_avail.c), with its timeouts shortened and
 * its error limit cut to one.
 */
#define PD_ENGINE_STRESS (1000 * 1000)

/* Where an address is, as far as the databases know. */
struct pd_engine_where {
	char	 country[3]; /* "" when not known */
	uint32_t asn;	     /* 0 when not known */
};

/* pd_engine_init - seed makes reference ids differ between runs */
int  pd_engine_init(struct pd_engine *, const struct pd_conf *, uint32_t seed,
     struct pd_err *);
void pd_engine_clear(struct pd_engine *);
/* pd_engine_set_conf - switch to a new (valid) config, keeping counters */
int  pd_engine_set_conf(struct pd_engine *, const struct pd_conf *,
     struct pd_err *);
/*
 * pd_engine_set_geo - the country and ASN databases (NULL: none).  They
 * are borrowed and looked up in when a decision needs them, once per
 * SMTP session.  After swapping the handles inside *geo, call this
 * again so that sessions look up anew.
 */
void pd_engine_set_geo(struct pd_engine *, const struct pd_geo *);
/*
 * pd_engine_set_wall_offset - how far the wall clock is from the "now"
 * the engine is given (pd_clock_wall_offset()).  Times are counted on
 * "now"; decisions, replies and policydctl show them plus this offset.
 */
void pd_engine_set_wall_offset(struct pd_engine *, int64_t offset);
int64_t pd_engine_wall_offset(const struct pd_engine *);
/* pd_engine_set_sink - where decisions go (NULL: nowhere) */
void	pd_engine_set_sink(struct pd_engine *, pd_engine_sink, void *arg);
/* pd_engine_set_tap - who is told of counted maillog events (NULL: none) */
void	pd_engine_set_tap(struct pd_engine *, pd_engine_tap, void *arg);

/*
 * pd_engine_dns_name - whether deciding r needs the DNS answer (A, then
 * AAAA) for its HELO name, and which name (into name, at least
 * PD_HELO_NAME_MAX + 1 bytes).  Pure: counts nothing, changes nothing.
 */
bool pd_engine_dns_name(struct pd_engine *, const struct pd_req *r, char *name,
    size_t size);
/*
 * pd_engine_decide - answer one request into d.  dns is what the lookup
 * of the HELO name gave, or PD_HELO_DNS_NONE when none was made.  A
 * request that cannot be answered gets DUNNO with d->malformed set.
 */
void pd_engine_decide(struct pd_engine *, const struct pd_req *, int64_t now,
    enum pd_helo_dns dns, struct pd_decision *d);
/*
 * pd_engine_malformed - a request that could not be parsed: counted,
 * and answered DUNNO in d.
 */
void pd_engine_malformed(struct pd_engine *, int64_t now,
    struct pd_decision *d);

/*
 * pd_engine_event - count an event the maillog reported for client at
 * now.  A block or listing rule that passes its limit blocks the key,
 * and says so to the sink; rate and tarpit rules act on the key's next
 * requests.  reason is what Postfix logged (maillog.h): for rejects the
 * reply with its codes, "550 5.1.1 User unknown", which the rule's
 * codes must match.  Allow-listed clients are not counted, and neither
 * is a reject that is a reply policyd itself gave that client in the
 * last PD_OWN_TTL.  PD_EV_SERVER_DEFER counts nothing: it is remembered,
 * and a drop for too many errors within PD_OWN_TTL after the server
 * deferred that client, or any drop within PD_ENGINE_STRESS after a
 * service was at its process limit (client of family 0), is forgiven.
 */
void pd_engine_event(struct pd_engine *, enum pd_event_type,
    const struct pd_addr *client, const char *reason, int64_t now);

/* pd_engine_tick - housekeeping: expire idle counters and sessions */
void pd_engine_tick(struct pd_engine *, int64_t now);

/* pd_engine_ref - format a reference id "PD-7F3A2C" */
void pd_engine_ref(uint32_t id, char *buf, size_t len);

/*
 * pd_engine_block - an operator's block of net until until, with a
 * reason that the reply (block_reply) and policydctl show.  A manual
 * block of the same net takes the new reason, and the new end when it
 * is later, or when replace is set.  0 when the block ends at until, 1
 * when an existing block that ends later was kept as it was (but for
 * its reason), -1 with err when out of room.
 */
int pd_engine_block(struct pd_engine *, const struct pd_cidr *net, int64_t now,
    int64_t until, const char *reason, bool replace, struct pd_err *);
/* pd_engine_block_until - when the manual block of net ends, or 0 */
int64_t pd_engine_block_until(struct pd_engine *, const struct pd_cidr *net);
/* pd_engine_reindex - after counters were loaded: find manual blocks */
void	pd_engine_reindex(struct pd_engine *);

/* What the rest of policyd reads of an engine. */
const struct pd_engine_stats	*pd_engine_stats(const struct pd_engine *);
/* pd_engine_rulestat - the i-th rule's totals, or NULL past the end */
const struct pd_engine_rulestat *pd_engine_rulestat(const struct pd_engine *,
    size_t i);
/* pd_engine_rule_blocked - active blocks of conf rule i */
size_t		    pd_engine_rule_blocked(const struct pd_engine *, size_t i);
/* pd_engine_manual_blocked - active blocks of operators */
size_t		    pd_engine_manual_blocked(const struct pd_engine *);
/* pd_engine_counters - the store, to save, load, list and lift */
struct pd_counters *pd_engine_counters(struct pd_engine *);
const struct pd_counters *pd_engine_counters_c(const struct pd_engine *);
const struct pd_journal	 *pd_engine_journal(const struct pd_engine *);
const struct pd_conf	 *pd_engine_conf(const struct pd_engine *);
/* pd_engine_geo - the databases in use, or NULL */
const struct pd_geo	 *pd_engine_geo(const struct pd_engine *);

/* pd_engine_counter_manual - c is an operator's block */
bool pd_engine_counter_manual(const struct pd_engine *,
    const struct pd_counter *);
/*
 * pd_engine_counter_net - the network an address key stands for (a
 * host route for a single address); false for other keys.
 */
bool pd_engine_counter_net(const struct pd_engine *, const struct pd_counter *,
    struct pd_cidr *);
/*
 * pd_engine_counter_text - how a counter's key reads: "203.0.113.9",
 * "198.51.100.0/24", "AS64500", "DE", or a name.
 */
void pd_engine_counter_text(const struct pd_engine *, const struct pd_counter *,
    char *buf, size_t size);
/* pd_engine_where - the country and AS number of an address */
void pd_engine_where(struct pd_engine *, const struct pd_addr *,
    struct pd_engine_where *);
/* pd_engine_counter_at - the counter's key is the country or AS of w */
bool pd_engine_counter_at(const struct pd_counter *,
    const struct pd_engine_where *);
/* pd_engine_counter_rule - the loaded rule a counter belongs to, or NULL */
const struct pd_rule *pd_engine_counter_rule(const struct pd_engine *,
    const struct pd_counter *);

#endif
