/*
 * event - the one event type the engine counts, and the keys it is
 * counted by.
 *
 * Every source (policy requests now, the maillog later) turns what it
 * sees into struct pd_event; rules name an event type and a key type,
 * and nothing else in the engine knows where an event came from.
 */
#ifndef PD_EVENT_H
#define PD_EVENT_H

#include <stdint.h>

#include "addr.h"

enum pd_event_type {
	PD_EV_CONNECTION,	/* first request of an SMTP session */
	PD_EV_HELO,		/* first request of a session with a HELO name */
	PD_EV_MAIL,		/* first request of a mail transaction */
	PD_EV_RCPT,		/* each RCPT TO */
	PD_EV_DATA,		/* DATA command */
	PD_EV_MESSAGE,		/* end of message */
	PD_EV_MAX
};

enum pd_key_type {
	PD_KEY_CLIENT_ADDRESS,	/* IPv4 exact, IPv6 by its /64 */
	PD_KEY_CLIENT_PREFIX,	/* the segment: /24, /64 */
	PD_KEY_SASL_USERNAME,
	PD_KEY_SENDER_DOMAIN,
	PD_KEY_MAX
};

struct pd_event {
	enum pd_event_type	 type;
	struct pd_addr		 client;
	const char		*sasl_username;	/* "" when none */
	const char		*sender_domain;	/* "" when none */
};

const char *pd_event_name(enum pd_event_type);
/* pd_event_lookup - event type by name, or -1 */
int	pd_event_lookup(const char *);
const char *pd_key_name(enum pd_key_type);
int	pd_key_lookup(const char *);

#endif
