/* SPDX-License-Identifier: ISC */
/*
 * stats - the bounds of the reply latency histogram, shared by the
 * server that fills it and the metrics that print it; the process's
 * own figures.
 */
#include <sys/resource.h>

#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

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

/* count_fds - entries of /proc/self/fd, less the one opendir() holds */
static int
count_fds(uint64_t *n)
{
	DIR	      *dir = opendir("/proc/self/fd");
	struct dirent *de;

	if (dir == NULL)
		return -1;
	*n = 0;
	while ((de = readdir(dir)) != NULL)
		if (de->d_name[0] != '.')
			(*n)++;
	closedir(dir);
	if (*n > 0)
		(*n)--;
	return 0;
}

int
pd_proc_stats_read(struct pd_proc_stats *ps)
{
	struct rlimit	   rl;
	struct rusage	   ru;
	unsigned long long size, resident;
	long		   page = sysconf(_SC_PAGESIZE);
	FILE		  *fp;
	int		   rc = -1;

	*ps = (struct pd_proc_stats){ 0 };
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		ps->max_fds = rl.rlim_cur == RLIM_INFINITY ? 0 : rl.rlim_cur;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		ps->cpu_seconds = (double)ru.ru_utime.tv_sec +
		    (double)ru.ru_stime.tv_sec +
		    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
	/* statm: sizes in pages, the first two the whole and the resident. */
	if ((fp = fopen("/proc/self/statm", "r")) != NULL) {
		if (fscanf(fp, "%llu %llu", &size, &resident) == 2 &&
		    page > 0) {
			ps->vsize_bytes = size * (uint64_t)page;
			ps->rss_bytes = resident * (uint64_t)page;
			rc = 0;
		}
		fclose(fp);
	}
	if (count_fds(&ps->open_fds) < 0)
		rc = -1;
	return rc;
}
