/* SPDX-License-Identifier: ISC */
/*
 * helo - HELO name syntax and identity checks.
 *
 * The order of the checks is what makes the most specific finding win;
 * see helo.h.  Underscores are accepted in labels, as Postfix does:
 * they are common in the names of Windows hosts and say nothing bad.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "str.h"
#include "helo.h"

static const char *finding_names[PD_HELO_MAX] = {
	[PD_HELO_NONE] = "none",
	[PD_HELO_IP_LITERAL] = "ip_literal",
	[PD_HELO_OUR_ADDRESS] = "our_address",
	[PD_HELO_OUR_DOMAIN] = "our_domain",
	[PD_HELO_SPECIAL_USE] = "special_use",
	[PD_HELO_NON_FQDN] = "non_fqdn",
	[PD_HELO_INVALID] = "invalid",
	[PD_HELO_UNKNOWN] = "unknown",
	[PD_HELO_NO_RDNS] = "no_rdns",
};

const char *
pd_helo_finding_name(enum pd_helo_finding f)
{
	return f < PD_HELO_MAX ? finding_names[f] : "need_dns";
}

int
pd_helo_finding_lookup(const char *s)
{
	for (int i = 1; i < PD_HELO_MAX; i++)
		if (strcmp(s, finding_names[i]) == 0)
			return i;
	return -1;
}

bool
pd_helo_valid_hostname(const char *s)
{
	size_t	    label = 0, len = strlen(s);
	const char *p;

	if (len == 0 || len > PD_HELO_NAME_MAX)
		return false;
	for (p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return false;
		if (label == 0 && *p == '-')
			return false;
		if (++label > 63)
			return false;
	}
	if (label == 0 || p[-1] == '-')
		return false;
	/* An all-numeric last label would make "1.2.3" look like a host. */
	p = strrchr(s, '.');
	p = p ? p + 1 : s;
	return strspn(p, "0123456789") != strlen(p);
}

/* address_literal - "[192.0.2.1]", "[IPv6:2001:db8::1]" or a bare IP */
static bool
address_literal(const char *name, struct pd_addr *a)
{
	char   buf[PD_ADDR_STRLEN + 8];
	size_t n = strlen(name);

	if (n >= 2 && name[0] == '[' && name[n - 1] == ']') {
		if (n - 2 >= sizeof(buf))
			return false;
		memcpy(buf, name + 1, n - 2);
		buf[n - 2] = '\0';
		if (strncasecmp(buf, "ipv6:", 5) == 0)
			return pd_addr_parse(buf + 5, a) == 0 &&
			    strchr(buf + 5, ':') != NULL;
		return pd_addr_parse(buf, a) == 0;
	}
	return pd_addr_parse(name, a) == 0;
}

static bool
our_address(const struct pd_addr *a, const struct pd_helo_ctx *x)
{
	struct pd_addr srv;

	if (*x->server_address && pd_addr_parse(x->server_address, &srv) == 0 &&
	    srv.family == a->family &&
	    memcmp(srv.bytes, a->bytes, pd_addr_len(a)) == 0)
		return true;
	for (size_t i = 0; i < x->nlocal_addresses; i++)
		if (pd_cidr_match(&x->local_addresses[i], a))
			return true;
	return false;
}

/* special_use - the listed suffix name ends in, or NULL */
static const char *
special_use(const char *name, const struct pd_strlist *list)
{
	size_t n = strlen(name), m;

	for (size_t i = 0; list && i < list->n; i++) {
		const char *s = list->v[i];

		m = strlen(s);
		if (n == m && strcmp(name, s) == 0)
			return s;
		if (n > m && name[n - m - 1] == '.' &&
		    strcmp(name + n - m, s) == 0)
			return s;
	}
	return NULL;
}

enum pd_helo_finding
pd_helo_classify(const char *raw, const struct pd_helo_ctx *x, char *norm,
    char *tld)
{
	struct pd_addr a;
	const char    *su;
	size_t	       n;

	norm[0] = tld[0] = '\0';
	if (*raw == '\0')
		return PD_HELO_NONE;
	if (address_literal(raw, &a))
		return our_address(&a, x) ? PD_HELO_OUR_ADDRESS :
					    PD_HELO_IP_LITERAL;
	n = strlen(raw);
	/* The trailing dot of a fully qualified name does not count. */
	if (n > 1 && raw[n - 1] == '.')
		n--;
	if (n > PD_HELO_NAME_MAX)
		return PD_HELO_INVALID;
	memcpy(norm, raw, n);
	norm[n] = '\0';
	pd_str_lower(norm);
	if (!pd_helo_valid_hostname(norm))
		return PD_HELO_INVALID;
	/* Our own exact name says more than the class of its suffix. */
	if ((*x->rcpt_domain && strcasecmp(norm, x->rcpt_domain) == 0))
		return PD_HELO_OUR_DOMAIN;
	for (size_t i = 0; x->local_domains && i < x->local_domains->n; i++)
		if (strcmp(norm, x->local_domains->v[i]) == 0)
			return PD_HELO_OUR_DOMAIN;
	if ((su = special_use(norm, x->special_use)) != NULL) {
		snprintf(tld, PD_HELO_NAME_MAX + 1, "%s", su);
		return PD_HELO_SPECIAL_USE;
	}
	if (strchr(norm, '.') == NULL)
		return PD_HELO_NON_FQDN;
	return PD_HELO_NEED_DNS;
}
