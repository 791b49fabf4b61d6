/*
 * engine - allow/deny lists, blocks, counting and rule triggers.
 *
 * One pass over the profile's rules looks for an active block or
 * listing; a second counts the request's events and fires the rules
 * whose limit is passed.  Reply texts come from the one template
 * renderer, and every decision that is not DUNNO is logged as one
 * key=value line with a reference id that can also go into the reply.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "str.h"
#include "addr.h"
#include "conf.h"
#include "event.h"
#include "geoip.h"
#include "helo.h"
#include "proto.h"
#include "engine.h"

/* The client's country and AS number are looked up once, when asked. */
#define GEO_COUNTRY	0x01
#define GEO_ASN		0x02

/* What one request is about, worked out once. */
struct ctx {
	struct pd_engine	*e;
	const struct pd_req	*req;
	int64_t			 now;
	struct pd_addr		 client;
	char			 client_str[PD_ADDR_STRLEN];	/* lazily */
	unsigned		 events;	/* bit mask of enum pd_event_type */
	char			 helo[256];	/* lower case, no trailing dot */
	unsigned		 findings;	/* 1 << enum pd_helo_finding */
	char			 tld[PD_HELO_NAME_MAX + 1];
	enum pd_helo_dns	 dns;		/* what the HELO lookup gave */
	bool			 from_log;	/* a maillog event, no request */
	unsigned		 geo_done;	/* GEO_COUNTRY, GEO_ASN */
	char			 country[3];	/* "" when not known */
	uint32_t		 asn;		/* 0 when not known */
	struct pd_session_geo	*sgeo;		/* the session's; may be NULL */
};

/*
 * A key for one rule: the bytes to count by.  Its text is made only
 * when a decision is logged (key_text), not for every request.
 */
struct key {
	uint8_t		bytes[PD_KEYTAB_KEY_MAX - 2];
	size_t		len;
	uint8_t		bits;		/* address keys: prefix length */
	bool		cidr;		/* print as a network */
};

struct outcome;

/* What a rule or list decided for this request. */
struct verdict {
	const char		*name;		/* rule or list */
	const struct pd_rule	*rule;		/* NULL for a list */
	const struct pd_tmpl	*tmpl;		/* NULL for a tarpit */
	const struct key	*key;
	uint64_t		 count;
	int64_t			 expires;	/* 0: none */
	int64_t			 delay;		/* tarpit, ms */
	bool			 warn;
	const struct outcome	*score;		/* for a score decision */
	const char		*reason;	/* an operator's block */
};

/* What the rules decided so far, while they are being evaluated. */
struct outcome {
	enum pd_action		 act;
	bool			 decided;
	struct verdict		 sleep;		/* the longest tarpit */
	struct key		 sleep_key;
	long long		 score;
	char			 reasons[256];	/* rule names, comma-separated */
};

/*
 * own_hash - client and reply text, the codes left out and cut at the
 * first ';': the part Postfix logs as the reason of a reject.
 */
/* reply_text - "451 4.7.1 text" or "REJECT text": what Postfix logs */
static const char *
reply_text(const char *s)
{
	static const char *words[] = { "REJECT ", "DEFER ", "DEFER_IF_PERMIT ",
	    "DEFER_IF_REJECT ", NULL };

	if (strspn(s, "0123456789") == 3 && s[3] == ' ') {
		s += 4;
		if (strspn(s, "0123456789.") > 0 && strchr(s, ' '))
			s = strchr(s, ' ') + 1;
	}
	for (size_t i = 0; words[i]; i++)
		if (strncasecmp(s, words[i], strlen(words[i])) == 0)
			return s + strlen(words[i]);
	return s;
}

static uint64_t
own_hash(const struct pd_addr *client, const char *text)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t n;

	text = reply_text(text);
	n = strcspn(text, ";");
	for (size_t i = 0; i < pd_addr_len(client) + 1; i++) {
		h ^= i == 0 ? client->family : client->bytes[i - 1];
		h *= 0x100000001b3ULL;
	}
	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)text[i];
		h *= 0x100000001b3ULL;
	}
	return h ? h : 1;
}

/*
 * own_text - reason begins with the fixed start of one of our reply
 * texts.  This catches our rejects that the ring below cannot: those
 * from before a restart, and all of them in a replay.
 */
static bool
own_text(const struct pd_conf *conf, const char *reason)
{
	const struct pd_tmpl *t;
	const char *src, *end;
	size_t n;

	for (size_t i = 0; i < conf->nrules + conf->naccess; i++) {
		t = i < conf->nrules ? &conf->rules[i].reply :
		    &conf->access[i - conf->nrules].reply;
		if (t->src == NULL)
			continue;
		src = reply_text(t->src);
		end = strstr(src, "${");
		n = end ? (size_t)(end - src) : strcspn(src, ";");
		if (n > strcspn(src, ";"))
			n = strcspn(src, ";");
		/* Too short a start would match other texts by chance. */
		if (n >= 8 && strncmp(reason, src, n) == 0)
			return true;
	}
	return false;
}

/* own_note - remember a reply that Postfix will log as a reject */
static void
own_note(struct pd_engine *e, const struct ctx *x, const char *text)
{
	if (e->own == NULL)
		return;
	e->own[e->own_next].hash = own_hash(&x->client, text);
	e->own[e->own_next].when = x->now;
	e->own_next = (e->own_next + 1) % PD_ENGINE_OWN_MAX;
}

/* own_reply - reason is what policyd told this client lately */
static bool
own_reply(const struct pd_engine *e, const struct pd_addr *client,
    const char *reason, int64_t now)
{
	uint64_t h;

	if (reason == NULL || *reason == '\0')
		return false;
	if (own_text(e->conf, reason))
		return true;
	if (e->own == NULL)
		return false;
	h = own_hash(client, reason);
	for (size_t i = 0; i < PD_ENGINE_OWN_MAX; i++)
		if (e->own[i].hash == h && now - e->own[i].when <
		    PD_ENGINE_OWN_TTL)
			return true;
	return false;
}

