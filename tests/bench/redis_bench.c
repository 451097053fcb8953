/*
 * redis_bench: greylisting decisions per second and their latency
 * (p50/p99/max) through the store layer, PROCS concurrent processes each
 * with its own handle, on a tdb file or a Redis URL; run both in one go
 * with tests/bench/redis_bench.sh.
 *
 *   redis_bench STORE TUPLES DECISIONS PROCS [RATE]
 *
 * STORE is anything mxg_store_open() takes. Without RATE each process
 * decides back to back (saturation: the rate is the most the machine
 * does, latency is mostly queueing); with RATE each process starts one
 * decision every 1/RATE s (an offered load, as MTA workers give: the
 * latency is what one decision costs at that load). Each decision picks
 * one of TUPLES tuples at random (so most are EARLY retries, some NEW)
 * with the default parameters (greylist 30m, autowhite 1d, timeout 5d).
 * Prints one line:
 *   store=S procs=P offered=O decisions=N rate=R/s p50=Xus p99=Yus
 *   max=Zus errors=E
 * Benchmark only: not part of `make check`.
 */
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mxg_store.h"

static const struct mxg_grey_params P = {
	.delay = 1800, .autowhite = 86400, .timeout = 432000
};

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
die(const char *what)
{
	fprintf(stderr, "redis_bench: %s\n", what);
	exit(2);
}

static void
logline(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	fprintf(stderr, "redis_bench: %s\n", msg);
}

static int
cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

static void
child(const char *spec, long tuples, long n, int me, int procs, long rate,
    float *lat, long *errors)
{
	struct timespec next;
	struct mxg_log log = { logline, NULL };
	struct mxg_store *s;
	struct mxg_tuple t;
	struct mxg_grey_result r;
	unsigned seed = (unsigned)(me * 7919 + 17);
	char ip[32], from[64], to[64];

	if (mxg_store_open(&s, spec, 0, 0, &log) != MXG_OK)
		die("cannot open the store");
	clock_gettime(CLOCK_MONOTONIC, &next);
	if (rate > 0) { /* spread the processes over one period */
		next.tv_nsec += (1000000000L / rate) / procs * me;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
	}
	for (long i = 0; i < n; i++) {
		struct mxg_ip a;
		long k;
		double t0;

		seed = seed * 1103515245u + 12345u;
		k = (long)((seed >> 4) % (unsigned long)tuples);
		snprintf(ip, sizeof(ip), "10.%ld.%ld.%ld", (k >> 16) & 255,
		    (k >> 8) & 255, k & 255);
		snprintf(from, sizeof(from), "sender%ld@example.org", k % 1000);
		snprintf(to, sizeof(to), "user%ld@example.net", k);
		if (mxg_ip_parse(ip, &a) != 0 ||
		    mxg_tuple_make(&t, &a, 32, 64, from, to) != 0)
			die("bad tuple");
		if (rate > 0) {
			next.tv_nsec += 1000000000L / rate;
			if (next.tv_nsec >= 1000000000L) {
				next.tv_sec++;
				next.tv_nsec -= 1000000000L;
			}
			clock_nanosleep(
			    CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		}
		t0 = now_us();
		if (s->ops->decide(s, &t, &P, time(NULL), &r) != MXG_OK)
			errors[me]++;
		lat[i] = (float)(now_us() - t0);
	}
	mxg_store_close(s);
	_exit(0);
}

/* Create the store (a tdb file) and load the script before the race. */
static void
warm(const char *spec)
{
	struct mxg_log log = { logline, NULL };
	struct mxg_store *s;
	struct mxg_tuple t;
	struct mxg_grey_result r;
	struct mxg_ip a;

	if (mxg_store_open(&s, spec, 0, 0, &log) != MXG_OK ||
	    mxg_ip_parse("192.0.2.1", &a) != 0 ||
	    mxg_tuple_make(
	        &t, &a, 32, 64, "warm@example.org", "warm@example.net") != 0 ||
	    s->ops->decide(s, &t, &P, time(NULL), &r) != MXG_OK)
		die("cannot use the store");
	mxg_store_close(s);
}

int
main(int argc, char **argv)
{
	long tuples, n, total, *errors, nerr = 0, rate;
	int procs, st;
	float *lat;
	double t0, secs;
	size_t bytes;

	if (argc != 5 && argc != 6)
		die("usage: redis_bench STORE TUPLES DECISIONS PROCS [RATE]");
	rate = argc == 6 ? atol(argv[5]) : 0;
	tuples = atol(argv[2]);
	n = atol(argv[3]);
	procs = atoi(argv[4]);
	if (tuples < 1 || n < 1 || procs < 1 || procs > 64 || rate < 0 ||
	    rate > 1000000)
		die("bad numbers");
	total = n * procs;
	bytes = (size_t)total * sizeof(float) + 64 * sizeof(long);
	lat = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (lat == MAP_FAILED)
		die("mmap");
	errors = (long *)(void *)(lat + total);
	memset(errors, 0, 64 * sizeof(long));
	warm(argv[1]);
	t0 = now_us();
	for (int i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0)
			child(argv[1], tuples, n, i, procs, rate,
			    lat + (long)i * n, errors);
	}
	for (int i = 0; i < procs; i++) {
		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			die("a worker failed");
	}
	secs = (now_us() - t0) / 1e6;
	for (int i = 0; i < procs; i++)
		nerr += errors[i];
	qsort(lat, (size_t)total, sizeof(float), cmp_float);
	printf("store=%s procs=%d offered=%s decisions=%ld rate=%.0f/s "
	       "p50=%.1fus p99=%.1fus max=%.1fus errors=%ld\n",
	    strncmp(argv[1], "redis://", 8) == 0 ? "redis" : "tdb", procs,
	    argc == 6 ? argv[5] : "max", total, (double)total / secs,
	    (double)lat[total / 2], (double)lat[total * 99 / 100],
	    (double)lat[total - 1], nerr);
	munmap(lat, bytes);
	return nerr == 0 ? 0 : 1;
}
