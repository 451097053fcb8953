/*
 * mxg_rules_eval.c: evaluate a compiled ruleset over one request. First
 * match wins; every clause is tri-state (1 match, 0 no, -1 could not
 * decide) and a rule that could not be decided stops the evaluation with
 * MXG_ELOOKUP instead of being taken as "no match". No allocation here.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mxgrey.h"
#include "mxg_rules_int.h"

static const char why_nolookup[] = "no lookup provider for this clause";
static const char why_noop[] = "lookup provider lacks this lookup";

static int
remat(const regex_t *re, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (regexec(&re[i], s, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

static int
domainmatch(const struct mxg_strset *set, const char *s, int exact)
{
	size_t len = strlen(s), i;

	if (set == NULL)
		return 0;
	for (i = 0; i < len; i++) {
		if (exact && i > 0 && s[i - 1] != '.')
			continue;
		if (mxg_strset_has(set, s + i, len - i))
			return 1;
	}
	return 0;
}

static int
substr(const char *hay, size_t hlen, const char *needle)
{
	size_t nlen = strlen(needle), i;

	if (nlen == 0)
		return 1;
	for (i = 0; i + nlen <= hlen; i++)
		if (strncasecmp(hay + i, needle, nlen) == 0)
			return 1;
	return 0;
}

/*
 * mxg_rules_list_match: does s (or ip, for an addr list) match list l?
 * 1 or 0. s may be NULL (no match, except against nothing).
 */
int
mxg_rules_list_match(const struct mxg_rlist *l, const char *s,
    const struct mxg_ip *ip, int domainexact)
{
	const char *at;

	if (l->type == MXG_L_ADDR)
		return ip != NULL && ip->family != 0 && l->cidr != NULL &&
		    mxg_cidr_match(l->cidr, ip);
	if (s == NULL)
		return 0;
	switch (l->type) {
	case MXG_L_DOMAIN:
		if (domainmatch(l->exact, s, domainexact))
			return 1;
		break;
	case MXG_L_FROM:
	case MXG_L_RCPT:
		if (l->exact != NULL && mxg_strset_has(l->exact, s, strlen(s)))
			return 1;
		if (l->domains != NULL && (at = strrchr(s, '@')) != NULL &&
		    mxg_strset_has(l->domains, at + 1, strlen(at + 1)))
			return 1;
		break;
	default:
		if (l->exact != NULL && mxg_strset_has(l->exact, s, strlen(s)))
			return 1;
		break;
	}
	return remat(l->re, l->nre, s);
}

/* the client's rDNS name: 1 known (*name NULL: none), -1 undecided */
static int
rdns(const struct mxg_eval *ev, const char **name, int *confirmed,
    const char **why)
{
	const char *n = ev->req ? ev->req->client_name : NULL;

	if (n != NULL) {
		*confirmed = 1;
		if (*n == '\0' || *n == '[' || strcasecmp(n, "unknown") == 0)
			n = NULL;
		*name = n;
		return 1;
	}
	if (ev->lookup == NULL) {
		*why = why_nolookup;
		return -1;
	}
	if (ev->lookup->rdns == NULL) {
		*why = why_noop;
		return -1;
	}
	*why = "rDNS lookup failed";
	if (ev->lookup->rdns(ev->lookup_ctx, name, confirmed, why) < 0)
		return -1;
	if (*name != NULL && **name == '\0')
		*name = NULL;
	return 1;
}

static const char *
macro(const struct mxg_request *req, const char *name)
{
	size_t i, nl, ml;
	const char *m;

	if (req == NULL || req->macros == NULL)
		return NULL;
	if (*name == '{')
		name++;
	nl = strcspn(name, "}");
	for (i = 0; i < req->nmacros; i++) {
		m = req->macros[i].name;
		if (m == NULL)
			continue;
		if (*m == '{')
			m++;
		ml = strcspn(m, "}");
		if (ml == nl && strncmp(m, name, nl) == 0)
			return req->macros[i].value;
	}
	return NULL;
}

static int
compare(int op, unsigned long a, unsigned long b)
{
	switch (op) {
	case MXG_CMP_LT:
		return a < b;
	case MXG_CMP_LE:
		return a <= b;
	case MXG_CMP_EQ:
		return a == b;
	case MXG_CMP_NE:
		return a != b;
	case MXG_CMP_GT:
		return a > b;
	default:
		return a >= b;
	}
}

