/* SPDX-License-Identifier: ISC */
/*
 * metrics - one walk over every metric (walk()), written out by one of
 * two emitters: Prometheus text or pd_out records.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "engine.h"
#include "geoip.h"
#include "out.h"
#include "stats.h"
#include "metrics.h"

#define LABELS_MAX 3

struct label {
	const char *name;
	const char *value;
};

struct emitter {
	/* family: name, type, help; a sample of it with labels and value */
	void (*sample)(struct emitter *, const char *family, const char *suffix,
	    const char *type, const char *help, const struct label *, size_t,
	    double);
	struct pd_buf *b;
	struct pd_out *o;
	bool	       help;
	const char    *last; /* family of the last sample */
};

static void
prom_escape(struct pd_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			pd_buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			pd_buf_puts(b, "\\n");
		else
			pd_buf_putc(b, *s);
	}
}

static void
prom_sample(struct emitter *em, const char *family, const char *suffix,
    const char *type, const char *help, const struct label *l, size_t nl,
    double v)
{
	if (em->help && (em->last == NULL || strcmp(em->last, family) != 0)) {
		pd_buf_printf(em->b, "# HELP %s %s\n# TYPE %s %s\n", family,
		    help, family, type);
	}
	em->last = family;
	pd_buf_printf(em->b, "%s%s", family, suffix);
	for (size_t i = 0; i < nl; i++) {
		pd_buf_printf(em->b, "%s%s=\"", i ? "," : "{", l[i].name);
		prom_escape(em->b, l[i].value);
		pd_buf_putc(em->b, '"');
	}
	pd_buf_printf(em->b, "%s %.17g\n", nl ? "}" : "", v);
}

static void
out_sample(struct emitter *em, const char *family, const char *suffix,
    const char *type, const char *help, const struct label *l, size_t nl,
    double v)
{
	char name[128];

	(void)type;
	(void)help;
	snprintf(name, sizeof(name), "%s%s", family, suffix);
	pd_out_open(em->o);
	pd_out_str(em->o, "name", name);
	for (size_t i = 0; i < nl; i++)
		pd_out_str(em->o, l[i].name, l[i].value);
	if (v == (double)(long long)v)
		pd_out_int(em->o, "value", (long long)v);
	else {
		snprintf(name, sizeof(name), "%.9g", v);
		pd_out_str(em->o, "value", name);
	}
	pd_out_close(em->o);
}

/* one - a sample without labels */
static void
one(struct emitter *em, const char *family, const char *type, const char *help,
    double v)
{
	em->sample(em, family, "", type, help, NULL, 0, v);
}

static void
walk_requests(struct emitter *em, const struct pd_engine *e)
{
	const struct pd_engine_stats *st = pd_engine_stats(e);
	static const char	      help[] = "Policy requests answered, by "
					       "protocol_state and action.";
	struct label		      l[2];

	for (int s = 0; s < PD_ENGINE_STATES; s++)
		for (int a = 0; a <= PD_ACT_OTHER; a++) {
			if (st->by_state[s][a] == 0)
				continue;
			l[0] = (struct label){ "protocol_state",
				pd_engine_states[s] };
			l[1] = (struct label){ "action", pd_action_name(a) };
			em->sample(em, "policyd_requests_total", "", "counter",
			    help, l, 2, (double)st->by_state[s][a]);
		}
	one(em, "policyd_malformed_requests_total", "counter",
	    "Requests that did not parse, answered DUNNO.",
	    (double)st->malformed);
}

static void
walk_decisions(struct emitter *em, const struct pd_engine *e)
{
	static const char help[] =
	    "Decisions other than DUNNO, by rule and "
	    "action; action warn counts what warn mode or dry_run let pass.";
	const struct pd_engine_rulestat *rs;
	struct label			 l[2];

	for (size_t i = 0; (rs = pd_engine_rulestat(e, i)) != NULL; i++) {
		l[0] = (struct label){ "rule", rs->name };
		for (int a = 0; a <= PD_ACT_OTHER; a++) {
			if (rs->actions[a] == 0)
				continue;
			l[1] = (struct label){ "action", pd_action_name(a) };
			em->sample(em, "policyd_decisions_total", "", "counter",
			    help, l, 2, (double)rs->actions[a]);
		}
		if (rs->warned) {
			l[1] = (struct label){ "action", "warn" };
			em->sample(em, "policyd_decisions_total", "", "counter",
			    help, l, 2, (double)rs->warned);
		}
	}
}

