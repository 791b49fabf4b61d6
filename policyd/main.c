/* SPDX-License-Identifier: ISC */
/*
 * policyd - Postfix policy delegation server.
 *
 * Only main and what it needs to talk to the system live here:
 * arguments, daemonising, signals and the loop.  Everything else is in
 * lib/, where the tests can reach it.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "clock.h"
#include "err.h"
#include "log.h"
#include "conf.h"
#include "daemon.h"
#include "geoip.h"
#include "replay.h"
#include "sdjournal.h"

#define MAX_OVERRIDES 64

static void
usage(void)
{
	fprintf(stderr,
	    "usage: policyd [-dfnNtV] [-c file] [-o name=value]\n"
	    "       policyd [-c file] [-o name=value] replay maillog\n"
	    "       policyd [-c file] [-o name=value] replay --journal "
	    "dir|file\n");
	exit(2);
}

/*
 * journal_stderr - stderr is systemd's journal stream, which sets
 * $JOURNAL_STREAM to "DEV:INODE" of the stream it gave the service.
 */
static bool
journal_stderr(void)
{
	const char	  *js = getenv("JOURNAL_STREAM");
	struct stat	   st;
	unsigned long long dev, ino;

	return js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(2, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

static void
print_error_cb(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "policyd: %s\n", msg);
}

static void
signal_cb(uv_signal_t *s, int signum)
{
	struct pd_daemon *d = s->data;
	struct pd_err	  err;

	if (signum == SIGHUP) {
		pd_log_info("SIGHUP: reloading %s", d->file);
		pd_daemon_reload(d, NULL, &err); /* logs why, if it fails */
		return;
	}
	pd_log_info("%s: shutting down",
	    signum == SIGTERM ? "SIGTERM" : "SIGINT");
	pd_daemon_stop(d);
	uv_close((uv_handle_t *)s, NULL);
}

static void
close_walk_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static ssize_t
journal_next(void *arg, const char **line)
{
	return pd_sdj_next_line(arg, line);
}

/*
 * replay_journal - the rules over journal files (a directory or one
 * file, such as copied from another host), from their first entry, of
 * the units of maillog_unit
 */
static int
replay_journal(const struct pd_conf *conf, const char *path,
    struct pd_replay_stats *st, struct pd_err *err)
{
	struct pd_sdj s;
	int	      rc;

	if (pd_sdj_init(&s, path, conf->maillog_unit.v, conf->maillog_unit.n,
		NULL, 0, NULL, NULL, err) < 0)
		return -1;
	if ((rc = pd_sdj_open(&s, err)) == 0 && !s.readable)
		rc = pd_err_set(err, "journal %s: %s", path, s.why);
	if (rc == 0)
		rc = pd_replay_lines(conf, journal_next, &s, pd_clock_now(),
		    stdout, st, err);
	pd_sdj_clear(&s);
	return rc;
}

/*
 * replay - "policyd replay FILE" or "replay --journal PATH": the rules
 * over a saved maillog
 */
static int
replay(const char *file, char **overrides, size_t nover, const char *log,
    bool journal)
{
	struct pd_replay_stats st;
	struct pd_conf	      *conf;
	struct pd_err	       err;
	int		       rc;

	if ((conf = pd_conf_load(file, overrides, nover, print_error_cb,
		 NULL)) == NULL)
		return 1;
	if (journal)
		rc = replay_journal(conf, log, &st, &err);
	else
		rc = pd_replay(conf, log, pd_clock_now(), stdout, &st, &err);
	if (rc < 0) {
		fprintf(stderr, "policyd: %s\n", err.msg);
		pd_conf_free(conf);
		return 1;
	}
	pd_conf_free(conf);
	return 0;
}

static void
print_warning_cb(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "policyd: warning: %s\n", msg);
}

/* check - "policyd -t": the config, the databases and the system */
static int
check(const char *file, char **overrides, size_t nover)
{
	struct pd_conf *conf;
	struct pd_geo	geo;
	struct pd_err	err;
	int		problems;

	if ((conf = pd_conf_load(file, overrides, nover, print_error_cb,
		 NULL)) == NULL)
		return 1;
	for (size_t i = 0; i < conf->warnings.n; i++)
		print_warning_cb(NULL, conf->warnings.v[i]);
	problems = pd_daemon_check(conf, print_error_cb, NULL);
	if (pd_geo_open(&geo, conf->geoip_country_db, conf->geoip_asn_db,
		&err) < 0) {
		fprintf(stderr, "policyd: %s\n", err.msg);
		problems++;
	} else {
		pd_geo_close(&geo);
	}
	pd_conf_free(conf);
	if (problems)
		return 1;
	printf("configuration OK\n");
	return 0;
}

