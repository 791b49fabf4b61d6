/*
 * session - per-session memory for event derivation.
 *
 * Each session keeps hashes of what it has already reported; a 32-bit
 * hash collision can at worst hide one event of one session.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event.h"
#include "proto.h"
#include "session.h"

struct session {
	struct pd_list	      link;
	int64_t		      last;
	uint32_t	      helo;	  /* hash of the HELO name */
	uint32_t	      mail;	  /* instance of the transaction */
	uint32_t	      rcpt;	  /* instance + recipient */
	uint32_t	      data;	  /* instance at DATA */
	uint32_t	      eom;	  /* instance at END-OF-MESSAGE */
	bool		      mail_open;  /* MAIL counted, instance unknown */
	bool		      progressed; /* seen a state after CONNECT */
	int64_t		      connect_at; /* last CONNECT request */
	struct pd_session_geo geo;
	struct pd_keytab_node node; /* last: the key follows */
};

int
pd_sessions_init(struct pd_sessions *t, size_t max)
{
	pd_list_init(&t->lru);
	t->max = max;
	return pd_keytab_init(&t->tab);
}

static void
session_free(struct pd_sessions *t, struct session *s)
{
	pd_list_unlink(&s->link);
	pd_keytab_remove(&t->tab, &s->node);
	free(s);
}

void
pd_sessions_clear(struct pd_sessions *t)
{
	struct pd_list *l;

	while ((l = pd_list_tail(&t->lru)) != NULL)
		session_free(t, pd_list_entry(l, struct session, link));
	pd_keytab_clear(&t->tab);
}

void
pd_sessions_expire(struct pd_sessions *t, int64_t now)
{
	struct pd_list *l;
	struct session *s;

	while ((l = pd_list_tail(&t->lru)) != NULL) {
		s = pd_list_entry(l, struct session, link);
		if (now - s->last < PD_SESSION_TTL)
			break;
		session_free(t, s);
	}
}

/* hash2 - hash of two strings, never 0 (0 means "not yet") */
static uint32_t
hash2(const char *a, const char *b)
{
	uint8_t	 buf[2 * 256 + 1];
	size_t	 la = strnlen(a, 256), lb = strnlen(b, 256);
	uint32_t h;

	memcpy(buf, a, la);
	buf[la] = '\n';
	memcpy(buf + la + 1, b, lb);
	h = pd_keytab_hash(buf, la + 1 + lb);
	return h ? h : 1;
}

static struct session *
session_find(struct pd_sessions *t, const struct pd_req *r, int64_t now,
    bool *fresh)
{
	const char	      *port = pd_req_get(r, PD_A_CLIENT_PORT);
	const char	      *id = *port ? port : pd_req_get(r, PD_A_INSTANCE);
	uint8_t		       key[PD_KEYTAB_KEY_MAX];
	struct pd_keytab_node *n;
	struct session	      *s;
	struct pd_list	      *l;
	size_t		       la, lb;
	uint32_t	       h;

	la = strnlen(pd_req_get(r, PD_A_CLIENT_ADDRESS), 64);
	lb = strnlen(id, 64);
	memcpy(key, pd_req_get(r, PD_A_CLIENT_ADDRESS), la);
	key[la] = '|';
	memcpy(key + la + 1, id, lb);
	h = pd_keytab_hash(key, la + 1 + lb);
	*fresh = false;
	if ((n = pd_keytab_get(&t->tab, key, la + 1 + lb, h)) != NULL) {
		s = pd_list_entry(n, struct session, node);
		pd_list_unlink(&s->link);
		pd_list_push(&t->lru, &s->link);
		s->last = now;
		return s;
	}
	/* Full: forget the least recently seen sessions first. */
	while (t->tab.count >= t->max && (l = pd_list_tail(&t->lru)) != NULL)
		session_free(t, pd_list_entry(l, struct session, link));
	if ((s = calloc(1, sizeof(*s) + la + 1 + lb)) == NULL)
		return NULL;
	s->last = now;
	s->node.hash = h;
	s->node.klen = (uint16_t)(la + 1 + lb);
	memcpy(s->node.key, key, la + 1 + lb);
	pd_keytab_insert(&t->tab, &s->node);
	pd_list_push(&t->lru, &s->link);
	*fresh = true;
	return s;
}

