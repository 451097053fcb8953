/*
 * policy_server.c: the mxgrey-policyd event loop.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy_attr.h"
#include "policy_server.h"

#define ENGINE_FDS 64 /* DNS sockets polled for the engine */
#define IN_SIZE    4096
#define OUT_SIZE   (4 * MXG_POLICY_ANSWER_MAX)

struct conn {
	int fd;
	struct mxg_policy_reader rd;
	char in[IN_SIZE]; /* read, not yet fed */
	size_t inoff, inlen;
	char out[OUT_SIZE]; /* answers not yet written */
	size_t outoff, outlen;
	time_t last;              /* last activity */
	struct mxg_policy_wait w; /* a decision waiting for lookups */
};

static int sigpipe_fd[2] = { -1, -1 };
static time_t accept_pause; /* no accept(2) before this */

static void
on_signal(int sig)
{
	char c = sig == SIGHUP ? 'h' : 't';
	int saved = errno;

	if (write(sigpipe_fd[1], &c, 1) == -1) {
		/* full pipe: a signal of this kind is pending already */
	}
	errno = saved;
}

/* Append the answer for a decision made (err: mxg_check's return). */
static void
decided(struct mxg_policy_server *srv, int err, const struct mxg_verdict *v,
    const char *addr, const char *local_ip, time_t now, char *out,
    size_t *outlen, size_t outsize)
{
	if (err != MXG_OK)
		mxg_daemon_logf(srv->log, MXG_LOG_WARNING, "client=%s: %s",
		    addr ? addr : "?", mxg_strerror(err));
	*outlen += mxg_policy_answer(&srv->opts, v, local_ip,
	    now ? now : time(NULL), out + *outlen, outsize - *outlen);
}

/*
 * At RCPT, Postfix sends recipient_count=0 (it fills it at DATA and
 * END-OF-MESSAGE only), so count the RCPT requests of one message on this
 * connection by its `instance` attribute: this one's number, counting
 * from 1. given: what the request said (recipient_count + 1).
 */
static unsigned
count_rcpt(struct mxg_policy_reader *rd, const struct mxg_policy_req *r,
    unsigned given)
{
	const char *inst = mxg_policy_get(r, "instance");

	if (given > 1 || inst == NULL || *inst == '\0' ||
	    strlen(inst) >= sizeof(rd->instance))
		return given;
	if (strcmp(rd->instance, inst) == 0 && rd->rcpts < 1000000)
		return ++rd->rcpts;
	memcpy(rd->instance, inst, strlen(inst) + 1);
	return rd->rcpts = 1;
}

/* Decide one framed request and append the answer, or start waiting. */
static void
answer(struct mxg_policy_server *srv, struct mxg_policy_reader *rd, int rc,
    char *out, size_t *outlen, size_t outsize, struct mxg_policy_wait *w)
{
	struct mxg_policy_req r;
	struct mxg_request req;
	struct mxg_verdict v;
	char *o = out + *outlen;
	size_t room = outsize - *outlen;
	const char *t;
	int err;

	srv->requests++;
	if (rc == MXG_POLICY_READY)
		rc = mxg_policy_parse(&r, rd->buf, rd->len);
	if (rc != 0) {
		srv->errors++;
		mxg_daemon_logf(
		    srv->log, MXG_LOG_WARNING, "%s", mxg_policy_strerror(rc));
		*outlen += mxg_policy_answer_text("DEFER_IF_PERMIT",
		    rc == MXG_POLICY_ETOOLONG ? "mxgrey: request too long"
		                              : "mxgrey: malformed request",
		    o, room);
		return;
	}
	if (!mxg_policy_is_rcpt(&r)) {
		*outlen += mxg_policy_answer_text("DUNNO", NULL, o, room);
		return;
	}
	mxg_policy_request(&r, &req);
	req.rcpt_count = count_rcpt(rd, &r, req.rcpt_count);
	req.local_name = srv->opts.hostname;
	if (srv->test_clock && (t = mxg_policy_get(&r, "x_mxgrey_time")))
		req.now = (time_t)strtoll(t, NULL, 10);
	if (w == NULL)
		err = mxg_check(srv->engine, &req, &v);
	else if ((err = mxg_check_start(srv->engine, &req, &w->pend, &v)) ==
	    MXG_EAGAIN) {
		snprintf(w->addr, sizeof(w->addr), "%s",
		    req.client_addr ? req.client_addr : "");
		t = mxg_policy_get(&r, "server_address");
		snprintf(w->local, sizeof(w->local), "%s", t ? t : "");
		w->now = req.now;
		return;
	}
	decided(srv, err, &v, req.client_addr,
	    mxg_policy_get(&r, "server_address"), req.now, out, outlen,
	    outsize);
}

