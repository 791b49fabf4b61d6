/* SPDX-License-Identifier: ISC */
/*
 * replay - the engine over a saved maillog.
 *
 * Decisions reach us the way they reach the log live: through the
 * engine's sink, as the same decision values, rendered by the same
 * pd_decision_line() and printed with the time of the event.  So the
 * report cannot drift from what the daemon logs.
 *
 * What caused a decision comes from the engine's tap, which says which
 * rule and key each line was counted for, before the rule may fire:
 * cause.c keeps the reasons of those lines, and the sink, called right
 * after the tap for the line that fired, tallies them.  The near misses
 * are cause.c's too, printed at the end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "str.h"
#include "cause.h"
#include "conf.h"
#include "decision.h"
#include "engine.h"
#include "geoip.h"
#include "key.h"
#include "maillog.h"
#include "replay.h"

struct replay {
	FILE			     *out;
	uint64_t		      decisions;
	const struct pd_conf	     *conf;
	uint64_t		     *by_rule; /* per conf rule */
	struct pd_engine	      engine;
	struct pd_causes	      causes;
	const struct pd_maillog_line *ml;     /* the line being counted */
	int			      reason; /* its id; -1: not yet */
	struct pd_cause_key	     *tapped; /* what the tap was last told */
	size_t			      tapped_rule;
};

/* reply_text - a reject's reason without its codes, shown after it */
static const char *
reply_text(const struct pd_maillog_line *ml)
{
	const char *p = ml->reason;
	size_t	    n;

	if ((n = strlen(ml->code)) > 0 && strncmp(p, ml->code, n) == 0 &&
	    p[n] == ' ')
		p += n + 1;
	if ((n = strlen(ml->status)) > 0 && strncmp(p, ml->status, n) == 0 &&
	    p[n] == ' ')
		p += n + 1;
	return p;
}

/* line_reason - the id of what the line being counted says */
static unsigned
line_reason(struct replay *rp)
{
	const struct pd_maillog_line *ml = rp->ml;
	char			      text[sizeof(ml->reason) + 32];

	switch (ml->kind) {
	case PD_ML_CONNECT:
		snprintf(text, sizeof(text), "connect");
		break;
	case PD_ML_AUTH_FAIL:
		snprintf(text, sizeof(text), "%s",
		    *ml->reason ? ml->reason : "authentication failed");
		break;
	case PD_ML_DROP:
		snprintf(text, sizeof(text), "%s%s%s", ml->reason,
		    *ml->after ? " after " : "", ml->after);
		break;
	default:
		snprintf(text, sizeof(text), "%s",
		    *ml->reason ? reply_text(ml) :
				  pd_maillog_kind_name(ml->kind));
		break;
	}
	return pd_causes_reason(&rp->causes, text, ml->code);
}

/* replay_tap - the line was counted for rule i in c: keep its reason */
static void
replay_tap(void *arg, size_t i, const struct pd_counter *c, int64_t now)
{
	struct replay *rp = arg;
	const uint8_t *key;
	size_t	       klen;
	uint64_t       count;

	if (rp->reason < 0)
		rp->reason = (int)line_reason(rp);
	key = pd_counter_key(c, &klen);
	count = pd_counters_peek(pd_engine_counters_c(&rp->engine), c, now);
	rp->tapped = pd_causes_count(&rp->causes, i, key, klen,
	    (unsigned)rp->reason, count, now);
	rp->tapped_rule = i;
}

/* print_quoted - text in double quotes; quotes inside become ' */
static void
print_quoted(FILE *out, const char *text)
{
	putc('"', out);
	for (const char *p = text; *p; p++)
		putc(*p == '"' ? '\'' : *p, out);
	putc('"', out);
}

/* print_cause - the line after a decision: its lines by reason */
static void
print_cause(struct replay *rp, const struct pd_decision *d)
{
	struct pd_cause_tally t;
	const char	     *sep = "";

	pd_causes_fired(&rp->causes, rp->tapped, d->count, &t);
	fprintf(rp->out, "    caused by: ");
	for (size_t i = 0; i < t.ntop; i++, sep = ", ") {
		fprintf(rp->out, "%s%llu x ", sep,
		    (unsigned long long)t.top[i].n);
		print_quoted(rp->out, t.top[i].text);
		if (*t.top[i].code)
			fprintf(rp->out, " (%s)", t.top[i].code);
	}
	if (t.other) {
		fprintf(rp->out, "%s%llu x (other reasons)", sep,
		    (unsigned long long)t.other);
		sep = ", ";
	}
	if (t.unknown)
		fprintf(rp->out, "%s%llu x (not kept)", sep,
		    (unsigned long long)t.unknown);
	putc('\n', rp->out);
}

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
	/* The line that fired was told to the tap just now, for this rule. */
	if (rp->tapped != NULL && d->from_log && d->counted &&
	    strcmp(d->rule, rp->conf->rules[rp->tapped_rule].name) == 0)
		print_cause(rp, d);
	rp->tapped = NULL;
}

