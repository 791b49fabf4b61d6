/* SPDX-License-Identifier: ISC */
/*
 * helo - what a HELO name says about the client, without DNS.
 *
 * pd_helo_classify() returns the one most specific finding for a name:
 * our_address before ip_literal, our_domain before special_use before
 * non_fqdn, and all of them before the DNS check ("unknown"), which
 * this module only asks for (PD_HELO_NEED_DNS).  Names are compared
 * case-insensitively and without a trailing dot; "[192.0.2.1]" and
 * "[IPv6:2001:db8::1]" are address literals.  Pure: no I/O, no clock.
 */
#ifndef PD_HELO_H
#define PD_HELO_H

#include <stdbool.h>
#include <stddef.h>

struct pd_cidr;
struct pd_strlist;

enum pd_helo_finding {
	PD_HELO_NONE, /* nothing to say (or no HELO yet) */
	PD_HELO_IP_LITERAL,
	PD_HELO_OUR_ADDRESS,
	PD_HELO_OUR_DOMAIN,
	PD_HELO_SPECIAL_USE,
	PD_HELO_NON_FQDN,
	PD_HELO_INVALID,
	PD_HELO_UNKNOWN, /* no A/AAAA record: set from DNS */
	PD_HELO_NO_RDNS, /* client_name is "unknown" */
	PD_HELO_MAX,
	PD_HELO_NEED_DNS = PD_HELO_MAX /* syntax fine: ask DNS */
};

/* What the DNS lookup of the HELO name gave, as the engine sees it. */
enum pd_helo_dns {
	PD_HELO_DNS_NONE, /* not looked up */
	PD_HELO_DNS_FOUND,
	PD_HELO_DNS_NOTFOUND,
	PD_HELO_DNS_TEMPFAIL,
	PD_HELO_DNS_TIMEOUT, /* no answer within reply_timeout */
};

/* What the name is compared with. */
struct pd_helo_ctx {
	const char		*server_address; /* "" when not sent */
	const struct pd_cidr	*local_addresses;
	size_t			 nlocal_addresses;
	const struct pd_strlist *local_domains; /* lower case */
	const char		*rcpt_domain;	/* "" when none */
	const struct pd_strlist *special_use;	/* lower case */
};

/* Longest HELO name policyd looks at; longer is invalid. */
#define PD_HELO_NAME_MAX 255

/*
 * pd_helo_classify - the finding for name.  For PD_HELO_SPECIAL_USE,
 * tld receives the matched suffix ("local", "home.arpa"); for
 * PD_HELO_NEED_DNS, norm receives the name to look up (lower case, no
 * trailing dot).  Both buffers need PD_HELO_NAME_MAX + 1 bytes.
 */
enum pd_helo_finding pd_helo_classify(const char *name,
    const struct pd_helo_ctx *, char *norm, char *tld);

const char *pd_helo_finding_name(enum pd_helo_finding);
/* pd_helo_finding_lookup - by name, or -1 */
int	    pd_helo_finding_lookup(const char *);
/* pd_helo_valid_hostname - letters, digits, '-', '_', labels 1..63 */
bool	    pd_helo_valid_hostname(const char *);

#endif
