/* SPDX-License-Identifier: ISC */
/*
 * buf - growable byte buffer with a hard maximum.
 *
 * The data is always NUL-terminated (the NUL is not counted in len),
 * so a buffer can be handed to string functions as it is.  The maximum
 * is enforced: an append that would pass it fails and leaves the buffer
 * unchanged, which is how the protocol's 8 KiB line and 64 KiB request
 * limits are kept.  A buffer owns its data; pd_buf_clear() frees it.
 */
#ifndef PD_BUF_H
#define PD_BUF_H

#include <stddef.h>

struct pd_buf {
	char  *data; /* NUL-terminated, or NULL before first use */
	size_t len;  /* bytes in use, without the NUL */
	size_t cap;  /* allocated, with room for the NUL */
	size_t max;  /* hard limit on len */
	size_t lost; /* bytes appends could not add since init,
				   clear or reset: an answer cut short says so */
};

/* pd_buf_init - empty buffer that never holds more than max bytes */
void pd_buf_init(struct pd_buf *, size_t max);
/* pd_buf_clear - free the data; the buffer may be used again */
void pd_buf_clear(struct pd_buf *);
/* pd_buf_reset - forget the contents, keep the memory */
void pd_buf_reset(struct pd_buf *);
/* pd_buf_reserve - make room for n more bytes; -1 past max or on ENOMEM */
int  pd_buf_reserve(struct pd_buf *, size_t n);
int  pd_buf_append(struct pd_buf *, const void *, size_t);
int  pd_buf_puts(struct pd_buf *, const char *);
int  pd_buf_putc(struct pd_buf *, int);
/* pd_buf_printf - append formatted text; -1 (buffer unchanged) past max */
int  pd_buf_printf(struct pd_buf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* pd_buf_consume - drop n bytes from the front */
void pd_buf_consume(struct pd_buf *, size_t n);
/*
 * pd_buf_kv - append " key=value" for a log line.  The value is
 * sanitised (pd_str_sanitize) and double-quoted when it holds a space,
 * a quote or is empty, so one line always parses back into pairs.
 */
int  pd_buf_kv(struct pd_buf *, const char *key, const char *value);

/* pd_buf_str - the contents as a string, "" before first use */
static inline const char *
pd_buf_str(const struct pd_buf *b)
{
	return b->data ? b->data : "";
}

#endif
