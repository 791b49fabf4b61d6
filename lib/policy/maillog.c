/* SPDX-License-Identifier: ISC */
/*
 * maillog - parse the Postfix lines policyd counts.
 *
 * A line is "STAMP HOST PROGRAM[PID]: MESSAGE".  Three programs matter:
 * smtpd, whatever its syslog_name ("postfix/smtpd",
 * "postfix/submission/smtpd", "postfix-out/smtpd"); cleanup, which logs
 * the milter reject at end of message and the header and body check
 * rejects; and master, which says when a service is at its process
 * limit.  postscreen is not smtpd:
 * its CONNECT lines precede smtpd's own "connect from" for the clients it
 * passes, and its rejects are its own verdicts on clients that never
 * reached smtpd, so all its lines are NONE.
 *
 * The formats are Postfix 3.7's (smtpd.c, smtpd_check.c log_whatsup(),
 * smtpd_sasl_glue.c, cleanup_milter.c, cleanup_message.c
 * cleanup_act_log(), master_avail.c).  Each message is matched by
 * literal prefixes at fixed positions, and the client is always taken
 * from the position Postfix puts it in, before any text a client
 * controls: a client that writes "from unknown[192.0.2.1]" into its
 * subject must not get that address counted.
 *
 * Only the client's own errors are its events.  A reject or failure
 * that is the server's (its policy service, a table, a milter or the
 * SASL backend failing, storage running out, greylisting) is blamed on
 * the server; the engine counts none of those for the client.
 *
 * Every read is bounded by the line's end; the line needs no NUL.
 */
#include <fnmatch.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "event.h"
#include "span.h"
#include "stamp.h"
#include "str.h"
#include "maillog.h"
#include "maillog_int.h"

/* Longest host and program names taken; longer ones are not Postfix's. */
#define HOST_MAX 255
#define PROG_MAX 64

enum program {
	PROG_OTHER,
	PROG_SMTPD,
	PROG_CLEANUP,
	PROG_MASTER,
};

/* ends_with - the n bytes at p end in lit */
static bool
ends_with(const char *p, size_t n, const char *lit)
{
	size_t k = strlen(lit);

	return n >= k && memcmp(p + n - k, lit, k) == 0;
}

/* The syslog names Debian's Postfix writes: postfix, postfix-INSTANCE. */
static const char *const default_names[] = { "postfix", "postfix-*" };

/*
 * postfix_name - the program name's syslog_name part, up to its first
 * '/', is one of Postfix's: names' patterns (fnmatch), or the defaults
 */
static bool
postfix_name(const char *name, size_t n, const struct pd_strlist *names)
{
	const char *slash = memchr(name, '/', n);
	char	    first[PROG_MAX + 1];
	size_t	    count = names ? names->n : 2;

	if (slash == NULL || slash == name)
		return false;
	memcpy(first, name, (size_t)(slash - name));
	first[slash - name] = '\0';
	for (size_t i = 0; i < count; i++)
		if (fnmatch(names ? names->v[i] : default_names[i], first, 0) ==
		    0)
			return true;
	return false;
}

/*
 * header - skip "HOST PROGRAM[PID]: " (or "PROGRAM: ") and say which
 * program it is.  Postfix names itself syslog_name/service, and
 * syslog_name is "postfix" unless the site or an instance set another
 * ("postfix/submission", "postfix-out": postmulti wants instance names
 * to start "postfix-"); a bare "smtpd" is OpenSMTPD's.
 */
static int
header(struct pd_span *s, const struct pd_strlist *names, enum program *prog)
{
	const char *host, *name, *p;
	size_t	    n;

	host = s->p;
	p = memchr(host, ' ',
	    pd_span_len(s) < HOST_MAX + 1 ? pd_span_len(s) : HOST_MAX + 1);
	if (p == NULL || p == host)
		return -1;
	s->p = name = p + 1;
	for (p = name; p < s->e && p - name <= PROG_MAX; p++)
		if (*p == '[' || *p == ':' || *p == ' ')
			break;
	if (p == name || p == s->e || *p == ' ' || p - name > PROG_MAX)
		return -1;
	n = (size_t)(p - name);
	s->p = p;
	if (pd_span_eat_char(s, '[')) {
		if (pd_span_number(s) < 0 || !pd_span_eat_char(s, ']'))
			return -1;
	}
	if (!pd_span_eat(s, ": "))
		return -1;
	*prog = PROG_OTHER;
	if (postfix_name(name, n, names)) {
		if (ends_with(name, n, "/smtpd"))
			*prog = PROG_SMTPD;
		else if (ends_with(name, n, "/cleanup"))
			*prog = PROG_CLEANUP;
		else if (ends_with(name, n, "/master"))
			*prog = PROG_MASTER;
	}
	return 0;
}

