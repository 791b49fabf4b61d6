/*
 * daemon - wiring of config, engine and server.
 *
 * Replies are decided synchronously inside the read callback, so at any
 * moment between two loop iterations no request is half answered: a
 * reload swaps the config between requests and a stop loses nothing
 * that a peer was promised.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "log.h"
#include "str.h"
#include "admin.h"
#include "conf.h"
#include "ctl.h"
#include "proto.h"
#include "maillog.h"
#include "metrics.h"
#include "out.h"
#include "state.h"
#include "daemon.h"

#define TICK_MS		1000

static void
conf_error_cb(void *arg, const char *msg)
{
	(void)arg;
	pd_log_err("%s", msg);
}

/*
 * A request whose HELO name is being looked up.  It answers when the
 * DNS does or when reply_timeout passes, whichever comes first; the
 * request itself stays in the connection's parser until then.
 */
struct pending {
	uv_timer_t		 timer;		/* first: handle <-> pending */
	struct pd_daemon	*d;
	struct pd_list		 link;		/* on d->pending */
	struct pd_conn		*conn;
	struct pd_req		 req;
	const char		*peer;		/* the server's, lives as long */
	struct pd_dns_wait	 wait;
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
		    "skipped", pd_req_get(req, PD_A_HELO_NAME),
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
	struct pd_list *l;

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
	struct pending *p;

