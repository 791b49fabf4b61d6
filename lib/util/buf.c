/* SPDX-License-Identifier: ISC */
/*
 * buf - growable byte buffer with a hard maximum.
 *
 * Growth doubles the allocation, capped at max + 1, so a buffer that
 * lives as long as a connection settles at its working size and then
 * stops calling the allocator.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "str.h"
#include "buf.h"

void
pd_buf_init(struct pd_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
	b->lost = 0;
}

void
pd_buf_clear(struct pd_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->lost = 0;
}

void
pd_buf_reset(struct pd_buf *b)
{
	b->len = 0;
	b->lost = 0;
	if (b->data)
		b->data[0] = '\0';
}

int
pd_buf_reserve(struct pd_buf *b, size_t n)
{
	size_t need, cap;
	char  *p;

	if (n > b->max || b->len > b->max - n) {
		b->lost += n;
		return -1;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	if ((p = realloc(b->data, cap)) == NULL) {
		b->lost += n;
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int
pd_buf_append(struct pd_buf *b, const void *p, size_t n)
{
	if (pd_buf_reserve(b, n) < 0)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
pd_buf_puts(struct pd_buf *b, const char *s)
{
	return pd_buf_append(b, s, strlen(s));
}

int
pd_buf_putc(struct pd_buf *b, int c)
{
	char ch = (char)c;

	return pd_buf_append(b, &ch, 1);
}

int
pd_buf_printf(struct pd_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t	room;
	int	n;

	if (pd_buf_reserve(b, 0) < 0)
		return -1;
	room = b->cap - b->len;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		goto fail;
	if ((size_t)n >= room) {
		if (pd_buf_reserve(b, (size_t)n) < 0)
			goto fail;
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return 0;
fail:
	b->data[b->len] = '\0';
	return -1;
}

void
pd_buf_consume(struct pd_buf *b, size_t n)
{
	if (n >= b->len) {
		pd_buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

int
pd_buf_kv(struct pd_buf *b, const char *key, const char *value)
{
	char   clean[PD_STR_VALUE_MAX + 1];
	size_t n;
	bool   quote;

	n = pd_str_sanitize(clean, sizeof(clean), value, strlen(value));
	quote = n == 0 || strpbrk(clean, " \"") != NULL;
	if (quote) {
		/* Quotes inside a quoted value would end it early. */
		for (char *p = clean; *p; p++)
			if (*p == '"')
				*p = '\'';
		return pd_buf_printf(b, " %s=\"%s\"", key, clean);
	}
	return pd_buf_printf(b, " %s=%s", key, clean);
}
