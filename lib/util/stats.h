/* SPDX-License-Identifier: ISC */
/*
 * stats - what the I/O edges count (the policy server, the resolver), as
 * plain data, so that metrics (a policy module) can read the counts
 * without including the libuv and libunbound modules that keep them.
 */
#ifndef PD_STATS_H
#define PD_STATS_H

#include <stdint.h>

/*
 * Reply latency: from a complete request to its reply, queued for
 * writing.  Upper bounds of the histogram buckets in microseconds; the
 * last bucket holds the rest.
 */
#define PD_SERVER_LATENCY_BUCKETS 17
extern const uint32_t pd_server_latency_us[PD_SERVER_LATENCY_BUCKETS - 1];

struct pd_server_stats {
	uint64_t accepted;
	uint64_t refused; /* over max_clients */
	uint64_t requests;
	uint64_t protocol_errors;
	uint64_t timeouts;
	uint64_t latency[PD_SERVER_LATENCY_BUCKETS];
	uint64_t latency_ns; /* sum */
};

struct pd_dns_stats {
	uint64_t lookups;
	uint64_t cache_hits;
	uint64_t merged;  /* joined a query in flight */
	uint64_t queries; /* sent to the resolver */
	uint64_t tempfails;
};

/* The process, as the operating system sees it (Linux's /proc). */
struct pd_proc_stats {
	uint64_t rss_bytes;
	uint64_t vsize_bytes;
	uint64_t open_fds;
	uint64_t max_fds; /* the soft RLIMIT_NOFILE */
	double	 cpu_seconds;
};

/*
 * pd_proc_stats_read - this process's figures now; -1 when /proc is
 * missing (then only max_fds and cpu_seconds are set).
 */
int pd_proc_stats_read(struct pd_proc_stats *);

#endif
