/*
 * mxg_engine.c: one RCPT decision. Rules first (immutable ruleset,
 * swapped on reload), then for greylist the store's atomic step, then
 * the reply text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mxg_export.h"
#include "mxg_lookup.h"
#include "mxg_rules.h"
#include "mxg_store.h"
#include "mxg_tuple.h"

#ifndef MXG_SYSCONFDIR
#define MXG_SYSCONFDIR "/etc"
#endif
#ifndef MXG_LOCALSTATEDIR
#define MXG_LOCALSTATEDIR "/var"
#endif
#define DEFAULT_RULES	MXG_SYSCONFDIR "/mxgrey/mxgrey.conf"
#define DEFAULT_STORE	MXG_LOCALSTATEDIR "/lib/mxgrey/mxgrey.tdb"

/* Causes we log once until they go away. */
#define ONCE_RULES	0x1
#define ONCE_LOOKUP	0x2
#define ONCE_BADREQ	0x4

struct mxg_engine {
	struct mxg_host host;
	struct mxg_log log;
	char *rules_path;
	char *store_override;		/* from mxg_open, or NULL */
	struct mxg_ruleset *rules;	/* NULL: failed at open: fail safe */
	struct mxg_store *store;	/* NULL until first needed */
	struct mxg_lookup *lookup;	/* DNS/GeoIP; made on first need */
	pid_t lookup_pid;		/* process that made it */
	char *store_spec;		/* what store was opened with */
	unsigned long generation;	/* reload generation seen */
	time_t gen_checked;		/* second of the last look at it */
	int gen_known;
	unsigned logged;		/* ONCE_* bits */
};

static const struct mxg_config fallback_config = {
	.delay = 1800,
	.autowhite = 86400,
	.timeout = 432000,
	.subnetmatch = 32,
	.subnetmatch6 = 128,
	.fail_action = MXG_TEMPFAIL,
};

static const struct mxg_config *
config(const struct mxg_engine *e)
{
	return e->rules ? mxg_rules_config(e->rules) : &fallback_config;
}

/* mxg_strerror: see mxgrey.h. */
MXG_EXPORT const char *
mxg_strerror(int err)
{
	switch (err) {
	case MXG_OK:
		return "success";
	case MXG_ENOMEM:
		return "out of memory";
	case MXG_EINVAL:
		return "invalid argument";
	case MXG_ERULES:
		return "rules file has errors";
	case MXG_ESTORE:
		return "tuple store unavailable";
	case MXG_EVERSION:
		return "API version mismatch";
	case MXG_EIO:
		return "cannot read file";
	case MXG_EPERM:
		return "unsafe permissions";
	case MXG_ELOOKUP:
		return "lookup could not decide";
	default:
		return "unknown error";
	}
}

/* mxg_action_name: see mxgrey.h. */
MXG_EXPORT const char *
mxg_action_name(enum mxg_action a)
{
	switch (a) {
	case MXG_ACCEPT:
		return "accept";
	case MXG_GREYLIST:
		return "greylist";
	case MXG_REJECT:
		return "reject";
	case MXG_TEMPFAIL:
		return "tempfail";
	}
	return "unknown";
}

/* mxg_api_version: see mxgrey.h. */
MXG_EXPORT unsigned
mxg_api_version(void)
{
	return MXGREY_API_VERSION;
}

static time_t
clock_now(const struct mxg_engine *e, time_t req_now)
{
	if (req_now != 0)
		return req_now;
	if (e->host.clock != NULL)
		return e->host.clock(e->host.clock_ctx);
	return time(NULL);
}

static const char *
store_spec(const struct mxg_engine *e)
{
	if (e->store_override != NULL)
		return e->store_override;
	if (config(e)->store != NULL)
		return config(e)->store;
	return DEFAULT_STORE;
}

/* Open the store on first need, or again when the rules moved it. */
static int
store_ready(struct mxg_engine *e)
{
	const char *spec = store_spec(e);
	char *copy;
	int rc;

	if (e->store != NULL && strcmp(e->store_spec, spec) == 0)
		return MXG_OK;
	if ((copy = strdup(spec)) == NULL)
		return MXG_ENOMEM;
	mxg_store_close(e->store);
	e->store = NULL;
	free(e->store_spec);
	e->store_spec = copy;
	rc = mxg_store_open(&e->store, spec, config(e)->store_hashsize,
	    &e->log);
	if (rc != MXG_OK)
		e->store = NULL;
	e->gen_known = 0;
	return rc;
}

