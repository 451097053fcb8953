/*
 * mxg_engine.h: the engine's insides, shared by mxg_engine.c (blocking
 * decisions), mxg_pending.c (non-blocking ones) and mxg_admin.c (store
 * walks). Not part of the public API.
 */
#ifndef MXG_ENGINE_H
#define MXG_ENGINE_H

#include <sys/types.h>

#include "mxgrey.h"
#include "mxg_lookup.h"
#include "mxg_rules.h"
#include "mxg_store.h"
#include "mxg_tuple.h"

struct mxg_pending;

struct mxg_engine {
	struct mxg_host host;
	struct mxg_log log;
	char *rules_path;
	char *store_override;        /* from mxg_open, or NULL */
	struct mxg_ruleset *rules;   /* NULL: failed at open: fail safe */
	struct mxg_store *store;     /* NULL until first needed */
	struct mxg_lookup *lookup;   /* DNS/GeoIP; made on first need */
	pid_t lookup_pid;            /* process that made it */
	int lookup_stale;            /* rules changed: make it anew */
	struct mxg_pending *pending; /* non-blocking checks under way */
	char *store_spec;            /* what store was opened with */
	unsigned store_flags;        /* more MXG_STORE_* (mxgreyctl) */
	unsigned long generation;    /* reload generation seen */
	time_t gen_checked;          /* second of the last look at it */
	int gen_known;
	unsigned logged;             /* ONCE_* bits */
	char sbuf[MXG_ADDR_MAX + 1]; /* sender without <>, this request */
	char rbuf[MXG_ADDR_MAX + 1]; /* recipient without <> */
};

/* mxg_engine_config: the rules' settings, or defaults without rules. */
const struct mxg_config *mxg_engine_config(const struct mxg_engine *e);

/* mxg_engine_now: req_now, else the host clock, else time(NULL). */
time_t mxg_engine_now(const struct mxg_engine *e, time_t req_now);

/* mxg_engine_store: open the store if not yet (or moved). MXG_OK. */
int mxg_engine_store(struct mxg_engine *e);

/*
 * mxg_engine_lookup: the lookup provider, made on first need and anew in
 * a forked child or after a reload. NULL when it cannot be made.
 */
struct mxg_lookup *mxg_engine_lookup(struct mxg_engine *e);

/* mxg_engine_failure: fill *v with the failure action, saying why. */
void mxg_engine_failure(
    const struct mxg_engine *e, struct mxg_verdict *v, const char *why);

/* mxg_engine_text: set code, enhanced code and text of *v. */
void mxg_engine_text(
    struct mxg_verdict *v, int code, const char *ecode, const char *text);

/* mxg_engine_verdict_clear: every member of *v to its empty value, the
   strings by their first byte only (no kilobyte memset per decision). */
void mxg_engine_verdict_clear(struct mxg_verdict *v);

/* mxg_engine_check_args: clear *v; MXG_EINVAL (and tempfail) on NULLs. */
int mxg_engine_check_args(
    struct mxg_engine *e, const struct mxg_request *req, struct mxg_verdict *v);

/*
 * mxg_engine_begin: fill ev for req (msg: DATA stage) and look at the
 * reload generation. ev->sender/rcpt point into the engine's buffers
 * (valid until the next call). On failure *v has the failure action.
 */
int mxg_engine_begin(struct mxg_engine *e, const struct mxg_request *req,
    const struct mxg_message *msg, struct mxg_eval *ev, int dryrun,
    struct mxg_verdict *v);

/*
 * mxg_engine_decide: rules over ev (lookups as ev->lookup says), then the
 * greylist step, then the reply text into *v.
 */
int mxg_engine_decide(struct mxg_engine *e, struct mxg_eval *ev,
    const struct mxg_message *msg, struct mxg_verdict *v, int dryrun);

/*
 * mxg_admin_existing_store: for mxgreyctl's commands that only look at
 * the store (linked statically; MTA hosts never call it): from now on e
 * never creates its store, and a tdb store that does not exist is an
 * error now, logged as "path: no such store". Returns MXG_OK, or
 * MXG_ESTORE/MXG_ENOMEM.
 */
int mxg_admin_existing_store(struct mxg_engine *e);

/* mxg_pending_close_all: cancel every non-blocking check (mxg_close). */
void mxg_pending_close_all(struct mxg_engine *e);

#endif
