/* SPDX-License-Identifier: ISC */
/*
 * conf_int - what the files of the conf module share: conf.c (the
 * option table and the public entry points), conf_read.c (the line
 * reader and what spans blocks), conf_block.c (opening, filling and
 * closing blocks; the allow, deny and profile keys) and conf_rule.c
 * (the rule block's keys and checks).  Only those four include it, as
 * postscreen's files share postscreen.h; every other module sees
 * conf.h alone, so the parser can change without touching them.
 */
#ifndef PD_CONF_INT_H
#define PD_CONF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "conf.h"

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

enum block {
	BLK_NONE,
	BLK_RULE,
	BLK_PROFILE,
	BLK_ALLOW,
	BLK_DENY,
	BLK_MAX
};

/* One run of the reader; ps->conf is what it builds. */
struct parser {
	const char	*file;
	unsigned	 line;
	int		 errors;
	pd_conf_error_cb cb;
	void		*arg;
	struct pd_conf	*conf;
	enum block	 block;
	unsigned	 block_line;
	uint32_t	 seen; /* keys set, a bit per row */
};

/*
 * conf_perr - report "file:line: what" (no line when line is 0) and
 * count it; after PD_CONF_MAX_ERRORS the reader goes on silently.
 */
void conf_perr(struct parser *ps, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * conf_pwarn - keep "file:line: what" in ps->conf->warnings: allowed,
 * but likely not what was meant (policyd -t and the log show them).
 */
void conf_pwarn(struct parser *ps, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* conf.c: a row of the option table, found by name (NULL if none). */
struct conf_option;

const struct conf_option *conf_option_find(const char *name);
int conf_option_set(struct pd_conf *c, const struct conf_option *o,
    const char *val, struct pd_err *err);

/* conf_read.c: read text into ps->conf, then check what spans blocks. */
void conf_parse_text(struct parser *ps, const char *text);
void conf_resolve(struct parser *ps);
/* conf.c: maillog = journal needs the build's journal support. */
void conf_check_maillog(struct parser *ps);

/*
 * Block keys.  Each block type has a table of { name, handler }; a
 * handler gets the block being read and the value, and reports a bad
 * value through err.  A key's row in its table is its bit in ps->seen,
 * so repeats are caught in one place for every block, and the checks
 * at the end of a block ask by name whether a key was given (seen_key
 * in conf_block.c).
 */
struct blockkey {
	const char *name;
	int (*set)(void *blk, const char *val, struct pd_err *);
};

/* The word that opens a block, and its keys. */
struct blocktype {
	const char	      *name;
	const struct blockkey *keys;
	size_t		       nkeys;
};

/* conf_block.c: "TYPE NAME {", "key = value" inside it, and "}". */
void conf_open_block(struct parser *ps, const char *type, const char *name);
int  conf_block_key(struct parser *ps, const char *key, const char *val,
     struct pd_err *err);
void conf_close_block(struct parser *ps);

/* conf_block.c: "country = DE, AT" or "asn = AS64500, 64501" into g. */
int conf_geo_cond(struct pd_geo_cond *g, bool asn, const char *val,
    struct pd_err *err);

/* conf_rule.c: the rule block's keys, and its checks at "}". */
extern const struct blocktype conf_rule_block;

void conf_close_rule(struct parser *ps, struct pd_rule *r);

#endif