static int
timematch(const struct mxg_timespec *ts, time_t now)
{
	struct tm tm;

	if (localtime_r(&now, &tm) == NULL)
		return 0;
	return ((ts->min >> tm.tm_min) & 1) && ((ts->hour >> tm.tm_hour) & 1) &&
	    ((ts->mday >> tm.tm_mday) & 1) &&
	    ((ts->mon >> (tm.tm_mon + 1)) & 1) &&
	    ((ts->wday >> tm.tm_wday) & 1);
}

static int
bodymatch(const struct mxg_rlist *l, const char *s, size_t len)
{
	regmatch_t pm;
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < l->nsubs; i++)
		if (substr(s, len, l->subs[i]))
			return 1;
	for (i = 0; i < l->nre; i++) {
		pm.rm_so = 0;
		pm.rm_eo = (regoff_t)len;
		if (regexec(&l->re[i], s, 1, &pm, REG_STARTEND) == 0)
			return 1;
	}
	return 0;
}

static int
dnsrbl(struct mxg_eval *ev, const struct mxg_rbl *rbl, const char **why)
{
	struct mxg_ip ans, a, b;
	int r;

	if (ev->lookup == NULL) {
		*why = why_nolookup;
		return -1;
	}
	memset(&ans, 0, sizeof(ans));
	*why = "DNSRBL lookup failed";
	if (ev->lookup->dnsrbl_match != NULL) {
		/* the provider checks every A record against answer/prefix */
		r = ev->lookup->dnsrbl_match(ev->lookup_ctx, rbl->zone,
		    &rbl->answer, rbl->prefix, &ans, why);
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		ev->dnsrbl_hits |= 1UL << rbl->idx;
		return 1;
	}
	if (ev->lookup->dnsrbl == NULL) {
		*why = why_noop;
		return -1;
	}
	r = ev->lookup->dnsrbl(ev->lookup_ctx, rbl->zone, &ans, why);
	if (r < 0)
		return -1;
	if (r == 0 || ans.family != 4)
		return 0;
	mxg_ip_mask(&ans, rbl->prefix, &a);
	mxg_ip_mask(&rbl->answer, rbl->prefix, &b);
	if (memcmp(a.a, b.a, 4) != 0)
		return 0;
	ev->dnsrbl_hits |= 1UL << rbl->idx;
	return 1;
}

static int
domainclause(const struct mxg_ruleset *rs, const struct mxg_clause *c,
    const struct mxg_eval *ev, const char **why)
{
	const char *name;
	int confirmed;

	if (rdns(ev, &name, &confirmed, why) < 0)
		return -1;
	return mxg_rules_list_match(
	    c->u.list, name, NULL, (rs->cf.flags & MXG_CF_DOMAINEXACT) != 0);
}

/* one clause: 1, 0, or -1 with *why set */
static int
clause(const struct mxg_ruleset *rs, const struct mxg_clause *c,
    struct mxg_eval *ev, const char **why)
{
	const struct mxg_request *req = ev->req;
	const char *name, *v;
	int confirmed;
	char cc[3];
	int spf;

