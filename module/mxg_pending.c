/*
 * mxg_pending.c: non-blocking decisions for event-loop hosts. A pending
 * check owns a copy of its request and a lookup request on the engine's
 * shared resolver; it is decided once every lookup has an answer or its
 * deadline has passed, so evaluation never waits on the network.
 */
#include <stdlib.h>
#include <string.h>

#include "mxg_engine.h"
#include "mxg_export.h"

struct mxg_pending {
	struct mxg_pending *next;
	struct mxg_pending **prevp;
	struct mxg_engine *e;
	struct mxg_request req; /* strings point into blob */
	struct mxg_macro *macros;
	char *blob;
	struct mxg_eval ev;
	char sbuf[MXG_ADDR_MAX + 1];
	char rbuf[MXG_ADDR_MAX + 1];
	struct mxg_lookup_req *lr;
};

/* Room for s (NULL stays NULL), bounded: addresses are cut by begin. */
static size_t
need(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static const char *
put(char **at, const char *s)
{
	char *d;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	d = *at;
	memcpy(d, s, n);
	*at += n;
	return d;
}

/* Deep copy of req into p (one allocation for the strings). */
static int
copy_request(struct mxg_pending *p, const struct mxg_request *req)
{
	const char *const f[] = { req->client_addr, req->client_name, req->helo,
		req->sender, req->rcpt, req->auth_id, req->queue_id,
		req->local_name };
	size_t len = 1, i;
	char *at;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		len += need(f[i]);
	for (i = 0; i < req->nmacros; i++)
		len += need(req->macros[i].name) + need(req->macros[i].value);
	if ((p->blob = malloc(len)) == NULL)
		return MXG_ENOMEM;
	if (req->nmacros > 0 &&
	    (p->macros = calloc(req->nmacros, sizeof(*p->macros))) == NULL)
		return MXG_ENOMEM;
	at = p->blob;
	p->req = *req;
	p->req.client_addr = put(&at, req->client_addr);
	p->req.client_name = put(&at, req->client_name);
	p->req.helo = put(&at, req->helo);
	p->req.sender = put(&at, req->sender);
	p->req.rcpt = put(&at, req->rcpt);
	p->req.auth_id = put(&at, req->auth_id);
	p->req.queue_id = put(&at, req->queue_id);
	p->req.local_name = put(&at, req->local_name);
	for (i = 0; i < req->nmacros; i++) {
		p->macros[i].name = put(&at, req->macros[i].name);
		p->macros[i].value = put(&at, req->macros[i].value);
	}
	p->req.macros = p->macros;
	return MXG_OK;
}

static void
unlink_free(struct mxg_pending *p)
{
	if (p->prevp != NULL) {
		*p->prevp = p->next;
		if (p->next != NULL)
			p->next->prevp = p->prevp;
	}
	mxg_lookup_req_free(p->lr);
	free(p->macros);
	free(p->blob);
	free(p);
}

/* mxg_check_start: see mxgrey.h. */
MXG_EXPORT int
mxg_check_start(struct mxg_engine *e, const struct mxg_request *req,
    struct mxg_pending **pp, struct mxg_verdict *v)
{
	struct mxg_lookup *lk;
	struct mxg_pending *p;
	const char *const *zones;
	unsigned needs;
	size_t nzones = 0;
	int rc;

	if (pp == NULL)
		return mxg_engine_check_args(e, NULL, v);
	*pp = NULL;
	if ((rc = mxg_engine_check_args(e, req, v)) != MXG_OK)
		return rc;
	if (e->rules == NULL ||
	    (needs = mxg_rules_needs(e->rules, MXG_STAGE_RCPT)) == 0 ||
	    (lk = mxg_engine_lookup(e)) == NULL)
		return mxg_check(e, req, v); /* nothing to wait for */
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    copy_request(p, req) != MXG_OK) {
		if (p != NULL)
			unlink_free(p);
		mxg_engine_failure(e, v, "out of memory");
		return MXG_ENOMEM;
	}
	p->e = e;
	/* one clock reading for the whole decision */
	p->req.now = mxg_engine_now(e, req->now);
	if ((rc = mxg_engine_begin(e, &p->req, NULL, &p->ev, 0, v)) != MXG_OK) {
		unlink_free(p);
		return rc;
	}
	/* begin points into the engine's buffers: keep our own copies */
	memcpy(p->sbuf, p->ev.sender, strlen(p->ev.sender) + 1);
	memcpy(p->rbuf, p->ev.rcpt, strlen(p->ev.rcpt) + 1);
	p->ev.sender = p->sbuf;
	p->ev.rcpt = p->rbuf;
	if ((p->lr = mxg_lookup_req_new(lk, &p->ev)) == NULL) {
		unlink_free(p);
		mxg_engine_failure(e, v, "out of memory");
		return MXG_ENOMEM;
	}
	zones = (needs & MXG_NEED_DNSRBL)
	    ? mxg_rules_dnsrbl_zones(e->rules, MXG_STAGE_RCPT, &nzones)
	    : NULL;
	mxg_lookup_req_prefetch(p->lr, zones, nzones, needs);
	p->next = e->pending;
	if (p->next != NULL)
		p->next->prevp = &p->next;
	p->prevp = &e->pending;
	e->pending = p;
	if ((rc = mxg_check_finish(p, v)) == MXG_EAGAIN)
		*pp = p;
	return rc;
}

/* mxg_check_finish: see mxgrey.h. */
MXG_EXPORT int
mxg_check_finish(struct mxg_pending *p, struct mxg_verdict *v)
{
	int rc;

	if (p == NULL || v == NULL)
		return MXG_EINVAL;
	if (!mxg_lookup_req_done(p->lr))
		return MXG_EAGAIN;
	mxg_engine_verdict_clear(v);
	p->ev.lookup = mxg_lookup_req_ops();
	p->ev.lookup_ctx = p->lr;
	rc = mxg_engine_decide(p->e, &p->ev, NULL, v, 0);
	unlink_free(p);
	return rc;
}

/* mxg_check_cancel: see mxgrey.h. */
MXG_EXPORT void
mxg_check_cancel(struct mxg_pending *p)
{
	if (p != NULL)
		unlink_free(p);
}

/* mxg_poll_fds: see mxgrey.h. */
MXG_EXPORT int
mxg_poll_fds(
    struct mxg_engine *e, struct pollfd *fds, int nfds, int *timeout_ms)
{
	struct mxg_pending *p;
	int n = 0, t, best = -1;

	if (timeout_ms != NULL)
		*timeout_ms = -1;
	if (e == NULL || fds == NULL || nfds < 0)
		return 0;
	/* the resolver is shared: one request's fds are everyone's */
	for (p = e->pending; p != NULL; p = p->next) {
		t = -1;
		if (n == 0)
			n = mxg_lookup_req_fds(p->lr, fds, nfds, &t);
		else
			(void)mxg_lookup_req_fds(p->lr, fds, 0, &t);
		if (t >= 0 && (best < 0 || t < best))
			best = t;
	}
	if (timeout_ms != NULL)
		*timeout_ms = e->pending != NULL && best < 0 ? 0 : best;
	return n;
}

/* mxg_poll_process: see mxgrey.h. */
MXG_EXPORT void
mxg_poll_process(struct mxg_engine *e, const struct pollfd *fds, int nfds)
{
	if (e != NULL && e->pending != NULL)
		mxg_lookup_req_process(e->pending->lr, fds, nfds);
}

/* mxg_pending_close_all: see mxg_engine.h. */
void
mxg_pending_close_all(struct mxg_engine *e)
{
	while (e->pending != NULL)
		unlink_free(e->pending);
}
