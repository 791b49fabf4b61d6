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
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "str.h"
#include "conf.h"
#include "helo.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

enum opt_type {
	OPT_BOOL,
	OPT_INT,
	OPT_OCTAL,
	OPT_DURATION,
	OPT_STRING,
	OPT_LIST,
};

/*
 * When a change to an option takes effect (valkey's MODIFIABLE_CONFIG
 * and IMMUTABLE_CONFIG).  Most are read on every request or applied by
 * a reload; the others are read once by the part of the daemon that
 * uses them, and a reload does not make that part anew.
 */
enum opt_when {
	ON_RELOAD,	/* a reload applies it */
	AT_START,	/* sockets, the user, the maillog: made once at start */
	AT_RESOLVER,	/* read when the resolver is made: at the first
			   reload that needs one, or else at start */
};

static const struct option {
	const char	*name;
	enum opt_type	 type;
	enum opt_when	 when;		/* when a change takes effect */
	size_t		 off;
	const char	*def;
	long long	 min, max;	/* INT: value; DURATION: ms */
} options[] = {
	{ "listen", OPT_LIST, AT_START,
	    offsetof(struct pd_conf, listen), "inet:127.0.0.1:10040", 0, 0 },
	{ "unix_mode", OPT_OCTAL, AT_START,
	    offsetof(struct pd_conf, unix_mode), "0666", 0, 0777 },
	{ "user", OPT_STRING, AT_START,
	    offsetof(struct pd_conf, user), "", 0, 0 },
	{ "request_timeout", OPT_DURATION, ON_RELOAD,
	    offsetof(struct pd_conf, request_timeout), "30s", 1000, 3600000 },
	{ "idle_timeout", OPT_DURATION, ON_RELOAD,
	    offsetof(struct pd_conf, idle_timeout), "600s", 1000, 86400000 },
	{ "reply_timeout", OPT_DURATION, ON_RELOAD,
	    offsetof(struct pd_conf, reply_timeout), "5s", 100, 90000 },
	{ "max_clients", OPT_INT, ON_RELOAD,
	    offsetof(struct pd_conf, max_clients), "1000", 1, 1000000 },
	{ "dry_run", OPT_BOOL, ON_RELOAD,
	    offsetof(struct pd_conf, dry_run), "no", 0, 0 },
	{ "state_file", OPT_STRING, ON_RELOAD,
	    offsetof(struct pd_conf, state_file), "", 0, 0 },
	{ "state_interval", OPT_DURATION, ON_RELOAD,
	    offsetof(struct pd_conf, state_interval), "5m", 1000, 86400000 },
	{ "max_keys", OPT_INT, ON_RELOAD,
	    offsetof(struct pd_conf, max_keys), "1000000", 100, 100000000 },
	{ "ipv6_client_prefix", OPT_INT, ON_RELOAD,
	    offsetof(struct pd_conf, ipv6_client_prefix), "64", 1, 128 },
	{ "ipv4_segment", OPT_INT, ON_RELOAD,
	    offsetof(struct pd_conf, ipv4_segment), "24", 1, 32 },
	{ "ipv6_segment", OPT_INT, ON_RELOAD,
	    offsetof(struct pd_conf, ipv6_segment), "64", 1, 128 },
	{ "maillog", OPT_STRING, AT_START,
	    offsetof(struct pd_conf, maillog), "", 0, 0 },
	{ "local_domains", OPT_LIST, ON_RELOAD,
	    offsetof(struct pd_conf, local_domains), "", 0, 0 },
	{ "local_addresses", OPT_LIST, ON_RELOAD,
	    offsetof(struct pd_conf, local_addresses_text), "", 0, 0 },
	{ "helo_special_use", OPT_LIST, ON_RELOAD,
	    offsetof(struct pd_conf, helo_special_use),
	    "local localdomain localhost lan home corp internal intranet "
	    "private invalid test example home.arpa", 0, 0 },
	{ "dns_forward", OPT_STRING, AT_RESOLVER,
	    offsetof(struct pd_conf, dns_forward), "", 0, 0 },
	{ "dns_tempfail_action", OPT_STRING, ON_RELOAD,
	    offsetof(struct pd_conf, dns_tempfail_action), "skip", 0, 0 },
	{ "dns_cache_size", OPT_INT, AT_RESOLVER,
	    offsetof(struct pd_conf, dns_cache_size), "100000", 100, 10000000 },
	{ "score_defer", OPT_INT, ON_RELOAD,
	    offsetof(struct pd_conf, score_defer), "0", 0, 1000000 },
	{ "score_reject", OPT_INT, ON_RELOAD,
	    offsetof(struct pd_conf, score_reject), "0", 0, 1000000 },
	{ "score_defer_reply", OPT_STRING, ON_RELOAD,
	    offsetof(struct pd_conf, score_defer_reply_text),
	    "451 4.7.1 Message refused for now: ${reasons} (${ref})", 0, 0 },
	{ "score_reject_reply", OPT_STRING, ON_RELOAD,
	    offsetof(struct pd_conf, score_reject_reply_text),
	    "554 5.7.1 Message refused: ${reasons} (${ref})", 0, 0 },
	{ "block_reply", OPT_STRING, ON_RELOAD,
	    offsetof(struct pd_conf, block_reply_text),
	    "451 4.7.1 ${reason} (${ref})", 0, 0 },
	{ "control_socket", OPT_STRING, AT_START,
	    offsetof(struct pd_conf, control_socket),
	    PD_CONF_DEFAULT_CONTROL, 0, 0 },
	{ "explain_history", OPT_INT, ON_RELOAD,
	    offsetof(struct pd_conf, explain_history), "20000", 0, 10000000 },
	{ "metrics_listen", OPT_STRING, AT_START,
	    offsetof(struct pd_conf, metrics_listen), "", 0, 0 },
	{ "geoip_country_db", OPT_STRING, ON_RELOAD,
	    offsetof(struct pd_conf, geoip_country_db), "", 0, 0 },
	{ "geoip_asn_db", OPT_STRING, ON_RELOAD,
	    offsetof(struct pd_conf, geoip_asn_db), "", 0, 0 },
};

