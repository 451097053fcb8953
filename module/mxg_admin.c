/*
 * mxg_admin.c: the store walks behind mxgreyctl (dump, purge, stats,
 * fsck) and the reload request.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mxg_engine.h"
#include "mxg_export.h"

/* mxg_admin_existing_store: see mxg_engine.h. */
int
mxg_admin_existing_store(struct mxg_engine *e)
{
	struct stat st;
	int rc;

	e->store_flags |= MXG_STORE_NOCREATE;
	if (e->store != NULL) { /* opened before: open it again, with it */
		mxg_store_close(e->store);
		e->store = NULL;
	}
	if ((rc = mxg_engine_store(e)) != MXG_OK)
		return rc;
	if (strncmp(e->store_spec, "redis://", 8) == 0 ||
	    stat(e->store_spec, &st) == 0 || errno != ENOENT)
		return MXG_OK;
	mxg_log(
	    &e->log, MXG_LOG_ERR, "mxgrey: %s: no such store", e->store_spec);
	return MXG_ESTORE;
}

/* mxg_request_reload: see mxgrey.h. */
MXG_EXPORT int
mxg_request_reload(struct mxg_engine *e)
{
	int rc;

	if (e == NULL)
		return MXG_EINVAL;
	if ((rc = mxg_engine_store(e)) != MXG_OK)
		return rc;
	return e->store->ops->bump(e->store);
}

/* Store walks for dump, purge and stats. */
struct walk {
	time_t now;
	unsigned long removed;
	struct mxg_stats *st;
	void (*fn)(void *ctx, const char *line);
	void *ctx;
};

static int
purge_one(void *arg, const struct mxg_store_entry *en)
{
	struct walk *w = arg;

	if (en->rec.expire > w->now)
		return 0;
	w->removed++;
	return 1;
}

static int
count_one(void *arg, const struct mxg_store_entry *en)
{
	struct walk *w = arg;

	if (en->rec.expire <= w->now)
		w->st->expired++;
	else if (en->rec.state == MXG_REC_AUTOWHITE)
		w->st->autowhite++;
	else
		w->st->pending++;
	return 0;
}

static int
dump_one(void *arg, const struct mxg_store_entry *en)
{
	struct walk *w = arg;
	char ip[MXG_IP_STRLEN], date[32], line[1024];
	time_t when = (time_t)en->rec.until;
	struct tm tm;

	if (en->rec.expire <= w->now)
		return 0;
	mxg_ip_format(&en->tuple.ip, ip, sizeof(ip));
	if (gmtime_r(&when, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		date[0] = '\0';
	if (en->kind == MXG_KEY_IP)
		snprintf(line, sizeof(line), "%s\t<>\t<>\t%lld AUTO # %s", ip,
		    (long long)en->rec.until, date);
	else
		snprintf(line, sizeof(line), "%s\t<%s>\t<%s>\t%lld %s# %s", ip,
		    en->tuple.sender, en->tuple.rcpt, (long long)en->rec.until,
		    en->rec.state == MXG_REC_AUTOWHITE ? "AUTO " : "", date);
	w->fn(w->ctx, line);
	return 0;
}

static int
walk_store(struct mxg_engine *e,
    int (*fn)(void *, const struct mxg_store_entry *), struct walk *w)
{
	int rc;

	if (e == NULL)
		return MXG_EINVAL;
	if ((rc = mxg_engine_store(e)) != MXG_OK)
		return rc;
	return e->store->ops->iterate(e->store, fn, w);
}

/* mxg_dump: see mxgrey.h. */
MXG_EXPORT int
mxg_dump(struct mxg_engine *e, time_t now,
    void (*fn)(void *ctx, const char *line), void *ctx)
{
	struct walk w = { .fn = fn, .ctx = ctx };

	if (e == NULL || fn == NULL)
		return MXG_EINVAL;
	w.now = mxg_engine_now(e, now);
	fn(ctx, "# mxgrey store dump (milter-greylist format)");
	fn(ctx, "# ip\t<sender>\t<rcpt>\tuntil [AUTO] # date (UTC)");
	return walk_store(e, dump_one, &w);
}

/* mxg_purge: see mxgrey.h. */
MXG_EXPORT int
mxg_purge(struct mxg_engine *e, time_t now, unsigned long *removed)
{
	struct walk w = { 0 };
	int rc;

	if (e == NULL)
		return MXG_EINVAL;
	w.now = mxg_engine_now(e, now);
	rc = walk_store(e, purge_one, &w);
	if (removed != NULL)
		*removed = w.removed;
	return rc;
}

/* mxg_fsck: see mxgrey.h. */
MXG_EXPORT int
mxg_fsck(struct mxg_engine *e, int repair, char *why, size_t size)
{
	int rc;

	if (e == NULL || why == NULL || size == 0)
		return MXG_EINVAL;
	why[0] = '\0';
	if ((rc = mxg_engine_store(e)) != MXG_OK)
		return rc;
	if (e->store->ops->check == NULL)
		return MXG_OK;
	return e->store->ops->check(e->store, repair, why, size);
}

/* mxg_stats: see mxgrey.h. */
MXG_EXPORT int
mxg_stats(struct mxg_engine *e, time_t now, struct mxg_stats *st)
{
	struct walk w = { 0 };
	int rc;

	if (e == NULL || st == NULL)
		return MXG_EINVAL;
	memset(st, 0, sizeof(*st));
	w.now = mxg_engine_now(e, now);
	w.st = st;
	if ((rc = walk_store(e, count_one, &w)) != MXG_OK)
		return rc;
	return e->store->ops->generation(e->store, &st->generation);
}

struct copy {
	struct mxg_store *to;
	time_t now;
	unsigned long copied;
	int rc;
};

static int
copy_one(void *arg, const struct mxg_store_entry *en)
{
	struct copy *c = arg;

	if (en->rec.expire <= c->now)
		return 0;
	if ((c->rc = c->to->ops->put(c->to, en)) != MXG_OK)
		return -1;
	c->copied++;
	return 0;
}

/* mxg_migrate: see mxgrey.h. */
MXG_EXPORT int
mxg_migrate(
    struct mxg_engine *e, const char *to, time_t now, unsigned long *copied)
{
	struct copy c = { NULL, 0, 0, MXG_OK };
	int rc;

	if (e == NULL || to == NULL)
		return MXG_EINVAL;
	if ((rc = mxg_engine_store(e)) != MXG_OK)
		return rc;
	if (strcmp(to, e->store_spec) == 0)
		return MXG_EINVAL; /* into itself */
	if ((rc = mxg_store_open(&c.to, to, 0, 0, &e->log)) != MXG_OK)
		return rc;
	c.now = mxg_engine_now(e, now);
	rc = e->store->ops->iterate(e->store, copy_one, &c);
	mxg_store_close(c.to);
	if (copied != NULL)
		*copied = c.copied;
	return rc != MXG_OK ? rc : c.rc;
}
