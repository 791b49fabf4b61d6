/* SPDX-License-Identifier: ISC */
/*
 * check_session - events from policy requests, once per SMTP session,
 * for the request sequences Postfix sends wherever check_policy_service
 * is placed.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "err.h"
#include "event.h"
#include "proto.h"
#include "session.h"
#include "testutil.h"


#define CONN	(1u << PD_EV_CONNECTION)
#define HELO	(1u << PD_EV_HELO)
#define MAIL	(1u << PD_EV_MAIL)
#define RCPT	(1u << PD_EV_RCPT)
#define DATA	(1u << PD_EV_DATA)
#define MSG	(1u << PD_EV_MESSAGE)
#define FIRST	(CONN | HELO | MAIL | RCPT)

/* The table under test, and a parser for recorded requests. */
static struct pd_sessions sess;
/* Where the engine keeps what it looked up; not used here. */
static struct pd_session_geo *geo;
static struct pd_proto proto;

static void
setup(void)
{
	ck_assert_int_eq(pd_sessions_init(&sess, PD_SESSION_MAX), 0);
	pd_proto_init(&proto);
	tu_log_capture();
}

static void
teardown(void)
{
	pd_sessions_clear(&sess);
	pd_proto_clear(&proto);
}

/* evstr - "connection|helo" for a mask, "none" for 0 */
static const char *
evstr(unsigned ev, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < PD_EV_MAX; i++)
		if (ev & (1u << i))
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
			    off ? "|" : "", pd_event_name(i));
	if (off == 0)
		snprintf(buf, len, "none");
	return buf;
}

/* assert_events - got and want masks agree; step counts from 1 */
static void
assert_events(const char *name, int step, unsigned got, unsigned want)
{
	char g[80], w[80];

	ck_assert_msg(got == want, "%s: request %d: got %s, want %s", name,
	    step, evstr(got, g, sizeof(g)), evstr(want, w, sizeof(w)));
}

/*
 * One policy request, built by hand: NULL leaves the attribute out, ""
 * sends it empty, as Postfix does for what it does not know yet.  The
 * requests of a sequence are STEP ms apart.
 */
#define STEP	100

struct step {
	const char	*state;
	const char	*addr;
	const char	*port;
	const char	*helo;
	const char	*inst;
	const char	*rcpt;
	unsigned	 want;
};

/* ask - the events of one request at now */
static unsigned
ask(const struct step *st, int64_t now)
{
	struct pd_req r;

	memset(&r, 0, sizeof(r));
	r.attr[PD_A_REQUEST] = "smtpd_access_policy";
	r.attr[PD_A_PROTOCOL_STATE] = st->state;
	r.attr[PD_A_CLIENT_ADDRESS] = st->addr;
	r.attr[PD_A_CLIENT_PORT] = st->port;
	r.attr[PD_A_HELO_NAME] = st->helo;
	r.attr[PD_A_INSTANCE] = st->inst;
	r.attr[PD_A_RECIPIENT] = st->rcpt;
	return pd_sessions_events(&sess, &r, now, &geo);
}

#define A1	"192.0.2.10"
#define A2	"198.51.100.20"
#define P1	"50000"
#define P2	"50001"
#define H1	"mx.example.net"
#define H2	"mail.example.org"
#define I1	"1a2b.6b040779.299ae.0"
#define I2	"1a2b.6b040779.3ce61.1"
/* Instances as smtpd writes them: pid.sec.usec.seqno, seqno from 0 in
 * each session; sessions 1-5 one after another in the same process. */
#define S1	"3654.6b040779.285b5.0"
#define S1B	"3654.6b04077a.1f02.1"
#define S2	"3654.6b04077a.8c3e1.0"
#define S3	"3654.6b04077b.1a2.0"
#define S4	"3654.6b04077b.4b9f0.0"
#define S5	"3654.6b04077c.77.0"
/* ...and in another smtpd process */
#define Q1	"3655.6b04077a.9d0e4.0"
#define Q1B	"3655.6b04077a.a1f00.1"
#define U1	"u1@example.com"
#define U2	"u2@example.com"
#define U3	"u3@example.com"

