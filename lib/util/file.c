/* SPDX-License-Identifier: ISC */
/*
 * file - replace a small file atomically; see file.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "file.h"

int
pd_file_replace(const char *path, struct pd_err *err, const char *fmt, ...)
{
	char	tmp[4096];
	FILE   *fp;
	va_list ap;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return pd_err_set(err, "%s: path too long", path);
	if ((fp = fopen(tmp, "w")) == NULL)
		return pd_err_set(err, "%s: %s", tmp, strerror(errno));
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0 || ferror(fp)) {
		pd_err_set(err, "%s: %s", tmp, strerror(errno ? errno : EIO));
		fclose(fp);
		unlink(tmp);
		return -1;
	}
	if (fclose(fp) != 0 || rename(tmp, path) != 0) {
		pd_err_set(err, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
