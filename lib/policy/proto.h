/* SPDX-License-Identifier: ISC */
/*
 * proto - the Postfix policy delegation protocol.
 *
 * A request is lines "name=value\n" ended by an empty line; the reply is
 * one attribute line, "action" and its text, and an empty line; only
 * proto.c writes it.  pd_proto_feed() takes bytes as they arrive, split
 * anywhere, and says when one request is complete; the caller answers
 * it, calls pd_proto_next() and feeds the rest.  The limits are checked
 * before the buffer grows: a line over PD_PROTO_LINE_MAX or a request
 * over PD_PROTO_REQ_MAX is an error, and the connection must be closed.
 *
 * pd_proto_parse() splits the complete request in place: the strings in
 * struct pd_req point into the parser's buffer and stay valid until
 * pd_proto_next() or pd_proto_clear().
 */
#ifndef PD_PROTO_H
#define PD_PROTO_H

#include <stddef.h>

#include "buf.h"

struct pd_err;

#define PD_PROTO_LINE_MAX 8192	/* bytes, with the newline */
#define PD_PROTO_REQ_MAX  65536 /* bytes, with the end line */

/* The attributes policyd reads; every other name is accepted and ignored. */
enum pd_attr {
	PD_A_REQUEST,
	PD_A_PROTOCOL_STATE,
	PD_A_PROTOCOL_NAME,
	PD_A_HELO_NAME,
	PD_A_QUEUE_ID,
	PD_A_SENDER,
	PD_A_RECIPIENT,
	PD_A_RECIPIENT_COUNT,
	PD_A_CLIENT_ADDRESS,
	PD_A_CLIENT_NAME,
	PD_A_REVERSE_CLIENT_NAME,
	PD_A_INSTANCE,
	PD_A_SASL_METHOD,
	PD_A_SASL_USERNAME,
	PD_A_SASL_SENDER,
	PD_A_SIZE,
	PD_A_CLIENT_PORT,
	PD_A_POLICY_CONTEXT,
	PD_A_SERVER_ADDRESS,
	PD_A_SERVER_PORT,
	PD_A_STRESS,
	PD_A_ENCRYPTION_PROTOCOL,
	PD_A_MAX
};

struct pd_req {
	const char *attr[PD_A_MAX]; /* NULL when absent */
	unsigned    nlines;	    /* attribute lines seen */
};

struct pd_proto {
	struct pd_buf req;  /* the request being collected */
	size_t	      line; /* offset of the current line */
};

void pd_proto_init(struct pd_proto *);
void pd_proto_clear(struct pd_proto *);

/*
 * pd_proto_feed - consume bytes until one request is complete.
 * Sets *used to the bytes taken.  Returns 1 when a request is complete,
 * 0 when all of data was taken and more is needed, -1 (with err) when a
 * limit was passed.
 */
int pd_proto_feed(struct pd_proto *, const char *data, size_t len, size_t *used,
    struct pd_err *);

/* pd_proto_pending - bytes of an incomplete request held */
static inline size_t
pd_proto_pending(const struct pd_proto *p)
{
	return p->req.len;
}

/*
 * pd_proto_parse - split the complete request into attributes.
 * -1 (with err) for a line without "=" or with a NUL byte; the caller
 * answers DUNNO and logs.
 */
int pd_proto_parse(struct pd_proto *, struct pd_req *, struct pd_err *);

/* pd_proto_next - forget the answered request */
void pd_proto_next(struct pd_proto *);

/* pd_req_get - attribute value, or "" when absent */
static inline const char *
pd_req_get(const struct pd_req *r, enum pd_attr a)
{
	return r->attr[a] ? r->attr[a] : "";
}

/*
 * pd_proto_reply - frame the reply to one request: the action attribute
 * with text, and the empty line that ends it.  text is one line (the template renderer
 * guarantees it); -1 when out is full.
 */
int pd_proto_reply(struct pd_buf *out, const char *text);

#endif
