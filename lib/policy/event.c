/* SPDX-License-Identifier: ISC */
/*
 * event - names of event and key types, as the config spells them, and
 * the reply code lists of reject rules.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "event.h"

static const char *const event_names[] = {
	[PD_EV_CONNECTION] = "connection",
	[PD_EV_HELO] = "helo",
	[PD_EV_MAIL] = "mail",
	[PD_EV_RCPT] = "rcpt",
	[PD_EV_DATA] = "data",
	[PD_EV_MESSAGE] = "message",
	[PD_EV_LOG_CONNECTION] = "log_connection",
	[PD_EV_RCPT_REJECTED] = "rcpt_rejected",
	[PD_EV_AUTH_FAILED] = "auth_failed",
	[PD_EV_DATA_REJECTED] = "data_rejected",
	[PD_EV_DROPPED] = "dropped",
	[PD_EV_SERVER_DEFER] = "server_defer",
};

static const char *const key_names[] = {
	[PD_KEY_CLIENT_ADDRESS] = "client_address",
	[PD_KEY_CLIENT_PREFIX] = "client_prefix",
	[PD_KEY_SASL_USERNAME] = "sasl_username",
	[PD_KEY_SENDER_DOMAIN] = "sender_domain",
	[PD_KEY_ASN] = "asn",
	[PD_KEY_COUNTRY] = "country",
};

/*
 * A type added to the enum needs its name here.  The size checks catch
 * a name missing at the end; the asserts below, one missing between.
 */
#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))
_Static_assert(NITEMS(event_names) == PD_EV_MAX, "a name for each event");
_Static_assert(NITEMS(key_names) == PD_KEY_MAX, "a name for each key");

static int
lookup(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		assert(names[i] != NULL);
		if (strcmp(s, names[i]) == 0)
			return i;
	}
	return -1;
}

const char *
pd_event_name(enum pd_event_type t)
{
	assert((unsigned)t < PD_EV_MAX && event_names[t] != NULL);
	return event_names[t];
}

int
pd_event_lookup(const char *s)
{
	return lookup(s, event_names, PD_EV_MAX);
}

int
pd_key_lookup(const char *s)
{
	return lookup(s, key_names, PD_KEY_MAX);
}

/*
 * What a rule counts when it names no codes.  Rejected recipients:
 * every permanent reject, and the 454 4.7.1 "Relay access denied" of
 * Postfix's default defer_unauth_destination; other temporary rejects
 * (an address being verified, a domain DNS cannot find just now) may
 * pass on their own.  Rejected messages: every permanent reject.
 */
static const char *const codes_default[PD_EV_MAX] = {
	[PD_EV_RCPT_REJECTED] = "5xx, 454 4.7.1",
	[PD_EV_DATA_REJECTED] = "5xx",
};

const char *
pd_codes_default(enum pd_event_type t)
{
	assert((unsigned)t < PD_EV_MAX);
	return codes_default[t];
}

/* code_word - "550" or "5xx": 4 or 5, then digits or x */
static bool
code_word(const char *w, size_t n, char code[4])
{
	if (n != 3 || (w[0] != '4' && w[0] != '5'))
		return false;
	for (size_t i = 1; i < 3; i++)
		if (w[i] != 'x' && (w[i] < '0' || w[i] > '9'))
			return false;
	memcpy(code, w, 3);
	code[3] = '\0';
	return true;
}

/*
 * status_part - one number of an enhanced status code: 1 to 3 digits
 * (RFC 3463), or x when wild; advances *w.  -2 when neither.
 */
static int
status_part(const char **w, const char *e, bool wild)
{
	const char *p = *w;
	int	    v = 0;

	if (wild && p < e && *p == 'x') {
		*w = p + 1;
		return -1;
	}
	while (p < e && *p >= '0' && *p <= '9' && p - *w < 3)
		v = v * 10 + (*p++ - '0');
	if (p == *w || (p < e && *p >= '0' && *p <= '9'))
		return -2;
	*w = p;
	return v;
}

/* status_word - "5.1.1", "5.7.x", "x.1.1" into st; the class 4 or 5 */
static bool
status_word(const char *w, size_t n, bool wild, int st[3])
{
	const char *e = w + n;

	for (int i = 0; i < 3; i++) {
		if (i > 0 && (w == e || *w++ != '.'))
			return false;
		if ((st[i] = status_part(&w, e, wild)) == -2)
			return false;
	}
	return w == e && (st[0] == -1 || st[0] == 4 || st[0] == 5);
}

