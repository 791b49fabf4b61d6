/*
 * replay - the engine over a saved maillog.
 *
 * Decisions reach us the way they reach the log live: through the
 * engine's sink, as the same decision values, rendered by the same
 * pd_decision_line() and printed with the time of the event.  So the
 * report cannot drift from what the daemon logs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "str.h"
#include "conf.h"
#include "decision.h"
#include "engine.h"
#include "geoip.h"
#include "maillog.h"
#include "replay.h"

struct replay {
	FILE		     *out;
	uint64_t	      decisions;
	const struct pd_conf *conf;
	uint64_t	     *by_rule; /* per conf rule */
};

static void
replay_sink(void *arg, const struct pd_decision *d)
{
	struct replay *rp = arg;
	struct pd_buf  line;
	char	       when[32];

	rp->decisions++;
	for (size_t i = 0; i < rp->conf->nrules; i++)
		if (strcmp(d->rule, rp->conf->rules[i].name) == 0)
			rp->by_rule[i]++;
	pd_str_fmt_time(when, sizeof(when), d->when);
	pd_buf_init(&line, 2048);
	fprintf(rp->out, "%s %s\n", when, pd_decision_line(d, &line));
	pd_buf_clear(&line);
}

int
pd_replay(const struct pd_conf *conf, const char *file, int64_t now, FILE *out,
    struct pd_replay_stats *st, struct pd_err *err)
{
	struct replay	       rp = { .out = out, .conf = conf };
	struct pd_maillog_line ml;
	struct pd_engine       e;
	struct pd_geo	       geo;
	enum pd_event_type     type;
	char		      *line = NULL;
	size_t		       cap = 0;
	ssize_t		       len;
	double		       t0 = pd_clock_seconds();
	FILE		      *fp;

	memset(st, 0, sizeof(*st));
	fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (fp == NULL)
		return pd_err_set(err, "%s: %s", file, strerror(errno));
	if (pd_geo_open(&geo, conf->geoip_country_db, conf->geoip_asn_db, err) <
	    0) {
		if (fp != stdin)
			fclose(fp);
		return -1;
	}
	if ((rp.by_rule = calloc(conf->nrules + 1, sizeof(*rp.by_rule))) ==
		NULL ||
	    pd_engine_init(&e, conf, 0, err) < 0) {
		free(rp.by_rule);
		pd_geo_close(&geo);
		if (fp != stdin)
			fclose(fp);
		return pd_err_set(err, "out of memory");
	}
	pd_engine_set_geo(&e, &geo);
	pd_engine_set_sink(&e, replay_sink, &rp);
	while ((len = getline(&line, &cap, fp)) >= 0) {
		st->lines++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		/* The stamps are the clock: UTC unless they say otherwise. */
		if (pd_maillog_parse(line, (size_t)len, now, 0, &ml) < 0 ||
		    !pd_maillog_event(&ml, &type))
			continue;
		st->events++;
		pd_engine_event(&e, type, &ml.client, ml.reason, ml.time);
		if ((st->events & 0xffff) == 0)
			pd_engine_tick(&e, ml.time);
	}
	free(line);
	if (fp != stdin)
		fclose(fp);
	st->decisions = rp.decisions;
	st->seconds = pd_clock_seconds() - t0;
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
