/* SPDX-License-Identifier: ISC */
/*
 * facts - the per-request facts, and the lazy country and AS lookups.
 *
 * A lookup is made once per request at most, and once per SMTP session
 * when the session is known; a database swap (a new geo_gen) makes the
 * sessions look up again.
 */
#include <inttypes.h>
#include <string.h>

#include "log.h"
#include "str.h"
#include "conf.h"
#include "geoip.h"
#include "proto.h"
#include "session.h"
#include "facts.h"

const char *
pd_facts_init(struct pd_facts *x, const struct pd_req *r, int64_t now)
{
	const char *helo, *req;
	size_t	    n;

	x->req = r;
	x->now = now;
	req = pd_req_get(r, PD_A_REQUEST);
	if (strcmp(req, "smtpd_access_policy") != 0)
		return *req ? "request is not smtpd_access_policy" :
			      "no request attribute";
	if (pd_addr_parse(pd_req_get(r, PD_A_CLIENT_ADDRESS), &x->client) < 0)
		return "no usable client_address";
	helo = pd_req_get(r, PD_A_HELO_NAME);
	n = pd_str_sanitize(x->helo, sizeof(x->helo), helo, strlen(helo));
	if (n > 0 && x->helo[n - 1] == '.')
		x->helo[n - 1] = '\0';
	pd_str_lower(x->helo);
	return NULL;
}

void
pd_facts_event(struct pd_facts *x, const struct pd_req *none,
    const struct pd_addr *client, int64_t now)
{
	x->req = none;
	x->now = now;
	x->client = *client;
	x->from_log = true;
}

const char *
pd_facts_client(struct pd_facts *x)
{
	if (x->client_str[0] == '\0')
		pd_addr_format(&x->client, x->client_str,
		    sizeof(x->client_str));
	return x->client_str;
}

/*
 * geo_error - a lookup failed although open checked the whole tree:
 * a record that does not decode.  Logged, but not once per request.
 */
static void
geo_error(struct pd_facts *x, const struct pd_geoip *g)
{
	uint64_t dummy = 0, *count = x->geo_errors ? x->geo_errors : &dummy;
	uint64_t n = ++*count;

	if ((n & (n - 1)) == 0)
		pd_log_warnx("geoip: %s: lookup of %s failed (%" PRIu64
			     " so far); taken as not listed",
		    pd_geoip_path(g), pd_facts_client(x), n);
}

/* remember - the session learns what this request has looked up */
static void
remember(struct pd_facts *x)
{
	if (x->sgeo == NULL)
		return;
	memcpy(x->sgeo->country, x->country, sizeof(x->country));
	x->sgeo->asn = x->asn;
	x->sgeo->known = (uint8_t)x->geo_done;
}

void
pd_facts_session(struct pd_facts *x, struct pd_session_geo *sg)
{
	unsigned take;

	if ((x->sgeo = sg) == NULL)
		return;
	if (sg->gen != x->geo_gen)
		*sg = (struct pd_session_geo){ .gen = x->geo_gen };
	take = sg->known & ~x->geo_done;
	if (take & PD_FACTS_COUNTRY)
		memcpy(x->country, sg->country, sizeof(x->country));
	if (take & PD_FACTS_ASN)
		x->asn = sg->asn;
	x->geo_done |= take;
	remember(x);
}

const char *
pd_facts_country(struct pd_facts *x)
{
	const struct pd_geo *geo = x->geo;

	if (!(x->geo_done & PD_FACTS_COUNTRY)) {
		x->geo_done |= PD_FACTS_COUNTRY;
		if (geo && geo->country &&
		    pd_geoip_country(geo->country, &x->client, x->country) < 0)
			geo_error(x, geo->country);
		remember(x);
	}
	return x->country;
}

uint32_t
pd_facts_asn(struct pd_facts *x)
{
	const struct pd_geo *geo = x->geo;

	if (!(x->geo_done & PD_FACTS_ASN)) {
		x->geo_done |= PD_FACTS_ASN;
		if (geo && geo->asn &&
		    pd_geoip_asn(geo->asn, &x->client, &x->asn) < 0)
			geo_error(x, geo->asn);
		remember(x);
	}
	return x->asn;
}

/* helo_ctx - what the HELO name is compared with, for this request */
static void
helo_ctx(const struct pd_conf *conf, const struct pd_req *r,
    struct pd_helo_ctx *hx)
{
	const char *at = strrchr(pd_req_get(r, PD_A_RECIPIENT), '@');

	*hx = (struct pd_helo_ctx){
		.server_address = pd_req_get(r, PD_A_SERVER_ADDRESS),
		.local_addresses = conf->local_addresses,
		.nlocal_addresses = conf->nlocal_addresses,
		.local_domains = &conf->local_domains,
		.rcpt_domain = at ? at + 1 : "",
		.special_use = &conf->helo_special_use,
	};
}

/* classify - the HELO name's finding; norm and tld as pd_helo_classify */
static enum pd_helo_finding
classify(const struct pd_facts *x, const struct pd_conf *conf, char *norm,
    char *tld)
{
	struct pd_helo_ctx hx;

	helo_ctx(conf, x->req, &hx);
	return pd_helo_classify(pd_req_get(x->req, PD_A_HELO_NAME), &hx, norm,
	    tld);
}

bool
pd_facts_helo_name(const struct pd_facts *x, const struct pd_conf *conf,
    char *name)
{
	char tld[PD_HELO_NAME_MAX + 1];

	if (*pd_req_get(x->req, PD_A_SASL_USERNAME) != '\0')
		return false;
	return classify(x, conf, name, tld) == PD_HELO_NEED_DNS;
}

void
pd_facts_helo(struct pd_facts *x, const struct pd_conf *conf,
    enum pd_helo_dns dns)
{
	char		     norm[PD_HELO_NAME_MAX + 1];
	enum pd_helo_finding f;

	x->findings = 0;
	x->dns = dns;
	/* Authenticated clients are not checked. */
	if (*pd_req_get(x->req, PD_A_SASL_USERNAME) != '\0')
		return;
	f = classify(x, conf, norm, x->tld);
	if (f == PD_HELO_NEED_DNS)
		f = dns == PD_HELO_DNS_NOTFOUND ? PD_HELO_UNKNOWN :
						  PD_HELO_NONE;
	if (f != PD_HELO_NONE)
		x->findings |= 1u << f;
	if (strcmp(pd_req_get(x->req, PD_A_CLIENT_NAME), "unknown") == 0)
		x->findings |= 1u << PD_HELO_NO_RDNS;
}
