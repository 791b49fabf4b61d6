/* SPDX-License-Identifier: ISC */
/*
 * daemon - policyd as a whole: config, engine, server and timers on one
 * libuv loop, with reload and shutdown.
 *
 * policyd/main.c parses arguments and calls these; keeping the rest
 * here lets tests run a complete daemon inside a test process.
 */
#ifndef PD_DAEMON_H
#define PD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <uv.h>

#include "dns.h"
#include "engine.h"
#include "geoip.h"
#include "list.h"
#include "rpc.h"
#include "sdjournal.h"
#include "server.h"
#include "tail.h"
#include "conf.h"

#define PD_VERSION "0.1.0"

struct pd_buf;
struct pd_conf;

struct pd_daemon {
	uv_loop_t	*loop;
	char		*file;	    /* config file, owned */
	char	       **overrides; /* -o settings, borrowed */
	size_t		 noverrides;
	struct pd_conf	*conf; /* owned */
	struct pd_engine engine;
	struct pd_server server;
	struct pd_dns	*dns;	  /* NULL until a rule needs it */
	struct pd_geo	 geo;	  /* the engine looks up in it */
	struct pd_list	 pending; /* requests waiting for DNS */
	struct pd_tail	 tail;	  /* the maillog, when followed */
	bool		 tailing;
	struct pd_sdj	 sdj; /* or the journal */
	bool		 journaling;
	int64_t		 journal_last; /* engine time of its last event */
	uint64_t	 log_lines;    /* maillog lines read */
	uint64_t	 log_matched;  /* of them, events */
	int64_t		 log_stamp;    /* the newest line's stamp, ms */
	int64_t		 log_lag;      /* how late it was read, ms */
	uv_timer_t	 tick;
	int64_t		 next_save;   /* wall-clock ms */
	pid_t		 saver;	      /* child writing a snapshot */
	int64_t		 saver_began; /* when its snapshot was taken, ms */
	uint64_t	 saves;	      /* snapshots written */
	uint64_t	 save_failures;
	int64_t		 saved_at; /* the last written one was taken, ms */
	bool		 stopping;
	struct pd_rpc	*control; /* policydctl's socket */
	struct pd_rpc	*http;	  /* metrics_listen */
	int64_t		 started; /* ms */
	uint64_t	 dns_timeouts;
	uint64_t	 reloads;
	uint64_t	 reload_failures;
};

/*
 * pd_daemon_start - load the config (errors go to the log, one line
 * each), bind every listener and start serving on loop.  overrides must
 * outlive the daemon.  -1 when it cannot start: the reasons are logged
 * and the caller exits.
 */
int  pd_daemon_start(struct pd_daemon *, uv_loop_t *, const char *file,
     char **overrides, size_t noverrides);
/*
 * pd_daemon_check - for policyd -t, what start and the running daemon
 * need of the system beyond a config that parses: the user and its
 * group, the sockets' directories, and the files it reads and writes
 * once it runs as the user, checked as that user.  Each problem goes to
 * cb as one line that says why; returns how many there were.
 */
int  pd_daemon_check(const struct pd_conf *, pd_conf_error_cb cb, void *arg);
/* pd_daemon_drop_privileges - become conf->user, if set and root */
int  pd_daemon_drop_privileges(struct pd_daemon *, struct pd_err *);
/*
 * pd_daemon_reload - read the config and open its GeoIP databases
 * again.  A config with errors, or a database that does not open, is
 * logged and ignored: the old config and databases keep serving, and
 * err says why.  Each error ("file:line: ...") is also added to errors
 * as a line, when not NULL, for policydctl.  0 when the new ones are in
 * use.
 */
int  pd_daemon_reload(struct pd_daemon *, struct pd_buf *errors,
     struct pd_err *);
/*
 * pd_daemon_save - write the state snapshot now (in this process, as at
 * shutdown), or in a child process when background is set, so that a
 * large store never stalls replies.
 */
int  pd_daemon_save(struct pd_daemon *, bool background);
/* pd_daemon_stop - stop listening, close every connection, save state */
void pd_daemon_stop(struct pd_daemon *);
/* pd_daemon_free - release what start allocated, after the loop ran dry */
void pd_daemon_free(struct pd_daemon *);

#endif
