/* SPDX-License-Identifier: ISC */
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

struct pd_err;

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
	/*
	 * The server deferred the client for reasons of its own: a policy
	 * service, table, milter or SASL backend that failed, storage
	 * running out, greylisting, or the master at its process limit
	 * (then with no client).  Never the client's error: no rule may
	 * count it; the engine forgives the drops that follow it.
	 */
	PD_EV_SERVER_DEFER,
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

/*
 * Which rejects a rule counts, by the reply codes Postfix logged: a
 * list such as "5xx, 454 4.7.1, !5.7.1".  Each entry is a reply code
 * ("550", "5xx"), an enhanced status code ("5.1.1", "5.7.x", "x.1.1")
 * or both ("454 4.7.1"), and "!" in front turns it into an exclusion.
 * The first entry that matches decides; a reject that none matches is
 * not counted.  cleanup's rejects carry no reply code, only the status:
 * "5xx" matches them by its first digit, "550" does not.
 */
struct pd_code_pat {
	bool not ;
	char code[4];	/* "550", "5xx"; "" for any */
	int  status[3]; /* class, subject, detail; -1 for x */
	bool has_status;
};

struct pd_codes {
	struct pd_code_pat *v; /* owned */
	size_t		    n;
};

#define PD_CODES_MAX 32

/*
 * pd_codes_parse - the list text into c (cleared first); -1 with err
 * for an entry that is none of the forms, a code and status of
 * different classes, or a list that counts nothing.
 */
int  pd_codes_parse(struct pd_codes *c, const char *text, struct pd_err *err);
void pd_codes_free(struct pd_codes *);
/*
 * pd_codes_match - reply ("550 5.1.1 User unknown", "5.7.1 text", as
 * maillog.c gives it) is one c counts.  A reply with no code at all is
 * never counted.
 */
bool pd_codes_match(const struct pd_codes *c, const char *reply);
/*
 * pd_codes_default - the list a rule of event t counts when it sets
 * none, or NULL: t is not a reject and takes no codes.
 */
const char *pd_codes_default(enum pd_event_type t);

#endif
