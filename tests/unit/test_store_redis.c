/*
 * test_store_redis.c: the redis store against a real redis-server that
 * each test starts on 127.0.0.1 (a free port) and stops; the server is
 * killed with its test process even when a test dies (PR_SET_PDEATHSIG).
 *
 * Covers: URL forms; the script's SHA-1; two hosts sharing one Redis
 * (store handles, and two engines through mxg_check()); the same
 * decisions and records as mxg_grey_step() and the tdb store for a long
 * random script, and at exact expiry boundaries; 8 processes x 2
 * handles on overlapping tuples (exact counts); Redis killed, hung and
 * restarted (fast MXG_ESTORE, one log line, service back); a connect
 * that never completes; requirepass with a wrong, missing and right
 * password, a missing db; put + iterate (migrate round trip, many SCAN
 * batches, deletes); unix socket, db and prefix; a handle used across
 * fork.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "mxg_test.h"
#include "mxg_redis.h"
#include "mxg_store.h"
#include "mxgrey.h"

/* One directory for the whole run (made in main, before any fork). */
static char tdir[256];

static const struct mxg_grey_params P = {
	.delay = 1800, .autowhite = 86400, .timeout = 432000
};

/* ---- a redis-server of our own ---- */

struct server {
	pid_t pid;
	int port;
	char sock[108];
	char url[256];
};

static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static int
ping(const struct server *sv)
{
	struct timeval tv = { 0, 200000 };
	redisContext *c;
	redisReply *r;
	int ok = 0;

	if (sv->sock[0] != '\0')
		c = redisConnectUnixWithTimeout(sv->sock, tv);
	else
		c = redisConnectWithTimeout("127.0.0.1", sv->port, tv);
	if (c != NULL && c->err == 0) {
		redisSetTimeout(c, tv);
		r = redisCommand(c, "PING");
		ok = r != NULL; /* PONG, or NOAUTH: it is up */
		if (r != NULL)
			freeReplyObject(r);
	}
	if (c != NULL)
		redisFree(c);
	return ok;
}

/*
 * Start redis-server; extra: more arguments (NULL-terminated). Returns 0
 * when it answers, -1 when it exited at start (port taken meanwhile).
 */
static int
server_try(struct server *sv, const char *const *extra)
{
	char *argv[32];
	char port[16], logf[512];
	char name[] = "redis-server", zero[] = "0";
	pid_t parent = getpid();
	int n = 0, x0, fd;

	snprintf(port, sizeof(port), "%d", sv->port);
	argv[n++] = name;
	argv[n++] = "--port";
	argv[n++] = sv->sock[0] ? zero : port;
	argv[n++] = "--bind";
	argv[n++] = "127.0.0.1";
	argv[n++] = "--save";
	argv[n++] = "";
	argv[n++] = "--appendonly";
	argv[n++] = "no";
	if (sv->sock[0]) {
		argv[n++] = "--unixsocket";
		argv[n++] = sv->sock;
	}
	x0 = n;
	for (; extra != NULL && *extra != NULL && n < 30; extra++)
		argv[n++] = strdup(*extra);
	argv[n] = NULL;
	snprintf(logf, sizeof(logf), "%s/redis-%d.log", tdir, sv->port);
	sv->pid = fork();
	ck_assert_int_ge(sv->pid, 0);
	if (sv->pid == 0) {
		/* die with the test, whatever happens to it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		if ((fd = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
			fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp("redis-server", argv);
		_exit(127);
	}
	for (int i = x0; i < n; i++)
		free(argv[i]);
	for (int i = 0; i < 500; i++) { /* 5 s */
		int st;

		if (waitpid(sv->pid, &st, WNOHANG) != 0) {
			sv->pid = 0;
			return -1;
		}
		if (ping(sv) && waitpid(sv->pid, &st, WNOHANG) == 0)
			return 0; /* it answers, and it is ours */
		usleep(10000);
	}
	ck_abort_msg("redis-server did not answer within 5 s; see %s", logf);
	return -1;
}

static void
server_start(struct server *sv, const char *const *extra)
{
	ck_assert_msg(server_try(sv, extra) == 0,
	    "redis-server on port %d exited at start; see %s/redis-%d.log",
	    sv->port, tdir, sv->port);
}

static void
server_new(struct server *sv, const char *const *extra, const char *opts)
{
	for (int tries = 0;; tries++) {
		memset(sv, 0, sizeof(*sv));
		sv->port = free_port();
		snprintf(sv->url, sizeof(sv->url), "redis://127.0.0.1:%d%s",
		    sv->port, opts ? opts : "");
		if (server_try(sv, extra) == 0)
			return;
		ck_assert_msg(
		    tries < 4, "redis-server never started; see %s", tdir);
	}
}

static void
server_stop(struct server *sv, int sig)
{
	if (sv->pid <= 0)
		return;
	kill(sv->pid, sig);
	waitpid(sv->pid, NULL, 0);
	sv->pid = 0;
}

/* A raw client for looking inside. */
static redisContext *
raw(const struct server *sv)
{
	redisContext *c = redisConnect("127.0.0.1", sv->port);

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->err, 0);
	return c;
}

/* ---- logs ---- */

static char logbuf[16384];
static int nerr;

static void
keep_log(void *ctx, int level, const char *msg)
{
	size_t n = strlen(logbuf);

	(void)ctx;
	if (level <= MXG_LOG_ERR)
		nerr++;
	snprintf(logbuf + n, sizeof(logbuf) - n, "%d %s\n", level, msg);
}

static const struct mxg_log LOG = { keep_log, NULL };

static void
log_reset(void)
{
	logbuf[0] = '\0';
	nerr = 0;
}

/* ---- helpers ---- */

static struct mxg_store *
open_store(const char *url)
{
	struct mxg_store *s = NULL;

	ck_assert_int_eq(mxg_store_redis_open(&s, url, &LOG), MXG_OK);
	ck_assert_str_eq(s->ops->name, "redis");
	return s;
}

static void
tuple(struct mxg_tuple *t, const char *ip, const char *from, const char *to)
{
	struct mxg_ip a;

	ck_assert_int_eq(mxg_ip_parse(ip, &a), 0);
	ck_assert_int_eq(mxg_tuple_make(t, &a, 24, 64, from, to), 0);
}

static struct mxg_grey_result
decide(struct mxg_store *s, const struct mxg_tuple *t,
    const struct mxg_grey_params *p, time_t now)
{
	struct mxg_grey_result r;

	ck_assert_int_eq(s->ops->decide(s, t, p, now, &r), MXG_OK);
	return r;
}

static double
ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1e3 + (b.tv_nsec - a->tv_nsec) / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of n values; sorts v. */
static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* ---- URL and SHA-1: no server ---- */

