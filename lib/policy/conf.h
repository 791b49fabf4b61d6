/* SPDX-License-Identifier: ISC */
/*
 * conf - policyd.conf: main.cf-style "name = value" lines plus named
 * blocks for rules, profiles and allow/deny lists.
 *
 *	request_timeout = 30s
 *	rule connections {
 *		event = connection
 *		limit = 1000 per 1h
 *		release = quiet 1h
 *		reply = 451 4.7.1 Too many connections ... ${client_address}
 *	}
 *
 * Whole-line comments start with "#"; a value that ends with "," goes on
 * on the next line.  Scalar options are described once, in the table in
 * conf.c, with their defaults and bounds.  Parsing goes on after an
 * error so that one run reports them all (up to PD_CONF_MAX_ERRORS),
 * each as "file:line: what is wrong".  A struct pd_conf is immutable
 * once in use: reload builds a new one and swaps it in only when valid.
 */
#ifndef PD_CONF_H
#define PD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "event.h"
#include "str.h"
#include "tmpl.h"

#define PD_CONF_MAX_ERRORS 20
#ifndef PD_CONF_DEFAULT_FILE
#define PD_CONF_DEFAULT_FILE "/etc/policyd/policyd.conf"
#endif
#ifndef PD_CONF_DEFAULT_CONTROL
#define PD_CONF_DEFAULT_CONTROL "/run/policyd/control.sock"
#endif
/* The rule name of blocks an operator sets with policydctl. */
#define PD_CONF_MANUAL "manual"

/*
 * A condition on the client's country or AS number: "country = DE, AT"
 * holds for a client in one of them, "country = !DE, !AT" for one in
 * none of them, which includes a client the database does not know.
 * An empty list is no condition.
 */
struct pd_geo_cond {
	char (*countries)[3]; /* upper case */
	size_t	  ncountries;
	bool	  countries_not;
	uint32_t *asns;
	size_t	  nasns;
	bool	  asns_not;
};

enum pd_rule_kind {
	PD_RULE_RATE,	 /* reply while over the limit */
	PD_RULE_BLOCK,	 /* block = DURATION: fixed-length block */
	PD_RULE_LISTING, /* release = quiet DURATION */
	PD_RULE_TARPIT,	 /* delay = DURATION [step] */
};
/* How many kinds there are; not an enumerator, so switches stay complete. */
#define PD_RULE_KIND_MAX (PD_RULE_TARPIT + 1)

/*
 * A rule with a limit counts its event per key and fires past the
 * limit; a rule without one is a check that fires on every request that
 * meets its conditions.  Either may add a score instead of replying.
 */
struct pd_rule {
	char		  *name;
	unsigned	   line;
	bool		   has_event; /* else: every request */
	enum pd_event_type event;
	enum pd_key_type   key;
	unsigned	   helo;   /* condition: findings, bit mask
						   of 1 << enum pd_helo_finding */
	struct pd_geo_cond geo;	   /* condition: country, asn */
	struct pd_codes	   codes;  /* rejects: which count (the
					   event's default when not set) */
	long long	   limit;  /* events per window; -1: a check */
	int64_t		   window; /* ms */
	enum pd_rule_kind  kind;
	int64_t		   hold;       /* block length or quiet period */
	int64_t		   delay;      /* tarpit: first delay, ms */
	bool		   delay_step; /* tarpit: grows per event */
	int64_t		   max_delay;  /* tarpit cap, ms */
	bool		   warn;       /* mode = warn */
	long long	   score;      /* adds to the score, no reply */
	struct pd_tmpl	   reply;
};

/* An allow or deny list: the first list that matches decides. */
struct pd_access {
	char		  *name;
	unsigned	   line;
	bool		   deny;
	struct pd_cidr	  *clients;
	size_t		   nclients;
	struct pd_strlist  client_names;  /* exact, or ".suffix" */
	struct pd_strlist  helo_names;	  /* exact, or ".suffix" */
	bool		   authenticated; /* any sasl_username */
	struct pd_geo_cond geo;		  /* country, asn */
	struct pd_tmpl	   reply;	  /* deny only */
};

struct pd_profile {
	char		  *name;
	unsigned	   line;
	struct pd_strlist  contexts; /* policy_context values */
	long		  *ports;    /* server_port values */
	size_t		   nports;
	struct pd_geo_cond geo;	       /* and the client's country, asn */
	struct pd_strlist  rule_names; /* as configured */
	size_t		  *rules;      /* indexes into conf->rules */
	size_t		   nrules;
};

struct pd_conf {
	char *file;

