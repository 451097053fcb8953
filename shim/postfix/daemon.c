/*
 * daemon.c: logging sink, detaching, pid file and privileges for the
 * mxgrey daemons.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

/* The first line of path, NUL-terminated, into buf; 0 or -1. */
static int
first_line(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* The pid a pid file names, or 0 (none, unreadable, not a pid). */
static pid_t
pidfile_pid(const char *path)
{
	char buf[32], *end;
	long v;

	if (first_line(path, buf, sizeof(buf)) == -1)
		return 0;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno != 0 || end == buf || *end != '\0' || v <= 0 || v > INT_MAX)
		return 0;
	return (pid_t)v;
}

/* What a pid file's pid names now. */
enum pid_state {
	PID_GONE,  /* no process (or ourselves) */
	PID_OURS,  /* another live process of our program */
	PID_OTHER, /* a live process of another program: the pid reused */
};

/*
 * Which of those pid is. Linux tells programs apart by /proc/PID/comm
 * (the other program's name goes into comm); elsewhere only kill(2)
 * answers, and a live pid counts as ours.
 */
static enum pid_state
pid_state(pid_t pid, char *comm, size_t size)
{
	char path[64], self[64];

	if (pid == getpid() || (kill(pid, 0) == -1 && errno != EPERM))
		return PID_GONE;
	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	if (first_line(path, comm, size) == 0 &&
	    first_line("/proc/self/comm", self, sizeof(self)) == 0 &&
	    strcmp(comm, self) != 0)
		return PID_OTHER;
	return PID_OURS;
}

/* mxg_daemon_pidfile_check: see daemon.h. */
int
mxg_daemon_pidfile_check(struct mxg_daemon_log *l, const char *path)
{
	char comm[64];
	pid_t pid;

	if (path == NULL || (pid = pidfile_pid(path)) == 0)
		return 0;
	switch (pid_state(pid, comm, sizeof(comm))) {
	case PID_OURS:
		mxg_daemon_logf(l, MXG_LOG_ERR,
		    "%s: %s already running as pid %ld", path, l->ident,
		    (long)pid);
		return -1;
	case PID_OTHER:
		mxg_daemon_logf(l, MXG_LOG_NOTICE,
		    "%s: stale pid file (pid %ld is now another program, "
		    "%s), replaced",
		    path, (long)pid, comm);
		return 0;
	case PID_GONE:
		break;
	}
	mxg_daemon_logf(l, MXG_LOG_NOTICE,
	    "%s: stale pid file (pid %ld is not running), replaced", path,
	    (long)pid);
	return 0;
}

/* mxg_daemon_pidfile_remove: see daemon.h. */
void
mxg_daemon_pidfile_remove(struct mxg_daemon_log *l, const char *path)
{
	if (path == NULL || pidfile_pid(path) != getpid())
		return;
	if (unlink(path) == -1 && errno != ENOENT)
		mxg_daemon_logf(l, MXG_LOG_INFO,
		    "%s: not removed (%s): the next start replaces it", path,
		    strerror(errno));
}

int
mxg_daemon_pidfile(const char *path)
{
	struct stat st;
	FILE *f;
	int fd, rc, e;

	/* never through a link: the directory may be the -u user's */
	fd = open(path,
	    O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		errno = EEXIST; /* not a file of its own: leave it alone */
		goto fail;
	}
	if (ftruncate(fd, 0) == -1 || (f = fdopen(fd, "w")) == NULL)
		goto fail;
	rc = fprintf(f, "%ld\n", (long)getpid()) < 0 ? -1 : 0;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
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

/* mxg_daemon_abspath: see daemon.h. */
int
mxg_daemon_abspath(const char *path, char **out)
{
	char cwd[PATH_MAX], *s;
	size_t n;

	if (path == NULL) {
		*out = NULL;
		return 0;
	}
	if (path[0] == '/' || path[0] == '\0' ||
	    strncmp(path, "redis://", 8) == 0) {
		if ((s = strdup(path)) == NULL)
			return -1;
		*out = s;
		return 0;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	while (path[0] == '.' && path[1] == '/') /* ./x: x, as printed */
		path += strspn(path + 1, "/") + 1;
	n = strlen(cwd) + 1 + strlen(path) + 1;
	if ((s = malloc(n)) == NULL)
		return -1;
	snprintf(s, n, "%s%s%s", cwd,
	    strcmp(cwd, "/") == 0 || *path == '\0' ? "" : "/", path);
	*out = s;
	return 0;
}

/* mxg_daemon_socket_file: see daemon.h. */
const char *
mxg_daemon_socket_file(const char *spec)
{
	const char *colon = strchr(spec, ':');
	size_t n;

	if (colon == NULL)
		return NULL;
	n = (size_t)(colon - spec);
	if (n == 0 || (n == 4 && strncasecmp(spec, "unix", 4) == 0) ||
	    (n == 5 && strncasecmp(spec, "local", 5) == 0))
		return colon + 1;
	return NULL;
}

/* mxg_daemon_port_ok: see daemon.h. */
int
mxg_daemon_port_ok(const char *port, size_t len)
{
	long n = 0;
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if (port[i] < '0' || port[i] > '9')
			return 0;
		if ((n = n * 10 + (port[i] - '0')) > 65535)
			return 0;
	}
	return n >= 1;
}

/* mxg_daemon_abssocket: see daemon.h. */
int
mxg_daemon_abssocket(const char *spec, char **out)
{
	const char *file;
	char *path, *s;
	size_t plen, n;

	if (spec == NULL)
		return mxg_daemon_abspath(spec, out);
	if ((file = mxg_daemon_socket_file(spec)) == NULL) {
		if ((s = strdup(spec)) == NULL)
			return -1;
		*out = s;
		return 0;
	}
	plen = (size_t)(file - 1 - spec);
	if (mxg_daemon_abspath(file, &path) == -1)
		return -1;
	n = plen + 1 + strlen(path) + 1;
	if ((s = malloc(n)) == NULL) {
		free(path);
		return -1;
	}
	snprintf(s, n, "%.*s:%s", (int)plen, spec, path);
	free(path);
	*out = s;
	return 0;
}

/* mxg_daemon_absolute: see daemon.h. */
int
mxg_daemon_absolute(struct mxg_daemon_log *l, const char **path,
    int (*fn)(const char *, char **), char **owned, size_t *nowned)
{
	char *abs;

	if (fn(*path, &abs) == -1) {
		mxg_daemon_logf(l, MXG_LOG_ERR,
		    "%s: cannot make it an absolute path: %s", *path,
		    strerror(errno));
		return -1;
	}
	owned[(*nowned)++] = abs;
	*path = abs;
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