	switch (c->kind) {
	case KW_DEFAULT:
		return 1;
	case KW_ADDR:
		return mxg_rules_list_match(c->u.list, NULL, &ev->ip, 0);
	case KW_FROM:
		return mxg_rules_list_match(c->u.list, ev->sender, NULL, 0);
	case KW_RCPT:
		return mxg_rules_list_match(c->u.list, ev->rcpt, NULL, 0);
	case KW_HELO:
		return mxg_rules_list_match(
		    c->u.list, req ? req->helo : NULL, NULL, 0);
	case KW_LISTREF:
		switch (c->u.list->type) {
		case MXG_L_ADDR:
			return mxg_rules_list_match(
			    c->u.list, NULL, &ev->ip, 0);
		case MXG_L_FROM:
			return mxg_rules_list_match(
			    c->u.list, ev->sender, NULL, 0);
		case MXG_L_RCPT:
			return mxg_rules_list_match(
			    c->u.list, ev->rcpt, NULL, 0);
		case MXG_L_HELO:
			return mxg_rules_list_match(
			    c->u.list, req ? req->helo : NULL, NULL, 0);
		default:
			break;
		}
		/* domain list: the client's rDNS name */
		return domainclause(rs, c, ev, why);
	case KW_DOMAIN:
		return domainclause(rs, c, ev, why);
	case KW_AUTH:
		v = req ? req->auth_id : NULL;
		if (v == NULL || *v == '\0')
			return 0;
		return c->u.list == NULL ||
		    mxg_rules_list_match(c->u.list, v, NULL, 0);
	case KW_TLS:
		if (req == NULL || !req->tls)
			return 0;
		if (c->u.list == NULL)
			return 1;
		if ((v = macro(req, "cert_subject")) == NULL)
			return 0;
		return mxg_rules_list_match(c->u.list, v, NULL, 0);
	case KW_SMMACRO_REF:
		v = macro(req, c->u.macro->macro);
		if (c->u.macro->unset)
			return v == NULL;
		if (v == NULL)
			return 0;
		if (c->u.macro->re != NULL)
			return regexec(c->u.macro->re, v, 0, NULL, 0) == 0;
		return strcmp(v, c->u.macro->value) == 0;
	case KW_TIME:
		return timematch(c->u.time, ev->now);
	case KW_RCPTCOUNT:
		return compare(
		    c->u.cmp.op, req ? req->rcpt_count : 0, c->u.cmp.n);
	case KW_MSGSIZE:
		return compare(
		    c->u.cmp.op, (unsigned long)ev->msgsize, c->u.cmp.n);
	case KW_HEADER:
		return bodymatch(c->u.list, ev->headers,
		    ev->headers ? strlen(ev->headers) : 0);
	case KW_BODY:
		return bodymatch(c->u.list, ev->body, ev->body_len);
	case KW_DNSRBL_REF:
		return dnsrbl(ev, c->u.rbl, why);
	case KW_SPF:
		if (ev->lookup == NULL || ev->lookup->spf == NULL) {
			*why = ev->lookup ? why_noop : why_nolookup;
			return -1;
		}
		*why = "SPF check failed";
		if (ev->lookup->spf(ev->lookup_ctx, &spf, why) < 0)
			return -1;
		return spf == c->u.spf;
	case KW_GEOIP:
		if (ev->lookup == NULL || ev->lookup->geoip == NULL) {
			*why = ev->lookup ? why_noop : why_nolookup;
			return -1;
		}
		memset(cc, 0, sizeof(cc));
		*why = "GeoIP lookup failed";
		if (ev->lookup->geoip(ev->lookup_ctx, cc, why) < 0)
			return -1;
		cc[2] = '\0';
		return mxg_rules_list_match(c->u.list, cc, NULL, 0);
	case KW_S25R:
		if (rdns(ev, &name, &confirmed, why) < 0)
			return -1;
		return name == NULL || !confirmed || mxg_rules_s25r(rs, name);
	case KW_NORDNS:
		if (rdns(ev, &name, &confirmed, why) < 0)
			return -1;
		return name == NULL || !confirmed;
	default:
		*why = "internal error: unknown clause";
		return -1;
	}
}

