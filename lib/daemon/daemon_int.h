/* SPDX-License-Identifier: ISC */
/*
 * daemon_int - what the daemon's files share, and nothing else includes.
 *
 * The daemon is one module in five files, split by job as postscreen
 * is: daemon.c (start, reload, stop), daemon_request.c (requests and
 * their DNS waits), daemon_state.c (snapshots and the maillog),
 * daemon_ctl.c (the control socket and HTTP) and daemon_check.c (what
 * policyd -t asks of the system).  Calls between them are
 * expected; they all work on one struct pd_daemon.
 */
#ifndef PD_DAEMON_INT_H
#define PD_DAEMON_INT_H

#include "decision.h"
#include "server.h"
#include "daemon.h"

/* daemon_request.c */
extern const struct pd_server_ops daemon_server_ops;
/* daemon_decision_cb - the engine's sink: each decision is logged */
void daemon_decision_cb(void *arg, const struct pd_decision *);

/* daemon_state.c */
/* daemon_start_maillog - follow the maillog from where the last run stopped */
int  daemon_start_maillog(struct pd_daemon *);
/* daemon_drain_journal - read what the journal holds, before a save */
void daemon_drain_journal(struct pd_daemon *);
/* daemon_reap_saver - collect the snapshot child, blocking if asked */
void daemon_reap_saver(struct pd_daemon *, bool wait);
/* daemon_load_state - restore the snapshot; a damaged one is moved aside */
void daemon_load_state(struct pd_daemon *);

/* daemon_ctl.c */
/* daemon_start_control - policydctl's socket and the metrics endpoint */
int daemon_start_control(struct pd_daemon *);

#endif