static const struct {
	const char	*name;
	struct step	 steps[16];	/* until one without state */
} seq_cases[] = {
	{ "recipient restrictions, three recipients", {
		{ "RCPT", A1, P1, H1, I1, U1, FIRST },
		{ "RCPT", A1, P1, H1, I1, U2, RCPT },
		{ "RCPT", A1, P1, H1, I1, U3, RCPT },
	} },
	/* smtpd_delay_reject = yes, policy in client, helo, sender and
	 * recipient restrictions: each RCPT is asked about four times. */
	{ "same RCPT asked from four restriction lists", {
		{ "RCPT", A1, P1, H1, I1, U1, FIRST },
		{ "RCPT", A1, P1, H1, I1, U1, 0 },
		{ "RCPT", A1, P1, H1, I1, U1, 0 },
		{ "RCPT", A1, P1, H1, I1, U1, 0 },
		{ "RCPT", A1, P1, H1, I1, U2, RCPT },
		{ "RCPT", A1, P1, H1, I1, U2, 0 },
		{ "RCPT", A1, P1, H1, I1, U2, 0 },
		{ "RCPT", A1, P1, H1, I1, U2, 0 },
	} },
	{ "a new client_port is a new connection", {
		{ "RCPT", A1, P1, H1, I1, U1, FIRST },
		{ "RCPT", A1, P2, H1, I2, U1, FIRST },
		{ "RCPT", A1, P1, H1, I1, U2, RCPT },
	} },
	{ "the same port from another address is another session", {
		{ "RCPT", A1, P1, H1, I1, U1, FIRST },
		{ "RCPT", A2, P1, H1, I1, U1, FIRST },
	} },
	{ "no client_port: the smtpd process is the session", {
		{ "RCPT", A1, NULL, H1, I1, U1, FIRST },
		{ "RCPT", A1, NULL, H1, I1, U2, RCPT },
		{ "RCPT", A1, NULL, H1, I1, U2, 0 },
		{ "RCPT", A1, "", H1, I1, U3, RCPT },
		{ "RCPT", A1, "unknown", H1, I2, U1, MAIL | RCPT },
		{ "RCPT", A1, NULL, H1, Q1, U1, FIRST },
		{ "RCPT", A1, NULL, H1, "not-postfix", U1, FIRST },
	} },
	/*
	 * Five sessions from one address and port (a client that binds
	 * its port, a NAT gateway, a port reused after TIME_WAIT), policy
	 * in smtpd_recipient_restrictions: no CONNECT request, and the
	 * instance's seqno starting at 0 again is what tells.
	 */
	{ "five sessions from one port, recipient restrictions", {
		{ "RCPT", A1, P1, H1, S1, U1, FIRST },
		{ "RCPT", A1, P1, H1, S1, U2, RCPT },
		{ "RCPT", A1, P1, H1, S1B, U1, MAIL | RCPT },
		{ "RCPT", A1, P1, H1, S2, U1, FIRST },
		{ "RCPT", A1, P1, H1, S3, U1, FIRST },
		{ "RCPT", A1, P1, H1, S4, U1, FIRST },
		{ "RCPT", A1, P1, H1, S4, U1, 0 },
		{ "RCPT", A1, P1, H1, S5, U1, FIRST },
	} },
	{ "five sessions from one port, data restrictions", {
		{ "DATA", A1, P1, H1, S1, "", CONN | HELO | MAIL | DATA },
		{ "DATA", A1, P1, H1, S2, "", CONN | HELO | MAIL | DATA },
		{ "END-OF-MESSAGE", A1, P1, H1, S2, "", MSG },
		{ "DATA", A1, P1, H1, S3, "", CONN | HELO | MAIL | DATA },
		{ "DATA", A1, P1, H1, S4, "", CONN | HELO | MAIL | DATA },
		{ "DATA", A1, P1, H1, S5, "", CONN | HELO | MAIL | DATA },
	} },
	/* smtpd_delay_reject = yes: the client restrictions ask at RCPT. */
	{ "five sessions from one port, client and recipient lists", {
		{ "RCPT", A1, P1, H1, S1, U1, FIRST },
		{ "RCPT", A1, P1, H1, S1, U1, 0 },
		{ "RCPT", A1, P1, H1, S2, U1, FIRST },
		{ "RCPT", A1, P1, H1, S2, U1, 0 },
		{ "RCPT", A1, P1, H1, S3, U1, FIRST },
		{ "RCPT", A1, P1, H1, S3, U1, 0 },
		{ "RCPT", A1, P1, H1, S4, U1, FIRST },
		{ "RCPT", A1, P1, H1, S4, U1, 0 },
		{ "RCPT", A1, P1, H1, S5, U1, FIRST },
		{ "RCPT", A1, P1, H1, S5, U1, 0 },
	} },
	/* Sessions alternate between two smtpd processes. */
	{ "sessions from one port in two smtpd processes", {
		{ "RCPT", A1, P1, H1, S1, U1, FIRST },
		{ "RCPT", A1, P1, H1, Q1, U1, FIRST },
		{ "RCPT", A1, P1, H1, Q1B, U1, MAIL | RCPT },
		{ "RCPT", A1, P1, H1, S1B, U1, FIRST },
		{ "RCPT", A1, P1, H1, S2, U1, FIRST },
	} },
	/*
	 * The limit session.c names: the next session of the same smtpd
	 * process whose transaction 0 the policy never saw (MAIL, RSET)
	 * looks like the previous session's next transaction.
	 */
	{ "a session whose first transaction was not asked about", {
		{ "RCPT", A1, P1, H1, S1, U1, FIRST },
		{ "RCPT", A1, P1, H1, S1B, U1, MAIL | RCPT },
	} },
	/*
	 * smtpd_delay_reject = no, policy in helo and recipient
	 * restrictions: the EHLO of a new session cannot be told from a
	 * repeated EHLO; the instance at RCPT then counts the session.
	 */
	{ "delay_reject=no, helo and recipient lists, one port", {
		{ "EHLO", A1, P1, H1, "", "", CONN | HELO },
		{ "RCPT", A1, P1, H1, S1, U1, MAIL | RCPT },
		{ "EHLO", A1, P1, H1, "", "", 0 },
		{ "RCPT", A1, P1, H1, S2, U1, FIRST },
		{ "EHLO", A1, P1, H2, "", "", HELO },
		{ "EHLO", A1, P1, H2, "", "", 0 },
		{ "RCPT", A1, P1, H2, S3, U1, CONN | MAIL | RCPT },
	} },
	{ "delay_reject=no, sender and recipient lists, one port", {
		{ "MAIL", A1, P1, H1, "", "", CONN | HELO | MAIL },
		{ "RCPT", A1, P1, H1, S1, U1, RCPT },
		{ "MAIL", A1, P1, H1, "", "", MAIL },
		{ "RCPT", A1, P1, H1, S1B, U1, RCPT },
		{ "MAIL", A1, P1, H1, "", "", MAIL },
		{ "RCPT", A1, P1, H1, S2, U1, CONN | HELO | RCPT },
		{ "RCPT", A1, P1, H1, S2, U2, RCPT },
	} },
	/*
	 * smtpd_delay_reject = no, policy in client restrictions, clients
	 * named by XCLIENT: the XCLIENT request starts the session.
	 */
	{ "XCLIENT starts a session", {
		{ "XCLIENT", A1, P1, "", "", "", CONN },
		{ "EHLO", A1, P1, H1, "", "", HELO },
		{ "XCLIENT", A1, P1, "", "", "", CONN },
		{ "EHLO", A1, P1, H1, "", "", HELO },
		{ "XCLIENT", A1, P1, "", "", "", CONN },
		{ "XCLIENT", A1, P1, "", "", "", 0 },
	} },
	/* The same CONNECT asked by two restriction lists. */
	{ "CONNECT asked twice counts once", {
		{ "CONNECT", A1, P1, "", "", "", CONN },
		{ "CONNECT", A1, P1, "", "", "", 0 },
		{ "EHLO", A1, P1, H1, "", "", HELO },
	} },
	{ "CONNECT on a known session is a new connection", {
		{ "CONNECT", A1, P1, "", "", "", CONN },
		{ "EHLO", A1, P1, H1, "", "", HELO },
		{ "RCPT", A1, P1, H1, I1, U1, MAIL | RCPT },
		{ "CONNECT", A1, P1, "", "", "", CONN },
		{ "EHLO", A1, P1, H1, "", "", HELO },
		{ "RCPT", A1, P1, H1, I1, U1, MAIL | RCPT },
	} },
	{ "a new HELO name counts again", {
		{ "EHLO", A1, P1, H1, "", "", CONN | HELO },
		{ "EHLO", A1, P1, H1, "", "", 0 },
		{ "EHLO", A1, P1, H2, "", "", HELO },
		{ "RCPT", A1, P1, H2, I1, U1, MAIL | RCPT },
		{ "RCPT", A1, P1, "", I1, U2, RCPT },
	} },
	{ "DATA and END-OF-MESSAGE once per instance", {
		{ "RCPT", A1, P1, H1, I1, U1, FIRST },
		{ "DATA", A1, P1, H1, I1, "", DATA },
		{ "DATA", A1, P1, H1, I1, "", 0 },
		{ "END-OF-MESSAGE", A1, P1, H1, I1, "", MSG },
		{ "END-OF-MESSAGE", A1, P1, H1, I1, "", 0 },
	} },
	{ "a second message counts mail again", {
		{ "RCPT", A1, P1, H1, I1, U1, FIRST },
		{ "RCPT", A1, P1, H1, I1, U2, RCPT },
		{ "DATA", A1, P1, H1, I1, U1, DATA },
		{ "END-OF-MESSAGE", A1, P1, H1, I1, U1, MSG },
		{ "RCPT", A1, P1, H1, I2, U1, MAIL | RCPT },
		{ "DATA", A1, P1, H1, I2, U1, DATA },
		{ "END-OF-MESSAGE", A1, P1, H1, I2, U1, MSG },
	} },
	{ "policy only in data and end-of-data restrictions", {
		{ "DATA", A1, P1, H1, I1, U1, CONN | HELO | MAIL | DATA },
		{ "END-OF-MESSAGE", A1, P1, H1, I1, U1, MSG },
		{ "DATA", A1, P1, H1, I2, U1, MAIL | DATA },
		{ "END-OF-MESSAGE", A1, P1, H1, I2, U1, MSG },
	} },
	/*
	 * smtpd_delay_reject = no, policy in sender and recipient
	 * restrictions.  Postfix resets the instance after each
	 * transaction and sets it only once MAIL FROM is accepted, so
	 * the MAIL request of every transaction has instance= empty.
	 */
	{ "delay_reject=no: MAIL has no instance yet", {
		{ "MAIL", A1, P1, H1, "", "", CONN | HELO | MAIL },
		{ "RCPT", A1, P1, H1, I1, U1, RCPT },
		{ "RCPT", A1, P1, H1, I1, U2, RCPT },
		{ "DATA", A1, P1, H1, I1, U1, DATA },
		{ "END-OF-MESSAGE", A1, P1, H1, I1, U1, MSG },
		{ "MAIL", A1, P1, H1, "", "", MAIL },
		{ "RCPT", A1, P1, H1, I2, U1, RCPT },
	} },
	/*
	 * smtpd_delay_reject = no, policy in sender restrictions only:
	 * three messages in one session, one MAIL request each.
	 */
	{ "delay_reject=no, sender restrictions only: each MAIL counts", {
		{ "MAIL", A1, P1, H1, "", "", CONN | HELO | MAIL },
		{ "MAIL", A1, P1, H1, "", "", MAIL },
		{ "MAIL", A1, P1, H1, "", "", MAIL },
	} },
};

