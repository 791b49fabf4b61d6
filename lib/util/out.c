/* SPDX-License-Identifier: ISC */
/*
 * out - records as text or JSON.
 *
 * JSON strings are escaped here; every byte above 0x7f is written as
 * \u00XX, so the document is valid UTF-8 whatever a HELO name held.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "str.h"
#include "out.h"

void
pd_out_init(struct pd_out *o, struct pd_buf *b, bool json)
{
	memset(o, 0, sizeof(*o));
	o->b = b;
	o->json = json;
	if (json)
		pd_buf_putc(b, '{');
}

void
pd_out_finish(struct pd_out *o)
{
	pd_buf_puts(o->b, o->json ? "}\n" : "");
}

static void
json_string(struct pd_buf *b, const char *s)
{
	pd_buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			pd_buf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p > 0x7e)
			pd_buf_printf(b, "\\u%04x", *p);
		else
			pd_buf_putc(b, *p);
	}
	pd_buf_putc(b, '"');
}

/* inline_item - an object inside a list: name=value pairs on one line */
static bool
inline_item(const struct pd_out *o)
{
	return !o->json && o->depth > 0 && o->list[o->depth - 1];
}

/* name - start a value: separator and name as the format wants */
static void
name(struct pd_out *o, const char *n)
{
	if (o->json) {
		if (o->more[o->depth])
			pd_buf_putc(o->b, ',');
		if (n != NULL) {
			json_string(o->b, n);
			pd_buf_putc(o->b, ':');
		}
	} else if (n != NULL) {
		pd_buf_printf(o->b, "%-16s ", n);
	}
	o->more[o->depth] = true;
}

void
pd_out_str(struct pd_out *o, const char *n, const char *v)
{
	char clean[PD_STR_VALUE_MAX + 1];

	if (inline_item(o)) {
		/* The log lines' own " name=value", quoted as they are. */
		pd_buf_kv(o->b, n, v);
		return;
	}
	name(o, n);
	if (o->json) {
		json_string(o->b, v);
		return;
	}
	pd_str_sanitize(clean, sizeof(clean), v, strlen(v));
	pd_buf_printf(o->b, "%s\n", clean);
}

void
pd_out_int(struct pd_out *o, const char *n, long long v)
{
	char s[32];

	if (o->json) {
		name(o, n);
		pd_buf_printf(o->b, "%lld", v);
		return;
	}
	snprintf(s, sizeof(s), "%lld", v);
	pd_out_str(o, n, s);
}

void
pd_out_time(struct pd_out *o, const char *n, int64_t ms)
{
	char s[32];

	if (ms == 0)
		return;
	pd_str_fmt_time(s, sizeof(s), ms);
	pd_out_str(o, n, s);
}

void
pd_out_duration(struct pd_out *o, const char *n, int64_t ms)
{
	char s[32];

	if (o->json) {
		name(o, n);
		pd_buf_printf(o->b, "%lld", (long long)(ms / 1000));
		return;
	}
	pd_str_fmt_duration(s, sizeof(s), ms);
	pd_out_str(o, n, s);
}

void
pd_out_list(struct pd_out *o, const char *n)
{
	if (o->depth + 1 >= PD_OUT_DEPTH)
		return;
	if (o->json) {
		name(o, n);
		pd_buf_putc(o->b, '[');
	} else {
		pd_buf_printf(o->b, "%s:\n", n);
		o->more[o->depth] = true;
	}
	o->depth++;
	o->list[o->depth - 1] = true;
	o->more[o->depth] = false;
}

void
pd_out_end(struct pd_out *o)
{
	if (o->depth == 0)
		return;
	o->depth--;
	o->list[o->depth] = false;
	if (o->json)
		pd_buf_putc(o->b, ']');
}

void
pd_out_open(struct pd_out *o)
{
	if (!o->json) {
		/* One indented line; each pair brings its own space. */
		pd_buf_putc(o->b, ' ');
		return;
	}
	name(o, NULL);
	pd_buf_putc(o->b, '{');
	o->depth++;
	o->list[o->depth - 1] = false;
	o->more[o->depth] = false;
}

void
pd_out_close(struct pd_out *o)
{
	if (o->json) {
		o->depth--;
		pd_buf_putc(o->b, '}');
	} else {
		pd_buf_putc(o->b, '\n');
	}
}