	/* Scalar options; see the table in conf.c for defaults. */
	struct pd_strlist listen;
	long long	  unix_mode;
	char		 *user;
	int64_t		  request_timeout;
	int64_t		  idle_timeout;
	int64_t		  reply_timeout;
	long long	  max_clients;
	bool		  dry_run;
	char		 *state_file;
	int64_t		  state_interval;
	long long	  max_keys;
	long long	  ipv6_client_prefix;
	long long	  ipv4_segment;
	long long	  ipv6_segment;
	char		 *maillog;		/* "" when not followed */
	struct pd_strlist maillog_syslog_names; /* fnmatch patterns */
	struct pd_strlist local_domains;	/* lower case */
	struct pd_strlist maillog_unit; /* the journal's Postfix units */
	struct pd_strlist local_addresses_text;
	struct pd_cidr	 *local_addresses;
	size_t		  nlocal_addresses;
	struct pd_strlist helo_special_use; /* lower case */
	char		 *dns_forward;
	char		 *dns_tempfail_action; /* "skip" or a reply */
	struct pd_tmpl	  dns_tempfail_reply;
	long long	  dns_cache_size;
	long long	  score_defer;
	long long	  score_reject;
	char		 *score_defer_reply_text;
	char		 *score_reject_reply_text;
	struct pd_tmpl	  score_defer_reply;
	struct pd_tmpl	  score_reject_reply;
	char		 *block_reply_text; /* policydctl block */
	struct pd_tmpl	  block_reply;
	char		 *control_socket;   /* "" when none */
	long long	  explain_history;  /* decisions kept */
	char		 *metrics_listen;   /* "" or HOST:PORT */
	char		 *geoip_country_db; /* "" when none */
	char		 *geoip_asn_db;	    /* "" when none */

	struct pd_rule	  *rules;
	size_t		   nrules;
	struct pd_access  *access;
	size_t		   naccess;
	struct pd_profile *profiles;
	size_t		   nprofiles;

	/* "file:line: ..." of what parses but is likely not meant. */
	struct pd_strlist warnings;
	/* The blocks' lines as read, for pd_conf_write. */
	struct pd_strlist block_lines;
};

/* Called once per error with "file:line: message". */
typedef void (*pd_conf_error_cb)(void *arg, const char *msg);

/*
 * pd_conf_load - read file, apply overrides ("name=value" strings, as
 * given with -o, may be NULL), and check the result.  Returns a new
 * config, or NULL after reporting every error through cb.  Caller frees
 * with pd_conf_free().
 */
struct pd_conf *pd_conf_load(const char *file, char *const *overrides,
    size_t noverrides, pd_conf_error_cb cb, void *arg);
/* pd_conf_parse - the same from text in memory; name is used in messages */
struct pd_conf *pd_conf_parse(const char *name, const char *text,
    char *const *overrides, size_t noverrides, pd_conf_error_cb cb, void *arg);
void		pd_conf_free(struct pd_conf *);

/*
 * pd_conf_write - the config as policyd.conf text that parses back to
 * the same settings: the global options (all, or only those that differ
 * from their defaults, as "postconf -n" prints them), then every block.
 * -1 when fp fails.
 */
int pd_conf_write(const struct pd_conf *, bool all, FILE *fp);

/* pd_conf_needs_maillog - some rule counts events from the maillog */
bool pd_conf_needs_maillog(const struct pd_conf *);

/* pd_conf_maillog_window - the longest window of those rules, ms */
int64_t pd_conf_maillog_window(const struct pd_conf *);

/*
 * pd_conf_maillog_journal - maillog is "journal" (the system journal:
 * *path NULL) or "journal:PATH" (a journal directory or file): then
 * true.  path may be NULL.
 */
bool pd_conf_maillog_journal(const struct pd_conf *, const char **path);

/* pd_conf_needs_dns - some rule asks whether the HELO name resolves */
bool pd_conf_needs_dns(const struct pd_conf *);

/*
 * pd_conf_restart_changes - the options a reload cannot apply that
 * differ between the running config old and the new one, by name in
 * the order of the option table, as "listen, maillog" in buf: cut to
 * fit, and terminated when size > 0.  Lists compare string by string.
 * resolver: a DNS resolver is running, made with old's dns_forward and
 * dns_cache_size, which are then fixed too; with none running, the
 * reload makes one from new when it needs one.  Returns how many
 * options differ, also those cut from buf.
 */
size_t pd_conf_restart_changes(const struct pd_conf *old,
    const struct pd_conf *new, bool resolver, char *buf, size_t size);

/*
 * pd_conf_keep_running - give new old's values of the options that
 * pd_conf_restart_changes compares, so that new says what runs and the
 * next reload compares with that.  For a reload, before new is in use.
 * -1 when out of memory; each option then holds one value or the other.
 */
int pd_conf_keep_running(struct pd_conf *new, const struct pd_conf *old,
    bool resolver);

/* pd_geo_cond_empty - the condition holds for every client */
static inline bool
pd_geo_cond_empty(const struct pd_geo_cond *g)
{
	return g->ncountries == 0 && g->nasns == 0;
}

/* pd_rule_kind_name - "rate", "block", "listing" or "tarpit" */
const char *pd_rule_kind_name(enum pd_rule_kind);

/* pd_conf_rule - rule by name, or NULL */
const struct pd_rule *pd_conf_rule(const struct pd_conf *, const char *);

#endif