/* code_entry - one entry, blanks trimmed, into pat */
static int
code_entry(const char *w, size_t n, struct pd_code_pat *pat, struct pd_err *err)
{
	const char *sp;
	size_t	    n1;

	memset(pat, 0, sizeof(*pat));
	if (n > 0 && *w == '!') {
		pat->not = true;
		w++;
		n--;
	}
	sp = memchr(w, ' ', n);
	n1 = sp ? (size_t)(sp - w) : n;
	if (sp == NULL && memchr(w, '.', n) != NULL)
		pat->has_status = status_word(w, n, true, pat->status);
	else if (code_word(w, n1, pat->code) && sp != NULL) {
		while (sp < w + n && *sp == ' ')
			sp++;
		pat->has_status =
		    status_word(sp, (size_t)(w + n - sp), true, pat->status);
		/* A second word must be the status: else the entry is bad. */
		if (!pat->has_status)
			pat->code[0] = '\0';
	}
	if (!pat->has_status && pat->code[0] == '\0')
		return pd_err_set(err,
		    "\"%.*s\" is not a reply code (550, 5xx), an "
		    "enhanced status code (5.1.1, 5.7.x) or both (454 4.7.1)",
		    (int)n, w);
	if (pat->code[0] && pat->has_status && pat->status[0] != -1 &&
	    pat->code[0] - '0' != pat->status[0])
		return pd_err_set(err,
		    "in \"%.*s\" the reply code and the status "
		    "code disagree",
		    (int)n, w);
	return 0;
}

int
pd_codes_parse(struct pd_codes *c, const char *text, struct pd_err *err)
{
	const char *p = text, *q, *e;
	bool	    counts = false;

	pd_codes_free(c);
	if ((c->v = calloc(PD_CODES_MAX, sizeof(*c->v))) == NULL)
		return pd_err_set(err, "out of memory");
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		q = p + strcspn(p, ",");
		for (e = q; e > p && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		if (c->n == PD_CODES_MAX) {
			pd_codes_free(c);
			return pd_err_set(err, "more than %d entries",
			    PD_CODES_MAX);
		}
		if (code_entry(p, (size_t)(e - p), &c->v[c->n], err) < 0) {
			pd_codes_free(c);
			return -1;
		}
		counts |= !c->v[c->n++].not ;
		p = q;
	}
	if (!counts) {
		pd_codes_free(c);
		return pd_err_set(err,
		    "nothing to count (an empty list, or only "
		    "exclusions)");
	}
	return 0;
}

void
pd_codes_free(struct pd_codes *c)
{
	free(c->v);
	c->v = NULL;
	c->n = 0;
}

/* reply_codes - the leading "550 " and "5.1.1 " of a reply, if there */
static void
reply_codes(const char *r, char code[4], int st[3], bool *has_status)
{
	size_t n;

	code[0] = '\0';
	if (strspn(r, "0123456789") == 3 && r[3] == ' ') {
		memcpy(code, r, 3);
		code[3] = '\0';
		r += 4;
	}
	n = strcspn(r, " ");
	*has_status = status_word(r, n, false, st);
}

/* pat_match - one entry against the reply's codes */
static bool
pat_match(const struct pd_code_pat *pat, const char *code, const int st[3],
    bool has_status)
{
	if (pat->code[0] && code[0]) {
		for (int i = 0; i < 3; i++)
			if (pat->code[i] != 'x' && pat->code[i] != code[i])
				return false;
	} else if (pat->code[0]) {
		/* No reply code (cleanup): "5xx" goes by the class. */
		if (pat->code[1] != 'x' || pat->code[2] != 'x' || !has_status ||
		    st[0] != pat->code[0] - '0')
			return false;
	}
	if (pat->has_status) {
		if (!has_status)
			return false;
		for (int i = 0; i < 3; i++)
			if (pat->status[i] != -1 && pat->status[i] != st[i])
				return false;
	}
	return true;
}

bool
pd_codes_match(const struct pd_codes *c, const char *reply)
{
	char code[4];
	int  st[3];
	bool has_status;

	reply_codes(reply, code, st, &has_status);
	if (code[0] == '\0' && !has_status)
		return false;
	for (size_t i = 0; i < c->n; i++)
		if (pat_match(&c->v[i], code, st, has_status))
			return !c->v[i].not ;
	return false;
}