/*
 * client - "NAME[ADDR]" with an optional ":PORT" (Postfix 3.5 and later
 * with smtpd_client_port_logging).  NAME is a validated host name or
 * "unknown", so it holds no '[' or blank.  "unknown[unknown]" fails.
 */
static bool
client(struct pd_span *s, bool port, struct pd_addr *a)
{
	char	    buf[PD_ADDR_STRLEN];
	const char *p, *lb = NULL, *rb;
	size_t	    n;

	for (p = s->p; p < s->e && p - s->p <= HOST_MAX; p++) {
		if (*p == '[') {
			lb = p;
			break;
		}
		if (*p == ' ' || *p == ']')
			return false;
	}
	if (lb == NULL || lb == s->p)
		return false;
	n = (size_t)(s->e - (lb + 1));
	if ((rb = memchr(lb + 1, ']', n < sizeof(buf) ? n : sizeof(buf))) ==
	    NULL)
		return false;
	n = (size_t)(rb - (lb + 1));
	/* inet_pton() would stop at a NUL: the bytes must all be address. */
	for (size_t i = 0; i < n; i++) {
		char c = lb[1 + i];

		if (!pd_span_is_digit(c) && !(c >= 'a' && c <= 'f') &&
		    !(c >= 'A' && c <= 'F') && c != '.' && c != ':')
			return false;
	}
	memcpy(buf, lb + 1, n);
	buf[n] = '\0';
	if (pd_addr_parse(buf, a) < 0)
		return false;
	s->p = rb + 1;
	if (port && s->p + 1 < s->e && s->p[0] == ':' &&
	    pd_span_is_digit(s->p[1])) {
		s->p++;
		if (pd_span_number(s) < 0)
			return false;
	}
	return true;
}

/* set_reason - the sanitised bytes [p, e) */
static void
set_reason(struct pd_maillog_line *out, const char *p, const char *e)
{
	pd_str_sanitize(out->reason, sizeof(out->reason), p, (size_t)(e - p));
}

/* set_after - a command name such as "RCPT" or "END-OF-MESSAGE" */
static bool
set_after(struct pd_maillog_line *out, const char *p, size_t n)
{
	if (n == 0 || n >= sizeof(out->after))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || p[i] == '-'))
			return false;
	memcpy(out->after, p, n);
	out->after[n] = '\0';
	return true;
}

/*
 * smtpd_reject - after "QUEUEID: ": "reject: RCPT from CLIENT: REPLY" and
 * "milter-reject: ..." (log_whatsup() and the smtpd milter replies).
 * reject_warning, hold, discard and the CONNECT, HELO and MAIL stages
 * are not counted.
 */
