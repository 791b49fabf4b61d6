/*
 * event - names of event and key types, as the config spells them.
 */
#include <string.h>

#include "event.h"

static const char *event_names[PD_EV_MAX] = {
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

static const char *key_names[PD_KEY_MAX] = {
	[PD_KEY_CLIENT_ADDRESS] = "client_address",
	[PD_KEY_CLIENT_PREFIX] = "client_prefix",
	[PD_KEY_SASL_USERNAME] = "sasl_username",
	[PD_KEY_SENDER_DOMAIN] = "sender_domain",
	[PD_KEY_ASN] = "asn",
	[PD_KEY_COUNTRY] = "country",
};

static int
lookup(const char *s, const char **names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

const char *
pd_event_name(enum pd_event_type t)
{
	return event_names[t];
}

int
pd_event_lookup(const char *s)
{
	return lookup(s, event_names, PD_EV_MAX);
}

const char *
pd_key_name(enum pd_key_type t)
{
	return key_names[t];
}

int
pd_key_lookup(const char *s)
{
	return lookup(s, key_names, PD_KEY_MAX);
}
