/* SPDX-License-Identifier: ISC */
/*
 * metrics - policyd's counters as "policydctl stats" and Prometheus
 * text (exposition format 0.0.4), from one list of metrics.
 *
 * The caller fills a struct pd_metrics with borrowed pointers to what
 * each part counts; nothing is copied or kept.
 */
#ifndef PD_METRICS_H
#define PD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pd_buf;
struct pd_dns_stats;
struct pd_engine;
struct pd_out;
struct pd_proc_stats;
struct pd_server_stats;

struct pd_metrics {
	const struct pd_engine	     *engine;
	const struct pd_server_stats *server;
	size_t			      connections; /* open now */
	const struct pd_dns_stats    *dns;	   /* NULL: no resolver */
	uint64_t		      dns_timeouts;
	const char		     *version;
	const struct pd_proc_stats   *proc;    /* NULL: not known */
	bool			      maillog; /* followed */
	uint64_t		      maillog_lines;
	uint64_t		      maillog_events;
	int64_t			      maillog_stamp; /* newest line's, ms */
	int64_t			      maillog_lag;   /* ms, when read */
	uint64_t		      journal_gaps;  /* entries lost unread */
	uint64_t		      reloads;
	uint64_t		      reload_failures;
	uint64_t		      state_saves;
	uint64_t		      state_save_failures;
	int64_t			      state_saved_at; /* ms, 0: never */
	int64_t			      started;	      /* ms */
};

/* pd_metrics_text - Prometheus text; with help, # HELP and # TYPE too */
void pd_metrics_text(const struct pd_metrics *, bool help, struct pd_buf *);
/* pd_metrics_out - the same samples as a list of records (for --json) */
void pd_metrics_out(const struct pd_metrics *, struct pd_out *);

#endif
