/* SPDX-License-Identifier: ISC */
/*
 * session - per-session memory for event derivation.
 *
 * Each session keeps hashes of what it has already reported; a 32-bit
 * hash collision can at worst hide one event of one session.
 *
 * What tells one SMTP session from the next on the same client address
 * and port is the instance: smtpd writes it at each accepted MAIL FROM
 * as "pid.seconds.microseconds.seqno" (smtpd.c mail_cmd()), and seqno
 * starts at 0 for every connection (smtpd_state.c smtpd_state_init()).
 * Within one session the pid stays and seqno only grows; so a request
 * from another smtpd process, or with a seqno no larger than the last
 * one seen but another timestamp, belongs to a new session.  Requests
 * before the first MAIL carry no instance: there only CONNECT (and
 * XCLIENT, which Postfix treats as a new client) starts a session.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "event.h"
#include "log.h"
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
	uint32_t	      inst;	  /* hash of the last instance */
	uint32_t	      pid;	  /* smtpd process of the instance */
	uint32_t	      seqno;	  /* its transaction number */
	bool		      has_pid;	  /* pid and seqno are known */
	bool		      opened;	  /* started by CONNECT or XCLIENT */
	bool		      helo_early; /* HELO counted before the instance */
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
	t->warned = false;
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

/*
 * parse_instance - the pid and seqno of "pid.sec.usec.seqno", all hex;
 * false for anything else (another MTA, or no transaction yet).
 */
static bool
parse_instance(const char *inst, uint32_t *pid, uint32_t *seqno)
{
	unsigned long v[4];
	char	     *end;
	int	      i;

	for (i = 0; i < 4; i++) {
		if (*inst < '0' ||
		    (*inst > '9' && strchr("abcdefABCDEF", *inst) == NULL))
			return false;
		v[i] = strtoul(inst, &end, 16);
		if (*end != (i < 3 ? '.' : '\0'))
			return false;
		inst = end + 1;
	}
	if (v[0] > UINT32_MAX || v[3] > UINT32_MAX)
		return false;
	*pid = (uint32_t)v[0];
	*seqno = (uint32_t)v[3];
	return true;
}

/*
 * session_id - what tells sessions of one address apart: the client
 * port, or without one (XCLIENT PORT=[UNAVAILABLE]) the smtpd pid of
 * the instance, which serves one session at a time, or else the
 * instance itself.
 */
static const char *
session_id(const struct pd_req *r, char *buf, size_t len)
{
	const char *port = pd_req_get(r, PD_A_CLIENT_PORT);
	const char *inst = pd_req_get(r, PD_A_INSTANCE);
	uint32_t    pid, seqno;

	if (*port && strcmp(port, "unknown") != 0)
		return port;
	if (parse_instance(inst, &pid, &seqno)) {
		snprintf(buf, len, "pid:%" PRIx32, pid);
		return buf;
	}
	return inst;
}