#define NOPTIONS	NITEMS(options)

enum block {
	BLK_NONE,
	BLK_RULE,
	BLK_PROFILE,
	BLK_ALLOW,
	BLK_DENY,
	BLK_MAX
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
	uint32_t		 seen;		/* keys set, a bit per row */
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

/*
 * Block keys.  Each block type has a table of { name, handler }; a
 * handler gets the block being read and the value, and reports a bad
 * value through err.  A key's row in its table is its bit in ps->seen,
 * so repeats are caught in one place for every block, and the checks at
 * the end of a block ask by name whether a key was given (seen_key).
 */
struct blockkey {
	const char	*name;
	int		(*set)(void *blk, const char *val, struct pd_err *);
};

/* rule_kind - block, release and delay each make a rule of one kind */
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
rule_event(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;
	int n;

	if ((n = pd_event_lookup(val)) < 0)
		return pd_err_set(err, "unknown event \"%s\"", val);
	r->event = (enum pd_event_type)n;
	r->has_event = true;
	return 0;
}

/* rule_key_type - "key = client_address", what the rule counts by */
static int
rule_key_type(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;
	int n;

	if ((n = pd_key_lookup(val)) < 0)
		return pd_err_set(err, "unknown key \"%s\"", val);
	r->key = (enum pd_key_type)n;
	return 0;
}

/* rule_limit - "N per DURATION" */
static int
rule_limit(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;
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

/* rule_block - "block = DURATION" */
static int
rule_block(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;

	if (rule_kind(r, PD_RULE_BLOCK, err) < 0 ||
	    pd_str_duration(val, &r->hold, err) < 0)
		return -1;
	return r->hold > 0 ? 0 : pd_err_set(err, "block must be longer "
	    "than 0");
}

/* rule_release - "release = quiet DURATION" */
static int
rule_release(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;
	char word[16], dur[32], extra;

	if (sscanf(val, "%15s %31s %c", word, dur, &extra) != 2 ||
	    strcmp(word, "quiet") != 0)
		return pd_err_set(err, "release must read \"quiet DURATION\"");
	if (rule_kind(r, PD_RULE_LISTING, err) < 0 ||
	    pd_str_duration(dur, &r->hold, err) < 0)
		return -1;
	return r->hold > 0 ? 0 : pd_err_set(err, "quiet period must be longer "
	    "than 0");
}

/*
 * rule_delay - "delay = DURATION [step]".  Whole seconds, as Postfix's
 * SLEEP action takes them.
 */
static int
rule_delay(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;
	char word[16], dur[32], extra;
	int n;

	n = sscanf(val, "%31s %15s %c", dur, word, &extra);
	if (n < 1 || n > 2 || (n == 2 && strcmp(word, "step") != 0))
		return pd_err_set(err, "delay must read \"DURATION\" or "
		    "\"DURATION step\"");
	if (rule_kind(r, PD_RULE_TARPIT, err) < 0 ||
	    pd_str_duration(dur, &r->delay, err) < 0)
		return -1;
	if (r->delay < 1000 || r->delay % 1000)
		return pd_err_set(err, "delay must be whole seconds, at "
		    "least 1s");
	r->delay_step = n == 2;
	return 0;
}

/* rule_max_delay - checked with delay when the block closes */
static int
rule_max_delay(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;

	return pd_str_duration(val, &r->max_delay, err);
}

static int
rule_mode(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;

	if (strcmp(val, "warn") == 0)
		r->warn = true;
	else if (strcmp(val, "enforce") == 0)
		r->warn = false;
	else
		return pd_err_set(err, "mode must be enforce or warn");
	return 0;
}

static int
rule_reply(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;

	if (pd_tmpl_check_action(val, err) < 0)
		return -1;
	return pd_tmpl_compile(&r->reply, val, err);
}

/* rule_helo - "helo = invalid, non_fqdn": findings, any of which holds */
static int
rule_helo(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;
	struct pd_strlist words = { 0 };
	int n, rc = 0;

	if (pd_strlist_split(&words, val) < 0)
		return pd_err_set(err, "out of memory");
	for (size_t j = 0; rc == 0 && j < words.n; j++) {
		if ((n = pd_helo_finding_lookup(words.v[j])) < 0)
			rc = pd_err_set(err, "unknown HELO finding \"%s\"",
			    words.v[j]);
		else
			r->helo |= 1u << n;
	}
	pd_strlist_free(&words);
	if (rc < 0)
		return -1;
	return r->helo ? 0 : pd_err_set(err, "no HELO finding named");
}

static int
rule_score(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;

	return pd_str_int(val, -1000000, 1000000, &r->score, err);
}

static int
rule_country(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;

	return geo_cond(&r->geo, false, val, err);
}

static int
rule_asn(void *blk, const char *val, struct pd_err *err)
{
	struct pd_rule *r = blk;

	return geo_cond(&r->geo, true, val, err);
}

static const struct blockkey rule_keys[] = {
	{ "event", rule_event },
	{ "key", rule_key_type },
	{ "limit", rule_limit },
	{ "block", rule_block },
	{ "release", rule_release },
	{ "delay", rule_delay },
	{ "max_delay", rule_max_delay },
	{ "mode", rule_mode },
	{ "reply", rule_reply },
	{ "helo", rule_helo },
	{ "score", rule_score },
	{ "country", rule_country },
	{ "asn", rule_asn },
};

/* access_client - "client = 192.0.2.0/24, 2001:db8::1" */
static int
access_client(void *blk, const char *val, struct pd_err *err)
{
	struct pd_access *a = blk;
	struct pd_strlist words = { 0 };
	int rc = 0;

	if (pd_strlist_split(&words, val) < 0)
		return pd_err_set(err, "out of memory");
	a->clients = calloc(words.n ? words.n : 1, sizeof(*a->clients));
	if (a->clients == NULL)
		rc = pd_err_set(err, "out of memory");
	for (size_t j = 0; rc == 0 && j < words.n; j++)
		if ((rc = pd_cidr_parse(words.v[j], &a->clients[j], err)) == 0)
			a->nclients++;
	pd_strlist_free(&words);
	return rc;
}

/* lower_names - DNS names compare without regard to case: store them lower */
static int
lower_names(struct pd_strlist *l, const char *val, struct pd_err *err)
{
	if (pd_strlist_split(l, val) < 0)
		return pd_err_set(err, "out of memory");
	for (size_t j = 0; j < l->n; j++)
		pd_str_lower(l->v[j]);
	return 0;
}

static int
access_client_name(void *blk, const char *val, struct pd_err *err)
{
	struct pd_access *a = blk;

	return lower_names(&a->client_names, val, err);
}

static int
access_helo_name(void *blk, const char *val, struct pd_err *err)
{
	struct pd_access *a = blk;

	return lower_names(&a->helo_names, val, err);
}

/*
 * access_authenticated - letting authenticated clients through is what
 * an allow list is for; a deny list has no use for it.
 */
static int
access_authenticated(void *blk, const char *val, struct pd_err *err)
{
	struct pd_access *a = blk;

	if (a->deny)
		return pd_err_set(err, "authenticated is for allow lists");
	return pd_str_bool(val, &a->authenticated, err);
}

/* access_reply - an allow list answers nothing: the request goes on */
static int
access_reply(void *blk, const char *val, struct pd_err *err)
{
	struct pd_access *a = blk;

	if (!a->deny)
		return pd_err_set(err, "an allow list has no reply");
	if (pd_tmpl_check_action(val, err) < 0)
		return -1;
	return pd_tmpl_compile(&a->reply, val, err);
}

static int
access_country(void *blk, const char *val, struct pd_err *err)
{
	struct pd_access *a = blk;

	return geo_cond(&a->geo, false, val, err);
}

static int
access_asn(void *blk, const char *val, struct pd_err *err)
{
	struct pd_access *a = blk;

	return geo_cond(&a->geo, true, val, err);
}

/* Allow and deny lists share their keys; the handlers tell them apart. */
static const struct blockkey access_keys[] = {
	{ "client", access_client },
	{ "client_name", access_client_name },
	{ "helo_name", access_helo_name },
	{ "authenticated", access_authenticated },
	{ "reply", access_reply },
	{ "country", access_country },
	{ "asn", access_asn },
};

static int
profile_context(void *blk, const char *val, struct pd_err *err)
{
	struct pd_profile *p = blk;

	return pd_strlist_split(&p->contexts, val) < 0 ?
	    pd_err_set(err, "out of memory") : 0;
}

/* profile_port - "server_port = 587, 465" */
static int
profile_port(void *blk, const char *val, struct pd_err *err)
{
	struct pd_profile *p = blk;
	struct pd_strlist words = { 0 };
	long long port;
	int rc = 0;

	if (pd_strlist_split(&words, val) < 0)
		return pd_err_set(err, "out of memory");
	p->ports = calloc(words.n ? words.n : 1, sizeof(*p->ports));
	if (p->ports == NULL)
		rc = pd_err_set(err, "out of memory");
	for (size_t j = 0; rc == 0 && j < words.n; j++)
		if ((rc = pd_str_int(words.v[j], 1, 65535, &port, err)) == 0)
			p->ports[p->nports++] = (long)port;
	pd_strlist_free(&words);
	return rc;
}

/* profile_rules - names only: resolve() finds the rules once all are read */
static int
profile_rules(void *blk, const char *val, struct pd_err *err)
{
	struct pd_profile *p = blk;

	return pd_strlist_split(&p->rule_names, val) < 0 ?
	    pd_err_set(err, "out of memory") : 0;
}

static int
profile_country(void *blk, const char *val, struct pd_err *err)
{
	struct pd_profile *p = blk;

	return geo_cond(&p->geo, false, val, err);
}

static int
profile_asn(void *blk, const char *val, struct pd_err *err)
{
	struct pd_profile *p = blk;

	return geo_cond(&p->geo, true, val, err);
}

static const struct blockkey profile_keys[] = {
	{ "policy_context", profile_context },
	{ "server_port", profile_port },
	{ "rules", profile_rules },
	{ "country", profile_country },
	{ "asn", profile_asn },
};

/* The word that opens each block, and its keys; none for BLK_NONE. */
static const struct blocktype {
	const char		*name;
	const struct blockkey	*keys;
	size_t			 nkeys;
} blocktypes[] = {
	[BLK_RULE] = { "rule", rule_keys, NITEMS(rule_keys) },
	[BLK_PROFILE] = { "profile", profile_keys, NITEMS(profile_keys) },
	[BLK_ALLOW] = { "allow", access_keys, NITEMS(access_keys) },
	[BLK_DENY] = { "deny", access_keys, NITEMS(access_keys) },
};

_Static_assert(NITEMS(blocktypes) == BLK_MAX, "a row for each block type");
/* Each key is a bit of ps->seen. */
_Static_assert(NITEMS(rule_keys) <= 32 && NITEMS(access_keys) <= 32 &&
    NITEMS(profile_keys) <= 32, "more block keys than bits in seen");

/* key_row - the row of key in t, or t->nkeys when t has no such key */
static size_t
key_row(const struct blocktype *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->nkeys; i++)
		if (strcmp(t->keys[i].name, key) == 0)
			break;
	return i;
}

/* seen_once - mark the key at row as set; false if it was already */
static bool
seen_once(struct parser *ps, size_t row, const char *key)
{
	uint32_t bit = UINT32_C(1) << row;

	if (ps->seen & bit) {
		perr(ps, ps->line, "\"%s\" is set twice in this block", key);
		return false;
	}
	ps->seen |= bit;
	return true;
}

/* seen_key - the block being read has set key, one of its type's keys */
static bool
seen_key(const struct parser *ps, const char *key)
{
	const struct blocktype *t;
	size_t row;

	assert(ps->block > BLK_NONE && ps->block < BLK_MAX);
	t = &blocktypes[ps->block];
	row = key_row(t, key);
	assert(row < t->nkeys);	/* checks name keys of the table */
	return (ps->seen & (UINT32_C(1) << row)) != 0;
}

/* block_now - the block being read, the last of its kind */
static void *
block_now(struct parser *ps)
{
	struct pd_conf *c = ps->conf;

	switch (ps->block) {
	case BLK_RULE:
		return &c->rules[c->nrules - 1];
	case BLK_PROFILE:
		return &c->profiles[c->nprofiles - 1];
	case BLK_ALLOW:
	case BLK_DENY:
		return &c->access[c->naccess - 1];
	default:
		break;
	}
	assert(!"block_now: no block open");
	return NULL;
}

/* block_key - "key = value" inside a block */
static int
block_key(struct parser *ps, const char *key, const char *val,
    struct pd_err *err)
{
	const struct blocktype *t;
	size_t row;