START_TEST(test_session_counts_each_event_once)
{
	const char *name = seq_cases[_i].name;
	const struct step *st;
	int i;

	for (i = 0; i < nitems(seq_cases[_i].steps); i++) {
		st = &seq_cases[_i].steps[i];
		if (st->state == NULL)
			break;
		assert_events(name, i + 1, ask(st, T0 + i * STEP),
		    st->want);
	}
}
END_TEST

/* A session idle for "idle", then the same request again. */
static const struct {
	const char	*name;
	int64_t		 idle;
	unsigned	 want;
} ttl_cases[] = {
	{ "1 ms before the TTL", PD_SESSION_TTL - 1, 0 },
	{ "at the TTL", PD_SESSION_TTL, FIRST },
	{ "a day later", DAY, FIRST },
};

START_TEST(test_session_expires_after_ttl)
{
	static const struct step st = { "RCPT", A1, P1, H1, I1, U1, FIRST };
	const char *name = ttl_cases[_i].name;

	assert_events(name, 1, ask(&st, T0), FIRST);
	pd_sessions_expire(&sess, T0 + ttl_cases[_i].idle);
	ck_assert_msg(sess.tab.count == (ttl_cases[_i].want ? 0u : 1u),
	    "%s: sessions: got %zu", name, sess.tab.count);
	assert_events(name, 2, ask(&st, T0 + ttl_cases[_i].idle),
	    ttl_cases[_i].want);
}
END_TEST

