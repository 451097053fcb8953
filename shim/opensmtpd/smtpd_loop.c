/*
 * smtpd_loop.c: poll loop, line splitting, output buffering, signals.
 * Only this file touches file descriptors and signal handlers.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mxgrey.h"
#include "smtpd_loop.h"
#include "smtpd_proto.h"

#define READ_CHUNK 16384

struct smtpd_loop {
	struct smtpd_loop_ops ops;
	int in, out;
	int sigpipe[2];
	char *ibuf; /* SMTPD_LINE_MAX + 1 bytes */
	size_t ilen;
	int discarding; /* inside an overlong line */
	char *obuf;
	size_t olen, ocap;
	int dead; /* out failed: smtpd is gone */
};

/* The handlers' view: a process runs one loop. */
static volatile sig_atomic_t got_hup, got_term;
static int sig_wfd = -1;

static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;
	ssize_t r;

	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
	if (sig_wfd != -1) {
		r = write(sig_wfd, &c, 1); /* full pipe: already woken */
		(void)r;
	}
	errno = saved;
}

static void say(struct smtpd_loop *l, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct smtpd_loop *l, int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (l->ops.log == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	l->ops.log(l->ops.ctx, level, buf);
}

static int
nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	return 0;
}

struct smtpd_loop *
smtpd_loop_new(int in, int out, const struct smtpd_loop_ops *ops)
{
	struct smtpd_loop *l = NULL;
	struct sigaction sa;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		goto fail;
	l->sigpipe[0] = l->sigpipe[1] = -1;
	l->ops = *ops;
	l->in = in;
	l->out = out;
	if ((l->ibuf = malloc(SMTPD_LINE_MAX + 1)) == NULL)
		goto fail;
	if (pipe(l->sigpipe) == -1)
		goto fail;
	if (nonblock(l->sigpipe[0]) == -1 || nonblock(l->sigpipe[1]) == -1 ||
	    nonblock(in) == -1 || nonblock(out) == -1)
		goto fail;
	(void)fcntl(l->sigpipe[0], F_SETFD, FD_CLOEXEC);
	(void)fcntl(l->sigpipe[1], F_SETFD, FD_CLOEXEC);
	sig_wfd = l->sigpipe[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		goto fail;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		goto fail;
	return l;
fail:
	smtpd_loop_free(l);
	return NULL;
}

void
smtpd_loop_free(struct smtpd_loop *l)
{
	if (l == NULL)
		return;
	if (sig_wfd == l->sigpipe[1])
		sig_wfd = -1;
	if (l->sigpipe[0] != -1)
		(void)close(l->sigpipe[0]);
	if (l->sigpipe[1] != -1)
		(void)close(l->sigpipe[1]);
	free(l->ibuf);
	free(l->obuf);
	free(l);
}

/* Write what the pipe takes. -1 when smtpd is gone. */
static int
flush(struct smtpd_loop *l)
{
	size_t done = 0;
	ssize_t n;

	while (done < l->olen) {
		n = write(l->out, l->obuf + done, l->olen - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		say(l, MXG_LOG_ERR, "write to smtpd: %s",
		    n == -1 ? strerror(errno) : "short write");
		l->dead = 1;
		l->olen = 0;
		return -1;
	}
	memmove(l->obuf, l->obuf + done, l->olen - done);
	l->olen -= done;
	return 0;
}

void
smtpd_loop_write(struct smtpd_loop *l, const char *buf, size_t len)
{
	size_t cap;
	char *nb;

	if (l->dead)
		return;
	if (l->olen + len > l->ocap) {
		cap = l->ocap == 0 ? 4096 : l->ocap;
		while (cap < l->olen + len)
			cap *= 2;
		if ((nb = realloc(l->obuf, cap)) == NULL) {
			/* cannot queue it: better a lost answer than a cut one */
			say(l, MXG_LOG_ERR, "out of memory: output line lost");
			return;
		}
		l->obuf = nb;
		l->ocap = cap;
	}
	memcpy(l->obuf + l->olen, buf, len);
	l->olen += len;
	(void)flush(l);
}

/* At the end: wait for the pipe to take the rest. */
static void
final_flush(struct smtpd_loop *l)
{
	int fl = fcntl(l->out, F_GETFL);

	if (l->olen == 0 || l->dead)
		return;
	if (fl != -1)
		(void)fcntl(l->out, F_SETFL, fl & ~O_NONBLOCK);
	(void)flush(l);
}

/* Hand every complete line in ibuf over; keep the rest. */
static void
lines(struct smtpd_loop *l)
{
	size_t start = 0, i;

	for (i = 0; i < l->ilen; i++) {
		if (l->ibuf[i] != '\n')
			continue;
		if (l->discarding) {
			l->discarding = 0;
		} else {
			l->ibuf[i] = '\0';
			l->ops.line(l->ops.ctx, l->ibuf + start, i - start);
		}
		start = i + 1;
	}
	memmove(l->ibuf, l->ibuf + start, l->ilen - start);
	l->ilen -= start;
	if (l->ilen == SMTPD_LINE_MAX) {
		if (!l->discarding)
			say(l, MXG_LOG_WARNING,
			    "input line longer than %d bytes dropped",
			    SMTPD_LINE_MAX);
		l->discarding = 1;
		l->ilen = 0;
	}
}

/* Read what is there. 1 on end of input, -1 on error, else 0. */
static int
readin(struct smtpd_loop *l)
{
	ssize_t n;
	size_t room;

	for (;;) {
		room = SMTPD_LINE_MAX - l->ilen;
		if (room > READ_CHUNK)
			room = READ_CHUNK;
		n = read(l->in, l->ibuf + l->ilen, room);
		if (n == 0)
			return 1;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			say(l, MXG_LOG_ERR, "read from smtpd: %s",
			    strerror(errno));
			return -1;
		}
		l->ilen += (size_t)n;
		lines(l);
	}
}

int
smtpd_loop_run(struct smtpd_loop *l)
{
	struct pollfd pfd[3 + SMTPD_LOOP_EXTRA];
	char drain[64];
	int r, n, timeout;

	for (;;) {
		if (got_hup) {
			got_hup = 0;
			if (l->ops.hup != NULL)
				l->ops.hup(l->ops.ctx);
		}
		if (got_term) {
			say(l, MXG_LOG_NOTICE, "terminating on signal");
			final_flush(l);
			return 0;
		}
		if (l->dead)
			return -1;
		pfd[0].fd = l->in;
		pfd[0].events = POLLIN;
		pfd[1].fd = l->olen > 0 ? l->out : -1;
		pfd[1].events = POLLOUT;
		pfd[2].fd = l->sigpipe[0];
		pfd[2].events = POLLIN;
		timeout = -1;
		n = 0;
		if (l->ops.fds != NULL) {
			n = l->ops.fds(
			    l->ops.ctx, pfd + 3, SMTPD_LOOP_EXTRA, &timeout);
			if (n < 0 || n > SMTPD_LOOP_EXTRA)
				n = 0;
		}
		if (poll(pfd, (nfds_t)(3 + n), timeout) == -1) {
			if (errno == EINTR)
				continue;
			say(l, MXG_LOG_ERR, "poll: %s", strerror(errno));
			return -1;
		}
		if (l->ops.events != NULL)
			l->ops.events(l->ops.ctx, pfd + 3, n);
		if (pfd[2].revents & POLLIN)
			while (read(l->sigpipe[0], drain, sizeof(drain)) > 0)
				continue;
		if (pfd[1].revents != 0 && flush(l) == -1)
			return -1;
		if (pfd[0].revents != 0) {
			if ((r = readin(l)) == 1) {
				final_flush(l);
				return 0;
			}
			if (r == -1)
				return -1;
		}
	}
}
