/*
 * mxg_store_tdb.c: the embedded tuple store, one tdb file that every MTA
 * worker process opens directly.
 *
 * Lessons from DESIGN.md: open lazily and reopen after fork (pid check);
 * fcntl locking, never TDB_CLEAR_IF_FIRST; tdb_chainlock around every
 * read-modify-write; a large hash; tdb_parse_record on the hot path;
 * expiry by a bounded sweep, never a full traverse on the RCPT path.
 *
 * Durability: no transactions and no fsync (TDB_NOSYNC). A crash of a
 * worker mid-write can lose at most the record it was writing; the
 * greylist then asks that sender once more. That is the trade every
 * greylisting store makes for sub-microsecond writes.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tdb.h>

#include "mxg_store.h"

#define DEFAULT_HASHSIZE	1048573	/* prime; 4 MB of chain heads */
#define SWEEP_EVERY		4096	/* decisions between two sweeps */
#define SWEEP_RECORDS		64	/* records looked at per sweep */

struct tdb_store {
	struct mxg_store base;
	struct tdb_context *tdb;
	char *path;
	unsigned long hashsize;
	pid_t pid;
	unsigned long decisions;
	TDB_DATA cursor;	/* sweep position; dptr NULL: start */
	int failing;		/* an outage is being reported */
};

#define GEN_KEY_INIT { MXG_KEY_META, 'g', 'e', 'n' }

static int
fail_once(struct tdb_store *s, const char *what)
{
	if (!s->failing)
		mxg_log(&s->base.log, MXG_LOG_ERR,
		    "mxgrey: tuple store %s: %s: %s", s->path, what,
		    s->tdb ? tdb_errorstr(s->tdb) : strerror(errno));
	s->failing = 1;
	return MXG_ESTORE;
}

static void
recovered(struct tdb_store *s)
{
	if (s->failing)
		mxg_log(&s->base.log, MXG_LOG_NOTICE,
		    "mxgrey: tuple store %s: working again", s->path);
	s->failing = 0;
}

/* Refuse a world-writable store or store directory (unless sticky). */
static int
check_perms(struct tdb_store *s)
{
	struct stat st;
	char *dir, *slash;
	int rc = MXG_OK;

	if ((dir = strdup(s->path)) == NULL)
		return MXG_ENOMEM;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash != NULL)
		*slash = '\0';
	else
		strcpy(dir, ".");
	if (stat(dir, &st) != 0) {
		if (!s->failing)
			mxg_log(&s->base.log, MXG_LOG_ERR,
			    "mxgrey: tuple store directory %s: %s", dir,
			    strerror(errno));
		rc = MXG_ESTORE;
	} else if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		if (!s->failing)
			mxg_log(&s->base.log, MXG_LOG_ERR,
			    "mxgrey: tuple store directory %s is "
			    "world-writable; refusing to use it", dir);
		rc = MXG_EPERM;
	} else if (stat(s->path, &st) == 0 && (st.st_mode & S_IWOTH)) {
		if (!s->failing)
			mxg_log(&s->base.log, MXG_LOG_ERR,
			    "mxgrey: tuple store %s is world-writable; "
			    "refusing to use it (chmod o-w)", s->path);
		rc = MXG_EPERM;
	}
	free(dir);
	return rc;
}

/* Open the file now (first use, or after an outage). */
static int
attach(struct tdb_store *s)
{
	struct stat st;
	int created, rc;

	if ((rc = check_perms(s)) != MXG_OK) {
		s->failing = 1;
		return rc;
	}
	/* O_CREAT only when absent: tdb would overwrite an alien file */
	created = stat(s->path, &st) != 0;
	s->tdb = tdb_open(s->path, (int)s->hashsize,
	    TDB_NOSYNC | TDB_INCOMPATIBLE_HASH,
	    created ? O_RDWR | O_CREAT | O_EXCL : O_RDWR, 0660);
	if (s->tdb == NULL && created && errno == EEXIST)	/* a race */
		s->tdb = tdb_open(s->path, (int)s->hashsize,
		    TDB_NOSYNC | TDB_INCOMPATIBLE_HASH, O_RDWR, 0660);
	if (s->tdb == NULL)
		return fail_once(s, "cannot open");
	if (created)
		(void)chmod(s->path, 0660);	/* whatever the umask */
	s->pid = getpid();
	recovered(s);
	return MXG_OK;
}

/* Make sure the handle is usable in this process. */
static int
ready(struct tdb_store *s)
{
	if (s->tdb != NULL && s->pid != getpid()) {
		/* opened before fork: never use the parent's handle */
		if (tdb_reopen(s->tdb) != 0) {
			s->tdb = NULL;	/* tdb_reopen freed it */
			return fail_once(s, "cannot reopen after fork");
		}
		s->pid = getpid();
		free(s->cursor.dptr);
		s->cursor.dptr = NULL;
	}
	if (s->tdb == NULL)
		return attach(s);
	return MXG_OK;
}

struct parsed {
	struct mxg_record rec;
	int ok;
};