START_TEST(test_session_request_refreshes_ttl)
{
	static const struct step a = { "RCPT", A1, P1, H1, I1, U1, FIRST };
	static const struct step b = { "RCPT", A2, P1, H1, I1, U1, FIRST };

	assert_events("a", 1, ask(&a, T0), FIRST);
	assert_events("b", 1, ask(&b, T0 + MIN), FIRST);
	/* a asks again ten minutes later: now b is the older. */
	assert_events("a", 2, ask(&a, T0 + 10 * MIN), 0);
	pd_sessions_expire(&sess, T0 + MIN + PD_SESSION_TTL);
	ck_assert_uint_eq(sess.tab.count, 1);
	assert_events("a", 3, ask(&a, T0 + MIN + PD_SESSION_TTL), 0);
	assert_events("b", 2, ask(&b, T0 + MIN + PD_SESSION_TTL), FIRST);
}
END_TEST

START_TEST(test_session_table_forgets_least_recent_when_full)
{
	static const struct step a = { "RCPT", A1, "1001", H1, I1, U1, FIRST };
	static const struct step b = { "RCPT", A1, "1002", H1, I1, U1, FIRST };
	static const struct step c = { "RCPT", A1, "1003", H1, I1, U1, FIRST };

	/* A table for two sessions. */
	pd_sessions_clear(&sess);
	ck_assert_int_eq(pd_sessions_init(&sess, 2), 0);
	assert_events("a", 1, ask(&a, T0), FIRST);
	assert_events("b", 1, ask(&b, T0 + 1), FIRST);
	assert_events("c", 1, ask(&c, T0 + 2), FIRST);
	ck_assert_msg(sess.tab.count <= 2, "sessions: got %zu, want at most 2",
	    sess.tab.count);
	/* b and c are remembered, a (least recently seen) is not. */
	assert_events("c", 2, ask(&c, T0 + 3), 0);
	assert_events("b", 2, ask(&b, T0 + 4), 0);
	assert_events("a", 2, ask(&a, T0 + 5), FIRST);
}
END_TEST

