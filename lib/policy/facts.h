/* SPDX-License-Identifier: ISC */
/*
 * facts - what one request (or maillog event) is about, worked out once
 * and shared by the engine's parts: the client, the normalised HELO
 * name and its findings, the events of the session, and the client's
 * country and AS number, looked up in the databases only when some
 * part asks.
 *
 * Facts hold the databases and the error counter they report to, not
 * the engine: the modules above them (key, match, engine) can use them
 * without knowing one another.  The request is borrowed and must stay
 * valid while the facts are used.
 */
#ifndef PD_FACTS_H
#define PD_FACTS_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "helo.h"

struct pd_conf;
struct pd_geo;
struct pd_req;
struct pd_session_geo;

struct pd_facts {
	const struct pd_req   *req; /* borrowed */
	int64_t		       now;
	struct pd_addr	       client;
	char		       client_str[PD_ADDR_STRLEN]; /* lazily */
	unsigned	       events;	  /* bit mask of enum pd_event_type */
	char		       helo[256]; /* lower case, no trailing dot */
	unsigned	       findings;  /* 1 << enum pd_helo_finding */
	char		       tld[PD_HELO_NAME_MAX + 1];
	enum pd_helo_dns       dns;	   /* what the HELO lookup gave */
	bool		       from_log;   /* a maillog event, no request */
	const struct pd_geo   *geo;	   /* borrowed; NULL: none */
	uint32_t	       geo_gen;	   /* which databases geo holds */
	uint64_t	      *geo_errors; /* counts failed lookups */
	unsigned	       geo_done;   /* PD_FACTS_COUNTRY, _ASN */
	char		       country[3]; /* "" when not known */
	uint32_t	       asn;	   /* 0 when not known */
	struct pd_session_geo *sgeo;	   /* the session's; may be NULL */
};

#define PD_FACTS_COUNTRY 0x01
#define PD_FACTS_ASN	 0x02

/*
 * pd_facts_init - what request r is about, at now; NULL, or why it
 * cannot be answered (static text).  geo, geo_gen and geo_errors are
 * set by the caller before or after.
 */
const char *pd_facts_init(struct pd_facts *, const struct pd_req *r,
    int64_t now);
/* pd_facts_event - the facts of a maillog event: a client and a time */
void	    pd_facts_event(struct pd_facts *, const struct pd_req *none,
	   const struct pd_addr *client, int64_t now);
/* pd_facts_client - the client address as text */
const char *pd_facts_client(struct pd_facts *);
/* pd_facts_country - the client's country, "" when not known */
const char *pd_facts_country(struct pd_facts *);
/* pd_facts_asn - the client's AS number, 0 when not known */
uint32_t    pd_facts_asn(struct pd_facts *);
/*
 * pd_facts_session - share what is known of the client's place with its
 * SMTP session (sg may be NULL): one lookup serves all its requests.
 */
void	    pd_facts_session(struct pd_facts *, struct pd_session_geo *sg);

/*
 * pd_facts_helo_name - the name whose DNS answer the HELO check needs
 * (into name, PD_HELO_NAME_MAX + 1 bytes), or false when none does:
 * authenticated clients are not checked and most names are decided
 * without DNS.
 */
bool pd_facts_helo_name(const struct pd_facts *, const struct pd_conf *,
    char *name);
/*
 * pd_facts_helo - the HELO findings, with dns the answer of the lookup
 * (PD_HELO_DNS_NONE when none was made: then "unknown" is not found).
 */
void pd_facts_helo(struct pd_facts *, const struct pd_conf *,
    enum pd_helo_dns dns);

#endif
