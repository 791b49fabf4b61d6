/* SPDX-License-Identifier: ISC */
/*
 * daemon_ctl - policydctl's control socket and the HTTP metrics endpoint:
 * status, stats and reload here, the engine's commands in admin.c.
 *
 * Both are one-request servers (rpc.c).  An answer is built whole, up
 * to PD_CTL_ANSWER_MAX; one that does not fit fails with a message
 * rather than passing for a complete one.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "log.h"
#include "stats.h"
#include "str.h"
#include "admin.h"
#include "conf.h"
#include "ctl.h"
#include "metrics.h"
#include "out.h"
#include "daemon_int.h"

/* daemon_metrics - the figures now; ps is filled and borrowed by m */
static void
daemon_metrics(const struct pd_daemon *d, struct pd_metrics *m,
    struct pd_proc_stats *ps)
{
	bool have_proc = pd_proc_stats_read(ps) == 0;

	*m = (struct pd_metrics){ .engine = &d->engine,
		.version = PD_VERSION,
		.proc = have_proc ? ps : NULL,
		.server = &d->server.stats,
		.connections = d->server.nconns,
		.dns = d->dns ? pd_dns_stats(d->dns) : NULL,
		.dns_timeouts = d->dns_timeouts,
		.maillog = d->tailing,
		.maillog_lines = d->log_lines,
		.maillog_events = d->log_matched,
		.maillog_stamp = d->log_stamp,
		.maillog_lag = d->log_lag,
		.journal_gaps = d->sdj.stats.gaps,
		.reloads = d->reloads,
		.reload_failures = d->reload_failures,
		.state_saves = d->saves,
		.state_save_failures = d->save_failures,
		.state_saved_at = d->saved_at,
		.started = d->started + pd_engine_wall_offset(&d->engine) };
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

static void
cmd_status(struct pd_daemon *d, struct pd_out *o)
{
	char up[32];

	pd_out_str(o, "version", PD_VERSION);
	pd_out_int(o, "pid", (long long)getpid());
	pd_out_time(o, "started",
	    d->started + pd_engine_wall_offset(&d->engine));
	pd_str_fmt_duration(up, sizeof(up),
	    (pd_clock_now() - d->started) / 1000 * 1000);
	pd_out_str(o, "uptime", up);
	pd_out_str(o, "config", d->file);
	pd_out_int(o, "rules", (long long)d->conf->nrules);
	pd_out_str(o, "mode", d->conf->dry_run ? "dry_run" : "live");
	pd_out_int(o, "connections", (long long)d->server.nconns);
	pd_out_int(o, "requests",
	    (long long)pd_engine_stats(&d->engine)->requests);
	pd_out_int(o, "keys",
	    (long long)pd_counters_size(pd_engine_counters(&d->engine)));
	pd_out_int(o, "blocked",
	    (long long)pd_engine_counters(&d->engine)->nblocked);
	pd_out_str(o, "maillog",
	    d->tailing || d->journaling ? d->conf->maillog : "-");
	if (d->journaling)
		pd_out_str(o, "journal",
		    d->sdj.readable ? "readable" : d->sdj.why);
	pd_out_str(o, "dns",
	    d->dns ? (*d->conf->dns_forward ? d->conf->dns_forward :
					      "system resolver") :
		     "-");
	pd_out_str(o, "state_file",
	    *d->conf->state_file ? d->conf->state_file : "-");
	if (d->saved_at)
		pd_out_time(o, "state_saved", d->saved_at);
	else
		pd_out_str(o, "state_saved", "-");
	pd_out_int(o, "state_save_failures", (long long)d->save_failures);
	pd_out_int(o, "explain_history", d->conf->explain_history);
	geo_out(o, "geoip_country_db", d->geo.country);
	geo_out(o, "geoip_asn_db", d->geo.asn);
}

/*
 * control_reload - a reload that fails prints its errors, one
 * "file:line: ..." a line, which policydctl shows on stderr
 */
static int
control_reload(struct pd_daemon *d, struct pd_out *o, struct pd_buf *body,
    struct pd_err *err)
{
	struct pd_buf errors;
	int	      rc = PD_CTL_OK;

