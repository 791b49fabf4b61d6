/* SPDX-License-Identifier: ISC */
/*
 * check_tmpl - template compile and render, the access(5) action check
 * and the action classification.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "buf.h"
#include "err.h"
#include "str.h"
#include "tmpl.h"
#include "testutil.h"


static const char *const vars[PD_VAR_MAX] = {
	[PD_VAR_CLIENT_ADDRESS] = "192.0.2.1",
	[PD_VAR_CLIENT_NAME] = "mail.example.org",
	[PD_VAR_HELO_NAME] = "mx.example.net",
	[PD_VAR_SENDER] = "a@example.org",
	[PD_VAR_RECIPIENT] = "b@example.com",
	[PD_VAR_RULE] = "conn-rate",
	[PD_VAR_COUNT] = "31",
	[PD_VAR_LIMIT] = "30",
	[PD_VAR_WINDOW] = "1h",
	[PD_VAR_EXPIRES] = "2026-11-22T01:00:00Z",
	[PD_VAR_REF] = "PD-00002A",
	[PD_VAR_KEY] = "192.0.2.0/24",
	[PD_VAR_TLD] = "org",
	[PD_VAR_SCORE] = "7",
	[PD_VAR_REASONS] = "helo_unknown,no_rdns",
};

/* render - compile src (which must succeed) and render it with v */
static const char *
render(const char *src, const char *const v[PD_VAR_MAX])
{
	static char out[1024];
	struct pd_tmpl t;
	struct pd_err err;
	struct pd_buf b;

	err.msg[0] = '\0';
	ck_assert_msg(pd_tmpl_compile(&t, src, &err) == 0,
	    "\"%s\" did not compile: %s", src, err.msg);
	pd_buf_init(&b, 4096);
	ck_assert_int_eq(pd_tmpl_render(&t, v, &b), 0);
	snprintf(out, sizeof(out), "%s", pd_buf_str(&b));
	pd_buf_clear(&b);
	pd_tmpl_clear(&t);
	return out;
}

static const struct {
	const char	*name;
	const char	*src;
	const char	*want;
} render_cases[] = {
	{ "literal only", "451 4.7.1 slow down", "451 4.7.1 slow down" },
	{ "empty", "", "" },
	{ "one variable", "451 4.7.1 Too many from ${client_address}",
	    "451 4.7.1 Too many from 192.0.2.1" },
	{ "variable first", "${rule}: hit", "conn-rate: hit" },
	{ "variable alone", "${window}", "1h" },
	{ "adjacent variables", "${count}/${limit}", "31/30" },
	{ "same variable twice", "${tld} and ${tld}", "org and org" },
	{ "lone dollar", "costs $5 (${count})", "costs $5 (31)" },
	{ "dollar at end", "price ${limit}$", "price 30$" },
	{ "dollar space brace", "$ {count}", "$ {count}" },
	{ "brace without dollar", "{count} }", "{count} }" },
	{ "all variables",
	    "${client_address}|${client_name}|${helo_name}|${sender}|"
	    "${recipient}|${rule}|${count}|${limit}|${window}|${expires}|"
	    "${ref}|${key}|${tld}|${score}|${reasons}",
	    "192.0.2.1|mail.example.org|mx.example.net|a@example.org|"
	    "b@example.com|conn-rate|31|30|1h|2026-11-22T01:00:00Z|"
	    "PD-00002A|192.0.2.0/24|org|7|helo_unknown,no_rdns" },
};

START_TEST(test_tmpl_render_substitutes_variables)
{
	const char *name = render_cases[_i].name, *got;

	got = render(render_cases[_i].src, vars);
	ck_assert_msg(strcmp(got, render_cases[_i].want) == 0,
	    "%s: got \"%s\", want \"%s\"", name, got, render_cases[_i].want);
}
END_TEST

START_TEST(test_tmpl_render_null_value_is_empty)
{
	const char *v[PD_VAR_MAX] = { NULL };

	v[PD_VAR_COUNT] = "7";
	ck_assert_str_eq(render("[${helo_name}] ${count}", v), "[] 7");
}
END_TEST