void
pd_engine_ref(uint32_t id, char *buf, size_t len)
{
	snprintf(buf, len, "PD-%06" PRIX32, id & 0xffffff);
}

const char *const pd_engine_states[PD_ENGINE_STATES] = {
	"CONNECT", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "END-OF-MESSAGE",
	"VRFY", "ETRN", "other",
};

/* count_request - one answered request, by protocol_state and action */
static void
count_request(struct pd_engine *e, const struct pd_req *r, enum pd_action act)
{
	const char *state = r ? pd_req_get(r, PD_A_PROTOCOL_STATE) : "";
	size_t i;

	for (i = 0; i < PD_ENGINE_STATES - 1; i++)
		if (strcasecmp(state, pd_engine_states[i]) == 0)
			break;
	e->stats.actions[act]++;
	e->stats.by_state[i][act]++;
}

/* count_decision - one decision of a rule or list, by its name */
static void
count_decision(struct pd_engine *e, const char *name, enum pd_action act,
    bool warn)
{
	struct pd_engine_rulestat *rs = NULL, *p;

	for (size_t i = 0; i < e->nrstats && rs == NULL; i++)
		if (strcmp(e->rstats[i].name, name) == 0)
			rs = &e->rstats[i];
	if (rs == NULL) {
		/* A name is added once; a reload keeps its totals going. */
		p = realloc(e->rstats, (e->nrstats + 1) * sizeof(*p));
		if (p == NULL)
			return;
		e->rstats = p;
		rs = &p[e->nrstats++];
		memset(rs, 0, sizeof(*rs));
		snprintf(rs->name, sizeof(rs->name), "%s", name);
	}
	if (warn)
		rs->warned++;
	else
		rs->actions[act]++;
}

/* rule_sig - what must stay the same for a rule to keep its counters */
static uint32_t
rule_sig(const struct pd_rule *r)
{
	return (uint32_t)r->event << 8 | (uint32_t)r->key;
}

/* Operators' blocks: a slot no rule can have, keyed by network. */
#define MANUAL_SIG	0xffffffffu

static int
engine_bind(struct pd_engine *e, const struct pd_conf *conf, struct pd_err *err)
{
	size_t *all;
	int *slots;
	int s, manual;

	slots = calloc(conf->nrules ? conf->nrules : 1, sizeof(*slots));
	all = calloc(conf->nrules ? conf->nrules : 1, sizeof(*all));
	if (slots == NULL || all == NULL) {
		free(slots);
		free(all);
		return pd_err_set(err, "out of memory");
	}
	pd_counters_begin(&e->counters);
	for (size_t i = 0; i < conf->nrules; i++) {
		s = pd_counters_slot(&e->counters, conf->rules[i].name,
		    rule_sig(&conf->rules[i]), conf->rules[i].window);
		if (s < 0) {
			free(slots);
			free(all);
			return pd_err_set(err, "rule %s: no room for its counters",
			    conf->rules[i].name);
		}
		slots[i] = s;
		all[i] = i;
	}
	manual = pd_counters_slot(&e->counters, PD_CONF_MANUAL, MANUAL_SIG,
	    24 * 3600 * 1000);
	if (manual < 0 || pd_journal_resize(&e->journal,
	    (size_t)conf->explain_history) < 0) {
		free(slots);
		free(all);
		return pd_err_set(err, "out of memory");
	}
	e->manual = manual;
	pd_counters_retire(&e->counters);
	e->counters.max_keys = (size_t)conf->max_keys;
	e->needs_dns = pd_conf_needs_dns(conf);
	free(e->slots);
	free(e->all);
	e->slots = slots;
	e->all = all;
	e->conf = conf;
	return 0;
}

int
pd_engine_init(struct pd_engine *e, const struct pd_conf *conf, uint32_t seed,
    struct pd_err *err)
{
	memset(e, 0, sizeof(*e));
	e->ref_next = seed;
	e->own = calloc(PD_ENGINE_OWN_MAX, sizeof(*e->own));
	if (pd_counters_init(&e->counters, (size_t)conf->max_keys) < 0 ||
	    pd_sessions_init(&e->sessions, PD_SESSION_MAX) < 0) {
		pd_engine_clear(e);
		return pd_err_set(err, "out of memory");
	}
	if (engine_bind(e, conf, err) < 0) {
		pd_engine_clear(e);
		return -1;
	}
	return 0;
}

void
pd_engine_clear(struct pd_engine *e)
{
	pd_counters_clear(&e->counters);
	pd_sessions_clear(&e->sessions);
	pd_journal_clear(&e->journal);
	free(e->slots);
	free(e->all);
	free(e->own);
	free(e->rstats);
	e->slots = NULL;
	e->all = NULL;
	e->own = NULL;
	e->rstats = NULL;
	e->nrstats = 0;
}

int
pd_engine_set_conf(struct pd_engine *e, const struct pd_conf *conf,
    struct pd_err *err)
{
	return engine_bind(e, conf, err);
}

/* client_text - the client address as text, made once when needed */
static const char *
client_text(struct ctx *x)
{
	if (x->client_str[0] == '\0')
		pd_addr_format(&x->client, x->client_str, sizeof(x->client_str));
	return x->client_str;
}

/*
 * geo_error - a lookup failed although open checked the whole tree:
 * a record that does not decode.  Logged, but not once per request.
 */
static void
geo_error(struct ctx *x, const struct pd_geoip *g)
{
	uint64_t n = ++x->e->stats.geoip_errors;

	if ((n & (n - 1)) == 0)
		pd_log_warnx("geoip: %s: lookup of %s failed (%" PRIu64
		    " so far); taken as not listed", pd_geoip_path(g),
		    client_text(x), n);
}

/* remember - the session learns what this request has looked up */
static void
remember(struct ctx *x)
{
	if (x->sgeo == NULL)
		return;
	memcpy(x->sgeo->country, x->country, sizeof(x->country));
	x->sgeo->asn = x->asn;
	x->sgeo->known = (uint8_t)x->geo_done;
}

