/* SPDX-License-Identifier: ISC */
/*
 * conf_block - the blocks of policyd.conf: opening "TYPE NAME {", the
 * "key = value" lines inside, and the checks at "}"; the keys and
 * checks of allow, deny and profile blocks.  The rule block, which has
 * the most of both, is in conf_rule.c.
 *
 * Each block type is a row of { word, key table } (struct blocktype),
 * so a key is found, and a repeat caught, by the same code for every
 * block; a handler sets one key of the block being read.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "str.h"
#include "conf.h"
#include "conf_int.h"

static bool
valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return false;
	return strspn(s,
		   "abcdefghijklmnopqrstuvwxyz"
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
	bool	  neg = *w == '!';
	long long n;
	char	 *p;

	if (i > 0 && neg != (asn ? g->asns_not : g->countries_not))
		return pd_err_set(err,
		    "\"%s\": either every entry starts "
		    "with \"!\" or none does",
		    w);
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
	if (strlen(w) != 2 ||
	    strspn(w,
		"abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 2)
		return pd_err_set(err,
		    "\"%s\" is not a two-letter country "
		    "code (ISO 3166-1, e.g. DE)",
		    w);
	p = g->countries[g->ncountries++];
	memcpy(p, w, 3);
	pd_str_upper(p);
	return 0;
}

/* conf_geo_cond - "country = DE, AT" or "asn = AS64500, 64501" */
int
conf_geo_cond(struct pd_geo_cond *g, bool asn, const char *val,
    struct pd_err *err)
{
	struct pd_strlist words = { 0 };
	int		  rc = 0;

	if (pd_strlist_split(&words, val) < 0)
		return pd_err_set(err, "out of memory");
	if (words.n == 0)
		rc = pd_err_set(err, "no %s given",
		    asn ? "AS number" : "country");
	else if (asn)
		rc = (g->asns = calloc(words.n, sizeof(*g->asns))) ?
		    0 :
		    pd_err_set(err, "out of memory");
	else
		rc = (g->countries = calloc(words.n, sizeof(*g->countries))) ?
		    0 :
		    pd_err_set(err, "out of memory");
	for (size_t i = 0; rc == 0 && i < words.n; i++)
		rc = geo_word(g, asn, words.v[i], i, err);
	pd_strlist_free(&words);
	return rc;
}

/* access_client - "client = 192.0.2.0/24, 2001:db8::1" */
static int
access_client(void *blk, const char *val, struct pd_err *err)
{
	struct pd_access *a = blk;
	struct pd_strlist words = { 0 };
	int		  rc = 0;

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

	return conf_geo_cond(&a->geo, false, val, err);
}

static int
access_asn(void *blk, const char *val, struct pd_err *err)
{
	struct pd_access *a = blk;

	return conf_geo_cond(&a->geo, true, val, err);
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
	    pd_err_set(err, "out of memory") :
	    0;
}

/* profile_port - "server_port = 587, 465" */
static int
profile_port(void *blk, const char *val, struct pd_err *err)
{
	struct pd_profile *p = blk;
	struct pd_strlist  words = { 0 };
	long long	   port;
	int		   rc = 0;

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

/* profile_rules - names only: conf_resolve() finds the rules later */
static int
profile_rules(void *blk, const char *val, struct pd_err *err)
{
	struct pd_profile *p = blk;

	return pd_strlist_split(&p->rule_names, val) < 0 ?
	    pd_err_set(err, "out of memory") :
	    0;
}

static int
profile_country(void *blk, const char *val, struct pd_err *err)
{
	struct pd_profile *p = blk;

	return conf_geo_cond(&p->geo, false, val, err);
}

static int
profile_asn(void *blk, const char *val, struct pd_err *err)
{
	struct pd_profile *p = blk;

	return conf_geo_cond(&p->geo, true, val, err);
}

static const struct blockkey profile_keys[] = {
	{ "policy_context", profile_context },
	{ "server_port", profile_port },
	{ "rules", profile_rules },
	{ "country", profile_country },
	{ "asn", profile_asn },
};

static const struct blocktype profile_block = { "profile", profile_keys,
	NITEMS(profile_keys) };
static const struct blocktype allow_block = { "allow", access_keys,
	NITEMS(access_keys) };
static const struct blocktype deny_block = { "deny", access_keys,
	NITEMS(access_keys) };

/* The word that opens each block, and its keys; none for BLK_NONE. */
static const struct blocktype *const blocktypes[] = {
	[BLK_RULE] = &conf_rule_block,
	[BLK_PROFILE] = &profile_block,
	[BLK_ALLOW] = &allow_block,
	[BLK_DENY] = &deny_block,
};

_Static_assert(NITEMS(blocktypes) == BLK_MAX, "a row for each block type");
/* Each key is a bit of ps->seen. */
_Static_assert(NITEMS(access_keys) <= 32 && NITEMS(profile_keys) <= 32,
    "more block keys than bits in seen");

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
		conf_perr(ps, ps->line, "\"%s\" is set twice in this block",
		    key);
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
	size_t			row;

	assert(ps->block > BLK_NONE && ps->block < BLK_MAX);
	t = blocktypes[ps->block];
	row = key_row(t, key);
	assert(row < t->nkeys); /* checks name keys of the table */
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

/* conf_block_key - "key = value" inside a block */
int
conf_block_key(struct parser *ps, const char *key, const char *val,
    struct pd_err *err)
{
	const struct blocktype *t;
	size_t			row;

	assert(ps->block > BLK_NONE && ps->block < BLK_MAX);
	t = blocktypes[ps->block];
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
		if (strcmp(word, blocktypes[b]->name) == 0)
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
	void	       *p;

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
		if ((p = grow(c->access, &c->naccess, sizeof(*c->access))) ==
		    NULL)
			return -1;
		c->access = p;
		c->access[c->naccess - 1].deny = b == BLK_DENY;
		*name = &c->access[c->naccess - 1].name;
		*line = &c->access[c->naccess - 1].line;
	}
	return 0;
}