static void
smtpd_reject(struct pd_span *s, struct pd_maillog_line *out)
{
	static const struct {
		const char	    *stage; /* with " from " */
		enum pd_maillog_kind kind;
	} stages[] = {
		{ "RCPT from ", PD_ML_RCPT_REJECT },
		{ "DATA from ", PD_ML_DATA_REJECT },
		{ "END-OF-MESSAGE from ", PD_ML_DATA_REJECT },
		{ "BDAT from ", PD_ML_DATA_REJECT },
	};
	struct ml_reply r;
	bool		milter = false;
	size_t		i;

	if (!pd_span_eat(s, "reject: ")) {
		if (!pd_span_eat(s, "milter-reject: "))
			return;
		milter = true;
	}
	for (i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		if (pd_span_eat(s, stages[i].stage))
			break;
	if (i == sizeof(stages) / sizeof(stages[0]))
		return;
	if (!client(s, true, &out->client) || !pd_span_eat(s, ": ") ||
	    !ml_reply(s, true, out, &r))
		return;
	set_after(out, stages[i].stage, strlen(stages[i].stage) - 6);
	out->kind = stages[i].kind;
	out->blame = ml_reject_blame(out, &r);
	if (out->kind == PD_ML_RCPT_REJECT && out->blame == PD_ML_CLIENT &&
	    !ml_rcpt_refused(&r, milter))
		out->blame = PD_ML_OTHER;
}

/*
 * drop - "lost connection after RCPT from CLIENT", "timeout after DATA
 * (17 bytes) from CLIENT", "too many errors after UNKNOWN from CLIENT".
 */
static bool
drop(struct pd_span *s, struct pd_maillog_line *out)
{
	static const char *const why[] = {
		"lost connection after ",
		"timeout after ",
		"too many errors after ",
	};
	const char *w;
	size_t	    i;

	for (i = 0; i < sizeof(why) / sizeof(why[0]); i++)
		if (pd_span_eat(s, why[i]))
			break;
	if (i == sizeof(why) / sizeof(why[0]))
		return false;
	w = s->p;
	while (s->p < s->e && *s->p != ' ' && s->p - w < 16)
		s->p++;
	if (!set_after(out, w, (size_t)(s->p - w)))
		return true;
	/* DATA and BDAT add the byte count: "(17 bytes)". */
	if (pd_span_eat(s, " (")) {
		if (pd_span_number(s) < 0 || !pd_span_eat(s, " bytes)"))
			return true;
	}
	if (!pd_span_eat(s, " from ") || !client(s, true, &out->client))
		return true;
	/* the reason is the prefix without " after " */
	set_reason(out, why[i], why[i] + strlen(why[i]) - 7);
	out->kind = PD_ML_DROP;
	return true;
}

/*
 * disconnect_counts - " ehlo=2 mail=1 rcpt=1/3 data=1 commands=6/9":
 * "name=ok" when every such command succeeded, "name=ok/all" otherwise
 * (smtpd_format_cmd_stats()).
 */
static void
disconnect_counts(struct pd_span *s, struct pd_maillog_line *out)
{
	static const char *const names[] = { "rcpt=", "data=", "auth=" };
	int   *ok[] = { &out->rcpt_ok, &out->data_ok, &out->auth_ok };
	int   *all[] = { &out->rcpt_all, &out->data_all, &out->auth_all };
	size_t i;
	int    a, b;

	while (pd_span_eat_char(s, ' ')) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (pd_span_eat(s, names[i]))
				break;
		if (i < sizeof(names) / sizeof(names[0]) &&
		    (a = pd_span_number(s)) >= 0) {
			b = a;
			if (pd_span_eat_char(s, '/') &&
			    (b = pd_span_number(s)) < 0)
				b = -1;
			if (b >= 0 && (s->p == s->e || *s->p == ' ')) {
				*ok[i] = a;
				*all[i] = b;
			}
		}
		while (s->p < s->e && *s->p != ' ')
			s->p++;
	}
}

/*
 * auth_fail - "warning: CLIENT: SASL LOGIN authentication failed:
 * REASON, sasl_username=USER" (", sasl_username=" since 3.7.8; older
 * versions end with the reason).  "authentication aborted" is the client
 * giving up, not a wrong password: not counted.  XXX Dovecot's own
 * temporary failures reach Postfix 3.7 as a plain FAIL, logged as
 * "(reason unavailable)" like a wrong password.
 */
static void
auth_fail(struct pd_span *s, struct pd_maillog_line *out)
{
	const char *p, *end;

	if (!client(s, true, &out->client) || !pd_span_eat(s, ": SASL "))
		return;
	p = s->p;
	while (s->p < s->e && *s->p != ' ' && s->p - p < 32)
		s->p++;
	if (s->p == p || !pd_span_eat(s, " authentication failed: "))
		return;
	if ((end = pd_span_find(s, ", sasl_username=")) == NULL)
		end = s->e;
	set_reason(out, s->p, end);
	out->kind = PD_ML_AUTH_FAIL;
	out->blame = ml_sasl_blame(s->p, end);
}

/* queue_id - "NOQUEUE: " or "4Kq8X45Qvtz9vxW: " (short or long ids) */
static bool
queue_id(struct pd_span *s)
{
	const char *p = s->p;

	while (s->p < s->e && s->p - p <= 32 &&
	    ((*s->p >= '0' && *s->p <= '9') || (*s->p >= 'A' && *s->p <= 'Z') ||
		(*s->p >= 'a' && *s->p <= 'z')))
		s->p++;
	return s->p > p && pd_span_eat(s, ": ");
}

/*
 * smtpd_line - the message of an smtpd line.  The fixed prefixes come
 * first; anything else may start with a queue id, and a long queue id
 * ("4Kq8X45Qvtz9vxW") may begin with any letter, so it is tried last.
 */