START_TEST(url_forms)
{
	struct mxg_redis_url u;
	char err[160];

	ck_assert_int_eq(
	    mxg_redis_url_parse(&u, "redis://10.0.0.5", err, sizeof(err)), 0);
	ck_assert_str_eq(u.host, "10.0.0.5");
	ck_assert_int_eq(u.port, 6379);
	ck_assert_int_eq(u.db, 0);
	ck_assert_str_eq(u.prefix, "mxg:");
	ck_assert_int_eq(u.timeout_ms, MXG_REDIS_TIMEOUT);
	ck_assert_int_eq(u.has_pass, 0);
	ck_assert_int_eq(mxg_redis_url_parse(&u,
	                     "redis://:p%40ss@w@[::1]:6380/3?prefix=mx1%3A&"
	                     "timeout=2s",
	                     err, sizeof(err)),
	    0);
	ck_assert_str_eq(u.host, "::1");
	ck_assert_int_eq(u.port, 6380);
	ck_assert_int_eq(u.db, 3);
	ck_assert_str_eq(u.pass, "p@ss@w");
	ck_assert_str_eq(u.user, "");
	ck_assert_str_eq(u.prefix, "mx1:");
	ck_assert_int_eq(u.prefixlen, 4);
	ck_assert_int_eq(u.timeout_ms, 2000);
	ck_assert_int_eq(mxg_redis_url_parse(&u,
	                     "redis://grey:s3cret@/run/redis/redis.sock?db=2&"
	                     "timeout=150ms&prefix=",
	                     err, sizeof(err)),
	    0);
	ck_assert_str_eq(u.path, "/run/redis/redis.sock");
	ck_assert_str_eq(u.user, "grey");
	ck_assert_str_eq(u.pass, "s3cret");
	ck_assert_int_eq(u.db, 2);
	ck_assert_int_eq(u.timeout_ms, 150);
	ck_assert_int_eq(u.prefixlen, 0);
	ck_assert_int_eq(
	    mxg_redis_url_parse(&u, "redis:///tmp/r.sock", err, sizeof(err)),
	    0);
	ck_assert_str_eq(u.path, "/tmp/r.sock");
	ck_assert_int_eq(mxg_redis_url_parse(
	                     &u, "redis://h:1/?timeout=300", err, sizeof(err)),
	    -1); /* "/" without a db number */
	{
		static const char *const bad[] = { "redis:/h", "http://h",
			"redis://", "redis://h:0", "redis://h:65536",
			"redis://h:x", "redis://h/x", "redis://[::1",
			"redis://[::1]x", "redis://u@h", "redis://h?foo=1",
			"redis://h?timeout=0", "redis://h?timeout=61s",
			"redis://h?timeout=5m", "redis://h?prefix",
			"redis://:a%4@h", "redis://:a%00@h", "redis://h x",
			"redis://h?prefix=0123456789012345678901234567890123456"
			"789012345678901234567890123456789" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			err[0] = '\0';
			ck_assert_msg(mxg_redis_url_parse(
			                  &u, bad[i], err, sizeof(err)) == -1,
			    "accepted %s", bad[i]);
			ck_assert_msg(
			    err[0] != '\0', "no reason for %s", bad[i]);
		}
	}
	/* a bad URL is refused at open, and the password is not logged */
	{
		struct mxg_store *s = NULL;

		log_reset();
		ck_assert_int_eq(mxg_store_redis_open(
		                     &s, "redis://:topsecret@h?bogus=1", &LOG),
		    MXG_ESTORE);
		ck_assert_ptr_null(s);
		ck_assert_ptr_nonnull(strstr(logbuf, "unknown option"));
		ck_assert_ptr_null(strstr(logbuf, "topsecret"));
	}
}
END_TEST

