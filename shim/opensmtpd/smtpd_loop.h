/*
 * smtpd_loop.h: the filter's event loop: poll(2) over smtpd's pipe (in
 * and out, both non-blocking) and a self-pipe for signals. Input is cut
 * into lines of at most SMTPD_LINE_MAX bytes (longer ones are dropped and
 * logged); output is buffered and written when the pipe takes it.
 * The host's own descriptors (the engine's resolver sockets, for
 * non-blocking checks) join the same poll set through ops->fds.
 */
#ifndef SMTPD_LOOP_H
#define SMTPD_LOOP_H

#include <poll.h>
#include <stddef.h>

#define SMTPD_LOOP_EXTRA 64 /* descriptors the host may add */

struct smtpd_loop;

struct smtpd_loop_ops {
	/* line: one input line without newline; line[len] is writable */
	void (*line)(void *ctx, char *line, size_t len);
	/* hup: SIGHUP arrived (called from the loop, not the handler) */
	void (*hup)(void *ctx);
	/* log: one line, no newline; level is an enum mxg_log_level */
	void (*log)(void *ctx, int level, const char *msg);
	/*
	 * fds: before each poll, fill up to max more descriptors (the
	 * engine's lookups) and return how many; *timeout_ms (-1: none)
	 * may be lowered. NULL: none.
	 */
	int (*fds)(void *ctx, struct pollfd *fds, int max, int *timeout_ms);
	/* events: after each poll (also on timeout), poll's answer for them */
	void (*events)(void *ctx, const struct pollfd *fds, int n);
	void *ctx;
};

/*
 * smtpd_loop_new: a loop reading fd in and writing fd out (both set
 * non-blocking). Installs handlers for SIGHUP, SIGTERM and SIGINT and
 * ignores SIGPIPE. Returns NULL on failure (errno set).
 */
struct smtpd_loop *smtpd_loop_new(
    int in, int out, const struct smtpd_loop_ops *ops);

/*
 * smtpd_loop_write: queue len bytes for out and try to write them now.
 * Never blocks.
 */
void smtpd_loop_write(struct smtpd_loop *l, const char *buf, size_t len);

/*
 * smtpd_loop_run: serve until smtpd closes the pipe or SIGTERM/SIGINT
 * arrives; queued output is flushed first when possible. Returns 0 for
 * a normal end, -1 for an I/O error (logged).
 */
int smtpd_loop_run(struct smtpd_loop *l);

/* smtpd_loop_free: close the self-pipe, free buffers. Accepts NULL. */
void smtpd_loop_free(struct smtpd_loop *l);

#endif