static void
smtpd_line(struct pd_span *s, struct pd_maillog_line *out)
{
	if (pd_span_eat(s, "connect from ")) {
		if (client(s, true, &out->client))
			out->kind = PD_ML_CONNECT;
	} else if (pd_span_eat(s, "disconnect from ")) {
		if (client(s, true, &out->client)) {
			disconnect_counts(s, out);
			out->kind = PD_ML_DISCONNECT;
		}
	} else if (pd_span_eat(s, "warning: ")) {
		auth_fail(s, out);
	} else if (!drop(s, out) && queue_id(s)) {
		smtpd_reject(s, out);
	}
}

/* host_name - [p, e) starts with a host name and then '[' */
static bool
host_name(const char *p, const char *e)
{
	const char *q;

	for (q = p; q < e && q - p <= HOST_MAX; q++) {
		if (*q == '[')
			return q > p;
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
			pd_span_is_digit(*q) || *q == '.' || *q == '-' ||
			*q == '_'))
			return false;
	}
	return false;
}

/*
 * content_client - the client of a header or body check reject: "TEXT
 * from NAME[ADDR]:PORT; from=<...> ...".  TEXT is the message's (up to
 * 200 bytes), and the sender and recipient after it are the client's
 * too, so any of them may hold a " from NAME[ADDR];" of its own.  The
 * real one is always there, so every candidate must name the same
 * address: a client can hide itself that way, but never get another
 * counted.  A message that came in by no SMTP client ("from local;"
 * from pickup, "from unknown;" when cleanup has no origin) names its
 * sender's candidates only: none counts.  Returns where the last
 * candidate ends, or NULL.
 */
static const char *
content_client(const struct pd_span *s, struct pd_maillog_line *out)
{
	struct pd_span f = *s, t;
	struct pd_addr a;
	const char    *p, *last = NULL;

	while ((p = pd_span_find(&f, " from ")) != NULL) {
		f.p = p + 1;
		t.p = p + 6;
		t.e = s->e;
		if (pd_span_starts(t.p, t.e, "local;") ||
		    pd_span_starts(t.p, t.e, "unknown;"))
			return NULL;
		if (!host_name(t.p, t.e) || !client(&t, true, &a) ||
		    !pd_span_eat_char(&t, ';'))
			continue;
		if (last != NULL && memcmp(&a, &out->client, sizeof(a)) != 0)
			return NULL;
		out->client = a;
		last = t.p;
	}
	return last;
}

/*
 * content_reject - after "QUEUEID: reject: ": "header TEXT from
 * CLIENT; from=<...> to=<...> proto=ESMTP helo=<...>: 5.7.1 REPLY",
 * and the same for body (cleanup_act_log()).  The reply comes last:
 * its status is the last ": D.D.D " of the line.
 */
static void
content_reject(struct pd_span *s, struct pd_maillog_line *out)
{
	static const char *const classes[] = { "header ", "body ", "content " };
	struct pd_span		 t;
	struct ml_reply		 r;
	const char		*p, *st = NULL;
	size_t			 i;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (pd_span_eat(s, classes[i]))
			break;
	if (i == sizeof(classes) / sizeof(classes[0]) ||
	    (s->p = content_client(s, out)) == NULL)
		return;
	t = *s;
	while ((p = pd_span_find(&t, ": ")) != NULL) {
		t.p = p + 2;
		if (t.p < t.e && (*t.p == '4' || *t.p == '5') &&
		    t.p + 1 < t.e && t.p[1] == '.')
			st = t.p;
	}
	if (st == NULL)
		return;
	t.p = st;
	if (!ml_reply(&t, false, out, &r))
		return;
	set_after(out, "END-OF-MESSAGE", 14);
	out->kind = PD_ML_DATA_REJECT;
	out->blame = ml_reject_blame(out, &r);
}

/*
 * cleanup_line - "QUEUEID: milter-reject: END-OF-MESSAGE from
 * NAME[ADDR]: 5.7.1 TEXT; from=<...>" (cleanup_milter_apply(): no port,
 * no three-digit code), and the header and body check rejects.
 */
static void
cleanup_line(struct pd_span *s, struct pd_maillog_line *out)
{
	struct ml_reply r;

	if (!queue_id(s))
		return;
	if (pd_span_eat(s, "reject: ")) {
		content_reject(s, out);
		return;
	}
	if (!pd_span_eat(s, "milter-reject: END-OF-MESSAGE from ") ||
	    !client(s, false, &out->client) || !pd_span_eat(s, ": ") ||
	    !ml_reply(s, false, out, &r))
		return;
	set_after(out, "END-OF-MESSAGE", 14);
	out->kind = PD_ML_DATA_REJECT;
	out->blame = ml_reject_blame(out, &r);
}