	if ((st = pd_dns_peek(d->dns, name, pd_clock_now())) != PD_DNS_PENDING) {
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
	char name[PD_HELO_NAME_MAX + 1];
	enum pd_helo_dns dns = PD_HELO_DNS_NONE;

	/* Request the HELO name's answer first, then decide once with it. */
	if (d->dns && pd_engine_dns_name(&d->engine, req, name, sizeof(name)) &&
	    wait_dns(d, conn, req, peer, name, &dns) == 1)
		return 1;
	answer(d, req, peer, dns, out);
	return 0;
}

/* maillog_line_cb - a line Postfix logged: count what it reports */
static void
maillog_line_cb(void *arg, const char *line, size_t len)
{
	struct pd_daemon *d = arg;
	struct pd_maillog_line ml;
	enum pd_event_type type;
	int64_t now = pd_clock_now();
	struct tm tm;
	time_t t = (time_t)(now / 1000);

	d->log_lines++;
	localtime_r(&t, &tm);
	if (pd_maillog_parse(line, len, now, tm.tm_gmtoff, &ml) < 0 ||
	    !pd_maillog_event(&ml, &type))
		return;
	d->log_matched++;
	/* Live, the line is as old as it takes to read it: count it now. */
	pd_engine_event(&d->engine, type, &ml.client, ml.reason, now);
}

/* maillog_pos_file - where the maillog position is kept, or NULL */
static const char *
maillog_pos_file(const struct pd_daemon *d, char *buf, size_t len)
{
	if (*d->conf->state_file == '\0')
		return NULL;
	if ((size_t)snprintf(buf, len, "%s.maillog", d->conf->state_file) >=
	    len) {
		pd_log_err("state_file %s: path too long to keep the maillog "
		    "position beside it", d->conf->state_file);
		return NULL;
	}
	return buf;
}

/* start_maillog - follow the maillog from where the last run stopped */
static int
start_maillog(struct pd_daemon *d)
{
	struct pd_tail_pos pos;
	struct pd_err err;
	const char *pf;
	char buf[PATH_MAX];
	int have = 0;

	if (*d->conf->maillog == '\0') {
		if (pd_conf_needs_maillog(d->conf))
			pd_log_warnx("rules count maillog events, but no "
			    "maillog is set: they will never trigger");
		return 0;
	}
	if ((pf = maillog_pos_file(d, buf, sizeof(buf))) != NULL &&
	    (have = pd_tail_pos_load(pf, &pos, &err)) < 0) {
		pd_log_warnx("%s; reading the maillog from its end", err.msg);
		have = 0;
	}
	if (pd_tail_init(&d->tail, d->conf->maillog, have ? &pos : NULL,
	    maillog_line_cb, d, &err) < 0 ||
	    pd_tail_start(&d->tail, d->loop, 500) < 0) {
		pd_log_err("maillog %s: %s", d->conf->maillog, err.msg);
		return -1;
	}
	d->tailing = true;
	if (d->tail.fd < 0)
		pd_log_warnx("maillog %s: not there yet; reading it once it "
		    "appears", d->conf->maillog);
	return 0;
}

/* save_maillog_pos - keep the position with the counters it fed */
static int
save_maillog_pos(struct pd_daemon *d)
{
	struct pd_tail_pos pos;
	struct pd_err err;
	char buf[PATH_MAX];
	const char *pf;

	if (!d->tailing || (pf = maillog_pos_file(d, buf, sizeof(buf))) == NULL)
		return 0;
	pd_tail_position(&d->tail, &pos);
	if (pd_tail_pos_save(pf, &pos, &err) < 0) {
		pd_log_err("state: %s", err.msg);
		return -1;
	}
	return 0;
}

/* ensure_dns - a resolver, once some rule needs one */
static int
ensure_dns(struct pd_daemon *d)
{
	struct pd_err err;

	if (d->dns || !pd_conf_needs_dns(d->conf))
		return 0;
	d->dns = pd_dns_new(d->loop, d->conf->dns_forward,
	    (size_t)d->conf->dns_cache_size, &err);
	if (d->dns == NULL) {
		pd_log_err("%s", err.msg);
		return -1;
	}
	return 0;
}

static void
malformed_cb(void *arg, const char *peer, const char *why, struct pd_buf *out)
{
	struct pd_daemon *d = arg;
	struct pd_decision dec;

	pd_engine_malformed(&d->engine, pd_clock_now(), &dec);
	pd_log_warnx("malformed request from %s: %s; answered DUNNO", peer, why);
	pd_proto_reply(out, dec.reply);
}

/* decision_cb - the engine's decisions go to the log, one line each */
static void
decision_cb(void *arg, const struct pd_decision *dec)
{
	struct pd_buf line;

	(void)arg;
	pd_buf_init(&line, 2048);
	pd_log_info("%s", pd_decision_line(dec, &line));
	pd_buf_clear(&line);
}

static const struct pd_server_ops ops = {
	.request = request_cb,
	.cancel = cancel_cb,
	.malformed = malformed_cb,
};

/* reap_saver - collect the snapshot child, blocking if asked */
static void
reap_saver(struct pd_daemon *d, bool wait)
{
	int status;

	if (d->saver <= 0 || waitpid(d->saver, &status, wait ? 0 : WNOHANG) == 0)
		return;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		pd_log_err("state: saving %s failed; the previous snapshot is "
		    "kept", d->conf->state_file);
	d->saver = 0;
}

static void
tick_cb(uv_timer_t *t)
{
	struct pd_daemon *d = t->data;
	int64_t now = pd_clock_now();

	pd_engine_tick(&d->engine, now);
	reap_saver(d, false);
	if (*d->conf->state_file && now >= d->next_save) {
		d->next_save = now + d->conf->state_interval;
		pd_daemon_save(d, true);
	}
}

int
pd_daemon_save(struct pd_daemon *d, bool background)
{
	const char *path = d->conf->state_file;
	struct pd_err err;
	int rc;

	if (*path == '\0')
		return 0;
	if (background) {
		if (d->saver > 0)
			return 0;	/* the last one is still writing */
		if ((d->saver = fork()) < 0) {
			d->saver = 0;
			pd_log_warn("state: cannot fork to save");
			return -1;
		}
		if (d->saver > 0)
			return 0;
		/* Child: a copy-on-write view of the store, frozen now. */
		rc = pd_state_save(pd_engine_counters(&d->engine), path, pd_clock_now(), &err);
		if (rc < 0)
			pd_log_err("state: %s", err.msg);
		else
			rc = save_maillog_pos(d);
		_exit(rc < 0);
	}
	reap_saver(d, true);
	if (pd_state_save(pd_engine_counters(&d->engine), path, pd_clock_now(), &err) < 0) {
		pd_log_err("state: %s; the previous snapshot is kept", err.msg);
		return -1;
	}
	save_maillog_pos(d);
	pd_log_info("state: saved %zu counters to %s",
	    pd_counters_size(pd_engine_counters(&d->engine)), path);
	return 0;
}

/* load_state - restore the snapshot; a damaged one is moved aside */
static void
load_state(struct pd_daemon *d)
{
	const char *path = d->conf->state_file;
	struct pd_state_info info;
	struct pd_err err;
	char aside[PATH_MAX];

	if (*path == '\0')
		return;
	if (pd_state_load(pd_engine_counters(&d->engine), path, &info, &err) == 0) {
		if (info.saved_at)
			pd_log_info("state: loaded %" PRIu64 " counters from %s "
			    "(%" PRIu64 " of changed or removed rules dropped)",
			    info.loaded, path, info.dropped);
		return;
	}
	if (pd_state_move_aside(path, pd_clock_now(), aside, sizeof(aside),
	    &err) == 0)
		pd_log_err("state: %s is damaged; moved it to %s and started "
		    "with empty counters", path, aside);
	else
		pd_log_err("state: %s; starting with empty counters", err.msg);
}

static void
daemon_metrics(const struct pd_daemon *d, struct pd_metrics *m)
{
	*m = (struct pd_metrics){ .engine = &d->engine,
	    .server = &d->server.stats, .connections = d->server.nconns,
	    .dns = d->dns ? pd_dns_stats(d->dns) : NULL,
	    .dns_timeouts = d->dns_timeouts, .maillog_lines = d->log_lines,
	    .maillog_events = d->log_matched, .reloads = d->reloads,
	    .reload_failures = d->reload_failures, .started = d->started };
}

/* geo_out - a database in use: its file and what it is */
static void
geo_out(struct pd_out *o, const char *name, const struct pd_geoip *g)
{
	char v[PD_STR_VALUE_MAX + 1];

	if (g == NULL) {
		pd_out_str(o, name, "-");
		return;
	}
	snprintf(v, sizeof(v), "%s (%s)", pd_geoip_path(g), pd_geoip_type(g));
	pd_out_str(o, name, v);
}

/* geo_log - say which databases are in use */
static void
geo_log(const struct pd_geo *geo)
{
	const struct pd_geoip *g[2] = { geo->country, geo->asn };

	for (int i = 0; i < 2; i++)
		if (g[i])
			pd_log_info("geoip: %s database %s: %s",
			    pd_geoip_kind_name(pd_geoip_kind(g[i])),
			    pd_geoip_path(g[i]), pd_geoip_type(g[i]));
}

static void
cmd_status(struct pd_daemon *d, struct pd_out *o)
{
	char up[32];

	pd_out_str(o, "version", PD_VERSION);
	pd_out_int(o, "pid", (long long)getpid());
	pd_out_time(o, "started", d->started);
	pd_str_fmt_duration(up, sizeof(up), (pd_clock_now() - d->started) /
	    1000 * 1000);
	pd_out_str(o, "uptime", up);
	pd_out_str(o, "config", d->file);
	pd_out_int(o, "rules", (long long)d->conf->nrules);
	pd_out_str(o, "mode", d->conf->dry_run ? "dry_run" : "live");
	pd_out_int(o, "connections", (long long)d->server.nconns);
	pd_out_int(o, "requests", (long long)pd_engine_stats(&d->engine)->requests);
	pd_out_int(o, "keys", (long long)pd_counters_size(pd_engine_counters(&d->engine)));
	pd_out_int(o, "blocked", (long long)pd_engine_counters(&d->engine)->nblocked);
	pd_out_str(o, "maillog", d->tailing ? d->conf->maillog : "-");
	pd_out_str(o, "dns", d->dns ? (*d->conf->dns_forward ?
	    d->conf->dns_forward : "system resolver") : "-");
	pd_out_str(o, "state_file", *d->conf->state_file ?
	    d->conf->state_file : "-");
	pd_out_int(o, "explain_history", d->conf->explain_history);
	geo_out(o, "geoip_country_db", d->geo.country);
	geo_out(o, "geoip_asn_db", d->geo.asn);
}

/* control_run - one policydctl command; returns its exit code */
static int
control_run(struct pd_daemon *d, const struct pd_ctl_cmd *cmd,
    struct pd_buf *body, struct pd_err *err)
{
	struct pd_metrics m;
	struct pd_out o;
	int rc = PD_CTL_OK;