/* mxg_open: see mxgrey.h. */
MXG_EXPORT int
mxg_open(struct mxg_engine **ep, const char *rules_path,
    const char *store_path, const struct mxg_host *host)
{
	struct mxg_engine *e;
	int err = MXG_OK;

	if (ep == NULL)
		return MXG_EINVAL;
	*ep = NULL;
	if (host != NULL && host->api_version != MXGREY_API_VERSION)
		return MXG_EVERSION;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return MXG_ENOMEM;
	if (host != NULL)
		e->host = *host;
	e->log.fn = e->host.log;
	e->log.ctx = e->host.log_ctx;
	e->rules_path = strdup(rules_path ? rules_path : DEFAULT_RULES);
	if (store_path != NULL)
		e->store_override = strdup(store_path);
	if (e->rules_path == NULL ||
	    (store_path != NULL && e->store_override == NULL)) {
		mxg_close(e);
		return MXG_ENOMEM;
	}
	e->rules = mxg_rules_load(e->rules_path, &e->log, &err);
	if (e->rules == NULL) {
		if (err == MXG_ENOMEM) {
			mxg_close(e);
			return MXG_ENOMEM;
		}
		mxg_log(&e->log, MXG_LOG_ERR,
		    "mxgrey: %s not loaded (%s): answering every request "
		    "with the failure action", e->rules_path, mxg_strerror(err));
		e->logged |= ONCE_RULES;
		*ep = e;
		return err;
	}
	*ep = e;
	return MXG_OK;
}

/* mxg_reload: see mxgrey.h. */
MXG_EXPORT int
mxg_reload(struct mxg_engine *e)
{
	struct mxg_ruleset *rs;
	int err = MXG_OK;

	if (e == NULL)
		return MXG_EINVAL;
	rs = mxg_rules_load(e->rules_path, &e->log, &err);
	if (rs == NULL) {
		mxg_log(&e->log, MXG_LOG_ERR,
		    "mxgrey: reload of %s failed (%s); %s", e->rules_path,
		    mxg_strerror(err),
		    e->rules ? "the previous rules stay in force"
			     : "still answering with the failure action");
		return err;
	}
	mxg_rules_free(e->rules);
	e->rules = rs;
	e->logged &= ~ONCE_RULES;
	/* resolver or GeoIP settings may have changed */
	mxg_lookup_free(e->lookup);
	e->lookup = NULL;
	mxg_log(&e->log, MXG_LOG_NOTICE, "mxgrey: rules reloaded from %s",
	    e->rules_path);
	return MXG_OK;
}

/* mxg_request_reload: see mxgrey.h. */
MXG_EXPORT int
mxg_request_reload(struct mxg_engine *e)
{
	int rc;

	if (e == NULL)
		return MXG_EINVAL;
	if ((rc = store_ready(e)) != MXG_OK)
		return rc;
	return e->store->ops->bump(e->store);
}

/* Once a second at most: has someone asked every engine to reload? */
static void
watch_generation(struct mxg_engine *e, time_t now)
{
	unsigned long gen;

	if (e->gen_known && now == e->gen_checked)
		return;
	e->gen_checked = now;
	if (store_ready(e) != MXG_OK ||
	    e->store->ops->generation(e->store, &gen) != MXG_OK)
		return;
	if (e->gen_known && gen != e->generation)
		(void)mxg_reload(e);
	e->generation = gen;
	e->gen_known = 1;
}

/* mxg_close: see mxgrey.h. */
MXG_EXPORT void
mxg_close(struct mxg_engine *e)
{
	if (e == NULL)
		return;
	mxg_rules_free(e->rules);
	mxg_lookup_free(e->lookup);
	mxg_store_close(e->store);
	free(e->store_spec);
	free(e->rules_path);
	free(e->store_override);
	free(e);
}

/* Copy src into dst (size > 0 bytes), truncating; no printf on the hot path. */
static void
copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
set_text(struct mxg_verdict *v, int code, const char *ecode, const char *text)
{
	v->code = code;
	copy_str(v->ecode, sizeof(v->ecode), ecode);
	copy_str(v->text, sizeof(v->text), text);
}

