/* SPDX-License-Identifier: ISC */
/*
 * ctl - the commands of the control socket, shared by policydctl and
 * the daemon so both read them the same way.
 *
 * On the wire a command is its words, one per line, ended by an empty
 * line (like a policy request).  The answer is a status line, "CODE
 * message" with CODE one of the exit codes below, then the output until
 * the daemon closes the connection.
 */
#ifndef PD_CTL_H
#define PD_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct pd_buf;
struct pd_err;

/* policydctl's exit codes, and the CODE of an answer. */
#define PD_CTL_OK	   0
#define PD_CTL_FAILED	   1 /* the command could not be done */
#define PD_CTL_USAGE	   2 /* no such command, bad arguments */
#define PD_CTL_UNREACHABLE 3 /* no answer from policyd */

#define PD_CTL_REQUEST_MAX 4096
/*
 * The largest answer, status line or HTTP header included: the daemon
 * builds no larger one, rpc sends no larger one and policydctl reads no
 * larger one.  A manual block of an IPv6 host with a reason of 31
 * characters lists in 232 bytes as text and 266 as JSON (measured by
 * t/check_control.c); with the longest reason, 200 characters, in about
 * 400 and 440.  So 200,000 blocks take at most 88 MB, and typical ones
 * fit 500,000 times.  Too large an answer is a failure ("answer too
 * large (N bytes)", exit 1), never an empty success.
 */
#define PD_CTL_ANSWER_MAX  (128 * 1024 * 1024)
/* Room kept in the answer for its status line or HTTP header. */
#define PD_CTL_HEAD_MAX	   1024
#define PD_CTL_ARGS_MAX	   16
#define PD_CTL_REASON_MAX  200
#define PD_CTL_BLOCK_MAX   (366LL * 24 * 3600 * 1000)

enum pd_ctl_op {
	PD_CTL_STATUS,
	PD_CTL_STATS,
	PD_CTL_SHOW,
	PD_CTL_LIST,
	PD_CTL_BLOCK,
	PD_CTL_UNBLOCK,
	PD_CTL_RESET,
	PD_CTL_RELOAD,
	PD_CTL_EXPLAIN,
};

enum pd_ctl_what {
	PD_CTL_ALL,
	PD_CTL_BLOCKS,
	PD_CTL_LISTINGS,
};

struct pd_ctl_cmd {
	enum pd_ctl_op	 op;
	bool		 json;
	bool		 prometheus;
	struct pd_cidr	 net;	   /* show, block, unblock, reset */
	int64_t		 duration; /* block --for, ms */
	char		 reason[PD_CTL_REASON_MAX + 1];
	enum pd_ctl_what what;	  /* list */
	uint32_t	 ref;	  /* explain */
	bool		 force;	  /* block, unblock: a wide network */
	bool		 replace; /* block: may shorten a block */
};

/*
 * The widest networks block and unblock take without --force: a /8 by
 * a slip of the finger (or 0.0.0.0/0) would refuse the world's mail, or
 * lift every block at once.
 */
#define PD_CTL_WIDE_V4 16
#define PD_CTL_WIDE_V6 32

/* The usage lines policydctl prints. */
extern const char pd_ctl_usage[];

/* pd_ctl_parse - argv (the command and its arguments) into cmd */
int pd_ctl_parse(int argc, char *const argv[], struct pd_ctl_cmd *,
    struct pd_err *);
/* pd_ctl_encode - argv as a request: one word a line, then an empty line */
int pd_ctl_encode(int argc, char *const argv[], struct pd_buf *,
    struct pd_err *);
/*
 * pd_ctl_decode - split a request (a NUL-terminated copy the caller
 * owns, changed in place) back into words.  Returns argc, or -1.
 */
int pd_ctl_decode(char *req, char *argv[PD_CTL_ARGS_MAX], struct pd_err *);

#endif
