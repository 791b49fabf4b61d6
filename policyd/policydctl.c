/* SPDX-License-Identifier: ISC */
/*
 * policydctl - talk to a running policyd through its control socket.
 *
 * The command is checked here first, so a typing error is told at once,
 * then sent as it is; the daemon does the work and formats the answer.
 * The socket is found in policyd.conf (-c), or given with -s.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "conf.h"
#include "ctl.h"

#define MAX_OVERRIDES 64
#define TIMEOUT_S     60

static void
usage(int rc)
{
	fputs(pd_ctl_usage, rc ? stderr : stdout);
	exit(rc);
}

static void
conf_error_cb(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "policydctl: %s\n", msg);
}

/* dial - connect to the control socket; -1 with a message on stderr */
static int
dial(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval	   tv = { .tv_sec = TIMEOUT_S };
	int		   fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "policydctl: %s: path too long\n", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0) {
		perror("policydctl: socket");
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	if (errno == ENOENT || errno == ECONNREFUSED)
		fprintf(stderr, "policydctl: %s: %s; is policyd running?\n",
		    path, strerror(errno));
	else if (errno == EACCES)
		fprintf(stderr,
		    "policydctl: %s: permission denied; run as root "
		    "or as a member of the socket's group\n",
		    path);
	else
		fprintf(stderr, "policydctl: %s: %s\n", path, strerror(errno));
	close(fd);
	return -1;
}

/* exchange - send the request, read the whole answer */
static int
exchange(int fd, const struct pd_buf *req, struct pd_buf *ans)
{
	char	buf[65536];
	size_t	off = 0;
	ssize_t n;

	while (off < req->len) {
		if ((n = write(fd, req->data + off, req->len - off)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	for (;;) {
		if ((n = read(fd, buf, sizeof(buf))) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return 0;
		if (pd_buf_append(ans, buf, (size_t)n) < 0)
			return -1;
	}
}

/* socket_path - from -s, or from the config's control_socket */
static char *
socket_path(const char *file, char **overrides, size_t nover)
{
	struct pd_conf *conf;
	char	       *path;

	if ((conf = pd_conf_load(file, overrides, nover, conf_error_cb,
		 NULL)) == NULL) {
		fprintf(stderr,
		    "policydctl: cannot find the control socket in "
		    "%s; give it with -s\n",
		    file);
		return NULL;
	}
	if (*conf->control_socket == '\0') {
		fprintf(stderr, "policydctl: %s sets no control_socket\n",
		    file);
		pd_conf_free(conf);
		return NULL;
	}
	path = strdup(conf->control_socket);
	pd_conf_free(conf);
	return path;
}

/* talk - send req to the daemon at sock and print its answer */
static int
talk(const char *sock, const struct pd_buf *req)
{
	struct pd_buf ans;
	const char   *nl, *msg;
	int	      fd, x, rc = PD_CTL_UNREACHABLE;

	if ((fd = dial(sock)) < 0)
		return PD_CTL_UNREACHABLE;
	pd_buf_init(&ans, PD_CTL_ANSWER_MAX);
	errno = 0;
	if ((x = exchange(fd, req, &ans)) < 0 && ans.lost > 0) {
		fprintf(stderr, "policydctl: %s: answer longer than %d bytes\n",
		    sock, PD_CTL_ANSWER_MAX);
		rc = PD_CTL_FAILED;
	} else if (x < 0 || ans.len < 2 ||
	    (nl = memchr(ans.data, '\n', ans.len)) == NULL ||
	    sscanf(ans.data, "%d", &rc) != 1) {
		fprintf(stderr, "policydctl: %s: no answer from policyd (%s)\n",
		    sock, errno ? strerror(errno) : "connection closed");
		rc = PD_CTL_UNREACHABLE;
	} else {
		/* What a failed command sends is why: reload's errors. */
		fwrite(nl + 1, 1, ans.len - (size_t)(nl + 1 - ans.data),
		    rc == PD_CTL_OK ? stdout : stderr);
		/* The status line: "CODE message". */
		if (rc != PD_CTL_OK) {
			msg = memchr(ans.data, ' ', (size_t)(nl - ans.data));
			msg = msg ? msg + 1 : nl;
			fprintf(stderr, "policydctl: %.*s\n", (int)(nl - msg),
			    msg);
		}
	}
	close(fd);
	pd_buf_clear(&ans);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char		 *overrides[MAX_OVERRIDES], *args[PD_CTL_ARGS_MAX + 1];
	const char	 *file = PD_CONF_DEFAULT_FILE;
	char		 *sock = NULL, *path;
	struct pd_ctl_cmd cmd;
	struct pd_buf	  req;
	struct pd_err	  err;
	size_t		  nover = 0;
	int		  ch, nargs, rc;
	bool		  json = false;

	/* "+": options end at the command; its own options follow it. */
	while (
	    (ch = getopt_long(argc, argv, "+c:ho:s:j", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'o':
			if (nover == MAX_OVERRIDES)
				usage(PD_CTL_USAGE);
			overrides[nover++] = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(PD_CTL_USAGE);
		}
	}
	nargs = argc - optind;
	if (nargs < 1 || nargs + json > PD_CTL_ARGS_MAX)
		usage(PD_CTL_USAGE);
	memcpy(args, argv + optind, (size_t)nargs * sizeof(*args));
	if (json)
		args[nargs++] = (char *)"--json";
	if (pd_ctl_parse(nargs, args, &cmd, &err) < 0) {
		fprintf(stderr,
		    "policydctl: %s (policydctl -h lists the "
		    "commands)\n",
		    err.msg);
		return PD_CTL_USAGE;
	}
	pd_buf_init(&req, PD_CTL_REQUEST_MAX);
	if (pd_ctl_encode(nargs, args, &req, &err) < 0) {
		fprintf(stderr, "policydctl: %s\n", err.msg);
		pd_buf_clear(&req);
		return PD_CTL_USAGE;
	}
	if (sock != NULL) {
		rc = talk(sock, &req);
	} else if ((path = socket_path(file, overrides, nover)) != NULL) {
		rc = talk(path, &req);
		free(path);
	} else {
		rc = PD_CTL_UNREACHABLE;
	}
	pd_buf_clear(&req);
	return rc;
}
