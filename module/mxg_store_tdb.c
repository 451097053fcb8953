/*
 * mxg_store_tdb.c: the embedded tuple store, one tdb file that every MTA
 * worker process opens directly.
 *
 * Lessons from DESIGN.md: open lazily and reopen after fork (pid check);
 * fcntl locking, never TDB_CLEAR_IF_FIRST; tdb_chainlock around every
 * read-modify-write; a large hash; tdb_parse_record on the hot path;
 * expiry by a bounded sweep, never a full traverse on the RCPT path: now
 * and then a decision, already holding its chain lock, also deletes the
 * expired records of that one chain (tdb_traverse_key_chain). Purge and
 * dump walk one chain at a time (tdb_traverse_chain), so a decision never
 * waits for more than one short chain walk.
 *
 * Durability: no transactions and no fsync (TDB_NOSYNC). A crash of a
 * worker mid-write can lose at most the record it was writing; the
 * greylist then asks that sender once more. That is the trade every
 * greylisting store makes for sub-microsecond writes.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tdb.h>

#include "mxg_store.h"

#define DEFAULT_HASHSIZE 1048573 /* prime; 4 MB of chain heads */
#define SWEEP_EVERY      8       /* decisions between two chain sweeps */
#define SWEEP_RECORDS    8       /* expired records deleted per sweep */

struct tdb_store {
	struct mxg_store base;
	struct tdb_context *tdb;
	char *path;
	unsigned long hashsize;
	int tdb_flags; /* for tdb_open: TDB_NOSYNC | ... */
	pid_t pid;
	/*
	 * A page the kernel zeroes in a child after fork (MADV_WIPEONFORK):
	 * *forked becomes 0 there, so noticing a fork costs a load, not a
	 * getpid() syscall per decision. NULL: fall back to getpid().
	 */
	volatile unsigned char *forked;
	unsigned long decisions;
	int64_t watched; /* second of the last look at the file */
	int failing;     /* an outage is being reported */
	int nocreate;    /* MXG_STORE_NOCREATE */
	char why[512];   /* "path: what went wrong", for fsck */
};

#define TDB_MAGIC "TDB file\n" /* the first bytes of every tdb file */

#define GEN_KEY_INIT                                                           \
	{                                                                      \
		MXG_KEY_META, 'g', 'e', 'n'                                    \
	}

/* Log s->why once per outage; MXG_ESTORE. */
static int
fail_why(struct tdb_store *s)
{
	if (!s->failing)
		mxg_log(&s->base.log, MXG_LOG_ERR, "mxgrey: tuple store %s",
		    s->why);
	s->failing = 1;
	return MXG_ESTORE;
}

static int
fail_once(struct tdb_store *s, const char *what)
{
	snprintf(s->why, sizeof(s->why), "%s: %s: %s", s->path, what,
	    s->tdb ? tdb_errorstr(s->tdb) : strerror(errno));
	return fail_why(s);
}

static void
recovered(struct tdb_store *s)
{
	if (s->failing)
		mxg_log(&s->base.log, MXG_LOG_NOTICE,
		    "mxgrey: tuple store %s: working again", s->path);
	s->failing = 0;
	s->why[0] = '\0';
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
			    "world-writable; refusing to use it",
			    dir);
		rc = MXG_EPERM;
	} else if (stat(s->path, &st) == 0 && (st.st_mode & S_IWOTH)) {
		if (!s->failing)
			mxg_log(&s->base.log, MXG_LOG_ERR,
			    "mxgrey: tuple store %s is world-writable; "
			    "refusing to use it (chmod o-w)",
			    s->path);
		rc = MXG_EPERM;
	}
	free(dir);
	return rc;
}

/*
 * Make a new store file atomically: build it under a private name, then
 * link it into place (EEXIST: another process won the race; fine). A
 * process killed while creating leaves only its private file behind, never
 * a torn store.
 */
static int
create_file(struct tdb_store *s)
{
	struct tdb_context *tdb;
	size_t len = strlen(s->path) + 32;
	char *tmp = malloc(len);
	int rc = MXG_OK;

	if (tmp == NULL)
		return MXG_ENOMEM;
	snprintf(tmp, len, "%s.new.%ld", s->path, (long)getpid());
	(void)unlink(tmp);
	tdb =
	    tdb_open(tmp, (int)s->hashsize, TDB_NOSYNC | TDB_INCOMPATIBLE_HASH,
	        O_RDWR | O_CREAT | O_EXCL, 0660);
	if (tdb == NULL) {
		rc = fail_once(s, "cannot create");
	} else {
		tdb_close(tdb);
		(void)chmod(tmp, 0660); /* whatever the umask */
		if (link(tmp, s->path) != 0 && errno != EEXIST)
			rc = fail_once(s, "cannot create");
	}
	(void)unlink(tmp);
	free(tmp);
	return rc;
}

