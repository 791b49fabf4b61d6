/* SPDX-License-Identifier: ISC */
/*
 * conf - the policyd.conf reader: its options and its entry points.
 *
 * A hand-written line parser: the grammar is "name = value", "TYPE NAME {"
 * and "}", which gives exact file:line messages without generated code.
 * Scalar options live in one table with their default and bounds, and
 * the defaults are applied by parsing their text through the same code
 * as the file, so a default can never be a value the file may not hold.
 * Every string in struct pd_conf is owned by it.
 *
 * This file holds the option table and all that works from it (setting,
 * freeing, comparing for a reload) and the public entry points.  The
 * rest of the reader is split by job, sharing conf_int.h: conf_read.c
 * reads the lines and checks what spans blocks, conf_block.c opens,
 * fills and closes blocks, and conf_rule.c knows the rule block.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "str.h"
#include "conf.h"
#include "helo.h"
#include "conf_int.h"

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
	ON_RELOAD,   /* a reload applies it */
	AT_START,    /* sockets, the user, the maillog: made once at start */
	AT_RESOLVER, /* read when the resolver is made: at the first
			   reload that needs one, or else at start */
};

static const struct conf_option {
	const char   *name;
	enum opt_type type;
	enum opt_when when; /* when a change takes effect */
	size_t	      off;
	const char   *def;
	long long     min, max; /* INT: value; DURATION: ms */
} options[] = {
	{ "listen", OPT_LIST, AT_START, offsetof(struct pd_conf, listen),
	    "inet:127.0.0.1:12540", 0, 0 },
	{ "unix_mode", OPT_OCTAL, AT_START, offsetof(struct pd_conf, unix_mode),
	    "0666", 0, 0777 },
	{ "user", OPT_STRING, AT_START, offsetof(struct pd_conf, user), "", 0,
	    0 },
	{ "request_timeout", OPT_DURATION, ON_RELOAD,
	    offsetof(struct pd_conf, request_timeout), "30s", 1000, 3600000 },
	{ "idle_timeout", OPT_DURATION, ON_RELOAD,
	    offsetof(struct pd_conf, idle_timeout), "600s", 1000, 86400000 },
	{ "reply_timeout", OPT_DURATION, ON_RELOAD,
	    offsetof(struct pd_conf, reply_timeout), "5s", 100, 90000 },
	{ "max_clients", OPT_INT, ON_RELOAD,
	    offsetof(struct pd_conf, max_clients), "1000", 1, 1000000 },
	{ "dry_run", OPT_BOOL, ON_RELOAD, offsetof(struct pd_conf, dry_run),
	    "no", 0, 0 },
	{ "state_file", OPT_STRING, ON_RELOAD,
	    offsetof(struct pd_conf, state_file), "", 0, 0 },
	{ "state_interval", OPT_DURATION, ON_RELOAD,
	    offsetof(struct pd_conf, state_interval), "5m", 1000, 86400000 },
	{ "max_keys", OPT_INT, ON_RELOAD, offsetof(struct pd_conf, max_keys),
	    "1000000", 100, 100000000 },
	{ "ipv6_client_prefix", OPT_INT, ON_RELOAD,
	    offsetof(struct pd_conf, ipv6_client_prefix), "64", 1, 128 },
	{ "ipv4_segment", OPT_INT, ON_RELOAD,
	    offsetof(struct pd_conf, ipv4_segment), "24", 1, 32 },
	{ "ipv6_segment", OPT_INT, ON_RELOAD,
	    offsetof(struct pd_conf, ipv6_segment), "64", 1, 128 },
	{ "maillog", OPT_STRING, AT_START, offsetof(struct pd_conf, maillog),
	    "", 0, 0 },
	{ "maillog_syslog_names", OPT_LIST, ON_RELOAD,
	    offsetof(struct pd_conf, maillog_syslog_names), "postfix postfix-*",
	    0, 0 },
	{ "maillog_unit", OPT_LIST, AT_START,
	    offsetof(struct pd_conf, maillog_unit),
	    "postfix.service postfix@-.service", 0, 0 },
	{ "local_domains", OPT_LIST, ON_RELOAD,
	    offsetof(struct pd_conf, local_domains), "", 0, 0 },
	{ "local_addresses", OPT_LIST, ON_RELOAD,
	    offsetof(struct pd_conf, local_addresses_text), "", 0, 0 },
	{ "helo_special_use", OPT_LIST, ON_RELOAD,
	    offsetof(struct pd_conf, helo_special_use),
	    "local localdomain localhost lan home corp internal intranet "
	    "private invalid test example home.arpa",
	    0, 0 },
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
	    offsetof(struct pd_conf, control_socket), PD_CONF_DEFAULT_CONTROL,
	    0, 0 },
	{ "explain_history", OPT_INT, ON_RELOAD,
	    offsetof(struct pd_conf, explain_history), "20000", 0, 10000000 },
	{ "metrics_listen", OPT_STRING, AT_START,
	    offsetof(struct pd_conf, metrics_listen), "", 0, 0 },
	{ "geoip_country_db", OPT_STRING, ON_RELOAD,
	    offsetof(struct pd_conf, geoip_country_db), "", 0, 0 },
	{ "geoip_asn_db", OPT_STRING, ON_RELOAD,
	    offsetof(struct pd_conf, geoip_asn_db), "", 0, 0 },
};

