/* SPDX-License-Identifier: ISC */
/*
 * err - one-line error messages passed back to the caller.
 */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

int
pd_err_set(struct pd_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}