static struct session *
session_find(struct pd_sessions *t, const struct pd_req *r, int64_t now,
    bool *fresh)
{
	char		       idbuf[32];
	const char	      *id = session_id(r, idbuf, sizeof(idbuf));
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

/* session_reset - what a new session on the same key starts from */
static void
session_reset(struct session *s)
{
	s->helo = s->mail = s->rcpt = s->data = s->eom = 0;
	s->mail_open = s->progressed = s->has_pid = false;
	s->helo_early = false;
}

/*
 * connect_event - CONNECT and XCLIENT (the client restrictions asked
 * again for the client XCLIENT names) start a session, unless they
 * repeat the one just asked.
 */
static bool
connect_event(struct session *s, int64_t now, bool fresh)
{
	if (!fresh && connect_again(s, now)) {
		session_reset(s);
		fresh = true;
	}
	s->connect_at = now;
	s->opened = true;
	return fresh;
}

/*
 * instance_new_session - does this instance start another session?
 * Another smtpd process, or an earlier or equal seqno with another
 * timestamp, does: seqno restarts at 0 with each connection and grows
 * with each transaction.  A session whose first transactions the
 * policy never saw cannot be told from the previous session of the
 * same smtpd process and port (see policyd.conf(5)).
 */
static bool
instance_new_session(const struct session *s, const char *inst, uint32_t pid,
    uint32_t seqno)
{
	if (!s->has_pid)
		return false;
	if (pid != s->pid)
		return true;
	if (hash2(inst, "") == s->inst)
		return false;
	return seqno <= s->seqno;
}

/*
 * instance_event - note the instance's session; a new one counts as a
 * connection here, at its first request with an instance.  A HELO or
 * MAIL already counted by the requests without one since the last
 * instance belongs to it and is not counted again.
 */
static unsigned
instance_event(struct session *s, const char *inst, bool fresh)
{
	uint32_t pid, seqno;
	bool	 helo_early, mail_open;
	uint32_t helo;

	if (!parse_instance(inst, &pid, &seqno))
		return 0;
	if (!fresh && instance_new_session(s, inst, pid, seqno)) {
		helo = s->helo;
		helo_early = s->helo_early;
		mail_open = s->mail_open;
		session_reset(s);
		s->helo = helo_early ? helo : 0;
		s->mail_open = mail_open;
		fresh = true;
	}
	s->inst = hash2(inst, "");
	s->pid = pid;
	s->seqno = seqno;
	s->has_pid = true;
	s->helo_early = false;
	return fresh ? 1u << PD_EV_CONNECTION : 0;
}

/*
 * warn_ambiguous - once per run: requests only at HELO, MAIL, VRFY or
 * ETRN carry no instance, and nothing in them tells a new session from
 * the same client port from the one before.
 */
static void
warn_ambiguous(struct pd_sessions *t, const char *state)
{
	if (t->warned)
		return;
	t->warned = true;
	pd_log_warnx("sessions: policy requests at %.16s without CONNECT "
		     "before and without an instance: sessions from one "
		     "client address and port cannot be told apart, and "
		     "connection counts may be low (see SESSIONS in "
		     "policyd.conf(5))",
	    state);
}

/* is_connect - a state that starts a session */
static bool
is_connect(const char *state)
{
	return strcasecmp(state, "CONNECT") == 0 ||
	    strcasecmp(state, "XCLIENT") == 0;
}

/* session_events - connection and helo */
static unsigned
session_events(struct pd_sessions *t, struct session *s, const struct pd_req *r,
    int64_t now, bool fresh)
{
	const char *state = pd_req_get(r, PD_A_PROTOCOL_STATE);
	const char *inst = pd_req_get(r, PD_A_INSTANCE);
	const char *helo = pd_req_get(r, PD_A_HELO_NAME);
	unsigned    ev = 0;
	uint32_t    h;

	if (is_connect(state)) {
		fresh = connect_event(s, now, fresh);
	} else {
		if (!fresh && !*inst && !s->opened && !s->has_pid)
			warn_ambiguous(t, state);
		s->progressed = true;
	}
	if (*inst)
		ev |= instance_event(s, inst, fresh);
	if (fresh)
		ev |= 1u << PD_EV_CONNECTION;
	if (*helo && (h = hash2(helo, "")) != s->helo) {
		s->helo = h;
		s->helo_early = !*inst;
		ev |= 1u << PD_EV_HELO;
	}
	return ev;
}

unsigned
pd_sessions_events(struct pd_sessions *t, const struct pd_req *r, int64_t now,
    struct pd_session_geo **geo)
{
	const char     *state = pd_req_get(r, PD_A_PROTOCOL_STATE);
	const char     *inst = pd_req_get(r, PD_A_INSTANCE);
	struct session *s;
	unsigned	ev;
	bool		fresh;
	uint32_t	h;

	*geo = NULL;
	if ((s = session_find(t, r, now, &fresh)) == NULL)
		return 1u << PD_EV_CONNECTION; /* out of memory: count it */
	*geo = &s->geo;
	ev = session_events(t, s, r, now, fresh);
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