#define NOPTIONS NITEMS(options)

int
conf_option_set(struct pd_conf *c, const struct conf_option *o, const char *val,
    struct pd_err *err)
{
	void	 *p = (char *)c + o->off;
	long long n;
	int64_t	  ms;
	char	 *s, *end;

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
			return pd_err_set(err, "\"%s\" is not an octal mode",
			    val);
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

const struct conf_option *
conf_option_find(const char *name)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

static void
geo_cond_free(struct pd_geo_cond *g)
{
	free(g->countries);
	free(g->asns);
}

bool
pd_conf_needs_maillog(const struct pd_conf *c)
{
	for (size_t i = 0; i < c->nrules; i++)
		if (c->rules[i].has_event &&
		    pd_event_from_log(c->rules[i].event))
			return true;
	return false;
}

int64_t
pd_conf_maillog_window(const struct pd_conf *c)
{
	int64_t w = 0;

	for (size_t i = 0; i < c->nrules; i++)
		if (c->rules[i].has_event &&
		    pd_event_from_log(c->rules[i].event) &&
		    c->rules[i].window > w)
			w = c->rules[i].window;
	return w;
}

bool
pd_conf_maillog_journal(const struct pd_conf *c, const char **path)
{
	const char *m = c->maillog;

	if (strncmp(m, "journal", 7) != 0 || (m[7] != '\0' && m[7] != ':'))
		return false;
	if (path != NULL)
		*path = m[7] == ':' ? m + 8 : NULL;
	return true;
}

void
conf_check_maillog(struct parser *ps)
{
	const char *path;

	if (!pd_conf_maillog_journal(ps->conf, &path))
		return;
#ifdef PD_HAVE_SYSTEMD
	if (path != NULL && *path != '/')
		conf_perr(ps, 0,
		    "maillog = %s: the journal's directory or file must be an "
		    "absolute path",
		    ps->conf->maillog);
#else
	conf_perr(ps, 0,
	    "maillog = %s: policyd was built without journal support "
	    "(configure found no libsystemd); follow a file instead, such "
	    "as Postfix's maillog_file",
	    ps->conf->maillog);
#endif
}

bool
pd_conf_needs_dns(const struct pd_conf *c)
{
	for (size_t i = 0; i < c->nrules; i++)
		if (c->rules[i].helo & (1u << PD_HELO_UNKNOWN))
			return true;
	return false;
}

static void
rule_free(struct pd_rule *r)
{
	free(r->name);
	geo_cond_free(&r->geo);
	pd_codes_free(&r->codes);
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
	pd_strlist_free(&c->warnings);
	pd_strlist_free(&c->block_lines);
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
	const struct conf_option *o;
	struct pd_err		  err;
	char			 *copy, *eq;

	ps->file = "command line";
	for (size_t i = 0; i < n; i++) {
		if ((copy = strdup(ov[i])) == NULL) {
			conf_perr(ps, 0, "out of memory");
			return;
		}
		if ((eq = strchr(copy, '=')) == NULL) {
			conf_perr(ps, 0, "-o %s: expected name=value", ov[i]);
		} else {
			*eq = '\0';
			if ((o = conf_option_find(pd_str_trim(copy))) == NULL)
				conf_perr(ps, 0, "-o: unknown option \"%s\"",
				    copy);
			else if (conf_option_set(ps->conf, o,
				     pd_str_trim(eq + 1), &err) < 0)
				conf_perr(ps, 0, "-o %s: %s", copy, err.msg);
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
		if (conf_option_set(ps.conf, &options[i], options[i].def,
			&err) < 0)
			conf_perr(&ps, 0, "%s: %s", options[i].name, err.msg);
	ps.file = name;
	if ((ps.conf->file = strdup(name)) == NULL)
		conf_perr(&ps, 0, "out of memory");
	conf_parse_text(&ps, text);
	apply_overrides(&ps, overrides, noverrides);
	ps.file = name;
	conf_resolve(&ps);
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
	char		msg[600], *text;
	FILE	       *fp;
	long		len;

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
same_value(const struct conf_option *o, const struct pd_conf *a,
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
restart_only(const struct conf_option *o, bool resolver)
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
		const struct conf_option *o = &options[i];

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
copy_value(const struct conf_option *o, struct pd_conf *dst,
    const struct pd_conf *src)
{
	void	   *p = (char *)dst + o->off;
	const void *q = (const char *)src + o->off;
	char	   *s;

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

/* write_value - option o of c as the file would give it */
static int
write_value(FILE *fp, const struct conf_option *o, const struct pd_conf *c)
{
	const void *p = (const char *)c + o->off;
	char	    d[32];

	switch (o->type) {
	case OPT_BOOL:
		return fprintf(fp, "%s", *(const bool *)p ? "yes" : "no");
	case OPT_INT:
		return fprintf(fp, "%lld", *(const long long *)p);
	case OPT_OCTAL:
		return fprintf(fp, "%04llo", *(const long long *)p);
	case OPT_DURATION:
		pd_str_fmt_duration(d, sizeof(d), *(const int64_t *)p);
		return fprintf(fp, "%s", d);
	case OPT_STRING:
		return fprintf(fp, "%s", *(char *const *)p);
	case OPT_LIST: {
		const struct pd_strlist *l = p;

		for (size_t i = 0; i < l->n; i++)
			if (fprintf(fp, "%s%s", i ? ", " : "", l->v[i]) < 0)
				return -1;
		return 0;
	}
	}
	assert(!"write_value: bad option type");
	return -1;
}

/* is_empty - option o of c is an empty string or list */
static bool
is_empty(const struct conf_option *o, const struct pd_conf *c)
{
	const void *p = (const char *)c + o->off;

	if (o->type == OPT_STRING)
		return **(char *const *)p == '\0';
	return o->type == OPT_LIST && ((const struct pd_strlist *)p)->n == 0;
}

/* is_default - c holds option o's default */
static bool
is_default(const struct conf_option *o, const struct pd_conf *c)
{
	struct pd_conf def;
	struct pd_err  err;
	bool	       same;

	/* Parsed from its text, as pd_conf_parse gives the default. */
	memset(&def, 0, sizeof(def));
	if (conf_option_set(&def, o, o->def, &err) < 0)
		return false;
	same = same_value(o, &def, c);
	if (o->type == OPT_STRING)
		free(*(char **)((char *)&def + o->off));
	else if (o->type == OPT_LIST)
		pd_strlist_free((struct pd_strlist *)((char *)&def + o->off));
	return same;
}

int
pd_conf_write(const struct pd_conf *c, bool all, FILE *fp)
{
	bool any = false;

	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct conf_option *o = &options[i];

		if (!all && is_default(o, c))
			continue;
		if (fprintf(fp, "%s =%s", o->name, is_empty(o, c) ? "" : " ") <
			0 ||
		    write_value(fp, o, c) < 0 || fputc('\n', fp) == EOF)
			return -1;
		any = true;
	}
	for (size_t i = 0; i < c->block_lines.n; i++) {
		const char *l = c->block_lines.v[i];
		/* A blank line before each block, as people write them. */
		bool	    opens = *l != '\t' && strcmp(l, "}") != 0;

		if (fprintf(fp, "%s%s\n", opens && any ? "\n" : "", l) < 0)
			return -1;
		any = true;
	}
	return fflush(fp) == EOF ? -1 : 0;
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