START_TEST(test_tmpl_render_appends_to_buffer)
{
	struct pd_tmpl t;
	struct pd_buf b;

	ck_assert_int_eq(pd_tmpl_compile(&t, "DEFER ${rule}", NULL), 0);
	pd_buf_init(&b, 4096);
	ck_assert_int_eq(pd_buf_puts(&b, "action="), 0);
	ck_assert_int_eq(pd_tmpl_render(&t, vars, &b), 0);
	ck_assert_int_eq(pd_tmpl_render(&t, vars, &b), 0);
	ck_assert_str_eq(pd_buf_str(&b),
	    "action=DEFER conn-rateDEFER conn-rate");
	pd_buf_clear(&b);
	pd_tmpl_clear(&t);
}
END_TEST

/* Values come from the peer: none may break the protocol line. */
static const struct {
	const char	*name;
	const char	*value;
	const char	*want;
} sanitise_cases[] = {
	{ "newline", "\n", "<?>" },
	{ "header injection", "evil\nX-Header: 1", "<evil?X-Header: 1>" },
	{ "CR LF", "a\r\nb", "<a??b>" },
	{ "protocol end", "x\n\naction=OK", "<x??action=OK>" },
	{ "tab", "a\tb", "<a?b>" },
	{ "DEL", "\x7f", "<?>" },
	{ "UTF-8", "h\xc3\xa9llo", "<h??llo>" },
	{ "plain", "mx.example.net", "<mx.example.net>" },
};

START_TEST(test_tmpl_render_sanitises_values)
{
	const char *name = sanitise_cases[_i].name, *got;
	const char *v[PD_VAR_MAX] = { NULL };

	v[PD_VAR_HELO_NAME] = sanitise_cases[_i].value;
	got = render("<${helo_name}>", v);
	ck_assert_msg(strcmp(got, sanitise_cases[_i].want) == 0,
	    "%s: got \"%s\", want \"%s\"", name, got,
	    sanitise_cases[_i].want);
}
END_TEST

