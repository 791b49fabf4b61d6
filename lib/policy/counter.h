/* SPDX-License-Identifier: ISC */
/*
 * counter - the one counter store: a sliding window, and any block or
 * listing, per rule and key.
 *
 * Counters are grouped in slots, one per rule name; a slot outlives
 * config reloads as long as the rule keeps its event, key and window,
 * so counters and blocks survive SIGHUP.  Each counter sits on exactly
 * one list: its slot's LRU list (most recently counted first) or, while
 * it holds a block or listing, the blocked list.  That makes the two
 * memory rules cheap: when max_keys is reached the least recently seen
 * unblocked counter of all slots is evicted, and blocked counters never
 * are; an idle counter is freed once its window is empty.
 *
 * The store owns every counter; pointers it returns are valid until the
 * next call that may free (add, sweep, remove, slot changes).
 */
#ifndef PD_COUNTER_H
#define PD_COUNTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keytab.h"
#include "list.h"
#include "window.h"

#define PD_COUNTER_NAME_MAX 64
#define PD_COUNTER_NOSLOT   0xffff
#define PD_COUNTER_SLOTS    1024 /* rules, counting retired ones */

enum {
	PD_COUNTER_LISTING = 0x01, /* until moves with each attempt */
	PD_COUNTER_MANUAL = 0x02,  /* set by an operator */
};

struct pd_counter {
	struct pd_list	      link;  /* slot LRU or blocked list */
	int64_t		      first; /* first event, ms */
	int64_t		      last;  /* last event or attempt, ms */
	int64_t		      since; /* block began; 0 when none */
	int64_t		      until; /* block ends */
	uint32_t	      hits;  /* count that triggered it */
	char		     *note;  /* why, for an operator's block;
						   owned, usually NULL */
	uint16_t	      slot;
	uint8_t		      flags;
	struct pd_window      win;
	struct pd_keytab_node node; /* last: the key follows */
};

struct pd_counter_slot {
	char	       name[PD_COUNTER_NAME_MAX + 1];
	uint32_t       sig;    /* event, key, window */
	int64_t	       window; /* ms */
	int64_t	       width;  /* bucket width, ms */
	bool	       live;   /* a loaded rule uses it */
	struct pd_list lru;
	size_t	       count;	 /* counters of this slot */
	size_t	       nblocked; /* of them, blocked */
};

struct pd_counters {
	struct pd_keytab	tab;
	struct pd_counter_slot *slots;	/* PD_COUNTER_SLOTS of them */
	size_t			nslots; /* in use or retired */
	struct pd_list		blocked;
	size_t			nblocked;
	size_t			max_keys;
};

int  pd_counters_init(struct pd_counters *, size_t max_keys);
void pd_counters_clear(struct pd_counters *);

/*
 * pd_counters_slot - the slot for a rule.  A rule that changed its
 * signature or window starts over with empty counters.  Returns the
 * slot number, or -1 when out of memory or slots.
 */
int  pd_counters_slot(struct pd_counters *, const char *rule, uint32_t sig,
     int64_t window);
/* pd_counters_retire - free slots no loaded rule marked live since begin */
void pd_counters_begin(struct pd_counters *);
void pd_counters_retire(struct pd_counters *);

/* pd_counters_get - the counter of slot for key, or NULL */
struct pd_counter *pd_counters_get(struct pd_counters *, int slot,
    const void *key, size_t klen);
/*
 * pd_counters_add - get or create (evicting the least recently seen
 * unblocked counter when full).  NULL when out of memory, or when every
 * counter holds a block.
 */
struct pd_counter *pd_counters_add(struct pd_counters *, int slot,
    const void *key, size_t klen, int64_t now);
/* pd_counters_count - add n events at now; returns the window count */
uint64_t	   pd_counters_count(struct pd_counters *, struct pd_counter *,
	      int64_t now, uint32_t n);
/* pd_counters_peek - the window count of c at now, counting nothing */
uint64_t pd_counters_peek(const struct pd_counters *, const struct pd_counter *,
    int64_t now);
/* pd_counters_block - hold c blocked from since until until */
void pd_counters_block(struct pd_counters *, struct pd_counter *, int64_t since,
    int64_t until, uint8_t flags);
void pd_counters_unblock(struct pd_counters *, struct pd_counter *);
/* pd_counters_note - set c's note to a copy of text (NULL: none) */
int  pd_counters_note(struct pd_counter *, const char *text);
void pd_counters_remove(struct pd_counters *, struct pd_counter *);
/*
 * pd_counters_sweep - free counters whose window is empty and that hold
 * no block; lift blocks that ended.  Looks at no more than budget
 * counters, so it can run on a timer without stalling replies.
 */
size_t pd_counters_sweep(struct pd_counters *, int64_t now, size_t budget);

static inline bool
pd_counter_blocked(const struct pd_counter *c, int64_t now)
{
	return c->since != 0 && now < c->until;
}

static inline size_t
pd_counters_size(const struct pd_counters *s)
{
	return s->tab.count;
}

/* pd_counter_key - the key bytes (after the slot prefix) and length */
static inline const uint8_t *
pd_counter_key(const struct pd_counter *c, size_t *len)
{
	*len = c->node.klen - 2u;
	return c->node.key + 2;
}

#endif