/* conf_open_block - "TYPE NAME {": the lines up to "}" set its keys */
void
conf_open_block(struct parser *ps, const char *type, const char *name)
{
	struct pd_conf *c = ps->conf;
	enum block	b = block_type(type);
	char	      **slot;
	unsigned       *line;

	if (b == BLK_NONE) {
		conf_perr(ps, ps->line,
		    "unknown block type \"%s\" (rule, "
		    "profile, allow or deny)",
		    type);
		b = BLK_RULE; /* parse the body anyway, to find its end */
	} else if (!valid_name(name)) {
		conf_perr(ps, ps->line, "bad %s name \"%s\"", type, name);
	} else if (name_taken(c, name)) {
		conf_perr(ps, ps->line, "name \"%s\" is used twice", name);
	} else if (strcmp(name, PD_CONF_MANUAL) == 0) {
		conf_perr(ps, ps->line,
		    "the name \"%s\" is kept for blocks "
		    "set with policydctl",
		    name);
	}
	ps->block = b;
	ps->block_line = ps->line;
	ps->seen = 0;
	if (new_block(c, b, &slot, &line) < 0 ||
	    (*slot = strdup(name)) == NULL) {
		conf_perr(ps, ps->line, "out of memory");
		ps->block = BLK_NONE;
		return;
	}
	*line = ps->line;
}

/* close_access - an allow or deny list must be able to match and answer */
static void
close_access(struct parser *ps, const struct pd_access *a)
{
	unsigned l = ps->block_line;

	/* With no condition at all, the list was left unfinished. */
	if (a->nclients + a->client_names.n + a->helo_names.n == 0 &&
	    !a->authenticated && pd_geo_cond_empty(&a->geo))
		conf_perr(ps, l, "%s %s: matches nothing",
		    a->deny ? "deny" : "allow", a->name);
	/* A deny list that matched would have nothing to tell Postfix. */
	if (a->deny && a->reply.src == NULL)
		conf_perr(ps, l, "deny %s: no reply", a->name);
}

/*
 * close_profile - a profile with no rules line would run no rule, which
 * is more often a slip than a wish: an empty list must be written out.
 */
static void
close_profile(struct parser *ps, const struct pd_profile *p)
{
	if (!seen_key(ps, "rules"))
		conf_perr(ps, ps->block_line,
		    "profile %s: no rules line "
		    "(write \"rules =\" for none)",
		    p->name);
}

/* conf_close_block - check what the block must have, now that it is whole */
void
conf_close_block(struct parser *ps)
{
	struct pd_conf *c = ps->conf;

	/* Each count is 0 only when opening the block ran out of memory. */
	if (ps->block == BLK_RULE && c->nrules > 0)
		conf_close_rule(ps, &c->rules[c->nrules - 1]);
	else if ((ps->block == BLK_ALLOW || ps->block == BLK_DENY) &&
	    c->naccess > 0)
		close_access(ps, &c->access[c->naccess - 1]);
	else if (ps->block == BLK_PROFILE && c->nprofiles > 0)
		close_profile(ps, &c->profiles[c->nprofiles - 1]);
	ps->block = BLK_NONE;
}