/* "HH:MM:SS" (hours may grow past two digits) at p; returns the end. */
static char *
put_hms(char *p, long secs)
{
	char digits[24];
	long h = secs / 3600;
	int n = 0;

	do {
		digits[n++] = (char)('0' + h % 10);
		h /= 10;
	} while (h > 0 && n < (int)sizeof(digits));
	if (n < 2)
		*p++ = '0';
	while (n > 0)
		*p++ = digits[--n];
	*p++ = ':';
	*p++ = (char)('0' + (secs / 60) % 60 / 10);
	*p++ = (char)('0' + (secs / 60) % 60 % 10);
	*p++ = ':';
	*p++ = (char)('0' + secs % 60 / 10);
	*p++ = (char)('0' + secs % 60 % 10);
	*p = '\0';
	return p;
}

/* The configured failure action, with a text that says why. */
static void
failure(const struct mxg_engine *e, struct mxg_verdict *v, const char *why)
{
	v->reason = MXG_R_FAILURE;
	v->remaining = 0;
	if (config(e)->fail_action == MXG_ACCEPT) {
		v->action = MXG_ACCEPT;
		set_text(v, 250, "2.0.0", "");
		snprintf(v->text, sizeof(v->text), "Accepted (mxgrey: %s)",
		    why);
		return;
	}
	v->action = MXG_TEMPFAIL;
	v->code = 451;
	snprintf(v->ecode, sizeof(v->ecode), "4.3.0");
	snprintf(v->text, sizeof(v->text),
	    "Temporary failure (%s), please try again later", why);
}

static void
log_once(struct mxg_engine *e, unsigned bit, const char *what, const char *why)
{
	if (e->logged & bit)
		return;
	e->logged |= bit;
	mxg_log(&e->log, MXG_LOG_ERR, "mxgrey: %s: %s", what, why);
}

/* Strip <> and blanks without copying more than fits. */
static const char *
bare(const char *a, char *buf, size_t size)
{
	size_t n;

	if (a == NULL)
		return "";
	while (*a == ' ' || *a == '\t')
		a++;
	if (*a != '<')
		return a;
	a++;
	n = strnlen(a, size);
	if (n >= size)
		n = size - 1;
	memcpy(buf, a, n);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '>')
		buf[n - 1] = '\0';
	return buf;
}

/*
 * The lookup provider, made on the first request that needs one, and
 * made anew in a forked child (its sockets must not be shared).
 * NULL when it cannot be made: the clauses then could not decide.
 */
static struct mxg_lookup *
lookup_ready(struct mxg_engine *e)
{
	if (e->lookup != NULL && e->lookup_pid != getpid()) {
		mxg_lookup_free(e->lookup);
		e->lookup = NULL;
	}
	if (e->lookup == NULL) {
		e->lookup = mxg_lookup_new(mxg_rules_config(e->rules), &e->log);
		e->lookup_pid = getpid();
	}
	return e->lookup;
}

static void
trace(const struct mxg_eval *ev, const char *line)
{
	if (ev->trace != NULL)
		ev->trace(ev->trace_ctx, line);
}

static void
greylist_text(const struct mxg_engine *e, struct mxg_eval *ev,
    const struct mxg_match *m, struct mxg_verdict *v)
{
	long left = v->remaining;

	static const char lead[] = "Greylisting in action, please come back ";

	v->action = MXG_GREYLIST;
	v->code = m->code ? m->code : 451;
	copy_str(v->ecode, sizeof(v->ecode), m->ecode ? m->ecode : "4.7.1");
	if (m->msg != NULL) {
		mxg_fmt_expand(m->msg, ev, v->text, sizeof(v->text));
	} else if (config(e)->flags & MXG_CF_QUIET) {
		copy_str(v->text, sizeof(v->text),
		    "Greylisting in action, please come back later");
	} else {
		memcpy(v->text, lead, sizeof(lead) - 1);
		memcpy(v->text + sizeof(lead) - 1, "in ", 3);
		put_hms(v->text + sizeof(lead) + 2, left < 0 ? 0 : left);
	}
}

