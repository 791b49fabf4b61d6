/* SPDX-License-Identifier: ISC */
/*
 * out - what policydctl prints: the same records as text for people or
 * as JSON for scripts, written once by each command.
 *
 * A command opens objects and lists and adds named values.  As text, a
 * top-level value is a "name  value" line and an object inside a list
 * is one line of name=value pairs, in the style of policyd's log lines,
 * so that "policydctl list | grep" works.  As JSON the same calls give
 * one document.
 *
 *	pd_out_str(o, "address", "203.0.113.9");
 *	pd_out_list(o, "counters");
 *	pd_out_open(o);  pd_out_str(o, "rule", "connections"); ...
 *	pd_out_close(o);
 *	pd_out_end(o);
 */
#ifndef PD_OUT_H
#define PD_OUT_H

#include <stdbool.h>
#include <stdint.h>

struct pd_buf;

#define PD_OUT_DEPTH 8

struct pd_out {
	struct pd_buf *b; /* borrowed */
	bool	       json;
	int	       depth;
	bool	       list[PD_OUT_DEPTH]; /* this level is a list */
	bool	       more[PD_OUT_DEPTH]; /* a value came before */
};

/* pd_out_init - start a document (a JSON object) in b */
void pd_out_init(struct pd_out *, struct pd_buf *, bool json);
/* pd_out_finish - end the document */
void pd_out_finish(struct pd_out *);
/* pd_out_list - a named list; items are objects opened with pd_out_open */
void pd_out_list(struct pd_out *, const char *name);
void pd_out_end(struct pd_out *);
/* pd_out_open - an object, as an item of the current list */
void pd_out_open(struct pd_out *);
void pd_out_close(struct pd_out *);

void pd_out_str(struct pd_out *, const char *name, const char *value);
void pd_out_int(struct pd_out *, const char *name, long long);
/* pd_out_time - epoch ms as UTC ISO 8601; nothing when 0 */
void pd_out_time(struct pd_out *, const char *name, int64_t ms);
/* pd_out_duration - ms as "1h30m" in text, as seconds in JSON */
void pd_out_duration(struct pd_out *, const char *name, int64_t ms);

#endif
