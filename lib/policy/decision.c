/* SPDX-License-Identifier: ISC */
/*
 * decision - a decision's fields as pairs, and its log line.
 *
 * The pairs are walked in one place, so the log line and policydctl's
 * records (text and JSON) can never disagree on a name or an order.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "str.h"
#include "decision.h"

void
pd_decision_dunno(struct pd_decision *d, int64_t when)
{
	/*
	 * The fields, and only the first byte of each string: this is
	 * every request's answer, and the strings are all a reader uses.
	 */
	memset(d, 0, offsetof(struct pd_decision, rule));
	d->act = PD_ACT_DUNNO;
	d->when = when;
	d->rule[0] = d->key[0] = d->helo[0] = d->state[0] = '\0';
	d->reasons[0] = d->reason[0] = '\0';
	snprintf(d->reply, sizeof(d->reply), "DUNNO");
}

void
pd_decision_ref(uint32_t id, char *buf, size_t len)
{
	snprintf(buf, len, "PD-%06" PRIX32, id & 0xffffff);
}

/* pairs_limits - count, limit, delay and score, where they are set */
static void
pairs_limits(const struct pd_decision *d, pd_decision_pair_fn fn, void *arg)
{
	char v[64], win[32];

	if (d->counted) {
		snprintf(v, sizeof(v), "%" PRIu64, d->count);
		fn(arg, "count", v);
		pd_str_fmt_duration(win, sizeof(win), d->window);
		snprintf(v, sizeof(v), "%lld/%s", d->limit, win);
		fn(arg, "limit", v);
	}
	if (d->delay) {
		snprintf(v, sizeof(v), "%" PRId64 "s", d->delay / 1000);
		fn(arg, "delay", v);
	}
	if (d->scored) {
		snprintf(v, sizeof(v), "%lld", d->score);
		fn(arg, "score", v);
		fn(arg, "reasons", d->reasons);
	}
}

void
pd_decision_pairs(const struct pd_decision *d, pd_decision_pair_fn fn,
    void *arg)
{
	char client[PD_ADDR_STRLEN], v[32];

	fn(arg, "action", d->warn ? "warn" : pd_action_name(d->act));
	if (d->warn)
		fn(arg, "would", pd_action_name(d->act));
	fn(arg, "rule", d->rule);
	pd_addr_format(&d->client, client, sizeof(client));
	fn(arg, "client", client);
	if (*d->country)
		fn(arg, "country", d->country);
	if (d->asn) {
		snprintf(v, sizeof(v), "%" PRIu32, d->asn);
		fn(arg, "asn", v);
	}
	if (*d->key && strcmp(d->key, client) != 0)
		fn(arg, "key", d->key);
	if (d->from_log)
		fn(arg, "source", "maillog");
	if (*d->helo)
		fn(arg, "helo", d->helo);
	if (*d->state)
		fn(arg, "state", d->state);
	pairs_limits(d, fn, arg);
	if (d->has_reason)
		fn(arg, "reason", d->reason);
	if (d->expires) {
		pd_str_fmt_time(v, sizeof(v), d->expires);
		fn(arg, "expires", v);
	}
	pd_decision_ref(d->ref, v, sizeof(v));
	fn(arg, "ref", v);
}

static void
line_pair(void *arg, const char *name, const char *value)
{
	pd_buf_kv(arg, name, value);
}

const char *
pd_decision_line(const struct pd_decision *d, struct pd_buf *line)
{
	pd_decision_pairs(d, line_pair, line);
	/* pd_buf_kv puts a space before each pair; the line starts bare. */
	return line->len ? pd_buf_str(line) + 1 : "";
}
