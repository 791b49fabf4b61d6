/* SPDX-License-Identifier: ISC */
/*
 * daemon_request - the policy request path: ask for the HELO name's DNS
 * answer when the decision needs it, wait for it without holding up
 * other connections, then decide once and frame the reply.
 *
 * A request whose name is being looked up answers when the DNS does or
 * when reply_timeout passes, whichever comes first; the request itself
 * stays in the connection's parser until then, and the connection reads
 * nothing more meanwhile, so replies leave in order.
 */
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "conf.h"
#include "decision.h"
#include "proto.h"
#include "daemon_int.h"

/*
 * A request whose HELO name is being looked up.  It answers when the
 * DNS does or when reply_timeout passes, whichever comes first; the
 * request itself stays in the connection's parser until then.
 */
struct pending {
	uv_timer_t	   timer; /* first: handle <-> pending */
	struct pd_daemon  *d;
	struct pd_list	   link; /* on d->pending */
	struct pd_conn	  *conn;
	struct pd_req	   req;
	const char	  *peer; /* the server's, lives as long */
	struct pd_dns_wait wait;
};

static void
pending_free_cb(uv_handle_t *h)
{
	free(h);
}

/* helo_dns - what a DNS answer means to the HELO check */
static enum pd_helo_dns
helo_dns(enum pd_dns_status st)
{
	switch (st) {
	case PD_DNS_FOUND:
		return PD_HELO_DNS_FOUND;
	case PD_DNS_NOTFOUND:
		return PD_HELO_DNS_NOTFOUND;
	default:
		return PD_HELO_DNS_TEMPFAIL;
	}
}

/*
 * answer - decide a request with what DNS said of its HELO name, and
 * frame the reply.  The one place a request is decided.
 */
static void
answer(struct pd_daemon *d, const struct pd_req *req, const char *peer,
    enum pd_helo_dns dns, struct pd_buf *out)
{
	struct pd_decision dec;

	pd_engine_decide(&d->engine, req, pd_clock_now(), dns, &dec);
	if (dec.malformed)
		pd_log_warnx("malformed request from %s: %s; answered DUNNO",
		    peer, dec.malformed);
	if (dec.dns_skipped)
		pd_log_info("helo=%s client=%s: DNS lookup %s; HELO DNS check "
			    "skipped",
		    pd_req_get(req, PD_A_HELO_NAME),
		    pd_req_get(req, PD_A_CLIENT_ADDRESS),
		    dns == PD_HELO_DNS_TIMEOUT ? "timed out" : "failed");
	pd_proto_reply(out, dec.reply);
}

/* pending_done - answer p with what DNS said, and let it go */
static void
pending_done(struct pending *p, enum pd_helo_dns dns)
{
	struct pd_buf out;

	pd_dns_cancel(&p->wait);
	uv_timer_stop(&p->timer);
	pd_list_unlink(&p->link);
	pd_buf_init(&out, 4096);
	answer(p->d, &p->req, p->peer, dns, &out);
	pd_server_answer(p->conn, pd_buf_str(&out), out.len);
	pd_buf_clear(&out);
	uv_close((uv_handle_t *)&p->timer, pending_free_cb);
}

static void
pending_dns_cb(void *arg, enum pd_dns_status st)
{
	pending_done(arg, helo_dns(st));
}

static void
pending_timeout_cb(uv_timer_t *t)
{
	struct pending *p = (struct pending *)t;

	p->d->dns_timeouts++;
	pending_done(p, PD_HELO_DNS_TIMEOUT);
}

static void
cancel_cb(void *arg, struct pd_conn *conn)
{
	struct pd_daemon *d = arg;
	struct pd_list	 *l;

	for (l = d->pending.next; l != &d->pending; l = l->next) {
		struct pending *p = pd_list_entry(l, struct pending, link);

		if (p->conn != conn)
			continue;
		pd_dns_cancel(&p->wait);
		uv_timer_stop(&p->timer);
		pd_list_unlink(&p->link);
		uv_close((uv_handle_t *)&p->timer, pending_free_cb);
		return;
	}
}

/*
 * wait_dns - look name up for the request; 1 when it waits for the
 * answer, 0 when *dns already holds one (a cache hit, or a failure)
 */
static int
wait_dns(struct pd_daemon *d, struct pd_conn *conn, const struct pd_req *req,
    const char *peer, const char *name, enum pd_helo_dns *dns)
{
	enum pd_dns_status st;
	struct pending	  *p;

	if ((st = pd_dns_peek(d->dns, name, pd_clock_now())) !=
	    PD_DNS_PENDING) {
		*dns = helo_dns(st);
		return 0;
	}
	/* Not cached: ask, and answer when DNS does or time runs out. */
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		*dns = PD_HELO_DNS_TEMPFAIL;
		return 0;
	}
	st = pd_dns_lookup(d->dns, name, pd_clock_now(), &p->wait,
	    pending_dns_cb, p);
	if (st != PD_DNS_PENDING) {
		free(p);
		*dns = helo_dns(st);
		return 0;
	}
	p->d = d;
	p->conn = conn;
	p->req = *req;
	p->peer = peer;
	uv_timer_init(d->loop, &p->timer);
	uv_timer_start(&p->timer, pending_timeout_cb,
	    (uint64_t)d->conf->reply_timeout, 0);
	pd_list_push(&d->pending, &p->link);
	return 1;
}

static int
request_cb(void *arg, struct pd_conn *conn, const struct pd_req *req,
    const char *peer, struct pd_buf *out)
{
	struct pd_daemon *d = arg;
	char		  name[PD_HELO_NAME_MAX + 1];
	enum pd_helo_dns  dns = PD_HELO_DNS_NONE;

	/* Request the HELO name's answer first, then decide once with it. */
	if (d->dns && pd_engine_dns_name(&d->engine, req, name, sizeof(name)) &&
	    wait_dns(d, conn, req, peer, name, &dns) == 1)
		return 1;
	answer(d, req, peer, dns, out);
	return 0;
}

static void
malformed_cb(void *arg, const char *peer, const char *why, struct pd_buf *out)
{
	struct pd_daemon  *d = arg;
	struct pd_decision dec;

	pd_engine_malformed(&d->engine, pd_clock_now(), &dec);
	pd_log_warnx("malformed request from %s: %s; answered DUNNO", peer,
	    why);
	pd_proto_reply(out, dec.reply);
}

/* daemon_decision_cb - the engine's decisions go to the log, one line each */
void
daemon_decision_cb(void *arg, const struct pd_decision *dec)
{
	struct pd_buf line;

	(void)arg;
	pd_buf_init(&line, 2048);
	pd_log_info("%s", pd_decision_line(dec, &line));
	pd_buf_clear(&line);
}

const struct pd_server_ops daemon_server_ops = {
	.request = request_cb,
	.cancel = cancel_cb,
	.malformed = malformed_cb,
};
