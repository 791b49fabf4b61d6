/* SPDX-License-Identifier: ISC */
/*
 * maillog - one Postfix maillog line in, one counted fact out.
 *
 * Pure: no I/O, no clock, no allocation, no locale.  The caller passes
 * the current time, and the parser reads no more of the line than len
 * says, so a line of any length or content is safe.  Lines it does not
 * count come back as PD_ML_NONE, never as an error to act on.
 */
#ifndef PD_MAILLOG_H
#define PD_MAILLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "event.h"
#include "str.h"

enum pd_maillog_kind {
	PD_ML_NONE,	   /* a line that says nothing we count */
	PD_ML_CONNECT,	   /* smtpd "connect from NAME[ADDR]" */
	PD_ML_RCPT_REJECT, /* reject: or milter-reject: RCPT from ... */
	PD_ML_AUTH_FAIL,   /* SASL ... authentication failed */
	PD_ML_DATA_REJECT, /* (milter-)reject: DATA, END-OF-MESSAGE */
	PD_ML_DROP,	   /* lost connection, timeout, too many errors */
	PD_ML_DISCONNECT,  /* disconnect from NAME[ADDR] ... summary */
	PD_ML_BUSY,	   /* master: a service at its process limit */
	PD_ML_MAX
};

/* Whose doing a reject or failure is. */
enum pd_maillog_blame {
	PD_ML_CLIENT,	/* the client's own: counted */
	PD_ML_SERVER,	/* the server's temporary failure (4.3.x, a policy
			   service, table, milter or SASL backend down) */
	PD_ML_GREYLIST, /* greylisting: every new client gets it */
	PD_ML_OTHER,	/* at RCPT, a reject of the client, sender or
			   HELO, not of the recipient */
};

struct pd_maillog_line {
	enum pd_maillog_kind  kind;
	int64_t		      time;   /* ms since the epoch, UTC */
	struct pd_addr	      client; /* family 0 for NONE and BUSY */
	enum pd_maillog_blame blame;
	char		      code[4];	  /* "550" for rejects, else "" */
	char		      status[12]; /* "5.1.1" for rejects, else "" */
	/*
	 * Sanitised (control bytes and non-ASCII are '?'), truncated:
	 * rejects: the reply as logged, its codes and its text without
	 * "<rcpt>: Recipient address rejected: ", up to the first ';'
	 * ("550 5.1.1 User unknown in local recipient table"; cleanup
	 * logs no reply code: "5.7.1 header says no"); AUTH_FAIL: the
	 * SASL reason ("authentication failure"); DROP: "lost
	 * connection", "timeout" or "too many errors".  "" when none.
	 */
	char		      reason[128];
	/* DISCONNECT: the ok/all pairs of the summary, -1 when absent */
	int		      rcpt_ok, rcpt_all;
	int		      data_ok, data_all;
	int		      auth_ok, auth_all;
	/* DROP: the stage ("RCPT", "DATA", "CONNECT"); rejects: likewise */
	char		      after[16];
};

/*
 * pd_maillog_parse - parse one line (without its newline) into *out.
 *
 * Stamps: traditional syslog ("Nov 23 09:36:51", "Nov  3", and "Nov 03"
 * as Postfix's own maillog_file writes it) or RFC 3339
 * ("2026-11-23T09:36:51.123456+01:00", "...Z").  A traditional stamp
 * has no year and no zone: it is taken as local time at tz_offset
 * seconds east of UTC, in the local year of now (ms since the epoch,
 * UTC), and a stamp more than a day after now is from the year before
 * (a log read across New Year).  XXX One offset serves every line, so
 * lines from before a DST change come out an hour off.  RFC 3339 stamps
 * ignore both.
 *
 * Returns 0 with *out filled (kind PD_ML_NONE for lines it skips), or -1
 * with kind PD_ML_NONE for a line it cannot split into stamp, host and
 * program.  Never fatal: the caller just moves on.
 */
int pd_maillog_parse(const char *line, size_t len, int64_t now, long tz_offset,
    struct pd_maillog_line *out);
/*
 * pd_maillog_parse_as - the same, with the syslog names taken as
 * Postfix's: fnmatch(3) patterns matched against a program name's part
 * before its first '/' ("postfix-out" of "postfix-out/smtpd").  NULL:
 * "postfix" and "postfix-*", what Debian's Postfix and postmulti write.
 */
int pd_maillog_parse_as(const char *line, size_t len, int64_t now,
    long tz_offset, const struct pd_strlist *names,
    struct pd_maillog_line *out);

/* pd_maillog_kind_name - "connect", "rcpt_reject", ...; "?" if unknown */
const char *pd_maillog_kind_name(enum pd_maillog_kind);

/*
 * pd_maillog_event - the engine's event for a parsed line: false for
 * kinds the engine does not count (NONE, DISCONNECT) and for rejects at
 * RCPT of anything but the recipient.  What is the server's doing
 * (blame SERVER or GREYLIST, and BUSY) is PD_EV_SERVER_DEFER.
 */
bool pd_maillog_event(const struct pd_maillog_line *, enum pd_event_type *);

#endif
