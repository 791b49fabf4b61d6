/*
 * conf - the policyd.conf reader.
 *
 * A hand-written line parser: the grammar is "name = value", "TYPE NAME {"
 * and "}", which gives exact file:line messages without generated code.
 * Scalar options live in one table with their default and bounds, and
 * the defaults are applied by parsing their text through the same code
 * as the file, so a default can never be a value the file may not hold.
 * Every string in struct pd_conf is owned by it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "str.h"
#include "conf.h"
#include "helo.h"

enum opt_type {
	OPT_BOOL,
	OPT_INT,
	OPT_OCTAL,
	OPT_DURATION,
	OPT_STRING,
	OPT_LIST,
};

static const struct option {
	const char	*name;
	enum opt_type	 type;
	size_t		 off;
	const char	*def;
	long long	 min, max;	/* INT: value; DURATION: ms */
} options[] = {
	{ "listen", OPT_LIST, offsetof(struct pd_conf, listen),
	    "inet:127.0.0.1:10040", 0, 0 },
	{ "unix_mode", OPT_OCTAL, offsetof(struct pd_conf, unix_mode),
	    "0666", 0, 0777 },
	{ "user", OPT_STRING, offsetof(struct pd_conf, user), "", 0, 0 },
	{ "request_timeout", OPT_DURATION,
	    offsetof(struct pd_conf, request_timeout), "30s", 1000, 3600000 },
	{ "idle_timeout", OPT_DURATION, offsetof(struct pd_conf, idle_timeout),
	    "600s", 1000, 86400000 },
	{ "reply_timeout", OPT_DURATION, offsetof(struct pd_conf, reply_timeout),
	    "5s", 100, 90000 },
	{ "max_clients", OPT_INT, offsetof(struct pd_conf, max_clients),
	    "1000", 1, 1000000 },
	{ "dry_run", OPT_BOOL, offsetof(struct pd_conf, dry_run), "no", 0, 0 },
	{ "state_file", OPT_STRING, offsetof(struct pd_conf, state_file), "",
	    0, 0 },
	{ "state_interval", OPT_DURATION,
	    offsetof(struct pd_conf, state_interval), "5m", 1000, 86400000 },
	{ "max_keys", OPT_INT, offsetof(struct pd_conf, max_keys), "1000000",
	    100, 100000000 },
	{ "ipv6_client_prefix", OPT_INT,
	    offsetof(struct pd_conf, ipv6_client_prefix), "64", 1, 128 },
	{ "ipv4_segment", OPT_INT, offsetof(struct pd_conf, ipv4_segment),
	    "24", 1, 32 },
	{ "ipv6_segment", OPT_INT, offsetof(struct pd_conf, ipv6_segment),
	    "64", 1, 128 },
	{ "maillog", OPT_STRING, offsetof(struct pd_conf, maillog), "", 0, 0 },
	{ "local_domains", OPT_LIST, offsetof(struct pd_conf, local_domains),
	    "", 0, 0 },
	{ "local_addresses", OPT_LIST,
	    offsetof(struct pd_conf, local_addresses_text), "", 0, 0 },
	{ "helo_special_use", OPT_LIST,
	    offsetof(struct pd_conf, helo_special_use),
	    "local localdomain localhost lan home corp internal intranet "
	    "private invalid test example home.arpa", 0, 0 },
	{ "dns_forward", OPT_STRING, offsetof(struct pd_conf, dns_forward), "",
	    0, 0 },
	{ "dns_tempfail_action", OPT_STRING,
	    offsetof(struct pd_conf, dns_tempfail_action), "skip", 0, 0 },
	{ "dns_cache_size", OPT_INT, offsetof(struct pd_conf, dns_cache_size),
	    "100000", 100, 10000000 },
	{ "score_defer", OPT_INT, offsetof(struct pd_conf, score_defer), "0",
	    0, 1000000 },
	{ "score_reject", OPT_INT, offsetof(struct pd_conf, score_reject), "0",
	    0, 1000000 },
	{ "score_defer_reply", OPT_STRING,
	    offsetof(struct pd_conf, score_defer_reply_text),
	    "451 4.7.1 Message refused for now: ${reasons} (${ref})", 0, 0 },
	{ "score_reject_reply", OPT_STRING,
	    offsetof(struct pd_conf, score_reject_reply_text),
	    "554 5.7.1 Message refused: ${reasons} (${ref})", 0, 0 },
	{ "block_reply", OPT_STRING, offsetof(struct pd_conf, block_reply_text),
	    "451 4.7.1 ${reason} (${ref})", 0, 0 },
	{ "control_socket", OPT_STRING,
	    offsetof(struct pd_conf, control_socket), PD_CONF_DEFAULT_CONTROL,
	    0, 0 },
	{ "explain_history", OPT_INT, offsetof(struct pd_conf, explain_history),
	    "20000", 0, 10000000 },
	{ "metrics_listen", OPT_STRING, offsetof(struct pd_conf, metrics_listen),
	    "", 0, 0 },
	{ "geoip_country_db", OPT_STRING,
	    offsetof(struct pd_conf, geoip_country_db), "", 0, 0 },
	{ "geoip_asn_db", OPT_STRING, offsetof(struct pd_conf, geoip_asn_db),
	    "", 0, 0 },
};

