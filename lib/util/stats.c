/*
 * stats - the bounds of the reply latency histogram, shared by the
 * server that fills it and the metrics that print it.
 */
#include "stats.h"

const uint32_t pd_server_latency_us[PD_SERVER_LATENCY_BUCKETS - 1] = {
	100,
	250,
	500,
	1000,
	2500,
	5000,
	10000,
	25000,
	50000,
	100000,
	250000,
	500000,
	1000000,
	2500000,
	5000000,
	10000000,
};
