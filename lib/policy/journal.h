/* SPDX-License-Identifier: ISC */
/*
 * journal - the latest decisions, so that "policydctl explain REF" can
 * tell the helpdesk what happened behind a reference id in a bounce.
 *
 * A ring of a fixed number of entries: memory stays bounded whatever
 * the load, and the horizon is the last N decisions (explain_history).
 * Older decisions are in the log, which carries the same fields.  The
 * journal keeps a decision's fields, not its log line: readers get a
 * struct pd_decision back.
 */
#ifndef PD_JOURNAL_H
#define PD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct pd_decision;

struct pd_journal_entry {
	uint32_t       ref;
	struct pd_addr client;
	char	      *packed; /* the decision; owned, NULL: free */
};

struct pd_journal {
	struct pd_journal_entry *v; /* owned */
	size_t			 cap;
	size_t			 next; /* where the next entry goes */
	size_t			 n;    /* entries in use */
};

int  pd_journal_init(struct pd_journal *, size_t cap);
void pd_journal_clear(struct pd_journal *);
/* pd_journal_resize - keep the newest entries that fit the new size */
int  pd_journal_resize(struct pd_journal *, size_t cap);
/* pd_journal_add - remember a decision, forgetting the oldest if full */
void pd_journal_add(struct pd_journal *, const struct pd_decision *);
/* pd_journal_find - the decision with this ref into d; false if none */
bool pd_journal_find(const struct pd_journal *, uint32_t ref,
    struct pd_decision *d);
/*
 * pd_journal_at - the i-th newest decision (0 is the last added) into d;
 * false past the end.  For walking the journal newest first.
 */
bool pd_journal_at(const struct pd_journal *, size_t i, struct pd_decision *d);
/* pd_journal_client - the client of the i-th newest decision, or NULL */
const struct pd_addr *pd_journal_client(const struct pd_journal *, size_t i);
/* pd_journal_parse_ref - "PD-7F3A2C" (any case) to its number; -1 if not */
int		      pd_journal_parse_ref(const char *, uint32_t *);

#endif