START_TEST(test_session_clear_empties_table)
{
	static const struct step a = { "RCPT", A1, P1, H1, I1, U1, FIRST };

	assert_events("a", 1, ask(&a, T0), FIRST);
	pd_sessions_clear(&sess);
	ck_assert_uint_eq(sess.tab.count, 0);
	ck_assert_int_eq(pd_sessions_init(&sess, PD_SESSION_MAX), 0);
	assert_events("a", 2, ask(&a, T0), FIRST);
}
END_TEST

/*
 * Where nothing tells a new session from the same one, the log says so,
 * once; where a CONNECT or an instance tells, it says nothing.
 */
#define AMBIG	"sessions from one client address and port cannot be told"

static const struct {
	const char	*name;
	struct step	 steps[8];
	int		 want;	/* warnings */
} warn_cases[] = {
	{ "helo restrictions only, delay_reject=no", {
		{ "EHLO", A1, P1, H1, "", "", CONN | HELO },
		{ "EHLO", A1, P1, H1, "", "", 0 },
		{ "EHLO", A1, P1, H1, "", "", 0 },
	}, 1 },
	{ "sender restrictions only, delay_reject=no", {
		{ "MAIL", A1, P1, H1, "", "", CONN | HELO | MAIL },
		{ "MAIL", A1, P1, H1, "", "", MAIL },
	}, 1 },
	{ "client restrictions, delay_reject=no", {
		{ "CONNECT", A1, P1, "", "", "", CONN },
		{ "EHLO", A1, P1, H1, "", "", HELO },
		{ "MAIL", A1, P1, H1, "", "", MAIL },
	}, 0 },
	{ "recipient restrictions", {
		{ "RCPT", A1, P1, H1, S1, U1, FIRST },
		{ "RCPT", A1, P1, H1, S2, U1, FIRST },
	}, 0 },
	{ "sender and recipient lists, delay_reject=no", {
		{ "MAIL", A1, P1, H1, "", "", CONN | HELO | MAIL },
		{ "RCPT", A1, P1, H1, S1, U1, RCPT },
		{ "MAIL", A1, P1, H1, "", "", MAIL },
	}, 0 },
};

