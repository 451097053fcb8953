/*
 * mxg_store_redis.c: the tuple store in Redis, for several MX hosts that
 * share one greylist (hiredis, synchronous, one connection per process).
 *
 * Each decision is one atomic round trip: EVALSHA of the decide script
 * (mxg_redis_script.c, the state machine of mxg_grey.c in Lua), EVAL when
 * the server answers NOSCRIPT. Keys are the URL's prefix followed by the
 * binary key of mxg_tuple_key(); values the 32-byte mxg_record_encode()
 * form; every key carries a TTL, so expiry needs no sweep. The reload
 * generation is one counter key, prefix + "Mgen" (INCR).
 *
 * Connection: opened lazily on first use in each process (fork check,
 * so a handle opened before fork is never shared); AUTH and SELECT, when
 * the URL asks for them, answered before the first command. The connect
 * and every reply are bounded by the URL's timeout (SO_RCVTIMEO and
 * SO_SNDTIMEO); a timeout or an I/O error drops the connection and the
 * next connect waits out a backoff (100 ms doubling to 2 s), during
 * which calls fail at once with MXG_ESTORE. A connection idle for a
 * second is looked at (poll) before use and replaced if the server
 * closed it. Commands go out with send(MSG_NOSIGNAL): no SIGPIPE in the
 * host. The hot path makes two system calls: send and recv. Failures
 * are logged once per cause and process, and so is the recovery. Host
 * names are resolved by getaddrinfo(), which the timeout does not bound:
 * use an address or /etc/hosts.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "mxg_redis.h"
#include "mxg_store.h"

#define BACKOFF_MIN 100  /* ms */
#define BACKOFF_MAX 2000 /* ms */
#define SCAN_COUNT  "500"
#define KEYBUF      (MXG_REDIS_PREFIX_MAX + MXG_KEY_MAX)
#define IDLE_CHECK  1000 /* ms idle before a connection is looked at */
#define MARKER_SIZE 4096

