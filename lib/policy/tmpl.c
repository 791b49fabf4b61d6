/* SPDX-License-Identifier: ISC */
/*
 * tmpl - compiled ${name} templates and the access(5) action check.
 */
#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "err.h"
#include "str.h"
#include "tmpl.h"

struct pd_tmpl_seg {
	size_t off; /* literal text in src */
	size_t len;
	int    var; /* -1 for a literal */
};

static const char *var_names[PD_VAR_MAX] = {
	[PD_VAR_CLIENT_ADDRESS] = "client_address",
	[PD_VAR_CLIENT_NAME] = "client_name",
	[PD_VAR_HELO_NAME] = "helo_name",
	[PD_VAR_SENDER] = "sender",
	[PD_VAR_RECIPIENT] = "recipient",
	[PD_VAR_RULE] = "rule",
	[PD_VAR_COUNT] = "count",
	[PD_VAR_LIMIT] = "limit",
	[PD_VAR_WINDOW] = "window",
	[PD_VAR_EXPIRES] = "expires",
	[PD_VAR_REF] = "ref",
	[PD_VAR_KEY] = "key",
	[PD_VAR_TLD] = "tld",
	[PD_VAR_SCORE] = "score",
	[PD_VAR_REASONS] = "reasons",
	[PD_VAR_REASON] = "reason",
	[PD_VAR_COUNTRY] = "country",
	[PD_VAR_ASN] = "asn",
};

int
pd_tmpl_var(const char *name, size_t len)
{
	int i;

	for (i = 0; i < PD_VAR_MAX; i++)
		if (strlen(var_names[i]) == len &&
		    memcmp(var_names[i], name, len) == 0)
			return i;
	return -1;
}

static int
tmpl_add(struct pd_tmpl *t, size_t off, size_t len, int var)
{
	struct pd_tmpl_seg *s;

	s = realloc(t->segs, (t->nsegs + 1) * sizeof(*s));
	if (s == NULL)
		return -1;
	t->segs = s;
	s[t->nsegs].off = off;
	s[t->nsegs].len = len;
	s[t->nsegs].var = var;
	t->nsegs++;
	return 0;
}

