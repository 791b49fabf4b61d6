/* SPDX-License-Identifier: ISC */
/*
 * journal - a ring of the latest decisions.
 *
 * Each entry owns one allocation: the decision's fixed fields, then its
 * strings, each cut to its length and NUL-ended, so that 20,000
 * decisions take a few MiB rather than 20,000 whole structs.  Finding
 * a ref is a walk over the ring: explain is an operator's command, rare
 * next to requests, and a walk keeps adding a decision as cheap as it
 * can be.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "decision.h"
#include "journal.h"

/* The decision's fields up to its first string are copied as they are. */
#define HEAD offsetof(struct pd_decision, rule)

#define FIELD(f)                                         \
	{                                                \
		offsetof(struct pd_decision, f),         \
		    sizeof(((struct pd_decision *)0)->f) \
	}

static const struct {
	size_t off;
	size_t size;
} strs[] = {
	FIELD(rule),
	FIELD(key),
	FIELD(helo),
	FIELD(state),
	FIELD(reasons),
	FIELD(reason),
	FIELD(reply),
};

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
		free(j->v[i].packed);
	free(j->v);
	memset(j, 0, sizeof(*j));
}

/* entry_at - the i-th newest entry, or NULL */
static struct pd_journal_entry *
entry_at(const struct pd_journal *j, size_t i)
{
	if (i >= j->n)
		return NULL;
	return &j->v[(j->next + j->cap - 1 - i) % j->cap];
}

int
pd_journal_resize(struct pd_journal *j, size_t cap)
{
	struct pd_journal nj;
	size_t		  keep;

	if (cap == j->cap)
		return 0;
	if (pd_journal_init(&nj, cap) < 0)
		return -1;
	keep = j->n < cap ? j->n : cap;
	/* Oldest kept first, so the order stays. */
	for (size_t i = keep; i-- > 0;) {
		struct pd_journal_entry *e = entry_at(j, i);

		nj.v[nj.next++] = *e;
		e->packed = NULL;
	}
	nj.n = keep;
	nj.next %= cap ? cap : 1;
	pd_journal_clear(j);
	*j = nj;
	return 0;
}

/* pack - d as one allocation: its head, then its strings */
static char *
pack(const struct pd_decision *d)
{
	const char *base = (const char *)d;
	size_t	    len = HEAD, n;
	char	   *p, *w;

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		len += strnlen(base + strs[i].off, strs[i].size - 1) + 1;
	if ((p = malloc(len)) == NULL)
		return NULL;
	memcpy(p, d, HEAD);
	w = p + HEAD;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		n = strnlen(base + strs[i].off, strs[i].size - 1);
		memcpy(w, base + strs[i].off, n);
		w[n] = '\0';
		w += n + 1;
	}
	return p;
}

static void
unpack(const char *p, struct pd_decision *d)
{
	char	   *base = (char *)d;
	const char *r = p + HEAD;
	size_t	    n;

	memcpy(d, p, HEAD);
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		n = strlen(r);
		memcpy(base + strs[i].off, r, n + 1);
		r += n + 1;
	}
}

void
pd_journal_add(struct pd_journal *j, const struct pd_decision *d)
{
	struct pd_journal_entry *e;
	char			*p;

	if (j->cap == 0)
		return;
	/* Out of memory: the decision is still in the log. */
	if ((p = pack(d)) == NULL)
		return;
	e = &j->v[j->next];
	free(e->packed);
	*e = (struct pd_journal_entry){ .ref = d->ref & 0xffffff,
		.client = d->client,
		.packed = p };
	j->next = (j->next + 1) % j->cap;
	if (j->n < j->cap)
		j->n++;
}

bool
pd_journal_at(const struct pd_journal *j, size_t i, struct pd_decision *d)
{
	const struct pd_journal_entry *e = entry_at(j, i);

	if (e == NULL)
		return false;
	unpack(e->packed, d);
	return true;
}

const struct pd_addr *
pd_journal_client(const struct pd_journal *j, size_t i)
{
	const struct pd_journal_entry *e = entry_at(j, i);

	return e ? &e->client : NULL;
}

bool
pd_journal_find(const struct pd_journal *j, uint32_t ref, struct pd_decision *d)
{
	const struct pd_journal_entry *e;

	/* Newest first: an id seen twice (after 16M decisions) is the last. */
	for (size_t i = 0; (e = entry_at(j, i)) != NULL; i++)
		if (e->ref == (ref & 0xffffff)) {
			unpack(e->packed, d);
			return true;
		}
	return false;
}

int
pd_journal_parse_ref(const char *s, uint32_t *ref)
{
	uint32_t v = 0;
	size_t	 i;

	if (strncasecmp(s, "PD-", 3) != 0)
		return -1;
	for (i = 3; isxdigit((unsigned char)s[i]); i++)
		v = v * 16 +
		    (uint32_t)(isdigit((unsigned char)s[i]) ?
			    s[i] - '0' :
			    tolower((unsigned char)s[i]) - 'a' + 10);
	if (i != 9 || s[i] != '\0')
		return -1;
	*ref = v;
	return 0;
}
