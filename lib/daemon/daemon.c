/* SPDX-License-Identifier: ISC */
/*
 * daemon - start, reload and stop: the wiring of config, engine, server
 * and timers.  The request path is in daemon_request.c, state and the
 * maillog in daemon_state.c, the control socket in daemon_ctl.c; they
 * share daemon_int.h.
 *
 * Replies are decided inside a loop callback (the read, or the DNS
 * answer that a request waited for), so at any moment between two loop
 * iterations no request is half answered: a
 * reload swaps the config between requests and a stop loses nothing
 * that a peer was promised.
 */
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "log.h"
#include "conf.h"
#include "daemon_int.h"

#define TICK_MS 1000

/*
 * conf_error_cb - a config error goes to the log and, for a reload
 * that policydctl asked for, into its answer (arg, when not NULL)
 */
static void
conf_error_cb(void *arg, const char *msg)
{
	struct pd_buf *errors = arg;

	pd_log_err("%s", msg);
	if (errors != NULL)
		pd_buf_printf(errors, "%s\n", msg);
}

static void
conf_warnings(const struct pd_conf *c)
{
	for (size_t i = 0; i < c->warnings.n; i++)
		pd_log_warnx("%s", c->warnings.v[i]);
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

/*
 * follow_wall - the engine shows times on the wall clock: tell it where
 * that is, and say so when the wall clock stepped (blocks and windows
 * keep their durations; only the times shown move).
 */
static void
follow_wall(struct pd_daemon *d)
{
	int64_t off = pd_clock_wall_offset(),
		was = pd_engine_wall_offset(&d->engine);

	if (off - was > -1000 && off - was < 1000)
		return;
	pd_log_warnx("the wall clock stepped by %+" PRId64 " s; blocks and "
		     "windows keep their durations, shown times follow it",
	    (off - was) / 1000);
	pd_engine_set_wall_offset(&d->engine, off);
}

static void
tick_cb(uv_timer_t *t)
{
	struct pd_daemon *d = t->data;
	int64_t		  now = pd_clock_now();

	follow_wall(d);
	pd_engine_tick(&d->engine, now);
	daemon_reap_saver(d, false);
	if (*d->conf->state_file && now >= d->next_save) {
		d->next_save = now + d->conf->state_interval;
		pd_daemon_save(d, true);
	}
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
	size_t	      i;

	memset(d, 0, sizeof(*d));
	d->loop = loop;
	d->started = pd_clock_now();
	pd_list_init(&d->pending);
	d->overrides = overrides;
	d->noverrides = noverrides;
	if ((d->file = strdup(file)) == NULL)
		return -1;
	d->conf =
	    pd_conf_load(file, overrides, noverrides, conf_error_cb, NULL);
	if (d->conf == NULL)
		return -1;
	conf_warnings(d->conf);
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
	pd_engine_set_sink(&d->engine, daemon_decision_cb, d);
	pd_engine_set_wall_offset(&d->engine, pd_clock_wall_offset());
	/*
	 * The control socket first: a second policyd with the same one
	 * stops here, before it reads the state or the maillog.
	 */
	if (daemon_start_control(d) < 0)
		return -1;
	if (ensure_dns(d) < 0)
		return -1;
	daemon_load_state(d);
	pd_engine_reindex(&d->engine);
	if (daemon_start_maillog(d) < 0)
		return -1;
	d->next_save = pd_clock_now() + d->conf->state_interval;
	if (pd_server_init(&d->server, loop, &daemon_server_ops, d) < 0)
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
	uv_timer_init(loop, &d->tick);
	d->tick.data = d;
	uv_timer_start(&d->tick, tick_cb, TICK_MS, TICK_MS);
	return 0;
}

int
pd_daemon_drop_privileges(struct pd_daemon *d, struct pd_err *err)
{
	const char    *user = d->conf->user;
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
pd_daemon_reload(struct pd_daemon *d, struct pd_buf *errors, struct pd_err *err)
{
	struct pd_conf *nc;
	struct pd_geo	ng;
	char		fixed[256];
	size_t		n;

	nc = pd_conf_load(d->file, d->overrides, d->noverrides, conf_error_cb,
	    errors);
	if (nc == NULL) {
		pd_log_err("reload: %s has errors; keeping the running "
			   "configuration",
		    d->file);
		d->reload_failures++;
		return pd_err_set(err,
		    "%s has errors; the running configuration is kept",
		    d->file);
	}
	conf_warnings(nc);
	/* A bad download must not take the data in use away. */
	if (pd_geo_open(&ng, nc->geoip_country_db, nc->geoip_asn_db, err) < 0) {
		pd_log_err("reload: %s; keeping the running configuration and "
			   "databases",
		    err->msg);
		if (errors != NULL)
			pd_buf_printf(errors, "%s\n", err->msg);
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
		pd_log_warnx(
		    "reload: out of memory; the settings that take "
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
	daemon_drain_journal(d);
	pd_daemon_save(d, false);
	if (d->tailing)
		pd_tail_clear(&d->tail);
	if (d->journaling)
		pd_sdj_clear(&d->sdj);
	d->tailing = d->journaling = false;
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
