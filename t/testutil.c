/* SPDX-License-Identifier: ISC */
/*
 * testutil - shared helpers for the check unit tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "buf.h"
#include "log.h"
#include "err.h"
#include "conf.h"
#include "engine.h"
#include "geoip.h"
#include "proto.h"
#include "testutil.h"

static struct pd_buf logbuf;
static struct pd_buf levelbuf; /* the same lines, each after its level */
static bool logbuf_ready;

static void
capture_cb(void *arg, enum pd_log_level level, const char *line)
{
	(void)arg;
	pd_buf_puts(&logbuf, line);
	pd_buf_putc(&logbuf, '\n');
	pd_buf_printf(&levelbuf, "%d %s\n", (int)level, line);
}

int
tu_log_level(const char *s)
{
	const char *t = pd_buf_str(&levelbuf), *hit, *bol;

	if ((hit = strstr(t, s)) == NULL)
		return -1;
	for (bol = hit; bol > t && bol[-1] != '\n'; bol--)
		;
	return atoi(bol);
}

void
tu_log_capture(void)
{
	if (!logbuf_ready) {
		pd_buf_init(&logbuf, 16 * 1024 * 1024);
		pd_buf_init(&levelbuf, 16 * 1024 * 1024);
		logbuf_ready = true;
	}
	pd_buf_reset(&logbuf);
	pd_buf_reset(&levelbuf);
	pd_log_set_debug(true);
	pd_log_set_sink(capture_cb, NULL);
}

const char *
tu_log_text(void)
{
	return pd_buf_str(&logbuf);
}

bool
tu_log_has(const char *s)
{
	return strstr(tu_log_text(), s) != NULL;
}

int
tu_log_count(const char *s)
{
	const char *p = tu_log_text();
	int n = 0;

	while ((p = strstr(p, s)) != NULL) {
		n++;
		p += strlen(s);
	}
	return n;
}

void
tu_log_reset(void)
{
	pd_buf_reset(&logbuf);
	pd_buf_reset(&levelbuf);
}

static struct pd_buf errbuf;

static void
conf_err_cb(void *arg, const char *msg)
{
	(void)arg;
	pd_buf_puts(&errbuf, msg);
	pd_buf_putc(&errbuf, '\n');
}

struct pd_conf *
tu_conf(const char *text)
{
	struct pd_conf *c;

	pd_buf_init(&errbuf, 65536);
	c = pd_conf_parse("test.conf", text, NULL, 0, conf_err_cb, NULL);
	if (c == NULL)
		ck_abort_msg("config did not parse:\n%s", pd_buf_str(&errbuf));
	pd_buf_clear(&errbuf);
	return c;
}

const char *
tu_conf_errors(const char *text)
{
	static char out[65536];
	struct pd_conf *c;

	pd_buf_init(&errbuf, 65536);
	c = pd_conf_parse("test.conf", text, NULL, 0, conf_err_cb, NULL);
	ck_assert_msg(c == NULL, "config parsed but should not have");
	snprintf(out, sizeof(out), "%s", pd_buf_str(&errbuf));
	pd_buf_clear(&errbuf);
	return out;
}

static char tmpdir[256];

static void
tmpdir_rm(void)
{
	char cmd[300];

	if (tmpdir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
	}
}

long
tu_heavy(long full, long light)
{
	const char *vg = getenv("PD_VALGRIND");

	return vg != NULL && strcmp(vg, "1") == 0 ? light : full;
}

const char *
tu_tmpdir(void)
{
	if (tmpdir[0] == '\0') {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/pdtest.XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(tmpdir));
		atexit(tmpdir_rm);
	}
	return tmpdir;
}

static char mmdb_dir[64];
static pid_t mmdb_owner;

static void
mmdb_rm(void)
{
	char cmd[128];

	/* Not from check's forked tests: they share the files. */
	if (mmdb_dir[0] && getpid() == mmdb_owner) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", mmdb_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", mmdb_dir);
	}
}

