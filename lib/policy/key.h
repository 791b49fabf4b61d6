/* SPDX-License-Identifier: ISC */
/*
 * key - what a rule counts by, as bytes for the counter store, and how
 * a stored key reads again.
 *
 * The first byte names the kind: 4 or 6 an address or network (then
 * its bytes; an operator's block adds the prefix length), 'a' an AS
 * number (4 bytes, big-endian), 'c' a country ("DE"), 's' a name (a
 * SASL login or a sender domain, lower case).  A key's text is made
 * only when a decision is logged, not for every request.
 */
#ifndef PD_KEY_H
#define PD_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "keytab.h"

struct pd_conf;
struct pd_facts;
struct pd_rule;

struct pd_key {
	uint8_t bytes[PD_KEYTAB_KEY_MAX - 2];
	size_t	len;
	uint8_t bits; /* address keys: prefix length */
	bool	cidr; /* print as a network */
};

/* pd_key_make - the key of rule r for these facts; false when none */
bool	    pd_key_make(const struct pd_conf *, const struct pd_rule *r,
	   struct pd_facts *, struct pd_key *);
/* pd_key_manual - the key of an operator's block of a/bits */
void	    pd_key_manual(struct pd_key *, const struct pd_addr *a, int bits);
/* pd_key_text - how a key reads in a log line or a reply, into buf */
const char *pd_key_text(const struct pd_key *, char *buf, size_t size);

/*
 * pd_key_net - the network a stored address key stands for (a host
 * route for a single address); false for other keys.  r is the rule
 * the key belongs to, NULL for an operator's block (manual).
 */
bool pd_key_net(const struct pd_conf *, const struct pd_rule *r, bool manual,
    const uint8_t *key, size_t len, struct pd_cidr *net);
/* pd_key_at - a stored key names the country cc or the AS asn */
bool pd_key_at(const uint8_t *key, size_t len, const char *cc, uint32_t asn);
/* pd_key_stored_text - a stored key's text, net first (see pd_key_net) */
void pd_key_stored_text(const struct pd_conf *, const struct pd_rule *r,
    bool manual, const uint8_t *key, size_t len, char *buf, size_t size);

#endif
