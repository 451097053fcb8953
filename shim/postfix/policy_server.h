/*
 * policy_server.h: the mxgrey-policyd event loop: one poll(2) loop over
 * the listening sockets and every persistent Postfix connection, one
 * engine.
 */
#ifndef POLICY_SERVER_H
#define POLICY_SERVER_H

#include <stddef.h>
#include <time.h>

#include "daemon.h"
#include "policy_attr.h"
#include "mxgrey.h"
#include "policy_answer.h"

#define MXG_POLICY_LISTEN_MAX 8

struct mxg_policy_server {
	struct mxg_engine *engine;
	struct mxg_policy_opts opts;
	struct mxg_daemon_log *log;
	int lfd[MXG_POLICY_LISTEN_MAX]; /* listening sockets */
	size_t nlisten;
	size_t max_conns; /* connections served at once */
	int idle;         /* seconds before an idle connection closes */
	int test_clock;   /* take the time from x_mxgrey_time= */
	/* counters, for the log at exit */
	unsigned long requests, errors;
};

/*
 * A decision waiting for its lookups (DNS) while the loop serves other
 * connections.
 */
struct mxg_policy_wait {
	struct mxg_pending *pend; /* NULL: none */
	char addr[64];            /* client address, for the log */
	char local[64];           /* server_address, for the header */
	time_t now;               /* the request's time; 0: the clock */
};

/*
 * mxg_policy_serve: run the loop until SIGTERM or SIGINT; SIGHUP reloads
 * the rules (mxg_reload: the old rules stay on error). Installs its own
 * signal handlers and ignores SIGPIPE. Returns 0 after a clean stop, -1
 * when the loop could not run (logged).
 */
int mxg_policy_serve(struct mxg_policy_server *srv);

/*
 * mxg_policy_stdio: answer requests read from fd in on fd out until end
 * of input (a test mode: golden files). Returns 0, or -1 on an I/O error.
 */
int mxg_policy_stdio(struct mxg_policy_server *srv, int in, int out);

/*
 * mxg_policy_handle: answer every complete request in in (len bytes) fed
 * through rd, appending answers to out (*outlen bytes used of outsize).
 * Stops early, before the next request, when fewer than
 * MXG_POLICY_ANSWER_MAX bytes of out are free, or, with w not NULL, when
 * a decision waits for lookups (w->pend set; mxg_policy_finish() later
 * appends its answer). With w NULL every decision blocks until made.
 * Returns the bytes of in consumed. The loop's core.
 */
size_t mxg_policy_handle(struct mxg_policy_server *srv,
    struct mxg_policy_reader *rd, const char *in, size_t len, char *out,
    size_t *outlen, size_t outsize, struct mxg_policy_wait *w);

/*
 * mxg_policy_finish: when w's decision is made, append its answer to out
 * and return 1 (w->pend is then NULL); 0 while it still waits.
 */
int mxg_policy_finish(struct mxg_policy_server *srv, struct mxg_policy_wait *w,
    char *out, size_t *outlen, size_t outsize);

#endif
