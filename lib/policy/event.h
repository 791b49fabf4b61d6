/*
 * event - the events rules count, and the keys they are counted by.
 *
 * Events come two ways.  Request events are worked out by session.c
 * from the policy requests of one SMTP session, once per session or
 * transaction (pd_sessions_events); maillog events are parsed from
 * Postfix's log by maillog.c and handed to pd_engine_event().  Rules
 * name an event type and a key type; the engine's rule evaluation does
 * not care which way an event came.
 */
#ifndef PD_EVENT_H
#define PD_EVENT_H

#include <stdbool.h>
#include <stdint.h>

enum pd_event_type {
	PD_EV_CONNECTION, /* first request of an SMTP session */
	PD_EV_HELO,	  /* first request of a session with a HELO name */
	PD_EV_MAIL,	  /* first request of a mail transaction */
	PD_EV_RCPT,	  /* each RCPT TO */
	PD_EV_DATA,	  /* DATA command */
	PD_EV_MESSAGE,	  /* end of message */
	/* From the maillog: what Postfix itself did. */
	PD_EV_LOG_CONNECTION, /* smtpd "connect from" */
	PD_EV_RCPT_REJECTED,  /* NOQUEUE: reject: RCPT */
	PD_EV_AUTH_FAILED,    /* SASL authentication failed */
	PD_EV_DATA_REJECTED,  /* reject or milter-reject at DATA or after */
	PD_EV_DROPPED,	      /* lost connection, too many errors, timeout */
	PD_EV_MAX
};

/* pd_event_from_log - the event comes from the maillog, not a request */
static inline bool
pd_event_from_log(enum pd_event_type t)
{
	return t >= PD_EV_LOG_CONNECTION;
}

enum pd_key_type {
	PD_KEY_CLIENT_ADDRESS, /* IPv4 exact, IPv6 by its /64 */
	PD_KEY_CLIENT_PREFIX,  /* the segment: /24, /64 */
	PD_KEY_SASL_USERNAME,
	PD_KEY_SENDER_DOMAIN,
	PD_KEY_ASN,	/* the client's AS number (geoip_asn_db) */
	PD_KEY_COUNTRY, /* the client's country (geoip_country_db) */
	PD_KEY_MAX
};

const char *pd_event_name(enum pd_event_type);
/* pd_event_lookup - event type by name, or -1 */
int	    pd_event_lookup(const char *);
int	    pd_key_lookup(const char *);

#endif