/* print_near - the near misses, one line each, and how many */
static int
print_near(struct replay *rp, struct pd_replay_stats *st, struct pd_err *err)
{
	const struct pd_conf *conf = rp->conf;
	struct pd_cause_near *nm;
	struct pd_buf	      line;
	char		      key[PD_STR_VALUE_MAX + 1], win[32], when[32];

	if (pd_causes_near(&rp->causes, &nm, &st->near_misses) < 0)
		return pd_err_set(err, "near misses: out of memory");
	pd_buf_init(&line, 2048);
	for (size_t i = 0; i < st->near_misses; i++) {
		const struct pd_rule *r = &conf->rules[nm[i].rule];

		pd_key_stored_text(conf, r, false, nm[i].key, nm[i].klen, key,
		    sizeof(key));
		pd_str_fmt_duration(win, sizeof(win), r->window);
		pd_str_fmt_time(when, sizeof(when), nm[i].at);
		pd_buf_reset(&line);
		pd_buf_kv(&line, "rule", r->name);
		pd_buf_kv(&line, "key", key);
		pd_buf_printf(&line, " peak=%llu limit=%lld/%s at=%s",
		    (unsigned long long)nm[i].peak, r->limit, win, when);
		fprintf(rp->out, "# near miss:%s\n", pd_buf_str(&line));
	}
	pd_buf_clear(&line);
	free(nm);
	fprintf(rp->out,
	    "# near misses: %zu (keys that reached %d%% of a limit and never "
	    "passed it)\n",
	    st->near_misses, PD_CAUSE_NEAR_PCT);
	return 0;
}

/* replay_init - the engine, with our sink and tap, and the books */
static int
replay_init(struct replay *rp, const struct pd_geo *geo, struct pd_err *err)
{
	const struct pd_conf *conf = rp->conf;

	if ((rp->by_rule = calloc(conf->nrules + 1, sizeof(*rp->by_rule))) ==
		NULL ||
	    pd_causes_init(&rp->causes, conf) < 0) {
		free(rp->by_rule);
		return pd_err_set(err, "out of memory");
	}
	if (pd_engine_init(&rp->engine, conf, 0, err) < 0) {
		pd_causes_clear(&rp->causes);
		free(rp->by_rule);
		return pd_err_set(err, "out of memory");
	}
	pd_engine_set_geo(&rp->engine, geo);
	pd_engine_set_sink(&rp->engine, replay_sink, rp);
	pd_engine_set_tap(&rp->engine, replay_tap, rp);
	return 0;
}

static void
replay_clear(struct replay *rp)
{
	pd_engine_clear(&rp->engine);
	pd_causes_clear(&rp->causes);
	free(rp->by_rule);
}

/* A file read line by line. */
struct file_source {
	FILE  *fp;
	char  *line;
	size_t cap;
};

static ssize_t
file_next(void *arg, const char **line)
{
	struct file_source *fs = arg;
	ssize_t		    len;

	if ((len = getline(&fs->line, &fs->cap, fs->fp)) < 0)
		return -1;
	if (len > 0 && fs->line[len - 1] == '\n')
		len--;
	*line = fs->line;
	return len;
}

/* replay_run - every line of the source through the engine */
static void
replay_run(struct replay *rp, pd_replay_next next, void *arg, int64_t now,
    struct pd_replay_stats *st)
{
	struct pd_maillog_line ml;
	enum pd_event_type     type;
	const char	      *line;
	ssize_t		       len;

	rp->ml = &ml;
	while ((len = next(arg, &line)) >= 0) {
		st->lines++;
		/* The stamps are the clock: UTC unless they say otherwise. */
		if (pd_maillog_parse_as(line, (size_t)len, now, 0,
			&rp->conf->maillog_syslog_names, &ml) < 0 ||
		    !pd_maillog_event(&ml, &type))
			continue;
		st->events++;
		rp->reason = -1; /* interned when a rule counts the line */
		pd_engine_event(&rp->engine, type, &ml.client, ml.reason,
		    ml.time);
		if ((st->events & 0xffff) == 0) {
			pd_engine_tick(&rp->engine, ml.time);
			pd_causes_expire(&rp->causes, ml.time);
		}
	}
	rp->ml = NULL;
}

int
pd_replay(const struct pd_conf *conf, const char *file, int64_t now, FILE *out,
    struct pd_replay_stats *st, struct pd_err *err)
{
	struct file_source fs = { 0 };
	int		   rc;

	memset(st, 0, sizeof(*st));
	fs.fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	if (fs.fp == NULL)
		return pd_err_set(err, "%s: %s", file, strerror(errno));
	rc = pd_replay_lines(conf, file_next, &fs, now, out, st, err);
	free(fs.line);
	if (fs.fp != stdin)
		fclose(fs.fp);
	return rc;
}

int
pd_replay_lines(const struct pd_conf *conf, pd_replay_next next, void *arg,
    int64_t now, FILE *out, struct pd_replay_stats *st, struct pd_err *err)
{
	struct replay *rp;
	struct pd_geo  geo;
	double	       t0 = pd_clock_seconds();
	int	       rc;

	memset(st, 0, sizeof(*st));
	/* On the heap: the engine is large. */
	if ((rp = calloc(1, sizeof(*rp))) == NULL)
		return pd_err_set(err, "out of memory");
	rp->out = out;
	rp->conf = conf;
	if ((rc = pd_geo_open(&geo, conf->geoip_country_db, conf->geoip_asn_db,
		 err)) < 0)
		goto out;
	if ((rc = replay_init(rp, &geo, err)) < 0) {
		pd_geo_close(&geo);
		goto out;
	}
	replay_run(rp, next, arg, now, st);
	st->decisions = rp->decisions;
	st->seconds = pd_clock_seconds() - t0;
	fprintf(out, "# %llu lines, %llu events, %llu decisions in %.2fs\n",
	    (unsigned long long)st->lines, (unsigned long long)st->events,
	    (unsigned long long)st->decisions, st->seconds);
	for (size_t i = 0; i < conf->nrules; i++)
		if (rp->by_rule[i])
			fprintf(out, "# rule %s: %llu\n", conf->rules[i].name,
			    (unsigned long long)rp->by_rule[i]);
	rc = print_near(rp, st, err);
	replay_clear(rp);
	pd_geo_close(&geo);
out:
	free(rp);
	return rc;
}
