/* SPDX-License-Identifier: ISC */
/*
 * stamp - the timestamps at the start of syslog and journal lines, to
 * milliseconds since the epoch.
 *
 * No timegm() or mktime(): they read the TZ environment on some systems
 * and cannot be told the offset to use, and a parser that is fed
 * untrusted lines must not touch global state.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "span.h"
#include "stamp.h"

/*
 * Time.  days_from_civil() and year_of_days() are Howard Hinnant's
 * proleptic Gregorian algorithms: exact, and no timegm(), which would
 * read the TZ environment on some systems.
 */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int64_t
year_of_days(int64_t z)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return yoe + era * 400 + (mp >= 10);
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Days in each month; February has 29 because the year may be unknown. */
static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

/* clock_ok - h:m:s in range and d in range for month m (1-based) */
static bool
clock_ok(int m, int d, int h, int mi, int s)
{
	/* 60 is a leap second; the arithmetic rolls it into the next. */
	return m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1] && h >= 0 &&
	    h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

/* hms - "HH:MM:SS" */
static bool
hms(struct pd_span *s, int *h, int *mi, int *sec)
{
	return (*h = pd_span_digits(s, 2)) >= 0 && pd_span_eat_char(s, ':') &&
	    (*mi = pd_span_digits(s, 2)) >= 0 && pd_span_eat_char(s, ':') &&
	    (*sec = pd_span_digits(s, 2)) >= 0;
}

/* 9999-12-31T23:59:59.999Z, and the widest zone offset taken */
#define NOW_MAX 253402300799999LL
#define TZ_MAX	(26 * 3600L)

static const char months[12][3] = {
	{ 'J', 'a', 'n' },
	{ 'F', 'e', 'b' },
	{ 'M', 'a', 'r' },
	{ 'A', 'p', 'r' },
	{ 'M', 'a', 'y' },
	{ 'J', 'u', 'n' },
	{ 'J', 'u', 'l' },
	{ 'A', 'u', 'g' },
	{ 'S', 'e', 'p' },
	{ 'O', 'c', 't' },
	{ 'N', 'o', 'v' },
	{ 'D', 'e', 'c' },
};

/*
 * pd_stamp_traditional - "Nov 23 09:36:51 ", "Nov  3 ..." (syslogd) or
 * "Nov 03 ..." (Postfix's postlogd, strftime "%b %d").  The C locale's
 * English month names are what both write.
 */
int
pd_stamp_traditional(struct pd_span *s, int64_t now, long tz, int64_t *ms)
{
	int	m, d, h, mi, sec;
	int64_t local, y, t;

	if (pd_span_len(s) < 4 || s->p[3] != ' ')
		return -1;
	for (m = 0; m < 12; m++)
		if (memcmp(s->p, months[m], 3) == 0)
			break;
	if (m == 12)
		return -1;
	s->p += 4;
	m++;
	if (pd_span_eat_char(s, ' ')) {
		if ((d = pd_span_digits(s, 1)) < 0)
			return -1;
	} else if ((d = pd_span_digits(s, 2)) < 0) {
		/* "Nov 3 ": one digit, one space, as some syslogs write */
		if ((d = pd_span_digits(s, 1)) < 0)
			return -1;
	}
	if (!pd_span_eat_char(s, ' ') || !hms(s, &h, &mi, &sec) ||
	    !pd_span_eat_char(s, ' ') || !clock_ok(m, d, h, mi, sec))
		return -1;
	/* Keep a caller's nonsense from overflowing: years 1970 to 9999. */
	if (now < 0 || now > NOW_MAX)
		now = now < 0 ? 0 : NOW_MAX;
	if (tz < -TZ_MAX || tz > TZ_MAX)
		tz = 0;
	local = floor_div(now, 1000) + tz;
	y = year_of_days(floor_div(local, 86400));
	t = days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec - tz;
	/* More than a day ahead of now: last year's line read this year. */
	if (t * 1000 > now + 86400 * 1000LL)
		t = days_from_civil(y - 1, m, d) * 86400 + h * 3600 + mi * 60 +
		    sec - tz;
	*ms = t * 1000;
	return 0;
}

/* pd_stamp_rfc3339 - "2026-11-23T09:36:51[.123456](Z|+01:00|+0100) " */
int
pd_stamp_rfc3339(struct pd_span *s, int64_t *ms)
{
	int	y, m, d, h, mi, sec, frac = 0, scale = 100, oh, om, sign;
	int64_t t;

	if ((y = pd_span_digits(s, 4)) < 0 || !pd_span_eat_char(s, '-') ||
	    (m = pd_span_digits(s, 2)) < 0 || !pd_span_eat_char(s, '-') ||
	    (d = pd_span_digits(s, 2)) < 0 ||
	    !(pd_span_eat_char(s, 'T') || pd_span_eat_char(s, 't')) ||
	    !hms(s, &h, &mi, &sec) || !clock_ok(m, d, h, mi, sec))
		return -1;
	if (pd_span_eat_char(s, '.')) {
		if (s->p == s->e || !pd_span_is_digit(*s->p))
			return -1;
		/* milliseconds: the first three digits, the rest is skipped */
		for (; s->p < s->e && pd_span_is_digit(*s->p); s->p++) {
			frac += (*s->p - '0') * scale;
			scale /= 10;
		}
	}
	if (pd_span_eat_char(s, 'Z') || pd_span_eat_char(s, 'z')) {
		oh = om = 0;
		sign = 1;
	} else {
		if (pd_span_eat_char(s, '+'))
			sign = 1;
		else if (pd_span_eat_char(s, '-'))
			sign = -1;
		else
			return -1;
		if ((oh = pd_span_digits(s, 2)) < 0)
			return -1;
		pd_span_eat_char(s, ':');
		if ((om = pd_span_digits(s, 2)) < 0 || oh > 23 || om > 59)
			return -1;
	}
	if (!pd_span_eat_char(s, ' '))
		return -1;
	t = days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec -
	    sign * (oh * 3600 + om * 60);
	*ms = t * 1000 + frac;
	return 0;
}