/*
 * master_line - "warning: service "smtp" (25) has reached its process
 * limit "100": new clients may experience noticeable delays".  Logged
 * at most every 1000s while a public service is busy, which runs its
 * new processes in stress mode (shorter timeouts, fewer errors allowed)
 * for 1000s after (master_avail.c).
 */
static void
master_line(struct pd_span *s, struct pd_maillog_line *out)
{
	if (pd_span_eat(s, "warning: service \"") &&
	    pd_span_find(s, " has reached its process limit \"") != NULL)
		out->kind = PD_ML_BUSY;
}

int
pd_maillog_parse(const char *line, size_t len, int64_t now, long tz_offset,
    struct pd_maillog_line *out)
{
	return pd_maillog_parse_as(line, len, now, tz_offset, NULL, out);
}

int
pd_maillog_parse_as(const char *line, size_t len, int64_t now, long tz_offset,
    const struct pd_strlist *names, struct pd_maillog_line *out)
{
	struct pd_span s = { line, line + len };
	enum program   prog;
	int	       rc;

	memset(out, 0, sizeof(*out));
	out->kind = PD_ML_NONE;
	out->rcpt_ok = out->rcpt_all = -1;
	out->data_ok = out->data_all = -1;
	out->auth_ok = out->auth_all = -1;
	if (len == 0)
		return -1;
	if (pd_span_is_digit(*line))
		rc = pd_stamp_rfc3339(&s, &out->time);
	else
		rc = pd_stamp_traditional(&s, now, tz_offset, &out->time);
	if (rc < 0 || header(&s, names, &prog) < 0) {
		out->time = 0;
		return -1;
	}
	if (prog == PROG_SMTPD)
		smtpd_line(&s, out);
	else if (prog == PROG_CLEANUP)
		cleanup_line(&s, out);
	else if (prog == PROG_MASTER)
		master_line(&s, out);
	/* A half-matched line leaves no half-filled fields behind. */
	if (out->kind == PD_ML_NONE) {
		int64_t t = out->time;

		memset(out, 0, sizeof(*out));
		out->time = t;
		out->rcpt_ok = out->rcpt_all = -1;
		out->data_ok = out->data_all = -1;
		out->auth_ok = out->auth_all = -1;
	}
	return 0;
}

static const char *const kind_names[PD_ML_MAX] = {
	[PD_ML_NONE] = "none",
	[PD_ML_CONNECT] = "connect",
	[PD_ML_RCPT_REJECT] = "rcpt_reject",
	[PD_ML_AUTH_FAIL] = "auth_fail",
	[PD_ML_DATA_REJECT] = "data_reject",
	[PD_ML_DROP] = "drop",
	[PD_ML_DISCONNECT] = "disconnect",
	[PD_ML_BUSY] = "busy",
};

const char *
pd_maillog_kind_name(enum pd_maillog_kind k)
{
	if ((unsigned)k >= PD_ML_MAX)
		return "?";
	return kind_names[k];
}

bool
pd_maillog_event(const struct pd_maillog_line *ml, enum pd_event_type *type)
{
	static const enum pd_event_type client_events[PD_ML_MAX] = {
		[PD_ML_CONNECT] = PD_EV_LOG_CONNECTION,
		[PD_ML_RCPT_REJECT] = PD_EV_RCPT_REJECTED,
		[PD_ML_AUTH_FAIL] = PD_EV_AUTH_FAILED,
		[PD_ML_DATA_REJECT] = PD_EV_DATA_REJECTED,
		[PD_ML_DROP] = PD_EV_DROPPED,
	};

	switch (ml->kind) {
	case PD_ML_NONE:
	case PD_ML_DISCONNECT:
	case PD_ML_MAX:
		return false;
	case PD_ML_BUSY:
		*type = PD_EV_SERVER_DEFER;
		return true;
	default:
		break;
	}
	switch (ml->blame) {
	case PD_ML_CLIENT:
		*type = client_events[ml->kind];
		return true;
	case PD_ML_SERVER:
	case PD_ML_GREYLIST:
		*type = PD_EV_SERVER_DEFER;
		return true;
	case PD_ML_OTHER:
		break;
	}
	return false;
}
