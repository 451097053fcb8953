/*
 * daemon.h: what the mxgrey daemons (mxgrey-policyd, mxgrey-milter) share:
 * the engine's log sink (stderr or syslog), detaching, the pid file and
 * dropping root.
 */
#ifndef MXG_DAEMON_H
#define MXG_DAEMON_H

#include <sys/types.h>

/* Where mxg_daemon_log() writes and what it lets through. */
struct mxg_daemon_log {
	int use_syslog;    /* 0: stderr, one line per message */
	int max_level;     /* drop messages above this (MXG_LOG_*) */
	const char *ident; /* program name */
};

/*
 * mxg_daemon_log_open: set the sink up (openlog for syslog, LOG_MAIL).
 * The struct must live as long as logging goes on.
 */
void mxg_daemon_log_open(struct mxg_daemon_log *l);

/* mxg_daemon_log: a struct mxg_host log callback; ctx is the sink. */
void mxg_daemon_log(void *ctx, int level, const char *msg);

/* mxg_daemon_logf: log a formatted line of ours through the sink. */
void mxg_daemon_logf(struct mxg_daemon_log *l, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * mxg_daemon_detach: fork into the background, new session, stdio on
 * /dev/null. Returns 0 in the child (the parent exits), -1 on error.
 */
int mxg_daemon_detach(void);

/*
 * mxg_daemon_pidfile: write our pid to path (mode 0644), replacing what
 * was there; refuses a path that is not a regular file of its own (a
 * symbolic or hard link). Returns 0 or -1 with errno set.
 */
int mxg_daemon_pidfile(const char *path);

/*
 * mxg_daemon_pidfile_check: before binding, as postgrey does: when path
 * names a live process of this program, log it and return -1 (do not
 * start); a pid file naming a process that is not running, or that is
 * now another program (the pid reused), is stale: log a notice saying
 * which and return 0 (mxg_daemon_pidfile replaces it). path NULL: 0.
 */
int mxg_daemon_pidfile_check(struct mxg_daemon_log *l, const char *path);

/*
 * mxg_daemon_pidfile_remove: at exit, unlink path if it still names us.
 * After dropping root this fails unless the user may write the pid
 * file's directory: logged (info), and the next start replaces the file.
 */
void mxg_daemon_pidfile_remove(struct mxg_daemon_log *l, const char *path);

/*
 * mxg_daemon_lookup: uid and gid of "user" or "user:group" (the group
 * then replaces the user's own). Returns 0 or -1 (no such user or group).
 */
int mxg_daemon_lookup(const char *user, uid_t *uid, gid_t *gid);

/*
 * mxg_daemon_drop: become user ("user" or "user:group": its groups, gid,
 * uid) for good when
 * running as root; does nothing and returns 0 when user is NULL or we are
 * not root. Returns 0, or -1 with *why set to a static text.
 */
int mxg_daemon_drop(const char *user, const char **why);

/*
 * mxg_daemon_abspath: path made absolute against the current directory,
 * at start-up: once detached the daemon works from /, where a relative
 * path would name another file (or none), and -D must not change what a
 * path means. An absolute or empty path and a redis:// URL come back as
 * they are. Sets *out to a malloc'ed string (free it), or to NULL when
 * path is NULL. Returns 0, or -1 with errno set (getcwd, ENOMEM) and
 * *out untouched.
 */
int mxg_daemon_abspath(const char *path, char **out);

/*
 * mxg_daemon_socket_file: the path of a local socket spec, "unix:PATH"
 * or "local:PATH" (either case) or libmilter's ":PATH"; NULL for any
 * other spec, one without a colon included.
 */
const char *mxg_daemon_socket_file(const char *spec);

/*
 * mxg_daemon_port_ok: is port[0..len) a TCP port, 1..65535 in decimal
 * digits only? (getaddrinfo() and libmilter's atoi() would wrap 99999
 * and take 0 or nothing as "any port".)
 */
int mxg_daemon_port_ok(const char *port, size_t len);

/*
 * mxg_daemon_abssocket: as mxg_daemon_abspath for a socket spec: the
 * path of "unix:PATH" or "local:PATH" (either case; libmilter's ":PATH"
 * too) is made absolute, any other spec (inet:...) is copied as it is.
 * A spec without a colon is copied too: it is a path for libmilter but
 * an error for mxgrey-policyd, so the milter resolves it itself.
 */
int mxg_daemon_abssocket(const char *spec, char **out);

/*
 * mxg_daemon_absolute: replace *path by its absolute copy made by fn
 * (mxg_daemon_abspath, mxg_daemon_abssocket or the like), appended to
 * owned[] (the caller's room) to be freed at exit. Returns 0, or logs
 * through l and returns -1 with *path unchanged.
 */
int mxg_daemon_absolute(struct mxg_daemon_log *l, const char **path,
    int (*fn)(const char *, char **), char **owned, size_t *nowned);

struct mxg_ruleset;

/*
 * mxg_daemon_become: after binding, the usual daemon steps in order:
 * detach unless foreground, write pidfile (NULL: none), drop to user
 * (NULL: stay), and warn when still root. Each failure is logged through
 * l. Returns 0, or -1 when the daemon must not go on.
 */
int mxg_daemon_become(struct mxg_daemon_log *l, int foreground,
    const char *pidfile, const char *user);

/*
 * mxg_daemon_rules: load the rules file at path without logging, only to
 * read its daemon directives (mxg_rules_config()). Returns the ruleset
 * (free with mxg_rules_free) or NULL when the file does not load; the
 * engine reports its errors.
 */
struct mxg_ruleset *mxg_daemon_rules(const char *path);

#endif