	assert(ps->block > BLK_NONE && ps->block < BLK_MAX);
	t = &blocktypes[ps->block];
	if ((row = key_row(t, key)) == t->nkeys)
		return pd_err_set(err, "unknown %s setting \"%s\"", t->name,
		    key);
	/* A repeat is reported, and the first value kept. */
	if (!seen_once(ps, row, key))
		return 0;
	return t->keys[row].set(block_now(ps), val, err);
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

/* block_type - the block type a word opens, or BLK_NONE */
static enum block
block_type(const char *word)
{
	for (int b = BLK_RULE; b < BLK_MAX; b++)
		if (strcmp(word, blocktypes[b].name) == 0)
			return (enum block)b;
	return BLK_NONE;
}

/*
 * new_block - append a zeroed block of type b with the defaults that
 * are not zero, and say where its name and line go; -1 when out of
 * memory.
 */
static int
new_block(struct pd_conf *c, enum block b, char ***name, unsigned **line)
{
	struct pd_rule *r;
	void *p;

	if (b == BLK_RULE) {
		if ((p = grow(c->rules, &c->nrules, sizeof(*c->rules))) == NULL)
			return -1;
		c->rules = p;
		r = &c->rules[c->nrules - 1];
		r->key = PD_KEY_CLIENT_ADDRESS;
		r->limit = -1;
		*name = &r->name;
		*line = &r->line;
	} else if (b == BLK_PROFILE) {
		if ((p = grow(c->profiles, &c->nprofiles,
		    sizeof(*c->profiles))) == NULL)
			return -1;
		c->profiles = p;
		*name = &c->profiles[c->nprofiles - 1].name;
		*line = &c->profiles[c->nprofiles - 1].line;
	} else {
		if ((p = grow(c->access, &c->naccess,
		    sizeof(*c->access))) == NULL)
			return -1;
		c->access = p;
		c->access[c->naccess - 1].deny = b == BLK_DENY;
		*name = &c->access[c->naccess - 1].name;
		*line = &c->access[c->naccess - 1].line;
	}
	return 0;
}

/* open_block - "TYPE NAME {": the lines up to "}" set its keys */
static void
open_block(struct parser *ps, const char *type, const char *name)
{
	struct pd_conf *c = ps->conf;
	enum block b = block_type(type);
	char **slot;
	unsigned *line;

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
	if (new_block(c, b, &slot, &line) < 0 ||
	    (*slot = strdup(name)) == NULL) {
		perr(ps, ps->line, "out of memory");
		ps->block = BLK_NONE;
		return;
	}
	*line = ps->line;
}

/* close_rule_answer - a rule that fires must have one way to answer */
static void
close_rule_answer(struct parser *ps, struct pd_rule *r)
{
	unsigned l = ps->block_line;

	if (r->kind != PD_RULE_TARPIT) {
		if (r->reply.src == NULL && r->score == 0)
			perr(ps, l, "rule %s: no reply", r->name);
		if (r->max_delay)
			perr(ps, l, "rule %s: max_delay is for delay "
			    "rules", r->name);
		return;
	}
	/* A tarpit's answer is the delay itself. */
	if (r->reply.src)
		perr(ps, l, "rule %s: a tarpit replies SLEEP; "
		    "it takes no reply", r->name);
	/* A growing delay stops at 30s unless told; a fixed one is its cap. */
	if (r->max_delay == 0)
		r->max_delay = r->delay_step ? 30000 : r->delay;
	/* Postfix gives up on an answer that takes longer than 100s. */
	if (r->max_delay < r->delay || r->max_delay >= 100000)
		perr(ps, l, "rule %s: max_delay must be at least "
		    "delay and below Postfix's 100s policy "
		    "timeout", r->name);
}

/*
 * close_rule - check what one key alone cannot: the keys of a rule must
 * make sense together.  Each check turns away a rule that would do
 * something other than what its author meant.
 */
static void
close_rule(struct parser *ps, struct pd_rule *r)
{
	unsigned l = ps->block_line;

	/* Most likely a line left out; it would answer all mail. */
	if (!r->has_event && r->helo == 0 && pd_geo_cond_empty(&r->geo))
		perr(ps, l, "rule %s: no event and no condition: it "
		    "would match every request", r->name);
	/* These act once a count passes its limit: no limit, no count. */
	if (r->limit < 0 && r->kind != PD_RULE_RATE)
		perr(ps, l, "rule %s: block, release and delay need a "
		    "limit", r->name);
	if (r->limit >= 0 && !r->has_event)
		perr(ps, l, "rule %s: a limit needs an event to count",
		    r->name);
	/*
	 * A maillog event is counted after the fact, with no request to
	 * answer or score and no HELO name; all the log line gives is the
	 * client's address, so the key must be one that address yields.
	 */
	if (r->has_event && pd_event_from_log(r->event) &&
	    (r->limit < 0 || r->helo || r->score ||
	    r->key == PD_KEY_SASL_USERNAME ||
	    r->key == PD_KEY_SENDER_DOMAIN))
		perr(ps, l, "rule %s: a maillog event needs a limit, no "
		    "helo condition or score, and a key the client "
		    "address gives: client_address, client_prefix, asn "
		    "or country", r->name);
	/* A score is added up and the total answers, never the rule. */
	if (r->score && (r->reply.src || r->kind != PD_RULE_RATE))
		perr(ps, l, "rule %s: score takes the place of reply, "
		    "block, release and delay", r->name);
	close_rule_answer(ps, r);
}

/* close_access - an allow or deny list must be able to match and answer */
static void
close_access(struct parser *ps, const struct pd_access *a)
{
	unsigned l = ps->block_line;

	/* With no condition at all, the list was left unfinished. */
	if (a->nclients + a->client_names.n + a->helo_names.n == 0 &&
	    !a->authenticated && pd_geo_cond_empty(&a->geo))
		perr(ps, l, "%s %s: matches nothing", a->deny ? "deny" :
		    "allow", a->name);
	/* A deny list that matched would have nothing to tell Postfix. */
	if (a->deny && a->reply.src == NULL)
		perr(ps, l, "deny %s: no reply", a->name);
}

/*
 * close_profile - a profile with no rules line would run no rule, which
 * is more often a slip than a wish: an empty list must be written out.
 */
static void
close_profile(struct parser *ps, const struct pd_profile *p)
{
	if (!seen_key(ps, "rules"))
		perr(ps, ps->block_line, "profile %s: no rules line (write "
		    "\"rules =\" for none)", p->name);
}

/* close_block - check what the block must have, now that it is whole */
static void
close_block(struct parser *ps)
{
	struct pd_conf *c = ps->conf;

	/* Each count is 0 only when opening the block ran out of memory. */
	if (ps->block == BLK_RULE && c->nrules > 0)
		close_rule(ps, &c->rules[c->nrules - 1]);
	else if ((ps->block == BLK_ALLOW || ps->block == BLK_DENY) &&
	    c->naccess > 0)
		close_access(ps, &c->access[c->naccess - 1]);
	else if (ps->block == BLK_PROFILE && c->nprofiles > 0)
		close_profile(ps, &c->profiles[c->nprofiles - 1]);
	ps->block = BLK_NONE;
}

static void
key_value(struct parser *ps, const char *key, const char *val)
{
	const struct option *o;
	struct pd_err err;
	int rc;

	if (ps->block != BLK_NONE) {
		rc = block_key(ps, key, val, &err);
	} else if ((o = find_option(key)) == NULL) {
		perr(ps, ps->line, "unknown option \"%s\"", key);
		return;
	} else {
		rc = set_option(ps->conf, o, val, &err);
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

/* same_value - option o holds the same value in a and b */
static bool
same_value(const struct option *o, const struct pd_conf *a,
    const struct pd_conf *b)
{
	const void *p = (const char *)a + o->off;
	const void *q = (const char *)b + o->off;

	switch (o->type) {
	case OPT_BOOL:
		return *(const bool *)p == *(const bool *)q;
	case OPT_INT:
	case OPT_OCTAL:
		return *(const long long *)p == *(const long long *)q;
	case OPT_DURATION:
		return *(const int64_t *)p == *(const int64_t *)q;
	case OPT_STRING:
		return strcmp(*(char *const *)p, *(char *const *)q) == 0;
	case OPT_LIST:
		return pd_strlist_equal(p, q);
	}
	assert(!"same_value: bad option type");
	return false;
}

/* restart_only - a reload does not apply option o */
static bool
restart_only(const struct option *o, bool resolver)
{
	return o->when == AT_START || (o->when == AT_RESOLVER && resolver);
}

size_t
pd_conf_restart_changes(const struct pd_conf *old, const struct pd_conf *new,
    bool resolver, char *buf, size_t size)
{
	size_t n = 0, len = 0;

	if (size > 0)
		buf[0] = '\0';
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct option *o = &options[i];

		if (!restart_only(o, resolver) || same_value(o, old, new))
			continue;
		/* snprintf cuts the list to fit and counts what it cut. */
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
			    n ? ", " : "", o->name);
		n++;
	}
	return n;
}

/* copy_value - give dst the value src has for option o */
static int
copy_value(const struct option *o, struct pd_conf *dst,
    const struct pd_conf *src)
{
	void *p = (char *)dst + o->off;
	const void *q = (const char *)src + o->off;
	char *s;

	switch (o->type) {
	case OPT_BOOL:
		*(bool *)p = *(const bool *)q;
		return 0;
	case OPT_INT:
	case OPT_OCTAL:
		*(long long *)p = *(const long long *)q;
		return 0;
	case OPT_DURATION:
		*(int64_t *)p = *(const int64_t *)q;
		return 0;
	case OPT_STRING:
		if ((s = strdup(*(char *const *)q)) == NULL)
			return -1;
		free(*(char **)p);
		*(char **)p = s;
		return 0;
	case OPT_LIST:
		return pd_strlist_copy(p, q);
	}
	assert(!"copy_value: bad option type");
	return -1;
}

int
pd_conf_keep_running(struct pd_conf *new, const struct pd_conf *old,
    bool resolver)
{
	int rc = 0;

	for (size_t i = 0; i < NOPTIONS; i++)
		if (restart_only(&options[i], resolver) &&
		    copy_value(&options[i], new, old) < 0)
			rc = -1;
	return rc;
}

const char *
pd_rule_kind_name(enum pd_rule_kind kind)
{
	static const char *const names[] = { "rate", "block", "listing",
	    "tarpit" };

	_Static_assert(NITEMS(names) == PD_RULE_KIND_MAX,
	    "a name for each rule kind");
	assert((unsigned)kind < PD_RULE_KIND_MAX);
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