/*
 * ctx_session - share what is known of the client's place with its
 * SMTP session: one lookup serves all of the session's requests.
 */
static void
ctx_session(struct ctx *x, struct pd_session_geo *sg)
{
	unsigned take;

	if ((x->sgeo = sg) == NULL)
		return;
	if (sg->gen != x->e->geo_gen)
		*sg = (struct pd_session_geo){ .gen = x->e->geo_gen };
	take = sg->known & ~x->geo_done;
	if (take & GEO_COUNTRY)
		memcpy(x->country, sg->country, sizeof(x->country));
	if (take & GEO_ASN)
		x->asn = sg->asn;
	x->geo_done |= take;
	remember(x);
}

/* ctx_country - the client's country, "" when not known */
static const char *
ctx_country(struct ctx *x)
{
	const struct pd_geo *geo = x->e->geo;

	if (!(x->geo_done & GEO_COUNTRY)) {
		x->geo_done |= GEO_COUNTRY;
		if (geo && geo->country &&
		    pd_geoip_country(geo->country, &x->client, x->country) < 0)
			geo_error(x, geo->country);
		remember(x);
	}
	return x->country;
}

/* ctx_asn - the client's AS number, 0 when not known */
static uint32_t
ctx_asn(struct ctx *x)
{
	const struct pd_geo *geo = x->e->geo;

	if (!(x->geo_done & GEO_ASN)) {
		x->geo_done |= GEO_ASN;
		if (geo && geo->asn &&
		    pd_geoip_asn(geo->asn, &x->client, &x->asn) < 0)
			geo_error(x, geo->asn);
		remember(x);
	}
	return x->asn;
}

/*
 * geo_part - whether the country part of g (asn: its AS part) holds
 * for the client; -1 when g has no such part.
 */
static int
geo_part(struct ctx *x, const struct pd_geo_cond *g, bool asn)
{
	bool in = false;
	const char *cc;
	uint32_t as;

	if (asn) {
		if (g->nasns == 0)
			return -1;
		as = ctx_asn(x);
		for (size_t i = 0; i < g->nasns && as && !in; i++)
			in = g->asns[i] == as;
		return in != g->asns_not;
	}
	if (g->ncountries == 0)
		return -1;
	cc = ctx_country(x);
	for (size_t i = 0; i < g->ncountries && *cc && !in; i++)
		in = memcmp(g->countries[i], cc, 2) == 0;
	return in != g->countries_not;
}

/* geo_holds - a rule's or profile's condition: every part holds */
static bool
geo_holds(struct ctx *x, const struct pd_geo_cond *g)
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

static const struct pd_access *
access_match(const struct pd_conf *conf, struct ctx *x, bool deny)
{
	const char *cname = pd_req_get(x->req, PD_A_CLIENT_NAME);

	if (strcmp(cname, "unknown") == 0)
		cname = "";
	for (size_t i = 0; i < conf->naccess; i++) {
		const struct pd_access *a = &conf->access[i];

		if (a->deny != deny)
			continue;
		for (size_t j = 0; j < a->nclients; j++)
			if (pd_cidr_match(&a->clients[j], &x->client))
				return a;
		if (name_match(&a->client_names, cname) ||
		    name_match(&a->helo_names, x->helo))
			return a;
		if (a->authenticated &&
		    *pd_req_get(x->req, PD_A_SASL_USERNAME) != '\0')
			return a;
		/* Like the entries above, either part is enough. */
		if (geo_part(x, &a->geo, false) == 1 ||
		    geo_part(x, &a->geo, true) == 1)
			return a;
	}
	return NULL;
}