#define NOPTIONS	(sizeof(options) / sizeof(options[0]))

enum block {
	BLK_NONE,
	BLK_RULE,
	BLK_PROFILE,
	BLK_ALLOW,
	BLK_DENY,
};

struct parser {
	const char		*file;
	unsigned		 line;
	int			 errors;
	pd_conf_error_cb	 cb;
	void			*arg;
	struct pd_conf		*conf;
	enum block		 block;
	unsigned		 block_line;
	unsigned		 seen;		/* keys set in this block */
};

static void
perr(struct parser *ps, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
perr(struct parser *ps, unsigned line, const char *fmt, ...)
{
	char msg[512], full[600];
	va_list ap;

	if (++ps->errors > PD_CONF_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ps->errors == PD_CONF_MAX_ERRORS)
		snprintf(full, sizeof(full), "%s: too many errors, giving up",
		    ps->file);
	else if (line)
		snprintf(full, sizeof(full), "%s:%u: %s", ps->file, line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", ps->file, msg);
	ps->cb(ps->arg, full);
}

static int
set_option(struct pd_conf *c, const struct option *o, const char *val,
    struct pd_err *err)
{
	void *p = (char *)c + o->off;
	long long n;
	int64_t ms;
	char *s, *end;

	switch (o->type) {
	case OPT_BOOL:
		return pd_str_bool(val, p, err);
	case OPT_INT:
		if (pd_str_int(val, o->min, o->max, &n, err) < 0)
			return -1;
		*(long long *)p = n;
		return 0;
	case OPT_OCTAL:
		errno = 0;
		n = strtoll(val, &end, 8);
		if (*val == '\0' || *end != '\0' || errno || n < o->min ||
		    n > o->max)
			return pd_err_set(err, "\"%s\" is not an octal mode", val);
		*(long long *)p = n;
		return 0;
	case OPT_DURATION:
		if (pd_str_duration(val, &ms, err) < 0)
			return -1;
		if (ms < o->min || ms > o->max) {
			char lo[32], hi[32];

			pd_str_fmt_duration(lo, sizeof(lo), o->min);
			pd_str_fmt_duration(hi, sizeof(hi), o->max);
			return pd_err_set(err, "%s is out of range %s..%s", val,
			    lo, hi);
		}
		*(int64_t *)p = ms;
		return 0;
	case OPT_STRING:
		if ((s = strdup(val)) == NULL)
			return pd_err_set(err, "out of memory");
		free(*(char **)p);
		*(char **)p = s;
		return 0;
	case OPT_LIST:
		if (pd_strlist_split(p, val) < 0)
			return pd_err_set(err, "out of memory");
		return 0;
	}
	return pd_err_set(err, "internal: bad option type");
}

static const struct option *
find_option(const char *name)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

static bool
valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == strlen(s);
}

/* Each block keeps track of the keys it has set, to catch repeats. */
static bool
seen_once(struct parser *ps, int bit, const char *key)
{
	if (ps->seen & (1u << bit)) {
		perr(ps, ps->line, "\"%s\" is set twice in this block", key);
		return false;
	}
	ps->seen |= 1u << bit;
	return true;
}

/*
 * geo_word - one entry of a country or asn list into g; "!" in front
 * negates, and a list is all negated or not at all.
 */
static int
geo_word(struct pd_geo_cond *g, bool asn, const char *w, size_t i,
    struct pd_err *err)
{
	bool neg = *w == '!';
	long long n;
	char *p;

	if (i > 0 && neg != (asn ? g->asns_not : g->countries_not))
		return pd_err_set(err, "\"%s\": either every entry starts "
		    "with \"!\" or none does", w);
	w += neg;
	if (asn) {
		g->asns_not = neg;
		if (strncasecmp(w, "AS", 2) == 0)
			w += 2;
		if (pd_str_int(w, 1, UINT32_MAX, &n, err) < 0)
			return -1;
		g->asns[g->nasns++] = (uint32_t)n;
		return 0;
	}
	g->countries_not = neg;
	if (strlen(w) != 2 || strspn(w, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 2)
		return pd_err_set(err, "\"%s\" is not a two-letter country "
		    "code (ISO 3166-1, e.g. DE)", w);
	p = g->countries[g->ncountries++];
	memcpy(p, w, 3);
	pd_str_upper(p);
	return 0;
}

/* geo_cond - "country = DE, AT" or "asn = AS64500, 64501" */
static int
geo_cond(struct pd_geo_cond *g, bool asn, const char *val,
    struct pd_err *err)
{
	struct pd_strlist words = { 0 };
	int rc = 0;

	if (pd_strlist_split(&words, val) < 0)
		return pd_err_set(err, "out of memory");
	if (words.n == 0)
		rc = pd_err_set(err, "no %s given", asn ? "AS number" :
		    "country");
	else if (asn)
		rc = (g->asns = calloc(words.n, sizeof(*g->asns))) ? 0 :
		    pd_err_set(err, "out of memory");
	else
		rc = (g->countries = calloc(words.n, sizeof(*g->countries))) ?
		    0 : pd_err_set(err, "out of memory");
	for (size_t i = 0; rc == 0 && i < words.n; i++)
		rc = geo_word(g, asn, words.v[i], i, err);
	pd_strlist_free(&words);
	return rc;
}

static void
geo_cond_free(struct pd_geo_cond *g)
{
	free(g->countries);
	free(g->asns);
}

/* rule_limit - "N per DURATION" */
static int
rule_limit(struct pd_rule *r, const char *val, struct pd_err *err)
{
	char num[32], per[8], dur[32], extra;

	if (sscanf(val, "%31s %7s %31s %c", num, per, dur, &extra) != 3 ||
	    strcmp(per, "per") != 0)
		return pd_err_set(err, "limit must read \"N per DURATION\", "
		    "e.g. \"1000 per 1h\"");
	if (pd_str_int(num, 0, 1000000000, &r->limit, err) < 0 ||
	    pd_str_duration(dur, &r->window, err) < 0)
		return -1;
	if (r->window < 1000)
		return pd_err_set(err, "window must be at least 1s");
	return 0;
}

static int
rule_kind(struct pd_rule *r, enum pd_rule_kind kind, struct pd_err *err)
{
	if (r->kind != PD_RULE_RATE && r->kind != kind)
		return pd_err_set(err, "block, release and delay exclude each "
		    "other");
	r->kind = kind;
	return 0;
}

static int
rule_key(struct parser *ps, struct pd_rule *r, const char *key,
    const char *val, struct pd_err *err)
{
	static const char *keys[] = { "event", "key", "limit", "block",
	    "release", "delay", "max_delay", "mode", "reply", "helo", "score",
	    "country", "asn", NULL };
	struct pd_strlist words = { 0 };
	char word[16], dur[32], extra;
	int i, n;

	for (i = 0; keys[i] && strcmp(keys[i], key) != 0; i++)
		;
	if (keys[i] == NULL)
		return pd_err_set(err, "unknown rule setting \"%s\"", key);
	if (!seen_once(ps, i, key))
		return 0;
	switch (i) {
	case 0:
		if ((n = pd_event_lookup(val)) < 0)
			return pd_err_set(err, "unknown event \"%s\"", val);
		r->event = (enum pd_event_type)n;
		r->has_event = true;
		return 0;
	case 1:
		if ((n = pd_key_lookup(val)) < 0)
			return pd_err_set(err, "unknown key \"%s\"", val);
		r->key = (enum pd_key_type)n;
		return 0;
	case 2:
		return rule_limit(r, val, err);
	case 3:
		if (rule_kind(r, PD_RULE_BLOCK, err) < 0 ||
		    pd_str_duration(val, &r->hold, err) < 0)
			return -1;
		return r->hold > 0 ? 0 : pd_err_set(err, "block must be longer than 0");
	case 4:
		if (sscanf(val, "%15s %31s %c", word, dur, &extra) != 2 ||
		    strcmp(word, "quiet") != 0)
			return pd_err_set(err, "release must read \"quiet DURATION\"");
		if (rule_kind(r, PD_RULE_LISTING, err) < 0 ||
		    pd_str_duration(dur, &r->hold, err) < 0)
			return -1;
		return r->hold > 0 ? 0 : pd_err_set(err, "quiet period must be longer than 0");
	case 5:
		n = sscanf(val, "%31s %15s %c", dur, word, &extra);
		if (n < 1 || n > 2 || (n == 2 && strcmp(word, "step") != 0))
			return pd_err_set(err, "delay must read \"DURATION\" or "
			    "\"DURATION step\"");
		if (rule_kind(r, PD_RULE_TARPIT, err) < 0 ||
		    pd_str_duration(dur, &r->delay, err) < 0)
			return -1;
		if (r->delay < 1000 || r->delay % 1000)
			return pd_err_set(err, "delay must be whole seconds, at least 1s");
		r->delay_step = n == 2;
		return 0;
	case 6:
		return pd_str_duration(val, &r->max_delay, err);
	case 7:
		if (strcmp(val, "warn") == 0)
			r->warn = true;
		else if (strcmp(val, "enforce") == 0)
			r->warn = false;
		else
			return pd_err_set(err, "mode must be enforce or warn");
		return 0;
	case 8:
		if (pd_tmpl_check_action(val, err) < 0)
			return -1;
		return pd_tmpl_compile(&r->reply, val, err);
	case 9:
		if (pd_strlist_split(&words, val) < 0)
			return pd_err_set(err, "out of memory");
		for (size_t j = 0; j < words.n; j++) {
			if ((n = pd_helo_finding_lookup(words.v[j])) < 0) {
				pd_err_set(err, "unknown HELO finding \"%s\"",
				    words.v[j]);
				pd_strlist_free(&words);
				return -1;
			}
			r->helo |= 1u << n;
		}
		pd_strlist_free(&words);
		return r->helo ? 0 : pd_err_set(err, "no HELO finding named");
	case 10:
		return pd_str_int(val, -1000000, 1000000, &r->score, err);
	case 11:
	case 12:
		return geo_cond(&r->geo, i == 12, val, err);
	}
	return 0;
}

static int
access_key(struct parser *ps, struct pd_access *a, const char *key,
    const char *val, struct pd_err *err)
{
	static const char *keys[] = { "client", "client_name", "helo_name",
	    "authenticated", "reply", "country", "asn", NULL };
	struct pd_strlist words = { 0 };
	int i, rc = 0;

	for (i = 0; keys[i] && strcmp(keys[i], key) != 0; i++)
		;
	if (keys[i] == NULL)
		return pd_err_set(err, "unknown %s setting \"%s\"",
		    a->deny ? "deny" : "allow", key);
	if (!seen_once(ps, i, key))
		return 0;
	switch (i) {
	case 0:
		if (pd_strlist_split(&words, val) < 0)
			return pd_err_set(err, "out of memory");
		a->clients = calloc(words.n ? words.n : 1, sizeof(*a->clients));
		if (a->clients == NULL)
			rc = pd_err_set(err, "out of memory");
		for (size_t j = 0; rc == 0 && j < words.n; j++)
			if ((rc = pd_cidr_parse(words.v[j], &a->clients[j],
			    err)) == 0)
				a->nclients++;
		pd_strlist_free(&words);
		return rc;
	case 1:
	case 2:
		if (pd_strlist_split(i == 1 ? &a->client_names : &a->helo_names,
		    val) < 0)
			return pd_err_set(err, "out of memory");
		for (size_t j = 0; j < (i == 1 ? a->client_names.n :
		    a->helo_names.n); j++)
			pd_str_lower(i == 1 ? a->client_names.v[j] :
			    a->helo_names.v[j]);
		return 0;
	case 3:
		if (a->deny)
			return pd_err_set(err, "authenticated is for allow lists");
		return pd_str_bool(val, &a->authenticated, err);
	case 4:
		if (!a->deny)
			return pd_err_set(err, "an allow list has no reply");
		if (pd_tmpl_check_action(val, err) < 0)
			return -1;
		return pd_tmpl_compile(&a->reply, val, err);
	case 5:
	case 6:
		return geo_cond(&a->geo, i == 6, val, err);
	}
	return 0;
}

static int
profile_key(struct parser *ps, struct pd_profile *p, const char *key,
    const char *val, struct pd_err *err)
{
	static const char *keys[] = { "policy_context", "server_port",
	    "rules", "country", "asn", NULL };
	struct pd_strlist words = { 0 };
	long long port;
	int i, rc = 0;

	for (i = 0; keys[i] && strcmp(keys[i], key) != 0; i++)
		;
	if (keys[i] == NULL)
		return pd_err_set(err, "unknown profile setting \"%s\"", key);
	if (!seen_once(ps, i, key))
		return 0;
	switch (i) {
	case 0:
		return pd_strlist_split(&p->contexts, val) < 0 ?
		    pd_err_set(err, "out of memory") : 0;
	case 1:
		if (pd_strlist_split(&words, val) < 0)
			return pd_err_set(err, "out of memory");
		p->ports = calloc(words.n ? words.n : 1, sizeof(*p->ports));
		if (p->ports == NULL)
			rc = pd_err_set(err, "out of memory");
		for (size_t j = 0; rc == 0 && j < words.n; j++)
			if ((rc = pd_str_int(words.v[j], 1, 65535, &port,
			    err)) == 0)
				p->ports[p->nports++] = (long)port;
		pd_strlist_free(&words);
		return rc;
	case 2:
		return pd_strlist_split(&p->rule_names, val) < 0 ?
		    pd_err_set(err, "out of memory") : 0;
	case 3:
	case 4:
		return geo_cond(&p->geo, i == 4, val, err);
	}
	return 0;
}

/* grow - append one zeroed element to an array of n elements of size sz */
static void *
grow(void *arr, size_t *n, size_t sz)
{
	char *p;

	if ((p = realloc(arr, (*n + 1) * sz)) == NULL)
		return NULL;
	memset(p + *n * sz, 0, sz);
	(*n)++;
	return p;
}

static bool
name_taken(const struct pd_conf *c, const char *name)
{
	for (size_t i = 0; i < c->nrules; i++)
		if (strcmp(c->rules[i].name, name) == 0)
			return true;
	for (size_t i = 0; i < c->naccess; i++)
		if (strcmp(c->access[i].name, name) == 0)
			return true;
	for (size_t i = 0; i < c->nprofiles; i++)
		if (strcmp(c->profiles[i].name, name) == 0)
			return true;
	return false;
}

static void
open_block(struct parser *ps, const char *type, const char *name)
{
	struct pd_conf *c = ps->conf;
	static const char *types[] = { "rule", "profile", "allow", "deny" };
	enum block b = BLK_NONE;
	char **slot = NULL;
	unsigned *line = NULL;
	void *p;

	for (int i = 0; i < 4; i++)
		if (strcmp(type, types[i]) == 0)
			b = (enum block)(i + 1);
	if (b == BLK_NONE) {
		perr(ps, ps->line, "unknown block type \"%s\" (rule, profile, "
		    "allow or deny)", type);
		b = BLK_RULE;	/* parse the body anyway, to find its end */
	} else if (!valid_name(name)) {
		perr(ps, ps->line, "bad %s name \"%s\"", type, name);
	} else if (name_taken(c, name)) {
		perr(ps, ps->line, "name \"%s\" is used twice", name);
	} else if (strcmp(name, PD_CONF_MANUAL) == 0) {
		perr(ps, ps->line, "the name \"%s\" is kept for blocks set "
		    "with policydctl", name);
	}
	ps->block = b;
	ps->block_line = ps->line;
	ps->seen = 0;
	switch (b) {
	case BLK_RULE:
		if ((p = grow(c->rules, &c->nrules, sizeof(*c->rules))) == NULL)
			break;
		c->rules = p;
		c->rules[c->nrules - 1].key = PD_KEY_CLIENT_ADDRESS;
		c->rules[c->nrules - 1].limit = -1;
		slot = &c->rules[c->nrules - 1].name;
		line = &c->rules[c->nrules - 1].line;
		break;
	case BLK_PROFILE:
		if ((p = grow(c->profiles, &c->nprofiles,
		    sizeof(*c->profiles))) == NULL)
			break;
		c->profiles = p;
		slot = &c->profiles[c->nprofiles - 1].name;
		line = &c->profiles[c->nprofiles - 1].line;
		break;
	default:
		if ((p = grow(c->access, &c->naccess, sizeof(*c->access))) == NULL)
			break;
		c->access = p;
		c->access[c->naccess - 1].deny = b == BLK_DENY;
		slot = &c->access[c->naccess - 1].name;
		line = &c->access[c->naccess - 1].line;
		break;
	}
	if (slot == NULL || (*slot = strdup(name)) == NULL) {
		perr(ps, ps->line, "out of memory");
		ps->block = BLK_NONE;
		return;
	}
	*line = ps->line;
}

/* close_block - check what the block must have */
static void
close_block(struct parser *ps)
{
	struct pd_conf *c = ps->conf;
	unsigned l = ps->block_line;

	if (ps->block == BLK_RULE && c->nrules > 0) {
		struct pd_rule *r = &c->rules[c->nrules - 1];

		if (!r->has_event && r->helo == 0 && pd_geo_cond_empty(&r->geo))
			perr(ps, l, "rule %s: no event and no condition: it "
			    "would match every request", r->name);
		if (r->limit < 0 && r->kind != PD_RULE_RATE)
			perr(ps, l, "rule %s: block, release and delay need a "
			    "limit", r->name);
		if (r->limit >= 0 && !r->has_event)
			perr(ps, l, "rule %s: a limit needs an event to count",
			    r->name);
		if (r->has_event && pd_event_from_log(r->event) &&
		    (r->limit < 0 || r->helo || r->score ||
		    r->key == PD_KEY_SASL_USERNAME ||
		    r->key == PD_KEY_SENDER_DOMAIN))
			perr(ps, l, "rule %s: a maillog event needs a limit, no "
			    "helo condition or score, and a key the client "
			    "address gives: client_address, client_prefix, asn "
			    "or country", r->name);
		if (r->score && (r->reply.src || r->kind != PD_RULE_RATE))
			perr(ps, l, "rule %s: score takes the place of reply, "
			    "block, release and delay", r->name);
		if (r->kind == PD_RULE_TARPIT) {
			if (r->reply.src)
				perr(ps, l, "rule %s: a tarpit replies SLEEP; "
				    "it takes no reply", r->name);
			if (r->max_delay == 0)
				r->max_delay = r->delay_step ? 30000 : r->delay;
			if (r->max_delay < r->delay || r->max_delay >= 100000)
				perr(ps, l, "rule %s: max_delay must be at least "
				    "delay and below Postfix's 100s policy "
				    "timeout", r->name);
		} else {
			if (r->reply.src == NULL && r->score == 0)
				perr(ps, l, "rule %s: no reply", r->name);
			if (r->max_delay)
				perr(ps, l, "rule %s: max_delay is for delay "
				    "rules", r->name);
		}
	} else if ((ps->block == BLK_ALLOW || ps->block == BLK_DENY) &&
	    c->naccess > 0) {
		struct pd_access *a = &c->access[c->naccess - 1];

		if (a->nclients + a->client_names.n + a->helo_names.n == 0 &&
		    !a->authenticated && pd_geo_cond_empty(&a->geo))
			perr(ps, l, "%s %s: matches nothing", a->deny ? "deny" :
			    "allow", a->name);
		if (a->deny && a->reply.src == NULL)
			perr(ps, l, "deny %s: no reply", a->name);
	} else if (ps->block == BLK_PROFILE && c->nprofiles > 0) {
		if (!(ps->seen & (1u << 2)))
			perr(ps, l, "profile %s: no rules line (write "
			    "\"rules =\" for none)", c->profiles[c->nprofiles - 1].name);
	}
	ps->block = BLK_NONE;
}

static void
key_value(struct parser *ps, const char *key, const char *val)
{
	struct pd_conf *c = ps->conf;
	const struct option *o;
	struct pd_err err;
	int rc = 0;

	switch (ps->block) {
	case BLK_NONE:
		if ((o = find_option(key)) == NULL) {
			perr(ps, ps->line, "unknown option \"%s\"", key);
			return;
		}
		rc = set_option(c, o, val, &err);
		break;
	case BLK_RULE:
		rc = rule_key(ps, &c->rules[c->nrules - 1], key, val, &err);
		break;
	case BLK_PROFILE:
		rc = profile_key(ps, &c->profiles[c->nprofiles - 1], key, val,
		    &err);
		break;
	case BLK_ALLOW:
	case BLK_DENY:
		rc = access_key(ps, &c->access[c->naccess - 1], key, val, &err);
		break;
	}
	if (rc < 0)
		perr(ps, ps->line, "%s: %s", key, err.msg);
}

/* parse_line - one logical line, comments and blank lines removed */
static void
parse_line(struct parser *ps, char *s)
{
	char *eq, *key, *val, type[32], name[80], brace[4], extra;

	if (strcmp(s, "}") == 0) {
		if (ps->block == BLK_NONE)
			perr(ps, ps->line, "\"}\" without a block");
		else
			close_block(ps);
		return;
	}
	if ((eq = strchr(s, '=')) == NULL) {
		if (sscanf(s, "%31s %79s %3s %c", type, name, brace, &extra) == 3 &&
		    strcmp(brace, "{") == 0) {
			if (ps->block != BLK_NONE) {
				perr(ps, ps->line, "block inside a block "
				    "(missing \"}\" for line %u?)", ps->block_line);
				close_block(ps);
			}
			open_block(ps, type, name);
		} else {
			perr(ps, ps->line, "expected \"name = value\", "
			    "\"TYPE NAME {\" or \"}\"");
		}
		return;
	}
	*eq = '\0';
	key = pd_str_trim(s);
	val = pd_str_trim(eq + 1);
	if (*key == '\0' || strpbrk(key, " \t") != NULL) {
		perr(ps, ps->line, "bad option name \"%s\"", key);
		return;
	}
	key_value(ps, key, val);
}

/* reply_option - compile a global reply template option */
static void
reply_option(struct parser *ps, const char *name, const char *text,
    struct pd_tmpl *t)
{
	struct pd_err err;

	if (pd_tmpl_check_action(text, &err) < 0 ||
	    pd_tmpl_compile(t, text, &err) < 0)
		perr(ps, 0, "%s: %s", name, err.msg);
}

/* resolve_globals - options whose text becomes something else */
static void
resolve_globals(struct parser *ps)
{
	struct pd_conf *c = ps->conf;
	struct pd_err err;

	c->local_addresses = calloc(c->local_addresses_text.n + 1,
	    sizeof(*c->local_addresses));
	if (c->local_addresses == NULL) {
		perr(ps, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < c->local_addresses_text.n; i++) {
		if (pd_cidr_parse(c->local_addresses_text.v[i],
		    &c->local_addresses[c->nlocal_addresses], &err) < 0)
			perr(ps, 0, "local_addresses: %s", err.msg);
		else
			c->nlocal_addresses++;
	}
	for (size_t i = 0; i < c->local_domains.n; i++)
		pd_str_lower(c->local_domains.v[i]);
	for (size_t i = 0; i < c->helo_special_use.n; i++) {
		char *v = pd_str_lower(c->helo_special_use.v[i]);

		if (*v == '.')
			memmove(v, v + 1, strlen(v));
	}
	if (strcmp(c->dns_tempfail_action, "skip") != 0)
		reply_option(ps, "dns_tempfail_action", c->dns_tempfail_action,
		    &c->dns_tempfail_reply);
	reply_option(ps, "score_defer_reply", c->score_defer_reply_text,
	    &c->score_defer_reply);
	reply_option(ps, "score_reject_reply", c->score_reject_reply_text,
	    &c->score_reject_reply);
	reply_option(ps, "block_reply", c->block_reply_text, &c->block_reply);
}

bool
pd_conf_needs_maillog(const struct pd_conf *c)
{
	for (size_t i = 0; i < c->nrules; i++)
		if (c->rules[i].has_event && pd_event_from_log(c->rules[i].event))
			return true;
	return false;
}

bool
pd_conf_needs_dns(const struct pd_conf *c)
{
	for (size_t i = 0; i < c->nrules; i++)
		if (c->rules[i].helo & (1u << PD_HELO_UNKNOWN))
			return true;
	return false;
}

/*
 * geo_needs - a block that asks for the client's country or AS number
 * needs the database that knows it.
 */
static void
geo_needs(struct parser *ps, unsigned line, const char *what,
    const char *name, const struct pd_geo_cond *g, enum pd_key_type key)
{
	const struct pd_conf *c = ps->conf;

	if ((g->ncountries || key == PD_KEY_COUNTRY) &&
	    *c->geoip_country_db == '\0')
		perr(ps, line, "%s %s: country needs geoip_country_db", what,
		    name);
	if ((g->nasns || key == PD_KEY_ASN) && *c->geoip_asn_db == '\0')
		perr(ps, line, "%s %s: asn needs geoip_asn_db", what, name);
}

/* resolve - link profiles to rules and check what spans blocks */
static void
resolve(struct parser *ps)
{
	struct pd_conf *c = ps->conf;

	for (size_t i = 0; i < c->nprofiles; i++) {
		struct pd_profile *p = &c->profiles[i];

		p->rules = calloc(p->rule_names.n + 1, sizeof(*p->rules));
		if (p->rules == NULL) {
			perr(ps, p->line, "out of memory");
			return;
		}
		for (size_t j = 0; j < p->rule_names.n; j++) {
			size_t k;

			for (k = 0; k < c->nrules; k++)
				if (strcmp(c->rules[k].name, p->rule_names.v[j]) == 0)
					break;
			if (k == c->nrules)
				perr(ps, p->line, "profile %s: no rule named \"%s\"",
				    p->name, p->rule_names.v[j]);
			else
				p->rules[p->nrules++] = k;
		}
	}
	for (size_t i = 0; i < c->nrules; i++)
		geo_needs(ps, c->rules[i].line, "rule", c->rules[i].name,
		    &c->rules[i].geo, c->rules[i].key);
	for (size_t i = 0; i < c->naccess; i++)
		geo_needs(ps, c->access[i].line, c->access[i].deny ? "deny" :
		    "allow", c->access[i].name, &c->access[i].geo, PD_KEY_MAX);
	for (size_t i = 0; i < c->nprofiles; i++)
		geo_needs(ps, c->profiles[i].line, "profile",
		    c->profiles[i].name, &c->profiles[i].geo, PD_KEY_MAX);
	resolve_globals(ps);
	if (c->listen.n == 0)
		perr(ps, 0, "listen: no address to listen on");
	for (size_t i = 0; i < c->listen.n; i++)
		if (strncmp(c->listen.v[i], "inet:", 5) != 0 &&
		    strncmp(c->listen.v[i], "unix:", 5) != 0)
			perr(ps, 0, "listen: \"%s\" is neither inet:HOST:PORT "
			    "nor unix:PATH", c->listen.v[i]);
}

static void
parse_text(struct parser *ps, const char *text)
{
	const char *p = text, *nl;
	char *logical = NULL, *s;
	size_t llen = 0, n;
	unsigned phys = 0, start = 0;

	for (; *p; p = nl ? nl + 1 : p + n) {
		phys++;
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if ((s = realloc(logical, llen + n + 2)) == NULL) {
			perr(ps, phys, "out of memory");
			break;
		}
		logical = s;
		if (llen == 0)
			start = phys;
		else
			logical[llen++] = ' ';
		memcpy(logical + llen, p, n);
		llen += n;
		logical[llen] = '\0';
		s = pd_str_trim(logical);
		if (*s == '#' || *s == '\0') {
			llen = 0;
			continue;
		}
		/* A value ending in "," goes on on the next line. */
		if (s[strlen(s) - 1] == ',' && nl && strchr(s, '=')) {
			llen = strlen(logical);
			continue;
		}
		ps->line = start;
		parse_line(ps, s);
		llen = 0;
	}
	free(logical);
	if (ps->block != BLK_NONE) {
		ps->line = phys;
		perr(ps, ps->block_line, "block has no closing \"}\"");
		close_block(ps);
	}
}

static void
rule_free(struct pd_rule *r)
{
	free(r->name);
	geo_cond_free(&r->geo);
	pd_tmpl_clear(&r->reply);
}

static void
access_free(struct pd_access *a)
{
	free(a->name);
	free(a->clients);
	pd_strlist_free(&a->client_names);
	pd_strlist_free(&a->helo_names);
	geo_cond_free(&a->geo);
	pd_tmpl_clear(&a->reply);
}

static void
profile_free(struct pd_profile *p)
{
	free(p->name);
	pd_strlist_free(&p->contexts);
	pd_strlist_free(&p->rule_names);
	free(p->ports);
	free(p->rules);
	geo_cond_free(&p->geo);
}

void
pd_conf_free(struct pd_conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < NOPTIONS; i++) {
		void *p = (char *)c + options[i].off;

		if (options[i].type == OPT_STRING)
			free(*(char **)p);
		else if (options[i].type == OPT_LIST)
			pd_strlist_free(p);
	}
	free(c->local_addresses);
	pd_tmpl_clear(&c->dns_tempfail_reply);
	pd_tmpl_clear(&c->score_defer_reply);
	pd_tmpl_clear(&c->block_reply);
	pd_tmpl_clear(&c->score_reject_reply);
	for (size_t i = 0; i < c->nrules; i++)
		rule_free(&c->rules[i]);
	for (size_t i = 0; i < c->naccess; i++)
		access_free(&c->access[i]);
	for (size_t i = 0; i < c->nprofiles; i++)
		profile_free(&c->profiles[i]);
	free(c->rules);
	free(c->access);
	free(c->profiles);
	free(c->file);
	free(c);
}

/* apply_overrides - "name=value" settings given on the command line */
static void
apply_overrides(struct parser *ps, char *const *ov, size_t n)
{
	const struct option *o;
	struct pd_err err;
	char *copy, *eq;

	ps->file = "command line";
	for (size_t i = 0; i < n; i++) {
		if ((copy = strdup(ov[i])) == NULL) {
			perr(ps, 0, "out of memory");
			return;
		}
		if ((eq = strchr(copy, '=')) == NULL) {
			perr(ps, 0, "-o %s: expected name=value", ov[i]);
		} else {
			*eq = '\0';
			if ((o = find_option(pd_str_trim(copy))) == NULL)
				perr(ps, 0, "-o: unknown option \"%s\"", copy);
			else if (set_option(ps->conf, o, pd_str_trim(eq + 1),
			    &err) < 0)
				perr(ps, 0, "-o %s: %s", copy, err.msg);
		}
		free(copy);
	}
}

struct pd_conf *
pd_conf_parse(const char *name, const char *text, char *const *overrides,
    size_t noverrides, pd_conf_error_cb cb, void *arg)
{
	struct parser ps = { .file = "defaults", .cb = cb, .arg = arg };
	struct pd_err err;

	if ((ps.conf = calloc(1, sizeof(*ps.conf))) == NULL) {
		cb(arg, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < NOPTIONS; i++)
		if (set_option(ps.conf, &options[i], options[i].def, &err) < 0)
			perr(&ps, 0, "%s: %s", options[i].name, err.msg);
	ps.file = name;
	if ((ps.conf->file = strdup(name)) == NULL)
		perr(&ps, 0, "out of memory");
	parse_text(&ps, text);
	apply_overrides(&ps, overrides, noverrides);
	ps.file = name;
	resolve(&ps);
	if (ps.errors) {
		pd_conf_free(ps.conf);
		return NULL;
	}
	return ps.conf;
}

struct pd_conf *
pd_conf_load(const char *file, char *const *overrides, size_t noverrides,
    pd_conf_error_cb cb, void *arg)
{
	struct pd_conf *c;
	char msg[600], *text;
	FILE *fp;
	long len;

	if ((fp = fopen(file, "r")) == NULL) {
		snprintf(msg, sizeof(msg), "%s: %s", file, strerror(errno));
		cb(arg, msg);
		return NULL;
	}
	text = NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (len = ftell(fp)) >= 0 &&
	    len < 16 * 1024 * 1024 && fseek(fp, 0, SEEK_SET) == 0 &&
	    (text = malloc((size_t)len + 1)) != NULL) {
		if (fread(text, 1, (size_t)len, fp) != (size_t)len) {
			free(text);
			text = NULL;
		} else {
			text[len] = '\0';
		}
	}
	if (text == NULL) {
		snprintf(msg, sizeof(msg), "%s: cannot read: %s", file,
		    ferror(fp) ? strerror(errno) : "too large or unreadable");
		fclose(fp);
		cb(arg, msg);
		return NULL;
	}
	fclose(fp);
	if (strlen(text) != (size_t)len) {
		snprintf(msg, sizeof(msg), "%s: contains a NUL byte", file);
		free(text);
		cb(arg, msg);
		return NULL;
	}
	c = pd_conf_parse(file, text, overrides, noverrides, cb, arg);
	free(text);
	return c;
}

const char *
pd_rule_kind_name(enum pd_rule_kind kind)
{
	static const char *const names[] = { "rate", "block", "listing",
	    "tarpit" };

	return names[kind];
}

const struct pd_rule *
pd_conf_rule(const struct pd_conf *c, const char *name)
{
	for (size_t i = 0; i < c->nrules; i++)
		if (strcmp(c->rules[i].name, name) == 0)
			return &c->rules[i];
	return NULL;
}