	pd_buf_init(&errors, PD_CTL_ANSWER_MAX - PD_CTL_HEAD_MAX);
	if (pd_daemon_reload(d, &errors, err) < 0) {
		pd_buf_reset(body);
		pd_buf_append(body, pd_buf_str(&errors), errors.len);
		rc = PD_CTL_FAILED;
	} else {
		pd_out_str(o, "reloaded", d->file);
		pd_out_int(o, "rules", (long long)d->conf->nrules);
		pd_out_finish(o);
	}
	pd_buf_clear(&errors);
	return rc;
}

/* control_run - one policydctl command; returns its exit code */
static int
control_run(struct pd_daemon *d, const struct pd_ctl_cmd *cmd,
    struct pd_buf *body, struct pd_err *err)
{
	struct pd_metrics    m;
	struct pd_proc_stats ps;
	struct pd_out	     o;
	int		     rc = PD_CTL_OK;

	if (cmd->op == PD_CTL_STATS && !cmd->json) {
		daemon_metrics(d, &m, &ps);
		pd_metrics_text(&m, cmd->prometheus, body);
		return PD_CTL_OK;
	}
	pd_out_init(&o, body, cmd->json);
	switch (cmd->op) {
	case PD_CTL_STATUS:
		cmd_status(d, &o);
		break;
	case PD_CTL_STATS:
		daemon_metrics(d, &m, &ps);
		pd_metrics_out(&m, &o);
		break;
	case PD_CTL_RELOAD:
		return control_reload(d, &o, body, err);
	default:
		rc = pd_admin_run(&d->engine, cmd, pd_clock_now(), &o, err);
		break;
	}
	pd_out_finish(&o);
	/* A failed command says why in its status line, and prints nothing. */
	if (rc != PD_CTL_OK)
		pd_buf_reset(body);
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
	char		  copy[PD_CTL_REQUEST_MAX + 1], *argv[PD_CTL_ARGS_MAX];
	struct pd_ctl_cmd cmd;
	struct pd_buf	  body;
	struct pd_err	  err = { "" };
	int		  argc, rc;

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
	struct pd_daemon    *d = arg;
	struct pd_metrics    m;
	struct pd_proc_stats ps;
	struct pd_buf	     body;
	const char	    *status = "200 OK", *path = strchr(req, ' ');

	(void)len;
	pd_buf_init(&body, PD_CTL_ANSWER_MAX - PD_CTL_HEAD_MAX);
	if (strncmp(req, "GET ", 4) != 0 && strncmp(req, "HEAD ", 5) != 0) {
		status = "405 Method Not Allowed";
		pd_buf_puts(&body, "only GET\n");
	} else if (strncmp(path + 1, "/metrics ", 9) == 0) {
		daemon_metrics(d, &m, &ps);
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
	pd_buf_printf(answer,
	    "HTTP/1.0 %s\r\nContent-Type: text/plain; "
	    "version=0.0.4; charset=utf-8\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n",
	    status, body.len);
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

/* daemon_start_control - policydctl's socket and the metrics endpoint */
int
daemon_start_control(struct pd_daemon *d)
{
	struct pd_rpc_opts ctl = { .terminator = "\n\n",
		.max = PD_CTL_REQUEST_MAX,
		.timeout = 10000,
		.mode = 0660,
		.gid = control_group(d->conf) };
	struct pd_rpc_opts http = { .terminator = "\r\n\r\n",
		.max = 8192,
		.timeout = 10000,
		.gid = (gid_t)-1 };
	char		   spec[PATH_MAX + 8], dir[PATH_MAX], *slash;
	const char	  *sock = d->conf->control_socket;
	struct pd_err	   err;

	if (*sock) {
		if ((size_t)snprintf(dir, sizeof(dir), "%s", sock) >=
			sizeof(dir) ||
		    (size_t)snprintf(spec, sizeof(spec), "unix:%s", sock) >=
			sizeof(spec)) {
			pd_log_err("control_socket %s: path too long", sock);
			return -1;
		}
		/* Its directory, as the systemd unit's RuntimeDirectory would. */
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST)
				pd_log_warn("control_socket: mkdir %s", dir);
		}
		d->control =
		    pd_rpc_listen(d->loop, spec, &ctl, control_cb, d, &err);
		if (d->control == NULL) {
			pd_log_err("control_socket %s%s", err.msg,
			    strstr(err.msg, "listens on it") ?
				" (is policyd running already? policydctl "
				"status asks it)" :
				"");
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
