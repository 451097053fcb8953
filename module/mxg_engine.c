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

#include "mxg_engine.h"
#include "mxg_export.h"
#include "mxg_paths.h"
#include "mxg_lookup.h"
#include "mxg_rules.h"
#include "mxg_store.h"
#include "mxg_tuple.h"


/* Causes we log once until they go away. */
#define ONCE_RULES  0x1
#define ONCE_LOOKUP 0x2
#define ONCE_BADREQ 0x4
#define ONCE_HEADER 0x8

static const struct mxg_config fallback_config = {
	.delay = 1800,
	.autowhite = 86400,
	.timeout = 432000,
	.subnetmatch = 32,
	.subnetmatch6 = 128,
	.fail_action = MXG_TEMPFAIL,
};

/* mxg_engine_config: see mxg_engine.h. */
const struct mxg_config *
mxg_engine_config(const struct mxg_engine *e)
{
	return e->rules ? mxg_rules_config(e->rules) : &fallback_config;
}

/* mxg_engine_now: see mxg_engine.h. */
time_t
mxg_engine_now(const struct mxg_engine *e, time_t req_now)
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
	if (mxg_engine_config(e)->store != NULL)
		return mxg_engine_config(e)->store;
	return MXG_DEFAULT_STORE;
}

/* Open the store on first need, or again when the rules moved it. */
/* mxg_engine_store: see mxg_engine.h. */
int
mxg_engine_store(struct mxg_engine *e)
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
	rc = mxg_store_open(&e->store, spec,
	    mxg_engine_config(e)->store_hashsize,
	    ((e->host.flags & MXG_HOST_SHORT_LIVED) ? MXG_STORE_NOMMAP : 0) |
	        e->store_flags,
	    &e->log);
	if (rc != MXG_OK)
		e->store = NULL;
	e->gen_known = 0;
	return rc;
}

/* mxg_open: see mxgrey.h. */
MXG_EXPORT int
mxg_open(struct mxg_engine **ep, const char *rules_path, const char *store_path,
    const struct mxg_host *host)
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
	e->rules_path = strdup(rules_path ? rules_path : MXG_DEFAULT_RULES);
	if (store_path != NULL)
		e->store_override = strdup(store_path);
	if (e->rules_path == NULL ||
	    (store_path != NULL && e->store_override == NULL)) {
		mxg_close(e);
		return MXG_ENOMEM;
	}
	e->rules = mxg_rules_open(e->rules_path, &e->log, &err);
	if (e->rules == NULL) {
		if (err == MXG_ENOMEM) {
			mxg_close(e);
			return MXG_ENOMEM;
		}
		/* what requests then get is said at the first one: a
		   host may also give up on this engine (Exim's shim serves
		   the last good copy instead) */
		mxg_log(&e->log, MXG_LOG_ERR, "mxgrey: %s not loaded (%s)",
		    e->rules_path, mxg_strerror(err));
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
	rs = mxg_rules_open(e->rules_path, &e->log, &err);
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
	/* resolver or GeoIP settings may have changed: a new provider as
	   soon as no pending check uses the old one */
	e->lookup_stale = 1;
	mxg_log(&e->log, MXG_LOG_NOTICE, "mxgrey: rules reloaded from %s",
	    e->rules_path);
	return MXG_OK;
}