int
mxg_policy_finish(struct mxg_policy_server *srv, struct mxg_policy_wait *w,
    char *out, size_t *outlen, size_t outsize)
{
	struct mxg_verdict v;
	int err;

	if (w->pend == NULL)
		return 1;
	if ((err = mxg_check_finish(w->pend, &v)) == MXG_EAGAIN)
		return 0;
	w->pend = NULL; /* freed by mxg_check_finish */
	decided(srv, err, &v, w->addr, w->local, w->now, out, outlen, outsize);
	return 1;
}

size_t
mxg_policy_handle(struct mxg_policy_server *srv, struct mxg_policy_reader *rd,
    const char *in, size_t len, char *out, size_t *outlen, size_t outsize,
    struct mxg_policy_wait *w)
{
	size_t off = 0, used;
	int rc;

	while (off < len && outsize - *outlen >= MXG_POLICY_ANSWER_MAX &&
	    (w == NULL || w->pend == NULL)) {
		rc = mxg_policy_reader_feed(rd, in + off, len - off, &used);
		off += used;
		if (rc != MXG_POLICY_MORE)
			answer(srv, rd, rc, out, outlen, outsize, w);
	}
	return off;
}

/* Write what we can; -1 when the connection is dead. */
static int conn_flush(struct conn *c);

static void
conn_close(struct conn *c)
{
	(void)conn_flush(c); /* answers to a client that shut down */
	mxg_check_cancel(c->w.pend);
	close(c->fd);
	mxg_policy_reader_free(&c->rd);
	free(c);
}

/* Write what we can; -1 when the connection is dead. */
static int
conn_flush(struct conn *c)
{
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		c->outoff += (size_t)n;
	}
	c->outoff = c->outlen = 0;
	return 0;
}

/* Feed buffered input, read more while there is room; -1: close. */
static int
conn_input(struct mxg_policy_server *srv, struct conn *c, int readable)
{
	ssize_t n;

	for (;;) {
		if (c->w.pend != NULL)
			return 0; /* a decision waits for lookups */
		if (c->inoff < c->inlen) {
			c->inoff += mxg_policy_handle(srv, &c->rd,
			    c->in + c->inoff, c->inlen - c->inoff, c->out,
			    &c->outlen, sizeof(c->out), &c->w);
			if (c->inoff < c->inlen || c->w.pend != NULL)
				return 0; /* out is full or waiting */
		}
		c->inoff = c->inlen = 0;
		if (!readable)
			return 0;
		n = read(c->fd, c->in, sizeof(c->in));
		if (n == 0)
			return -1;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		c->inlen = (size_t)n;
		c->last = time(NULL);
		/* A short read drained the socket: poll says when there is
		   more, no need for a read that fails with EAGAIN. */
		if ((size_t)n < sizeof(c->in))
			readable = 0;
	}
}

static void
accept_all(
    struct mxg_policy_server *srv, int lfd, struct conn **conns, size_t *nconns)
{
	struct conn *c;
	int fd;

	while (*nconns < srv->max_conns) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED) {
				/* out of descriptors: pause accepting for a
				   second rather than spin on poll */
				mxg_daemon_logf(srv->log, MXG_LOG_WARNING,
				    "accept: %s; pausing", strerror(errno));
				accept_pause = time(NULL) + 1;
			}
			return;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			mxg_daemon_logf(srv->log, MXG_LOG_ERR,
			    "out of memory for a connection");
			close(fd);
			return;
		}
		c->fd = fd;
		mxg_policy_reader_init(&c->rd);
		c->last = time(NULL);
		conns[(*nconns)++] = c;
	}
}

static int
setup_signals(void)
{
	struct sigaction sa;

	if (pipe2(sigpipe_fd, O_NONBLOCK | O_CLOEXEC) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		return -1;
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		return -1;
	return 0;
}

/* Drain the signal pipe: 1 to stop, 0 to go on. */
static int
take_signals(struct mxg_policy_server *srv)
{
	char buf[32];
	ssize_t n, i;
	int stop = 0, rc;

	while ((n = read(sigpipe_fd[0], buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] == 't') {
				stop = 1;
				continue;
			}
			rc = mxg_reload(srv->engine);
			mxg_daemon_logf(srv->log,
			    rc == MXG_OK ? MXG_LOG_NOTICE : MXG_LOG_ERR,
			    rc == MXG_OK ? "rules reloaded"
			                 : "reload failed, old rules kept: %s",
			    mxg_strerror(rc));
		}
	}
	return stop;
}