static int
parse_record(TDB_DATA key, TDB_DATA data, void *arg)
{
	struct parsed *p = arg;

	(void)key;
	p->ok = mxg_record_decode(data.dptr, data.dsize, &p->rec) == 0;
	return 0;
}

/* Read a record under the caller's chain lock; 0 absent/bad, 1 found. */
static int
read_record(struct tdb_store *s, TDB_DATA key, struct mxg_record *rec)
{
	struct parsed p = { .ok = 0 };

	if (tdb_parse_record(s->tdb, key, parse_record, &p) != 0)
		return 0;
	if (p.ok)
		*rec = p.rec;
	return p.ok;
}

static int
write_record(struct tdb_store *s, TDB_DATA key, const struct mxg_record *rec)
{
	unsigned char buf[MXG_RECORD_SIZE];
	TDB_DATA val = { buf, sizeof(buf) };

	mxg_record_encode(rec, buf);
	return tdb_store(s->tdb, key, val, TDB_REPLACE);
}

/* Look at a few records after the cursor and delete the expired ones. */
static void
sweep(struct tdb_store *s, int64_t now)
{
	struct mxg_record rec;
	TDB_DATA k;

	for (int i = 0; i < SWEEP_RECORDS; i++) {
		if (s->cursor.dptr == NULL)
			k = tdb_firstkey(s->tdb);
		else
			k = tdb_nextkey(s->tdb, s->cursor);
		free(s->cursor.dptr);
		s->cursor = k;
		if (k.dptr == NULL)
			return;	/* wrapped: start again next sweep */
		if (k.dsize == 0 || k.dptr[0] == MXG_KEY_META)
			continue;
		if (tdb_chainlock(s->tdb, k) != 0)
			return;
		if (read_record(s, k, &rec) && rec.expire <= now)
			(void)tdb_delete(s->tdb, k);
		tdb_chainunlock(s->tdb, k);
	}
}

/* One locked read-modify-write on key with mxg_grey_step. */
static int
step_key(struct tdb_store *s, TDB_DATA key, const struct mxg_grey_params *p,
    int64_t now, struct mxg_grey_result *r)
{
	struct mxg_record cur, out;
	int have, keep, rc = 0;

	if (tdb_chainlock(s->tdb, key) != 0)
		return -1;
	have = read_record(s, key, &cur);
	keep = mxg_grey_step(have ? &cur : NULL, p, now, &out, r);
	if (!p->dryrun) {
		if (keep)
			rc = write_record(s, key, &out);
		else if (have)
			rc = tdb_delete(s->tdb, key);
	}
	tdb_chainunlock(s->tdb, key);
	return rc;
}

/* lazyaw: the IP entry, looked at first and made after a pass. */
static int
white_key(struct tdb_store *s, TDB_DATA key, const struct mxg_grey_params *p,
    int64_t now, struct mxg_grey_result *r, int make)
{
	struct mxg_record cur, out;
	int have, hit, rc = 0;

	if (tdb_chainlock(s->tdb, key) != 0)
		return -1;
	have = read_record(s, key, &cur);
	if (make)
		hit = mxg_grey_white_make(have ? &cur : NULL, p, now, &out);
	else
		hit = mxg_grey_white_check(have ? &cur : NULL, p, now, &out,
		    r);
	if (hit && !p->dryrun)
		rc = write_record(s, key, &out);
	if (make && hit)
		r->autowhite_until = (time_t)out.until;
	tdb_chainunlock(s->tdb, key);
	return rc < 0 ? -1 : hit;
}

static int
tdb_decide(struct mxg_store *base, const struct mxg_tuple *t,
    const struct mxg_grey_params *p, time_t now, struct mxg_grey_result *r)
{
	struct tdb_store *s = (struct tdb_store *)base;
	unsigned char kbuf[MXG_KEY_MAX], wbuf[MXG_KEY_MAX];
	TDB_DATA key = { kbuf, 0 }, wkey = { wbuf, 0 };
	int rc;

	if ((rc = ready(s)) != MXG_OK)
		return rc;
	if (p->lazyaw) {
		wkey.dsize = mxg_tuple_key(t, MXG_KEY_IP, wbuf);
		if ((rc = white_key(s, wkey, p, now, r, 0)) < 0)
			return fail_once(s, "cannot update");
		if (rc == 1)
			goto done;
	}
	key.dsize = mxg_tuple_key(t, MXG_KEY_TUPLE, kbuf);
	if (step_key(s, key, p, now, r) != 0)
		return fail_once(s, "cannot update");
	if (p->lazyaw && r->reason == MXG_R_PASSED &&
	    white_key(s, wkey, p, now, r, 1) < 0)
		return fail_once(s, "cannot update");
done:
	recovered(s);
	if (!p->dryrun && ++s->decisions % SWEEP_EVERY == 0)
		sweep(s, now);
	return MXG_OK;
}

static int
read_gen(TDB_DATA key, TDB_DATA data, void *arg)
{
	unsigned long *gen = arg;

	(void)key;
	*gen = 0;
	for (size_t i = data.dsize; i > 0 && data.dsize <= 8; i--)
		*gen = (*gen << 8) | data.dptr[i - 1];
	return 0;
}