START_TEST(sha1_vectors)
{
	char hex[41];
	char million[1000];

	mxg_redis_sha1_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
	mxg_redis_sha1_hex("", 0, hex);
	ck_assert_str_eq(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	mxg_redis_sha1_hex(
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    hex);
	ck_assert_str_eq(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	memset(million, 'a', sizeof(million));
	mxg_redis_sha1_hex(million, 64, hex); /* one full block + pad */
	ck_assert_str_eq(hex, "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}
END_TEST

/* ---- two hosts ---- */

START_TEST(two_hosts)
{
	struct server sv;
	struct mxg_store *a, *b;
	struct mxg_tuple t, t2, t3;
	struct mxg_grey_params lazy = P;
	struct mxg_grey_result r;
	redisContext *c;
	redisReply *rep;
	time_t now = time(NULL);
	unsigned char key[MXG_KEY_MAX + 8];
	size_t klen;
	char sha[41];

	server_new(&sv, NULL, NULL);
	a = open_store(sv.url);
	b = open_store(sv.url);
	tuple(&t, "192.0.2.1", "<alice@example.org>", "<bob@example.net>");
	r = decide(a, &t, &P, now);
	ck_assert_int_eq(r.reason, MXG_R_NEW);
	ck_assert_int_eq(r.remaining, 1800);
	r = decide(b, &t, &P, now + 60);
	ck_assert_int_eq(r.reason, MXG_R_EARLY);
	ck_assert_int_eq(r.remaining, 1740);
	r = decide(b, &t, &P, now + 1801);
	ck_assert_int_eq(r.reason, MXG_R_PASSED);
	ck_assert_int_eq(r.autowhite_until, now + 1801 + 86400);
	r = decide(a, &t, &P, now + 2000);
	ck_assert_int_eq(r.reason, MXG_R_AUTOWHITE);
	ck_assert_int_eq(r.autowhite_until, now + 2000 + 86400);
	r = decide(b, &t, &P, now + 2100);
	ck_assert_int_eq(r.reason, MXG_R_AUTOWHITE);

	/* the key is prefix + binary tuple key, with a TTL: no sweep */
	c = raw(&sv);
	memcpy(key, "mxg:", 4);
	klen = 4 + mxg_tuple_key(&t, MXG_KEY_TUPLE, key + 4);
	rep = redisCommand(c, "TTL %b", key, klen);
	ck_assert_int_eq(rep->type, REDIS_REPLY_INTEGER);
	ck_assert_int_gt(rep->integer, 86400 - 5);
	ck_assert_int_le(rep->integer, 86400);
	freeReplyObject(rep);
	rep = redisCommand(c, "STRLEN %b", key, klen);
	ck_assert_int_eq(rep->integer, MXG_RECORD_SIZE);
	freeReplyObject(rep);

	/* lazyaw: a pass on one host whitelists the IP for both */
	lazy.lazyaw = 1;
	tuple(&t2, "198.51.100.7", "x@example.com", "y@example.net");
	tuple(&t3, "198.51.100.9", "other@example.com", "z@example.net");
	ck_assert_int_eq(decide(a, &t2, &lazy, now).reason, MXG_R_NEW);
	r = decide(b, &t2, &lazy, now + 1800);
	ck_assert_int_eq(r.reason, MXG_R_PASSED);
	ck_assert_int_eq(r.autowhite_until, now + 1800 + 86400);
	/* same /24, another sender and recipient: whitelisted by IP */
	ck_assert_int_eq(
	    decide(a, &t3, &lazy, now + 1900).reason, MXG_R_AUTOWHITE);
	ck_assert_int_eq(decide(b, &t3, &P, now + 1900).reason, MXG_R_NEW);

	/* our SHA-1 is the server's name for the script */
	rep = redisCommand(
	    c, "SCRIPT LOAD %s", mxg_redis_script(MXG_REDIS_DECIDE));
	ck_assert_int_eq(rep->type, REDIS_REPLY_STRING);
	mxg_redis_sha1_hex(mxg_redis_script(MXG_REDIS_DECIDE),
	    strlen(mxg_redis_script(MXG_REDIS_DECIDE)), sha);
	ck_assert_str_eq(rep->str, sha);
	freeReplyObject(rep);
	/* a flushed script cache: NOSCRIPT, EVAL, and on */
	freeReplyObject(redisCommand(c, "SCRIPT FLUSH"));
	ck_assert_int_eq(decide(a, &t, &P, now + 2200).reason, MXG_R_AUTOWHITE);
	ck_assert_int_eq(decide(a, &t, &P, now + 2300).reason, MXG_R_AUTOWHITE);

	/* generation: one counter shared by both */
	{
		unsigned long g = 99;

		ck_assert_int_eq(a->ops->generation(a, &g), MXG_OK);
		ck_assert_int_eq(g, 0);
		ck_assert_int_eq(b->ops->bump(b), MXG_OK);
		ck_assert_int_eq(b->ops->bump(b), MXG_OK);
		ck_assert_int_eq(a->ops->generation(a, &g), MXG_OK);
		ck_assert_int_eq(g, 2);
	}
	ck_assert_int_eq(nerr, 0);
	redisFree(c);
	mxg_store_close(a);
	mxg_store_close(b);
	server_stop(&sv, SIGTERM);
}
END_TEST

/* ---- two engines (two MX hosts) through mxg_check() ---- */

static const struct mxg_host HOST = { .api_version = MXGREY_API_VERSION,
	.log = keep_log };

static int
check(struct mxg_engine *e, time_t now, struct mxg_verdict *v)
{
	struct mxg_request req;

	memset(&req, 0, sizeof(req));
	req.client_addr = "203.0.113.25";
	req.sender = "<news@example.org>";
	req.rcpt = "<postmaster@example.net>";
	req.helo = "mail.example.org";
	req.now = now;
	return mxg_check(e, &req, v);
}

START_TEST(two_engines)
{
	struct server sv;
	struct mxg_engine *mx1 = NULL, *mx2 = NULL;
	struct mxg_verdict v;
	char rules[1024];
	time_t now = time(NULL);
	FILE *f;

	server_new(&sv, NULL, "?prefix=eng:&timeout=200ms");
	snprintf(rules, sizeof(rules), "%s/rules.conf", tdir);
	ck_assert_ptr_nonnull(f = fopen(rules, "w"));
	fputs("greylist 30m\nautowhite 1d\nracl greylist default\n", f);
	fclose(f);
	ck_assert_int_eq(mxg_open(&mx1, rules, sv.url, &HOST), MXG_OK);
	ck_assert_int_eq(mxg_open(&mx2, rules, sv.url, &HOST), MXG_OK);

	ck_assert_int_eq(check(mx1, now, &v), MXG_OK);
	ck_assert_int_eq(v.action, MXG_GREYLIST);
	ck_assert_int_eq(v.reason, MXG_R_NEW);
	ck_assert_int_eq(check(mx2, now + 600, &v), MXG_OK);
	ck_assert_int_eq(v.action, MXG_GREYLIST);
	ck_assert_int_eq(v.remaining, 1200);
	ck_assert_int_eq(check(mx2, now + 1860, &v), MXG_OK);
	ck_assert_int_eq(v.action, MXG_ACCEPT);
	ck_assert_int_eq(v.reason, MXG_R_PASSED);
	ck_assert_int_eq(check(mx1, now + 1920, &v), MXG_OK);
	ck_assert_int_eq(v.action, MXG_ACCEPT);
	ck_assert_int_eq(v.reason, MXG_R_AUTOWHITE);
	ck_assert_int_eq(v.autowhite_until, now + 1920 + 86400);
	ck_assert_int_eq(nerr, 0);

	/* Redis gone: the failure action (tempfail), fast */
	server_stop(&sv, SIGKILL);
	ck_assert_int_eq(check(mx1, now + 2000, &v), MXG_ESTORE);
	ck_assert_int_eq(v.action, MXG_TEMPFAIL);
	ck_assert_int_eq(v.code / 100, 4);
	mxg_close(mx1);
	mxg_close(mx2);
}
END_TEST

/* ---- the same as mxg_grey_step and the tdb store ---- */

/* The reference: mxg_grey_* composed as a store must, on a tiny map. */
#define NREF 64
struct ref {
	unsigned char key[NREF][MXG_KEY_MAX];
	size_t klen[NREF];
	struct mxg_record rec[NREF];
	int n;
};

static struct mxg_record *
ref_get(struct ref *m, const unsigned char *k, size_t kl)
{
	for (int i = 0; i < m->n; i++)
		if (m->klen[i] == kl && memcmp(m->key[i], k, kl) == 0)
			return m->rec[i].state ? &m->rec[i] : NULL;
	return NULL;
}

static void
ref_put(struct ref *m, const unsigned char *k, size_t kl,
    const struct mxg_record *r)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (m->klen[i] == kl && memcmp(m->key[i], k, kl) == 0)
			break;
	if (i == m->n) {
		ck_assert_int_lt(m->n, NREF);
		memcpy(m->key[i], k, kl);
		m->klen[i] = kl;
		m->n++;
	}
	if (r == NULL)
		memset(&m->rec[i], 0, sizeof(m->rec[i]));
	else
		m->rec[i] = *r;
}

static void
ref_decide(struct ref *m, const struct mxg_tuple *t,
    const struct mxg_grey_params *p, int64_t now, struct mxg_grey_result *r)
{
	unsigned char tk[MXG_KEY_MAX], ik[MXG_KEY_MAX];
	size_t tl = mxg_tuple_key(t, MXG_KEY_TUPLE, tk);
	size_t il = mxg_tuple_key(t, MXG_KEY_IP, ik);
	struct mxg_record out, *cur;

	if (p->lazyaw &&
	    mxg_grey_white_check(ref_get(m, ik, il), p, now, &out, r)) {
		if (!p->dryrun)
			ref_put(m, ik, il, &out);
		return;
	}
	cur = ref_get(m, tk, tl);
	if (mxg_grey_step(cur, p, now, &out, r)) {
		if (!p->dryrun)
			ref_put(m, tk, tl, &out);
	} else if (cur != NULL && !p->dryrun)
		ref_put(m, tk, tl, NULL);
	if (p->lazyaw && r->reason == MXG_R_PASSED &&
	    mxg_grey_white_make(ref_get(m, ik, il), p, now, &out)) {
		if (!p->dryrun)
			ref_put(m, ik, il, &out);
		r->autowhite_until = (time_t)out.until;
	}
}

struct entries {
	struct mxg_store_entry e[256];
	int n;
	int64_t alive_after; /* keep records with expire > this */
};

static int
collect(void *arg, const struct mxg_store_entry *e)
{
	struct entries *es = arg;

	if (e->rec.expire <= es->alive_after)
		return 0;
	ck_assert_int_lt(es->n, 256);
	es->e[es->n++] = *e;
	return 0;
}

static int
entry_cmp(const void *x, const void *y)
{
	const struct mxg_store_entry *a = x, *b = y;
	unsigned char ka[MXG_KEY_MAX], kb[MXG_KEY_MAX];
	size_t la = mxg_tuple_key(&a->tuple, a->kind, ka);
	size_t lb = mxg_tuple_key(&b->tuple, b->kind, kb);
	int c = memcmp(ka, kb, la < lb ? la : lb);

	return c != 0 ? c : (la > lb) - (la < lb);
}

static void
same_entries(struct entries *x, struct entries *y)
{
	ck_assert_int_eq(x->n, y->n);
	qsort(x->e, (size_t)x->n, sizeof(x->e[0]), entry_cmp);
	qsort(y->e, (size_t)y->n, sizeof(y->e[0]), entry_cmp);
	for (int i = 0; i < x->n; i++) {
		ck_assert_int_eq(entry_cmp(&x->e[i], &y->e[i]), 0);
		ck_assert_int_eq(x->e[i].kind, y->e[i].kind);
		ck_assert_int_eq(x->e[i].rec.state, y->e[i].rec.state);
		ck_assert_int_eq(x->e[i].rec.created, y->e[i].rec.created);
		ck_assert_int_eq(x->e[i].rec.until, y->e[i].rec.until);
		ck_assert_int_eq(x->e[i].rec.expire, y->e[i].rec.expire);
		ck_assert_int_eq(x->e[i].rec.hits, y->e[i].rec.hits);
	}
}

static void
ref_entries(struct ref *m, struct entries *es)
{
	es->n = 0;
	for (int i = 0; i < m->n; i++) {
		struct mxg_store_entry e;

		if (m->rec[i].state == 0 || m->rec[i].expire <= es->alive_after)
			continue;
		e.kind = mxg_tuple_from_key(m->key[i], m->klen[i], &e.tuple);
		ck_assert_int_ge(e.kind, 0);
		e.rec = m->rec[i];
		es->e[es->n++] = e;
	}
}

/*
 * A long seeded random script of decisions (params, tuples sharing IPs
 * for lazyaw, time mostly forward, sometimes jumping days, sometimes
 * back) on the redis store, on mxg_grey_* composed as a store does, and
 * with_tdb on the tdb store too: every result and, now and then, every
 * live record (as iterate gives them) must be the same.
 */
static void
same_run(const struct mxg_grey_params *ps, size_t nps, int with_tdb,
    const char *opts)
{
	static const char *const ips[] = { "192.0.2.1", "192.0.2.77",
		"2001:db8::1", "203.0.113.5" };
	static const char *const from[] = { "a@example.org", "<>",
		"SRS0=h=tt=example.com=b@fwd.example" };
	static const char *const to[] = { "x@example.net", "y@example.net" };
	struct server sv;
	struct mxg_store *rs, *ts = NULL;
	struct ref *ref = calloc(1, sizeof(*ref));
	struct entries *er = calloc(1, sizeof(*er));
	struct entries *et = calloc(1, sizeof(*et));
	char path[1024];
	int64_t now = time(NULL), last;
	unsigned seed = 12345;
	int steps = 2000;

	ck_assert_ptr_nonnull(ref);
	ck_assert_ptr_nonnull(er);
	ck_assert_ptr_nonnull(et);
	server_new(&sv, NULL, opts);
	rs = open_store(sv.url);
	if (with_tdb) {
		snprintf(path, sizeof(path), "%s/same.tdb", tdir);
		unlink(path);
		ck_assert_int_eq(
		    mxg_store_tdb_open(&ts, path, 1021, 0, &LOG), MXG_OK);
	}
	last = now;
	for (int i = 0; i < steps; i++) {
		struct mxg_grey_result rr, rt, rf;
		const struct mxg_grey_params *p;
		struct mxg_tuple t;
		unsigned x;

		seed = seed * 1103515245u + 12345u;
		x = seed >> 8;
		p = &ps[x % nps];
		x /= 16;
		tuple(&t, ips[x % 4], from[(x / 4) % 3], to[(x / 12) % 2]);
		x /= 24;
		switch (x % 8) { /* time: mostly forward, sometimes back */
		case 0:
			break;
		case 1:
			now -= (int64_t)(x / 8 % 200);
			break;
		case 2:
			now += 86400 + (int64_t)(x / 8 % 500000);
			break;
		default:
			now += (int64_t)(x / 8 % 2000);
			break;
		}
		ck_assert_int_eq(rs->ops->decide(rs, &t, p, now, &rr), MXG_OK);
		ref_decide(ref, &t, p, now, &rf);
		ck_assert_msg(rr.reason == rf.reason &&
		        rr.remaining == rf.remaining &&
		        rr.autowhite_until == rf.autowhite_until,
		    "step %d: redis %d/%ld/%lld, mxg_grey %d/%ld/%lld", i,
		    rr.reason, rr.remaining, (long long)rr.autowhite_until,
		    rf.reason, rf.remaining, (long long)rf.autowhite_until);
		if (ts != NULL) {
			ck_assert_msg(
			    ts->ops->decide(ts, &t, p, now, &rt) == MXG_OK,
			    "step %d: tdb: %s", i, logbuf);
			ck_assert_msg(rt.reason == rf.reason &&
			        rt.remaining == rf.remaining &&
			        rt.autowhite_until == rf.autowhite_until,
			    "step %d: tdb %d/%ld, mxg_grey %d/%ld", i,
			    rt.reason, rt.remaining, rf.reason, rf.remaining);
		}
		if (now > last)
			last = now;
		if (i % 500 == 499 || i == steps - 1) {
			/* the records too, as iterate gives them back */
			er->n = et->n = 0;
			er->alive_after = et->alive_after = last;
			ck_assert_int_eq(
			    rs->ops->iterate(rs, collect, er), MXG_OK);
			ref_entries(ref, et);
			same_entries(er, et);
			if (ts != NULL) {
				et->n = 0;
				ck_assert_int_eq(
				    ts->ops->iterate(ts, collect, et), MXG_OK);
				same_entries(er, et);
			}
		}
	}
	ck_assert_int_eq(nerr, 0);
	mxg_store_close(rs);
	mxg_store_close(ts);
	free(ref);
	free(er);
	free(et);
	server_stop(&sv, SIGTERM);
}

/* Exact boundaries: one second before, at and after each end. */
START_TEST(boundaries)
{
	static const struct mxg_grey_params lazy = { 1800, 86400, 432000, 1,
		0 };
	static const struct mxg_grey_params shortp = { 60, 600, 120, 0, 0 };
	struct server sv;
	struct mxg_store *rs;
	struct ref *ref = calloc(1, sizeof(*ref));
	struct mxg_tuple t[3];
	int64_t t0 = time(NULL);
	struct {
		int k;
		const struct mxg_grey_params *p;
		int64_t at;
	} steps[] = {
		{ 0, &lazy, 0 },
		{ 0, &lazy, 1799 },
		{ 0, &lazy, 1800 },
		/* IP autowhite until t0 + 1800 + 86400 */
		{ 1, &lazy, 1800 + 86399 },
		{ 1, &lazy, 1800 + 86399 + 86399 },
		{ 1, &lazy, 1800 + 86399 + 86400 + 86399 },
		{ 1, &lazy, 1800 + 86399 + 86400 + 86399 + 86400 },
		{ 1, &lazy, 1800 + 86399 + 86400 + 86399 + 86400 + 1 },
		/* pending record: timeout 120 after creation */
		{ 2, &shortp, 0 },
		{ 2, &shortp, 119 },
		{ 2, &shortp, 119 + 600 },
		{ 2, &shortp, 119 + 600 + 600 },
		{ 2, &shortp, 1400 },
		{ 2, &shortp, 1400 + 59 },
		{ 2, &shortp, 1400 + 60 },
	};

	ck_assert_ptr_nonnull(ref);
	server_new(&sv, NULL, NULL);
	rs = open_store(sv.url);
	tuple(&t[0], "192.0.2.1", "a@example.org", "b@example.net");
	tuple(&t[1], "192.0.2.1", "c@example.org", "d@example.net");
	tuple(&t[2], "198.51.100.1", "a@example.org", "b@example.net");
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct mxg_grey_result rr, rf;

		rr = decide(rs, &t[steps[i].k], steps[i].p, t0 + steps[i].at);
		ref_decide(
		    ref, &t[steps[i].k], steps[i].p, t0 + steps[i].at, &rf);
		ck_assert_msg(rr.reason == rf.reason &&
		        rr.remaining == rf.remaining &&
		        rr.autowhite_until == rf.autowhite_until,
		    "step %zu: redis %d/%ld/%lld, mxg_grey %d/%ld/%lld", i,
		    rr.reason, rr.remaining, (long long)rr.autowhite_until,
		    rf.reason, rf.remaining, (long long)rf.autowhite_until);
	}
	mxg_store_close(rs);
	free(ref);
	server_stop(&sv, SIGTERM);
}
END_TEST

/* every parameter shape, including no delay and no autowhite */
static const struct mxg_grey_params PS_ALL[] = {
	{ 1800, 86400, 432000, 0, 0 }, { 1800, 86400, 432000, 1, 0 },
	{ 300, 0, 3600, 0, 0 }, { 300, 0, 3600, 1, 0 }, { 0, 7200, 3600, 0, 0 },
	{ 0, 7200, 3600, 1, 0 }, { 60, 600, 120, 0, 0 },
	{ 1800, 86400, 432000, 0, 1 }, { 1800, 86400, 432000, 1, 1 },
	{ 600, 3600, 300, 1, 0 }, /* timeout below delay */
};

START_TEST(same_as_mxg_grey)
{
	same_run(
	    PS_ALL, sizeof(PS_ALL) / sizeof(PS_ALL[0]), 0, "?prefix=same:");
}
END_TEST

START_TEST(same_as_tdb)
{
	/*
	 * Against the tdb store: the shapes with a delay. (With delay 0 the
	 * tdb store's chain sweep can delete the record mxg_grey_step then
	 * deletes, and tdb_delete fails: reported to the tdb store's owner.)
	 */
	static const struct mxg_grey_params ps[] = {
		{ 1800, 86400, 432000, 0, 0 },
		{ 1800, 86400, 432000, 1, 0 },
		{ 300, 0, 3600, 0, 0 },
		{ 300, 0, 3600, 1, 0 },
		{ 60, 600, 120, 0, 0 },
		{ 1800, 86400, 432000, 0, 1 },
		{ 1800, 86400, 432000, 1, 1 },
		{ 600, 3600, 300, 1, 0 },
	};

	same_run(ps, sizeof(ps) / sizeof(ps[0]), 1, NULL);
}
END_TEST

/* ---- 8 processes x 2 handles ---- */

#define NPROC 8
#define NTUP  16
#define NITER 1000

struct counts {
	long reason[NPROC][NTUP][8];
	int failed[NPROC];
};

static int
sum_hits(void *arg, const struct mxg_store_entry *e)
{
	long *h = arg;

	if (e->kind == MXG_KEY_TUPLE)
		h[0] += e->rec.hits, h[1]++;
	return 0;
}

static long
total(const long *r)
{
	long n = 0;

	for (int i = 0; i < 8; i++)
		n += r[i];
	return n;
}

static void
hammer_child(const char *url, struct counts *c, int me, time_t now)
{
	struct mxg_store *h[2];
	struct mxg_tuple t[NTUP];
	char ip[32];

	for (int i = 0; i < 2; i++)
		if (mxg_store_redis_open(&h[i], url, &LOG) != MXG_OK)
			_exit(2);
	for (int i = 0; i < NTUP; i++) {
		struct mxg_ip a;

		snprintf(ip, sizeof(ip), "192.0.2.%d", i % 4);
		if (mxg_ip_parse(ip, &a) != 0 ||
		    mxg_tuple_make(&t[i], &a, 32, 64, "s@example.org",
		        i < 4 ? "r0@example.net" : "r1@example.net") != 0)
			_exit(2);
		if (i >= 8) /* different senders on the same IPs */
			snprintf(t[i].sender, sizeof(t[i].sender),
			    "s%d@example.org", i);
	}
	for (int i = 0; i < NITER; i++) {
		struct mxg_grey_result r;
		int k = (i * 7 + me) % NTUP;

		if (h[i & 1]->ops->decide(h[i & 1], &t[k], &P, now, &r) !=
		    MXG_OK) {
			c->failed[me]++;
			continue;
		}
		c->reason[me][k][r.reason]++;
	}
	mxg_store_close(h[0]);
	mxg_store_close(h[1]);
	_exit(0);
}

static void
hammer_round(const char *url, struct counts *c, time_t now)
{
	pid_t pid[NPROC];
	int st;

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < NPROC; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0)
			hammer_child(url, c, i, now);
	}
	for (int i = 0; i < NPROC; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "child %d failed", i);
		ck_assert_int_eq(c->failed[i], 0);
	}
}

