/* SPDX-License-Identifier: ISC */
/*
 * own - the memory of policyd's own rejects.
 *
 * The hash is FNV-1a: the ring is a filter against our own replies, not
 * a defence against a peer choosing collisions (a peer cannot choose
 * what Postfix logs of our replies).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "conf.h"
#include "own.h"

int
pd_own_init(struct pd_own *o)
{
	o->next = o->next_defer = 0;
	o->v = calloc(PD_OWN_MAX, sizeof(*o->v));
	o->defers = calloc(PD_OWN_MAX, sizeof(*o->defers));
	if (o->v == NULL || o->defers == NULL) {
		pd_own_clear(o);
		return -1;
	}
	return 0;
}

void
pd_own_clear(struct pd_own *o)
{
	free(o->v);
	free(o->defers);
	o->v = o->defers = NULL;
}

/* skip_status - past an enhanced status code "4.7.1 ", if s has one */
static const char *
skip_status(const char *s)
{
	size_t n = strspn(s, "0123456789.");

	return n > 0 && memchr(s, '.', n) != NULL && s[n] == ' ' ? s + n + 1 :
								   s;
}

/*
 * own_reply_text - the text of "451 4.7.1 text" or "REJECT 5.7.1 text",
 * as configured, and of "451 4.7.1 text" or "5.7.1 text", as the
 * maillog gives a reject
 */
static const char *
own_reply_text(const char *s)
{
	static const char *words[] = { "REJECT ", "DEFER ", "DEFER_IF_PERMIT ",
		"DEFER_IF_REJECT ", NULL };

	if (strspn(s, "0123456789") == 3 && s[3] == ' ')
		s += 4;
	s = skip_status(s);
	for (size_t i = 0; words[i]; i++)
		if (strncasecmp(s, words[i], strlen(words[i])) == 0)
			return skip_status(s + strlen(words[i]));
	return s;
}

/*
 * own_hash - client and reply text, the codes left out and cut at the
 * first ';': the part Postfix logs as the reason of a reject.
 */
static uint64_t
own_hash(const struct pd_addr *client, const char *text)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t	 n;

	text = own_reply_text(text);
	n = strcspn(text, ";");
	for (size_t i = 0; i < pd_addr_len(client) + 1; i++) {
		h ^= i == 0 ? client->family : client->bytes[i - 1];
		h *= 0x100000001b3ULL;
	}
	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)text[i];
		h *= 0x100000001b3ULL;
	}
	return h ? h : 1;
}

/* own_text - reason begins with the fixed start of one of our replies */
static bool
own_text(const struct pd_conf *conf, const char *reason)
{
	const struct pd_tmpl *t;
	const char	     *src, *end;
	size_t		      n;

	for (size_t i = 0; i < conf->nrules + conf->naccess; i++) {
		t = i < conf->nrules ? &conf->rules[i].reply :
				       &conf->access[i - conf->nrules].reply;
		if (t->src == NULL)
			continue;
		src = own_reply_text(t->src);
		end = strstr(src, "${");
		n = end ? (size_t)(end - src) : strcspn(src, ";");
		if (n > strcspn(src, ";"))
			n = strcspn(src, ";");
		/* Too short a start would match other texts by chance. */
		if (n >= 8 && strncmp(reason, src, n) == 0)
			return true;
	}
	return false;
}

void
pd_own_note(struct pd_own *o, const struct pd_addr *client, const char *text,
    int64_t now)
{
	if (o->v == NULL)
		return;
	o->v[o->next].hash = own_hash(client, text);
	o->v[o->next].when = now;
	o->next = (o->next + 1) % PD_OWN_MAX;
}

bool
pd_own_reply(const struct pd_own *o, const struct pd_conf *conf,
    const struct pd_addr *client, const char *reason, int64_t now)
{
	uint64_t h;

	if (reason == NULL || *reason == '\0')
		return false;
	if (own_text(conf, own_reply_text(reason)))
		return true;
	if (o->v == NULL)
		return false;
	h = own_hash(client, reason);
	for (size_t i = 0; i < PD_OWN_MAX; i++)
		if (o->v[i].hash == h && now - o->v[i].when < PD_OWN_TTL)
			return true;
	return false;
}

void
pd_own_note_defer(struct pd_own *o, const struct pd_addr *client, int64_t now)
{
	if (o->defers == NULL)
		return;
	o->defers[o->next_defer].hash = own_hash(client, "");
	o->defers[o->next_defer].when = now;
	o->next_defer = (o->next_defer + 1) % PD_OWN_MAX;
}

bool
pd_own_deferred(const struct pd_own *o, const struct pd_addr *client,
    int64_t now)
{
	uint64_t h = own_hash(client, "");

	if (o->defers == NULL)
		return false;
	for (size_t i = 0; i < PD_OWN_MAX; i++)
		if (o->defers[i].hash == h &&
		    now - o->defers[i].when < PD_OWN_TTL)
			return true;
	return false;
}