const char *
tu_mmdb(const char *flags)
{
	const char *top = getenv("PD_TOP") ? getenv("PD_TOP") : ".";
	char cmd[512];

	if (mmdb_dir[0] != '\0')
		return mmdb_dir;
	snprintf(mmdb_dir, sizeof(mmdb_dir), "/tmp/pdmmdb.XXXXXX");
	if (mkdtemp(mmdb_dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	mmdb_owner = getpid();
	atexit(mmdb_rm);
	snprintf(cmd, sizeof(cmd), "perl '%s/t/gen-mmdb.pl' %s '%s'", top,
	    flags, mmdb_dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "%s: failed\n", cmd);
		exit(1);
	}
	return mmdb_dir;
}

void
tu_geo(struct pd_engine *e, const struct pd_conf *c, struct pd_geo *geo)
{
	struct pd_err err;

	ck_assert_msg(pd_geo_open(geo, c->geoip_country_db, c->geoip_asn_db,
	    &err) == 0, "%s", err.msg);
	pd_engine_set_geo(e, geo);
}

int
tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}

size_t
tu_fixture(const char *file, int session, const char **reqs, size_t max)
{
	static char *text;
	char path[512], *p, *line, *start = NULL;
	size_t n = 0;
	int cur = 0;
	FILE *fp;
	long len;

	snprintf(path, sizeof(path), "%s/%s", getenv("PD_TOP") ?
	    getenv("PD_TOP") : ".", file);
	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "%s: cannot open", path);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	free(text);
	text = calloc(1, (size_t)len + 1);
	ck_assert_uint_eq(fread(text, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	/* Split into lines in place; a request is its lines up to "". */
	for (p = text; p && *p; p = line) {
		line = strchr(p, '\n');
		if (line)
			*line++ = '\0';
		if (strncmp(p, "# session ", 10) == 0) {
			cur = atoi(p + 10);
			continue;
		}
		if (cur != session || *p == '#')
			continue;
		if (*p == '\0') {
			if (start && n < max)
				reqs[n++] = start;
			start = NULL;
			continue;
		}
		if (start == NULL)
			start = p;
		else
			p[-1] = '\n';	/* join the lines back */
	}
	return n;
}

static struct pd_decision last;

const struct pd_decision *
tu_last(void)
{
	return &last;
}

const char *
tu_decide(struct pd_engine *e, const char *raw, int64_t now, int dns,
    char *reply, size_t len)
{
	struct pd_proto p;
	struct pd_req r;
	struct pd_err err;
	struct pd_buf in, out;
	struct pd_decision dec;
	size_t used;

	pd_buf_init(&in, 1 << 20);
	pd_buf_init(&out, 4096);
	pd_buf_printf(&in, "%s\n\n", raw);
	pd_proto_init(&p);
	ck_assert_int_eq(pd_proto_feed(&p, in.data, in.len, &used, &err), 1);
	ck_assert_int_eq(pd_proto_parse(&p, &r, &err), 0);
	pd_engine_decide(e, &r, now, (enum pd_helo_dns)dns, &dec);
	last = dec;
	pd_proto_reply(&out, dec.reply);
	snprintf(reply, len, "%s", pd_buf_str(&out));
	pd_proto_clear(&p);
	pd_buf_clear(&in);
	pd_buf_clear(&out);
	return reply;
}

int
tu_count(const char *text, const char *needle)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* log_sink - decisions go to the log, as the daemon sends them */
static void
log_sink(void *arg, const struct pd_decision *d)
{
	struct pd_buf line;

	(void)arg;
	pd_buf_init(&line, 2048);
	pd_log_info("%s", pd_decision_line(d, &line));
	pd_buf_clear(&line);
}

void
tu_engine_log(struct pd_engine *e)
{
	pd_engine_set_sink(e, log_sink, NULL);
}