START_TEST(hammer)
{
	struct server sv;
	struct counts *c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct mxg_store *s;
	time_t now = time(NULL);
	long per[NTUP][8], hits[2] = { 0, 0 };

	ck_assert_ptr_ne(c, MAP_FAILED);
	server_new(&sv, NULL, "?timeout=2s");
	/* round 1: all within the delay: one NEW per tuple, rest EARLY */
	hammer_round(sv.url, c, now);
	memset(per, 0, sizeof(per));
	for (int i = 0; i < NPROC; i++)
		for (int k = 0; k < NTUP; k++)
			for (int r = 0; r < 8; r++)
				per[k][r] += c->reason[i][k][r];
	for (int k = 0; k < NTUP; k++) {
		ck_assert_int_eq(per[k][MXG_R_NEW], 1);
		ck_assert_int_gt(per[k][MXG_R_EARLY], 400);
		ck_assert_int_eq(
		    per[k][MXG_R_NEW] + per[k][MXG_R_EARLY], total(per[k]));
	}
	/* round 2: after the delay: one PASSED per tuple, rest AUTOWHITE */
	hammer_round(sv.url, c, now + 1800);
	memset(per, 0, sizeof(per));
	for (int i = 0; i < NPROC; i++)
		for (int k = 0; k < NTUP; k++)
			for (int r = 0; r < 8; r++)
				per[k][r] += c->reason[i][k][r];
	for (int k = 0; k < NTUP; k++) {
		ck_assert_int_eq(per[k][MXG_R_PASSED], 1);
		ck_assert_int_gt(per[k][MXG_R_AUTOWHITE], 400);
		ck_assert_int_eq(per[k][MXG_R_PASSED] + per[k][MXG_R_AUTOWHITE],
		    total(per[k]));
	}
	/* every decision counted in its record: no lost update */
	s = open_store(sv.url);
	ck_assert_int_eq(s->ops->iterate(s, sum_hits, hits), MXG_OK);
	ck_assert_int_eq(hits[1], NTUP);
	ck_assert_int_eq(hits[0], 2L * NPROC * NITER);
	mxg_store_close(s);
	munmap(c, sizeof(*c));
	server_stop(&sv, SIGTERM);
}
END_TEST