/* profile_where - the request came the way profile p names */
static bool
profile_where(const struct pd_profile *p, const struct pd_req *r)
{
	const char *ctxname = pd_req_get(r, PD_A_POLICY_CONTEXT);
	long port;

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

/* profile_select - the first profile whose context or port and client fit */
static const struct pd_profile *
profile_select(const struct pd_conf *conf, struct ctx *x)
{
	for (size_t i = 0; i < conf->nprofiles; i++) {
		const struct pd_profile *p = &conf->profiles[i];

		if (profile_where(p, x->req) && geo_holds(x, &p->geo))
			return p;
	}
	return NULL;
}

static void
key_addr(struct key *k, const struct pd_addr *client, int bits, bool cidr)
{
	struct pd_addr a = *client;

	pd_addr_mask(&a, bits);
	k->bytes[0] = a.family;
	memcpy(k->bytes + 1, a.bytes, pd_addr_len(&a));
	k->len = 1 + pd_addr_len(&a);
	k->bits = (uint8_t)bits;
	k->cidr = cidr;
}

/* An AS key is 'a' and the number, big-endian; a country key 'c', "DE". */
static uint32_t
key_asn(const uint8_t *b)
{
	return (uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 8 | b[4];
}

/* key_text - how a key reads in a log line or a reply */
static const char *
key_text(const struct key *k, char *buf, size_t size)
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

/* key_make - the key of rule r for this request; false when it has none */
static bool
key_make(const struct pd_conf *conf, const struct pd_rule *r,
    struct ctx *x, struct key *k)
{
	const char *s;
	size_t n;
	uint32_t asn;
	bool v4 = x->client.family == 4;

	switch (r->key) {
	case PD_KEY_CLIENT_ADDRESS:
		key_addr(k, &x->client, v4 ? 32 : (int)conf->ipv6_client_prefix,
		    !v4 && conf->ipv6_client_prefix < 128);
		return true;
	case PD_KEY_CLIENT_PREFIX:
		key_addr(k, &x->client, (int)(v4 ? conf->ipv4_segment :
		    conf->ipv6_segment), true);
		return true;
	case PD_KEY_SASL_USERNAME:
		s = pd_req_get(x->req, PD_A_SASL_USERNAME);
		break;
	case PD_KEY_SENDER_DOMAIN:
		s = strrchr(pd_req_get(x->req, PD_A_SENDER), '@');
		s = s ? s + 1 : "";
		break;
	case PD_KEY_ASN:
		/* A client of no known AS is not counted with the unknown. */
		if ((asn = ctx_asn(x)) == 0)
			return false;
		k->bytes[0] = 'a';
		for (int i = 0; i < 4; i++)
			k->bytes[1 + i] = (uint8_t)(asn >> (24 - 8 * i));
		k->len = 5;
		return true;
	case PD_KEY_COUNTRY:
		if (*(s = ctx_country(x)) == '\0')
			return false;
		k->bytes[0] = 'c';
		memcpy(k->bytes + 1, s, 2);
		k->len = 3;
		return true;
	default:
		return false;
	}
	if ((n = strlen(s)) == 0)
		return false;
	if (n > sizeof(k->bytes) - 1)
		n = sizeof(k->bytes) - 1;
	k->bytes[0] = 's';
	for (size_t i = 0; i < n; i++)
		k->bytes[i + 1] = r->key == PD_KEY_SENDER_DOMAIN ?
		    (uint8_t)tolower((unsigned char)s[i]) : (uint8_t)s[i];
	k->len = n + 1;
	return true;
}

/* decide_log - the one log line of a decision, into line */
static void
decide_log(struct ctx *x, const struct verdict *v, enum pd_action act,
    const char *ref, struct pd_buf *line)
{
	char limit[64], win[32], exp[32], key[PD_STR_VALUE_MAX + 1];

	if (v->warn) {
		pd_buf_puts(line, "action=warn");
		pd_buf_kv(line, "would", pd_action_name(act));
	} else {
		pd_buf_printf(line, "action=%s", pd_action_name(act));
	}
	pd_buf_kv(line, "rule", v->name);
	pd_buf_kv(line, "client", client_text(x));
	if (*ctx_country(x))
		pd_buf_kv(line, "country", x->country);
	if (ctx_asn(x))
		pd_buf_printf(line, " asn=%" PRIu32, x->asn);
	if (v->key && strcmp(key_text(v->key, key, sizeof(key)),
	    client_text(x)) != 0)
		pd_buf_kv(line, "key", key);
	if (x->from_log)
		pd_buf_puts(line, " source=maillog");
	if (*x->helo)
		pd_buf_kv(line, "helo", pd_req_get(x->req, PD_A_HELO_NAME));
	if (*pd_req_get(x->req, PD_A_PROTOCOL_STATE))
		pd_buf_kv(line, "state", pd_req_get(x->req, PD_A_PROTOCOL_STATE));
	if (v->rule && v->rule->limit >= 0) {
		pd_str_fmt_duration(win, sizeof(win), v->rule->window);
		snprintf(limit, sizeof(limit), "%lld/%s", v->rule->limit, win);
		pd_buf_printf(line, " count=%" PRIu64, v->count);
		pd_buf_kv(line, "limit", limit);
	}
	if (v->delay)
		pd_buf_printf(line, " delay=%" PRId64 "s", v->delay / 1000);
	if (v->score) {
		pd_buf_printf(line, " score=%lld", v->score->score);
		pd_buf_kv(line, "reasons", v->score->reasons);
	}
	if (v->reason)
		pd_buf_kv(line, "reason", v->reason);
	if (v->expires) {
		pd_str_fmt_time(exp, sizeof(exp), v->expires);
		pd_buf_kv(line, "expires", exp);
	}
	pd_buf_kv(line, "ref", ref);
	pd_log_info("%s", pd_buf_str(line));
}

/*
 * render - the reply of verdict v, into out ("action=...\n\n"), and its
 * log line.  With out NULL only the log line: the verdict took effect
 * (a block was set) but another one answers this request.
 */
static enum pd_action
render(struct pd_engine *e, struct ctx *x, const struct verdict *v,
    struct pd_buf *out)
{
	const char *vars[PD_VAR_MAX] = { 0 };
	char ref[16], count[24], limit[24], win[32], exp[32], asn[16];
	char key[PD_STR_VALUE_MAX + 1];
	struct pd_buf text, line;
	enum pd_action act;
	uint32_t id = e->ref_next;

	pd_engine_ref(id, ref, sizeof(ref));
	/* An odd step visits every 24-bit value before one repeats. */
	e->ref_next += 0x9e3779;
	pd_buf_init(&text, PD_ENGINE_REPLY_MAX);
	if (v->tmpl == NULL) {
		pd_buf_printf(&text, "SLEEP %" PRId64, v->delay / 1000);
	} else {
		vars[PD_VAR_CLIENT_ADDRESS] = client_text(x);
		vars[PD_VAR_CLIENT_NAME] = pd_req_get(x->req, PD_A_CLIENT_NAME);
		vars[PD_VAR_HELO_NAME] = pd_req_get(x->req, PD_A_HELO_NAME);
		vars[PD_VAR_SENDER] = pd_req_get(x->req, PD_A_SENDER);
		vars[PD_VAR_RECIPIENT] = pd_req_get(x->req, PD_A_RECIPIENT);
		vars[PD_VAR_RULE] = v->name;
		vars[PD_VAR_REF] = ref;
		vars[PD_VAR_KEY] = v->key ? key_text(v->key, key, sizeof(key)) :
		    client_text(x);
		if (v->rule && v->rule->limit >= 0) {
			snprintf(count, sizeof(count), "%" PRIu64, v->count);
			snprintf(limit, sizeof(limit), "%lld", v->rule->limit);
			pd_str_fmt_duration(win, sizeof(win), v->rule->window);
			vars[PD_VAR_COUNT] = count;
			vars[PD_VAR_LIMIT] = limit;
			vars[PD_VAR_WINDOW] = win;
		}
		if (v->expires) {
			pd_str_fmt_time(exp, sizeof(exp), v->expires);
			vars[PD_VAR_EXPIRES] = exp;
		}
		vars[PD_VAR_TLD] = x->tld;
		if (v->score) {
			snprintf(count, sizeof(count), "%lld", v->score->score);
			vars[PD_VAR_SCORE] = count;
			vars[PD_VAR_REASONS] = v->score->reasons;
		}
		vars[PD_VAR_REASON] = v->reason;
		vars[PD_VAR_COUNTRY] = ctx_country(x);
		if (ctx_asn(x))
			snprintf(asn, sizeof(asn), "%" PRIu32, x->asn);
		else
			asn[0] = '\0';
		vars[PD_VAR_ASN] = asn;
		pd_tmpl_render(v->tmpl, vars, &text);
	}
	act = pd_tmpl_action(pd_buf_str(&text));
	pd_buf_init(&line, 2048);
	decide_log(x, v, act, ref, &line);
	/* What the client was told; nothing when another verdict answered. */
	pd_journal_add(&e->journal, id, x->now, &x->client, pd_buf_str(&line),
	    v->warn || out == NULL ? "" : pd_buf_str(&text));
	pd_buf_clear(&line);
	count_decision(e, v->name, act, v->warn);
	if (v->warn || out == NULL) {
		e->stats.warned += v->warn;
		pd_buf_clear(&text);
		return PD_ACT_DUNNO;
	}
	pd_buf_printf(out, "action=%s\n\n", pd_buf_str(&text));
	if (act == PD_ACT_DEFER || act == PD_ACT_REJECT)
		own_note(e, x, pd_buf_str(&text));
	pd_buf_clear(&text);
	return act;
}

/* check_blocks - an active block or listing of a profile rule */
static bool
check_blocks(struct pd_engine *e, struct ctx *x, const size_t *rules,
    size_t n, struct verdict *v, struct key *k)
{
	const struct pd_conf *conf = e->conf;
	struct pd_counter *c;

	for (size_t i = 0; i < n; i++) {
		const struct pd_rule *r = &conf->rules[rules[i]];

		/* Most rules hold no block at all: no lookup then. */
		if ((r->kind != PD_RULE_BLOCK && r->kind != PD_RULE_LISTING) ||
		    e->counters.slots[e->slots[rules[i]]].nblocked == 0)
			continue;
		if (!key_make(conf, r, x, k))
			continue;
		c = pd_counters_get(&e->counters, e->slots[rules[i]], k->bytes,
		    k->len);
		if (c == NULL || c->since == 0)
			continue;
		if (!pd_counter_blocked(c, x->now)) {
			pd_counters_unblock(&e->counters, c);
			continue;
		}
		/* Each attempt while listed starts the quiet period again. */
		if ((c->flags & PD_COUNTER_LISTING) &&
		    (x->events & (1u << r->event))) {
			c->until = x->now + r->hold;
			c->last = x->now;
		}
		*v = (struct verdict){ .name = r->name, .rule = r,
		    .tmpl = &r->reply, .key = k, .count = c->hits,
		    .expires = c->until, .warn = r->warn || conf->dry_run };
		return true;
	}
	return false;
}

/* manual_key - the key of an operator's block: the network, its length */
static void
manual_key(struct key *k, const struct pd_addr *a, int bits)
{
	key_addr(k, a, bits, true);
	k->bytes[k->len++] = (uint8_t)bits;
}

static void
manual_mark(struct pd_engine *e, int family, int bits)
{
	e->manual_bits[family == 6][bits / 64] |= 1ULL << (bits % 64);
}

/*
 * check_manual - an operator's block of a network holding the client,
 * the most specific first.  Only prefix lengths some block has are
 * looked up: usually one or two, and none while there is no block.
 */
static bool
check_manual(struct pd_engine *e, struct ctx *x, struct verdict *v,
    struct key *k)
{
	const uint64_t *bits = e->manual_bits[x->client.family == 6];
	struct pd_counter *c;

	if (e->counters.slots[e->manual].nblocked == 0)
		return false;
	for (int b = x->client.family == 6 ? 128 : 32; b >= 0; b--) {
		if (!(bits[b / 64] & (1ULL << (b % 64))))
			continue;
		manual_key(k, &x->client, b);
		c = pd_counters_get(&e->counters, e->manual, k->bytes, k->len);
		if (c == NULL || c->since == 0)
			continue;
		if (!pd_counter_blocked(c, x->now)) {
			pd_counters_unblock(&e->counters, c);
			continue;
		}
		c->last = x->now;
		*v = (struct verdict){ .name = PD_CONF_MANUAL,
		    .tmpl = &e->conf->block_reply, .key = k,
		    .expires = c->until, .reason = c->note ? c->note : "",
		    .warn = e->conf->dry_run };
		return true;
	}
	return false;
}

int
pd_engine_block(struct pd_engine *e, const struct pd_cidr *net, int64_t now,
    int64_t until, const char *reason, struct pd_err *err)
{
	struct pd_counter *c;
	struct key k;

	manual_key(&k, &net->addr, net->bits);
	c = pd_counters_add(&e->counters, e->manual, k.bytes, k.len, now);
	if (c == NULL)
		return pd_err_set(err, "out of memory, or every key is blocked");
	if (pd_counters_note(c, reason) < 0) {
		pd_counters_remove(&e->counters, c);
		return pd_err_set(err, "out of memory");
	}
	if (c->since)
		c->until = until;
	else
		pd_counters_block(&e->counters, c, now, until, PD_COUNTER_MANUAL);
	c->last = now;
	manual_mark(e, net->addr.family, net->bits);
	return 0;
}

void
pd_engine_reindex(struct pd_engine *e)
{
	struct pd_list *l;
	struct pd_cidr net;

	memset(e->manual_bits, 0, sizeof(e->manual_bits));
	for (l = e->counters.blocked.next; l != &e->counters.blocked;
	    l = l->next) {
		const struct pd_counter *c = pd_list_entry(l, struct pd_counter,
		    link);

		if (c->slot == e->manual && pd_engine_counter_net(e, c, &net))
			manual_mark(e, net.addr.family, net.bits);
	}
}

void
pd_engine_counter_text(const struct pd_engine *e, const struct pd_counter *c,
    char *buf, size_t size)
{
	struct pd_cidr net;
	struct key k = { .len = 0 };
	const uint8_t *key;

	if (pd_engine_counter_net(e, c, &net)) {
		pd_cidr_format(&net, buf, size);
		return;
	}
	key = pd_counter_key(c, &k.len);
	if (k.len == 0 || k.len > sizeof(k.bytes)) {
		snprintf(buf, size, "?");
		return;
	}
	memcpy(k.bytes, key, k.len);
	key_text(&k, buf, size);
}

void
pd_engine_where(struct pd_engine *e, const struct pd_addr *a,
    struct pd_engine_where *w)
{
	struct ctx x = { .e = e, .client = *a };

	memcpy(w->country, ctx_country(&x), sizeof(w->country));
	w->asn = ctx_asn(&x);
}

bool
pd_engine_counter_at(const struct pd_counter *c,
    const struct pd_engine_where *w)
{
	const uint8_t *key;
	size_t len;

	key = pd_counter_key(c, &len);
	if (len == 5 && key[0] == 'a')
		return w->asn != 0 && key_asn(key) == w->asn;
	if (len == 3 && key[0] == 'c')
		return *w->country && memcmp(key + 1, w->country, 2) == 0;
	return false;
}

const struct pd_rule *
pd_engine_counter_rule(const struct pd_engine *e, const struct pd_counter *c)
{
	for (size_t i = 0; i < e->conf->nrules; i++)
		if (e->slots[i] == (int)c->slot)
			return &e->conf->rules[i];
	return NULL;
}

bool
pd_engine_counter_net(const struct pd_engine *e, const struct pd_counter *c,
    struct pd_cidr *net)
{
	const struct pd_rule *r;
	const uint8_t *key;
	size_t len, alen;
	int bits;

	key = pd_counter_key(c, &len);
	if (len < 1 || (key[0] != 4 && key[0] != 6))
		return false;
	alen = key[0] == 4 ? 4 : 16;
	if (c->slot == e->manual) {
		if (len != 1 + alen + 1)
			return false;
		bits = key[1 + alen];
	} else {
		if (len != 1 + alen || (r = pd_engine_counter_rule(e, c)) == NULL)
			return false;
		if (r->key == PD_KEY_CLIENT_PREFIX)
			bits = (int)(alen == 4 ? e->conf->ipv4_segment :
			    e->conf->ipv6_segment);
		else if (r->key == PD_KEY_CLIENT_ADDRESS)
			bits = alen == 4 ? 32 : (int)e->conf->ipv6_client_prefix;
		else
			return false;
	}
	memset(net, 0, sizeof(*net));
	net->addr.family = key[0];
	memcpy(net->addr.bytes, key + 1, alen);
	net->bits = (uint8_t)bits;
	return true;
}

/* fire - rule r passed its limit with count n on counter c, for key k */
static void
fire(const struct pd_conf *conf, const struct pd_rule *r,
    struct pd_counters *cs, struct pd_counter *c, const struct ctx *x,
    uint64_t n, const struct key *k, struct verdict *v)
{
	*v = (struct verdict){ .name = r->name, .rule = r, .tmpl = &r->reply,
	    .count = n, .key = k, .warn = r->warn || conf->dry_run };
	switch (r->kind) {
	case PD_RULE_RATE:
		break;
	case PD_RULE_BLOCK:
	case PD_RULE_LISTING:
		/*
		 * The block uses up the events that caused it: once it ends,
		 * the key must pass the limit anew to be blocked again.
		 */
		pd_window_reset(&c->win);
		pd_counters_block(cs, c, x->now, x->now + r->hold,
		    r->kind == PD_RULE_LISTING ? PD_COUNTER_LISTING : 0);
		c->hits = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
		v->expires = c->until;
		break;
	case PD_RULE_TARPIT:
		v->tmpl = NULL;
		v->delay = r->delay_step ? r->delay * (int64_t)(n - (uint64_t)r->limit) :
		    r->delay;
		if (v->delay > r->max_delay || v->delay <= 0)
			v->delay = r->max_delay;
		break;
	}
}

/* applies - the request carries the rule's event and meets its conditions */
static bool
applies(const struct pd_rule *r, struct ctx *x)
{
	if (r->has_event && !(x->events & (1u << r->event)))
		return false;
	if (r->helo != 0 && (r->helo & x->findings) == 0)
		return false;
	return geo_holds(x, &r->geo);
}

/* consider - what to do with a rule that fired */
static void
consider(struct pd_engine *e, struct ctx *x, struct verdict *v,
    struct outcome *o, struct pd_buf *out)
{
	const struct pd_rule *r = v->rule;
	size_t len;

	/* Decided already: a later rule still takes effect, and says so. */
	if (o->decided) {
		if (v->tmpl != NULL && r->score == 0)
			render(e, x, v, NULL);
		return;
	}
	if (r->score != 0) {
		if (v->warn) {
			render(e, x, v, out);
			return;
		}
		o->score += r->score;
		len = strlen(o->reasons);
		snprintf(o->reasons + len, sizeof(o->reasons) - len, "%s%s",
		    len ? "," : "", r->name);
		return;
	}
	if (v->tmpl == NULL && !v->warn) {
		/* A tarpit lets later rules still decide. */
		if (o->sleep.delay < v->delay) {
			o->sleep = *v;
			if (v->key) {
				o->sleep_key = *v->key;
				o->sleep.key = &o->sleep_key;
			}
		}
		return;
	}
	o->act = render(e, x, v, out);
	o->decided = !v->warn;
}

/*
 * log_rule - a rate or tarpit rule counting a maillog event acts on the
 * requests of a key whose count is past the limit, without counting
 * them: the events come from the maillog.
 */
static void
log_rule(struct pd_engine *e, struct ctx *x, size_t i, const struct key *k,
    struct outcome *o, struct pd_buf *out)
{
	const struct pd_rule *r = &e->conf->rules[i];
	struct pd_counter *c;
	struct verdict v;
	uint64_t count;

	if (r->kind != PD_RULE_RATE && r->kind != PD_RULE_TARPIT)
		return;		/* blocks are set when the event comes */
	c = pd_counters_get(&e->counters, e->slots[i], k->bytes, k->len);
	if (c == NULL || pd_counter_blocked(c, x->now))
		return;
	count = pd_window_count(&c->win, e->counters.slots[c->slot].width,
	    x->now);
	if (count <= (uint64_t)r->limit)
		return;
	fire(e->conf, r, &e->counters, c, x, count, k, &v);
	consider(e, x, &v, o, out);
}

/* count_rules - the rules with a limit: count, and fire past it */
static void
count_rules(struct pd_engine *e, struct ctx *x, const size_t *rules,
    size_t n, struct outcome *o, struct pd_buf *out)
{
	const struct pd_conf *conf = e->conf;
	struct pd_counter *c;
	struct verdict v;
	struct key k;
	uint64_t count;

	/* Every rule counts the events it applies to, decided or not. */
	for (size_t i = 0; i < n; i++) {
		const struct pd_rule *r = &conf->rules[rules[i]];

		if (r->limit < 0)
			continue;
		if (pd_event_from_log(r->event)) {
			/* Nothing counted for the rule yet: nothing to look up. */
			if (e->counters.slots[e->slots[rules[i]]].count > 0 &&
			    geo_holds(x, &r->geo) && key_make(conf, r, x, &k))
				log_rule(e, x, rules[i], &k, o, out);
			continue;
		}
		if (!applies(r, x) || !key_make(conf, r, x, &k))
			continue;
		c = pd_counters_add(&e->counters, e->slots[rules[i]], k.bytes,
		    k.len, x->now);
		if (c == NULL) {
			e->stats.store_full++;
			continue;
		}
		/* A warn-mode block is logged by check_blocks; don't recount. */
		if (pd_counter_blocked(c, x->now))
			continue;
		count = pd_counters_count(&e->counters, c, x->now, 1);
		if (count <= (uint64_t)r->limit)
			continue;
		fire(conf, r, &e->counters, c, x, count, &k, &v);
		consider(e, x, &v, o, out);
	}
}

/* check_rules - the rules without a limit: HELO findings and the like */
static void
check_rules(struct pd_engine *e, struct ctx *x, const size_t *rules,
    size_t n, struct outcome *o, struct pd_buf *out)
{
	const struct pd_conf *conf = e->conf;
	struct verdict v;

	for (size_t i = 0; i < n && !o->decided; i++) {
		const struct pd_rule *r = &conf->rules[rules[i]];

		if (r->limit >= 0 || !applies(r, x))
			continue;
		v = (struct verdict){ .name = r->name, .rule = r,
		    .tmpl = &r->reply, .warn = r->warn || conf->dry_run };
		consider(e, x, &v, o, out);
	}
}

/* dns_failed - the HELO lookup failed and a rule wanted its answer */
static void
dns_failed(struct pd_engine *e, struct ctx *x, const size_t *rules,
    size_t n, struct outcome *o, struct pd_buf *out)
{
	const struct pd_conf *conf = e->conf;
	struct verdict v;
	size_t i;

	for (i = 0; i < n; i++)
		if (conf->rules[rules[i]].helo & (1u << PD_HELO_UNKNOWN))
			break;
	if (i == n)
		return;
	if (conf->dns_tempfail_reply.src == NULL) {
		pd_log_info("helo=%s client=%s: DNS lookup %s; HELO DNS check "
		    "skipped", x->helo, client_text(x),
		    x->dns == PD_HELO_DNS_TIMEOUT ? "timed out" : "failed");
		return;
	}
	v = (struct verdict){ .name = "dns_tempfail",
	    .tmpl = &conf->dns_tempfail_reply, .warn = conf->dry_run };
	o->act = render(e, x, &v, out);
	o->decided = !v.warn;
}

/* score_decide - the score's answer, when it reaches a threshold */
static void
score_decide(struct pd_engine *e, struct ctx *x, struct outcome *o,
    struct pd_buf *out)
{
	const struct pd_conf *conf = e->conf;
	struct verdict v = { .name = "score", .score = o,
	    .warn = conf->dry_run };

	if (conf->score_reject && o->score >= conf->score_reject)
		v.tmpl = &conf->score_reject_reply;
	else if (conf->score_defer && o->score >= conf->score_defer)
		v.tmpl = &conf->score_defer_reply;
	else
		return;
	o->act = render(e, x, &v, out);
	o->decided = !v.warn;
}

static enum pd_action
decide(struct pd_engine *e, struct ctx *x, struct pd_buf *out)
{
	const struct pd_conf *conf = e->conf;
	const struct pd_access *a;
	const struct pd_profile *p;
	struct verdict v;
	struct outcome o = { .act = PD_ACT_DUNNO };
	struct pd_session_geo *sg;
	struct key k;
	const size_t *rules;
	size_t n;

	/* The session first: it knows the client's place for the lists. */
	x->events = pd_sessions_events(&e->sessions, x->req, x->now, &sg);
	ctx_session(x, sg);
	if ((a = access_match(conf, x, true)) != NULL) {
		v = (struct verdict){ .name = a->name, .tmpl = &a->reply,
		    .warn = conf->dry_run };
		o.act = render(e, x, &v, out);
		if (!v.warn)
			goto done;
	}
	if (check_manual(e, x, &v, &k)) {
		o.act = render(e, x, &v, out);
		if (!v.warn)
			goto done;
	}
	if ((p = profile_select(conf, x)) != NULL) {
		rules = p->rules;
		n = p->nrules;
	} else {
		/* No profile matched: every rule applies. */
		rules = e->all;
		n = conf->nrules;
	}
	if (check_blocks(e, x, rules, n, &v, &k)) {
		o.act = render(e, x, &v, out);
		if (!v.warn)
			goto done;
	}
	count_rules(e, x, rules, n, &o, out);
	if (!o.decided)
		check_rules(e, x, rules, n, &o, out);
	if (!o.decided && (x->dns == PD_HELO_DNS_TEMPFAIL ||
	    x->dns == PD_HELO_DNS_TIMEOUT))
		dns_failed(e, x, rules, n, &o, out);
	if (!o.decided)
		score_decide(e, x, &o, out);
	if (o.decided)
		goto done;
	if (o.sleep.delay) {
		o.act = render(e, x, &o.sleep, out);
		goto done;
	}
	pd_buf_puts(out, "action=DUNNO\n\n");
	count_request(e, x->req, PD_ACT_DUNNO);
	return PD_ACT_DUNNO;
done:
	count_request(e, x->req, o.act);
	return o.act;
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

/* ctx_init - parse what the request is about; NULL, or why it can't */
static const char *
ctx_init(struct ctx *x, const struct pd_req *r, int64_t now)
{
	const char *helo, *req;
	size_t n;

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

/*
 * helo_findings - the HELO checks; none for authenticated clients.
 * Returns false when the DNS answer is still to come.
 */
static bool
helo_findings(struct pd_engine *e, struct ctx *x, enum pd_helo_dns dns)
{
	char norm[PD_HELO_NAME_MAX + 1];
	struct pd_helo_ctx hx;
	enum pd_helo_finding f;

	x->findings = 0;
	x->dns = dns;
	if (*pd_req_get(x->req, PD_A_SASL_USERNAME) != '\0')
		return true;
	helo_ctx(e->conf, x->req, &hx);
	f = pd_helo_classify(pd_req_get(x->req, PD_A_HELO_NAME), &hx, norm,
	    x->tld);
	if (f == PD_HELO_NEED_DNS) {
		if (dns == PD_HELO_DNS_NONE && e->needs_dns && e->lookup) {
			x->dns = dns = e->lookup(e->lookup_arg, norm);
			if (dns == PD_HELO_DNS_PENDING) {
				memcpy(e->lookup_name, norm, sizeof(norm));
				return false;
			}
		}
		f = dns == PD_HELO_DNS_NOTFOUND ? PD_HELO_UNKNOWN : PD_HELO_NONE;
	}
	if (f != PD_HELO_NONE)
		x->findings |= 1u << f;
	if (strcmp(pd_req_get(x->req, PD_A_CLIENT_NAME), "unknown") == 0)
		x->findings |= 1u << PD_HELO_NO_RDNS;
	return true;
}

void
pd_engine_set_geo(struct pd_engine *e, const struct pd_geo *geo)
{
	e->geo = geo;
	/* What sessions remember came from the databases before. */
	e->geo_gen++;
}

void
pd_engine_set_lookup(struct pd_engine *e, pd_engine_lookup_cb cb, void *arg)
{
	e->lookup = cb;
	e->lookup_arg = arg;
}

enum pd_action
pd_engine_decide(struct pd_engine *e, const struct pd_req *r, int64_t now,
    const char *peer, enum pd_helo_dns dns, struct pd_buf *out)
{
	struct ctx x = { .e = e };
	const char *why;

	if ((why = ctx_init(&x, r, now)) != NULL) {
		e->stats.requests++;
		pd_engine_malformed(e, peer, why, out);
		return PD_ACT_DUNNO;
	}
	/* Allow-listed clients are not checked at all, not even looked up. */
	if (access_match(e->conf, &x, false) != NULL) {
		e->stats.requests++;
		count_request(e, r, PD_ACT_DUNNO);
		pd_buf_puts(out, "action=DUNNO\n\n");
		return PD_ACT_DUNNO;
	}
	if (!helo_findings(e, &x, dns))
		return PD_ACT_PENDING;
	e->stats.requests++;
	return decide(e, &x, out);
}

void
pd_engine_event(struct pd_engine *e, enum pd_event_type type,
    const struct pd_addr *client, const char *reason, int64_t now)
{
	const struct pd_conf *conf = e->conf;
	struct pd_req none = { 0 };
	struct ctx x = { .e = e, .req = &none, .now = now, .client = *client,
	    .from_log = true };
	struct pd_counter *c;
	struct verdict v;
	struct key k;
	uint64_t count;

	e->stats.log_events++;
	/* Trusted clients are exempt from what the maillog says, too. */
	if (access_match(conf, &x, false) != NULL)
		return;
	/* Our own reject, logged by Postfix: not an error of the client's. */
	if (own_reply(e, client, reason, now)) {
		e->stats.own_rejects++;
		return;
	}
	for (size_t i = 0; i < conf->nrules; i++) {
		const struct pd_rule *r = &conf->rules[i];

		if (r->event != type || r->limit < 0 ||
		    !geo_holds(&x, &r->geo) || !key_make(conf, r, &x, &k))
			continue;
		c = pd_counters_add(&e->counters, e->slots[i], k.bytes, k.len,
		    now);
		if (c == NULL) {
			e->stats.store_full++;
			continue;
		}
		if (pd_counter_blocked(c, now)) {
			/* Each attempt while listed starts the quiet period again. */
			if (c->flags & PD_COUNTER_LISTING)
				c->until = now + r->hold;
			c->last = now;
			continue;
		}
		count = pd_counters_count(&e->counters, c, now, 1);
		if (count <= (uint64_t)r->limit)
			continue;
		/* Rate and tarpit rules act on requests; say when they start. */
		if ((r->kind == PD_RULE_RATE || r->kind == PD_RULE_TARPIT) &&
		    count != (uint64_t)r->limit + 1)
			continue;
		fire(conf, r, &e->counters, c, &x, count, &k, &v);
		render(e, &x, &v, NULL);
	}
}

void
pd_engine_malformed(struct pd_engine *e, const char *peer, const char *why,
    struct pd_buf *out)
{
	e->stats.malformed++;
	count_request(e, NULL, PD_ACT_DUNNO);
	if (peer)
		pd_log_warnx("malformed request from %s: %s; answered DUNNO",
		    peer, why);
	else
		pd_log_warnx("malformed request: %s; answered DUNNO", why);
	pd_buf_puts(out, "action=DUNNO\n\n");
}

void
pd_engine_tick(struct pd_engine *e, int64_t now)
{
	pd_counters_sweep(&e->counters, now, 100000);
	pd_sessions_expire(&e->sessions, now);
}
