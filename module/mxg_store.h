/*
 * mxg_store.h: the tuple store behind a small struct of function
 * pointers (Postfix dict style). Backends: tdb (embedded default) and
 * redis (several MX hosts).
 *
 * A store decides one tuple in one atomic step: read the record, apply
 * the greylisting state machine (mxg_grey.h), write the result. The tdb
 * backend runs mxg_grey_step() under a lock; the redis backend
 * runs the same state machine as a server-side script.
 */
#ifndef MXG_STORE_H
#define MXG_STORE_H

#include <stddef.h>
#include <time.h>

#include "mxg_grey.h"
#include "mxg_log.h"
#include "mxg_tuple.h"

struct mxg_store;

/* One record as dump, stats, purge and migrate see it. */
struct mxg_store_entry {
	int kind; /* MXG_KEY_TUPLE or MXG_KEY_IP */
	struct mxg_tuple tuple;
	struct mxg_record rec;
};

struct mxg_store_ops {
	const char *name;
	/*
	 * decide: atomically apply mxg_grey_step() to the record of t (and
	 * with p->lazyaw, the IP record). With p->dryrun nothing is written.
	 * Returns MXG_OK or MXG_ESTORE (logged by the backend once per
	 * cause).
	 */
	int (*decide)(struct mxg_store *s, const struct mxg_tuple *t,
	    const struct mxg_grey_params *p, time_t now,
	    struct mxg_grey_result *r);
	/* generation: read the reload generation (0 if never bumped) */
	int (*generation)(struct mxg_store *s, unsigned long *gen);
	/* bump: add one to the reload generation */
	int (*bump)(struct mxg_store *s);
	/*
	 * iterate: call fn for every record; fn returns 0 to go on, 1 to
	 * delete this record and go on, -1 to stop. No lock is held across
	 * records.
	 */
	int (*iterate)(struct mxg_store *s,
	    int (*fn)(void *arg, const struct mxg_store_entry *e), void *arg);
	/*
	 * check: look for damage (tdb: space leaked by a process killed mid
	 * write). Returns MXG_OK when clean, MXG_ESTORE when damaged (why
	 * says how). With repair, damage is rebuilt away first. NULL when
	 * the backend has nothing to check.
	 */
	int (*check)(struct mxg_store *s, int repair, char *why, size_t size);
	/* put: write one record as given (import-dump, migrate) */
	int (*put)(struct mxg_store *s, const struct mxg_store_entry *e);
	/* close: release everything; s is freed */
	void (*close)(struct mxg_store *s);
};

struct mxg_store {
	const struct mxg_store_ops *ops;
	struct mxg_log log;
};

/* mxg_store_open flags */
#define MXG_STORE_NOMMAP   0x1 /* tdb: pread/pwrite, never map the file */
/* tdb: a missing file is an error ("no such store"), never created */
#define MXG_STORE_NOCREATE 0x2

/*
 * mxg_store_open: open the store named by spec: "redis://..." (when built
 * with hiredis), else a tdb file path (created 0660 if absent, unless
 * MXG_STORE_NOCREATE; its directory must exist; an empty file is made a
 * store in place, any other file that is not a tdb is refused, never
 * overwritten). hashsize: tdb hash chains (0: the
 * default). flags: MXG_STORE_* (ignored by stores they do not concern).
 * Returns MXG_OK and *sp, or MXG_ESTORE/MXG_EPERM/MXG_ENOMEM (logged).
 */
int mxg_store_open(struct mxg_store **sp, const char *spec,
    unsigned long hashsize, unsigned flags, const struct mxg_log *log);

int mxg_store_tdb_open(struct mxg_store **sp, const char *path,
    unsigned long hashsize, unsigned flags, const struct mxg_log *log);
int mxg_store_redis_open(
    struct mxg_store **sp, const char *url, const struct mxg_log *log);

/* mxg_store_close: accepts NULL. */
void mxg_store_close(struct mxg_store *s);

#endif
