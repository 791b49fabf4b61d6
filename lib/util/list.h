/* SPDX-License-Identifier: ISC */
/*
 * list - intrusive doubly linked list with a sentinel head.
 *
 * The links live inside the element, so a list never allocates; the
 * owner of the element owns the links.  Head is the most recent end.
 */
#ifndef PD_LIST_H
#define PD_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct pd_list {
	struct pd_list *prev, *next;
};

#define pd_list_entry(p, type, member) \
	((type *)(void *)((char *)(p)-offsetof(type, member)))

static inline void
pd_list_init(struct pd_list *h)
{
	h->prev = h->next = h;
}

static inline bool
pd_list_empty(const struct pd_list *h)
{
	return h->next == h;
}

static inline void
pd_list_unlink(struct pd_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

/* pd_list_push - put n at the head (most recent end) */
static inline void
pd_list_push(struct pd_list *h, struct pd_list *n)
{
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}

/* pd_list_tail - the least recent element, or NULL */
static inline struct pd_list *
pd_list_tail(const struct pd_list *h)
{
	return h->prev == h ? NULL : h->prev;
}

#endif