/*
 * tdb_open refused the file as malformed (EIO, EINVAL): say what it is
 * and what to do in s->why. Returns 1 when it is an empty file, which
 * only an admin's touch makes (create_file never leaves one), 0 else.
 */
static int
diagnose(struct tdb_store *s, int err)
{
	static const char advice[] =
	    "move it away; a new store is created on next use";
	char head[sizeof(TDB_MAGIC) - 1];
	struct stat st;
	ssize_t n = 0;
	int fd;

	if ((fd = open(s->path, O_RDONLY)) == -1 || fstat(fd, &st) != 0 ||
	    !S_ISREG(st.st_mode)) {
		snprintf(s->why, sizeof(s->why), "%s: cannot open: %s", s->path,
		    strerror(err));
		if (fd != -1)
			close(fd);
		return 0;
	}
	if (st.st_size > 0)
		n = read(fd, head, sizeof(head));
	close(fd);
	if (st.st_size == 0)
		return 1;
	if (n == (ssize_t)sizeof(head) && memcmp(head, TDB_MAGIC, n) == 0)
		snprintf(s->why, sizeof(s->why),
		    "%s: a damaged tdb file, or one not made by mxgrey "
		    "(%lld bytes; tdb: %s): %s",
		    s->path, (long long)st.st_size, strerror(err), advice);
	else
		snprintf(s->why, sizeof(s->why),
		    "%s: not a tdb file (%lld bytes): %s", s->path,
		    (long long)st.st_size, advice);
	return 0;
}

/*
 * An empty file where the store should be: make it a store in place,
 * keeping its owner and mode. O_CREAT lets tdb write a header into a
 * file it finds without one, under its open lock, so a second process
 * doing the same finds the header and leaves it; checked empty again just
 * before, so a file with content is never overwritten.
 */
