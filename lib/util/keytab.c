/* SPDX-License-Identifier: ISC */
/*
 * keytab - chained hash table with power-of-two buckets.
 *
 * FNV-1a is enough here: keys are short (an address, a name) and the
 * table doubles at a load factor of 1, so chains stay short; it is not
 * meant to resist a peer who picks keys to collide, and the keys a peer
 * controls most (addresses) come from a space it cannot choose freely.
 */
#include <stdlib.h>
#include <string.h>

#include "keytab.h"

#define INITIAL_BUCKETS 1024

int
pd_keytab_init(struct pd_keytab *t)
{
	t->buckets = calloc(INITIAL_BUCKETS, sizeof(*t->buckets));
	t->nbuckets = INITIAL_BUCKETS;
	t->count = 0;
	return t->buckets ? 0 : -1;
}

void
pd_keytab_clear(struct pd_keytab *t)
{
	free(t->buckets);
	t->buckets = NULL;
	t->nbuckets = 0;
	t->count = 0;
}

uint32_t
pd_keytab_hash(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint32_t       h = 2166136261u;

	while (len--) {
		h ^= *p++;
		h *= 16777619u;
	}
	/* Mix the high bits down: buckets use the low ones. */
	h ^= h >> 15;
	h *= 0x2c1b3c6dU;
	h ^= h >> 12;
	return h;
}

struct pd_keytab_node *
pd_keytab_get(const struct pd_keytab *t, const void *key, size_t len,
    uint32_t hash)
{
	struct pd_keytab_node *n;

	for (n = t->buckets[hash & (t->nbuckets - 1)]; n; n = n->hnext)
		if (n->hash == hash && n->klen == len &&
		    memcmp(n->key, key, len) == 0)
			return n;
	return NULL;
}

static void
keytab_resize(struct pd_keytab *t, size_t size)
{
	struct pd_keytab_node **nb, *n, *next;
	size_t			i;

	if ((nb = calloc(size, sizeof(*nb))) == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++) {
		for (n = t->buckets[i]; n; n = next) {
			next = n->hnext;
			n->hnext = nb[n->hash & (size - 1)];
			nb[n->hash & (size - 1)] = n;
		}
	}
	free(t->buckets);
	t->buckets = nb;
	t->nbuckets = size;
}

void
pd_keytab_reserve(struct pd_keytab *t, size_t n)
{
	size_t size = t->nbuckets;

	while (size < n)
		size *= 2;
	if (size > t->nbuckets)
		keytab_resize(t, size);
}

void
pd_keytab_insert(struct pd_keytab *t, struct pd_keytab_node *n)
{
	struct pd_keytab_node **b;

	if (t->count >= t->nbuckets)
		keytab_resize(t, t->nbuckets * 2);
	b = &t->buckets[n->hash & (t->nbuckets - 1)];
	n->hnext = *b;
	*b = n;
	t->count++;
}

void
pd_keytab_remove(struct pd_keytab *t, struct pd_keytab_node *n)
{
	struct pd_keytab_node **p;

	for (p = &t->buckets[n->hash & (t->nbuckets - 1)]; *p;
	     p = &(*p)->hnext) {
		if (*p == n) {
			*p = n->hnext;
			t->count--;
			return;
		}
	}
}
