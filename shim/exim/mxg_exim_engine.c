/*
 * mxg_exim_engine.c: the engines of one Exim process. Exim forks a child
 * per SMTP connection and dlopens the shim there, so the first call in a
 * child opens the engine and later calls (more recipients, more
 * messages on the connection) reuse it. The state lives here, in the
 * shim, never in the engine. Nothing is opened before the first call, so
 * the listening daemon holds no engine.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mxg_exim.h"

#define SLOTS 4

struct slot {
	char *rules; /* NULL: default */
	char *store; /* NULL: default */
	struct mxg_engine *engine;
	unsigned long used;
};

static struct slot slots[SLOTS];
static unsigned long clock_hand;

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
slot_clear(struct slot *s)
{
	mxg_close(s->engine);
	free(s->rules);
	free(s->store);
	memset(s, 0, sizeof(*s));
}

struct mxg_engine *
mxg_exim_engine_get(
    const char *rules, const char *store, const struct mxg_host *host, int *err)
{
	struct slot *s, *victim = NULL;
	struct mxg_engine *e = NULL;
	char *r = NULL, *st = NULL;
	int i, rc;

	*err = MXG_OK;
	for (i = 0; i < SLOTS; i++) {
		s = &slots[i];
		if (s->engine != NULL && same(s->rules, rules) &&
		    same(s->store, store)) {
			s->used = ++clock_hand;
			return s->engine;
		}
		if (victim == NULL || s->engine == NULL ||
		    (victim->engine != NULL && s->used < victim->used))
			victim = s;
	}
	if (mxg_api_version() != MXGREY_API_VERSION) {
		rc = MXG_EVERSION;
		goto fail;
	}
	rc = MXG_ENOMEM;
	if (rules != NULL && (r = strdup(rules)) == NULL)
		goto fail;
	if (store != NULL && (st = strdup(store)) == NULL)
		goto fail;
	rc = mxg_open(&e, rules, store, host);
	if (e == NULL)
		goto fail;
	/* MXG_ERULES/MXG_EIO: e answers the failure action; keep it. */
	*err = rc;
	slot_clear(victim);
	victim->rules = r;
	victim->store = st;
	victim->engine = e;
	victim->used = ++clock_hand;
	return e;
fail:
	free(r);
	free(st);
	*err = rc != MXG_OK ? rc : MXG_EINVAL;
	return NULL;
}

void
mxg_exim_engine_close_all(void)
{
	int i;

	for (i = 0; i < SLOTS; i++)
		slot_clear(&slots[i]);
}
