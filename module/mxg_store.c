/*
 * mxg_store.c: pick the store backend from its spec.
 */
#include <string.h>

#include "mxg_store.h"

/* mxg_store_open: see mxg_store.h. */
int
mxg_store_open(struct mxg_store **sp, const char *spec, unsigned long hashsize,
    unsigned flags, const struct mxg_log *log)
{
	if (spec == NULL || *spec == '\0') {
		mxg_log(log, MXG_LOG_ERR, "mxgrey: empty store name");
		return MXG_ESTORE;
	}
	if (strncmp(spec, "redis://", 8) == 0)
		return mxg_store_redis_open(sp, spec, log);
	return mxg_store_tdb_open(sp, spec, hashsize, flags, log);
}

/* mxg_store_close: see mxg_store.h. */
void
mxg_store_close(struct mxg_store *s)
{
	if (s != NULL)
		s->ops->close(s);
}
