/*
 * journal - the latest decisions, so that "policydctl explain REF" can
 * tell the helpdesk what happened behind a reference id in a bounce.
 *
 * A ring of a fixed number of entries: memory stays bounded whatever
 * the load, and the horizon is the last N decisions (explain_history).
 * Older decisions are in the log, which carries the same line.
 */
#ifndef PD_JOURNAL_H
#define PD_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct pd_journal_entry {
	uint32_t	 ref;
	int64_t		 when;		/* ms */
	struct pd_addr	 client;
	char		*line;		/* the log line; owned, NULL: free */
	char		*reply;		/* what was answered, "" if nothing */
};

struct pd_journal {
	struct pd_journal_entry	*v;	/* owned */
	size_t			 cap;
	size_t			 next;	/* where the next entry goes */
	size_t			 n;	/* entries in use */
};

int	pd_journal_init(struct pd_journal *, size_t cap);
void	pd_journal_clear(struct pd_journal *);
/* pd_journal_resize - keep the newest entries that fit the new size */
int	pd_journal_resize(struct pd_journal *, size_t cap);
/* pd_journal_add - remember a decision, forgetting the oldest if full */
void	pd_journal_add(struct pd_journal *, uint32_t ref, int64_t when,
	    const struct pd_addr *client, const char *line, const char *reply);
/* pd_journal_find - the decision with this ref, or NULL */
const struct pd_journal_entry *pd_journal_find(const struct pd_journal *,
	    uint32_t ref);
/*
 * pd_journal_at - the i-th newest entry (0 is the last added), or NULL
 * past the end; for walking the journal newest first.
 */
const struct pd_journal_entry *pd_journal_at(const struct pd_journal *,
	    size_t i);
/* pd_journal_parse_ref - "PD-7F3A2C" (any case) to its number; -1 if not */
int	pd_journal_parse_ref(const char *, uint32_t *);

#endif
