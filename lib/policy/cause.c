/* SPDX-License-Identifier: ISC */
/*
 * cause - the reasons of the lines counted per rule and key, for replay.
 *
 * A key's lines are a ring of reason ids, oldest first.  The window
 * count the engine reports after each line says how many of the key's
 * latest lines its window holds (the window keeps the latest events,
 * so they are the last count lines): older ones can never be behind a
 * decision and are dropped at once.  That keeps each ring exact and no
 * longer than the window's count, whatever the window does inside: a
 * slide, a reset by a block, an empty bucket.
 *
 * Reasons are interned once, as code NUL text, so a line costs 2 bytes.
 *
 * Each rule's keys are in the order of their last line, so expiring
 * looks at the keys it gives back and one more: the keys it keeps (they
 * decided or came close) move to a list it never walks.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "cause.h"

#define REASON_TEXT_MAX 200 /* longer texts are cut */

struct pd_cause_reason {
	uint16_t	      id;
	const char	     *text; /* inside node.key */
	struct pd_keytab_node node; /* last: "code\0text\0" follows */
};

struct pd_cause_key {
	struct pd_list	      link; /* its rule's live list, or done */
	uint16_t	     *ring; /* reason ids; NULL when none kept */
	uint32_t	      cap;
	uint32_t	      len;
	uint32_t	      head;  /* the oldest */
	uint32_t	      fired; /* decisions for it */
	uint64_t	      peak;
	int64_t		      peak_at;
	int64_t		      last; /* last line, ms */
	uint16_t	      rule;
	struct pd_keytab_node node; /* last: rule (2 bytes), key */
};

int
pd_causes_init(struct pd_causes *cs, const struct pd_conf *conf)
{
	memset(cs, 0, sizeof(*cs));
	cs->conf = conf;
	pd_list_init(&cs->done);
	if ((cs->live = calloc(conf->nrules + 1, sizeof(*cs->live))) == NULL)
		return -1;
	for (size_t i = 0; i < conf->nrules; i++)
		pd_list_init(&cs->live[i]);
	cs->reasons = calloc(PD_CAUSE_REASONS_MAX, sizeof(*cs->reasons));
	cs->scratch = calloc(PD_CAUSE_REASONS_MAX, sizeof(*cs->scratch));
	cs->seen = calloc(PD_CAUSE_REASONS_MAX, sizeof(*cs->seen));
	cs->nreasons = 1; /* 0 is "other" */
	if (cs->reasons == NULL || cs->scratch == NULL || cs->seen == NULL ||
	    pd_keytab_init(&cs->keys) < 0 || pd_keytab_init(&cs->rtab) < 0) {
		pd_causes_clear(cs);
		return -1;
	}
	return 0;
}

static void
key_free(struct pd_causes *cs, struct pd_cause_key *k)
{
	pd_list_unlink(&k->link);
	pd_keytab_remove(&cs->keys, &k->node);
	cs->kept -= k->len;
	free(k->ring);
	free(k);
}

/* list_at - the i-th list of keys: the rules' live ones, then done */
static struct pd_list *
list_at(const struct pd_causes *cs, size_t i)
{
	return i < cs->conf->nrules ? &cs->live[i] :
				      (struct pd_list *)&cs->done;
}

void
pd_causes_clear(struct pd_causes *cs)
{
	struct pd_list *h;

	for (size_t i = 0; cs->live != NULL && i <= cs->conf->nrules; i++)
		for (h = list_at(cs, i); !pd_list_empty(h);)
			key_free(cs,
			    pd_list_entry(h->next, struct pd_cause_key, link));
	for (size_t i = 1; cs->reasons != NULL && i < cs->nreasons; i++)
		free(cs->reasons[i]);
	pd_keytab_clear(&cs->keys);
	pd_keytab_clear(&cs->rtab);
	free(cs->live);
	free(cs->reasons);
	free(cs->scratch);
	free(cs->seen);
	memset(cs, 0, sizeof(*cs));
}

unsigned
pd_causes_reason(struct pd_causes *cs, const char *text, const char *code)
{
	struct pd_cause_reason *r;
	struct pd_keytab_node  *n;
	uint8_t			key[PD_KEYTAB_KEY_MAX];
	size_t			clen = strnlen(code, 8);
	size_t			tlen = strnlen(text, REASON_TEXT_MAX);
	size_t			klen = clen + 1 + tlen;
	uint32_t		hash;

	memcpy(key, code, clen);
	key[clen] = '\0';
	memcpy(key + clen + 1, text, tlen);
	hash = pd_keytab_hash(key, klen);
	if ((n = pd_keytab_get(&cs->rtab, key, klen, hash)) != NULL)
		return pd_list_entry(n, struct pd_cause_reason, node)->id;
	if (cs->nreasons == PD_CAUSE_REASONS_MAX ||
	    (r = malloc(sizeof(*r) + klen + 1)) == NULL)
		return 0;
	r->id = (uint16_t)cs->nreasons;
	r->node.hash = hash;
	r->node.klen = (uint16_t)klen;
	memcpy(r->node.key, key, klen);
	r->node.key[klen] = '\0';
	r->text = (const char *)r->node.key + clen + 1;
	pd_keytab_insert(&cs->rtab, &r->node);
	cs->reasons[cs->nreasons++] = r;
	return r->id;
}

