/* SPDX-License-Identifier: ISC */
/*
 * key - rule keys: made from the facts of a request, read back from
 * the counter store for policydctl.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "str.h"
#include "conf.h"
#include "facts.h"
#include "proto.h"
#include "key.h"

static void
key_addr(struct pd_key *k, const struct pd_addr *client, int bits, bool cidr)
{
	struct pd_addr a = *client;

	pd_addr_mask(&a, bits);
	k->bytes[0] = a.family;
	memcpy(k->bytes + 1, a.bytes, pd_addr_len(&a));
	k->len = 1 + pd_addr_len(&a);
	k->bits = (uint8_t)bits;
	k->cidr = cidr;
}

static uint32_t
key_asn(const uint8_t *b)
{
	return (uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 8 | b[4];
}

const char *
pd_key_text(const struct pd_key *k, char *buf, size_t size)
{
	struct pd_cidr c = { .bits = k->bits };

	if (k->bytes[0] == 'a' && k->len == 5) {
		snprintf(buf, size, "AS%" PRIu32, key_asn(k->bytes));
		return buf;
	}
	if (k->bytes[0] == 'c' && k->len == 3) {
		snprintf(buf, size, "%c%c", k->bytes[1], k->bytes[2]);
		return buf;
	}
	if (k->bytes[0] == 's') {
		pd_str_sanitize(buf, size, (const char *)k->bytes + 1,
		    k->len - 1);
		return buf;
	}
	c.addr.family = k->bytes[0];
	/* A manual block's key has its prefix length after the address. */
	memcpy(c.addr.bytes, k->bytes + 1, pd_addr_len(&c.addr));
	if (k->cidr)
		pd_cidr_format(&c, buf, size);
	else
		pd_addr_format(&c.addr, buf, size);
	return buf;
}

/* key_place - an AS or country key; false when the client has none */
static bool
key_place(const struct pd_rule *r, struct pd_facts *x, struct pd_key *k)
{
	const char *cc;
	uint32_t    asn;

	if (r->key == PD_KEY_ASN) {
		/* A client of no known AS is not counted with the unknown. */
		if ((asn = pd_facts_asn(x)) == 0)
			return false;
		k->bytes[0] = 'a';
		for (int i = 0; i < 4; i++)
			k->bytes[1 + i] = (uint8_t)(asn >> (24 - 8 * i));
		k->len = 5;
		return true;
	}
	if (*(cc = pd_facts_country(x)) == '\0')
		return false;
	k->bytes[0] = 'c';
	memcpy(k->bytes + 1, cc, 2);
	k->len = 3;
	return true;
}

/* key_name - a SASL login or sender domain key; false when empty */
static bool
key_name(const struct pd_rule *r, const char *s, struct pd_key *k)
{
	size_t n;

	if ((n = strlen(s)) == 0)
		return false;
	if (n > sizeof(k->bytes) - 1)
		n = sizeof(k->bytes) - 1;
	k->bytes[0] = 's';
	for (size_t i = 0; i < n; i++)
		k->bytes[i + 1] = r->key == PD_KEY_SENDER_DOMAIN ?
		    (uint8_t)tolower((unsigned char)s[i]) :
		    (uint8_t)s[i];
	k->len = n + 1;
	return true;
}

bool
pd_key_make(const struct pd_conf *conf, const struct pd_rule *r,
    struct pd_facts *x, struct pd_key *k)
{
	const char *s;
	bool	    v4 = x->client.family == 4;

	switch (r->key) {
	case PD_KEY_CLIENT_ADDRESS:
		key_addr(k, &x->client, v4 ? 32 : (int)conf->ipv6_client_prefix,
		    !v4 && conf->ipv6_client_prefix < 128);
		return true;
	case PD_KEY_CLIENT_PREFIX:
		key_addr(k, &x->client,
		    (int)(v4 ? conf->ipv4_segment : conf->ipv6_segment), true);
		return true;
	case PD_KEY_SASL_USERNAME:
		return key_name(r, pd_req_get(x->req, PD_A_SASL_USERNAME), k);
	case PD_KEY_SENDER_DOMAIN:
		s = strrchr(pd_req_get(x->req, PD_A_SENDER), '@');
		return key_name(r, s ? s + 1 : "", k);
	case PD_KEY_ASN:
	case PD_KEY_COUNTRY:
		return key_place(r, x, k);
	default:
		return false;
	}
}

void
pd_key_manual(struct pd_key *k, const struct pd_addr *a, int bits)
{
	key_addr(k, a, bits, true);
	k->bytes[k->len++] = (uint8_t)bits;
}

bool
pd_key_net(const struct pd_conf *conf, const struct pd_rule *r, bool manual,
    const uint8_t *key, size_t len, struct pd_cidr *net)
{
	size_t alen;
	int    bits;

	if (len < 1 || (key[0] != 4 && key[0] != 6))
		return false;
	alen = key[0] == 4 ? 4 : 16;
	if (manual) {
		if (len != 1 + alen + 1)
			return false;
		bits = key[1 + alen];
	} else {
		if (len != 1 + alen || r == NULL)
			return false;
		if (r->key == PD_KEY_CLIENT_PREFIX)
			bits = (int)(alen == 4 ? conf->ipv4_segment :
						 conf->ipv6_segment);
		else if (r->key == PD_KEY_CLIENT_ADDRESS)
			bits = alen == 4 ? 32 : (int)conf->ipv6_client_prefix;
		else
			return false;
	}
	memset(net, 0, sizeof(*net));
	net->addr.family = key[0];
	memcpy(net->addr.bytes, key + 1, alen);
	net->bits = (uint8_t)bits;
	return true;
}

bool
pd_key_at(const uint8_t *key, size_t len, const char *cc, uint32_t asn)
{
	if (len == 5 && key[0] == 'a')
		return asn != 0 && key_asn(key) == asn;
	if (len == 3 && key[0] == 'c')
		return *cc && memcmp(key + 1, cc, 2) == 0;
	return false;
}

void
pd_key_stored_text(const struct pd_conf *conf, const struct pd_rule *r,
    bool manual, const uint8_t *key, size_t len, char *buf, size_t size)
{
	struct pd_key  k = { .len = len };
	struct pd_cidr net;

	if (pd_key_net(conf, r, manual, key, len, &net)) {
		pd_cidr_format(&net, buf, size);
		return;
	}
	if (len == 0 || len > sizeof(k.bytes)) {
		snprintf(buf, size, "?");
		return;
	}
	memcpy(k.bytes, key, len);
	pd_key_text(&k, buf, size);
}