/* mxg_rules_s25r: see mxg_rules_int.h. 0 when s25r was never compiled. */
int
mxg_rules_s25r(const struct mxg_ruleset *rs, const char *name)
{
	size_t i;

	if (!rs->s25r_ready)
		return 0;
	for (i = 0; i < MXG_S25R_N; i++)
		if (regexec(&rs->s25r[i], name, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

static void
fill(struct mxg_match *m, const struct mxg_rule *r)
{
	m->action = r->cont ? MXG_RA_NONE : (enum mxg_rule_action)r->action;
	m->line = r->line;
	m->delay = r->delay;
	m->autowhite = r->autowhite;
	m->msg = r->msg;
	m->code = r->code;
	m->ecode = r->ecode;
	m->addheader = r->addheader;
	m->id = r->id;
	m->report = r->report;
	m->nolog = r->nolog;
}

static void
rulelog(
    const struct mxg_rule *r, struct mxg_eval *ev, const struct mxg_match *m)
{
	char buf[1024];

	if (r->log == NULL || r->nolog || ev->log.fn == NULL)
		return; /* nobody listens: do not expand */
	ev->match = m;
	mxg_fmt_expand(r->log, ev, buf, sizeof(buf));
	mxg_log(&ev->log, MXG_LOG_INFO, "%s", buf);
}

static void
trace(struct mxg_eval *ev, const struct mxg_rule *r, const char *what)
{
	char buf[160];

	if (ev->trace == NULL)
		return;
	snprintf(buf, sizeof(buf), "line %u: %s", r->line, what);
	ev->trace(ev->trace_ctx, buf);
}

/*
 * milter-greylist's global whitelisting, before any rule: a client that
 * authenticated (SMTP AUTH), or whose TLS certificate verified, is not
 * greylisted, unless `noauth` is set or a rule tests auth or tls itself.
 * Returns why, or NULL.
 */
static const char *
bypass(const struct mxg_ruleset *rs, const struct mxg_eval *ev)
{
	const struct mxg_request *req = ev->req;
	const char *v;

	if (req == NULL || (rs->cf.flags & MXG_CF_NOAUTH) ||
	    rs->st[0].tests_auth || rs->st[1].tests_auth)
		return NULL;
	if (req->auth_id != NULL && *req->auth_id != '\0')
		return "authenticated client";
	if ((v = macro(req, "verify")) != NULL && strcmp(v, "OK") == 0 &&
	    (v = macro(req, "cert_subject")) != NULL && *v != '\0')
		return "client certificate verified";
	return NULL;
}

/* mxg_rules_eval: see mxg_rules.h. */
int
mxg_rules_eval(const struct mxg_ruleset *rs, enum mxg_stage stage,
    struct mxg_eval *ev, struct mxg_match *m)
{
	const struct mxg_stage_rules *st = &rs->st[stage == MXG_STAGE_DATA];
	const struct mxg_rule *r;
	struct mxg_match cm;
	const char *why, *undecided;
	size_t i, j;
	int v;

	memset(m, 0, sizeof(*m));
	m->delay = -1;
	m->autowhite = -1;
	ev->rs = rs;
	ev->match = m;
	ev->dnsrbl_hits = 0;
	if (stage == MXG_STAGE_RCPT && (why = bypass(rs, ev)) != NULL) {
		m->action = MXG_RA_WHITELIST;
		if (ev->trace != NULL)
			ev->trace(ev->trace_ctx, why);
		mxg_log(&ev->log, MXG_LOG_DEBUG,
		    "%s: not greylisted (noauth turns this off)", why);
		return MXG_OK;
	}
	for (i = 0; i < st->nrules; i++) {
		r = &st->rules[i];
		undecided = NULL;
		for (j = 0; j < r->nclauses; j++) {
			why = NULL;
			v = clause(rs, &r->clauses[j], ev, &why);
			if (v < 0) {
				if (undecided == NULL)
					undecided = why ? why : "lookup failed";
				continue;
			}
			if (r->clauses[j].neg)
				v = !v;
			if (!v)
				break;
		}
		if (j < r->nclauses) {
			trace(ev, r, "no match");
			continue;
		}
		if (undecided != NULL && r->cont) {
			/* a continue rule only logs: skip it, say why */
			trace(ev, r, "continue rule could not be decided");
			mxg_log(&ev->log, MXG_LOG_DEBUG,
			    "rules line %u: skipped: %s", r->line, undecided);
			continue;
		}
		if (undecided != NULL) {
			fill(m, r);
			m->undecided = undecided;
			trace(ev, r, "could not decide");
			return MXG_ELOOKUP;
		}
		if (r->cont) {
			trace(ev, r, "continue");
			if (r->log != NULL && !r->nolog && ev->log.fn != NULL) {
				memset(&cm, 0, sizeof(cm));
				fill(&cm, r);
				rulelog(r, ev, &cm);
				ev->match = m;
			}
			continue;
		}
		fill(m, r);
		trace(ev, r, "match");
		rulelog(r, ev, m);
		ev->match = m;
		return MXG_OK;
	}
	return MXG_OK;
}

/* mxg_rules_header_rule: see mxg_rules.h. */
unsigned
mxg_rules_header_rule(const struct mxg_ruleset *rs, const char **what)
{
	const struct mxg_rule *r;
	size_t i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < rs->st[i].nrules; j++) {
			r = &rs->st[i].rules[j];
			if (r->addheader != NULL || r->report != NULL) {
				*what = r->addheader != NULL ? "addheader"
				                             : "report";
				return r->line;
			}
		}
	return 0;
}
