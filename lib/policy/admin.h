/* SPDX-License-Identifier: ISC */
/*
 * admin - what an operator asks of the engine through policydctl:
 * show, list, block, unblock, reset and explain.
 *
 * Each command writes its answer with pd_out and returns a policydctl
 * exit code (PD_CTL_OK, or PD_CTL_FAILED with err saying why).  Every
 * change an operator makes is logged.
 *
 * show and list walk the whole counter store: with a million keys that
 * takes some tens of milliseconds, which an operator's command may.
 */
#ifndef PD_ADMIN_H
#define PD_ADMIN_H

#include <stdint.h>

struct pd_ctl_cmd;
struct pd_engine;
struct pd_err;
struct pd_out;

int pd_admin_run(struct pd_engine *, const struct pd_ctl_cmd *, int64_t now,
    struct pd_out *, struct pd_err *);

#endif
