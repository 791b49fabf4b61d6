/* SPDX-License-Identifier: ISC */
/*
 * tmpl - reply and log templates: "451 4.7.1 Too many from ${client_address}".
 *
 * A template is compiled once, when the config is read, so an unknown
 * ${name} is a config error and rendering is a walk over segments.
 * Every value is sanitised and bounded while it is rendered; the result
 * never holds a newline or control character, so it cannot break the
 * policy protocol or a log line.
 *
 * pd_tmpl_check_action() is the one place that knows Postfix access(5)
 * actions: it checks that a reply carries an explicit SMTP code with an
 * enhanced status code, or is an action that needs none.
 */
#ifndef PD_TMPL_H
#define PD_TMPL_H

#include <stddef.h>
#include <stdint.h>

struct pd_buf;
struct pd_err;

enum pd_var {
	PD_VAR_CLIENT_ADDRESS,
	PD_VAR_CLIENT_NAME,
	PD_VAR_HELO_NAME,
	PD_VAR_SENDER,
	PD_VAR_RECIPIENT,
	PD_VAR_RULE,
	PD_VAR_COUNT,
	PD_VAR_LIMIT,
	PD_VAR_WINDOW,
	PD_VAR_EXPIRES,
	PD_VAR_REF,
	PD_VAR_KEY,
	PD_VAR_TLD,
	PD_VAR_SCORE,
	PD_VAR_REASONS,
	PD_VAR_REASON,	/* an operator's, for a manual block */
	PD_VAR_COUNTRY, /* the client's, "" when not known */
	PD_VAR_ASN,	/* the client's AS number, "" when not known */
	PD_VAR_MAX
};

/* Longest rendered reply; SMTP replies are at most 512 bytes a line. */
#define PD_TMPL_REPLY_MAX 450

struct pd_tmpl_seg;

struct pd_tmpl {
	char		   *src;  /* the text as configured, owned */
	struct pd_tmpl_seg *segs; /* owned */
	size_t		    nsegs;
};

/* What a reply does, as the decision's log line names it ("defer"). */
enum pd_action {
	PD_ACT_DUNNO,
	PD_ACT_DEFER,  /* 4xx, DEFER, DEFER_IF_* */
	PD_ACT_REJECT, /* 5xx, REJECT */
	PD_ACT_SLEEP,
	PD_ACT_WARN,
	PD_ACT_OTHER, /* OK, HOLD, DISCARD, PREPEND, FILTER, ... */
};

/* pd_tmpl_compile - parse src; -1 with err on an unknown ${name} */
int  pd_tmpl_compile(struct pd_tmpl *, const char *src, struct pd_err *);
/* pd_tmpl_clear - free what compile allocated; a zeroed tmpl is fine */
void pd_tmpl_clear(struct pd_tmpl *);
/*
 * pd_tmpl_render - append the text, with vars[i] for each ${name}
 * (NULL renders as "").  Output is cut at PD_TMPL_REPLY_MAX bytes.
 */
int  pd_tmpl_render(const struct pd_tmpl *, const char *const vars[PD_VAR_MAX],
     struct pd_buf *);
/* pd_tmpl_var - the index of a variable name, or -1 */
int  pd_tmpl_var(const char *name, size_t len);

/*
 * pd_tmpl_check_action - is src an action policyd may send?  Either
 * "4xx 4.x.x text" / "5xx 5.x.x text" with matching classes, or an
 * access(5) keyword; REJECT and DEFER need a text, since a bare one
 * makes Postfix say only "Access denied".
 */
int	       pd_tmpl_check_action(const char *src, struct pd_err *);
/* pd_tmpl_action - classify a rendered action */
enum pd_action pd_tmpl_action(const char *);
const char    *pd_action_name(enum pd_action);

#endif
