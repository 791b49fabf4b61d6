/* SPDX-License-Identifier: ISC */
/*
 * maillog_reply - the reply in a reject line, and whose fault a reject
 * or an authentication failure is.  Part of the maillog module: the
 * line framing and the programs' formats are in maillog.c.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "span.h"
#include "str.h"
#include "maillog.h"
#include "maillog_int.h"

/*
 * What smtpd_check.c puts between "<x>: " and the text, by
 * SMTPD_NAME_*: "Recipient address rejected: User unknown ...".
 */
static const char *const reject_names[] = {
	"Recipient address rejected: ",
	"Client host rejected: ",
	"Sender address rejected: ",
	"Helo command rejected: ",
	"Data command rejected: ",
	"End-of-data rejected: ",
	"Etrn command rejected: ",
	"Unverified Client host rejected: ",
	"Client certificate rejected: ",
	"SASL login name rejected: ",
};

/* set_reply_reason - "550 5.1.1 TEXT": the codes there are, the text */
static void
set_reply_reason(struct pd_maillog_line *out, const struct ml_reply *r)
{
	size_t n;

	n = (size_t)snprintf(out->reason, sizeof(out->reason), "%s%s%s%s",
	    out->code, *out->code ? " " : "", out->status,
	    *out->status ? " " : "");
	pd_str_sanitize(out->reason + n, sizeof(out->reason) - n, r->text,
	    (size_t)(r->end - r->text));
}

/*
 * ml_reply - "550 5.1.1 <x>: Recipient address rejected: TEXT; from=<..."
 * into code, status, reason and r.  cleanup's rejects omit the
 * three-digit code ("5.7.1 TEXT; ..."); code stays "" then, and the
 * status must be there.
 */
bool
ml_reply(struct pd_span *s, bool want_code, struct pd_maillog_line *out,
    struct ml_reply *r)
{
	struct pd_span t;
	const char    *p, *semi;
	size_t	       i;

	if (want_code) {
		if (pd_span_len(s) < 4 || (s->p[0] != '4' && s->p[0] != '5') ||
		    !pd_span_is_digit(s->p[1]) || !pd_span_is_digit(s->p[2]) ||
		    s->p[3] != ' ')
			return false;
		memcpy(out->code, s->p, 3);
		out->code[3] = '\0';
		s->p += 4;
	}
	/* The enhanced status code, "5.1.1 ", is optional after a code. */
	t = *s;
	if ((pd_span_eat_char(&t, '4') || pd_span_eat_char(&t, '5') ||
		pd_span_eat_char(&t, '2')) &&
	    pd_span_eat_char(&t, '.') && pd_span_number(&t) >= 0 &&
	    pd_span_eat_char(&t, '.') && pd_span_number(&t) >= 0 &&
	    pd_span_eat_char(&t, ' ') &&
	    (size_t)(t.p - 1 - s->p) < sizeof(out->status)) {
		memcpy(out->status, s->p, (size_t)(t.p - 1 - s->p));
		out->status[t.p - 1 - s->p] = '\0';
		s->p = t.p;
	} else if (!want_code)
		return false;
	/*
	 * "<user@example.com>: " or "<unknown[192.0.2.1]:4711>: ", skipped
	 * before looking for the ';': a quoted local part may hold one.
	 */
	if (s->p < s->e && *s->p == '<' && (p = pd_span_find(s, ">: ")) != NULL)
		s->p = p + 3;
	if ((semi = memchr(s->p, ';', pd_span_len(s))) == NULL)
		semi = s->e;
	r->name = -1;
	for (i = 0; i < sizeof(reject_names) / sizeof(reject_names[0]); i++)
		if (pd_span_starts(s->p, semi, reject_names[i])) {
			s->p += strlen(reject_names[i]);
			r->name = (int)i;
			break;
		}
	r->text = s->p;
	r->end = semi;
	set_reply_reason(out, r);
	return true;
}

/* contains_nocase - [p, e) holds lit (lower case), in any case */
static bool
contains_nocase(const char *p, const char *e, const char *lit)
{
	size_t n = strlen(lit);

	for (; (size_t)(e - p) >= n; p++) {
		size_t i;

		for (i = 0; i < n; i++)
			if ((p[i] | 0x20) != lit[i])
				break;
		if (i == n)
			return true;
	}
	return false;
}

/*
 * The texts of the server's own temporary failures, whatever their
 * code: smtpd_check.c (a table or the queue file system failing, the
 * default action of a policy service that does not answer), smtpd.c
 * and milter8.c (a milter that fails or answers tempfail).
 */
static const char *const server_texts[] = {
	"Server configuration problem",
	"Server configuration error",
	"Temporary lookup failure",
	"Temporary lookup error",
	"Insufficient system storage",
	"Server local data error",
	"Mail system error",
	"Service unavailable - try again later",
};

/*
 * ml_reject_blame - a permanent reject is the client's; a temporary one
 * with a mail system status (4.3.x) or one of the texts above is the
 * server's, and one that says greylisting is greylisting.
 */
enum pd_maillog_blame
ml_reject_blame(const struct pd_maillog_line *out, const struct ml_reply *r)
{
	if (out->code[0] != '4' &&
	    !(out->code[0] == '\0' && out->status[0] == '4'))
		return PD_ML_CLIENT;
	if (strncmp(out->status, "4.3.", 4) == 0)
		return PD_ML_SERVER;
	for (size_t i = 0; i < sizeof(server_texts) / sizeof(server_texts[0]);
	     i++)
		if (pd_span_starts(r->text, r->end, server_texts[i]))
			return PD_ML_SERVER;
	if (contains_nocase(r->text, r->end, "greylist") ||
	    contains_nocase(r->text, r->end, "graylist"))
		return PD_ML_GREYLIST;
	return PD_ML_CLIENT;
}

/*
 * ml_rcpt_refused - a reject at RCPT is of the recipient itself: a
 * recipient restriction ("Recipient address rejected: User unknown"),
 * relaying ("Relay access denied") or a milter.  The client, sender and
 * HELO restrictions that fire at RCPT (smtpd_delay_reject), and DNS
 * blocklists, reject something else.
 */
bool
ml_rcpt_refused(const struct ml_reply *r, bool milter)
{
	return milter || r->name == 0 ||
	    pd_span_starts(r->text, r->end, "Relay access denied");
}

/*
 * The reasons a SASL backend gives when it, not the password, failed:
 * Cyrus SASL's sasl_errstring() for the results Postfix takes as
 * temporary (xsasl_cyrus_server.c: SASL_FAIL, SASL_NOMEM, SASL_TRYAGAIN,
 * SASL_UNAVAIL; "generic failure" is saslauthd not answering) and for
 * no usable mechanism (SASL_NOMECH), and the texts of Postfix's Dovecot
 * client (xsasl_dovecot_server.c).
 */
static const char *const sasl_server_texts[] = {
	"generic failure",
	"no memory available",
	"memory shortage failure",
	"transient failure",
	"remote authentication server unavailable",
	"no mechanism available",
	"Connection lost to authentication server",
	"Can't connect to authentication server",
	"Authentication backend error",
};

/* ml_sasl_blame - an authentication failure's reason [p, e): whose? */
enum pd_maillog_blame
ml_sasl_blame(const char *p, const char *e)
{
	for (size_t i = 0;
	     i < sizeof(sasl_server_texts) / sizeof(sasl_server_texts[0]); i++)
		if (pd_span_starts(p, e, sasl_server_texts[i]))
			return PD_ML_SERVER;
	return PD_ML_CLIENT;
}
