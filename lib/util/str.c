/* SPDX-License-Identifier: ISC */
/*
 * str - sanitising, the shared number and duration parsers, and string
 * lists.
 *
 * Every parser checks errno, the end pointer and the range, so a
 * config value is either exactly what it says or an error.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "err.h"
#include "str.h"

size_t
pd_str_sanitize(char *dst, size_t dstsz, const char *src, size_t srclen)
{
	size_t i, n;

	n = srclen < dstsz - 1 ? srclen : dstsz - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[n] = '\0';
	return n;
}

int
pd_str_int(const char *s, long long min, long long max, long long *out,
    struct pd_err *err)
{
	char	 *end;
	long long v;

	errno = 0;
	if (*s == '\0' || isspace((unsigned char)*s))
		return pd_err_set(err, "\"%s\" is not a number", s);
	v = strtoll(s, &end, 10);
	if (errno == ERANGE || *end != '\0')
		return pd_err_set(err, "\"%s\" is not a number", s);
	if (v < min || v > max)
		return pd_err_set(err, "%lld is out of range %lld..%lld", v,
		    min, max);
	*out = v;
	return 0;
}

static const struct {
	const char *suffix;
	int64_t	    ms;
} units[] = {
	{ "ms", 1 },
	{ "s", 1000 },
	{ "m", 60 * 1000 },
	{ "h", 3600 * 1000 },
	{ "d", 86400 * 1000 },
	{ "w", 7 * 86400 * 1000LL },
};

int
pd_str_duration(const char *s, int64_t *ms, struct pd_err *err)
{
	char	 *end;
	long long v;
	size_t	  i;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return pd_err_set(err,
		    "\"%s\" is not a duration (e.g. 30s, 10m, 1h, 2d)", s);
	v = strtoll(s, &end, 10);
	if (errno == ERANGE || v > 100LL * 365 * 86400 * 1000)
		return pd_err_set(err, "duration \"%s\" is too long", s);
	if (*end == '\0') {
		*ms = v * 1000;
		return 0;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			if (v > INT64_MAX / units[i].ms / 4)
				break;
			*ms = v * units[i].ms;
			return 0;
		}
	}
	return pd_err_set(err,
	    "\"%s\" is not a duration (e.g. 30s, 10m, 1h, 2d)", s);
}

void
pd_str_fmt_duration(char *buf, size_t n, int64_t ms)
{
	size_t i;

	for (i = sizeof(units) / sizeof(units[0]); i-- > 1;) {
		if (ms != 0 && ms % units[i].ms == 0) {
			snprintf(buf, n, "%" PRId64 "%s", ms / units[i].ms,
			    units[i].suffix);
			return;
		}
	}
	snprintf(buf, n, "%" PRId64 "%s", ms, ms == 0 ? "s" : "ms");
}

void
pd_str_fmt_time(char *buf, size_t n, int64_t ms)
{
	time_t	  t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, n, "-");
}

int
pd_str_bool(const char *s, bool *out, struct pd_err *err)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t		   i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return pd_err_set(err, "\"%s\" is not yes or no", s);
}

char *
pd_str_lower(char *s)
{
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

char *
pd_str_upper(char *s)
{
	for (char *p = s; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return s;
}

char *
pd_str_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s &&
	    (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

int
pd_strlist_split(struct pd_strlist *l, const char *s)
{
	const char *p = s, *e;
	char	  **v;

	pd_strlist_free(l);
	for (;;) {
		p += strspn(p, ", \t");
		if (*p == '\0')
			return 0;
		e = p + strcspn(p, ", \t");
		if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL)
			return -1;
		l->v = v;
		if ((v[l->n] = strndup(p, (size_t)(e - p))) == NULL)
			return -1;
		l->n++;
		p = e;
	}
}

int
pd_strlist_add(struct pd_strlist *l, const char *s)
{
	char **v, *copy;

	if ((copy = strdup(s)) == NULL)
		return -1;
	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL) {
		free(copy);
		return -1;
	}
	l->v = v;
	v[l->n++] = copy;
	return 0;
}

void
pd_strlist_free(struct pd_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
pd_strlist_copy(struct pd_strlist *dst, const struct pd_strlist *src)
{
	struct pd_strlist l = { 0 };

	if (src->n && (l.v = calloc(src->n, sizeof(*l.v))) == NULL)
		return -1;
	for (; l.n < src->n; l.n++)
		if ((l.v[l.n] = strdup(src->v[l.n])) == NULL) {
			pd_strlist_free(&l);
			return -1;
		}
	pd_strlist_free(dst);
	*dst = l;
	return 0;
}

bool
pd_strlist_equal(const struct pd_strlist *a, const struct pd_strlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}
