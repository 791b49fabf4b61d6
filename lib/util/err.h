/* SPDX-License-Identifier: ISC */
/*
 * err - one-line error messages passed back to the caller.
 *
 * Functions that can fail for reasons a person must read take a
 * struct pd_err * and fill it with pd_err_set(), which returns -1 so
 * that failing paths read "return pd_err_set(err, ...);".  A NULL err
 * is allowed and discards the message.
 */
#ifndef PD_ERR_H
#define PD_ERR_H

#define PD_ERR_MAX 256

struct pd_err {
	char msg[PD_ERR_MAX];
};

/* pd_err_set - format a message into err; always returns -1 */
int pd_err_set(struct pd_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
