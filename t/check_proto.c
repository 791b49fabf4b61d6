/* SPDX-License-Identifier: ISC */
/*
 * check_proto - the incremental policy request parser.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "buf.h"
#include "err.h"
#include "proto.h"
#include "testutil.h"

/* A request as Postfix 3.7 sends it at RCPT. */
static const char postfix_req[] =
    "request=smtpd_access_policy\n"
    "protocol_state=RCPT\n"
    "protocol_name=ESMTP\n"
    "client_address=198.51.100.7\n"
    "client_name=unknown\n"
    "client_port=40212\n"
    "reverse_client_name=unknown\n"
    "server_address=127.0.0.1\n"
    "server_port=25\n"
    "helo_name=mx.example.net\n"
    "sender=a@example.org\n"
    "recipient=user@test.example\n"
    "recipient_count=0\n"
    "queue_id=\n"
    "instance=8a3.6560f1ab.3c1d2.0\n"
    "size=0\n"
    "etrn_domain=\n"
    "stress=\n"
    "sasl_method=\n"
    "sasl_username=\n"
    "sasl_sender=\n"
    "ccert_subject=\n"
    "ccert_issuer=\n"
    "ccert_fingerprint=\n"
    "ccert_pubkey_fingerprint=\n"
    "encryption_protocol=\n"
    "encryption_cipher=\n"
    "encryption_keysize=0\n"
    "policy_context=\n"
    "compatibility_level=3.6\n"
    "mail_version=3.7.11\n"
    "\n";

/* feed_all - feed data in pieces; returns completed requests */
static int
feed_all(struct pd_proto *p, const char *data, size_t len, size_t piece,
    struct pd_req *last, struct pd_err *err)
{
	size_t off = 0, n, used;
	int done = 0, rc;

	while (off < len) {
		n = len - off < piece ? len - off : piece;
		while (n > 0) {
			rc = pd_proto_feed(p, data + off, n, &used, err);
			if (rc < 0)
				return -1;
			off += used;
			n -= used;
			if (rc == 1) {
				ck_assert_int_eq(pd_proto_parse(p, last, err), 0);
				done++;
				/* keep the last request readable for the caller */
				if (off < len)
					pd_proto_next(p);
			}
		}
	}
	return done;
}

START_TEST(test_proto_split_at_every_offset)
{
	size_t len = strlen(postfix_req);
	struct pd_proto p;
	struct pd_req r;
	struct pd_err err;

	for (size_t cut = 1; cut < len; cut++) {
		size_t used;
		int rc;

		pd_proto_init(&p);
		rc = pd_proto_feed(&p, postfix_req, cut, &used, &err);
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(used, cut);
		rc = pd_proto_feed(&p, postfix_req + cut, len - cut, &used, &err);
		ck_assert_msg(rc == 1, "cut %zu: got %d, want 1", cut, rc);
		ck_assert_uint_eq(used, len - cut);
		ck_assert_int_eq(pd_proto_parse(&p, &r, &err), 0);
		ck_assert_str_eq(pd_req_get(&r, PD_A_CLIENT_ADDRESS), "198.51.100.7");
		ck_assert_str_eq(pd_req_get(&r, PD_A_HELO_NAME), "mx.example.net");
		ck_assert_str_eq(pd_req_get(&r, PD_A_INSTANCE), "8a3.6560f1ab.3c1d2.0");
		ck_assert_str_eq(pd_req_get(&r, PD_A_POLICY_CONTEXT), "");
		ck_assert_uint_eq(r.nlines, 31);
		pd_proto_clear(&p);
	}
}
END_TEST

START_TEST(test_proto_byte_by_byte)
{
	struct pd_proto p;
	struct pd_req r;
	struct pd_err err;

	pd_proto_init(&p);
	ck_assert_int_eq(feed_all(&p, postfix_req, strlen(postfix_req), 1,
	    &r, &err), 1);
	ck_assert_str_eq(pd_req_get(&r, PD_A_RECIPIENT), "user@test.example");
	pd_proto_clear(&p);
}
END_TEST

START_TEST(test_proto_three_in_one_read)
{
	struct pd_proto p;
	struct pd_req r;
	struct pd_err err;
	const char *three =
	    "request=smtpd_access_policy\nclient_address=192.0.2.1\n\n"
	    "request=smtpd_access_policy\nclient_address=192.0.2.2\n\n"
	    "request=smtpd_access_policy\nclient_address=192.0.2.3\n\n";
	const char *want[] = { "192.0.2.1", "192.0.2.2", "192.0.2.3" };
	size_t off = 0, used, len = strlen(three);
	int i = 0;

	pd_proto_init(&p);
	while (off < len) {
		ck_assert_int_eq(pd_proto_feed(&p, three + off, len - off,
		    &used, &err), 1);
		off += used;
		ck_assert_int_eq(pd_proto_parse(&p, &r, &err), 0);
		ck_assert_str_eq(pd_req_get(&r, PD_A_CLIENT_ADDRESS), want[i]);
		pd_proto_next(&p);
		i++;
	}
	ck_assert_int_eq(i, 3);
	pd_proto_clear(&p);
}
END_TEST

