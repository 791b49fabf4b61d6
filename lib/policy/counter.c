/* SPDX-License-Identifier: ISC */
/*
 * counter - counter store with per-slot LRU lists.
 *
 * Keys in the table are the slot number (2 bytes) followed by the key
 * bytes, so one table holds every rule's counters.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counter.h"

int
pd_counters_init(struct pd_counters *s, size_t max_keys)
{
	memset(s, 0, sizeof(*s));
	pd_list_init(&s->blocked);
	s->max_keys = max_keys;
	/* Fixed, so the list heads inside never move. */
	if ((s->slots = calloc(PD_COUNTER_SLOTS, sizeof(*s->slots))) == NULL)
		return -1;
	return pd_keytab_init(&s->tab);
}

static void
counter_free(struct pd_counters *s, struct pd_counter *c)
{
	s->slots[c->slot].count--;
	if (c->since) {
		s->nblocked--;
		s->slots[c->slot].nblocked--;
	}
	pd_list_unlink(&c->link);
	pd_keytab_remove(&s->tab, &c->node);
	free(c->note);
	free(c);
}

/* free_slot_counters - free every counter of slot (or all, for NOSLOT) */
static void
free_slot_counters(struct pd_counters *s, unsigned slot)
{
	struct pd_list *l, *next;

	for (size_t i = 0; i < s->nslots; i++) {
		if (slot != PD_COUNTER_NOSLOT && i != slot)
			continue;
		while ((l = pd_list_tail(&s->slots[i].lru)) != NULL)
			counter_free(s,
			    pd_list_entry(l, struct pd_counter, link));
	}
	for (l = s->blocked.next; l != &s->blocked; l = next) {
		struct pd_counter *c =
		    pd_list_entry(l, struct pd_counter, link);

		next = l->next;
		if (slot == PD_COUNTER_NOSLOT || c->slot == slot)
			counter_free(s, c);
	}
}

void
pd_counters_clear(struct pd_counters *s)
{
	free_slot_counters(s, PD_COUNTER_NOSLOT);
	free(s->slots);
	pd_keytab_clear(&s->tab);
	memset(s, 0, sizeof(*s));
}

int
pd_counters_slot(struct pd_counters *s, const char *rule, uint32_t sig,
    int64_t window)
{
	struct pd_counter_slot *sl;
	size_t			i, free_i = s->nslots;

	for (i = 0; i < s->nslots; i++) {
		sl = &s->slots[i];
		if (sl->name[0] == '\0' && free_i == s->nslots)
			free_i = i;
		if (strcmp(sl->name, rule) != 0)
			continue;
		if (sl->sig != sig || sl->window != window) {
			free_slot_counters(s, (unsigned)i);
			sl->sig = sig;
			sl->window = window;
			sl->width = pd_window_width(window);
		}
		sl->live = true;
		return (int)i;
	}
	if (strlen(rule) > PD_COUNTER_NAME_MAX)
		return -1;
	if (free_i == s->nslots) {
		if (s->nslots == PD_COUNTER_SLOTS)
			return -1;
		s->nslots++;
	}
	sl = &s->slots[free_i];
	memset(sl, 0, sizeof(*sl));
	pd_list_init(&sl->lru);
	snprintf(sl->name, sizeof(sl->name), "%s", rule);
	sl->sig = sig;
	sl->window = window;
	sl->width = pd_window_width(window);
	sl->live = true;
	return (int)free_i;
}

void
pd_counters_begin(struct pd_counters *s)
{
	for (size_t i = 0; i < s->nslots; i++)
		s->slots[i].live = false;
}

void
pd_counters_retire(struct pd_counters *s)
{
	for (size_t i = 0; i < s->nslots; i++) {
		if (s->slots[i].live || s->slots[i].name[0] == '\0')
			continue;
		free_slot_counters(s, (unsigned)i);
		s->slots[i].name[0] = '\0';
	}
}

static size_t
make_key(uint8_t *buf, int slot, const void *key, size_t klen)
{
	buf[0] = (uint8_t)(slot >> 8);
	buf[1] = (uint8_t)slot;
	memcpy(buf + 2, key, klen);
	return klen + 2;
}

struct pd_counter *
pd_counters_get(struct pd_counters *s, int slot, const void *key, size_t klen)
{
	uint8_t		       buf[PD_KEYTAB_KEY_MAX];
	struct pd_keytab_node *n;
	size_t		       len;

	assert(slot >= 0 && (size_t)slot < s->nslots);
	if (klen + 2 > sizeof(buf))
		return NULL;
	len = make_key(buf, slot, key, klen);
	n = pd_keytab_get(&s->tab, buf, len, pd_keytab_hash(buf, len));
	return n ? pd_list_entry(n, struct pd_counter, node) : NULL;
}

/* evict_one - free the least recently seen unblocked counter */
static bool
evict_one(struct pd_counters *s)
{
	struct pd_counter *c, *oldest = NULL;
	struct pd_list	  *l;

	for (size_t i = 0; i < s->nslots; i++) {
		if ((l = pd_list_tail(&s->slots[i].lru)) == NULL)
			continue;
		c = pd_list_entry(l, struct pd_counter, link);
		if (oldest == NULL || c->last < oldest->last)
			oldest = c;
	}
	if (oldest == NULL)
		return false;
	counter_free(s, oldest);
	return true;
}

