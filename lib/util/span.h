/* SPDX-License-Identifier: ISC */
/*
 * span - reading a text that need not end in NUL: a span [p, e) is
 * consumed from the front by literal prefixes and digits, every read
 * bounded by its end.  The maillog parser and the timestamp parser use
 * it; the functions are small and called per byte, so they are inline.
 */
#ifndef PD_SPAN_H
#define PD_SPAN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The part of a text still to parse: [p, e). */
struct pd_span {
	const char *p;
	const char *e;
};

static inline size_t
pd_span_len(const struct pd_span *s)
{
	return (size_t)(s->e - s->p);
}

/* pd_span_starts - [p, e) starts with lit */
static inline bool
pd_span_starts(const char *p, const char *e, const char *lit)
{
	size_t n = strlen(lit); /* lit is a literal: folded */

	return (size_t)(e - p) >= n && memcmp(p, lit, n) == 0;
}

/* pd_span_eat - skip lit if the span starts with it */
static inline bool
pd_span_eat(struct pd_span *s, const char *lit)
{
	if (!pd_span_starts(s->p, s->e, lit))
		return false;
	s->p += strlen(lit);
	return true;
}

static inline bool
pd_span_eat_char(struct pd_span *s, char c)
{
	if (s->p == s->e || *s->p != c)
		return false;
	s->p++;
	return true;
}

static inline bool
pd_span_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* pd_span_digits - n decimal digits exactly; -1 if they are not there */
static inline int
pd_span_digits(struct pd_span *s, int n)
{
	int v = 0;

	if (pd_span_len(s) < (size_t)n)
		return -1;
	for (int i = 0; i < n; i++) {
		if (!pd_span_is_digit(s->p[i]))
			return -1;
		v = v * 10 + (s->p[i] - '0');
	}
	s->p += n;
	return v;
}

/* pd_span_number - 1 to 9 digits (no overflow); -1 if none */
static inline int
pd_span_number(struct pd_span *s)
{
	int v = 0, n = 0;

	while (s->p < s->e && pd_span_is_digit(*s->p) && n < 9) {
		v = v * 10 + (*s->p++ - '0');
		n++;
	}
	if (n == 0 || (s->p < s->e && pd_span_is_digit(*s->p)))
		return -1;
	return v;
}

/* pd_span_find - first occurrence of lit in s, or NULL */
static inline const char *
pd_span_find(const struct pd_span *s, const char *lit)
{
	size_t	    n = strlen(lit);
	const char *p = s->p, *q;

	while ((size_t)(s->e - p) >= n) {
		if ((q = memchr(p, lit[0], (size_t)(s->e - p) - n + 1)) == NULL)
			return NULL;
		if (memcmp(q, lit, n) == 0)
			return q;
		p = q + 1;
	}
	return NULL;
}

#endif
