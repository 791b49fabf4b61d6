/* SPDX-License-Identifier: ISC */
/*
 * proto - incremental policy request parser, and the reply framer.
 *
 * Bytes are copied line by line into one buffer whose hard maximum is
 * the request limit, so a peer can never make policyd hold more than
 * 64 KiB for one connection.  Parsing then happens in place, with no
 * allocation per attribute.  A trailing CR is tolerated so that a person
 * testing with nc or telnet gets answers.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "proto.h"

/*
 * The names policyd reads.  Looked up by length first, then bytes: a
 * request has some 30 lines, and most names have a length few others
 * share, so this costs less than a binary search of strcmp calls.
 */
static const struct attr_name {
	const char  *name;
	enum pd_attr attr;
} attr_names[] = {
	{ "client_address", PD_A_CLIENT_ADDRESS },
	{ "client_name", PD_A_CLIENT_NAME },
	{ "client_port", PD_A_CLIENT_PORT },
	{ "encryption_protocol", PD_A_ENCRYPTION_PROTOCOL },
	{ "helo_name", PD_A_HELO_NAME },
	{ "instance", PD_A_INSTANCE },
	{ "policy_context", PD_A_POLICY_CONTEXT },
	{ "protocol_name", PD_A_PROTOCOL_NAME },
	{ "protocol_state", PD_A_PROTOCOL_STATE },
	{ "queue_id", PD_A_QUEUE_ID },
	{ "recipient", PD_A_RECIPIENT },
	{ "recipient_count", PD_A_RECIPIENT_COUNT },
	{ "request", PD_A_REQUEST },
	{ "reverse_client_name", PD_A_REVERSE_CLIENT_NAME },
	{ "sasl_method", PD_A_SASL_METHOD },
	{ "sasl_sender", PD_A_SASL_SENDER },
	{ "sasl_username", PD_A_SASL_USERNAME },
	{ "sender", PD_A_SENDER },
	{ "server_address", PD_A_SERVER_ADDRESS },
	{ "server_port", PD_A_SERVER_PORT },
	{ "size", PD_A_SIZE },
	{ "stress", PD_A_STRESS },
};

#define NATTR (sizeof(attr_names) / sizeof(attr_names[0]))

void
pd_proto_init(struct pd_proto *p)
{
	pd_buf_init(&p->req, PD_PROTO_REQ_MAX);
	p->line = 0;
}

void
pd_proto_clear(struct pd_proto *p)
{
	pd_buf_clear(&p->req);
	p->line = 0;
}

int
pd_proto_feed(struct pd_proto *p, const char *data, size_t len, size_t *used,
    struct pd_err *err)
{
	const char *nl;
	size_t	    take, linelen, done = 0;

	while (done < len) {
		nl = memchr(data + done, '\n', len - done);
		take = nl ? (size_t)(nl - (data + done)) + 1 : len - done;
		linelen = p->req.len - p->line + take;
		if (linelen > PD_PROTO_LINE_MAX) {
			*used = done;
			return pd_err_set(err, "line longer than %d bytes",
			    PD_PROTO_LINE_MAX);
		}
		if (pd_buf_append(&p->req, data + done, take) < 0) {
			*used = done;
			return pd_err_set(err, "request longer than %d bytes",
			    PD_PROTO_REQ_MAX);
		}
		done += take;
		if (nl == NULL)
			break;
		/* An empty line ("\n" or "\r\n") ends the request. */
		if (linelen == 1 ||
		    (linelen == 2 && p->req.data[p->line] == '\r')) {
			*used = done;
			return 1;
		}
		p->line = p->req.len;
	}
	*used = done;
	return 0;
}

static size_t attr_len[NATTR];

static const struct attr_name *
attr_lookup(const char *name, size_t len)
{
	size_t i;

	if (attr_len[0] == 0)
		for (i = 0; i < NATTR; i++)
			attr_len[i] = strlen(attr_names[i].name);
	for (i = 0; i < NATTR; i++)
		if (attr_len[i] == len &&
		    memcmp(attr_names[i].name, name, len) == 0)
			return &attr_names[i];
	return NULL;
}

int
pd_proto_parse(struct pd_proto *p, struct pd_req *r, struct pd_err *err)
{
	char		       *line, *end, *nl, *eq;
	const struct attr_name *an;
	size_t			n;

	memset(r, 0, sizeof(*r));
	line = p->req.data;
	end = p->req.data + p->req.len;
	while (line < end) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			break;
		n = (size_t)(nl - line);
		*nl = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0)
			break;
		if (memchr(line, '\0', n) != NULL)
			return pd_err_set(err, "NUL byte in line %u",
			    r->nlines + 1);
		if ((eq = memchr(line, '=', n)) == NULL)
			return pd_err_set(err, "line %u has no \"=\"",
			    r->nlines + 1);
		*eq = '\0';
		r->nlines++;
		if ((an = attr_lookup(line, (size_t)(eq - line))) != NULL)
			r->attr[an->attr] = eq + 1;
		line = nl + 1;
	}
	return 0;
}

void
pd_proto_next(struct pd_proto *p)
{
	pd_buf_reset(&p->req);
	p->line = 0;
}

int
pd_proto_reply(struct pd_buf *out, const char *text)
{
	return pd_buf_printf(out, "action=%s\n\n", text);
}