struct pd_counter *
pd_counters_add(struct pd_counters *s, int slot, const void *key, size_t klen,
    int64_t now)
{
	struct pd_keytab_node *n;
	struct pd_counter     *c;
	uint8_t		       buf[PD_KEYTAB_KEY_MAX];
	size_t		       len;
	uint32_t	       h;

	assert(slot >= 0 && (size_t)slot < s->nslots);
	if (klen + 2 > sizeof(buf))
		return NULL;
	len = make_key(buf, slot, key, klen);
	h = pd_keytab_hash(buf, len);
	if ((n = pd_keytab_get(&s->tab, buf, len, h)) != NULL)
		return pd_list_entry(n, struct pd_counter, node);
	/* Loops only after max_keys was lowered by a reload. */
	while (s->tab.count >= s->max_keys)
		if (!evict_one(s))
			return NULL;
	if ((c = calloc(1, sizeof(*c) + len)) == NULL)
		return NULL;
	c->slot = (uint16_t)slot;
	c->first = now;
	c->last = now;
	c->node.hash = h;
	c->node.klen = (uint16_t)len;
	memcpy(c->node.key, buf, len);
	pd_keytab_insert(&s->tab, &c->node);
	pd_list_push(&s->slots[slot].lru, &c->link);
	s->slots[slot].count++;
	return c;
}

uint64_t
pd_counters_count(struct pd_counters *s, struct pd_counter *c, int64_t now,
    uint32_t n)
{
	c->last = now;
	if (c->since == 0) {
		pd_list_unlink(&c->link);
		pd_list_push(&s->slots[c->slot].lru, &c->link);
	}
	return pd_window_add(&c->win, s->slots[c->slot].window, now, n);
}

uint64_t
pd_counters_peek(const struct pd_counters *s, const struct pd_counter *c,
    int64_t now)
{
	return pd_window_count(&c->win, s->slots[c->slot].window, now);
}

void
pd_counters_block(struct pd_counters *s, struct pd_counter *c, int64_t since,
    int64_t until, uint8_t flags)
{
	if (c->since == 0) {
		s->nblocked++;
		s->slots[c->slot].nblocked++;
	}
	c->since = since;
	c->until = until;
	c->flags = flags;
	pd_list_unlink(&c->link);
	pd_list_push(&s->blocked, &c->link);
}

/*
 * lru_insert - put c where its last use belongs, so the list stays
 * ordered by it.  Searched from the end whose time is nearer c's: a
 * counter coming back from a block was seen either at the block's
 * start (near the old end) or by its attempts during it (near the new
 * end), and a walk across a million counters per unblock would stall.
 */
static void
lru_insert(struct pd_list *head, struct pd_counter *c)
{
	struct pd_list *l;
	int64_t		newest, oldest;

	if (pd_list_empty(head)) {
		pd_list_push(head, &c->link);
		return;
	}
	newest = pd_list_entry(head->next, struct pd_counter, link)->last;
	oldest = pd_list_entry(head->prev, struct pd_counter, link)->last;
	if (newest - c->last < c->last - oldest) {
		for (l = head->next; l != head; l = l->next)
			if (pd_list_entry(l, struct pd_counter, link)->last <=
			    c->last)
				break;
		l = l->prev; /* the last one more recent than c */
	} else {
		for (l = head->prev; l != head; l = l->prev)
			if (pd_list_entry(l, struct pd_counter, link)->last >=
			    c->last)
				break;
	}
	/* Insert after l: l is at least as recent as c. */
	c->link.prev = l;
	c->link.next = l->next;
	l->next->prev = &c->link;
	l->next = &c->link;
}

void
pd_counters_unblock(struct pd_counters *s, struct pd_counter *c)
{
	if (c->since == 0)
		return;
	/* A blocked counter is counted in both totals, once. */
	assert(s->nblocked > 0 && s->slots[c->slot].nblocked > 0);
	s->nblocked--;
	s->slots[c->slot].nblocked--;
	c->since = 0;
	c->until = 0;
	c->flags = 0;
	c->hits = 0;
	pd_counters_note(c, NULL);
	pd_list_unlink(&c->link);
	lru_insert(&s->slots[c->slot].lru, c);
}

int
pd_counters_note(struct pd_counter *c, const char *text)
{
	char *copy = NULL;

	if (text != NULL && (copy = strdup(text)) == NULL)
		return -1;
	free(c->note);
	c->note = copy;
	return 0;
}

void
pd_counters_remove(struct pd_counters *s, struct pd_counter *c)
{
	counter_free(s, c);
}

/* window_idle - no event of c can still be inside its window */
static bool
window_idle(const struct pd_counters *s, const struct pd_counter *c,
    int64_t now)
{
	const struct pd_counter_slot *sl = &s->slots[c->slot];

	return now - c->last > sl->window + sl->width;
}

size_t
pd_counters_sweep(struct pd_counters *s, int64_t now, size_t budget)
{
	struct pd_list	  *l, *next;
	struct pd_counter *c;
	size_t		   freed = 0, seen = 0;

	for (l = s->blocked.next; l != &s->blocked && seen < budget; l = next) {
		next = l->next;
		seen++;
		c = pd_list_entry(l, struct pd_counter, link);
		if (pd_counter_blocked(c, now))
			continue;
		pd_counters_unblock(s, c);
	}
	for (size_t i = 0; i < s->nslots; i++) {
		while (seen < budget &&
		    (l = pd_list_tail(&s->slots[i].lru)) != NULL) {
			c = pd_list_entry(l, struct pd_counter, link);
			seen++;
			if (!window_idle(s, c, now))
				break;
			counter_free(s, c);
			freed++;
		}
	}
	return freed;
}
