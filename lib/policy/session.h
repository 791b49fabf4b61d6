/* SPDX-License-Identifier: ISC */
/*
 * session - turn policy requests into events, once per SMTP session.
 *
 * Postfix asks the policy service at each restriction list that names
 * it, and with smtpd_delay_reject = yes it evaluates the client and HELO
 * restrictions again at every RCPT.  So the same SMTP session shows up
 * in many requests, some of them identical.  This module remembers a
 * little per session (client_address + client_port, or the smtpd pid
 * of the instance when Postfix sends no port) and reports each event
 * once:
 *
 *	connection	the first request of a session: a CONNECT or XCLIENT
 *			request, a new key, or an instance that another
 *			session wrote (session.c says how it tells)
 *	helo		the first request with a (new) HELO name
 *	mail		the first request of a mail transaction (instance)
 *	rcpt		each RCPT request with a new recipient
 *	data, message	the DATA and END-OF-MESSAGE requests
 *
 * A repeated RCPT of the same recipient in one transaction counts once:
 * it cannot be told apart from the same RCPT asked about twice.
 * Requests at HELO, MAIL, VRFY or ETRN carry no instance: when a
 * client's requests are only such, a session cannot be told from the
 * one before on the same port, and the module logs that once.
 * The table is bounded (least recently seen sessions are forgotten
 * first) and entries expire after PD_SESSION_TTL without a request.
 */
#ifndef PD_SESSION_H
#define PD_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keytab.h"
#include "list.h"

struct pd_req;

/* Longer than Postfix's 300s smtpd_timeout between two commands. */
#define PD_SESSION_TTL (15 * 60 * 1000)
#define PD_SESSION_MAX 100000

/*
 * What the engine looked up about a session's client, its country and
 * AS number, kept with the session so that the session's later
 * requests need not look again.  gen names the databases the values
 * came from; the engine starts over when it differs.
 */
struct pd_session_geo {
	uint32_t gen;
	uint32_t asn;
	char	 country[3];
	uint8_t	 known; /* the engine's bits: which are set */
};

struct pd_sessions {
	struct pd_keytab tab;
	struct pd_list	 lru;
	size_t		 max;
	bool		 warned; /* logged that sessions are ambiguous */
};

int	 pd_sessions_init(struct pd_sessions *, size_t max);
void	 pd_sessions_clear(struct pd_sessions *);
/*
 * pd_sessions_events - the events this request adds, as a bit mask of
 * (1 << enum pd_event_type).  geo is set to the session's (NULL when
 * out of memory); it stays valid until the next call.
 */
unsigned pd_sessions_events(struct pd_sessions *, const struct pd_req *,
    int64_t now, struct pd_session_geo **geo);
/* pd_sessions_expire - forget sessions idle longer than the TTL */
void	 pd_sessions_expire(struct pd_sessions *, int64_t now);

#endif