/* Once a second at most: has someone asked every engine to reload? */
static void
watch_generation(struct mxg_engine *e, time_t now)
{
	unsigned long gen;

	if (e->gen_known && now == e->gen_checked)
		return;
	e->gen_checked = now;
	if (mxg_engine_store(e) != MXG_OK ||
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
	mxg_pending_close_all(e);
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

/* mxg_engine_text: see mxg_engine.h. */
void
mxg_engine_text(
    struct mxg_verdict *v, int code, const char *ecode, const char *text)
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
/* mxg_engine_failure: see mxg_engine.h. */
void
mxg_engine_failure(
    const struct mxg_engine *e, struct mxg_verdict *v, const char *why)
{
	v->reason = MXG_R_FAILURE;
	v->remaining = 0;
	if (mxg_engine_config(e)->fail_action == MXG_ACCEPT) {
		v->action = MXG_ACCEPT;
		mxg_engine_text(v, 250, "2.0.0", "");
		snprintf(
		    v->text, sizeof(v->text), "Accepted (mxgrey: %s)", why);
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
/*
 * DNS answers are shared by every process of the host through a file
 * beside a tdb store ("<store>.dns"), so a new Exim child does not ask
 * again what a sibling has just learned. Best effort: without it each
 * process still caches for itself.
 */
static void
share_answers(struct mxg_engine *e)
{
	const char *spec = store_spec(e);
	size_t len = strlen(spec) + 5;
	char *path;

	if (e->lookup == NULL || strncmp(spec, "redis://", 8) == 0 ||
	    (path = malloc(len)) == NULL)
		return;
	snprintf(path, len, "%s.dns", spec);
	(void)mxg_lookup_share(e->lookup, path);
	free(path);
}

/* mxg_engine_lookup: see mxg_engine.h. */
struct mxg_lookup *
mxg_engine_lookup(struct mxg_engine *e)
{
	if (e->lookup != NULL && e->lookup_pid != getpid()) {
		/* forked: the parent's sockets and checks are not ours */
		mxg_pending_close_all(e);
		mxg_lookup_free(e->lookup);
		e->lookup = NULL;
	}
	if (e->lookup != NULL && e->lookup_stale && e->pending == NULL) {
		mxg_lookup_free(e->lookup);
		e->lookup = NULL;
	}
	if (e->lookup == NULL) {
		e->lookup = mxg_lookup_new(mxg_rules_config(e->rules), &e->log);
		e->lookup_pid = getpid();
		e->lookup_stale = 0;
		share_answers(e);
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
	} else if (mxg_engine_config(e)->flags & MXG_CF_QUIET) {
		copy_str(v->text, sizeof(v->text),
		    "Greylisting in action, please come back later");
	} else {
		memcpy(v->text, lead, sizeof(lead) - 1);
		memcpy(v->text + sizeof(lead) - 1, "in ", 3);
		put_hms(v->text + sizeof(lead) + 2, left < 0 ? 0 : left);
	}
}

/* mxg_engine_begin: see mxg_engine.h. */
int
mxg_engine_begin(struct mxg_engine *e, const struct mxg_request *req,
    const struct mxg_message *msg, struct mxg_eval *ev, int dryrun,
    struct mxg_verdict *v)
{
	memset(ev, 0, sizeof(*ev));
	ev->now = mxg_engine_now(e, req->now);
	if (!dryrun)
		watch_generation(e, ev->now);
	if (e->rules == NULL) {
		mxg_engine_failure(e, v, "rules not loaded");
		log_once(e, ONCE_RULES, e->rules_path,
		    "no rules loaded, answering with the failure action");
		return MXG_ERULES;
	}
	ev->req = req;
	ev->log = e->log;
	if (req->client_addr == NULL ||
	    mxg_ip_parse(req->client_addr, &ev->ip) != 0) {
		mxg_engine_failure(e, v, "malformed client address");
		log_once(e, ONCE_BADREQ, "malformed request",
		    "unparsable client address");
		return MXG_EINVAL;
	}
	ev->sender = bare(req->sender, e->sbuf, sizeof(e->sbuf));
	ev->rcpt = bare(msg && msg->nrcpts ? msg->rcpts[0] : req->rcpt, e->rbuf,
	    sizeof(e->rbuf));
	if (msg != NULL) {
		ev->msgsize = msg->size;
		ev->headers = msg->headers;
		ev->body = msg->body;
		ev->body_len = msg->body_len;
	}
	return MXG_OK;
}

static int
decide(struct mxg_engine *e, const struct mxg_request *req,
    const struct mxg_message *msg, struct mxg_verdict *v, int dryrun,
    void (*tr)(void *, const char *), void *tr_ctx)
{
	enum mxg_stage stage = msg ? MXG_STAGE_DATA : MXG_STAGE_RCPT;
	struct mxg_eval ev;
	struct mxg_lookup *lk = NULL;
	int rc;

	if ((rc = mxg_engine_begin(e, req, msg, &ev, dryrun, v)) != MXG_OK)
		return rc;
	ev.trace = tr;
	ev.trace_ctx = tr_ctx;
	if (mxg_rules_needs(e->rules, stage) != 0 &&
	    (lk = mxg_engine_lookup(e)) != NULL) {
		mxg_lookup_begin(lk, &ev);
		ev.lookup = mxg_lookup_ops();
		ev.lookup_ctx = lk;
		ev.lookup->prefetch(lk, e->rules, stage);
	}
	rc = mxg_engine_decide(e, &ev, msg, v, dryrun);
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
	if ((rc = mxg_engine_store(e)) != MXG_OK ||
	    (rc = e->store->ops->decide(e->store, &t, gp, ev->now, gr)) !=
	        MXG_OK)
		return rc == MXG_ENOMEM ? rc : MXG_ESTORE;
	if (!gp->dryrun && !(ev->match != NULL && ev->match->nolog) &&
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
	long elapsed = 0;
	int rc, waiting = 0;

	memset(out, 0, sizeof(*out));
	out->reason = MXG_R_AUTOWHITE;
	for (size_t i = 0; i < n; i++) {
		rc = grey_one(
		    e, ev, msg ? msg->rcpts[i] : ev->rcpt, gp, line_no, &gr);
		if (rc != MXG_OK)
			return rc;
		if (gr.reason == MXG_R_NEW || gr.reason == MXG_R_EARLY) {
			if (!waiting || gr.remaining > out->remaining ||
			    gr.reason == MXG_R_NEW)
				*out = gr;
			waiting = 1;
		} else if (!waiting) {
			if (gr.reason == MXG_R_PASSED && gr.elapsed > elapsed)
				elapsed = gr.elapsed;
			if (gr.reason == MXG_R_PASSED ||
			    out->reason != MXG_R_PASSED)
				*out = gr;
		}
	}
	if (out->reason == MXG_R_PASSED)
		out->elapsed = elapsed;
	return MXG_OK;
}

/* Control characters (CR, LF, TAB ...) of a one-line text become spaces;
   trailing blanks go. */
static void
one_line(char *s)
{
	char *end = s;

	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
		if (*s != ' ')
			end = s + 1;
	}
	*end = '\0';
}

/*
 * The rule's addheader, expanded, as "Name: value" in v->header: the
 * name is what precedes the first ':' (printable, no blank, as RFC 5322
 * says); a line that has none after expansion is dropped and logged.
 */
static void
add_header(struct mxg_engine *e, const struct mxg_eval *ev, const char *fmt,
    struct mxg_verdict *v)
{
	char line[MXG_TEXT_MAX];
	size_t n = 0, i;
	const char *val;

	mxg_fmt_expand(fmt, ev, line, sizeof(line));
	while (line[n] > ' ' && line[n] != ':' && line[n] != 0x7f)
		n++;
	if (n == 0 || line[n] != ':' || n + 2 >= sizeof(v->header)) {
		one_line(line);
		log_once(
		    e, ONCE_HEADER, "addheader: not a header, dropped", line);
		return;
	}
	val = line + n + 1;
	while (*val == ' ' || *val == '\t')
		val++;
	memcpy(v->header, line, n);
	v->header[n] = ':';
	v->header[n + 1] = ' ';
	i = strnlen(val, sizeof(v->header) - n - 3);
	memcpy(v->header + n + 2, val, i);
	v->header[n + 2 + i] = '\0';
	one_line(v->header + n + 2);
	if (v->header[n + 2] == '\0')
		v->header[n + 1] = '\0'; /* "Name:" with an empty value */
}

/* What an accept carries besides the decision: X-Greylist wish, the
   rule's report and addheader (expanded now: %E knows the delay). */
static void
accept_extras(struct mxg_engine *e, const struct mxg_eval *ev,
    const struct mxg_match *m, struct mxg_verdict *v)
{
	unsigned want =
	    v->reason == MXG_R_PASSED ? MXG_REPORT_DELAYS : MXG_REPORT_NODELAYS;

	v->xgreylist = (mxg_rules_config(e->rules)->report & want) != 0;
	if (m->report != NULL) {
		mxg_fmt_expand(m->report, ev, v->report, sizeof(v->report));
		one_line(v->report);
	}
	if (m->addheader != NULL)
		add_header(e, ev, m->addheader, v);
}

/*
 * A whitelist or blacklist decision, as milter-greylist logs it (black at
 * info, white at debug; a rule's `nolog` silences both).
 */
static void
log_listed(struct mxg_engine *e, const struct mxg_eval *ev, int level,
    const char *what, unsigned line_no)
{
	mxg_log(&e->log, level,
	    "mxgrey: %s from=<%.320s> to=<%.320s> ip=%s: %s (rule line %u)",
	    what, ev->sender, ev->rcpt, ev->req->client_addr,
	    level == MXG_LOG_INFO ? "rejected" : "accepted", line_no);
}

/* mxg_engine_decide: see mxg_engine.h. */
int
mxg_engine_decide(struct mxg_engine *e, struct mxg_eval *ev,
    const struct mxg_message *msg, struct mxg_verdict *v, int dryrun)
{
	const struct mxg_config *cf = mxg_rules_config(e->rules);
	struct mxg_match m;
	struct mxg_grey_params gp;
	struct mxg_grey_result gr;
	int rc;

	rc = mxg_rules_eval(
	    e->rules, msg ? MXG_STAGE_DATA : MXG_STAGE_RCPT, ev, &m);
	if (rc == MXG_ELOOKUP) {
		mxg_engine_failure(
		    e, v, m.undecided ? m.undecided : "lookup failed");
		log_once(e, ONCE_LOOKUP, "lookup could not decide", v->text);
		v->rule_line = m.line;
		return rc;
	}
	if (rc != MXG_OK) {
		mxg_engine_failure(e, v, mxg_strerror(rc));
		return rc;
	}
	e->logged &= ~ONCE_LOOKUP;
	v->rule_line = m.line;
	switch (m.action) {
	case MXG_RA_WHITELIST:
		v->action = MXG_ACCEPT;
		v->reason = MXG_R_WHITELIST;
		mxg_engine_text(v, 250, "2.1.5", "Ok (whitelisted)");
		accept_extras(e, ev, &m, v);
		if (!dryrun && !m.nolog)
			log_listed(e, ev, MXG_LOG_DEBUG, "whitelist", m.line);
		return MXG_OK;
	case MXG_RA_BLACKLIST:
		if (!dryrun && !m.nolog)
			log_listed(e, ev, MXG_LOG_INFO, "blacklist", m.line);
		v->action = MXG_REJECT;
		v->reason = MXG_R_BLACKLIST;
		v->code = m.code ? m.code : 550;
		copy_str(
		    v->ecode, sizeof(v->ecode), m.ecode ? m.ecode : "5.7.1");
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
			mxg_engine_text(v, 250, "2.0.0", "Ok");
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
		mxg_engine_failure(e, v,
		    rc == MXG_EINVAL ? "malformed address"
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
		if (gr.reason == MXG_R_PASSED) {
			v->delayed = gr.elapsed;
			ev->elapsed = gr.elapsed;
		}
		mxg_engine_text(v, 250, "2.1.5",
		    gr.reason == MXG_R_PASSED ? "Ok (greylist passed)"
		                              : "Ok (autowhitelisted)");
		accept_extras(e, ev, &m, v);
	}
	return MXG_OK;
}

/* mxg_engine_verdict_clear: see mxg_engine.h. */
void
mxg_engine_verdict_clear(struct mxg_verdict *v)
{
	v->action = MXG_ACCEPT;
	v->reason = MXG_R_NONE;
	v->code = 0;
	v->ecode[0] = '\0';
	v->text[0] = '\0';
	v->remaining = 0;
	v->rule_line = 0;
	v->autowhite_until = 0;
	v->delayed = 0;
	v->xgreylist = 0;
	v->header[0] = '\0';
	v->report[0] = '\0';
}

/* mxg_engine_check_args: see mxg_engine.h. */
int
mxg_engine_check_args(
    struct mxg_engine *e, const struct mxg_request *req, struct mxg_verdict *v)
{
	if (v == NULL)
		return MXG_EINVAL;
	mxg_engine_verdict_clear(v);
	if (e == NULL || req == NULL) {
		v->action = MXG_TEMPFAIL;
		v->reason = MXG_R_FAILURE;
		mxg_engine_text(
		    v, 451, "4.3.0", "Temporary failure (no engine)");
		return MXG_EINVAL;
	}
	return MXG_OK;
}

/* mxg_check: see mxgrey.h. */
MXG_EXPORT int
mxg_check(
    struct mxg_engine *e, const struct mxg_request *req, struct mxg_verdict *v)
{
	int rc;

	if ((rc = mxg_engine_check_args(e, req, v)) != MXG_OK)
		return rc;
	return decide(e, req, NULL, v, 0, NULL, NULL);
}

/* mxg_check_data: see mxgrey.h. */
MXG_EXPORT int
mxg_check_data(struct mxg_engine *e, const struct mxg_request *req,
    const struct mxg_message *msg, struct mxg_verdict *v)
{
	int rc;

	if ((rc = mxg_engine_check_args(e, req, v)) != MXG_OK)
		return rc;
	if (msg == NULL || (msg->nrcpts > 0 && msg->rcpts == NULL)) {
		mxg_engine_failure(e, v, "no message");
		return MXG_EINVAL;
	}
	if (e->rules != NULL &&
	    !mxg_rules_has_stage(e->rules, MXG_STAGE_DATA)) {
		v->action = MXG_ACCEPT;
		v->reason = MXG_R_NONE;
		mxg_engine_text(v, 250, "2.0.0", "Ok");
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

	if ((rc = mxg_engine_check_args(e, req, v)) != MXG_OK)
		return rc;
	return decide(e, req, NULL, v, 1, tr, ctx);
}
