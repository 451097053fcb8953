/*
 * soak: PROCS processes each make DECISIONS decisions (mixed verdicts:
 * whitelisted, blacklisted, greylisted, passed, autowhite), reloading the
 * rules every 100k and purging now and then, while the clock runs on so
 * tuples keep expiring. Checks that resident memory stays flat and the
 * store stays bounded by the live tuples.
 *
 *   soak RULES STORE PROCS DECISIONS
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mxgrey.h"

static long
rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static int
work(const char *rules, const char *store, long n, int w)
{
	struct mxg_host host = { .api_version = MXGREY_API_VERSION };
	struct mxg_engine *e = NULL;
	struct mxg_request req;
	struct mxg_verdict v;
	char ip[32], from[64], rcpt[64];
	long counts[4] = { 0, 0, 0, 0 }, rss_early = 0, rss_end;
	unsigned seed = (unsigned)w * 7919u + 1;

	if (mxg_open(&e, rules, store, &host) != MXG_OK)
		return 1;
	memset(&req, 0, sizeof(req));
	req.client_addr = ip;
	req.sender = from;
	req.rcpt = rcpt;
	for (long i = 0; i < n; i++) {
		/* the clock runs: one simulated second per 50 decisions */
		long t = i / 50;
		long id = t / 10 + rand_r(&seed) % 3000;

		req.now = 1700000000 + t + (rand_r(&seed) % 4 == 0 ? 700 : 0);
		snprintf(ip, sizeof(ip), "%d.%ld.%ld.%ld",
		    id % 50 == 0       ? 127
		        : id % 50 == 1 ? 203
		                       : 10,
		    (id >> 16) & 255, (id >> 8) & 255, id & 255);
		snprintf(from, sizeof(from), "s%c%c@example.org",
		    'a' + (char)(id % 26), 'a' + (char)(id / 26 % 26));
		snprintf(rcpt, sizeof(rcpt), "r%ld@example.net", id);
		if (mxg_check(e, &req, &v) != MXG_OK)
			return 2;
		counts[v.action]++;
		if (i % 100000 == 99999 && mxg_reload(e) != MXG_OK)
			return 3;
		if (i % 200000 == 199999 && w == 0) {
			unsigned long removed;

			if (mxg_purge(e, req.now, &removed) != MXG_OK)
				return 4;
		}
		if (i == n / 10)
			rss_early = rss_kb();
	}
	rss_end = rss_kb();
	printf("worker %d: accept %ld greylist %ld reject %ld tempfail %ld "
	       "rss %ld->%ld KB\n",
	    w, counts[0], counts[1], counts[2], counts[3], rss_early, rss_end);
	mxg_close(e);
	if (counts[0] == 0 || counts[1] == 0 || counts[2] == 0 ||
	    counts[3] != 0)
		return 5; /* not the mix we wanted, or failures */
	return rss_early > 0 && rss_end > rss_early + rss_early / 10 + 64 ? 6
	                                                                  : 0;
}

int
main(int argc, char **argv)
{
	int procs, bad = 0;
	long n;
	struct stat st;

	if (argc != 5)
		return 2;
	procs = atoi(argv[3]);
	n = atol(argv[4]);
	unlink(argv[2]);
	fflush(stdout);
	for (int w = 0; w < procs; w++) {
		pid_t pid = fork();

		if (pid < 0)
			return 2;
		if (pid == 0) {
			int rc = work(argv[1], argv[2], n, w);

			fflush(stdout);
			_exit(rc);
		}
	}
	for (int w = 0; w < procs; w++) {
		int status;

		wait(&status);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "worker failed: status %d\n", status);
			bad = 1;
		}
	}
	if (stat(argv[2], &st) == 0)
		printf("store file %lld bytes\n", (long long)st.st_size);
	return bad;
}
