/* SPDX-License-Identifier: ISC */
/*
 * addr - IPv4/IPv6 addresses and CIDR blocks.
 *
 * An IPv4-mapped IPv6 address (::ffff:192.0.2.1) is taken as the IPv4
 * address it carries, so lists and counters see one client, not two.
 */
#ifndef PD_ADDR_H
#define PD_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pd_err;

struct pd_addr {
	uint8_t family;	   /* 4 or 6 */
	uint8_t bytes[16]; /* network order; IPv4 uses the first 4 */
};

struct pd_cidr {
	struct pd_addr addr; /* masked to bits */
	uint8_t	       bits;
};

/* Longest text form pd_addr_format() writes, with the NUL. */
#define PD_ADDR_STRLEN 46
/* Longest text form pd_cidr_format() writes, with the NUL. */
#define PD_CIDR_STRLEN (PD_ADDR_STRLEN + 4)

/* pd_addr_parse - dotted quad or IPv6 text; -1 if it is neither */
int  pd_addr_parse(const char *, struct pd_addr *);
/* pd_addr_mask - clear all but the first bits (IPv4: of 32, IPv6: of 128) */
void pd_addr_mask(struct pd_addr *, int bits);
void pd_addr_format(const struct pd_addr *, char *, size_t);
/* pd_addr_len - bytes that matter: 4 or 16 */
static inline size_t
pd_addr_len(const struct pd_addr *a)
{
	return a->family == 4 ? 4 : 16;
}

/* pd_cidr_parse - "192.0.2.0/24", "2001:db8::/32" or a single address */
int  pd_cidr_parse(const char *, struct pd_cidr *, struct pd_err *);
bool pd_cidr_match(const struct pd_cidr *, const struct pd_addr *);
/* pd_cidr_format - "192.0.2.0/24"; a host route prints as the address */
void pd_cidr_format(const struct pd_cidr *, char *, size_t);

struct sockaddr_storage;
/*
 * pd_hostport_parse - "127.0.0.1:12540" or "[::1]:12540" (an IP address,
 * no name lookups) into a socket address.
 */
int pd_hostport_parse(const char *, struct sockaddr_storage *, struct pd_err *);

#endif
