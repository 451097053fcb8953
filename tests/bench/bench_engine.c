/*
 * bench_engine: decisions per second through mxg_check() against the raw
 * tdb read-modify-write it is built on, and against a policy server
 * (postgrey) answering the same tuples over one persistent connection.
 *
 *   bench_engine engine RULES STORE TUPLES DECISIONS PROCS
 *   bench_engine rawtdb STORE TUPLES DECISIONS PROCS
 *   bench_engine rawtxn STORE TUPLES DECISIONS PROCS  (a transaction each)
 *   bench_engine policy HOST PORT TUPLES DECISIONS
 *   bench_engine fill RULES STORE COUNT          (COUNT distinct tuples)
 *   bench_engine size STORE                      (bytes per tuple: the
 *                                                  file, and without
 *                                                  the free space)
 *   bench_engine stall RULES STORE TUPLES SECONDS (worst decision latency
 *                                                  while the caller purges)
 * Prints one line "MODE rate=N/s ..." per run. Benchmarks only: not part
 * of `make check`.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tdb.h>

#include "mxgrey.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
tuple_strings(
    long i, char *ip, size_t ipl, char *from, size_t fl, char *rcpt, size_t rl)
{
	snprintf(ip, ipl, "10.%ld.%ld.%ld", (i >> 16) & 255, (i >> 8) & 255,
	    i & 255);
	snprintf(from, fl, "sender%ld@example.org", i % 1000);
	snprintf(rcpt, rl, "user%ld@example.net", i);
}

static void
die(const char *what)
{
	fprintf(stderr, "bench_engine: %s\n", what);
	exit(2);
}

static struct mxg_engine *
engine(const char *rules, const char *store)
{
	struct mxg_host host = { .api_version = MXGREY_API_VERSION };
	struct mxg_engine *e = NULL;

	if (mxg_open(&e, rules, store, &host) != MXG_OK)
		die("cannot open the engine (rules?)");
	return e;
}

static long
run_engine(struct mxg_engine *e, long tuples, long n, int worker)
{
	char ip[32], from[64], rcpt[64];
	struct mxg_request req;
	struct mxg_verdict v;
	long bad = 0;

	memset(&req, 0, sizeof(req));
	req.client_addr = ip;
	req.sender = from;
	req.rcpt = rcpt;
	req.helo = "mail.example.org";
	req.now = 1700000000;
	for (long i = 0; i < n; i++) {
		tuple_strings((i * 7 + worker) % tuples, ip, sizeof(ip), from,
		    sizeof(from), rcpt, sizeof(rcpt));
		if (mxg_check(e, &req, &v) != MXG_OK)
			bad++;
	}
	return bad;
}

static int
raw_parse(TDB_DATA k, TDB_DATA d, void *arg)
{
	(void)k;
	memcpy(arg, d.dptr, d.dsize < 32 ? d.dsize : 32);
	return 0;
}

static int raw_txn; /* rawtxn mode: one transaction per decision */

static long
run_raw(struct tdb_context *tdb, long tuples, long n, int worker)
{
	char ip[32], from[64], rcpt[64];
	unsigned char key[256], val[32] = { 0 };
	long bad = 0;

	for (long i = 0; i < n; i++) {
		TDB_DATA k = { key, 0 }, d = { val, sizeof(val) };
		int len;

		tuple_strings((i * 7 + worker) % tuples, ip, sizeof(ip), from,
		    sizeof(from), rcpt, sizeof(rcpt));
		len = snprintf(
		    (char *)key, sizeof(key), "%s/%s/%s", ip, from, rcpt);
		k.dsize = (size_t)len;
		if (raw_txn) {
			if (tdb_transaction_start(tdb) != 0) {
				bad++;
				continue;
			}
			(void)tdb_parse_record(tdb, k, raw_parse, val);
			val[4]++;
			if (tdb_store(tdb, k, d, TDB_REPLACE) != 0 ||
			    tdb_transaction_commit(tdb) != 0)
				bad++;
			continue;
		}
		if (tdb_chainlock(tdb, k) != 0) {
			bad++;
			continue;
		}
		(void)tdb_parse_record(tdb, k, raw_parse, val);
		val[4]++;
		if (tdb_store(tdb, k, d, TDB_REPLACE) != 0)
			bad++;
		tdb_chainunlock(tdb, k);
	}
	return bad;
}

