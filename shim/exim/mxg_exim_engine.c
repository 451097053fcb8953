/*
 * mxg_exim_engine.c: the engines of one Exim process. Exim forks a child
 * per SMTP connection and dlopens the shim there, so the first call in a
 * child opens the engine and later calls (more recipients, more
 * messages on the connection) reuse it. The state lives here, in the
 * shim, never in the engine. Nothing is opened before the first call, so
 * the listening daemon holds no engine.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mxg_exim.h"

#define SLOTS 4

#ifndef MXG_SYSCONFDIR
#define MXG_SYSCONFDIR "/etc"
#endif
#define DEFAULT_RULES MXG_SYSCONFDIR "/mxgrey/mxgrey.conf"

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

static void say(const struct mxg_host *host, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(const struct mxg_host *host, int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (host == NULL || host->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	host->log(host->log_ctx, level, line);
}

/*
 * The engine *ep was just opened from rules with result rc. Valid rules:
 * refresh the last good copy. Broken rules: serve the last good copy if
 * there is one. Returns the result for the engine left in *ep.
 */
static int
last_good(struct mxg_engine **ep, int rc, const char *rules, const char *store,
    const struct mxg_host *host)
{
	struct mxg_engine *g = NULL;
	char good[4096];

	if (mxg_exim_good_path(store, rules, good, sizeof(good)) == -1)
		return rc;
	if (rc == MXG_OK) {
		mxg_exim_good_refresh(rules, good, host);
		return rc;
	}
	if (access(good, R_OK) == -1)
		return rc;
	if (mxg_open(&g, good, store, host) != MXG_OK) {
		mxg_close(g);
		return rc;
	}
	say(host, MXG_LOG_ERR,
	    "mxgrey: %s cannot be used (%s): serving its last good copy %s",
	    rules, mxg_strerror(rc), good);
	mxg_close(*ep);
	*ep = g;
	return MXG_OK;
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
	rc = last_good(
	    &e, rc, rules != NULL ? rules : DEFAULT_RULES, store, host);
	/* still MXG_ERULES/MXG_EIO: e answers the failure action; keep it */
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