static int decide_rules(struct mxg_engine *, struct mxg_eval *,
    const struct mxg_message *, struct mxg_verdict *, int);

static int
decide(struct mxg_engine *e, const struct mxg_request *req,
    const struct mxg_message *msg, struct mxg_verdict *v, int dryrun,
    void (*tr)(void *, const char *), void *tr_ctx)
{
	enum mxg_stage stage = msg ? MXG_STAGE_DATA : MXG_STAGE_RCPT;
	struct mxg_eval ev;
	struct mxg_lookup *lk = NULL;
	char sbuf[MXG_ADDR_MAX + 1], rbuf[MXG_ADDR_MAX + 1];
	int rc;

	memset(&ev, 0, sizeof(ev));
	ev.now = clock_now(e, req->now);
	if (!dryrun)
		watch_generation(e, ev.now);
	if (e->rules == NULL) {
		failure(e, v, "rules not loaded");
		log_once(e, ONCE_RULES, e->rules_path,
		    "no rules loaded, answering with the failure action");
		return MXG_ERULES;
	}
	ev.req = req;
	ev.log = e->log;
	ev.trace = tr;
	ev.trace_ctx = tr_ctx;
	if (req->client_addr == NULL ||
	    mxg_ip_parse(req->client_addr, &ev.ip) != 0) {
		failure(e, v, "malformed client address");
		log_once(e, ONCE_BADREQ, "malformed request",
		    "unparsable client address");
		return MXG_EINVAL;
	}
	ev.sender = bare(req->sender, sbuf, sizeof(sbuf));
	ev.rcpt = bare(msg && msg->nrcpts ? msg->rcpts[0] : req->rcpt, rbuf,
	    sizeof(rbuf));
	if (msg != NULL) {
		ev.msgsize = msg->size;
		ev.headers = msg->headers;
		ev.body = msg->body;
		ev.body_len = msg->body_len;
	}
	if (mxg_rules_needs(e->rules, stage) != 0 &&
	    (lk = lookup_ready(e)) != NULL) {
		mxg_lookup_begin(lk, &ev);
		ev.lookup = mxg_lookup_ops();
		ev.lookup_ctx = lk;
		ev.lookup->prefetch(lk, e->rules, stage);
	}
	rc = decide_rules(e, &ev, msg, v, dryrun);
	if (lk != NULL)
		mxg_lookup_end(lk);
	return rc;
}

static const char *
reason_words(enum mxg_reason r)
{
	switch (r) {
	case MXG_R_NEW:
		return "first seen";
	case MXG_R_EARLY:
		return "retry before the delay";
	case MXG_R_PASSED:
		return "delay passed";
	default:
		return "autowhitelisted";
	}
}

/* The store step for one recipient. */
static int
grey_one(struct mxg_engine *e, const struct mxg_eval *ev, const char *rcpt,
    const struct mxg_grey_params *gp, unsigned line_no,
    struct mxg_grey_result *gr)
{
	const struct mxg_config *cf = mxg_rules_config(e->rules);
	struct mxg_tuple t;
	char line[768];
	int rc;

	if (mxg_tuple_make(&t, &ev->ip, cf->subnetmatch, cf->subnetmatch6,
	    ev->sender, rcpt) != 0) {
		log_once(e, ONCE_BADREQ, "malformed request",
		    "sender or recipient too long or with control characters");
		return MXG_EINVAL;
	}
	if ((rc = store_ready(e)) != MXG_OK ||
	    (rc = e->store->ops->decide(e->store, &t, gp, ev->now, gr)) !=
		MXG_OK)
		return rc == MXG_ENOMEM ? rc : MXG_ESTORE;
	if (!gp->dryrun &&
	    (gr->reason == MXG_R_NEW || gr->reason == MXG_R_EARLY))
		mxg_log(&e->log, MXG_LOG_INFO,
		    "mxgrey: %s from=<%.320s> to=<%.320s> ip=%s: greylisted, "
		    "%lds left (rule line %u)",
		    gr->reason == MXG_R_NEW ? "new" : "early", t.sender, t.rcpt,
		    ev->req->client_addr, gr->remaining, line_no);
	if (ev->trace != NULL) {
		snprintf(line, sizeof(line), "store: tuple %s/%d <%s> <%s>: %s",
		    ev->req->client_addr, t.prefix, t.sender, t.rcpt,
		    reason_words(gr->reason));
		trace(ev, line);
	}
	return MXG_OK;
}