/* key_get - the record of rule and key, made when new; NULL: no memory */
static struct pd_cause_key *
key_get(struct pd_causes *cs, size_t rule, const void *key, size_t klen)
{
	struct pd_cause_key   *k;
	struct pd_keytab_node *n;
	uint8_t		       buf[PD_KEYTAB_KEY_MAX];
	uint32_t	       hash;

	if (klen > sizeof(buf) - 2)
		return NULL;
	buf[0] = (uint8_t)(rule >> 8);
	buf[1] = (uint8_t)rule;
	memcpy(buf + 2, key, klen);
	hash = pd_keytab_hash(buf, klen + 2);
	if ((n = pd_keytab_get(&cs->keys, buf, klen + 2, hash)) != NULL)
		return pd_list_entry(n, struct pd_cause_key, node);
	if ((k = calloc(1, sizeof(*k) + klen + 2)) == NULL)
		return NULL;
	k->rule = (uint16_t)rule;
	k->node.hash = hash;
	k->node.klen = (uint16_t)(klen + 2);
	memcpy(k->node.key, buf, klen + 2);
	pd_keytab_insert(&cs->keys, &k->node);
	pd_list_init(&k->link);
	return k;
}

/* ring_grow - room for one more line, up to max; false when none */
static bool
ring_grow(struct pd_cause_key *k, uint32_t max)
{
	uint32_t  cap = k->cap ? k->cap * 2 : 4;
	uint16_t *ring;

	if (k->cap >= max)
		return false;
	if (cap > max)
		cap = max;
	if ((ring = malloc(cap * sizeof(*ring))) == NULL)
		return false;
	/* Unwrapped on the way: oldest first from 0. */
	for (uint32_t i = 0; i < k->len; i++)
		ring[i] = k->ring[(k->head + i) % k->cap];
	free(k->ring);
	k->ring = ring;
	k->cap = cap;
	k->head = 0;
	return true;
}

/* ring_push - the latest line; the oldest goes when there is no room */
static void
ring_push(struct pd_causes *cs, struct pd_cause_key *k, unsigned reason,
    uint32_t max)
{
	if (k->len == k->cap && !ring_grow(k, max)) {
		if (k->cap == 0)
			return;
		k->head = (k->head + 1) % k->cap;
		k->len--;
		cs->kept--;
	}
	k->ring[(k->head + k->len) % k->cap] = (uint16_t)reason;
	k->len++;
	cs->kept++;
}

/* ring_keep - keep no more than the latest n lines */
static void
ring_keep(struct pd_causes *cs, struct pd_cause_key *k, uint64_t n)
{
	uint32_t drop;

	if (k->len <= n)
		return;
	drop = k->len - (uint32_t)n;
	k->head = (k->head + drop) % k->cap;
	k->len -= drop;
	cs->kept -= drop;
}

/* lines_max - the lines a decision of rule can need: limit + 1 */
static uint32_t
lines_max(const struct pd_rule *r)
{
	if (r->limit < 0 || r->limit >= PD_CAUSE_LINES_MAX)
		return PD_CAUSE_LINES_MAX;
	return (uint32_t)r->limit + 1;
}

struct pd_cause_key *
pd_causes_count(struct pd_causes *cs, size_t rule, const void *key, size_t klen,
    unsigned reason, uint64_t count, int64_t now)
{
	struct pd_cause_key *k;

	assert(rule < cs->conf->nrules && reason < cs->nreasons);
	if ((k = key_get(cs, rule, key, klen)) == NULL)
		return NULL;
	ring_push(cs, k, reason, lines_max(&cs->conf->rules[rule]));
	/* The window holds the latest count lines: older ones are gone. */
	ring_keep(cs, k, count);
	k->last = now;
	pd_list_unlink(&k->link);
	pd_list_push(&cs->live[rule], &k->link);
	if (count > k->peak) {
		k->peak = count;
		k->peak_at = now;
	}
	return k;
}

/* tally_top - the reason of scratch's n seen with the most lines */
static size_t
tally_top(const struct pd_causes *cs, size_t n)
{
	size_t best = 0;

	/* Ties go to the reason seen first in the log (the lower id). */
	for (size_t i = 1; i < n; i++) {
		uint32_t a = cs->scratch[cs->seen[i]];
		uint32_t b = cs->scratch[cs->seen[best]];

		if (a > b || (a == b && cs->seen[i] < cs->seen[best]))
			best = i;
	}
	return best;
}

