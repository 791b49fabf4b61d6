/* SPDX-License-Identifier: ISC */
/*
 * addr - address parsing, masking and CIDR matching.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "err.h"
#include "addr.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
	0xff };

int
pd_addr_parse(const char *s, struct pd_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->bytes) == 1) {
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->bytes) == 1) {
		a->family = 6;
		if (memcmp(a->bytes, v4mapped, sizeof(v4mapped)) == 0) {
			memmove(a->bytes, a->bytes + 12, 4);
			memset(a->bytes + 4, 0, 12);
			a->family = 4;
		}
		return 0;
	}
	return -1;
}

void
pd_addr_mask(struct pd_addr *a, int bits)
{
	int total = a->family == 4 ? 32 : 128;
	int i;

	if (bits < 0)
		bits = 0;
	for (i = 0; i < total / 8; i++) {
		int keep = bits - i * 8;

		if (keep >= 8)
			continue;
		a->bytes[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
	}
}

void
pd_addr_format(const struct pd_addr *a, char *buf, size_t n)
{
	if (inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->bytes, buf,
		(socklen_t)n) == NULL)
		snprintf(buf, n, "?");
}

int
pd_cidr_parse(const char *s, struct pd_cidr *c, struct pd_err *err)
{
	char	    host[PD_ADDR_STRLEN];
	const char *slash;
	size_t	    hlen;
	char	   *end;
	long	    bits;
	int	    max;

	slash = strchr(s, '/');
	hlen = slash ? (size_t)(slash - s) : strlen(s);
	if (hlen >= sizeof(host))
		return pd_err_set(err, "\"%s\" is not an address or CIDR", s);
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (pd_addr_parse(host, &c->addr) < 0)
		return pd_err_set(err, "\"%s\" is not an address or CIDR", s);
	max = c->addr.family == 4 ? 32 : 128;
	/* "::ffff:192.0.2.0/120" came in as IPv6; its prefix counts from 128. */
	if (c->addr.family == 4 && strchr(host, ':') != NULL && slash)
		max = 128;
	bits = max;
	if (slash) {
		bits = strtol(slash + 1, &end, 10);
		if (!isdigit((unsigned char)slash[1]) || *end != '\0' ||
		    bits > max)
			return pd_err_set(err,
			    "\"%s\": prefix length must be 0..%d", s, max);
		if (max == 128 && c->addr.family == 4)
			bits = bits < 96 ? 0 : bits - 96;
	}
	c->bits = (uint8_t)bits;
	pd_addr_mask(&c->addr, (int)bits);
	return 0;
}

bool
pd_cidr_match(const struct pd_cidr *c, const struct pd_addr *a)
{
	int full, rest;

	if (c->addr.family != a->family)
		return false;
	full = c->bits / 8;
	rest = c->bits % 8;
	if (memcmp(c->addr.bytes, a->bytes, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->addr.bytes[full] ^ a->bytes[full]) &
		   (uint8_t)(0xff << (8 - rest))) == 0;
}

void
pd_cidr_format(const struct pd_cidr *c, char *buf, size_t n)
{
	char host[PD_ADDR_STRLEN];

	pd_addr_format(&c->addr, host, sizeof(host));
	if (c->bits == (c->addr.family == 4 ? 32 : 128))
		snprintf(buf, n, "%s", host);
	else
		snprintf(buf, n, "%s/%u", host, c->bits);
}

int
pd_hostport_parse(const char *hp, struct sockaddr_storage *ss,
    struct pd_err *err)
{
	struct sockaddr_in  *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	const char	    *colon = strrchr(hp, ':');
	char		     host[64];
	size_t		     hl;
	long		     port;
	char		    *end;

	if (colon == NULL)
		return pd_err_set(err, "expected HOST:PORT");
	hl = (size_t)(colon - hp);
	if (hl >= 2 && hp[0] == '[' && hp[hl - 1] == ']') {
		hp++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return pd_err_set(err, "host too long");
	memcpy(host, hp, hl);
	host[hl] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port < 0 || port > 65535 || colon[1] == '\0')
		return pd_err_set(err, "bad port");
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
	} else {
		return pd_err_set(err, "\"%s\" is not an IP address", host);
	}
	return 0;
}
