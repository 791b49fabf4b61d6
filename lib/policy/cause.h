/* SPDX-License-Identifier: ISC */
/*
 * cause - what the maillog lines counted for each rule and key said,
 * so that replay can print what a decision came from (its lines, by
 * reason) and which keys came close to a limit without passing it.
 *
 * Bookkeeping for replay, off the daemon's path: replay feeds it from
 * the engine's tap, one call per line counted for a rule.  Window
 * counts come from the caller (pd_counters_peek), never from a window.
 *
 * Bounds.  Per rule and key: the reason ids (2 bytes each) of its last
 * count lines, and no more than limit + 1 (a decision comes at limit +
 * 1) nor PD_CAUSE_LINES_MAX, plus some 100 bytes and the key.  A key
 * quiet for two of its rule's windows gives its lines back, and its
 * record too unless it decided or came close.  At most
 * PD_CAUSE_REASONS_MAX distinct reasons are told apart; lines with
 * further ones are pooled as "other".
 */
#ifndef PD_CAUSE_H
#define PD_CAUSE_H

#include <stddef.h>
#include <stdint.h>

#include "keytab.h"
#include "list.h"

#define PD_CAUSE_LINES_MAX   65536 /* reason ids kept per rule and key */
#define PD_CAUSE_REASONS_MAX 4096  /* distinct reasons, "other" included */
#define PD_CAUSE_TOP	     5	   /* reasons a tally names */
#define PD_CAUSE_NEAR_PCT    80	   /* a near miss: this much of a limit */

struct pd_conf;
struct pd_cause_key;
struct pd_cause_reason;

struct pd_causes {
	const struct pd_conf	*conf;	  /* borrowed: must outlive this */
	struct pd_keytab	 keys;	  /* struct pd_cause_key by rule, key */
	struct pd_list		*live;	  /* per conf rule: keys by their
						  last line, latest first */
	struct pd_list		 done;	  /* keys that gave their lines back */
	struct pd_keytab	 rtab;	  /* reasons by code and text */
	struct pd_cause_reason **reasons; /* by id; 0 is "other" */
	size_t			 nreasons;
	uint32_t		*scratch; /* tallies, by reason id */
	uint16_t		*seen;	  /* the ids a tally met */
	uint64_t		 kept;	  /* reason ids held, all keys */
};

/* What the lines behind a decision said, most frequent first. */
struct pd_cause_tally {
	struct {
		const char *text; /* valid until pd_causes_clear() */
		const char *code; /* "550"; "" when none */
		uint64_t    n;
	} top[PD_CAUSE_TOP];
	size_t	 ntop;
	uint64_t other;	  /* lines of further reasons */
	uint64_t unknown; /* lines counted but no longer kept */
};

/* A key that reached PD_CAUSE_NEAR_PCT of a limit and never passed it. */
struct pd_cause_near {
	size_t	       rule; /* conf rule */
	const uint8_t *key;  /* as the counter store has it */
	size_t	       klen;
	uint64_t       peak; /* its highest window count */
	int64_t	       at;   /* when it first got there, ms */
};

int  pd_causes_init(struct pd_causes *, const struct pd_conf *);
void pd_causes_clear(struct pd_causes *);

/*
 * pd_causes_reason - the id of a reason (the text and code of a line);
 * 0, "other", once PD_CAUSE_REASONS_MAX are known or memory runs out.
 */
unsigned pd_causes_reason(struct pd_causes *, const char *text,
    const char *code);

/*
 * pd_causes_count - a line of reason id was counted for conf rule and
 * key at now, and the window count is count with it.  Returns the
 * record, valid until the next pd_causes_count() or pd_causes_expire(),
 * or NULL when out of memory (the line is then not kept).
 */
struct pd_cause_key *pd_causes_count(struct pd_causes *, size_t rule,
    const void *key, size_t klen, unsigned reason, uint64_t count, int64_t now);

/*
 * pd_causes_fired - the rule decided for k, on its last n lines: tally
 * their reasons into t.  k no longer counts as a near miss.
 */
void pd_causes_fired(struct pd_causes *, struct pd_cause_key *k, uint64_t n,
    struct pd_cause_tally *t);

/*
 * pd_causes_expire - give back the lines of keys quiet for two windows,
 * and the records of those that neither decided nor came close.
 */
void pd_causes_expire(struct pd_causes *, int64_t now);

/*
 * pd_causes_near - the near misses into *out (caller frees), by rule,
 * then highest peak, then earliest; keys point into the records, valid
 * until the next count or expire.  -1 when out of memory.
 */
int pd_causes_near(const struct pd_causes *, struct pd_cause_near **out,
    size_t *n);

/* pd_causes_keys - records held; pd_causes_kept - reason ids held */
size_t	 pd_causes_keys(const struct pd_causes *);
uint64_t pd_causes_kept(const struct pd_causes *);

#endif
