/* SPDX-License-Identifier: ISC */
/*
 * maillog_int - what maillog.c and maillog_reply.c share; nothing
 * outside the maillog module includes it.
 */
#ifndef PD_MAILLOG_INT_H
#define PD_MAILLOG_INT_H

#include <stdbool.h>

#include "span.h"
#include "maillog.h"

/* A reply's text, after the codes and the name of what was rejected. */
struct ml_reply {
	const char *text, *end; /* up to the first ';' */
	int	    name;	/* index into the reject names, or -1 */
};

/*
 * ml_reply - "550 5.1.1 <x>: Recipient address rejected: TEXT; ..."
 * into out's code, status and reason, and r; without want_code the
 * three-digit code is absent and the status required (cleanup)
 */
bool ml_reply(struct pd_span *, bool want_code, struct pd_maillog_line *out,
    struct ml_reply *r);
/* ml_reject_blame - whose a reject with reply r and out's codes is */
enum pd_maillog_blame ml_reject_blame(const struct pd_maillog_line *out,
    const struct ml_reply					   *r);
/* ml_rcpt_refused - a reject at RCPT refused the recipient itself */
bool		      ml_rcpt_refused(const struct ml_reply *r, bool milter);
/* ml_sasl_blame - whose an authentication failure with reason [p, e) is */
enum pd_maillog_blame ml_sasl_blame(const char *p, const char *e);

#endif