int
mxg_policy_serve(struct mxg_policy_server *srv)
{
	struct conn **conns = NULL;
	struct pollfd *pfd = NULL;
	size_t nconns = 0, i, j, np, nl, eng;
	time_t now;
	int rc = -1, n, dead, ne, tmo;

	conns = calloc(srv->max_conns, sizeof(*conns));
	pfd = calloc(
	    srv->max_conns + srv->nlisten + 1 + ENGINE_FDS, sizeof(*pfd));
	if (conns == NULL || pfd == NULL || setup_signals() == -1) {
		mxg_daemon_logf(
		    srv->log, MXG_LOG_ERR, "cannot start: %s", strerror(errno));
		goto fail;
	}
	for (;;) {
		np = 0;
		pfd[np].fd = sigpipe_fd[0];
		pfd[np++].events = POLLIN;
		nl = nconns < srv->max_conns && time(NULL) >= accept_pause
		    ? srv->nlisten
		    : 0;
		for (i = 0; i < nl; i++) {
			pfd[np].fd = srv->lfd[i];
			pfd[np++].events = POLLIN;
		}
		for (i = 0; i < nconns; i++) {
			struct conn *c = conns[i];

			pfd[np].fd = c->fd;
			pfd[np].events = 0;
			pfd[np].revents = 0;
			if (c->outlen > 0)
				pfd[np].events |= POLLOUT;
			if (c->inlen == 0 && c->w.pend == NULL)
				pfd[np].events |= POLLIN;
			/* waiting, nothing to write: not even POLLHUP */
			if (pfd[np].events == 0 && c->w.pend != NULL)
				pfd[np].fd = -1;
			np++;
		}
		/* the sockets of decisions waiting for DNS */
		eng = np;
		tmo = -1;
		ne = mxg_poll_fds(srv->engine, pfd + eng, ENGINE_FDS, &tmo);
		if (ne < 0)
			ne = 0;
		np += (size_t)ne;
		n = poll(pfd, np, tmo >= 0 && tmo < 1000 ? tmo : 1000);
		if (n == -1 && errno != EINTR) {
			mxg_daemon_logf(
			    srv->log, MXG_LOG_ERR, "poll: %s", strerror(errno));
			goto fail;
		}
		if (n >= 0 && ne > 0)
			mxg_poll_process(srv->engine, pfd + eng, ne);
		if (n > 0 && (pfd[0].revents & POLLIN) && take_signals(srv)) {
			rc = 0;
			break;
		}
		now = time(NULL);
		/* pfd[1 + nl + i] is conns[i]. */
		for (i = 0, j = 0; i < nconns; i++) {
			struct conn *c = conns[i];
			short re = n > 0 ? pfd[1 + nl + i].revents : 0;

			dead = 0;
			if (re & (POLLERR | POLLNVAL))
				dead = 1;
			/* a decision made: its answer, then buffered input */
			if (!dead && c->w.pend != NULL &&
			    mxg_policy_finish(srv, &c->w, c->out, &c->outlen,
			        sizeof(c->out)) &&
			    (conn_input(srv, c, 0) == -1 ||
			        conn_flush(c) == -1))
				dead = 1;
			if (!dead && (re & (POLLIN | POLLHUP | POLLOUT))) {
				if (conn_flush(c) == -1 ||
				    conn_input(srv, c,
				        (re & (POLLIN | POLLHUP)) != 0) == -1 ||
				    conn_flush(c) == -1)
					dead = 1;
			}
			if (!dead && srv->idle > 0 && now - c->last > srv->idle)
				dead = 1;
			if (dead)
				conn_close(c);
			else
				conns[j++] = c;
		}
		nconns = j;
		for (i = 0; n > 0 && i < nl; i++)
			if (pfd[1 + i].revents & POLLIN)
				accept_all(srv, srv->lfd[i], conns, &nconns);
	}
fail:
	for (i = 0; conns != NULL && i < nconns; i++)
		conn_close(conns[i]);
	free(conns);
	free(pfd);
	return rc;
}

/* Write all of buf; -1 on error. */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
mxg_policy_stdio(struct mxg_policy_server *srv, int in, int out)
{
	struct mxg_policy_reader rd;
	char ibuf[IN_SIZE], obuf[OUT_SIZE];
	size_t off, olen;
	ssize_t n;
	int rc = -1;

	mxg_policy_reader_init(&rd);
	for (;;) {
		if ((n = read(in, ibuf, sizeof(ibuf))) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		for (off = 0; off < (size_t)n;) {
			olen = 0;
			off += mxg_policy_handle(srv, &rd, ibuf + off,
			    (size_t)n - off, obuf, &olen, sizeof(obuf), NULL);
			if (write_all(out, obuf, olen) == -1)
				goto fail;
		}
	}
	rc = 0;
fail:
	mxg_policy_reader_free(&rd);
	return rc;
}