static void
walk_store(struct emitter *em, const struct pd_engine *e)
{
	static const char help[] = "Keys blocked or listed now, by rule.";
	const struct pd_counters *cs = pd_engine_counters_c(e);
	const struct pd_conf	 *conf = pd_engine_conf(e);
	struct label		  l[2];

	for (size_t i = 0; i < conf->nrules; i++) {
		const struct pd_rule *r = &conf->rules[i];

		if (r->kind != PD_RULE_BLOCK && r->kind != PD_RULE_LISTING)
			continue;
		l[0] = (struct label){ "rule", r->name };
		l[1] = (struct label){ "kind", pd_rule_kind_name(r->kind) };
		em->sample(em, "policyd_blocks_active", "", "gauge", help, l, 2,
		    (double)pd_engine_rule_blocked(e, i));
	}
	l[0] = (struct label){ "rule", PD_CONF_MANUAL };
	l[1] = (struct label){ "kind", "manual" };
	em->sample(em, "policyd_blocks_active", "", "gauge", help, l, 2,
	    (double)pd_engine_manual_blocked(e));
	one(em, "policyd_keys_tracked", "gauge",
	    "Keys (addresses, networks, names) with a counter.",
	    (double)pd_counters_size(cs));
	one(em, "policyd_keys_max", "gauge", "The max_keys setting.",
	    (double)cs->max_keys);
	one(em, "policyd_store_full_total", "counter",
	    "Events not counted because every key held a block.",
	    (double)pd_engine_stats(e)->store_full);
}

static void
walk_server(struct emitter *em, const struct pd_metrics *m)
{
	static const char help[] = "Time from a complete request to its "
				   "reply.";
	const struct pd_server_stats *s = m->server;
	char			      le[32];
	struct label		      l;
	uint64_t		      cum = 0;

	one(em, "policyd_connections", "gauge", "Policy connections open now.",
	    (double)m->connections);
	one(em, "policyd_connections_accepted_total", "counter",
	    "Policy connections accepted.", (double)s->accepted);
	one(em, "policyd_connections_refused_total", "counter",
	    "Connections refused over max_clients.", (double)s->refused);
	one(em, "policyd_protocol_errors_total", "counter",
	    "Connections closed for oversized or broken input.",
	    (double)s->protocol_errors);
	one(em, "policyd_connection_timeouts_total", "counter",
	    "Connections closed by request_timeout or idle_timeout.",
	    (double)s->timeouts);
	for (int i = 0; i < PD_SERVER_LATENCY_BUCKETS; i++) {
		cum += s->latency[i];
		if (i < PD_SERVER_LATENCY_BUCKETS - 1)
			snprintf(le, sizeof(le), "%g",
			    pd_server_latency_us[i] / 1e6);
		else
			snprintf(le, sizeof(le), "+Inf");
		l = (struct label){ "le", le };
		em->sample(em, "policyd_reply_latency_seconds", "_bucket",
		    "histogram", help, &l, 1, (double)cum);
	}
	em->sample(em, "policyd_reply_latency_seconds", "_sum", "histogram",
	    help, NULL, 0, (double)s->latency_ns / 1e9);
	em->sample(em, "policyd_reply_latency_seconds", "_count", "histogram",
	    help, NULL, 0, (double)cum);
}

static void
walk_dns(struct emitter *em, const struct pd_metrics *m)
{
	static const struct pd_dns_stats none;
	const struct pd_dns_stats	*d = m->dns ? m->dns : &none;

	one(em, "policyd_dns_lookups_total", "counter", "HELO names looked up.",
	    (double)d->lookups);
	one(em, "policyd_dns_cache_hits_total", "counter",
	    "Lookups answered from the cache.", (double)d->cache_hits);
	one(em, "policyd_dns_queries_total", "counter",
	    "Queries sent to the resolver.", (double)d->queries);
	one(em, "policyd_dns_failures_total", "counter",
	    "Lookups that failed (SERVFAIL, no answer).", (double)d->tempfails);
	one(em, "policyd_dns_timeouts_total", "counter",
	    "Requests answered without the DNS after reply_timeout.",
	    (double)m->dns_timeouts);
}

/* walk_geoip - the databases in use: how old they are, and errors */
static void
walk_geoip(struct emitter *em, const struct pd_engine *e)
{
	const struct pd_geo   *geo = pd_engine_geo(e);
	const struct pd_geoip *g[2] = { NULL, NULL };
	struct label	       l;

	if (geo) {
		g[0] = geo->country;
		g[1] = geo->asn;
	}
	for (int i = 0; i < 2; i++) {
		if (g[i] == NULL)
			continue;
		l = (struct label){ "database",
			pd_geoip_kind_name(pd_geoip_kind(g[i])) };
		em->sample(em, "policyd_geoip_build_time_seconds", "", "gauge",
		    "When the GeoIP database in use was built, seconds since "
		    "the epoch.",
		    &l, 1, (double)pd_geoip_built(g[i]));
	}
	one(em, "policyd_geoip_errors_total", "counter",
	    "GeoIP lookups that failed on a damaged record.",
	    (double)pd_engine_stats(e)->geoip_errors);
}