/* ---- outage ---- */

START_TEST(outage)
{
	struct server sv;
	struct mxg_store *s;
	struct mxg_tuple t;
	struct mxg_grey_result r;
	struct timespec t0, t1;
	double took[64], worst;
	time_t now = time(NULL);
	int rc, i, n, waited;

	server_new(&sv, NULL, "?timeout=100ms");
	s = open_store(sv.url);
	tuple(&t, "192.0.2.1", "a@example.org", "b@example.net");
	ck_assert_int_eq(decide(s, &t, &P, now).reason, MXG_R_NEW);
	log_reset();

	/*
	 * Killed: every call fails at once (refused, or in the backoff),
	 * one log line for the whole outage. The bounds leave room for a
	 * loaded CI machine; a hang would blow them by far.
	 */
	server_stop(&sv, SIGKILL);
	for (i = 0; i < 30; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ck_assert_int_eq(
		    s->ops->decide(s, &t, &P, now, &r), MXG_ESTORE);
		took[i] = ms_since(&t0);
		usleep(20000);
	}
	ck_assert_msg(median(took, 30) < 20, "median %.1f ms while down",
	    median(took, 30));
	ck_assert_msg(took[29] < 500, "a call took %.1f ms", took[29]);
	ck_assert_msg(nerr == 1, "%d error lines:\n%s", nerr, logbuf);
	ck_assert_ptr_nonnull(strstr(logbuf, "cannot connect"));

	/* back: service within the longest backoff, state consistent */
	server_start(&sv, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((rc = s->ops->decide(s, &t, &P, now, &r)) != MXG_OK &&
	    ms_since(&t0) < 5000)
		usleep(20000);
	ck_assert_int_eq(rc, MXG_OK);
	ck_assert_int_eq(r.reason, MXG_R_NEW); /* no persistence: empty */
	ck_assert_ptr_nonnull(strstr(logbuf, "working again"));
	ck_assert_int_eq(decide(s, &t, &P, now + 10).reason, MXG_R_EARLY);

	/* restarted under an idle connection: replaced, no failure */
	log_reset();
	server_stop(&sv, SIGKILL);
	server_start(&sv, NULL);
	ck_assert_int_eq(decide(s, &t, &P, now).reason, MXG_R_NEW);
	ck_assert_int_eq(nerr, 0);

	/*
	 * Hung (SIGSTOP): the calls that talk to it give up after the
	 * timeout, the ones in the backoff at once; never longer.
	 */
	kill(sv.pid, SIGSTOP);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (n = 0, waited = 0, worst = 0; n < 64 && ms_since(&t1) < 1000;
	     n++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ck_assert_int_eq(
		    s->ops->decide(s, &t, &P, now, &r), MXG_ESTORE);
		took[n] = ms_since(&t0);
		waited += took[n] >= 90;
		worst = took[n] > worst ? took[n] : worst;
		usleep(30000);
	}
	ck_assert_msg(waited >= 2, "the timeout was met %d times", waited);
	ck_assert_msg(worst < 600, "a call took %.1f ms while hung", worst);
	ck_assert_msg(
	    median(took, n) < 90, "median %.1f ms while hung", median(took, n));
	ck_assert_ptr_nonnull(strstr(logbuf, "no answer within 100 ms"));
	ck_assert_msg(nerr == 1, "%d error lines:\n%s", nerr, logbuf);
	kill(sv.pid, SIGCONT);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((rc = s->ops->decide(s, &t, &P, now + 20, &r)) != MXG_OK &&
	    ms_since(&t0) < 5000)
		usleep(20000);
	ck_assert_int_eq(rc, MXG_OK);
	ck_assert_int_eq(r.reason, MXG_R_EARLY);
	mxg_store_close(s);
	server_stop(&sv, SIGTERM);
}
END_TEST

/*
 * Redis killed and restarted under 4 processes deciding flat out: every
 * call answers OK or MXG_ESTORE within its bounds, nobody crashes, all
 * serve again after the restart, and every stored value is a record.
 */
struct midrun {
	volatile int phase; /* 0 up, 1 killed, 2 restarted */
	long ok[4], estore[4], other[4], ok_after[4];
	double worst[4];
};

static void
midrun_child(const char *url, struct midrun *m, int me)
{
	struct mxg_store *s;
	struct mxg_tuple t[8];
	struct mxg_ip a;
	struct timespec t0, start;
	char from[32];
	int rc;

	if (mxg_store_redis_open(&s, url, &LOG) != MXG_OK ||
	    mxg_ip_parse("192.0.2.7", &a) != 0)
		_exit(2);
	for (int i = 0; i < 8; i++) {
		snprintf(from, sizeof(from), "s%d@example.org", i);
		if (mxg_tuple_make(&t[i], &a, 32, 64, from, "r@example.net"))
			_exit(2);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (int i = 0; ms_since(&start) < 4000; i++) {
		struct mxg_grey_result r;
		int phase = m->phase;
		double ms;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = s->ops->decide(s, &t[i % 8], &P, time(NULL), &r);
		ms = ms_since(&t0);
		if (ms > m->worst[me])
			m->worst[me] = ms;
		if (rc == MXG_OK) {
			m->ok[me]++;
			if (phase == 2 && ++m->ok_after[me] >= 50)
				break;
		} else if (rc == MXG_ESTORE)
			m->estore[me]++;
		else
			m->other[me]++;
		if (rc != MXG_OK)
			usleep(1000);
	}
	mxg_store_close(s);
	_exit(0);
}

START_TEST(kill_midrun)
{
	struct server sv;
	struct midrun *m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	redisContext *c;
	redisReply *keys, *len;
	pid_t pid[4];
	long failed = 0;
	int st;

	ck_assert_ptr_ne(m, MAP_FAILED);
	memset(m, 0, sizeof(*m));
	server_new(&sv, NULL, "?timeout=200ms&prefix=mid:");
	for (int i = 0; i < 4; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0)
			midrun_child(sv.url, m, i);
	}
	usleep(300000);
	server_stop(&sv, SIGKILL);
	m->phase = 1;
	usleep(300000);
	server_start(&sv, NULL);
	m->phase = 2;
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "worker %d died (status %d)", i, st);
		ck_assert_int_eq(m->other[i], 0);
		failed += m->estore[i];
		ck_assert_msg(m->ok_after[i] >= 50,
		    "worker %d: %ld decisions after the restart", i,
		    m->ok_after[i]);
		ck_assert_msg(m->worst[i] < 1500,
		    "worker %d: a call took %.1f ms", i, m->worst[i]);
	}
	ck_assert_int_gt(failed, 0); /* the outage was seen */
	/* whatever was written is a whole record */
	c = raw(&sv);
	keys = redisCommand(c, "KEYS mid:*");
	ck_assert_int_eq(keys->type, REDIS_REPLY_ARRAY);
	ck_assert_int_gt(keys->elements, 0);
	for (size_t i = 0; i < keys->elements; i++) {
		len = redisCommand(c, "STRLEN %b", keys->element[i]->str,
		    keys->element[i]->len);
		ck_assert_int_eq(len->integer, MXG_RECORD_SIZE);
		freeReplyObject(len);
	}
	freeReplyObject(keys);
	redisFree(c);
	munmap(m, sizeof(*m));
	server_stop(&sv, SIGTERM);
}
END_TEST