START_TEST(test_proto_line_limit)
{
	struct pd_proto p;
	struct pd_err err;
	size_t used;
	char *line = malloc(PD_PROTO_LINE_MAX + 2);

	/* A line of exactly the limit, newline included, is fine. */
	memset(line, 'a', PD_PROTO_LINE_MAX);
	memcpy(line, "x=", 2);
	line[PD_PROTO_LINE_MAX - 1] = '\n';
	pd_proto_init(&p);
	ck_assert_int_eq(pd_proto_feed(&p, line, PD_PROTO_LINE_MAX, &used,
	    &err), 0);
	pd_proto_clear(&p);

	/* One byte more fails, even before the newline arrives. */
	memset(line, 'a', PD_PROTO_LINE_MAX + 1);
	pd_proto_init(&p);
	ck_assert_int_eq(pd_proto_feed(&p, line, PD_PROTO_LINE_MAX + 1, &used,
	    &err), -1);
	ck_assert_str_eq(err.msg, "line longer than 8192 bytes");
	pd_proto_clear(&p);
	free(line);
}
END_TEST

START_TEST(test_proto_request_limit)
{
	struct pd_proto p;
	struct pd_err err;
	char line[1001];
	size_t used, total = 0;
	int rc = 0;

	memset(line, 'v', sizeof(line));
	memcpy(line, "name=", 5);
	line[1000] = '\n';
	pd_proto_init(&p);
	while (total <= PD_PROTO_REQ_MAX + 1000 && rc == 0) {
		rc = pd_proto_feed(&p, line, sizeof(line), &used, &err);
		total += used;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_str_eq(err.msg, "request longer than 65536 bytes");
	ck_assert_uint_le(pd_proto_pending(&p), PD_PROTO_REQ_MAX);
	pd_proto_clear(&p);
}
END_TEST

static const struct {
	const char	*name;
	const char	*input;
	int		 want_parse;
	const char	*want_err;
} bad[] = {
	{ "no equals", "request=smtpd_access_policy\ngarbage\n\n", -1,
	    "line 2 has no \"=\"" },
	{ "binary bytes", "client_address=\x80\xff\xfe\n\n", 0, NULL },
	{ "nul byte", "client_address=1.2.3.4\0evil\n\n", -1,
	    "NUL byte in line 1" },
	{ "empty request", "\n", 0, NULL },
	{ "crlf", "request=smtpd_access_policy\r\nclient_address=1.2.3.4\r\n\r\n",
	    0, NULL },
};

START_TEST(test_proto_bad_input)
{
	struct pd_proto p;
	struct pd_req r;
	struct pd_err err = { "" };
	size_t used, len;
	const char *in = bad[_i].input;

	/* The NUL row has its length spelled out by the terminator. */
	len = strlen(in);
	if (strstr(bad[_i].name, "nul"))
		len = strlen(in) + 1 + strlen(in + strlen(in) + 1);
	pd_proto_init(&p);
	ck_assert_int_eq(pd_proto_feed(&p, in, len, &used, &err), 1);
	ck_assert_msg(pd_proto_parse(&p, &r, &err) == bad[_i].want_parse,
	    "%s: parse result", bad[_i].name);
	if (bad[_i].want_err)
		ck_assert_str_eq(err.msg, bad[_i].want_err);
	if (strcmp(bad[_i].name, "crlf") == 0)
		ck_assert_str_eq(pd_req_get(&r, PD_A_CLIENT_ADDRESS), "1.2.3.4");
	pd_proto_clear(&p);
}
END_TEST

START_TEST(test_proto_values)
{
	struct pd_proto p;
	struct pd_req r;
	struct pd_err err;
	const char *in = "sender=a=b@example.org\nrecipient=\nunknown_attr=1\n"
	    "helo_name=first\nhelo_name=second\n\n";
	size_t used;

	pd_proto_init(&p);
	ck_assert_int_eq(pd_proto_feed(&p, in, strlen(in), &used, &err), 1);
	ck_assert_int_eq(pd_proto_parse(&p, &r, &err), 0);
	ck_assert_str_eq(pd_req_get(&r, PD_A_SENDER), "a=b@example.org");
	ck_assert_ptr_nonnull(r.attr[PD_A_RECIPIENT]);
	ck_assert_str_eq(pd_req_get(&r, PD_A_RECIPIENT), "");
	ck_assert_ptr_null(r.attr[PD_A_CLIENT_PORT]);
	ck_assert_str_eq(pd_req_get(&r, PD_A_HELO_NAME), "second");
	ck_assert_uint_eq(r.nlines, 5);
	pd_proto_clear(&p);
}
END_TEST

static Suite *
proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc;

	tc = tcase_create("split");
	tcase_add_test(tc, test_proto_split_at_every_offset);
	tcase_add_test(tc, test_proto_byte_by_byte);
	tcase_add_test(tc, test_proto_three_in_one_read);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_test(tc, test_proto_line_limit);
	tcase_add_test(tc, test_proto_request_limit);
	suite_add_tcase(s, tc);
	tc = tcase_create("input");
	tcase_add_loop_test(tc, test_proto_bad_input, 0,
	    sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_proto_values);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(proto_suite()) != 0;
}