/* print - "policyd -n" and "-N": the settings, as policyd.conf text */
static int
print(const char *file, char **overrides, size_t nover, bool all)
{
	struct pd_conf *conf;
	int		rc;

	if ((conf = pd_conf_load(file, overrides, nover, print_error_cb,
		 NULL)) == NULL)
		return 1;
	for (size_t i = 0; i < conf->warnings.n; i++)
		print_warning_cb(NULL, conf->warnings.v[i]);
	rc = pd_conf_write(conf, all, stdout);
	pd_conf_free(conf);
	if (rc < 0) {
		perror("policyd: stdout");
		return 1;
	}
	return 0;
}

static int
daemonise(void)
{
	int fd;

	switch (fork()) {
	case -1:
		return -1;
	case 0:
		break;
	default:
		_exit(0);
	}
	if (setsid() < 0)
		return -1;
	if (chdir("/") < 0)
		return -1;
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct pd_daemon	   d;
	char			  *overrides[MAX_OVERRIDES];
	const char		  *file = PD_CONF_DEFAULT_FILE;
	uv_signal_t		   sig[3];
	static const int	   signums[3] = { SIGHUP, SIGTERM, SIGINT };
	static const struct option longopts[] = {
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool	      foreground = false, test = false, debug = false, journal;
	int	      show = 0; /* 'n' or 'N' */
	struct pd_err err;
	size_t	      nover = 0;
	uv_loop_t    *loop;
	int	      ch, i;

	while ((ch = getopt_long(argc, argv, "+c:dfnNo:tV", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 'f':
			foreground = true;
			break;
		case 'o':
			if (nover == MAX_OVERRIDES)
				usage();
			overrides[nover++] = optarg;
			break;
		case 't':
			test = true;
			break;
		case 'n':
		case 'N':
			show = ch;
			break;
		case 'V':
			printf("policyd %s\n", PD_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind + 2 == argc && strcmp(argv[optind], "replay") == 0)
		return replay(file, overrides, nover, argv[optind + 1], false);
	if (optind + 3 == argc && strcmp(argv[optind], "replay") == 0 &&
	    strcmp(argv[optind + 1], "--journal") == 0)
		return replay(file, overrides, nover, argv[optind + 2], true);
	if (optind != argc)
		usage();

	if (test && show)
		usage();
	if (test)
		return check(file, overrides, nover);
	if (show)
		return print(file, overrides, nover, show == 'N');

	/*
	 * One line per event: under systemd (whose journal takes stderr)
	 * and with -f, stderr alone; in the background syslog, and stderr
	 * too until it leaves the terminal, so whoever started it sees why
	 * it stops.
	 */
	journal = journal_stderr();
	if (journal)
		pd_log_open_journal();
	else
		pd_log_open("policyd", LOG_MAIL, !foreground, true);
	pd_log_set_debug(debug);
	signal(SIGPIPE, SIG_IGN);
	loop = uv_default_loop();
	if (pd_daemon_start(&d, loop, file, overrides, nover) < 0) {
		pd_log_err("not started");
		return 1;
	}
	if (pd_daemon_drop_privileges(&d, &err) < 0) {
		pd_log_err("%s", err.msg);
		return 1;
	}
	if (!foreground && (daemonise() < 0 || uv_loop_fork(loop) != 0)) {
		pd_log_warn("cannot run in the background");
		return 1;
	}
	if (!foreground)
		pd_log_open("policyd", LOG_MAIL, true, false);
	for (i = 0; i < 3; i++) {
		uv_signal_init(loop, &sig[i]);
		sig[i].data = &d;
		uv_signal_start(&sig[i], signal_cb, signums[i]);
	}
	/* SIGTERM must not wait for the other signal handles. */
	for (i = 0; i < 3; i++)
		uv_unref((uv_handle_t *)&sig[i]);
	pd_log_info("ready: %zu rules, listening on %s%s", d.conf->nrules,
	    d.conf->listen.v[0], d.conf->listen.n > 1 ? " and more" : "");
	uv_run(loop, UV_RUN_DEFAULT);
	uv_walk(loop, close_walk_cb, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
	pd_daemon_free(&d);
	pd_log_info("stopped");
	return 0;
}
