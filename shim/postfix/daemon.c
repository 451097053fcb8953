/*
 * daemon.c: logging sink, detaching, pid file and privileges for the
 * mxgrey daemons.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon.h"
#include "mxg_rules.h"
#include "mxgrey.h"

void
mxg_daemon_log_open(struct mxg_daemon_log *l)
{
	if (l->use_syslog)
		openlog(l->ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
mxg_daemon_log(void *ctx, int level, const char *msg)
{
	struct mxg_daemon_log *l = ctx;
	static const char *names[] = { "emerg", "alert", "crit", "error",
		"warning", "notice", "info", "debug" };

	if (l == NULL || level > l->max_level)
		return;
	if (level < 0 || level > MXG_LOG_DEBUG)
		level = MXG_LOG_ERR;
	if (l->use_syslog)
		syslog(level, "%s", msg);
	else
		fprintf(stderr, "%s: %s: %s\n", l->ident, names[level], msg);
}

void
mxg_daemon_logf(struct mxg_daemon_log *l, int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	mxg_daemon_log(l, level, line);
}

int
mxg_daemon_detach(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid > 0)
		_exit(0);
	if (setsid() == -1)
		return -1;
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		return -1;
	(void)dup2(fd, STDIN_FILENO);
	(void)dup2(fd, STDOUT_FILENO);
	(void)dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return chdir("/");
}

int
mxg_daemon_pidfile(const char *path)
{
	FILE *f;
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -1;
	}
	rc = fprintf(f, "%ld\n", (long)getpid()) < 0 ? -1 : 0;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

int
mxg_daemon_lookup(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;
	struct group *gr;
	const char *colon = strchr(user, ':');
	char name[256];
	size_t n = colon ? (size_t)(colon - user) : strlen(user);

	if (n >= sizeof(name))
		return -1;
	memcpy(name, user, n);
	name[n] = '\0';
	if ((pw = getpwnam(name)) == NULL)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (colon != NULL) {
		if ((gr = getgrnam(colon + 1)) == NULL)
			return -1;
		*gid = gr->gr_gid;
	}
	return 0;
}

int
mxg_daemon_drop(const char *user, const char **why)
{
	char name[256];
	uid_t uid;
	gid_t gid;

	if (user == NULL || geteuid() != 0)
		return 0;
	if (mxg_daemon_lookup(user, &uid, &gid) == -1) {
		*why = "no such user or group";
		return -1;
	}
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(user, ":"), user);
	if (initgroups(name, gid) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1) {
		*why = "cannot change user or group";
		return -1;
	}
	if (uid != 0 && (setuid(0) != -1 || geteuid() == 0)) {
		*why = "root privileges could be regained";
		return -1;
	}
	return 0;
}

struct mxg_ruleset *
mxg_daemon_rules(const char *path)
{
	struct mxg_log quiet = { NULL, NULL };
	int err;

	return mxg_rules_load(path, &quiet, &err);
}

/* mxg_daemon_become: see daemon.h. */
int
mxg_daemon_become(struct mxg_daemon_log *l, int foreground, const char *pidfile,
    const char *user)
{
	const char *why;

	if (!foreground && mxg_daemon_detach() == -1) {
		mxg_daemon_logf(
		    l, MXG_LOG_ERR, "cannot detach: %s", strerror(errno));
		return -1;
	}
	if (pidfile != NULL && mxg_daemon_pidfile(pidfile) == -1) {
		mxg_daemon_logf(
		    l, MXG_LOG_ERR, "%s: %s", pidfile, strerror(errno));
		return -1;
	}
	if (mxg_daemon_drop(user, &why) == -1) {
		mxg_daemon_logf(l, MXG_LOG_ERR, "user %s: %s", user, why);
		return -1;
	}
	if (geteuid() == 0)
		mxg_daemon_logf(l, MXG_LOG_WARNING,
		    "running as root: give a user (-u or `user`)");
	return 0;
}
