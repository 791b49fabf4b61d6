/* SPDX-License-Identifier: ISC */
/*
 * daemon_check - what policyd -t asks of the system, so that a file
 * that passes also starts: the user and its group exist, the sockets'
 * directories are there, and the files policyd reads and writes once
 * it runs as that user (the config at reload, the state snapshot, the
 * maillog after a rotation, the GeoIP databases at reload) are
 * reachable by it.
 *
 * Access is tested with access(2) in a child process that has become
 * the user, as the daemon does after binding: group lists and ACLs
 * then count as they will.  A path that fails is walked from the root
 * to name the component that stops it, with its owner and mode.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "daemon_int.h"

struct check {
	pd_conf_error_cb cb;
	void		*arg;
	const char	*who; /* "user policyd" */
	int		 problems;
};

static void problem(struct check *ck, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
problem(struct check *ck, const char *fmt, ...)
{
	char	msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ck->problems++;
	ck->cb(ck->arg, msg);
}

/* owner - "owner root:adm, mode 0640" of path, or "" */
static void
owner(const char *path, char *buf, size_t size)
{
	struct passwd *pw;
	struct group  *gr;
	struct stat    st;
	char	       u[32], g[32];

	if (stat(path, &st) < 0) {
		snprintf(buf, size, "%s", "");
		return;
	}
	if ((pw = getpwuid(st.st_uid)) != NULL)
		snprintf(u, sizeof(u), "%s", pw->pw_name);
	else
		snprintf(u, sizeof(u), "%u", (unsigned)st.st_uid);
	if ((gr = getgrgid(st.st_gid)) != NULL)
		snprintf(g, sizeof(g), "%s", gr->gr_name);
	else
		snprintf(g, sizeof(g), "%u", (unsigned)st.st_gid);
	snprintf(buf, size, " (owner %s:%s, mode %04o)", u, g,
	    (unsigned)st.st_mode & 07777);
}

/*
 * blame - why access(path, mode) failed: the first directory on the
 * way that does not exist or cannot be searched, else path itself.
 */
static void
blame(struct check *ck, const char *what, const char *path, const char *need)
{
	char prefix[PATH_MAX], own[128];
	int  saved = errno;

	for (const char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		if ((size_t)(p - path) >= sizeof(prefix))
			break;
		memcpy(prefix, path, (size_t)(p - path));
		prefix[p - path] = '\0';
		if (access(prefix, F_OK) < 0 && errno == ENOENT) {
			problem(ck, "%s %s: directory %s does not exist", what,
			    path, prefix);
			return;
		}
		if (access(prefix, X_OK) < 0) {
			owner(prefix, own, sizeof(own));
			problem(ck, "%s %s: %s cannot enter directory %s%s",
			    what, path, ck->who, prefix, own);
			return;
		}
	}
	if (saved == ENOENT) {
		problem(ck, "%s %s: does not exist", what, path);
		return;
	}
	owner(path, own, sizeof(own));
	problem(ck, "%s %s: %s cannot %s it: %s%s", what, path, ck->who, need,
	    strerror(saved), own);
}

/* reach - path can be opened with mode by whoever runs this */
static void
reach(struct check *ck, const char *what, const char *path, int mode)
{
	if (*path == '\0' || access(path, mode) == 0)
		return;
	blame(ck, what, path,
	    mode & W_OK	    ? "write in" :
		mode & X_OK ? "enter" :
			      "read");
}

/* dir_of - the directory path is in, into buf */
static const char *
dir_of(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return ".";
	if (slash == path)
		return "/";
	snprintf(buf, size, "%.*s", (int)(slash - path), path);
	return buf;
}

/* check_as_user - the files the daemon opens after it became the user */
static void
check_as_user(struct check *ck, const struct pd_conf *c)
{
	char dir[PATH_MAX];

	reach(ck, "config file", c->file, R_OK);
	if (*c->state_file) {
		/* Saved as FILE.tmp, then renamed: the directory is written. */
		reach(ck, "state_file: directory",
		    dir_of(c->state_file, dir, sizeof(dir)), W_OK | X_OK);
		if (access(c->state_file, F_OK) == 0)
			reach(ck, "state_file", c->state_file, R_OK);
	}
	if (*c->maillog)
		reach(ck, "maillog", c->maillog, R_OK);
	reach(ck, "geoip_country_db", c->geoip_country_db, R_OK);
	reach(ck, "geoip_asn_db", c->geoip_asn_db, R_OK);
}

/*
 * in_child - run check_as_user as pw; its problems are reported by the
 * child, their number comes back as its exit status.
 */
static void
in_child(struct check *ck, const struct pd_conf *c, const struct passwd *pw)
{
	pid_t pid;
	int   status;

	fflush(NULL);
	if ((pid = fork()) < 0) {
		problem(ck, "cannot fork to check as %s: %s", ck->who,
		    strerror(errno));
		return;
	}
	if (pid == 0) {
		if (initgroups(pw->pw_name, pw->pw_gid) < 0 ||
		    setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
			problem(ck, "cannot become %s: %s", ck->who,
			    strerror(errno));
		else
			check_as_user(ck, c);
		fflush(NULL);
		_exit(ck->problems > 100 ? 100 : ck->problems);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			problem(ck, "waitpid: %s", strerror(errno));
			return;
		}
	if (WIFEXITED(status))
		ck->problems += WEXITSTATUS(status);
	else
		problem(ck, "the check as %s did not finish", ck->who);
}

/* check_sockets - the directories the sockets are bound in, as root */
static void
check_sockets(struct check *ck, const struct pd_conf *c)
{
	char dir[PATH_MAX], parent[PATH_MAX];

	for (size_t i = 0; i < c->listen.n; i++)
		if (strncmp(c->listen.v[i], "unix:", 5) == 0)
			reach(ck, "listen: directory",
			    dir_of(c->listen.v[i] + 5, dir, sizeof(dir)),
			    W_OK | X_OK);
	if (*c->control_socket) {
		/* Start makes its directory, as RuntimeDirectory= would. */
		dir_of(c->control_socket, dir, sizeof(dir));
		if (access(dir, F_OK) < 0)
			reach(ck, "control_socket: directory",
			    dir_of(dir, parent, sizeof(parent)), W_OK | X_OK);
		else
			reach(ck, "control_socket: directory", dir,
			    W_OK | X_OK);
	}
}

/* self - "user NAME" of whoever runs this, into buf */
static const char *
self(char *buf, size_t size)
{
	const struct passwd *me = getpwuid(geteuid());

	if (me)
		snprintf(buf, size, "user %s", me->pw_name);
	else
		snprintf(buf, size, "uid %u", (unsigned)geteuid());
	return buf;
}

int
pd_daemon_check(const struct pd_conf *c, pd_conf_error_cb cb, void *arg)
{
	struct check   ck = { .cb = cb, .arg = arg };
	struct passwd *pw = NULL;
	char	       me[64], who[64];

	if (*c->user) {
		errno = 0;
		if ((pw = getpwnam(c->user)) == NULL) {
			problem(&ck, "user %s: %s", c->user,
			    errno ? strerror(errno) : "no such user");
		} else if (getgrgid(pw->pw_gid) == NULL) {
			problem(&ck, "user %s: its group %u does not exist",
			    c->user, (unsigned)pw->pw_gid);
			pw = NULL;
		}
	}
	/* The sockets are bound before the daemon becomes the user. */
	ck.who = self(me, sizeof(me));
	check_sockets(&ck, c);
	/* Not root: policyd stays who it is, and so does the check. */
	if (pw != NULL && geteuid() == 0) {
		snprintf(who, sizeof(who), "user %s", pw->pw_name);
		ck.who = who;
		in_child(&ck, c, pw);
	} else {
		check_as_user(&ck, c);
	}
	return ck.problems;
}
