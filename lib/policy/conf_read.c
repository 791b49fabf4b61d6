/* SPDX-License-Identifier: ISC */
/*
 * conf_read - the line reader of the conf module, and the checks that
 * span blocks.
 *
 * Lines are joined where a value ends in ",", comments and blank lines
 * dropped, and each logical line is one of "name = value", "TYPE NAME {"
 * or "}"; blocks themselves are conf_block.c's.  Some checks can only
 * be made once every block is read (a profile names rules that may come
 * after it; a country condition needs the database option, which may be
 * set below it or with -o), so they wait for conf_resolve.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "err.h"
#include "str.h"
#include "conf.h"
#include "conf_int.h"

/* The longest listener spec (listen.h's PD_LISTEN_SPEC_MAX). */
#define SPEC_MAX 128

void
conf_perr(struct parser *ps, unsigned line, const char *fmt, ...)
{
	char	msg[512], full[600];
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

void
conf_pwarn(struct parser *ps, unsigned line, const char *fmt, ...)
{
	char	msg[512], full[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s:%u: %s", ps->file, line, msg);
	if (pd_strlist_add(&ps->conf->warnings, full) < 0)
		conf_perr(ps, line, "out of memory");
}

/* keep_line - a line of a block, kept as read for policyd -n */
static void
keep_line(struct parser *ps, const char *fmt, const char *a, const char *b)
{
	char *line;

	if (asprintf(&line, fmt, a, b) < 0) {
		conf_perr(ps, ps->line, "out of memory");
		return;
	}
	if (pd_strlist_add(&ps->conf->block_lines, line) < 0)
		conf_perr(ps, ps->line, "out of memory");
	free(line);
}

static void
key_value(struct parser *ps, const char *key, const char *val)
{
	const struct conf_option *o;
	struct pd_err		  err;
	int			  rc;

	if (ps->block != BLK_NONE) {
		rc = conf_block_key(ps, key, val, &err);
	} else if ((o = conf_option_find(key)) == NULL) {
		conf_perr(ps, ps->line, "unknown option \"%s\"", key);
		return;
	} else {
		rc = conf_option_set(ps->conf, o, val, &err);
	}
	if (rc < 0)
		conf_perr(ps, ps->line, "%s: %s", key, err.msg);
}

/*
 * comment_at - a "#" after a blank, or NULL.  As in main.cf, comments
 * take lines of their own, so such a "#" would be part of the value:
 * an event name that is not one, or words an SMTP client is sent.
 */
static const char *
comment_at(const char *s)
{
	for (const char *p = s; *p; p++)
		if (*p == '#' && p > s && (p[-1] == ' ' || p[-1] == '\t'))
			return p;
	return NULL;
}

/* reply_key - key holds a reply text, where a "#" may be meant */
static bool
reply_key(const struct parser *ps, const char *key)
{
	static const char *const global[] = { "score_defer_reply",
		"score_reject_reply", "block_reply", "dns_tempfail_action" };

	if (ps->block != BLK_NONE)
		return strcmp(key, "reply") == 0;
	for (size_t i = 0; i < NITEMS(global); i++)
		if (strcmp(key, global[i]) == 0)
			return true;
	return false;
}

static void
comment_error(struct parser *ps, const char *what, const char *hash)
{
	conf_perr(ps, ps->line,
	    "%s%scomments go on a line of their own "
	    "(\"%.40s\")",
	    what, *what ? ": " : "", hash);
}

/* open_line - "TYPE NAME {" */
static void
open_line(struct parser *ps, const char *s)
{
	char type[32], name[80], brace[4], extra;

	if (sscanf(s, "%31s %79s %3s %c", type, name, brace, &extra) != 3 ||
	    strcmp(brace, "{") != 0) {
		conf_perr(ps, ps->line,
		    "expected \"name = value\", \"TYPE NAME {\" or \"}\"");
		return;
	}
	if (ps->block != BLK_NONE) {
		conf_perr(ps, ps->line,
		    "block inside a block (missing \"}\" for line %u?)",
		    ps->block_line);
		conf_close_block(ps);
	}
	conf_open_block(ps, type, name);
	keep_line(ps, "%s %s {", type, name);
}

/* parse_line - one logical line, comments and blank lines removed */
static void
parse_line(struct parser *ps, char *s)
{
	char *hash = (char *)comment_at(s), *eq = strchr(s, '='), *key, *val;

	/* Told, then read without it, so that one slip gives one error. */
	if (hash != NULL && (eq == NULL || hash < eq)) {
		comment_error(ps, "", hash);
		*hash = '\0';
		s = pd_str_trim(s);
		hash = NULL;
		eq = strchr(s, '=');
	}
	if (strcmp(s, "}") == 0) {
		if (ps->block == BLK_NONE) {
			conf_perr(ps, ps->line, "\"}\" without a block");
		} else {
			conf_close_block(ps);
			keep_line(ps, "}", "", "");
		}
		return;
	}
	if (eq == NULL) {
		open_line(ps, s);
		return;
	}
	*eq = '\0';
	key = pd_str_trim(s);
	val = pd_str_trim(eq + 1);
	if (*key == '\0' || strpbrk(key, " \t") != NULL) {
		conf_perr(ps, ps->line, "bad option name \"%s\"", key);
		return;
	}
	if (hash != NULL && !reply_key(ps, key)) {
		comment_error(ps, key, hash);
		*hash = '\0';
		val = pd_str_trim(val);
		hash = NULL;
	}
	if (hash != NULL)
		conf_pwarn(ps, ps->line,
		    "%s: \"%.40s\" is part of the reply text that SMTP "
		    "clients see; comments go on a line of their own",
		    key, hash);
	if (ps->block != BLK_NONE)
		keep_line(ps, "\t%s = %s", key, val);
	key_value(ps, key, val);
}

/* is_comment - a line of its own that is blank or a comment */
static bool
is_comment(const char *p, size_t n)
{
	while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\r')) {
		p++;
		n--;
	}
	return n == 0 || *p == '#';
}

void
conf_parse_text(struct parser *ps, const char *text)
{
	const char *p = text, *nl;
	char	   *logical = NULL, *s;
	size_t	    llen = 0, n;
	unsigned    phys = 0, start = 0;

	for (; *p; p = nl ? nl + 1 : p + n) {
		phys++;
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		/* Also between the lines of a value, as in main.cf. */
		if (is_comment(p, n))
			continue;
		if ((s = realloc(logical, llen + n + 2)) == NULL) {
			conf_perr(ps, phys, "out of memory");
			break;
		}
		logical = s;
		if (llen == 0) {
			start = phys;
			memcpy(logical, p, n);
			llen = n;
		} else {
			/* The next line goes on after one blank. */
			size_t lead = strspn(p, " \t");

			logical[llen++] = ' ';
			memcpy(logical + llen, p + lead, n - lead);
			llen += n - lead;
		}
		logical[llen] = '\0';
		s = pd_str_trim(logical);
		/* A value ending in "," goes on on the next line. */
		if (s[strlen(s) - 1] == ',' && nl && strchr(s, '=')) {
			llen = strlen(logical);
			continue;
		}
		ps->line = start;
		parse_line(ps, s);
		llen = 0;
	}
	/* A file that ends inside a value still ends the value. */
	if (llen > 0) {
		ps->line = start;
		parse_line(ps, pd_str_trim(logical));
	}
	free(logical);
	if (ps->block != BLK_NONE) {
		ps->line = phys;
		conf_perr(ps, ps->block_line, "block has no closing \"}\"");
		conf_close_block(ps);
	}
}

/* reply_option - compile a global reply template option */
static void
reply_option(struct parser *ps, const char *name, const char *text,
    struct pd_tmpl *t)
{
	struct pd_err err;

	if (pd_tmpl_check_action(text, &err) < 0 ||
	    pd_tmpl_compile(t, text, &err) < 0)
		conf_perr(ps, 0, "%s: %s", name, err.msg);
}

/* resolve_globals - options whose text becomes something else */
static void
resolve_globals(struct parser *ps)
{
	struct pd_conf *c = ps->conf;
	struct pd_err	err;

	c->local_addresses =
	    calloc(c->local_addresses_text.n + 1, sizeof(*c->local_addresses));
	if (c->local_addresses == NULL) {
		conf_perr(ps, 0, "out of memory");
		return;
	}
	for (size_t i = 0; i < c->local_addresses_text.n; i++) {
		if (pd_cidr_parse(c->local_addresses_text.v[i],
			&c->local_addresses[c->nlocal_addresses], &err) < 0)
			conf_perr(ps, 0, "local_addresses: %s", err.msg);
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

/*
 * geo_needs - a block that asks for the client's country or AS number
 * needs the database that knows it.
 */
static void
geo_needs(struct parser *ps, unsigned line, const char *what, const char *name,
    const struct pd_geo_cond *g, enum pd_key_type key)
{
	const struct pd_conf *c = ps->conf;

	if ((g->ncountries || key == PD_KEY_COUNTRY) &&
	    *c->geoip_country_db == '\0')
		conf_perr(ps, line, "%s %s: country needs geoip_country_db",
		    what, name);
	if ((g->nasns || key == PD_KEY_ASN) && *c->geoip_asn_db == '\0')
		conf_perr(ps, line, "%s %s: asn needs geoip_asn_db", what,
		    name);
}

/*
 * check_listen - "inet:HOST:PORT" with HOST an IP address, or
 * "unix:PATH" that fits a socket address: what start can bind.
 */
static void
check_listen(struct parser *ps, const char *what, const char *spec)
{
	struct sockaddr_storage ss;
	struct pd_err		err;
	size_t max = sizeof(((struct sockaddr_un *)0)->sun_path);

	if (strlen(spec) >= SPEC_MAX) {
		conf_perr(ps, 0, "%s: \"%.40s...\": longer than %d bytes", what,
		    spec, SPEC_MAX - 1);
	} else if (strncmp(spec, "inet:", 5) == 0) {
		if (pd_hostport_parse(spec + 5, &ss, &err) < 0)
			conf_perr(ps, 0,
			    "%s: \"%s\": %s (HOST is an IP address)", what,
			    spec, err.msg);
	} else if (strncmp(spec, "unix:", 5) == 0 && spec[5] != '\0') {
		if (strlen(spec + 5) >= max)
			conf_perr(ps, 0,
			    "%s: \"%s\": path longer than %zu bytes", what,
			    spec, max - 1);
	} else {
		conf_perr(ps, 0,
		    "%s: \"%s\" is neither inet:HOST:PORT nor unix:PATH", what,
		    spec);
	}
}

/*
 * check_forward - dns_forward is ADDR or ADDR@PORT, as libunbound
 * takes it: "127.0.0.1:5353" would fail only once a rule needs DNS.
 */
static void
check_forward(struct parser *ps, const char *fwd)
{
	char	       addr[64];
	const char    *at = strchr(fwd, '@');
	size_t	       n = at ? (size_t)(at - fwd) : strlen(fwd);
	struct pd_addr a;
	struct pd_err  err;
	long long      port;

	if (*fwd == '\0')
		return;
	if (n < sizeof(addr)) {
		memcpy(addr, fwd, n);
		addr[n] = '\0';
	}
	if (n >= sizeof(addr) || pd_addr_parse(addr, &a) < 0 ||
	    (at && pd_str_int(at + 1, 1, 65535, &port, &err) < 0))
		conf_perr(ps, 0,
		    "dns_forward: \"%s\" is not ADDRESS or ADDRESS@PORT "
		    "(an IP address; the port follows \"@\", as in "
		    "127.0.0.1@5353)",
		    fwd);
}

/* check_specs - the addresses start will bind or talk to */
static void
check_specs(struct parser *ps)
{
	const struct pd_conf *c = ps->conf;
	char		      spec[SPEC_MAX + 8];

	if (c->listen.n == 0)
		conf_perr(ps, 0, "listen: no address to listen on");
	for (size_t i = 0; i < c->listen.n; i++)
		check_listen(ps, "listen", c->listen.v[i]);
	if (*c->metrics_listen) {
		snprintf(spec, sizeof(spec), "inet:%s", c->metrics_listen);
		check_listen(ps, "metrics_listen", spec);
	}
	if (*c->control_socket) {
		snprintf(spec, sizeof(spec), "unix:%s", c->control_socket);
		check_listen(ps, "control_socket", spec);
	}
	check_forward(ps, c->dns_forward);
}

/* conf_resolve - link profiles to rules and check what spans blocks */
void
conf_resolve(struct parser *ps)
{
	struct pd_conf *c = ps->conf;

	for (size_t i = 0; i < c->nprofiles; i++) {
		struct pd_profile *p = &c->profiles[i];

		p->rules = calloc(p->rule_names.n + 1, sizeof(*p->rules));
		if (p->rules == NULL) {
			conf_perr(ps, p->line, "out of memory");
			return;
		}
		for (size_t j = 0; j < p->rule_names.n; j++) {
			size_t k;

			for (k = 0; k < c->nrules; k++)
				if (strcmp(c->rules[k].name,
					p->rule_names.v[j]) == 0)
					break;
			if (k == c->nrules)
				conf_perr(ps, p->line,
				    "profile %s: no rule "
				    "named \"%s\"",
				    p->name, p->rule_names.v[j]);
			else
				p->rules[p->nrules++] = k;
		}
	}
	for (size_t i = 0; i < c->nrules; i++)
		geo_needs(ps, c->rules[i].line, "rule", c->rules[i].name,
		    &c->rules[i].geo, c->rules[i].key);
	for (size_t i = 0; i < c->naccess; i++)
		geo_needs(ps, c->access[i].line,
		    c->access[i].deny ? "deny" : "allow", c->access[i].name,
		    &c->access[i].geo, PD_KEY_MAX);
	for (size_t i = 0; i < c->nprofiles; i++)
		geo_needs(ps, c->profiles[i].line, "profile",
		    c->profiles[i].name, &c->profiles[i].geo, PD_KEY_MAX);
	resolve_globals(ps);
	check_specs(ps);
	conf_check_maillog(ps);
}