	if (cmd->op == PD_CTL_STATS && !cmd->json) {
		daemon_metrics(d, &m);
		pd_metrics_text(&m, cmd->prometheus, body);
		return PD_CTL_OK;
	}
	pd_out_init(&o, body, cmd->json);
	switch (cmd->op) {
	case PD_CTL_STATUS:
		cmd_status(d, &o);
		break;
	case PD_CTL_STATS:
		daemon_metrics(d, &m);
		pd_metrics_out(&m, &o);
		break;
	case PD_CTL_RELOAD:
		if (pd_daemon_reload(d, err) < 0) {
			rc = PD_CTL_FAILED;
		} else {
			pd_out_str(&o, "reloaded", d->file);
			pd_out_int(&o, "rules", (long long)d->conf->nrules);
		}
		break;
	default:
		rc = pd_admin_run(&d->engine, cmd, pd_clock_now(), &o, err);
		break;
	}
	pd_out_finish(&o);
	return rc;
}

/*
 * answer_put - the status line, then the output; an output cut short
 * fails the command instead of passing for a complete one.
 */
static void
answer_put(struct pd_buf *answer, int rc, const char *msg,
    const struct pd_buf *body)
{
	if (body->lost > 0) {
		rc = PD_CTL_FAILED;
		pd_log_warnx("control: answer too large (%zu bytes)",
		    body->len + body->lost);
		pd_buf_printf(answer, "%d answer too large (%zu bytes)\n", rc,
		    body->len + body->lost);
		return;
	}
	if (pd_buf_printf(answer, "%d %s\n", rc, rc ? msg : "") < 0 ||
	    pd_buf_append(answer, pd_buf_str(body), body->len) < 0) {
		pd_buf_reset(answer);
		pd_buf_printf(answer, "%d answer too large (%zu bytes)\n",
		    PD_CTL_FAILED, answer->lost + body->len);
	}
}

static void
control_cb(void *arg, const char *req, size_t len, struct pd_buf *answer)
{
	struct pd_daemon *d = arg;
	char copy[PD_CTL_REQUEST_MAX + 1], *argv[PD_CTL_ARGS_MAX];
	struct pd_ctl_cmd cmd;
	struct pd_buf body;
	struct pd_err err = { "" };
	int argc, rc;

	memcpy(copy, req, len + 1);
	pd_buf_init(&body, PD_CTL_ANSWER_MAX - PD_CTL_HEAD_MAX);
	if ((argc = pd_ctl_decode(copy, argv, &err)) < 0 ||
	    pd_ctl_parse(argc, argv, &cmd, &err) < 0)
		rc = PD_CTL_USAGE;
	else
		rc = control_run(d, &cmd, &body, &err);
	if (rc == PD_CTL_USAGE)
		pd_log_warnx("control: bad command: %s", err.msg);
	answer_put(answer, rc, err.msg, &body);
	pd_buf_clear(&body);
}

/* http_cb - GET /metrics, for Prometheus; nothing else is served */
static void
http_cb(void *arg, const char *req, size_t len, struct pd_buf *answer)
{
	struct pd_daemon *d = arg;
	struct pd_metrics m;
	struct pd_buf body;
	const char *status = "200 OK", *path = strchr(req, ' ');

	(void)len;
	pd_buf_init(&body, PD_CTL_ANSWER_MAX - PD_CTL_HEAD_MAX);
	if (strncmp(req, "GET ", 4) != 0 && strncmp(req, "HEAD ", 5) != 0) {
		status = "405 Method Not Allowed";
		pd_buf_puts(&body, "only GET\n");
	} else if (strncmp(path + 1, "/metrics ", 9) == 0) {
		daemon_metrics(d, &m);
		pd_metrics_text(&m, true, &body);
	} else {
		status = "404 Not Found";
		pd_buf_puts(&body, "policyd serves /metrics\n");
	}
	if (body.lost > 0) {
		pd_log_warnx("metrics: answer too large (%zu bytes)",
		    body.len + body.lost);
		status = "500 Internal Server Error";
		pd_buf_reset(&body);
		pd_buf_puts(&body, "answer too large\n");
	}
	pd_buf_printf(answer, "HTTP/1.0 %s\r\nContent-Type: text/plain; "
	    "version=0.0.4; charset=utf-8\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", status, body.len);
	/* The header fits in PD_CTL_HEAD_MAX, so the body does too. */
	if (req[0] != 'H')
		pd_buf_append(answer, pd_buf_str(&body), body.len);
	pd_buf_clear(&body);
}

/* control_group - the group the control socket gets: the daemon user's */
static gid_t
control_group(const struct pd_conf *conf)
{
	struct passwd *pw;

	if (*conf->user == '\0' || geteuid() != 0 ||
	    (pw = getpwnam(conf->user)) == NULL)
		return (gid_t)-1;
	return pw->pw_gid;
}

/* start_control - policydctl's socket and the metrics endpoint */
static int
start_control(struct pd_daemon *d)
{
	struct pd_rpc_opts ctl = { .terminator = "\n\n",
	    .max = PD_CTL_REQUEST_MAX, .timeout = 10000, .mode = 0660,
	    .gid = control_group(d->conf) };
	struct pd_rpc_opts http = { .terminator = "\r\n\r\n", .max = 8192,
	    .timeout = 10000, .gid = (gid_t)-1 };
	char spec[PATH_MAX + 8], dir[PATH_MAX], *slash;
	const char *sock = d->conf->control_socket;
	struct pd_err err;

	if (*sock) {
		if ((size_t)snprintf(dir, sizeof(dir), "%s", sock) >=
		    sizeof(dir) || (size_t)snprintf(spec, sizeof(spec),
		    "unix:%s", sock) >= sizeof(spec)) {
			pd_log_err("control_socket %s: path too long", sock);
			return -1;
		}
		/* Its directory, as the systemd unit's RuntimeDirectory would. */
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST)
				pd_log_warn("control_socket: mkdir %s", dir);
		}
		d->control = pd_rpc_listen(d->loop, spec, &ctl, control_cb, d,
		    &err);
		if (d->control == NULL) {
			pd_log_err("control_socket %s", err.msg);
			return -1;
		}
	}
	if (*d->conf->metrics_listen) {
		if ((size_t)snprintf(spec, sizeof(spec), "inet:%s",
		    d->conf->metrics_listen) >= sizeof(spec)) {
			pd_log_err("metrics_listen %s: too long",
			    d->conf->metrics_listen);
			return -1;
		}
		if ((d->http = pd_rpc_listen(d->loop, spec, &http, http_cb, d,
		    &err)) == NULL) {
			pd_log_err("metrics_listen %s", err.msg);
			return -1;
		}
	}
	return 0;
}