/*
 * The greylist step for every recipient concerned (one at RCPT, all of
 * the message at DATA): greylisted while any of them is.
 */
static int
grey_all(struct mxg_engine *e, const struct mxg_eval *ev,
    const struct mxg_message *msg, const struct mxg_grey_params *gp,
    unsigned line_no, struct mxg_grey_result *out)
{
	struct mxg_grey_result gr;
	size_t n = msg ? msg->nrcpts : 1;
	int rc, waiting = 0;

	memset(out, 0, sizeof(*out));
	out->reason = MXG_R_AUTOWHITE;
	for (size_t i = 0; i < n; i++) {
		rc = grey_one(e, ev, msg ? msg->rcpts[i] : ev->rcpt, gp,
		    line_no, &gr);
		if (rc != MXG_OK)
			return rc;
		if (gr.reason == MXG_R_NEW || gr.reason == MXG_R_EARLY) {
			if (!waiting || gr.remaining > out->remaining ||
			    gr.reason == MXG_R_NEW)
				*out = gr;
			waiting = 1;
		} else if (!waiting) {
			if (gr.reason == MXG_R_PASSED ||
			    out->reason != MXG_R_PASSED)
				*out = gr;
		}
	}
	return MXG_OK;
}

/* Rules, then the store step for greylist, then the reply text. */
static int
decide_rules(struct mxg_engine *e, struct mxg_eval *ev,
    const struct mxg_message *msg, struct mxg_verdict *v, int dryrun)
{
	const struct mxg_config *cf = mxg_rules_config(e->rules);
	struct mxg_match m;
	struct mxg_grey_params gp;
	struct mxg_grey_result gr;
	int rc;

	rc = mxg_rules_eval(e->rules, msg ? MXG_STAGE_DATA : MXG_STAGE_RCPT,
	    ev, &m);
	if (rc == MXG_ELOOKUP) {
		failure(e, v, m.undecided ? m.undecided : "lookup failed");
		log_once(e, ONCE_LOOKUP, "lookup could not decide",
		    v->text);
		v->rule_line = m.line;
		return rc;
	}
	if (rc != MXG_OK) {
		failure(e, v, mxg_strerror(rc));
		return rc;
	}
	e->logged &= ~ONCE_LOOKUP;
	v->rule_line = m.line;
	switch (m.action) {
	case MXG_RA_WHITELIST:
		v->action = MXG_ACCEPT;
		v->reason = MXG_R_WHITELIST;
		set_text(v, 250, "2.1.5", "Ok (whitelisted)");
		return MXG_OK;
	case MXG_RA_BLACKLIST:
		v->action = MXG_REJECT;
		v->reason = MXG_R_BLACKLIST;
		v->code = m.code ? m.code : 550;
		copy_str(v->ecode, sizeof(v->ecode),
		    m.ecode ? m.ecode : "5.7.1");
		if (m.msg != NULL)
			mxg_fmt_expand(m.msg, ev, v->text, sizeof(v->text));
		else
			copy_str(v->text, sizeof(v->text), "Go away!");
		return MXG_OK;
	case MXG_RA_NONE:
		/* milter-greylist: no match at RCPT greylists; at DATA the
		   RCPT stage has decided already */
		if (msg != NULL) {
			v->action = MXG_ACCEPT;
			v->reason = MXG_R_NONE;
			set_text(v, 250, "2.0.0", "Ok");
			return MXG_OK;
		}
		break;
	case MXG_RA_GREYLIST:
		break;
	}

	gp.delay = m.delay >= 0 ? m.delay : cf->delay;
	gp.autowhite = m.autowhite >= 0 ? m.autowhite : cf->autowhite;
	gp.timeout = cf->timeout;
	gp.lazyaw = (cf->flags & MXG_CF_LAZYAW) != 0;
	gp.dryrun = dryrun;
	if ((rc = grey_all(e, ev, msg, &gp, m.line, &gr)) != MXG_OK) {
		failure(e, v, rc == MXG_EINVAL ? "malformed address"
					       : "greylist store unavailable");
		return rc;
	}
	v->reason = gr.reason;
	if (gr.reason == MXG_R_NEW || gr.reason == MXG_R_EARLY) {
		v->remaining = gr.remaining;
		ev->remaining = gr.remaining;
		greylist_text(e, ev, &m, v);
	} else {
		v->action = MXG_ACCEPT;
		v->autowhite_until = gr.autowhite_until;
		set_text(v, 250, "2.1.5",
		    gr.reason == MXG_R_PASSED ? "Ok (greylist passed)"
					      : "Ok (autowhitelisted)");
	}
	return MXG_OK;
}