static struct tdb_context *
init_empty(struct tdb_store *s)
{
	struct stat st;

	if (stat(s->path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != 0)
		return NULL;
	mxg_log(&s->base.log, MXG_LOG_NOTICE,
	    "mxgrey: tuple store %s is an empty file: making it a store",
	    s->path);
	return tdb_open(
	    s->path, (int)s->hashsize, s->tdb_flags, O_RDWR | O_CREAT, 0660);
}

/* Open the file now (first use, or after an outage). */
static int
attach(struct tdb_store *s)
{
	struct stat st;
	int rc, err;

	if ((rc = check_perms(s)) != MXG_OK) {
		s->failing = 1;
		return rc;
	}
	if (stat(s->path, &st) != 0 && errno == ENOENT) {
		if (s->nocreate) {
			snprintf(s->why, sizeof(s->why), "%s: no such store",
			    s->path);
			return fail_why(s);
		}
		if ((rc = create_file(s)) != MXG_OK)
			return rc;
	}
	/* never O_CREAT here: tdb would overwrite an alien or torn file */
	s->tdb =
	    tdb_open(s->path, (int)s->hashsize, s->tdb_flags, O_RDWR, 0660);
	if (s->tdb == NULL && ((err = errno) == EIO || err == EINVAL)) {
		if (!diagnose(s, err))
			return fail_why(s);
		if ((s->tdb = init_empty(s)) == NULL)
			return fail_once(
			    s, "cannot make the empty file a store");
	}
	if (s->tdb == NULL)
		return fail_once(s, "cannot open");
	s->pid = getpid();
	if (s->forked != NULL)
		*s->forked = 1;
	recovered(s);
	return MXG_OK;
}

/* Set up the fork detector (once, at open). */
static void
fork_marker(struct tdb_store *s)
{
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		return;
	if (madvise(page, 4096, MADV_WIPEONFORK) != 0) {
		munmap(page, 4096);
		return;
	}
	s->forked = page;
	*s->forked = 1;
}

/* Has this process been forked from the one that opened the tdb? */
static int
in_other_process(struct tdb_store *s)
{
	if (s->forked != NULL)
		return *s->forked == 0;
	return s->pid != getpid();
}

/* Make sure the handle is usable in this process. */
static int
ready(struct tdb_store *s)
{
	if (s->tdb != NULL && in_other_process(s)) {
		/* opened before fork: never use the parent's handle */
		if (tdb_reopen(s->tdb) != 0) {
			s->tdb = NULL; /* tdb_reopen freed it */
			return fail_once(s, "cannot reopen after fork");
		}
		s->pid = getpid();
		if (s->forked != NULL)
			*s->forked = 1;
	}
	if (s->tdb == NULL)
		return attach(s);
	return MXG_OK;
}

/*
 * Once a second: is the file still the one we have open? An admin who
 * deletes or replaces the store must not leave this process writing to
 * an unlinked inode while new processes use a new file.
 */
static void
watch_file(struct tdb_store *s, int64_t now)
{
	struct stat path_st, fd_st;

	if (s->tdb == NULL || now == s->watched)
		return;
	s->watched = now;
	if (stat(s->path, &path_st) == 0 &&
	    fstat(tdb_fd(s->tdb), &fd_st) == 0 &&
	    path_st.st_ino == fd_st.st_ino && path_st.st_dev == fd_st.st_dev)
		return;
	mxg_log(&s->base.log, MXG_LOG_NOTICE,
	    "mxgrey: tuple store %s was removed or replaced; reopening",
	    s->path);
	tdb_close(s->tdb);
	s->tdb = NULL;
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
	p->ok = mxg_record_unpack(data.dptr, data.dsize, &p->rec) == 0;
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
	unsigned char buf[MXG_RECORD_PACKED];
	TDB_DATA val = { buf, sizeof(buf) };

	mxg_record_pack(rec, buf);
	return tdb_store(s->tdb, key, val, TDB_REPLACE);
}

/* Keys of expired records seen on one chain walk (copied). */
struct expired {
	int64_t now;
	size_t n;
	TDB_DATA keys[SWEEP_RECORDS];
};

static int
collect_expired(struct tdb_context *tdb, TDB_DATA key, TDB_DATA data, void *arg)
{
	struct expired *x = arg;
	struct mxg_record rec;

	(void)tdb;
	if (key.dsize == 0 || key.dptr[0] == MXG_KEY_META ||
	    mxg_record_unpack(data.dptr, data.dsize, &rec) != 0 ||
	    rec.expire > x->now)
		return 0;
	if ((x->keys[x->n].dptr = malloc(key.dsize)) == NULL)
		return 1;
	memcpy(x->keys[x->n].dptr, key.dptr, key.dsize);
	x->keys[x->n].dsize = key.dsize;
	return ++x->n == SWEEP_RECORDS;
}

/*
 * With key's chain locked by the caller: delete the expired records of
 * that chain (a few at most). Costs one walk of one short chain.
 */
static void
sweep_chain(struct tdb_store *s, TDB_DATA key, int64_t now)
{
	struct expired x;

	x.now = now;
	x.n = 0;
	(void)tdb_traverse_key_chain(s->tdb, key, collect_expired, &x);
	for (size_t i = 0; i < x.n; i++) {
		(void)tdb_delete(s->tdb, x.keys[i]);
		free(x.keys[i].dptr);
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
		else if (have && tdb_delete(s->tdb, key) != 0 &&
		    tdb_error(s->tdb) != TDB_ERR_NOEXIST)
			rc = -1;
		/* after our own write: it is never what the sweep takes */
		if (rc == 0 && ++s->decisions % SWEEP_EVERY == 0)
			sweep_chain(s, key, now);
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
		hit = mxg_grey_white_check(have ? &cur : NULL, p, now, &out, r);
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
	watch_file(s, now);
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

#define DELETE_BATCH (1 << 20) /* keys held for deletion at once */

struct walk {
	int (*fn)(void *arg, const struct mxg_store_entry *e);
	void *arg;
	TDB_DATA *doomed; /* keys fn wants deleted, with records */
	struct mxg_record *seen;
	size_t n, cap;
	int stopped, oom, full;
};

static int
walk_one(struct tdb_context *tdb, TDB_DATA key, TDB_DATA data, void *arg)
{
	struct walk *w = arg;
	struct mxg_store_entry e;
	int rc;

	(void)tdb;
	if (key.dsize == 0 || key.dptr[0] == MXG_KEY_META)
		return 0;
	if ((e.kind = mxg_tuple_from_key(key.dptr, key.dsize, &e.tuple)) < 0 ||
	    mxg_record_unpack(data.dptr, data.dsize, &e.rec) != 0)
		return 0; /* not ours or another version: leave it */
	if ((rc = w->fn(w->arg, &e)) < 0) {
		w->stopped = 1;
		return 1;
	}
	if (rc != 1)
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		void *d = realloc(w->doomed, cap * sizeof(*w->doomed));
		void *r = d ? realloc(w->seen, cap * sizeof(*w->seen)) : NULL;

		if (d != NULL)
			w->doomed = d;
		if (r == NULL) {
			w->oom = 1;
			return 1;
		}
		w->seen = r;
		w->cap = cap;
	}
	if ((w->doomed[w->n].dptr = malloc(key.dsize)) == NULL) {
		w->oom = 1;
		return 1;
	}
	memcpy(w->doomed[w->n].dptr, key.dptr, key.dsize);
	w->doomed[w->n].dsize = key.dsize;
	w->seen[w->n] = e.rec;
	if (++w->n == DELETE_BATCH) {
		w->full = 1;
		return 1;
	}
	return 0;
}

/* Delete key if its record is still the one fn saw. */
static void
delete_if_same(struct tdb_store *s, TDB_DATA key, const struct mxg_record *seen)
{
	struct mxg_record now;

	if (tdb_chainlock(s->tdb, key) != 0)
		return;
	if (read_record(s, key, &now) && now.expire == seen->expire &&
	    now.state == seen->state && now.hits == seen->hits)
		(void)tdb_delete(s->tdb, key);
	tdb_chainunlock(s->tdb, key);
}

/*
 * A read traverse (one chain read-locked at a time, for as long as fn
 * takes), then the deletions fn asked for, each under its own chain lock
 * and only if the record did not change meanwhile. When more than
 * DELETE_BATCH deletions pile up, they are done and the walk starts
 * again: fn may then see a kept record twice (only purge deletes).
 */
static int
tdb_iterate(struct mxg_store *base,
    int (*fn)(void *arg, const struct mxg_store_entry *e), void *arg)
{
	struct tdb_store *s = (struct tdb_store *)base;
	struct walk w = { .fn = fn, .arg = arg };
	int rc;

	if ((rc = ready(s)) != MXG_OK)
		return rc;
	do {
		w.full = 0;
		if (tdb_traverse_read(s->tdb, walk_one, &w) < 0 && !w.stopped &&
		    !w.oom && !w.full)
			rc = fail_once(s, "cannot traverse");
		for (size_t i = 0; i < w.n; i++) {
			delete_if_same(s, w.doomed[i], &w.seen[i]);
			free(w.doomed[i].dptr);
		}
		w.n = 0;
	} while (w.full && rc == MXG_OK);
	free(w.doomed);
	free(w.seen);
	if (w.oom)
		return MXG_ENOMEM;
	return rc;
}

/* tdb_check's complaints, kept for the caller. */
struct fsck {
	char *why;
	size_t size;
	size_t nrec, cap;
	TDB_DATA *keys, *vals;
	int oom;
};

static void
fsck_log(
    struct tdb_context *tdb, enum tdb_debug_level level, const char *fmt, ...)
{
	struct fsck *f = tdb_get_logging_private(tdb);
	size_t used;
	va_list ap;

	if (f == NULL || f->why == NULL || level > TDB_DEBUG_ERROR)
		return;
	used = strlen(f->why);
	if (used + 3 >= f->size)
		return;
	if (used > 0)
		strcat(f->why, "; ");
	va_start(ap, fmt);
	vsnprintf(f->why + strlen(f->why), f->size - strlen(f->why), fmt, ap);
	va_end(ap);
	f->why[strcspn(f->why, "\n")] = '\0';
}

static void
quiet_log(
    struct tdb_context *tdb, enum tdb_debug_level level, const char *fmt, ...)
{
	(void)tdb;
	(void)level;
	(void)fmt;
}

static int
fsck_copy(struct tdb_context *tdb, TDB_DATA key, TDB_DATA val, void *arg)
{
	struct fsck *f = arg;

	(void)tdb;
	if (f->nrec == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 1024;
		TDB_DATA *k = realloc(f->keys, cap * sizeof(*k));
		TDB_DATA *v = k ? realloc(f->vals, cap * sizeof(*v)) : NULL;

		if (k != NULL)
			f->keys = k;
		if (v == NULL) {
			f->oom = 1;
			return 1;
		}
		f->vals = v;
		f->cap = cap;
	}
	f->keys[f->nrec].dptr = malloc(key.dsize);
	f->vals[f->nrec].dptr = malloc(val.dsize ? val.dsize : 1);
	if (f->keys[f->nrec].dptr == NULL || f->vals[f->nrec].dptr == NULL) {
		free(f->keys[f->nrec].dptr);
		free(f->vals[f->nrec].dptr);
		f->oom = 1;
		return 1;
	}
	memcpy(f->keys[f->nrec].dptr, key.dptr, key.dsize);
	f->keys[f->nrec].dsize = key.dsize;
	memcpy(f->vals[f->nrec].dptr, val.dptr, val.dsize);
	f->vals[f->nrec].dsize = val.dsize;
	f->nrec++;
	return 0;
}

/*
 * Rebuild in place inside one transaction: copy every record out, wipe
 * the file (leaked and dead space become one free block), store them
 * back. Deciders wait at most for the commit; a crash mid-repair is
 * rolled back by tdb's recovery area. Holds every record in memory.
 */
static int
rebuild(struct tdb_store *s, struct fsck *f)
{
	int rc = MXG_OK;

	if (tdb_transaction_start(s->tdb) != 0)
		return MXG_ESTORE;
	if (tdb_traverse_read(s->tdb, fsck_copy, f) < 0 || f->oom ||
	    tdb_wipe_all(s->tdb) != 0)
		rc = f->oom ? MXG_ENOMEM : MXG_ESTORE;
	for (size_t i = 0; rc == MXG_OK && i < f->nrec; i++)
		if (tdb_store(s->tdb, f->keys[i], f->vals[i], TDB_INSERT) != 0)
			rc = MXG_ESTORE;
	if (rc == MXG_OK && tdb_transaction_commit(s->tdb) != 0)
		rc = MXG_ESTORE;
	if (rc != MXG_OK)
		(void)tdb_transaction_cancel(s->tdb);
	for (size_t i = 0; i < f->nrec; i++) {
		free(f->keys[i].dptr);
		free(f->vals[i].dptr);
	}
	free(f->keys);
	free(f->vals);
	return rc;
}

static int
tdb_fsck(struct mxg_store *base, int repair, char *why, size_t size)
{
	struct tdb_store *s = (struct tdb_store *)base;
	struct tdb_logging_context lc = { fsck_log, NULL };
	struct tdb_context *t;
	struct fsck f;
	int rc;

	if ((rc = ready(s)) != MXG_OK) {
		/* what is wrong and what to do: fsck cannot repair a file
		   that tdb does not open */
		if (size > 0)
			snprintf(why, size, "%s", s->why);
		return rc;
	}
	memset(&f, 0, sizeof(f));
	f.why = why;
	f.size = size;
	if (size > 0)
		why[0] = '\0';
	/* hear tdb_check's reasons for the length of the check */
	lc.log_private = &f;
	t = s->tdb;
	tdb_set_logging_function(t, &lc);
	rc = tdb_check(t, NULL, NULL) == 0 ? MXG_OK : MXG_ESTORE;
	if (rc != MXG_OK && repair) {
		f.why = NULL;
		if ((rc = rebuild(s, &f)) == MXG_OK) {
			f.why = why;
			rc =
			    tdb_check(t, NULL, NULL) == 0 ? MXG_OK : MXG_ESTORE;
		}
	}
	lc.log_fn = quiet_log;
	lc.log_private = NULL;
	tdb_set_logging_function(t, &lc);
	return rc;
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
	if (s->forked != NULL)
		munmap((void *)(uintptr_t)s->forked, 4096);
	free(s->path);
	free(s);
}

static const struct mxg_store_ops tdb_ops = {
	.name = "tdb",
	.decide = tdb_decide,
	.generation = tdb_generation,
	.bump = tdb_bump,
	.iterate = tdb_iterate,
	.check = tdb_fsck,
	.put = tdb_put,
	.close = tdb_close_store,
};

/*
 * mxg_store_tdb_open: make a tdb store for path. The file is opened on
 * first use (so a host that forks after opening the engine never shares a
 * handle); MXG_STORE_NOMMAP in flags opens it with TDB_NOMMAP,
 * MXG_STORE_NOCREATE refuses a missing file instead of creating it.
 * Returns MXG_OK, or MXG_ENOMEM.
 */
int
mxg_store_tdb_open(struct mxg_store **sp, const char *path,
    unsigned long hashsize, unsigned flags, const struct mxg_log *log)
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
	s->tdb_flags = TDB_NOSYNC | TDB_INCOMPATIBLE_HASH;
	if (flags & MXG_STORE_NOMMAP)
		s->tdb_flags |= TDB_NOMMAP;
	s->nocreate = (flags & MXG_STORE_NOCREATE) != 0;
	fork_marker(s);
	*sp = &s->base;
	return MXG_OK;
}