START_TEST(test_session_warns_when_sessions_are_ambiguous)
{
	const char *name = warn_cases[_i].name;
	const struct step *st;
	int i;

	for (i = 0; i < nitems(warn_cases[_i].steps); i++) {
		st = &warn_cases[_i].steps[i];
		if (st->state == NULL)
			break;
		assert_events(name, i + 1, ask(st, T0 + i * STEP),
		    st->want);
	}
	ck_assert_msg(tu_log_count(AMBIG) == warn_cases[_i].want,
	    "%s: warnings: got %d, want %d; log:\n%s", name,
	    tu_log_count(AMBIG), warn_cases[_i].want, tu_log_text());
}
END_TEST

/* Sessions of t/data/postfix-3.7-requests.txt, recorded from Postfix. */
static const struct {
	const char	*name;
	int		 session;	/* number in the fixture file */
	size_t		 nreq;
	unsigned	 want[12];
} recorded_cases[] = {
	/*
	 * Session 2: XCLIENT without PORT; message 1 with two RCPTs to
	 * the same recipient (which count once, see session.h), message 2
	 * with one.  Policy in smtpd_recipient_restrictions.
	 */
	{ "session 2: two messages", 2, 3, { FIRST, 0, MAIL | RCPT } },
	/*
	 * Session 4: smtpd_delay_reject = no and check_policy_service in
	 * the client, helo, sender, recipient, data and end-of-data
	 * restrictions.  EHLO, XCLIENT to 192.0.2.1 port 4712, EHLO, MAIL,
	 * RCPT user, RCPT nobody, DATA, end of message.
	 */
	{ "session 4: delay_reject=no, policy at every stage", 4, 9,
	    { CONN, HELO, CONN, HELO, MAIL, RCPT, RCPT, DATA, MSG } },
};

START_TEST(test_session_recorded_postfix_sequences)
{
	const char *name = recorded_cases[_i].name, *reqs[16];
	char text[4096];
	struct pd_req r;
	struct pd_err err;
	size_t used, n;

	n = tu_fixture("t/data/postfix-3.7-requests.txt",
	    recorded_cases[_i].session, reqs, 16);
	ck_assert_msg(n == recorded_cases[_i].nreq, "%s: %zu requests in the "
	    "fixture, want %zu", name, n, recorded_cases[_i].nreq);
	for (size_t i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "%s\n\n", reqs[i]);
		ck_assert_int_eq(pd_proto_feed(&proto, text, strlen(text),
		    &used, &err), 1);
		ck_assert_uint_eq(used, strlen(text));
		ck_assert_int_eq(pd_proto_parse(&proto, &r, &err), 0);
		assert_events(name, (int)i + 1, pd_sessions_events(&sess, &r,
		    T0 + (int64_t)i * STEP, &geo), recorded_cases[_i].want[i]);
		pd_proto_next(&proto);
	}
}
END_TEST

static Suite *
session_suite(void)
{
	Suite *s = suite_create("session");
	TCase *tc;

	tc = tcase_create("events");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_session_counts_each_event_once, 0,
	    nitems(seq_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("warnings");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_session_warns_when_sessions_are_ambiguous,
	    0, nitems(warn_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("recorded");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_session_recorded_postfix_sequences, 0,
	    nitems(recorded_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("expiry");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_session_expires_after_ttl, 0,
	    nitems(ttl_cases));
	tcase_add_test(tc, test_session_request_refreshes_ttl);
	suite_add_tcase(s, tc);

	tc = tcase_create("bounds");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_session_table_forgets_least_recent_when_full);
	tcase_add_test(tc, test_session_clear_empties_table);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run(session_suite()) != 0;
}
