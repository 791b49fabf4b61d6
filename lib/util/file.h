/* SPDX-License-Identifier: ISC */
/*
 * file - small files replaced whole, never seen half written.
 */
#ifndef PD_FILE_H
#define PD_FILE_H

struct pd_err;

/*
 * pd_file_replace - write the text fmt makes to PATH.tmp, fsync it and
 * rename it over path, so path holds the old text or the new one even
 * after a crash or a full disk; -1 with err (path untouched) on failure
 */
int pd_file_replace(const char *path, struct pd_err *, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