void
pd_causes_fired(struct pd_causes *cs, struct pd_cause_key *k, uint64_t n,
    struct pd_cause_tally *t)
{
	size_t	 nseen = 0, best;
	uint16_t id;
	uint32_t take = k->len < n ? k->len : (uint32_t)n;

	memset(t, 0, sizeof(*t));
	k->fired++;
	t->unknown = n - take;
	for (uint32_t i = k->len - take; i < k->len; i++) {
		id = k->ring[(k->head + i) % k->cap];
		if (id == 0)
			t->other++;
		else if (cs->scratch[id]++ == 0)
			cs->seen[nseen++] = id;
	}
	while (nseen > 0) {
		best = tally_top(cs, nseen);
		id = cs->seen[best];
		if (t->ntop < PD_CAUSE_TOP) {
			t->top[t->ntop].code =
			    (const char *)cs->reasons[id]->node.key;
			t->top[t->ntop].text = cs->reasons[id]->text;
			t->top[t->ntop].n = cs->scratch[id];
			t->ntop++;
		} else
			t->other += cs->scratch[id];
		cs->scratch[id] = 0;
		cs->seen[best] = cs->seen[--nseen];
	}
}

/*
 * near - peak reached PD_CAUSE_NEAR_PCT of rule's limit, never passed,
 * and is more than one line: with a limit of 1 every key counted once
 * would be one, and a single line is no pattern.
 */
static bool
near(const struct pd_causes *cs, const struct pd_cause_key *k)
{
	long long limit = cs->conf->rules[k->rule].limit;

	return k->fired == 0 && k->peak >= 2 && limit >= 0 &&
	    k->peak <= (uint64_t)limit &&
	    k->peak * 100 >= (uint64_t)limit * PD_CAUSE_NEAR_PCT;
}

void
pd_causes_expire(struct pd_causes *cs, int64_t now)
{
	struct pd_cause_key *k;
	struct pd_list	    *p;

	for (size_t i = 0; i < cs->conf->nrules; i++) {
		/* Two windows: past any bucket the window may round to. */
		int64_t quiet = 2 * cs->conf->rules[i].window;

		while ((p = pd_list_tail(&cs->live[i])) != NULL) {
			k = pd_list_entry(p, struct pd_cause_key, link);
			if (now - k->last <= quiet)
				break;
			if (k->fired == 0 && !near(cs, k)) {
				key_free(cs, k);
				continue;
			}
			cs->kept -= k->len;
			free(k->ring);
			k->ring = NULL;
			k->cap = k->len = k->head = 0;
			pd_list_unlink(&k->link);
			pd_list_push(&cs->done, &k->link);
		}
	}
}

/* near_cmp - by rule, then highest peak, then earliest, then key */
static int
near_cmp(const void *a, const void *b)
{
	const struct pd_cause_near *x = a, *y = b;
	int			    c;

	if (x->rule != y->rule)
		return x->rule < y->rule ? -1 : 1;
	if (x->peak != y->peak)
		return x->peak > y->peak ? -1 : 1;
	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	c = memcmp(x->key, y->key, x->klen < y->klen ? x->klen : y->klen);
	if (c != 0 || x->klen == y->klen)
		return c;
	return x->klen < y->klen ? -1 : 1;
}

int
pd_causes_near(const struct pd_causes *cs, struct pd_cause_near **out,
    size_t *n)
{
	const struct pd_cause_key *k;
	const struct pd_list	  *h, *p;
	size_t			   count = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i <= cs->conf->nrules; i++)
		for (h = list_at(cs, i), p = h->next; p != h; p = p->next)
			count += near(cs,
			    pd_list_entry(p, struct pd_cause_key, link));
	if (count == 0)
		return 0;
	if ((*out = calloc(count, sizeof(**out))) == NULL)
		return -1;
	for (size_t i = 0; i <= cs->conf->nrules; i++)
		for (h = list_at(cs, i), p = h->next; p != h; p = p->next) {
			k = pd_list_entry(p, struct pd_cause_key, link);
			if (near(cs, k))
				(*out)[(*n)++] =
				    (struct pd_cause_near){ .rule = k->rule,
					    .key = k->node.key + 2,
					    .klen = k->node.klen - 2u,
					    .peak = k->peak,
					    .at = k->peak_at };
		}
	qsort(*out, count, sizeof(**out), near_cmp);
	return 0;
}

size_t
pd_causes_keys(const struct pd_causes *cs)
{
	return cs->keys.count;
}

uint64_t
pd_causes_kept(const struct pd_causes *cs)
{
	return cs->kept;
}