static uint32_t
ref_seed(void)
{
	uint32_t seed;

	/* Only makes ids differ between runs; any value would do. */
	if (uv_random(NULL, NULL, &seed, sizeof(seed), 0, NULL) != 0)
		seed = (uint32_t)getpid() ^ (uint32_t)pd_clock_now();
	return seed;
}

int
pd_daemon_start(struct pd_daemon *d, uv_loop_t *loop, const char *file,
    char **overrides, size_t noverrides)
{
	struct pd_err err;
	size_t i;

	memset(d, 0, sizeof(*d));
	d->loop = loop;
	d->started = pd_clock_now();
	pd_list_init(&d->pending);
	d->overrides = overrides;
	d->noverrides = noverrides;
	if ((d->file = strdup(file)) == NULL)
		return -1;
	d->conf = pd_conf_load(file, overrides, noverrides, conf_error_cb, NULL);
	if (d->conf == NULL)
		return -1;
	if (pd_geo_open(&d->geo, d->conf->geoip_country_db,
	    d->conf->geoip_asn_db, &err) < 0) {
		pd_log_err("%s", err.msg);
		return -1;
	}
	geo_log(&d->geo);
	if (pd_engine_init(&d->engine, d->conf, ref_seed(), &err) < 0) {
		pd_log_err("%s", err.msg);
		return -1;
	}
	pd_engine_set_geo(&d->engine, &d->geo);
	pd_engine_set_sink(&d->engine, decision_cb, d);
	if (ensure_dns(d) < 0)
		return -1;
	load_state(d);
	pd_engine_reindex(&d->engine);
	if (start_maillog(d) < 0)
		return -1;
	d->next_save = pd_clock_now() + d->conf->state_interval;
	if (pd_server_init(&d->server, loop, &ops, d) < 0)
		return -1;
	pd_server_set_limits(&d->server, d->conf->request_timeout,
	    d->conf->idle_timeout, (size_t)d->conf->max_clients);
	for (i = 0; i < d->conf->listen.n; i++) {
		if (pd_server_listen(&d->server, d->conf->listen.v[i],
		    (int)d->conf->unix_mode, &err) < 0) {
			pd_log_err("listen %s", err.msg);
			return -1;
		}
	}
	if (start_control(d) < 0)
		return -1;
	uv_timer_init(loop, &d->tick);
	d->tick.data = d;
	uv_timer_start(&d->tick, tick_cb, TICK_MS, TICK_MS);
	return 0;
}