static int
tdb_generation(struct mxg_store *base, unsigned long *gen)
{
	struct tdb_store *s = (struct tdb_store *)base;
	unsigned char k[] = GEN_KEY_INIT;
	TDB_DATA key = { k, sizeof(k) };
	int rc;

	if ((rc = ready(s)) != MXG_OK)
		return rc;
	*gen = 0;
	if (tdb_parse_record(s->tdb, key, read_gen, gen) != 0 &&
	    tdb_error(s->tdb) != TDB_ERR_NOEXIST)
		return fail_once(s, "cannot read generation");
	return MXG_OK;
}

static int
tdb_bump(struct mxg_store *base)
{
	struct tdb_store *s = (struct tdb_store *)base;
	unsigned char k[] = GEN_KEY_INIT, buf[8];
	TDB_DATA key = { k, sizeof(k) };
	TDB_DATA val = { buf, sizeof(buf) };
	unsigned long gen = 0;
	int rc;

	if ((rc = ready(s)) != MXG_OK)
		return rc;
	if (tdb_chainlock(s->tdb, key) != 0)
		return fail_once(s, "cannot lock");
	(void)tdb_parse_record(s->tdb, key, read_gen, &gen);
	gen++;
	for (int i = 0; i < 8; i++)
		buf[i] = (unsigned char)((uint64_t)gen >> (8 * i));
	rc = tdb_store(s->tdb, key, val, TDB_REPLACE);
	tdb_chainunlock(s->tdb, key);
	return rc == 0 ? MXG_OK : fail_once(s, "cannot write generation");
}

struct walk {
	int (*fn)(void *arg, const struct mxg_store_entry *e);
	void *arg;
	int stopped;
};

static int
walk_one(struct tdb_context *tdb, TDB_DATA key, TDB_DATA data, void *arg)
{
	struct walk *w = arg;
	struct mxg_store_entry e;
	int rc;

	if (key.dsize == 0 || key.dptr[0] == MXG_KEY_META)
		return 0;
	if ((e.kind = mxg_tuple_from_key(key.dptr, key.dsize, &e.tuple)) < 0 ||
	    mxg_record_decode(data.dptr, data.dsize, &e.rec) != 0)
		return 0;	/* not ours or another version: leave it */
	rc = w->fn(w->arg, &e);
	if (rc == 1)
		(void)tdb_delete(tdb, key);
	if (rc < 0) {
		w->stopped = 1;
		return 1;
	}
	return 0;
}

static int
tdb_iterate(struct mxg_store *base,
    int (*fn)(void *arg, const struct mxg_store_entry *e), void *arg)
{
	struct tdb_store *s = (struct tdb_store *)base;
	struct walk w = { fn, arg, 0 };
	int rc;

	if ((rc = ready(s)) != MXG_OK)
		return rc;
	if (tdb_traverse(s->tdb, walk_one, &w) < 0 && !w.stopped)
		return fail_once(s, "cannot traverse");
	return MXG_OK;
}

static int
tdb_put(struct mxg_store *base, const struct mxg_store_entry *e)
{
	struct tdb_store *s = (struct tdb_store *)base;
	unsigned char kbuf[MXG_KEY_MAX];
	TDB_DATA key = { kbuf, 0 };
	int rc;

	if ((rc = ready(s)) != MXG_OK)
		return rc;
	key.dsize = mxg_tuple_key(&e->tuple, e->kind, kbuf);
	if (tdb_chainlock(s->tdb, key) != 0)
		return fail_once(s, "cannot lock");
	rc = write_record(s, key, &e->rec);
	tdb_chainunlock(s->tdb, key);
	return rc == 0 ? MXG_OK : fail_once(s, "cannot write");
}

static void
tdb_close_store(struct mxg_store *base)
{
	struct tdb_store *s = (struct tdb_store *)base;

	/*
	 * A handle inherited over fork is closed too: tdb_close only
	 * releases this process's memory, mappings and (no) locks.
	 */
	if (s->tdb != NULL)
		tdb_close(s->tdb);
	free(s->cursor.dptr);
	free(s->path);
	free(s);
}

static const struct mxg_store_ops tdb_ops = {
	.name = "tdb",
	.decide = tdb_decide,
	.generation = tdb_generation,
	.bump = tdb_bump,
	.iterate = tdb_iterate,
	.put = tdb_put,
	.close = tdb_close_store,
};

/*
 * mxg_store_tdb_open: make a tdb store for path. The file is opened on
 * first use (so a host that forks after opening the engine never shares a
 * handle). Returns MXG_OK, or MXG_ENOMEM.
 */
int
mxg_store_tdb_open(struct mxg_store **sp, const char *path,
    unsigned long hashsize, const struct mxg_log *log)
{
	struct tdb_store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return MXG_ENOMEM;
	if ((s->path = strdup(path)) == NULL) {
		free(s);
		return MXG_ENOMEM;
	}
	s->base.ops = &tdb_ops;
	if (log != NULL)
		s->base.log = *log;
	s->hashsize = hashsize ? hashsize : DEFAULT_HASHSIZE;
	*sp = &s->base;
	return MXG_OK;
}
