/*
 * replay - the engine over a saved maillog.
 *
 * Decisions reach us the way they reach syslog live: as the engine's
 * log lines, caught here with a log sink and printed with the time of
 * the event.  So the report cannot drift from what the daemon logs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "str.h"
#include "conf.h"
#include "engine.h"
#include "geoip.h"
#include "maillog.h"
#include "replay.h"

#define MAX_RULES_SHOWN	64

struct replay {
	FILE			*out;
	int64_t			 now;		/* of the line being read */
	uint64_t		 decisions;
	const struct pd_conf	*conf;
	uint64_t		*by_rule;	/* per conf rule */
};

static void
replay_log_cb(void *arg, enum pd_log_level level, const char *line)
{
	struct replay *rp = arg;
	char when[32];
	const char *r;

	if (level != PD_LOG_INFO || strncmp(line, "action=", 7) != 0)
		return;
	rp->decisions++;
	if ((r = strstr(line, " rule=")) != NULL) {
		for (size_t i = 0; i < rp->conf->nrules; i++) {
			size_t n = strlen(rp->conf->rules[i].name);

			if (strncmp(r + 6, rp->conf->rules[i].name, n) == 0 &&
			    r[6 + n] == ' ')
				rp->by_rule[i]++;
		}
	}
	pd_str_fmt_time(when, sizeof(when), rp->now);
	fprintf(rp->out, "%s %s\n", when, line);
}

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
pd_replay(const struct pd_conf *conf, const char *file, int64_t now, FILE *out,
    struct pd_replay_stats *st, struct pd_err *err)
{
	struct replay rp = { .out = out, .conf = conf };
	struct pd_maillog_line ml;
	struct pd_engine e;
	struct pd_geo geo;
	enum pd_event_type type;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	double t0 = mono();
	FILE *fp;

	memset(st, 0, sizeof(*st));
	fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (fp == NULL)
		return pd_err_set(err, "%s: %s", file, strerror(errno));
	if (pd_geo_open(&geo, conf->geoip_country_db, conf->geoip_asn_db,
	    err) < 0) {
		if (fp != stdin)
			fclose(fp);
		return -1;
	}
	if ((rp.by_rule = calloc(conf->nrules + 1, sizeof(*rp.by_rule))) == NULL ||
	    pd_engine_init(&e, conf, 0, err) < 0) {
		free(rp.by_rule);
		pd_geo_close(&geo);
		if (fp != stdin)
			fclose(fp);
		return pd_err_set(err, "out of memory");
	}
	pd_engine_set_geo(&e, &geo);
	pd_log_set_sink(replay_log_cb, &rp);
	while ((len = getline(&line, &cap, fp)) >= 0) {
		st->lines++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		/* The stamps are the clock: UTC unless they say otherwise. */
		if (pd_maillog_parse(line, (size_t)len, now, 0, &ml) < 0 ||
		    !pd_maillog_event(&ml, &type))
			continue;
		st->events++;
		rp.now = ml.time;
		pd_engine_event(&e, type, &ml.client, ml.reason, ml.time);
		if ((st->events & 0xffff) == 0)
			pd_engine_tick(&e, ml.time);
	}
	pd_log_set_sink(NULL, NULL);
	free(line);
	if (fp != stdin)
		fclose(fp);
	st->decisions = rp.decisions;
	st->seconds = mono() - t0;
	fprintf(out, "# %llu lines, %llu events, %llu decisions in %.2fs\n",
	    (unsigned long long)st->lines, (unsigned long long)st->events,
	    (unsigned long long)st->decisions, st->seconds);
	for (size_t i = 0; i < conf->nrules; i++)
		if (rp.by_rule[i])
			fprintf(out, "# rule %s: %llu\n", conf->rules[i].name,
			    (unsigned long long)rp.by_rule[i]);
	free(rp.by_rule);
	pd_engine_clear(&e);
	pd_geo_close(&geo);
	return 0;
}
