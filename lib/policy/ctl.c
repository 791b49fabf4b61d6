/* SPDX-License-Identifier: ISC */
/*
 * ctl - control commands: grammar and wire format.
 *
 * The daemon parses every command again and never trusts the client:
 * policydctl parses first only to give a usage error without a round
 * trip.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "str.h"
#include "journal.h"
#include "ctl.h"

const char pd_ctl_usage[] =
    "usage: policydctl [-c file] [-o name=value] [-s socket] [--json] "
    "command\n"
    "commands:\n"
    "  status\n"
    "  stats [--prometheus]\n"
    "  show ADDR|CIDR\n"
    "  list [blocks|listings]\n"
    "  block ADDR|CIDR --for DURATION [--reason TEXT] [--replace] "
    "[--force]\n"
    "  unblock ADDR|CIDR [--force]\n"
    "  reset ADDR|CIDR\n"
    "  reload\n"
    "  explain REF\n";

static const struct {
	const char    *name;
	enum pd_ctl_op op;
	int	       args; /* positional arguments */
} commands[] = {
	{ "status", PD_CTL_STATUS, 0 },
	{ "stats", PD_CTL_STATS, 0 },
	{ "show", PD_CTL_SHOW, 1 },
	{ "list", PD_CTL_LIST, -1 }, /* zero or one */
	{ "block", PD_CTL_BLOCK, 1 },
	{ "unblock", PD_CTL_UNBLOCK, 1 },
	{ "reset", PD_CTL_RESET, 1 },
	{ "reload", PD_CTL_RELOAD, 0 },
	{ "explain", PD_CTL_EXPLAIN, 1 },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* reason - printable ASCII only: it goes into an SMTP reply */
static int
reason(struct pd_ctl_cmd *c, const char *s, struct pd_err *err)
{
	size_t n = strlen(s);

	if (n == 0 || n > PD_CTL_REASON_MAX)
		return pd_err_set(err, "--reason: give 1 to %d characters",
		    PD_CTL_REASON_MAX);
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return pd_err_set(err,
			    "--reason: only printable ASCII "
			    "characters can go into an SMTP reply");
	memcpy(c->reason, s, n + 1);
	return 0;
}

/* option - "--name value" or "--name=value"; advances *i past it */
static int
option(struct pd_ctl_cmd *c, int argc, char *const argv[], int *i,
    struct pd_err *err)
{
	const char *a = argv[*i], *eq = strchr(a, '='), *val;
	size_t	    n = eq ? (size_t)(eq - a) : strlen(a);

	if (n == 6 && strncmp(a, "--json", n) == 0 && eq == NULL) {
		c->json = true;
		return 0;
	}
	if (n == 12 && strncmp(a, "--prometheus", n) == 0 && eq == NULL &&
	    c->op == PD_CTL_STATS) {
		c->prometheus = true;
		return 0;
	}
	if (n == 7 && strncmp(a, "--force", n) == 0 && eq == NULL &&
	    (c->op == PD_CTL_BLOCK || c->op == PD_CTL_UNBLOCK)) {
		c->force = true;
		return 0;
	}
	if (n == 9 && strncmp(a, "--replace", n) == 0 && eq == NULL &&
	    c->op == PD_CTL_BLOCK) {
		c->replace = true;
		return 0;
	}
	if (c->op != PD_CTL_BLOCK ||
	    !((n == 5 && strncmp(a, "--for", 5) == 0) ||
		(n == 8 && strncmp(a, "--reason", 8) == 0)))
		return pd_err_set(err, "unknown option %.*s", (int)n, a);
	if (eq)
		val = eq + 1;
	else if (*i + 1 < argc)
		val = argv[++*i];
	else
		return pd_err_set(err, "%s needs a value", a);
	if (n == 8)
		return reason(c, val, err);
	if (pd_str_duration(val, &c->duration, err) < 0)
		return -1;
	if (c->duration < 1000 || c->duration > PD_CTL_BLOCK_MAX)
		return pd_err_set(err, "--for: give 1s to 366d");
	return 0;
}

/* positional - the command's argument */
static int
positional(struct pd_ctl_cmd *c, const char *a, struct pd_err *err)
{
	switch (c->op) {
	case PD_CTL_LIST:
		if (strcmp(a, "blocks") == 0)
			c->what = PD_CTL_BLOCKS;
		else if (strcmp(a, "listings") == 0)
			c->what = PD_CTL_LISTINGS;
		else
			return pd_err_set(err,
			    "list: \"%s\"? (blocks or "
			    "listings)",
			    a);
		return 0;
	case PD_CTL_EXPLAIN:
		if (pd_journal_parse_ref(a, &c->ref) < 0)
			return pd_err_set(err,
			    "explain: \"%s\" is not a "
			    "reference id like PD-7F3A2C",
			    a);
		return 0;
	default:
		if (pd_cidr_parse(a, &c->net, err) < 0)
			return -1;
		return 0;
	}
}

/* wide - a block or unblock of a wide network needs --force */
static int
wide(const struct pd_ctl_cmd *c, const char *cmd, struct pd_err *err)
{
	int  min = c->net.addr.family == 6 ? PD_CTL_WIDE_V6 : PD_CTL_WIDE_V4;
	char net[PD_CIDR_STRLEN];

	if ((c->op != PD_CTL_BLOCK && c->op != PD_CTL_UNBLOCK) || c->force ||
	    c->net.bits >= min)
		return 0;
	pd_cidr_format(&c->net, net, sizeof(net));
	return pd_err_set(err,
	    "%s %s: a network wider than /%d %s; give --force if that is "
	    "meant",
	    cmd, net, min,
	    c->op == PD_CTL_BLOCK ? "refuses mail from a large part of the "
				    "Internet" :
				    "lifts the blocks of many clients at once");
}

int
pd_ctl_parse(int argc, char *const argv[], struct pd_ctl_cmd *c,
    struct pd_err *err)
{
	size_t k;
	int    npos = 0, want;

	memset(c, 0, sizeof(*c));
	if (argc < 1)
		return pd_err_set(err, "no command given");
	for (k = 0; k < NCOMMANDS; k++)
		if (strcmp(argv[0], commands[k].name) == 0)
			break;
	if (k == NCOMMANDS)
		return pd_err_set(err, "unknown command \"%s\"", argv[0]);
	c->op = commands[k].op;
	want = commands[k].args;
	snprintf(c->reason, sizeof(c->reason), "Blocked by the postmaster");
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) == 0) {
			if (option(c, argc, argv, &i, err) < 0)
				return -1;
			continue;
		}
		if (npos == (want < 0 ? 1 : want))
			return pd_err_set(err, "%s: unexpected argument \"%s\"",
			    argv[0], argv[i]);
		if (positional(c, argv[i], err) < 0)
			return -1;
		npos++;
	}
	if (want > 0 && npos < want)
		return pd_err_set(err, "%s: give %s", argv[0],
		    c->op == PD_CTL_EXPLAIN ? "a reference id" :
					      "an address or a network");
	if (c->op == PD_CTL_BLOCK && c->duration == 0)
		return pd_err_set(err,
		    "block: give its length with --for, "
		    "e.g. --for 2h");
	return wide(c, argv[0], err);
}

int
pd_ctl_encode(int argc, char *const argv[], struct pd_buf *b,
    struct pd_err *err)
{
	for (int i = 0; i < argc; i++) {
		if (*argv[i] == '\0' || strchr(argv[i], '\n') != NULL)
			return pd_err_set(err,
			    "empty argument or one with a "
			    "newline");
		if (pd_buf_printf(b, "%s\n", argv[i]) < 0)
			return pd_err_set(err, "command too long");
	}
	if (pd_buf_putc(b, '\n') < 0)
		return pd_err_set(err, "command too long");
	return 0;
}

int
pd_ctl_decode(char *req, char *argv[PD_CTL_ARGS_MAX], struct pd_err *err)
{
	int   argc = 0;
	char *nl;

	while ((nl = strchr(req, '\n')) != NULL && nl != req) {
		if (argc == PD_CTL_ARGS_MAX)
			return pd_err_set(err, "too many arguments");
		*nl = '\0';
		for (char *p = req; *p; p++)
			if (iscntrl((unsigned char)*p))
				return pd_err_set(err,
				    "control character in "
				    "the command");
		argv[argc++] = req;
		req = nl + 1;
	}
	if (nl == NULL || argc == 0)
		return pd_err_set(err, "incomplete command");
	return argc;
}
