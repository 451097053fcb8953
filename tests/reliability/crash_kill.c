/*
 * crash_kill: worker processes hammer one store through mxg_check() while
 * the parent SIGKILLs random workers mid-flight and starts new ones.
 * Afterwards: what tdb_check() finds (space leaked or records torn by a
 * kill mid-write) is reported, mxg_fsck() repairs it to clean; no worker
 * ever waited longer than the
 * limit for a decision (no lock left behind by a killed worker), and
 * every autowhite entry whose decision had returned before a kill is in
 * the store.
 *
 *   crash_kill RULES STORE WORKERS KILLS
 * Exit 0 on success; prints figures. Workers report each tuple they saw
 * pass (PASSED) on a pipe only after mxg_check() returned.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tdb.h>

#include "mxgrey.h"

#define TUPLES      2000
#define MAX_WORKERS 16
#define SLOW_MS     2000 /* a decision slower than this: a hang */

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Tuple i: greylisted at T0, passes at T0 + 60 (greylist 1m). */
static void
tuple(int i, char *ip, char *from, char *rcpt)
{
	sprintf(ip, "10.9.%d.%d", i / 250, i % 250);
	sprintf(from, "s%c@example.org", 'a' + i % 26);
	sprintf(rcpt, "r%d@example.net", i);
}

/* A worker: forever, decide random tuples; report passes and hangs. */
static void
worker(const char *rules, const char *store, int out, unsigned seed)
{
	struct mxg_host host = { .api_version = MXGREY_API_VERSION };
	struct mxg_engine *e = NULL;
	struct mxg_request req;
	struct mxg_verdict v;
	char ip[32], from[64], rcpt[64], line[32];

	if (mxg_open(&e, rules, store, &host) != MXG_OK)
		_exit(3);
	memset(&req, 0, sizeof(req));
	req.client_addr = ip;
	req.sender = from;
	req.rcpt = rcpt;
	srand(seed);
	for (;;) {
		int i = rand() % TUPLES;
		double t0;

		tuple(i, ip, from, rcpt);
		/* half the time at T0 (greylist), half after the delay */
		req.now = 1700000000 + (rand() % 2 ? 0 : 120);
		t0 = now_ms();
		if (mxg_check(e, &req, &v) != MXG_OK)
			_exit(4);
		if (now_ms() - t0 > SLOW_MS)
			_exit(5);
		if (v.reason == MXG_R_PASSED || v.reason == MXG_R_AUTOWHITE) {
			int n = snprintf(line, sizeof(line), "%d\n", i);

			if (write(out, line, (size_t)n) != n)
				_exit(6);
		}
	}
}

static int seen[TUPLES];

static void
drain(int fd)
{
	char buf[4096];
	static char part[32];
	static size_t plen;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t k = 0; k < n; k++) {
			if (buf[k] == '\n') {
				part[plen] = '\0';
				seen[atoi(part)] = 1;
				plen = 0;
			} else if (plen < sizeof(part) - 1) {
				part[plen++] = buf[k];
			}
		}
}

static pid_t
spawn(const char *rules, const char *store, int out, unsigned seed)
{
	pid_t pid = fork();

	if (pid == 0)
		worker(rules, store, out, seed);
	return pid;
}

int
main(int argc, char **argv)
{
	pid_t pids[MAX_WORKERS];
	int fds[2], workers, kills, hangs = 0, died = 0, i;
	struct tdb_context *tdb;
	struct mxg_engine *e = NULL;
	struct mxg_host host = { .api_version = MXGREY_API_VERSION };
	double t0 = now_ms();
	int missing = 0, passed = 0, corrupt = 0, repaired = 0;
	const char *checked;
	char why[1024];

	if (argc != 5)
		return 2;
	workers = atoi(argv[3]);
	kills = atoi(argv[4]);
	if (workers < 1 || workers > MAX_WORKERS || kills < 1)
		return 2;
	unlink(argv[2]);
	if (pipe(fds) != 0)
		return 2;
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	srand((unsigned)getpid());
	for (i = 0; i < workers; i++)
		pids[i] = spawn(argv[1], argv[2], fds[1], (unsigned)rand());
	for (int k = 0; k < kills; k++) {
		int w = rand() % workers, st;
		struct timespec nap = { 0, (rand() % 3000 + 200) * 1000L };

		nanosleep(&nap, NULL);
		drain(fds[0]);
		kill(pids[w], SIGKILL);
		waitpid(pids[w], &st, 0);
		if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)) {
			if (WIFEXITED(st) && WEXITSTATUS(st) == 5)
				hangs++;
			else
				died++;
			fprintf(stderr, "worker exited by itself (status %d)\n",
			    st);
		}
		pids[w] = spawn(argv[1], argv[2], fds[1], (unsigned)rand());
	}
	for (i = 0; i < workers; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	drain(fds[0]);

	/*
	 * tdb without transactions: a kill mid-write may leak space (tdb_check
	 * then says so). Anything else is corruption. mxg_fsck repairs leaks.
	 */
	if (mxg_open(&e, argv[1], argv[2], &host) != MXG_OK)
		return 1;
	if (mxg_fsck(e, 0, why, sizeof(why)) == MXG_OK) {
		checked = "clean";
	} else {
		/* what the kills left: reported, then repaired */
		checked = "damaged";
		fprintf(stderr, "tdb_check before repair: %s\n", why);
		if (mxg_fsck(e, 1, why, sizeof(why)) != MXG_OK) {
			fprintf(stderr, "repair failed: %s\n", why);
			corrupt = 1;
		} else {
			repaired = 1;
		}
	}
	mxg_close(e);
	e = NULL;
	tdb = tdb_open(argv[2], 0, TDB_INCOMPATIBLE_HASH, O_RDONLY, 0);
	if (tdb == NULL || tdb_check(tdb, NULL, NULL) != 0) {
		fprintf(stderr, "tdb_check not clean after repair\n");
		corrupt = 1;
	}
	if (tdb != NULL)
		tdb_close(tdb);

	/* every reported pass must be autowhite now (at T0 + 120) */
	if (mxg_open(&e, argv[1], argv[2], &host) != MXG_OK)
		return 1;
	for (i = 0; i < TUPLES; i++) {
		char ip[32], from[64], rcpt[64];
		struct mxg_request req;
		struct mxg_verdict v;

		if (!seen[i])
			continue;
		passed++;
		tuple(i, ip, from, rcpt);
		memset(&req, 0, sizeof(req));
		req.client_addr = ip;
		req.sender = from;
		req.rcpt = rcpt;
		req.now = 1700000000 + 120;
		if (mxg_explain(e, &req, &v, NULL, NULL) != MXG_OK ||
		    v.reason != MXG_R_AUTOWHITE) {
			missing++;
			fprintf(stderr,
			    "tuple %d passed but is not autowhite "
			    "(reason %d)\n",
			    i, v.reason);
		}
	}
	mxg_close(e);
	printf("kills=%d workers=%d seconds=%.1f tdb_check=%s repaired=%s "
	       "passed_tuples=%d missing_autowhite=%d hangs=%d "
	       "other_deaths=%d\n",
	    kills, workers, (now_ms() - t0) / 1e3, checked,
	    repaired ? "yes,clean" : "no", passed, missing, hangs, died);
	return missing || hangs || died || corrupt ? 1 : 0;
}