/* Fork procs workers; each runs fn; returns the aggregate rate. */
static double
fan_out(int procs, long n, long (*fn)(void *, long, long, int), void *arg,
    long tuples)
{
	double t0 = now_s();
	int failed = 0;

	for (int w = 0; w < procs; w++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0)
			_exit(fn(arg, tuples, n, w) == 0 ? 0 : 1);
	}
	for (int w = 0; w < procs; w++) {
		int st;

		wait(&st);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			failed = 1;
	}
	if (failed)
		die("a worker failed");
	return (double)n * procs / (now_s() - t0);
}

struct eng_arg {
	const char *rules, *store;
};

static long
engine_worker(void *arg, long tuples, long n, int w)
{
	struct eng_arg *a = arg;
	struct mxg_engine *e = engine(a->rules, a->store);
	long bad = run_engine(e, tuples, n, w);

	mxg_close(e);
	return bad;
}

static long
raw_worker(void *arg, long tuples, long n, int w)
{
	struct tdb_context *tdb = tdb_open(arg, 1048573,
	    TDB_NOSYNC | TDB_INCOMPATIBLE_HASH, O_RDWR | O_CREAT, 0660);
	long bad;

	if (tdb == NULL)
		return 1;
	bad = run_raw(tdb, tuples, n, w);
	tdb_close(tdb);
	return bad;
}

static int
policy_connect(const char *host, int port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	if (fd < 0 || inet_pton(AF_INET, host, &sin.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0)
		die("cannot connect to the policy server");
	return fd;
}

/* One request, read the answer up to the empty line. */
static int
policy_ask(int fd, const char *ip, const char *from, const char *rcpt)
{
	char req[1024], buf[4096];
	size_t have = 0;
	int len = snprintf(req, sizeof(req),
	    "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "protocol_name=ESMTP\nclient_address=%s\n"
	    "client_name=unknown\nhelo_name=mail.example.org\n"
	    "sender=%s\nrecipient=%s\n\n",
	    ip, from, rcpt);

	if (write(fd, req, (size_t)len) != len)
		return -1;
	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - 1 - have);

		if (r <= 0)
			return -1;
		have += (size_t)r;
		buf[have] = '\0';
		if (have >= 2 && strstr(buf, "\n\n") != NULL)
			return 0;
		if (have >= sizeof(buf) - 1)
			return -1;
	}
}