static int
check_args(struct mxg_engine *e, const struct mxg_request *req,
    struct mxg_verdict *v)
{
	if (v == NULL)
		return MXG_EINVAL;
	memset(v, 0, sizeof(*v));
	if (e == NULL || req == NULL) {
		v->action = MXG_TEMPFAIL;
		v->reason = MXG_R_FAILURE;
		set_text(v, 451, "4.3.0", "Temporary failure (no engine)");
		return MXG_EINVAL;
	}
	return MXG_OK;
}

/* mxg_check: see mxgrey.h. */
MXG_EXPORT int
mxg_check(struct mxg_engine *e, const struct mxg_request *req,
    struct mxg_verdict *v)
{
	int rc;

	if ((rc = check_args(e, req, v)) != MXG_OK)
		return rc;
	return decide(e, req, NULL, v, 0, NULL, NULL);
}

/* mxg_check_data: see mxgrey.h. */
MXG_EXPORT int
mxg_check_data(struct mxg_engine *e, const struct mxg_request *req,
    const struct mxg_message *msg, struct mxg_verdict *v)
{
	int rc;

	if ((rc = check_args(e, req, v)) != MXG_OK)
		return rc;
	if (msg == NULL || (msg->nrcpts > 0 && msg->rcpts == NULL)) {
		failure(e, v, "no message");
		return MXG_EINVAL;
	}
	if (e->rules != NULL &&
	    !mxg_rules_has_stage(e->rules, MXG_STAGE_DATA)) {
		v->action = MXG_ACCEPT;
		v->reason = MXG_R_NONE;
		set_text(v, 250, "2.0.0", "Ok");
		return MXG_OK;
	}
	return decide(e, req, msg, v, 0, NULL, NULL);
}

/* mxg_has_data_rules: see mxgrey.h. */
MXG_EXPORT int
mxg_has_data_rules(const struct mxg_engine *e)
{
	return e != NULL && e->rules != NULL &&
	    mxg_rules_has_stage(e->rules, MXG_STAGE_DATA);
}

/* mxg_explain: see mxgrey.h. */
MXG_EXPORT int
mxg_explain(struct mxg_engine *e, const struct mxg_request *req,
    struct mxg_verdict *v, void (*tr)(void *ctx, const char *line), void *ctx)
{
	int rc;

	if ((rc = check_args(e, req, v)) != MXG_OK)
		return rc;
	return decide(e, req, NULL, v, 1, tr, ctx);
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
		snprintf(line, sizeof(line), "%s\t<>\t<>\t%lld AUTO # %s",
		    ip, (long long)en->rec.until, date);
	else
		snprintf(line, sizeof(line), "%s\t<%s>\t<%s>\t%lld %s# %s",
		    ip, en->tuple.sender, en->tuple.rcpt,
		    (long long)en->rec.until,
		    en->rec.state == MXG_REC_AUTOWHITE ? "AUTO " : "", date);
	w->fn(w->ctx, line);
	return 0;
}

static int
walk_store(struct mxg_engine *e, int (*fn)(void *, const struct mxg_store_entry *),
    struct walk *w)
{
	int rc;

	if (e == NULL)
		return MXG_EINVAL;
	if ((rc = store_ready(e)) != MXG_OK)
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
	w.now = clock_now(e, now);
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
	w.now = clock_now(e, now);
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
	if ((rc = store_ready(e)) != MXG_OK)
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
	w.now = clock_now(e, now);
	w.st = st;
	if ((rc = walk_store(e, count_one, &w)) != MXG_OK)
		return rc;
	return e->store->ops->generation(e->store, &st->generation);
}