START_TEST(test_tmpl_render_cuts_long_value)
{
	char value[PD_STR_VALUE_MAX + 50], want[PD_STR_VALUE_MAX + 10];
	const char *v[PD_VAR_MAX] = { NULL };

	memset(value, 'h', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	v[PD_VAR_HELO_NAME] = value;
	snprintf(want, sizeof(want), "<%.*s>", PD_STR_VALUE_MAX, value);
	ck_assert_str_eq(render("<${helo_name}>", v), want);
}
END_TEST

/* How long the rendered text may get, whatever fills it. */
static const struct {
	const char	*name;
	size_t		 literal;	/* bytes of literal text */
	int		 nvalues;	/* then this many ${helo_name} */
	size_t		 prefix;	/* bytes already in the buffer */
	size_t		 want;		/* bytes rendered */
} cap_cases[] = {
	{ "literal under the cap", 100, 0, 0, 100 },
	{ "literal at the cap", PD_TMPL_REPLY_MAX, 0, 0, PD_TMPL_REPLY_MAX },
	{ "literal over the cap", 600, 0, 0, PD_TMPL_REPLY_MAX },
	{ "values over the cap", 0, 3, 0, PD_TMPL_REPLY_MAX },
	{ "literal then values", 10, 3, 0, PD_TMPL_REPLY_MAX },
	{ "cap counts from the buffer's end", 600, 0, 7, PD_TMPL_REPLY_MAX },
	{ "one value fits", 0, 1, 0, PD_STR_VALUE_MAX },
};

START_TEST(test_tmpl_render_caps_reply_length)
{
	const char *name = cap_cases[_i].name;
	const char *v[PD_VAR_MAX] = { NULL };
	char src[2048], value[PD_STR_VALUE_MAX + 1];
	struct pd_tmpl t;
	struct pd_buf b;
	size_t n, i;
	int k;

	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	v[PD_VAR_HELO_NAME] = value;
	n = cap_cases[_i].literal;
	memset(src, 'L', n);
	src[n] = '\0';
	for (k = 0; k < cap_cases[_i].nvalues; k++)
		strcat(src, "${helo_name}");
	ck_assert_int_eq(pd_tmpl_compile(&t, src, NULL), 0);
	pd_buf_init(&b, 65536);
	for (i = 0; i < cap_cases[_i].prefix; i++)
		ck_assert_int_eq(pd_buf_putc(&b, 'p'), 0);
	ck_assert_int_eq(pd_tmpl_render(&t, v, &b), 0);
	ck_assert_msg(b.len - cap_cases[_i].prefix == cap_cases[_i].want,
	    "%s: got %zu, want %zu", name, b.len - cap_cases[_i].prefix,
	    cap_cases[_i].want);
	ck_assert_msg(strlen(pd_buf_str(&b)) == b.len, "%s: NUL inside", name);
	pd_buf_clear(&b);
	pd_tmpl_clear(&t);
}
END_TEST

START_TEST(test_tmpl_render_fails_past_buffer_max)
{
	struct pd_tmpl t;
	struct pd_buf b;

	ck_assert_int_eq(pd_tmpl_compile(&t, "451 4.7.1 ${reasons}", NULL), 0);
	pd_buf_init(&b, 8);
	ck_assert_int_eq(pd_tmpl_render(&t, vars, &b), -1);
	ck_assert_msg(b.len <= 8, "len %zu past max", b.len);
	pd_buf_clear(&b);
	pd_tmpl_clear(&t);
}
END_TEST

static const struct {
	const char	*name;
	const char	*src;
	const char	*want;		/* in the message */
} compile_error_cases[] = {
	{ "unknown variable", "451 4.7.1 ${foo}",
	    "unknown variable \"${foo}\"" },
	{ "unknown among known", "${count} ${nope} ${limit}",
	    "unknown variable \"${nope}\"" },
	{ "case matters", "${Client_Address}",
	    "unknown variable \"${Client_Address}\"" },
	{ "empty name", "a ${} b", "unknown variable \"${}\"" },
	{ "name with space", "${ count }", "unknown variable \"${ count }\"" },
	{ "unterminated", "Too many from ${client_address",
	    "unterminated \"${\"" },
	{ "unterminated at end", "text ${", "unterminated \"${\"" },
	{ "newline", "451 4.7.1 a\nb", "control character" },
	{ "carriage return", "451 4.7.1 a\r", "control character" },
	{ "tab", "451\t4.7.1 a", "control character" },
	{ "DEL", "451 4.7.1 \x7f", "control character" },
	{ "escape", "\x1b[31m", "control character" },
};

START_TEST(test_tmpl_compile_rejects_bad_text)
{
	const char *name = compile_error_cases[_i].name;
	struct pd_tmpl t;
	struct pd_err err;
	int rc;

	err.msg[0] = '\0';
	rc = pd_tmpl_compile(&t, compile_error_cases[_i].src, &err);
	ck_assert_msg(rc == -1, "%s: got %d, want -1", name, rc);
	ck_assert_msg(strstr(err.msg, compile_error_cases[_i].want) != NULL,
	    "%s: got \"%s\", want \"%s\" in it", name, err.msg,
	    compile_error_cases[_i].want);
	/* Nothing is left allocated, and clear stays safe. */
	ck_assert_msg(t.src == NULL && t.segs == NULL && t.nsegs == 0,
	    "%s: failed compile left state behind", name);
	pd_tmpl_clear(&t);
}
END_TEST

START_TEST(test_tmpl_clear_zeroed_is_safe)
{
	struct pd_tmpl t;

	memset(&t, 0, sizeof(t));
	pd_tmpl_clear(&t);
	pd_tmpl_clear(&t);
	ck_assert_ptr_null(t.src);
}
END_TEST

static const char *const var_names[PD_VAR_MAX] = {
	"client_address", "client_name", "helo_name", "sender", "recipient",
	"rule", "count", "limit", "window", "expires", "ref", "key", "tld",
	"score", "reasons", "reason", "country", "asn",
};

START_TEST(test_tmpl_var_finds_each_name)
{
	const char *n = var_names[_i];
	char longer[64];

	ck_assert_msg(pd_tmpl_var(n, strlen(n)) == _i, "%s: got %d, want %d",
	    n, pd_tmpl_var(n, strlen(n)), _i);
	/* A prefix or an extension of a name is not the name. */
	ck_assert_msg(pd_tmpl_var(n, strlen(n) - 1) != _i,
	    "%s minus one byte: got %d", n, pd_tmpl_var(n, strlen(n) - 1));
	snprintf(longer, sizeof(longer), "%sx", n);
	ck_assert_msg(pd_tmpl_var(longer, strlen(longer)) == -1,
	    "%s: got %d, want -1", longer,
	    pd_tmpl_var(longer, strlen(longer)));
}
END_TEST

/* want: NULL when the action is accepted, else a part of the message. */
static const struct {
	const char	*src;
	const char	*want;
} action_cases[] = {
	{ "451 4.7.1 text", NULL },
	{ "554 5.7.1 x", NULL },
	{ "421 4.7.0 closing", NULL },
	{ "450 4.123.456 three-digit parts", NULL },
	{ "450 4.7.1 Too many from ${client_address}", NULL },
	{ "DUNNO", NULL },
	{ "dunno", NULL },
	{ "OK", NULL },
	{ "REJECT text", NULL },
	{ "reject text", NULL },
	{ "DEFER text", NULL },
	{ "DEFER_IF_PERMIT text", NULL },
	{ "DEFER_IF_REJECT text", NULL },
	{ "SLEEP 5", NULL },
	{ "SLEEP 30", NULL },
	{ "WARN text", NULL },
	{ "WARN", NULL },
	{ "INFO text", NULL },
	{ "HOLD", NULL },
	{ "HOLD held by policy", NULL },
	{ "DISCARD", NULL },
	{ "PREPEND X-Header: v", NULL },
	{ "FILTER smtp:[127.0.0.1]:10025", NULL },
	{ "REDIRECT abuse@example.org", NULL },
	{ "BCC archive@example.org", NULL },
	{ "REJECT", "Access denied" },
	{ "DEFER", "Access denied" },
	{ "DEFER_IF_PERMIT", "Access denied" },
	{ "PREPEND", "needs a text" },
	{ "SLEEP", "needs a text" },
	{ "451 5.7.1 x", "enhanced status code 4.x.y" },
	{ "550 4.7.1 x", "enhanced status code 5.x.y" },
	{ "451 text", "enhanced status code 4.x.y" },
	{ "451", "enhanced status code 4.x.y" },
	{ "451 4.x.1 text", "enhanced status code 4.x.y" },
	{ "451 4.7 text", "enhanced status code 4.x.y" },
	{ "451 4.7. text", "enhanced status code 4.x.y" },
	{ "451 4..1 text", "enhanced status code 4.x.y" },
	{ "451 4.7.1text", "enhanced status code 4.x.y" },
	{ "451 4.7.1.2 text", "enhanced status code 4.x.y" },
	{ "451 4.1234.1 text", "enhanced status code 4.x.y" },
	{ "451 4.7.1234 text", "enhanced status code 4.x.y" },
	{ "250 2.0.0 ok", "not 4xx or 5xx" },
	{ "354 go ahead", "not 4xx or 5xx" },
	{ "45 4.7.1 x", "not an SMTP code or access(5) action" },
	{ "4511 4.7.1 x", "not an SMTP code or access(5) action" },
	{ "FOO bar", "\"FOO\" is not an SMTP code or access(5) action" },
	{ "", "not an SMTP code or access(5) action" },
	{ " DUNNO", "not an SMTP code or access(5) action" },
	{ "SLEEP x", "SLEEP takes a number of seconds" },
	{ "SLEEP 5s", "SLEEP takes a number of seconds" },
	{ "SLEEP -1", "SLEEP takes a number of seconds" },
	{ "SLEEP 5 x", "SLEEP takes a number of seconds" },
};

START_TEST(test_tmpl_check_action_postfix_rules)
{
	const char *src = action_cases[_i].src, *want = action_cases[_i].want;
	struct pd_err err;
	int rc;

	err.msg[0] = '\0';
	rc = pd_tmpl_check_action(src, &err);
	if (want == NULL) {
		ck_assert_msg(rc == 0, "\"%s\": got %d (%s), want 0", src, rc,
		    err.msg);
		return;
	}
	ck_assert_msg(rc == -1, "\"%s\": got %d, want -1", src, rc);
	ck_assert_msg(strstr(err.msg, want) != NULL,
	    "\"%s\": got \"%s\", want \"%s\" in it", src, err.msg, want);
}
END_TEST

static const struct {
	const char	*src;
	enum pd_action	 want;
} classify_cases[] = {
	{ "451 4.7.1 x", PD_ACT_DEFER },
	{ "421 4.7.0 x", PD_ACT_DEFER },
	{ "554 5.7.1 x", PD_ACT_REJECT },
	{ "550 5.1.1 x", PD_ACT_REJECT },
	{ "DUNNO", PD_ACT_DUNNO },
	{ "dunno", PD_ACT_DUNNO },
	{ "REJECT x", PD_ACT_REJECT },
	{ "Reject x", PD_ACT_REJECT },
	{ "DEFER x", PD_ACT_DEFER },
	{ "DEFER_IF_PERMIT x", PD_ACT_DEFER },
	{ "DEFER_IF_REJECT x", PD_ACT_DEFER },
	{ "SLEEP 5", PD_ACT_SLEEP },
	{ "WARN x", PD_ACT_WARN },
	{ "OK", PD_ACT_OTHER },
	{ "HOLD", PD_ACT_OTHER },
	{ "DISCARD x", PD_ACT_OTHER },
	{ "PREPEND X-Header: v", PD_ACT_OTHER },
	{ "FILTER smtp:[127.0.0.1]:10025", PD_ACT_OTHER },
	{ "REJECTED x", PD_ACT_OTHER },
	{ "DUNNOX", PD_ACT_OTHER },
};

START_TEST(test_tmpl_action_classifies)
{
	const char *src = classify_cases[_i].src;
	enum pd_action got = pd_tmpl_action(src);

	ck_assert_msg(got == classify_cases[_i].want,
	    "\"%s\": got %s, want %s", src, pd_action_name(got),
	    pd_action_name(classify_cases[_i].want));
}
END_TEST

START_TEST(test_tmpl_action_names)
{
	ck_assert_str_eq(pd_action_name(PD_ACT_DUNNO), "dunno");
	ck_assert_str_eq(pd_action_name(PD_ACT_DEFER), "defer");
	ck_assert_str_eq(pd_action_name(PD_ACT_REJECT), "reject");
	ck_assert_str_eq(pd_action_name(PD_ACT_SLEEP), "sleep");
	ck_assert_str_eq(pd_action_name(PD_ACT_WARN), "warn");
	ck_assert_str_eq(pd_action_name(PD_ACT_OTHER), "other");
}
END_TEST

static Suite *
tmpl_suite(void)
{
	Suite *s = suite_create("tmpl");
	TCase *tc;

	tc = tcase_create("render");
	tcase_add_loop_test(tc, test_tmpl_render_substitutes_variables, 0,
	    nitems(render_cases));
	tcase_add_test(tc, test_tmpl_render_null_value_is_empty);
	tcase_add_test(tc, test_tmpl_render_appends_to_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("sanitise");
	tcase_add_loop_test(tc, test_tmpl_render_sanitises_values, 0,
	    nitems(sanitise_cases));
	tcase_add_test(tc, test_tmpl_render_cuts_long_value);
	suite_add_tcase(s, tc);

	tc = tcase_create("cap");
	tcase_add_loop_test(tc, test_tmpl_render_caps_reply_length, 0,
	    nitems(cap_cases));
	tcase_add_test(tc, test_tmpl_render_fails_past_buffer_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("compile_errors");
	tcase_add_loop_test(tc, test_tmpl_compile_rejects_bad_text, 0,
	    nitems(compile_error_cases));
	tcase_add_test(tc, test_tmpl_clear_zeroed_is_safe);
	suite_add_tcase(s, tc);

	tc = tcase_create("var");
	tcase_add_loop_test(tc, test_tmpl_var_finds_each_name, 0, PD_VAR_MAX);
	suite_add_tcase(s, tc);

	tc = tcase_create("check_action");
	tcase_add_loop_test(tc, test_tmpl_check_action_postfix_rules, 0,
	    nitems(action_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("action");
	tcase_add_loop_test(tc, test_tmpl_action_classifies, 0,
	    nitems(classify_cases));
	tcase_add_test(tc, test_tmpl_action_names);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	return tu_run(tmpl_suite()) != 0;
}