static void
usage(void)
{
	die("usage: see the comment at the top of bench_engine.c");
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "engine") == 0 && argc == 7) {
		struct eng_arg a = { argv[2], argv[3] };
		long tuples = atol(argv[4]), n = atol(argv[5]);
		int procs = atoi(argv[6]);

		/* warm: every tuple exists, so decisions are retries (a
		   store made by `fill` is warm already) */
		if (getenv("BENCH_NOWARM") == NULL)
			engine_worker(&a, tuples, tuples, 0);
		printf("engine procs=%d tuples=%ld rate=%.0f/s\n", procs,
		    tuples, fan_out(procs, n, engine_worker, &a, tuples));
		return 0;
	}
	if (strcmp(argv[1], "rawtxn") == 0 && argc == 6) {
		long tuples = atol(argv[3]), n = atol(argv[4]);
		int procs = atoi(argv[5]);

		raw_txn = 1;
		raw_worker(argv[2], tuples, tuples, 0);
		printf("rawtxn procs=%d tuples=%ld rate=%.0f/s\n", procs,
		    tuples, fan_out(procs, n, raw_worker, argv[2], tuples));
		return 0;
	}
	if (strcmp(argv[1], "rawtdb") == 0 && argc == 6) {
		long tuples = atol(argv[3]), n = atol(argv[4]);
		int procs = atoi(argv[5]);

		raw_worker(argv[2], tuples, tuples, 0);
		printf("rawtdb procs=%d tuples=%ld rate=%.0f/s\n", procs,
		    tuples, fan_out(procs, n, raw_worker, argv[2], tuples));
		return 0;
	}
	if (strcmp(argv[1], "policy") == 0 && argc == 6) {
		int fd = policy_connect(argv[2], atoi(argv[3]));
		long tuples = atol(argv[4]), n = atol(argv[5]);
		char ip[32], from[64], rcpt[64];
		double t0 = now_s();

		for (long i = 0; i < n; i++) {
			tuple_strings((i * 7) % tuples, ip, sizeof(ip), from,
			    sizeof(from), rcpt, sizeof(rcpt));
			if (policy_ask(fd, ip, from, rcpt) != 0)
				die("policy server stopped answering");
		}
		printf("policy tuples=%ld rate=%.0f/s\n", tuples,
		    (double)n / (now_s() - t0));
		close(fd);
		return 0;
	}
	if (strcmp(argv[1], "fill") == 0 && argc == 5) {
		struct mxg_engine *e = engine(argv[2], argv[3]);
		long count = atol(argv[4]);
		double t0 = now_s();

		if (run_engine(e, count, count, 0) != 0)
			die("fill: decisions failed");
		printf("fill tuples=%ld rate=%.0f/s\n", count,
		    (double)count / (now_s() - t0));
		mxg_close(e);
		return 0;
	}
	if (strcmp(argv[1], "size") == 0 && argc == 3) {
		struct tdb_context *tdb =
		    tdb_open(argv[2], 0, TDB_INCOMPATIBLE_HASH, O_RDONLY, 0);
		char *sum, *l;
		long long file = 0, nrec = 0, nfree = 0, avgfree = 0, x, y;

		if (tdb == NULL || (sum = tdb_summary(tdb)) == NULL)
			die("size: cannot read the store");
		for (l = strtok(sum, "\n"); l != NULL; l = strtok(NULL, "\n")) {
			sscanf(l, "Size of file/data: %lld/%lld", &file, &x);
			sscanf(l, "Number of records: %lld", &nrec);
			sscanf(l, "Number of free records: %lld", &nfree);
			sscanf(l,
			    "Smallest/average/largest free records: "
			    "%lld/%lld/%lld",
			    &x, &avgfree, &y);
		}
		free(sum);
		tdb_close(tdb);
		if (nrec == 0)
			die("size: empty store");
		printf("size records=%lld file=%lld bytes/tuple=%.1f "
		       "without-free-space=%.1f\n",
		    nrec, file, (double)file / nrec,
		    (double)(file - nfree * avgfree) / nrec);
		return 0;
	}
	if (strcmp(argv[1], "stall") == 0 && argc == 6) {
		struct mxg_engine *e = engine(argv[2], argv[3]);
		long tuples = atol(argv[4]), i = 0;
		double end = now_s() + atof(argv[5]), worst = 0;
		char ip[32], from[64], rcpt[64];
		struct mxg_request req;
		struct mxg_verdict v;

		memset(&req, 0, sizeof(req));
		req.client_addr = ip;
		req.sender = from;
		req.rcpt = rcpt;
		req.now = 1700000000;
		tuple_strings(
		    0, ip, sizeof(ip), from, sizeof(from), rcpt, sizeof(rcpt));
		mxg_check(e, &req, &v); /* opens the store: not measured */
		while (now_s() < end) {
			double t0;

			tuple_strings(i++ % tuples, ip, sizeof(ip), from,
			    sizeof(from), rcpt, sizeof(rcpt));
			t0 = now_s();
			mxg_check(e, &req, &v);
			if (now_s() - t0 > worst)
				worst = now_s() - t0;
		}
		printf("stall decisions=%ld worst=%.3fms\n", i, worst * 1e3);
		mxg_close(e);
		return 0;
	}
	usage();
	return 2;
}