int
pd_tmpl_compile(struct pd_tmpl *t, const char *src, struct pd_err *err)
{
	const char *p, *open, *close;
	int	    var;

	memset(t, 0, sizeof(*t));
	for (p = src; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return pd_err_set(err, "control character in text");
	if ((t->src = strdup(src)) == NULL)
		return pd_err_set(err, "out of memory");
	p = t->src;
	while (*p) {
		open = strstr(p, "${");
		if (open == NULL) {
			if (tmpl_add(t, (size_t)(p - t->src), strlen(p), -1) <
			    0)
				goto nomem;
			break;
		}
		if (open > p &&
		    tmpl_add(t, (size_t)(p - t->src), (size_t)(open - p), -1) <
			0)
			goto nomem;
		if ((close = strchr(open, '}')) == NULL) {
			pd_tmpl_clear(t);
			return pd_err_set(err, "unterminated \"${\"");
		}
		var = pd_tmpl_var(open + 2, (size_t)(close - open - 2));
		if (var < 0) {
			pd_err_set(err, "unknown variable \"%.*s\"",
			    (int)(close - open + 1), open);
			pd_tmpl_clear(t);
			return -1;
		}
		if (tmpl_add(t, 0, 0, var) < 0)
			goto nomem;
		p = close + 1;
	}
	return 0;
nomem:
	pd_tmpl_clear(t);
	return pd_err_set(err, "out of memory");
}

void
pd_tmpl_clear(struct pd_tmpl *t)
{
	free(t->src);
	free(t->segs);
	memset(t, 0, sizeof(*t));
}

int
pd_tmpl_render(const struct pd_tmpl *t, const char *const vars[PD_VAR_MAX],
    struct pd_buf *out)
{
	char	    clean[PD_STR_VALUE_MAX + 1];
	size_t	    start = out->len, i, n, room;
	const char *text;

	for (i = 0; i < t->nsegs; i++) {
		const struct pd_tmpl_seg *s = &t->segs[i];

		if (s->var < 0) {
			text = t->src + s->off;
			n = s->len;
		} else {
			text = vars[s->var] ? vars[s->var] : "";
			n = pd_str_sanitize(clean, sizeof(clean), text,
			    strlen(text));
			text = clean;
		}
		room = PD_TMPL_REPLY_MAX - (out->len - start);
		if (n > room)
			n = room;
		if (pd_buf_append(out, text, n) < 0)
			return -1;
	}
	return 0;
}

/* Actions that are complete without a text. */
static const char *bare_ok[] = { "DUNNO", "OK", "HOLD", "DISCARD", "WARN",
	"INFO", NULL };
/* Actions that need an argument. */
static const char *with_arg[] = { "REJECT", "DEFER", "DEFER_IF_PERMIT",
	"DEFER_IF_REJECT", "SLEEP", "PREPEND", "FILTER", "REDIRECT", "BCC",
	"HOLD", "DISCARD", "WARN", "INFO", NULL };

static bool
word_in(const char *w, size_t n, const char **list)
{
	for (; *list; list++)
		if (strlen(*list) == n && strncasecmp(*list, w, n) == 0)
			return true;
	return false;
}

/* enhanced_code - "c.x.y" (RFC 3463: 1-3 digits each) then blank or end */
static bool
enhanced_code(const char *s, char class)
{
	size_t n;

	if (s[0] != class || s[1] != '.')
		return false;
	s += 2;
	for (int part = 0; part < 2; part++) {
		n = strspn(s, "0123456789");
		if (n < 1 || n > 3)
			return false;
		s += n;
		if (part == 0 && *s++ != '.')
			return false;
	}
	return *s == '\0' || *s == ' ' || *s == '\t';
}

int
pd_tmpl_check_action(const char *src, struct pd_err *err)
{
	size_t	    n = strcspn(src, " \t");
	const char *rest = src + n;

	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (n == 3 && isdigit((unsigned char)src[0]) &&
	    isdigit((unsigned char)src[1]) && isdigit((unsigned char)src[2])) {
		if (src[0] != '4' && src[0] != '5')
			return pd_err_set(err,
			    "SMTP code %.3s is not 4xx or 5xx", src);
		if (!enhanced_code(rest, src[0]))
			return pd_err_set(err,
			    "\"%.3s\" must be followed by an "
			    "enhanced status code %c.x.y",
			    src, src[0]);
		return 0;
	}
	/* Postfix reads only the word of these; a text after it is ignored. */
	if (word_in(src, n, bare_ok))
		return 0;
	if (*rest != '\0' && word_in(src, n, with_arg)) {
		if (n == 5 && strncasecmp(src, "SLEEP", 5) == 0 &&
		    strspn(rest, "0123456789") != strlen(rest))
			return pd_err_set(err,
			    "SLEEP takes a number of seconds");
		return 0;
	}
	if (word_in(src, n, with_arg))
		return pd_err_set(err,
		    "\"%.*s\" needs a text: Postfix would "
		    "say only \"Access denied\"",
		    (int)n, src);
	return pd_err_set(err,
	    "\"%.*s\" is not an SMTP code or access(5) action", (int)n, src);
}

enum pd_action
pd_tmpl_action(const char *s)
{
	size_t n = strcspn(s, " \t");

	if (n == 3 && s[0] == '4')
		return PD_ACT_DEFER;
	if (n == 3 && s[0] == '5')
		return PD_ACT_REJECT;
	if (n == 5 && strncasecmp(s, "DUNNO", 5) == 0)
		return PD_ACT_DUNNO;
	if (n == 6 && strncasecmp(s, "REJECT", 6) == 0)
		return PD_ACT_REJECT;
	if (n >= 5 && strncasecmp(s, "DEFER", 5) == 0)
		return PD_ACT_DEFER;
	if (n == 5 && strncasecmp(s, "SLEEP", 5) == 0)
		return PD_ACT_SLEEP;
	if (n == 4 && strncasecmp(s, "WARN", 4) == 0)
		return PD_ACT_WARN;
	return PD_ACT_OTHER;
}

const char *
pd_action_name(enum pd_action a)
{
	static const char *const names[] = {
		[PD_ACT_DUNNO] = "dunno",
		[PD_ACT_DEFER] = "defer",
		[PD_ACT_REJECT] = "reject",
		[PD_ACT_SLEEP] = "sleep",
		[PD_ACT_WARN] = "warn",
		[PD_ACT_OTHER] = "other",
	};

	_Static_assert(sizeof(names) / sizeof(names[0]) == PD_ACT_OTHER + 1,
	    "a name for each action");
	assert((unsigned)a <= PD_ACT_OTHER);
	return names[a];
}
