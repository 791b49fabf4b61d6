/* SPDX-License-Identifier: ISC */
/*
 * match - allow and deny lists, profiles and geo conditions.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "conf.h"
#include "facts.h"
#include "proto.h"
#include "match.h"

/*
 * geo_part - whether the country part of g (asn: its AS part) holds
 * for the client; -1 when g has no such part.
 */
static int
geo_part(struct pd_facts *x, const struct pd_geo_cond *g, bool asn)
{
	bool	    in = false;
	const char *cc;
	uint32_t    as;

	if (asn) {
		if (g->nasns == 0)
			return -1;
		as = pd_facts_asn(x);
		for (size_t i = 0; i < g->nasns && as && !in; i++)
			in = g->asns[i] == as;
		return in != g->asns_not;
	}
	if (g->ncountries == 0)
		return -1;
	cc = pd_facts_country(x);
	for (size_t i = 0; i < g->ncountries && *cc && !in; i++)
		in = memcmp(g->countries[i], cc, 2) == 0;
	return in != g->countries_not;
}

bool
pd_match_geo(struct pd_facts *x, const struct pd_geo_cond *g)
{
	return geo_part(x, g, false) != 0 && geo_part(x, g, true) != 0;
}

/* name_match - exact, or ".suffix" matching any name below it */
static bool
name_match(const struct pd_strlist *l, const char *name)
{
	size_t n = strlen(name), m;

	if (n == 0)
		return false;
	for (size_t i = 0; i < l->n; i++) {
		const char *p = l->v[i];

		m = strlen(p);
		if (p[0] == '.') {
			if (n > m && strcasecmp(name + n - m, p) == 0)
				return true;
		} else if (strcasecmp(name, p) == 0) {
			return true;
		}
	}
	return false;
}

/* access_one - any entry of list a matches */
static bool
access_one(const struct pd_access *a, struct pd_facts *x, const char *cname)
{
	for (size_t j = 0; j < a->nclients; j++)
		if (pd_cidr_match(&a->clients[j], &x->client))
			return true;
	if (name_match(&a->client_names, cname) ||
	    name_match(&a->helo_names, x->helo))
		return true;
	if (a->authenticated && *pd_req_get(x->req, PD_A_SASL_USERNAME) != '\0')
		return true;
	/* Like the entries above, either part is enough. */
	return geo_part(x, &a->geo, false) == 1 ||
	    geo_part(x, &a->geo, true) == 1;
}

const struct pd_access *
pd_match_access(const struct pd_conf *conf, struct pd_facts *x, bool deny)
{
	const char *cname = pd_req_get(x->req, PD_A_CLIENT_NAME);

	if (strcmp(cname, "unknown") == 0)
		cname = "";
	for (size_t i = 0; i < conf->naccess; i++) {
		const struct pd_access *a = &conf->access[i];

		if (a->deny == deny && access_one(a, x, cname))
			return a;
	}
	return NULL;
}

/* profile_where - the request came the way profile p names */
static bool
profile_where(const struct pd_profile *p, const struct pd_req *r)
{
	const char *ctxname = pd_req_get(r, PD_A_POLICY_CONTEXT);
	long	    port;

	if (p->contexts.n == 0 && p->nports == 0)
		return true;
	for (size_t j = 0; j < p->contexts.n; j++)
		if (strcmp(p->contexts.v[j], ctxname) == 0)
			return true;
	port = atol(pd_req_get(r, PD_A_SERVER_PORT));
	for (size_t j = 0; j < p->nports; j++)
		if (p->ports[j] == port)
			return true;
	return false;
}

const struct pd_profile *
pd_match_profile(const struct pd_conf *conf, struct pd_facts *x)
{
	for (size_t i = 0; i < conf->nprofiles; i++) {
		const struct pd_profile *p = &conf->profiles[i];

		if (profile_where(p, x->req) && pd_match_geo(x, &p->geo))
			return p;
	}
	return NULL;
}