/* walk_state - snapshots written and failed, and the last good one */
static void
walk_state(struct emitter *em, const struct pd_metrics *m)
{
	static const char help[] = "State snapshots saved, by result.";
	struct label	  l = { "result", "ok" };

	em->sample(em, "policyd_state_saves_total", "", "counter", help, &l, 1,
	    (double)m->state_saves);
	l.value = "failed";
	em->sample(em, "policyd_state_saves_total", "", "counter", help, &l, 1,
	    (double)m->state_save_failures);
	one(em, "policyd_state_last_save_timestamp_seconds", "gauge",
	    "When the last snapshot that was saved was taken, seconds since "
	    "the epoch; 0: none yet.",
	    (double)(m->state_saved_at / 1000));
}

/*
 * walk_process - what every exporter says of its process, under the
 * names Prometheus's client libraries use, so that stock dashboards and
 * alerts work unchanged
 */
static void
walk_process(struct emitter *em, const struct pd_metrics *m)
{
	const struct pd_proc_stats *ps = m->proc;
	struct label l = { "version", m->version ? m->version : "unknown" };

	em->sample(em, "policyd_build_info", "", "gauge",
	    "Always 1; the version of policyd that runs.", &l, 1, 1);
	one(em, "policyd_start_time_seconds", "gauge",
	    "When policyd started, seconds since the epoch.",
	    (double)(m->started / 1000));
	one(em, "process_start_time_seconds", "gauge",
	    "Start time of the process since unix epoch in seconds.",
	    (double)m->started / 1000);
	if (ps == NULL)
		return;
	one(em, "process_cpu_seconds_total", "counter",
	    "Total user and system CPU time spent in seconds.",
	    ps->cpu_seconds);
	one(em, "process_resident_memory_bytes", "gauge",
	    "Resident memory size in bytes.", (double)ps->rss_bytes);
	one(em, "process_virtual_memory_bytes", "gauge",
	    "Virtual memory size in bytes.", (double)ps->vsize_bytes);
	one(em, "process_open_fds", "gauge", "Number of open file descriptors.",
	    (double)ps->open_fds);
	one(em, "process_max_fds", "gauge",
	    "Maximum number of open file descriptors (0: no limit).",
	    (double)ps->max_fds);
}

/* walk_maillog - how far reading the maillog has got */
static void
walk_maillog(struct emitter *em, const struct pd_metrics *m)
{
	one(em, "policyd_maillog_following", "gauge",
	    "1 when a maillog is set and followed.", m->maillog ? 1 : 0);
	one(em, "policyd_maillog_lines_total", "counter",
	    "Lines read from the maillog.", (double)m->maillog_lines);
	one(em, "policyd_maillog_events_total", "counter",
	    "Maillog lines that were events.", (double)m->maillog_events);
	one(em, "policyd_journal_gaps_total", "counter",
	    "Restarts that found the last journal entry read gone: entries "
	    "between were lost.",
	    (double)m->journal_gaps);
	one(em, "policyd_maillog_own_rejects_total", "counter",
	    "Maillog rejects that were policyd's own, not counted.",
	    (double)pd_engine_stats(m->engine)->own_rejects);
	one(em, "policyd_maillog_server_defers_total", "counter",
	    "Maillog lines where the server, not the client, failed or "
	    "greylisted: not counted.",
	    (double)pd_engine_stats(m->engine)->server_defers);
	one(em, "policyd_maillog_drops_forgiven_total", "counter",
	    "Dropped connections that were the server's doing: not counted.",
	    (double)pd_engine_stats(m->engine)->drops_forgiven);
	one(em, "policyd_maillog_last_line_timestamp_seconds", "gauge",
	    "The stamp of the newest maillog line read, seconds since the "
	    "epoch; 0 before the first.",
	    (double)(m->maillog_stamp / 1000));
	one(em, "policyd_maillog_lag_seconds", "gauge",
	    "How long after its stamp the newest maillog line was read "
	    "(stamps have whole seconds).",
	    (double)(m->maillog_lag / 1000));
}

static void
walk(struct emitter *em, const struct pd_metrics *m)
{
	const struct pd_engine *e = m->engine;
	struct label		l;

	walk_process(em, m);
	walk_requests(em, e);
	walk_decisions(em, e);
	walk_store(em, e);
	walk_server(em, m);
	walk_dns(em, m);
	walk_maillog(em, m);
	walk_geoip(em, e);
	walk_state(em, m);
	l = (struct label){ "result", "ok" };
	em->sample(em, "policyd_config_reloads_total", "", "counter",
	    "Configuration reloads.", &l, 1, (double)m->reloads);
	l = (struct label){ "result", "failed" };
	em->sample(em, "policyd_config_reloads_total", "", "counter",
	    "Configuration reloads.", &l, 1, (double)m->reload_failures);
}

void
pd_metrics_text(const struct pd_metrics *m, bool help, struct pd_buf *b)
{
	struct emitter em = { .sample = prom_sample, .b = b, .help = help };

	walk(&em, m);
}

void
pd_metrics_out(const struct pd_metrics *m, struct pd_out *o)
{
	struct emitter em = { .sample = out_sample, .o = o };

	pd_out_list(o, "metrics");
	walk(&em, m);
	pd_out_end(o);
}
