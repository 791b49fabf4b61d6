/* SPDX-License-Identifier: ISC */
/*
 * str - the few string helpers every module shares: sanitising peer
 * text, one parser each for integers and durations, and a list of
 * owned strings.
 *
 * Durations are milliseconds in an int64_t everywhere in policyd.
 */
#ifndef PD_STR_H
#define PD_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pd_err;

/* Longest value policyd echoes from a request into a log line or reply. */
#define PD_STR_VALUE_MAX 255

/*
 * pd_str_sanitize - copy at most dstsz - 1 bytes of src into dst,
 * replacing control characters, DEL and bytes that are not printable
 * ASCII with '?'.  Returns the length written.  dst is always
 * NUL-terminated; dstsz must be at least 1.
 */
size_t pd_str_sanitize(char *dst, size_t dstsz, const char *src, size_t srclen);

/* pd_str_int - parse a decimal integer in [min, max]; -1 and err on error */
int pd_str_int(const char *, long long min, long long max, long long *,
    struct pd_err *);

/*
 * pd_str_duration - parse "30s", "10m", "1h", "2d", "1w", "500ms" or a
 * bare number of seconds into milliseconds.  Zero is allowed.
 */
int pd_str_duration(const char *, int64_t *ms, struct pd_err *);

/* pd_str_fmt_duration - shortest exact form of ms: "1h", "90s", "250ms" */
void pd_str_fmt_duration(char *, size_t, int64_t ms);

/* pd_str_fmt_time - UTC ISO 8601 "2026-11-22T14:05:00Z" from epoch ms */
void pd_str_fmt_time(char *, size_t, int64_t ms);

/* pd_str_bool - "yes"/"no"/"true"/"false"/"on"/"off"/"1"/"0" */
int pd_str_bool(const char *, bool *, struct pd_err *);

/* pd_str_lower - ASCII lower-case in place; returns s */
char *pd_str_lower(char *s);
/* pd_str_upper - ASCII upper-case in place; returns s */
char *pd_str_upper(char *s);

/* pd_str_trim - strip leading and trailing blanks in place; returns start */
char *pd_str_trim(char *s);

/*
 * A list of strings, such as a config value "a, b c".  The list owns
 * the array and every string in it; a zeroed list is empty.
 */
struct pd_strlist {
	char **v; /* owned, each string owned */
	size_t n;
};

/*
 * pd_strlist_split - replace l with the comma- or blank-separated words
 * of s.  -1 when out of memory, with l holding the words split so far.
 */
int pd_strlist_split(struct pd_strlist *l, const char *s);

/* pd_strlist_add - append a copy of s; -1 when out of memory, l as it was */
int pd_strlist_add(struct pd_strlist *l, const char *s);

/* pd_strlist_free - free every string and the array; l becomes empty */
void pd_strlist_free(struct pd_strlist *l);

/*
 * pd_strlist_copy - make dst a copy of src; -1 when out of memory, with
 * dst as it was.
 */
int pd_strlist_copy(struct pd_strlist *dst, const struct pd_strlist *src);

/* pd_strlist_equal - the same strings in the same order */
bool pd_strlist_equal(const struct pd_strlist *, const struct pd_strlist *);

#endif