struct redis_store {
	struct mxg_store base;
	struct mxg_redis_url url;
	char where[MXG_REDIS_HOST_MAX + 32]; /* for logs; no password */
	char sha[MXG_REDIS_NSCRIPTS][41];
	redisContext *ctx;
	pid_t pid;                      /* process that made ctx */
	volatile unsigned char *marker; /* 0 in a child: see forked() */
	int64_t last_use;               /* monotonic ms of the last reply */
	int handshake;                  /* AUTH/SELECT not sent yet on ctx */
	int fresh;                      /* ctx made by this call: no retry */
	int64_t retry_at;               /* monotonic ms: no connect before */
	long backoff;    /* ms; 0: served since the last failure */
	int failing;     /* an outage is being reported */
	char cause[256]; /* what was logged last */
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Log cause unless it is what this outage already logged. */
static int
fail(struct redis_store *s, const char *cause)
{
	if (!s->failing || strcmp(cause, s->cause) != 0) {
		mxg_log(&s->base.log, MXG_LOG_ERR, "mxgrey: tuple store %s: %s",
		    s->where, cause);
		snprintf(s->cause, sizeof(s->cause), "%s", cause);
	}
	s->failing = 1;
	return MXG_ESTORE;
}

static void
recovered(struct redis_store *s)
{
	if (s->failing)
		mxg_log(&s->base.log, MXG_LOG_NOTICE,
		    "mxgrey: tuple store %s: working again", s->where);
	s->failing = 0;
	s->cause[0] = '\0';
	s->backoff = 0; /* only a served command ends the backoff */
}

static void
drop(struct redis_store *s)
{
	if (s->ctx != NULL)
		redisFree(s->ctx); /* in a child: closes only our copy */
	s->ctx = NULL;
}

/* Drop the connection and wait out a growing backoff before the next. */
static int
down(struct redis_store *s, const char *cause)
{
	drop(s);
	s->backoff = s->backoff == 0 ? BACKOFF_MIN : s->backoff * 2;
	if (s->backoff > BACKOFF_MAX)
		s->backoff = BACKOFF_MAX;
	s->retry_at = mono_ms() + s->backoff;
	return fail(s, cause);
}

/*
 * Is this a child of the process that made ctx? A page the kernel zeroes
 * in a child (MADV_WIPEONFORK) answers with a load; without one, getpid()
 * (a system call: about 2 us on a VM, per decision).
 */
static int
forked(const struct redis_store *s)
{
	if (s->marker != NULL)
		return *s->marker == 0;
	return s->pid != getpid();
}

static void
marker_open(struct redis_store *s)
{
	void *page = mmap(NULL, MARKER_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		return;
	if (madvise(page, MARKER_SIZE, MADV_WIPEONFORK) != 0) {
		munmap(page, MARKER_SIZE);
		return;
	}
	s->marker = page;
}

/* Make sure this process has a connection. */
static int
ready(struct redis_store *s)
{
	struct timeval tv;
	char cause[sizeof(s->cause)];
	int err;

	s->fresh = 0;
	if (s->ctx != NULL && !forked(s))
		return MXG_OK;
	drop(s); /* opened before fork: never share the socket */
	if (s->backoff != 0 && mono_ms() < s->retry_at)
		return MXG_ESTORE; /* logged when it went down */
	tv.tv_sec = s->url.timeout_ms / 1000;
	tv.tv_usec = (s->url.timeout_ms % 1000) * 1000;
	errno = 0;
	if (s->url.path[0] != '\0')
		s->ctx = redisConnectUnixWithTimeout(s->url.path, tv);
	else
		s->ctx = redisConnectWithTimeout(s->url.host, s->url.port, tv);
	err = errno;
	if (s->ctx == NULL || s->ctx->err != 0) {
		char why[sizeof(cause) - 32];

		if (s->ctx != NULL && s->ctx->err == REDIS_ERR_IO &&
		    (err == EINPROGRESS || err == ETIMEDOUT || err == EAGAIN))
			snprintf(why, sizeof(why), "no answer within %ld ms",
			    s->url.timeout_ms);
		else
			snprintf(why, sizeof(why), "%s",
			    s->ctx ? s->ctx->errstr : "out of memory");
		snprintf(cause, sizeof(cause), "cannot connect: %s", why);
		return down(s, cause);
	}
	if (redisSetTimeout(s->ctx, tv) != REDIS_OK) {
		snprintf(cause, sizeof(cause), "cannot set timeout: %s",
		    s->ctx->errstr);
		return down(s, cause);
	}
	if (s->url.path[0] == '\0')
		(void)redisEnableKeepAlive(s->ctx);
	s->pid = getpid();
	if (s->marker != NULL)
		*s->marker = 1;
	s->last_use = mono_ms();
	s->handshake = s->url.has_pass || s->url.db != 0;
	s->fresh = 1;
	return MXG_OK;
}

/*
 * Send a formatted command with send(2) and MSG_NOSIGNAL, not hiredis's
 * write(2): a peer that reset the connection fails the call instead of
 * raising SIGPIPE in the host. 0, or -1 with *err.
 */
static int
send_all(struct redis_store *s, const char *buf, size_t len, int *err)
{
	while (len > 0) {
		ssize_t n = send(s->ctx->fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*err = n < 0 ? errno : EPIPE;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Send cmd and read its reply into *out. MXG_OK, or MXG_EIO with *err
 * (errno) and *sent (whether the command left).
 */
static int
exchange(struct redis_store *s, const char *cmd, size_t len, redisReply **out,
    int *err, int *sent)
{
	void *v = NULL;

	*err = 0;
	*sent = 0;
	if (send_all(s, cmd, len, err) != 0)
		return MXG_EIO;
	*sent = 1;
	errno = 0;
	if (redisGetReply(s->ctx, &v) != REDIS_OK) {
		*err = errno;
		return MXG_EIO;
	}
	*out = v;
	return MXG_OK;
}

/* An I/O failure as text. */
static void
io_cause(struct redis_store *s, int sent, int err, char *buf, size_t size)
{
	if (err == EAGAIN || err == EWOULDBLOCK)
		snprintf(
		    buf, size, "no answer within %ld ms", s->url.timeout_ms);
	else if (!sent)
		snprintf(buf, size, "connection lost: %s", strerror(err));
	else if (s->ctx != NULL && s->ctx->err != 0)
		snprintf(buf, size, "%s", s->ctx->errstr);
	else
		snprintf(buf, size, "out of memory");
}

/* One handshake command; MXG_OK, MXG_EIO or MXG_ESTORE (logged). */
static int
hello(struct redis_store *s, int argc, const char **argv, int *err, int *sent)
{
	char cause[sizeof(s->cause)], *cmd = NULL;
	redisReply *r;
	int len, rc;

	if ((len = redisFormatCommandArgv(&cmd, argc, argv, NULL)) < 0)
		return down(s, "out of memory");
	rc = exchange(s, cmd, (size_t)len, &r, err, sent);
	redisFreeCommand(cmd);
	if (rc != MXG_OK)
		return rc;
	if (r->type == REDIS_REPLY_ERROR) {
		if (strcmp(argv[0], "AUTH") == 0)
			snprintf(cause, sizeof(cause),
			    "authentication failed (check the password in the "
			    "store URL): %.100s",
			    r->str);
		else
			snprintf(cause, sizeof(cause),
			    "cannot select db %d: %.100s", s->url.db, r->str);
		freeReplyObject(r);
		return down(s, cause);
	}
	freeReplyObject(r);
	return MXG_OK;
}

/*
 * AUTH and SELECT on a new connection, each answered before anything
 * else is sent: behind a failed SELECT a pipelined command would run in
 * database 0.
 */
static int
handshake(struct redis_store *s, int *err, int *sent)
{
	const char *argv[3];
	char db[16];
	int rc;

	if (s->url.has_pass) {
		argv[0] = "AUTH";
		argv[1] = s->url.user[0] != '\0' ? s->url.user : s->url.pass;
		argv[2] = s->url.pass;
		if ((rc = hello(s, s->url.user[0] != '\0' ? 3 : 2, argv, err,
		         sent)) != MXG_OK)
			return rc;
	}
	if (s->url.db != 0) {
		snprintf(db, sizeof(db), "%d", s->url.db);
		argv[0] = "SELECT";
		argv[1] = db;
		if ((rc = hello(s, 2, argv, err, sent)) != MXG_OK)
			return rc;
	}
	s->handshake = 0;
	return MXG_OK;
}

/*
 * A connection idle a while may have been closed by the server
 * (restart, idle timeout): if it has something to read, it has.
 */
static int
idle_ok(struct redis_store *s)
{
	struct pollfd pfd = { .fd = s->ctx->fd, .events = POLLIN };

	if (mono_ms() - s->last_use < IDLE_CHECK)
		return 1;
	return poll(&pfd, 1, 0) == 0;
}

/*
 * Send one command and read its reply (which may be an error reply: the
 * caller looks). MXG_OK with *out, or MXG_ESTORE (logged, connection
 * dropped). A connection found closed before use is replaced at once; a
 * command that could not be sent on a used connection, or met EOF, gets
 * one more try on a new one (at worst the server saw it twice: a second
 * decision on the same tuple at the same time).
 */
static int
command(struct redis_store *s, int argc, const char **argv, const size_t *lens,
    redisReply **out)
{
	char cause[sizeof(s->cause)], *cmd = NULL;
	int len, rc, err, sent;

	if ((len = redisFormatCommandArgv(&cmd, argc, argv, lens)) < 0)
		return fail(s, "out of memory");
	for (int attempt = 0;; attempt++) {
		if ((rc = ready(s)) != MXG_OK)
			break;
		if (!s->fresh && !idle_ok(s)) {
			drop(s);
			if ((rc = ready(s)) != MXG_OK)
				break;
		}
		if (s->handshake) {
			rc = handshake(s, &err, &sent);
			if (rc == MXG_EIO) {
				io_cause(s, sent, err, cause, sizeof(cause));
				rc = down(s, cause);
			}
			if (rc != MXG_OK)
				break;
		}
		rc = exchange(s, cmd, (size_t)len, out, &err, &sent);
		if (rc == MXG_OK) {
			s->last_use = mono_ms();
			break;
		}
		if (attempt == 0 && !s->fresh && err != EAGAIN &&
		    err != EWOULDBLOCK &&
		    (!sent || s->ctx->err == REDIS_ERR_EOF)) {
			drop(s); /* closed under us: once more */
			continue;
		}
		io_cause(s, sent, err, cause, sizeof(cause));
		rc = down(s, cause);
		break;
	}
	redisFreeCommand(cmd);
	return rc;
}

/* EVALSHA script, EVAL on NOSCRIPT. args: the keys then the arguments. */
static int
script(struct redis_store *s, enum mxg_redis_script which, int nkeys, int nargs,
    const char **args, const size_t *alens, redisReply **out)
{
	const char *argv[16];
	size_t lens[16];
	char nk[8];
	int rc;

	if (nargs + 3 > 16)
		return MXG_EINVAL;
	snprintf(nk, sizeof(nk), "%d", nkeys);
	argv[0] = "EVALSHA";
	argv[1] = s->sha[which];
	argv[2] = nk;
	lens[0] = 7;
	lens[1] = 40;
	lens[2] = strlen(nk);
	for (int i = 0; i < nargs; i++) {
		argv[3 + i] = args[i];
		lens[3 + i] = alens[i];
	}
	if ((rc = command(s, nargs + 3, argv, lens, out)) != MXG_OK)
		return rc;
	if ((*out)->type == REDIS_REPLY_ERROR &&
	    strncmp((*out)->str, "NOSCRIPT", 8) == 0) {
		freeReplyObject(*out);
		argv[0] = "EVAL";
		argv[1] = mxg_redis_script(which);
		lens[0] = 4;
		lens[1] = strlen(argv[1]);
		return command(s, nargs + 3, argv, lens, out);
	}
	return MXG_OK;
}

/* An error reply as the logged cause; frees r. */
static int
reply_error(struct redis_store *s, redisReply *r, const char *what)
{
	char cause[sizeof(s->cause)];

	if (r->type == REDIS_REPLY_ERROR &&
	    (strncmp(r->str, "NOAUTH", 6) == 0 ||
	        strstr(r->str, "unauthenticated") != NULL)) {
		/* the server may close on us: start afresh after a pause */
		freeReplyObject(r);
		return down(s,
		    "authentication required: the store URL has no "
		    "password (redis://:password@host)");
	}
	if (r->type == REDIS_REPLY_ERROR)
		snprintf(cause, sizeof(cause), "%s: %.100s", what, r->str);
	else
		snprintf(cause, sizeof(cause), "%s: unexpected reply type %d",
		    what, r->type);
	freeReplyObject(r);
	return fail(s, cause);
}

static size_t
make_key(const struct redis_store *s, const struct mxg_tuple *t, int kind,
    unsigned char *buf)
{
	memcpy(buf, s->url.prefix, s->url.prefixlen);
	return s->url.prefixlen +
	    mxg_tuple_key(t, kind, buf + s->url.prefixlen);
}

static int
redis_decide(struct mxg_store *base, const struct mxg_tuple *t,
    const struct mxg_grey_params *p, time_t now, struct mxg_grey_result *r)
{
	struct redis_store *s = (struct redis_store *)base;
	unsigned char tk[KEYBUF], ik[KEYBUF];
	char num[4][24];
	const char *args[8];
	size_t lens[8];
	redisReply *rep;
	long long v[4];
	int rc;

	args[0] = (const char *)tk;
	lens[0] = make_key(s, t, MXG_KEY_TUPLE, tk);
	args[1] = (const char *)ik;
	lens[1] = make_key(s, t, MXG_KEY_IP, ik);
	snprintf(num[0], sizeof(num[0]), "%lld", (long long)now);
	snprintf(num[1], sizeof(num[1]), "%ld", p->delay);
	snprintf(num[2], sizeof(num[2]), "%ld", p->autowhite);
	snprintf(num[3], sizeof(num[3]), "%ld", p->timeout);
	for (int i = 0; i < 4; i++) {
		args[2 + i] = num[i];
		lens[2 + i] = strlen(num[i]);
	}
	args[6] = p->lazyaw ? "1" : "0";
	args[7] = p->dryrun ? "1" : "0";
	lens[6] = lens[7] = 1;
	if ((rc = script(s, MXG_REDIS_DECIDE, 2, 8, args, lens, &rep)) !=
	    MXG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 4)
		return reply_error(s, rep, "decide script");
	for (int i = 0; i < 4; i++) {
		if (rep->element[i]->type != REDIS_REPLY_INTEGER)
			return reply_error(s, rep, "decide script");
		v[i] = rep->element[i]->integer;
	}
	freeReplyObject(rep);
	memset(r, 0, sizeof(*r));
	switch (v[0]) {
	case MXG_REDIS_R_NEW:
		r->reason = MXG_R_NEW;
		break;
	case MXG_REDIS_R_EARLY:
		r->reason = MXG_R_EARLY;
		break;
	case MXG_REDIS_R_PASSED:
		r->reason = MXG_R_PASSED;
		break;
	case MXG_REDIS_R_AUTOWHITE:
		r->reason = MXG_R_AUTOWHITE;
		break;
	default:
		return fail(s, "decide script: unknown reason");
	}
	if (r->reason == MXG_R_PASSED)
		r->elapsed = (long)v[1];
	else
		r->remaining = (long)v[1];
	r->autowhite_until = (time_t)v[2];
	if (v[3] != 0)
		mxg_log(&s->base.log, MXG_LOG_WARNING,
		    "mxgrey: tuple store %s: a %s record of another version or "
		    "size was treated as absent",
		    s->where, (v[3] & 1) ? "tuple" : "lazyaw IP");
	recovered(s);
	return MXG_OK;
}

static size_t
gen_key(const struct redis_store *s, unsigned char *buf)
{
	memcpy(buf, s->url.prefix, s->url.prefixlen);
	memcpy(buf + s->url.prefixlen, "Mgen", 4);
	return s->url.prefixlen + 4;
}

static int
redis_generation(struct mxg_store *base, unsigned long *gen)
{
	struct redis_store *s = (struct redis_store *)base;
	unsigned char k[KEYBUF];
	const char *argv[2] = { "GET", (const char *)k };
	size_t lens[2] = { 3, 0 };
	redisReply *rep;
	char *end;
	int rc;

	lens[1] = gen_key(s, k);
	if ((rc = command(s, 2, argv, lens, &rep)) != MXG_OK)
		return rc;
	if (rep->type == REDIS_REPLY_NIL) {
		*gen = 0;
	} else if (rep->type == REDIS_REPLY_STRING) {
		errno = 0;
		*gen = strtoul(rep->str, &end, 10);
		if (errno != 0 || *end != '\0' || end == rep->str)
			return reply_error(
			    s, rep, "generation is not a number");
	} else
		return reply_error(s, rep, "cannot read generation");
	freeReplyObject(rep);
	recovered(s);
	return MXG_OK;
}

static int
redis_bump(struct mxg_store *base)
{
	struct redis_store *s = (struct redis_store *)base;
	unsigned char k[KEYBUF];
	const char *argv[2] = { "INCR", (const char *)k };
	size_t lens[2] = { 4, 0 };
	redisReply *rep;
	int rc;

	lens[1] = gen_key(s, k);
	if ((rc = command(s, 2, argv, lens, &rep)) != MXG_OK)
		return rc;
	if (rep->type != REDIS_REPLY_INTEGER)
		return reply_error(s, rep, "cannot bump generation");
	freeReplyObject(rep);
	recovered(s);
	return MXG_OK;
}

/* The SCAN pattern for everything under the prefix: glob chars escaped. */
static void
match_pattern(const struct redis_store *s, char *buf, size_t *len)
{
	size_t n = 0;

	for (size_t i = 0; i < s->url.prefixlen; i++) {
		char c = s->url.prefix[i];

		if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\')
			buf[n++] = '\\';
		buf[n++] = c;
	}
	buf[n++] = '*';
	*len = n;
}

/* One SCAN batch: MGET the keys, hand each record to fn. */
static int
visit(struct redis_store *s, redisReply *keys,
    int (*fn)(void *arg, const struct mxg_store_entry *e), void *arg, int *stop)
{
	const char **argv = NULL;
	size_t *lens = NULL, n = keys->elements;
	redisReply *vals = NULL, *del;
	struct mxg_store_entry e;
	int rc = MXG_OK;

	if (n == 0)
		return MXG_OK;
	argv = calloc(n + 1, sizeof(*argv));
	lens = calloc(n + 1, sizeof(*lens));
	if (argv == NULL || lens == NULL) {
		rc = MXG_ENOMEM;
		goto done;
	}
	argv[0] = "MGET";
	lens[0] = 4;
	for (size_t i = 0; i < n; i++) {
		if (keys->element[i]->type != REDIS_REPLY_STRING) {
			rc = fail(s, "SCAN: unexpected reply");
			goto done;
		}
		argv[i + 1] = keys->element[i]->str;
		lens[i + 1] = keys->element[i]->len;
	}
	if ((rc = command(s, (int)n + 1, argv, lens, &vals)) != MXG_OK)
		goto done;
	if (vals->type != REDIS_REPLY_ARRAY || vals->elements != n) {
		rc = reply_error(s, vals, "MGET");
		vals = NULL;
		goto done;
	}
	for (size_t i = 0; i < n && !*stop; i++) {
		redisReply *k = keys->element[i], *val = vals->element[i];
		const char *args[2];
		size_t alens[2];
		int act;

		if (val->type != REDIS_REPLY_STRING ||
		    k->len <= s->url.prefixlen ||
		    (e.kind = mxg_tuple_from_key(
		         (const unsigned char *)k->str + s->url.prefixlen,
		         k->len - s->url.prefixlen, &e.tuple)) < 0 ||
		    mxg_record_decode(
		        (const unsigned char *)val->str, val->len, &e.rec) != 0)
			continue; /* gone, not ours, or another version */
		act = fn(arg, &e);
		if (act < 0)
			*stop = 1;
		if (act != 1)
			continue;
		/* delete only if no other host changed it since we read */
		args[0] = k->str;
		alens[0] = k->len;
		args[1] = val->str;
		alens[1] = val->len;
		if ((rc = script(s, MXG_REDIS_DELIFEQ, 1, 2, args, alens,
		         &del)) != MXG_OK)
			goto done;
		if (del->type != REDIS_REPLY_INTEGER) {
			rc = reply_error(s, del, "delete");
			goto done;
		}
		freeReplyObject(del);
	}
done:
	if (vals != NULL)
		freeReplyObject(vals);
	free(argv);
	free(lens);
	return rc;
}

static int
redis_iterate(struct mxg_store *base,
    int (*fn)(void *arg, const struct mxg_store_entry *e), void *arg)
{
	struct redis_store *s = (struct redis_store *)base;
	char pat[2 * MXG_REDIS_PREFIX_MAX + 2], cursor[32] = "0";
	const char *argv[6] = { "SCAN", cursor, "MATCH", pat, "COUNT",
		SCAN_COUNT };
	size_t lens[6] = { 4, 1, 5, 0, 5, sizeof(SCAN_COUNT) - 1 };
	redisReply *rep;
	int rc, stop = 0;

	match_pattern(s, pat, &lens[3]);
	do {
		lens[1] = strlen(cursor);
		if ((rc = command(s, 6, argv, lens, &rep)) != MXG_OK)
			return rc;
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
		    rep->element[0]->type != REDIS_REPLY_STRING ||
		    rep->element[0]->len >= sizeof(cursor) ||
		    rep->element[1]->type != REDIS_REPLY_ARRAY)
			return reply_error(s, rep, "SCAN");
		memcpy(cursor, rep->element[0]->str, rep->element[0]->len);
		cursor[rep->element[0]->len] = '\0';
		rc = visit(s, rep->element[1], fn, arg, &stop);
		freeReplyObject(rep);
		if (rc != MXG_OK)
			return rc;
	} while (!stop && strcmp(cursor, "0") != 0);
	recovered(s);
	return MXG_OK;
}

static int
redis_put(struct mxg_store *base, const struct mxg_store_entry *e)
{
	struct redis_store *s = (struct redis_store *)base;
	unsigned char k[KEYBUF], val[MXG_RECORD_SIZE];
	char ttl[24];
	const char *argv[5] = { "SET", (const char *)k, (const char *)val, "EX",
		ttl };
	size_t lens[5] = { 3, 0, sizeof(val), 2, 0 };
	int64_t left;
	redisReply *rep;
	int rc;

	if (e->kind != MXG_KEY_TUPLE && e->kind != MXG_KEY_IP)
		return MXG_EINVAL;
	lens[1] = make_key(s, &e->tuple, e->kind, k);
	mxg_record_encode(&e->rec, val);
	left = e->rec.expire - (int64_t)time(NULL);
	if (left <= 0) {
		/* already dead: what its TTL would have done */
		argv[0] = "DEL";
		lens[0] = 3;
		rc = command(s, 2, argv, lens, &rep);
	} else {
		snprintf(ttl, sizeof(ttl), "%lld", (long long)left);
		lens[4] = strlen(ttl);
		rc = command(s, 5, argv, lens, &rep);
	}
	if (rc != MXG_OK)
		return rc;
	if (rep->type == REDIS_REPLY_ERROR)
		return reply_error(s, rep, "cannot write");
	freeReplyObject(rep);
	recovered(s);
	return MXG_OK;
}

static void
redis_close(struct mxg_store *base)
{
	struct redis_store *s = (struct redis_store *)base;

	drop(s);
	if (s->marker != NULL)
		munmap((void *)(uintptr_t)s->marker, MARKER_SIZE);
	explicit_bzero(&s->url, sizeof(s->url));
	free(s);
}

static const struct mxg_store_ops redis_ops = {
	.name = "redis",
	.decide = redis_decide,
	.generation = redis_generation,
	.bump = redis_bump,
	.iterate = redis_iterate,
	.put = redis_put,
	.close = redis_close,
};

/*
 * mxg_store_redis_open: make a redis store for url (see mxg_redis.h and
 * docs/redis.md for its forms). Only parses the URL: the connection is
 * made on first use, in the process that uses it, so this never blocks.
 * Returns MXG_OK and *sp, MXG_ESTORE for a malformed URL (logged without
 * the password), or MXG_ENOMEM.
 */
int
mxg_store_redis_open(
    struct mxg_store **sp, const char *url, const struct mxg_log *log)
{
	struct redis_store *s;
	char err[160];

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return MXG_ENOMEM;
	if (log != NULL)
		s->base.log = *log;
	if (mxg_redis_url_parse(&s->url, url, err, sizeof(err)) != 0) {
		mxg_log(log, MXG_LOG_ERR, "mxgrey: store URL: %s", err);
		explicit_bzero(&s->url, sizeof(s->url));
		free(s);
		return MXG_ESTORE;
	}
	s->base.ops = &redis_ops;
	marker_open(s);
	if (s->url.path[0] != '\0')
		snprintf(s->where, sizeof(s->where), "redis %s", s->url.path);
	else if (strchr(s->url.host, ':') != NULL)
		snprintf(s->where, sizeof(s->where), "redis [%s]:%d",
		    s->url.host, s->url.port);
	else
		snprintf(s->where, sizeof(s->where), "redis %s:%d", s->url.host,
		    s->url.port);
	for (int i = 0; i < MXG_REDIS_NSCRIPTS; i++) {
		const char *text = mxg_redis_script((enum mxg_redis_script)i);

		mxg_redis_sha1_hex(text, strlen(text), s->sha[i]);
	}
	*sp = &s->base;
	return MXG_OK;
}
