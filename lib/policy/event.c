/*
 * event - names of event and key types, as the config spells them.
 */
#include <assert.h>
#include <string.h>

#include "event.h"

static const char *const event_names[] = {
	[PD_EV_CONNECTION] = "connection",
	[PD_EV_HELO] = "helo",
	[PD_EV_MAIL] = "mail",
	[PD_EV_RCPT] = "rcpt",
	[PD_EV_DATA] = "data",
	[PD_EV_MESSAGE] = "message",
	[PD_EV_LOG_CONNECTION] = "log_connection",
	[PD_EV_RCPT_REJECTED] = "rcpt_rejected",
	[PD_EV_AUTH_FAILED] = "auth_failed",
	[PD_EV_DATA_REJECTED] = "data_rejected",
	[PD_EV_DROPPED] = "dropped",
};

static const char *const key_names[] = {
	[PD_KEY_CLIENT_ADDRESS] = "client_address",
	[PD_KEY_CLIENT_PREFIX] = "client_prefix",
	[PD_KEY_SASL_USERNAME] = "sasl_username",
	[PD_KEY_SENDER_DOMAIN] = "sender_domain",
	[PD_KEY_ASN] = "asn",
	[PD_KEY_COUNTRY] = "country",
};

/*
 * A type added to the enum needs its name here.  The size checks catch
 * a name missing at the end; the asserts below, one missing between.
 */
#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))
_Static_assert(NITEMS(event_names) == PD_EV_MAX, "a name for each event");
_Static_assert(NITEMS(key_names) == PD_KEY_MAX, "a name for each key");

static int
lookup(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		assert(names[i] != NULL);
		if (strcmp(s, names[i]) == 0)
			return i;
	}
	return -1;
}

const char *
pd_event_name(enum pd_event_type t)
{
	assert((unsigned)t < PD_EV_MAX && event_names[t] != NULL);
	return event_names[t];
}

int
pd_event_lookup(const char *s)
{
	return lookup(s, event_names, PD_EV_MAX);
}

int
pd_key_lookup(const char *s)
{
	return lookup(s, key_names, PD_KEY_MAX);
}