int
pd_daemon_drop_privileges(struct pd_daemon *d, struct pd_err *err)
{
	const char *user = d->conf->user;
	struct passwd *pw;

	if (*user == '\0' || geteuid() != 0)
		return 0;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL)
		return pd_err_set(err, "user %s: %s", user,
		    errno ? strerror(errno) : "no such user");
	/* Its groups too: reading the maillog may need "adm". */
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		return pd_err_set(err, "cannot become user %s: %s", user,
		    strerror(errno));
	return 0;
}

int
pd_daemon_reload(struct pd_daemon *d, struct pd_err *err)
{
	struct pd_conf *nc;
	struct pd_geo ng;
	char fixed[256];
	size_t n;

	nc = pd_conf_load(d->file, d->overrides, d->noverrides, conf_error_cb,
	    NULL);
	if (nc == NULL) {
		pd_log_err("reload: %s has errors; keeping the running "
		    "configuration", d->file);
		d->reload_failures++;
		return pd_err_set(err, "%s has errors (they are in the log, and "
		    "policyd -t lists them); the running configuration is kept",
		    d->file);
	}
	/* A bad download must not take the data in use away. */
	if (pd_geo_open(&ng, nc->geoip_country_db, nc->geoip_asn_db,
	    err) < 0) {
		pd_log_err("reload: %s; keeping the running configuration and "
		    "databases", err->msg);
		pd_conf_free(nc);
		d->reload_failures++;
		return -1;
	}
	/*
	 * What a reload cannot apply keeps running as it is, and nc says so:
	 * the next reload compares with what runs.  ensure_dns below makes
	 * a resolver from nc only if none runs yet.
	 */
	n = pd_conf_restart_changes(d->conf, nc, d->dns != NULL, fixed,
	    sizeof(fixed));
	if (pd_conf_keep_running(nc, d->conf, d->dns != NULL) < 0)
		pd_log_warnx("reload: out of memory; the settings that take "
		    "effect only at restart may show their new values");
	if (pd_engine_set_conf(&d->engine, nc, err) < 0) {
		pd_log_err("reload: %s; keeping the running configuration",
		    err->msg);
		pd_geo_close(&ng);
		pd_conf_free(nc);
		d->reload_failures++;
		return -1;
	}
	pd_geo_close(&d->geo);
	d->geo = ng;
	pd_engine_set_geo(&d->engine, &d->geo);
	geo_log(&d->geo);
	if (n > 0)
		pd_log_warnx("reload: %s %s effect only at restart", fixed,
		    n == 1 ? "takes" : "take");
	pd_server_set_limits(&d->server, nc->request_timeout, nc->idle_timeout,
	    (size_t)nc->max_clients);
	pd_conf_free(d->conf);
	d->conf = nc;
	ensure_dns(d);
	d->reloads++;
	pd_log_info("reloaded %s: %zu rules", d->file, nc->nrules);
	return 0;
}

void
pd_daemon_stop(struct pd_daemon *d)
{
	if (d->stopping)
		return;
	d->stopping = true;
	/* Closing the connections cancels what waits for DNS. */
	pd_server_close(&d->server);
	pd_rpc_close(d->control);
	pd_rpc_close(d->http);
	d->control = d->http = NULL;
	pd_dns_free(d->dns);
	d->dns = NULL;
	/* Read what Postfix logged up to now before saving the position. */
	if (d->tailing)
		pd_tail_poll(&d->tail);
	pd_daemon_save(d, false);
	if (d->tailing)
		pd_tail_clear(&d->tail);
	d->tailing = false;
	uv_close((uv_handle_t *)&d->tick, NULL);
}

void
pd_daemon_free(struct pd_daemon *d)
{
	if (d->conf != NULL)
		pd_engine_clear(&d->engine);
	pd_geo_close(&d->geo);
	pd_conf_free(d->conf);
	free(d->file);
	d->conf = NULL;
	d->file = NULL;
}
