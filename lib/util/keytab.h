/* SPDX-License-Identifier: ISC */
/*
 * keytab - an intrusive hash table keyed by bytes.
 *
 * The caller embeds struct pd_keytab_node as the LAST member of its own
 * structure and allocates room for the key right behind it, so one
 * allocation holds entry, node and key.  The table never allocates or
 * frees entries; it owns only its bucket array, which doubles as the
 * table fills (one rehash of a million entries takes some milliseconds).
 */
#ifndef PD_KEYTAB_H
#define PD_KEYTAB_H

#include <stddef.h>
#include <stdint.h>

#define PD_KEYTAB_KEY_MAX 300

struct pd_keytab_node {
	struct pd_keytab_node *hnext; /* bucket chain */
	uint32_t	       hash;
	uint16_t	       klen;
	uint8_t		       key[]; /* klen bytes */
};

struct pd_keytab {
	struct pd_keytab_node **buckets;
	size_t			nbuckets; /* a power of two */
	size_t			count;
};

int		       pd_keytab_init(struct pd_keytab *);
/* pd_keytab_clear - free the buckets; the entries are the caller's */
void		       pd_keytab_clear(struct pd_keytab *);
/* pd_keytab_reserve - grow the buckets for n entries at once */
void		       pd_keytab_reserve(struct pd_keytab *, size_t n);
uint32_t	       pd_keytab_hash(const void *key, size_t len);
/* pd_keytab_get - the node with this key, or NULL */
struct pd_keytab_node *pd_keytab_get(const struct pd_keytab *, const void *key,
    size_t len, uint32_t hash);
/*
 * pd_keytab_insert - add a node whose hash, klen and key are filled in
 * and whose key is not in the table.  Growing may fail silently: the
 * table then just runs with longer chains.
 */
void pd_keytab_insert(struct pd_keytab *, struct pd_keytab_node *);
void pd_keytab_remove(struct pd_keytab *, struct pd_keytab_node *);

#endif
