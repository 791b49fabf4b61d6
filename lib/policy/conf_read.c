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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "str.h"
#include "conf.h"
#include "conf_int.h"

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

/* parse_line - one logical line, comments and blank lines removed */
static void
parse_line(struct parser *ps, char *s)
{
	char *eq, *key, *val, type[32], name[80], brace[4], extra;

	if (strcmp(s, "}") == 0) {
		if (ps->block == BLK_NONE)
			conf_perr(ps, ps->line, "\"}\" without a block");
		else
			conf_close_block(ps);
		return;
	}
	if ((eq = strchr(s, '=')) == NULL) {
		if (sscanf(s, "%31s %79s %3s %c", type, name, brace, &extra) ==
			3 &&
		    strcmp(brace, "{") == 0) {
			if (ps->block != BLK_NONE) {
				conf_perr(ps, ps->line,
				    "block inside a block "
				    "(missing \"}\" for line %u?)",
				    ps->block_line);
				conf_close_block(ps);
			}
			conf_open_block(ps, type, name);
		} else {
			conf_perr(ps, ps->line,
			    "expected \"name = value\", "
			    "\"TYPE NAME {\" or \"}\"");
		}
		return;
	}
	*eq = '\0';
	key = pd_str_trim(s);
	val = pd_str_trim(eq + 1);
	if (*key == '\0' || strpbrk(key, " \t") != NULL) {
		conf_perr(ps, ps->line, "bad option name \"%s\"", key);
		return;
	}
	key_value(ps, key, val);
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
		if ((s = realloc(logical, llen + n + 2)) == NULL) {
			conf_perr(ps, phys, "out of memory");
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
	conf_check_maillog(ps);
	if (c->listen.n == 0)
		conf_perr(ps, 0, "listen: no address to listen on");
	for (size_t i = 0; i < c->listen.n; i++)
		if (strncmp(c->listen.v[i], "inet:", 5) != 0 &&
		    strncmp(c->listen.v[i], "unix:", 5) != 0)
			conf_perr(ps, 0,
			    "listen: \"%s\" is neither "
			    "inet:HOST:PORT nor unix:PATH",
			    c->listen.v[i]);
}
