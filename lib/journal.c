/*
 * journal - a ring of the latest decisions.
 *
 * Each entry owns one allocation holding its log line and reply, freed
 * when the ring comes round to it again.  Finding a ref is a walk over
 * the ring: explain is an operator's command, rare next to requests,
 * and a walk keeps adding a decision as cheap as it can be.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "journal.h"

int
pd_journal_init(struct pd_journal *j, size_t cap)
{
	memset(j, 0, sizeof(*j));
	if (cap == 0)
		return 0;
	if ((j->v = calloc(cap, sizeof(*j->v))) == NULL)
		return -1;
	j->cap = cap;
	return 0;
}

void
pd_journal_clear(struct pd_journal *j)
{
	for (size_t i = 0; i < j->cap; i++)
		free(j->v[i].line);
	free(j->v);
	memset(j, 0, sizeof(*j));
}

int
pd_journal_resize(struct pd_journal *j, size_t cap)
{
	struct pd_journal nj;
	size_t keep;

	if (cap == j->cap)
		return 0;
	if (pd_journal_init(&nj, cap) < 0)
		return -1;
	keep = j->n < cap ? j->n : cap;
	/* Oldest kept first, so the order stays. */
	for (size_t i = keep; i-- > 0; ) {
		struct pd_journal_entry *e = (struct pd_journal_entry *)
		    pd_journal_at(j, i);

		nj.v[nj.next++] = *e;
		e->line = NULL;
	}
	nj.n = keep;
	nj.next %= cap ? cap : 1;
	pd_journal_clear(j);
	*j = nj;
	return 0;
}

void
pd_journal_add(struct pd_journal *j, uint32_t ref, int64_t when,
    const struct pd_addr *client, const char *line, const char *reply)
{
	struct pd_journal_entry *e;
	size_t ll, rl;
	char *p;

	if (j->cap == 0)
		return;
	ll = strlen(line);
	rl = strlen(reply);
	/* Out of memory: the decision is still in the log. */
	if ((p = malloc(ll + rl + 2)) == NULL)
		return;
	memcpy(p, line, ll + 1);
	memcpy(p + ll + 1, reply, rl + 1);
	e = &j->v[j->next];
	free(e->line);
	*e = (struct pd_journal_entry){ .ref = ref & 0xffffff, .when = when,
	    .client = *client, .line = p, .reply = p + ll + 1 };
	j->next = (j->next + 1) % j->cap;
	if (j->n < j->cap)
		j->n++;
}

const struct pd_journal_entry *
pd_journal_at(const struct pd_journal *j, size_t i)
{
	if (i >= j->n)
		return NULL;
	return &j->v[(j->next + j->cap - 1 - i) % j->cap];
}

const struct pd_journal_entry *
pd_journal_find(const struct pd_journal *j, uint32_t ref)
{
	const struct pd_journal_entry *e;

	/* Newest first: an id seen twice (after 16M decisions) is the last. */
	for (size_t i = 0; (e = pd_journal_at(j, i)) != NULL; i++)
		if (e->ref == (ref & 0xffffff))
			return e;
	return NULL;
}

int
pd_journal_parse_ref(const char *s, uint32_t *ref)
{
	uint32_t v = 0;
	size_t i;

	if (strncasecmp(s, "PD-", 3) != 0)
		return -1;
	for (i = 3; isxdigit((unsigned char)s[i]); i++)
		v = v * 16 + (uint32_t)(isdigit((unsigned char)s[i]) ?
		    s[i] - '0' : tolower((unsigned char)s[i]) - 'a' + 10);
	if (i != 9 || s[i] != '\0')
		return -1;
	*ref = v;
	return 0;
}