/*
 * A server that never completes the handshake: a listening socket with a
 * full backlog (Linux then drops the SYNs), so connect() hangs; the
 * connect timeout must end it.
 */
START_TEST(connect_timeout)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct mxg_store *s;
	struct mxg_tuple t;
	struct mxg_grey_result r;
	struct timespec t0;
	char url[128];
	int lfd, cfd[4];
	double ms;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 0), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	for (int i = 0; i < 4; i++) { /* fill the backlog */
		cfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		ck_assert_int_ge(cfd[i], 0);
		(void)connect(cfd[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	usleep(50000);
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d?timeout=100ms",
	    ntohs(sin.sin_port));
	s = open_store(url);
	tuple(&t, "192.0.2.1", "a@example.org", "b@example.net");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(s->ops->decide(s, &t, &P, time(NULL), &r), MXG_ESTORE);
	ms = ms_since(&t0);
	ck_assert_msg(
	    ms >= 90 && ms < 600, "connect gave up after %.1f ms", ms);
	ck_assert_msg(strstr(logbuf, "cannot connect: no answer within 100 ms"),
	    "%s", logbuf);
	mxg_store_close(s);
	for (int i = 0; i < 4; i++)
		close(cfd[i]);
	close(lfd);
}
END_TEST

/* ---- passwords ---- */

START_TEST(auth)
{
	static const char *const extra[] = { "--requirepass", "s3cret", NULL };
	struct server sv;
	struct mxg_store *s;
	struct mxg_tuple t;
	struct mxg_grey_result r;
	redisContext *c;
	redisReply *rep;
	char url[300];
	time_t now = time(NULL);

	server_new(&sv, extra, NULL);
	tuple(&t, "192.0.2.1", "a@example.org", "b@example.net");

	log_reset();
	snprintf(url, sizeof(url), "redis://:wrong@127.0.0.1:%d", sv.port);
	s = open_store(url);
	ck_assert_int_eq(s->ops->decide(s, &t, &P, now, &r), MXG_ESTORE);
	ck_assert_ptr_nonnull(strstr(logbuf, "authentication failed"));
	ck_assert_ptr_nonnull(strstr(logbuf, "WRONGPASS"));
	ck_assert_ptr_null(strstr(logbuf, "wrong@"));
	ck_assert_int_eq(nerr, 1);
	mxg_store_close(s);

	log_reset();
	s = open_store(sv.url);
	ck_assert_int_eq(s->ops->decide(s, &t, &P, now, &r), MXG_ESTORE);
	ck_assert_msg(
	    strstr(logbuf, "authentication required") != NULL, "%s", logbuf);
	mxg_store_close(s);

	log_reset();
	snprintf(
	    url, sizeof(url), "redis://default:s3cret@127.0.0.1:%d/3", sv.port);
	s = open_store(url);
	ck_assert_int_eq(decide(s, &t, &P, now).reason, MXG_R_NEW);
	ck_assert_int_eq(decide(s, &t, &P, now + 1).reason, MXG_R_EARLY);
	ck_assert_int_eq(nerr, 0);
	mxg_store_close(s);

	/* a database the server does not have */
	log_reset();
	snprintf(url, sizeof(url), "redis://:s3cret@127.0.0.1:%d/99", sv.port);
	s = open_store(url);
	ck_assert_int_eq(s->ops->decide(s, &t, &P, now, &r), MXG_ESTORE);
	ck_assert_msg(
	    strstr(logbuf, "cannot select db 99") != NULL, "%s", logbuf);
	mxg_store_close(s);

	/* it went to db 3 */
	c = raw(&sv);
	freeReplyObject(redisCommand(c, "AUTH s3cret"));
	rep = redisCommand(c, "DBSIZE");
	ck_assert_int_eq(rep->integer, 0);
	freeReplyObject(rep);
	freeReplyObject(redisCommand(c, "SELECT 3"));
	rep = redisCommand(c, "DBSIZE");
	ck_assert_int_eq(rep->integer, 1);
	freeReplyObject(rep);
	redisFree(c);
	server_stop(&sv, SIGTERM);
}
END_TEST

/* ---- put + iterate: what migrate uses ---- */

static int
stop_first(void *arg, const struct mxg_store_entry *e)
{
	(void)e;
	++*(int *)arg;
	return -1;
}

static int
delete_ip(void *arg, const struct mxg_store_entry *e)
{
	(void)arg;
	return e->kind == MXG_KEY_IP;
}

static int
copy_into(void *arg, const struct mxg_store_entry *e)
{
	struct mxg_store *dst = arg;

	ck_assert_int_eq(dst->ops->put(dst, e), MXG_OK);
	return 0;
}

START_TEST(put_iterate)
{
	struct server sv;
	struct mxg_store *rs, *other, *t1, *t2;
	struct entries *in = calloc(1, sizeof(*in));
	struct entries *out = calloc(1, sizeof(*out));
	struct mxg_store_entry e;
	redisContext *c;
	char path[1024], url[300];
	time_t now = time(NULL);
	int n;

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	server_new(&sv, NULL, NULL);
	/* a glob character in the prefix must not widen the SCAN */
	snprintf(
	    url, sizeof(url), "redis://127.0.0.1:%d?prefix=g*[1]:", sv.port);
	rs = open_store(url);
	snprintf(
	    url, sizeof(url), "redis://127.0.0.1:%d?prefix=gXY1:", sv.port);
	other = open_store(url);
	for (int i = 0; i < 120; i++) {
		char ip[32], from[64];
		struct mxg_ip a;

		memset(&e, 0, sizeof(e));
		snprintf(
		    ip, sizeof(ip), i % 2 ? "2001:db8::%x" : "10.0.%d.1", i);
		snprintf(from, sizeof(from), "sender%d@example.org", i);
		ck_assert_int_eq(mxg_ip_parse(ip, &a), 0);
		ck_assert_int_eq(mxg_tuple_make(&e.tuple, &a, 32, 128, from,
		                     "rcpt@example.net"),
		    0);
		e.kind = i % 3 == 0 ? MXG_KEY_IP : MXG_KEY_TUPLE;
		if (e.kind == MXG_KEY_IP)
			e.tuple.sender[0] = e.tuple.rcpt[0] = '\0';
		e.rec.state = i % 2 ? MXG_REC_PENDING : MXG_REC_AUTOWHITE;
		e.rec.created = now - i;
		e.rec.until = now + 100 + i;
		e.rec.expire = now + 1000 + i;
		e.rec.hits = (uint32_t)i * 1000003u;
		ck_assert_int_eq(rs->ops->put(rs, &e), MXG_OK);
		ck_assert_int_eq(other->ops->put(other, &e), MXG_OK);
		in->e[in->n++] = e;
	}
	/* expired: not written */
	snprintf(e.tuple.rcpt, sizeof(e.tuple.rcpt), "dead@example.net");
	e.rec.expire = now - 1;
	ck_assert_int_eq(rs->ops->put(rs, &e), MXG_OK);
	ck_assert_int_eq(rs->ops->bump(rs), MXG_OK); /* a meta key */
	c = raw(&sv);
	freeReplyObject(redisCommand(c, "SET %s %s", "g*[1]:junk", "x"));
	freeReplyObject(redisCommand(
	    c, "SET %b %b", "g*[1]:T\0", (size_t)8, "short", (size_t)5));
	redisFree(c);

	out->alive_after = now;
	ck_assert_int_eq(rs->ops->iterate(rs, collect, out), MXG_OK);
	same_entries(in, out);
	n = 0;
	ck_assert_int_eq(rs->ops->iterate(rs, stop_first, &n), MXG_OK);
	ck_assert_int_eq(n, 1);

	/* migrate: redis → tdb → tdb' → redis (another prefix) */
	snprintf(path, sizeof(path), "%s/m1.tdb", tdir);
	unlink(path);
	ck_assert_int_eq(mxg_store_tdb_open(&t1, path, 1021, 0, &LOG), MXG_OK);
	ck_assert_int_eq(rs->ops->iterate(rs, copy_into, t1), MXG_OK);
	snprintf(path, sizeof(path), "%s/m2.tdb", tdir);
	unlink(path);
	ck_assert_int_eq(mxg_store_tdb_open(&t2, path, 1021, 0, &LOG), MXG_OK);
	ck_assert_int_eq(t1->ops->iterate(t1, copy_into, t2), MXG_OK);
	snprintf(
	    url, sizeof(url), "redis://127.0.0.1:%d/1?prefix=back:", sv.port);
	mxg_store_close(other);
	other = open_store(url);
	ck_assert_int_eq(t2->ops->iterate(t2, copy_into, other), MXG_OK);
	out->n = 0;
	ck_assert_int_eq(other->ops->iterate(other, collect, out), MXG_OK);
	same_entries(in, out);

	/* fn returning 1 deletes */
	ck_assert_int_eq(rs->ops->iterate(rs, delete_ip, NULL), MXG_OK);
	out->n = 0;
	ck_assert_int_eq(rs->ops->iterate(rs, collect, out), MXG_OK);
	ck_assert_int_eq(out->n, 80);
	for (int i = 0; i < out->n; i++)
		ck_assert_int_eq(out->e[i].kind, MXG_KEY_TUPLE);
	ck_assert_int_eq(nerr, 0);
	mxg_store_close(rs);
	mxg_store_close(other);
	mxg_store_close(t1);
	mxg_store_close(t2);
	free(in);
	free(out);
	server_stop(&sv, SIGTERM);
}
END_TEST

/* Many SCAN batches: every record seen (SCAN may repeat one, not miss). */
#define NMANY 2500

struct seen {
	unsigned char hit[NMANY];
	long calls;
};

static int
mark(void *arg, const struct mxg_store_entry *e)
{
	struct seen *sn = arg;
	unsigned i;

	sn->calls++;
	ck_assert_int_eq(e->kind, MXG_KEY_TUPLE);
	ck_assert_int_eq(sscanf(e->tuple.sender, "s%u@", &i), 1);
	ck_assert_uint_lt(i, NMANY);
	ck_assert_uint_eq(e->rec.hits, i);
	sn->hit[i] = 1;
	return 0;
}

START_TEST(iterate_many)
{
	struct server sv;
	struct mxg_store *s;
	struct mxg_store_entry e;
	struct seen *sn = calloc(1, sizeof(*sn));
	struct mxg_ip a;
	time_t now = time(NULL);
	int n = 0;

	ck_assert_ptr_nonnull(sn);
	server_new(&sv, NULL, NULL);
	s = open_store(sv.url);
	ck_assert_int_eq(mxg_ip_parse("192.0.2.9", &a), 0);
	for (unsigned i = 0; i < NMANY; i++) {
		char from[64];

		memset(&e, 0, sizeof(e));
		snprintf(from, sizeof(from), "s%u@example.org", i);
		ck_assert_int_eq(
		    mxg_tuple_make(&e.tuple, &a, 32, 64, from, "r@example.net"),
		    0);
		e.kind = MXG_KEY_TUPLE;
		e.rec.state = MXG_REC_PENDING;
		e.rec.created = now;
		e.rec.until = now + 60;
		e.rec.expire = now + 3600;
		e.rec.hits = i;
		ck_assert_int_eq(s->ops->put(s, &e), MXG_OK);
	}
	ck_assert_int_eq(s->ops->iterate(s, mark, sn), MXG_OK);
	for (int i = 0; i < NMANY; i++)
		n += sn->hit[i];
	ck_assert_int_eq(n, NMANY);
	ck_assert_int_ge(sn->calls, NMANY);
	ck_assert_int_eq(nerr, 0);
	mxg_store_close(s);
	free(sn);
	server_stop(&sv, SIGTERM);
}
END_TEST

/* ---- unix socket, fork ---- */

START_TEST(unix_socket_and_fork)
{
	struct server sv;
	struct mxg_store *s;
	struct mxg_tuple t[2];
	time_t now = time(NULL);
	char cwd[512], sock[1024];
	pid_t pid;
	int st, bad = 0;

	memset(&sv, 0, sizeof(sv));
	sv.port = free_port(); /* only names the log file */
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	snprintf(sock, sizeof(sock), "%s/%s/redis.sock", cwd, tdir);
	ck_assert_int_lt(strlen(sock), sizeof(sv.sock));
	memcpy(sv.sock, sock, strlen(sock) + 1);
	unlink(sv.sock);
	snprintf(
	    sv.url, sizeof(sv.url), "redis://%s?prefix=u:&timeout=1s", sv.sock);
	server_start(&sv, NULL);
	tuple(&t[0], "192.0.2.1", "a@example.org", "b@example.net");
	tuple(&t[1], "192.0.2.2", "other@example.org", "b@example.net");
	s = open_store(sv.url);
	ck_assert_int_eq(decide(s, &t[0], &P, now).reason, MXG_R_NEW);
	/* the child must not talk over the parent's socket */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct mxg_grey_result r;

		for (int i = 0; i < 500; i++)
			if (s->ops->decide(s, &t[1], &P, now, &r) != MXG_OK ||
			    r.reason != (i == 0 ? MXG_R_NEW : MXG_R_EARLY)) {
				fprintf(stderr, "child: step %d: %d\n%s", i,
				    r.reason, logbuf);
				_exit(1);
			}
		_exit(0);
	}
	for (int i = 0; i < 500; i++) {
		struct mxg_grey_result r;

		if (s->ops->decide(s, &t[0], &P, now + 1, &r) != MXG_OK ||
		    r.reason != MXG_R_EARLY || r.remaining != 1799)
			bad++;
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(bad, 0);
	mxg_store_close(s);
	server_stop(&sv, SIGTERM);
	unlink(sv.sock);
}
END_TEST

static Suite *
suite(void)
{
	Suite *su = suite_create("store_redis");
	TCase *tc = tcase_create("url");

	tcase_add_test(tc, url_forms);
	tcase_add_test(tc, sha1_vectors);
	suite_add_tcase(su, tc);
	tc = tcase_create("server");
	tcase_add_checked_fixture(tc, log_reset, NULL); /* for CK_FORK=no */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, two_hosts);
	tcase_add_test(tc, two_engines);
	tcase_add_test(tc, same_as_mxg_grey);
	tcase_add_test(tc, boundaries);
	tcase_add_test(tc, same_as_tdb);
	tcase_add_test(tc, hammer);
	tcase_add_test(tc, outage);
	tcase_add_test(tc, kill_midrun);
	tcase_add_test(tc, connect_timeout);
	tcase_add_test(tc, auth);
	tcase_add_test(tc, put_iterate);
	tcase_add_test(tc, iterate_many);
	tcase_add_test(tc, unix_socket_and_fork);
	suite_add_tcase(su, tc);
	return su;
}

static int
have_redis_server(void)
{
	return system("command -v redis-server >/dev/null 2>&1") == 0;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (!have_redis_server()) {
		printf("redis-server not installed (apt-get install "
		       "redis-server)\n");
		return 77;
	}
	snprintf(tdir, sizeof(tdir), "%s", mxg_test_dir("store_redis"));
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (failed == 0) { /* keep the server logs only when needed */
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
		if (system(cmd) != 0)
			return 1;
	} else
		printf("server logs in %s\n", tdir);
	return failed == 0 ? 0 : 1;
}
