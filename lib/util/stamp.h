/* SPDX-License-Identifier: ISC */
/*
 * stamp - syslog timestamps: the traditional "Nov 23 09:36:51" (no year,
 * no zone) and RFC 3339 "2026-11-23T09:36:51.123+01:00".
 */
#ifndef PD_STAMP_H
#define PD_STAMP_H

#include <stdint.h>

struct pd_span;

/*
 * pd_stamp_traditional - parse "Mon DD HH:MM:SS " from s into *ms.  The
 * year is the one that puts the stamp no more than a day after now; tz
 * is the offset of local time from UTC in seconds.  -1 when s does not
 * start with such a stamp.
 */
int pd_stamp_traditional(struct pd_span *s, int64_t now, long tz, int64_t *ms);
/* pd_stamp_rfc3339 - parse an RFC 3339 stamp and a space; -1 if not one */
int pd_stamp_rfc3339(struct pd_span *s, int64_t *ms);

#endif