/*
 * connect_again - a CONNECT request for a known session starts a new one
 * (the client reused its port) unless it is the same CONNECT asked again
 * by another restriction list: that comes before any later state and
 * within the same second.
 */
static bool
connect_again(const struct session *s, int64_t now)
{
	return s->progressed || now - s->connect_at >= 1000;
}

/*
 * mail_event - one event per mail transaction.  Postfix sends an empty
 * instance at MAIL and gives the transaction its instance from the first
 * RCPT on, so a MAIL request opens a transaction that the next instance
 * seen then names, without counting it again.  Every MAIL request is a
 * new transaction: only a policy listed twice in smtpd_sender_restrictions
 * asks twice at MAIL, and that cannot be told from MAIL, RSET, MAIL.
 */
static unsigned
mail_event(struct session *s, const char *state, const char *inst)
{
	uint32_t h;

	if (strcasecmp(state, "MAIL") == 0) {
		if (*inst) {
			if ((h = hash2(inst, "")) == s->mail)
				return 0;
			s->mail = h;
			s->mail_open = false;
			return 1u << PD_EV_MAIL;
		}
		s->mail_open = true;
		return 1u << PD_EV_MAIL;
	}
	if (strcasecmp(state, "RCPT") != 0 && strcasecmp(state, "DATA") != 0 &&
	    strcasecmp(state, "END-OF-MESSAGE") != 0)
		return 0;
	h = hash2(inst, "");
	if (h == s->mail)
		return 0;
	s->mail = h;
	if (s->mail_open) {
		s->mail_open = false;
		return 0;
	}
	return 1u << PD_EV_MAIL;
}

unsigned
pd_sessions_events(struct pd_sessions *t, const struct pd_req *r, int64_t now,
    struct pd_session_geo **geo)
{
	const char     *state = pd_req_get(r, PD_A_PROTOCOL_STATE);
	const char     *inst = pd_req_get(r, PD_A_INSTANCE);
	const char     *helo = pd_req_get(r, PD_A_HELO_NAME);
	struct session *s;
	unsigned	ev = 0;
	bool		fresh;
	uint32_t	h;

	*geo = NULL;
	if ((s = session_find(t, r, now, &fresh)) == NULL)
		return 1u << PD_EV_CONNECTION; /* out of memory: count it */
	*geo = &s->geo;
	if (strcasecmp(state, "CONNECT") == 0) {
		if (!fresh && connect_again(s, now)) {
			s->helo = s->mail = s->rcpt = s->data = s->eom = 0;
			s->mail_open = s->progressed = false;
			fresh = true;
		}
		s->connect_at = now;
	} else {
		s->progressed = true;
	}
	if (fresh)
		ev |= 1u << PD_EV_CONNECTION;
	if (*helo && (h = hash2(helo, "")) != s->helo) {
		s->helo = h;
		ev |= 1u << PD_EV_HELO;
	}
	ev |= mail_event(s, state, inst);
	if (strcasecmp(state, "RCPT") == 0 &&
	    (h = hash2(inst, pd_req_get(r, PD_A_RECIPIENT))) != s->rcpt) {
		s->rcpt = h;
		ev |= 1u << PD_EV_RCPT;
	}
	if (strcasecmp(state, "DATA") == 0 &&
	    (h = hash2(inst, "")) != s->data) {
		s->data = h;
		ev |= 1u << PD_EV_DATA;
	}
	if (strcasecmp(state, "END-OF-MESSAGE") == 0 &&
	    (h = hash2(inst, "")) != s->eom) {
		s->eom = h;
		ev |= 1u << PD_EV_MESSAGE;
	}
	return ev;
}
