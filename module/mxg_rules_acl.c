/*
 * mxg_rules_acl.c: racl and dacl statements of the rules language: the
 * action, the clauses (matched against a request by mxg_rules_eval.c)
 * and the per-rule values, compiled into a struct mxg_rule of the stage.
 * Called by the statement parser (mxg_rules_parse.c) after the keyword.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mxgrey.h"
#include "mxg_rules_int.h"
#include "mxg_rules_parser.h"

static int
isnetwork(int kind)
{
	return kind == KW_DNSRBL_REF || kind == KW_SPF || kind == KW_GEOIP ||
	    kind == KW_S25R || kind == KW_NORDNS || kind == KW_DOMAIN;
}

static struct mxg_timespec *
timespec(struct mxg_parser *p)
{
	static const int lo[5] = { 0, 0, 1, 1, 0 },
	                 hi[5] = { 59, 23, 31, 12, 7 };
	char showbuf[80];
	struct mxg_timespec *ts;
	unsigned long long bits[5];
	char buf[256], *f[5], *save;
	struct mxg_token t = p->tok;
	int i;

	if ((ts = mxg_rules_zalloc(p, sizeof(*ts))) == NULL)
		return NULL;
	if (p->tok.type == MXG_T_STRING) {
		if (p->tok.len >= sizeof(buf))
			goto bad;
		memcpy(buf, p->tok.text, p->tok.len + 1);
		for (i = 0; i < 5; i++)
			if ((f[i] = strtok_r(i ? NULL : buf, " \t", &save)) ==
			    NULL)
				goto bad;
		if (strtok_r(NULL, " \t", &save) != NULL)
			goto bad;
		for (i = 0; i < 5; i++)
			if (mxg_rules_timefield(f[i], lo[i], hi[i], &bits[i]) !=
			    0)
				goto bad;
		mxg_rules_next(p);
	} else {
		for (i = 0; i < 5; i++) {
			if (p->tok.type != MXG_T_WORD ||
			    mxg_rules_timefield(
			        p->tok.text, lo[i], hi[i], &bits[i]) != 0)
				goto bad;
			mxg_rules_next(p);
		}
	}
	ts->min = bits[0];
	ts->hour = (unsigned long)bits[1];
	ts->mday = (unsigned long)bits[2];
	ts->mon = (unsigned long)bits[3];
	ts->wday = (unsigned long)bits[4];
	if (ts->wday & (1UL << 7))
		ts->wday |= 1; /* 7 is Sunday too */
	return ts;
bad:
	mxg_rules_perr(p, &t,
	    "time: expected a crontab-style spec \"min hour mday month "
	    "wday\" (e.g. \"* 8-18 * * 1-5\"), got '%s'",
	    MXG_SHOW(&p->tok));
	return NULL;
}

static int
cmpop(const char *s, size_t *len)
{
	static const struct {
		const char *s;
		int op;
	} ops[] = { { "<=", MXG_CMP_LE }, { ">=", MXG_CMP_GE },
		{ "==", MXG_CMP_EQ }, { "!=", MXG_CMP_NE }, { "<", MXG_CMP_LT },
		{ ">", MXG_CMP_GT }, { "=", MXG_CMP_EQ } };
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strncmp(s, ops[i].s, strlen(ops[i].s)) == 0) {
			*len = strlen(ops[i].s);
			return ops[i].op;
		}
	*len = 0;
	return 0;
}

/* [op] N[k|m|g] (op defaults to >=, as milter-greylist's rcptcount) */
static int
comparison(struct mxg_parser *p, struct mxg_clause *c, int sizes)
{
	char showbuf[80];
	char buf[64];
	unsigned long n, mult = 1;
	size_t oplen, len;
	int op;

	if (!mxg_rules_isstr(p)) {
		mxg_rules_perr(p, &p->tok,
		    "expected a comparison (> 10, <= 5), got "
		    "'%s'",
		    MXG_SHOW(&p->tok));
		return -1;
	}
	op = cmpop(p->tok.text, &oplen);
	if (op != 0 && oplen == p->tok.len) {
		mxg_rules_next(p);
		oplen = 0;
	} else if (op == 0) {
		op = MXG_CMP_GE;
	}
	if (!mxg_rules_isstr(p) || p->tok.len - oplen >= sizeof(buf)) {
		mxg_rules_perr(p, &p->tok, "expected a number, got '%s'",
		    MXG_SHOW(&p->tok));
		return -1;
	}
	if (p->tok.text[oplen] == '$') {
		mxg_rules_perr(p, &p->tok,
		    "comparison with a property ('%s') is unsupported",
		    MXG_SHOW(&p->tok));
		return -1;
	}
	len = p->tok.len - oplen;
	memcpy(buf, p->tok.text + oplen, len + 1);
	if (sizes && len > 1) {
		switch (buf[len - 1]) {
		case 'k':
		case 'K':
			mult = 1024;
			break;
		case 'm':
		case 'M':
			mult = 1024 * 1024;
			break;
		case 'g':
		case 'G':
			mult = 1024UL * 1024 * 1024;
			break;
		default:
			break;
		}
		if (mult != 1)
			buf[len - 1] = '\0';
	}
	if (mxg_rules_number(buf, ULONG_MAX / mult, &n) != 0) {
		mxg_rules_perr(p, &p->tok, "expected a number, got '%s'",
		    MXG_SHOW(&p->tok));
		return -1;
	}
	c->u.cmp.op = op;
	c->u.cmp.n = n * mult;
	mxg_rules_next(p);
	return 0;
}

/*
 * The S25R heuristic (Selective SMTP Rejection, Asami 2004): generic
 * rDNS names of dynamic hosts. Compiled once per ruleset when used.
 */
static const char *const s25r_patterns[MXG_S25R_N] = {
	"^[^.]*[0-9][^0-9.]+[0-9]",
	"^[^.]*[0-9]{5}",
	"^([^.]+\\.)?[0-9][^.]*\\.[^.]+\\..+\\.[a-z]",
	"^[^.]*[0-9]\\.[^.]*[0-9]-[0-9]",
	"^[^.]*[0-9]\\.[^.]*[0-9]\\.[^.]+\\..+\\.",
	"^(dhcp|dialup|ppp|[achrsvx]?adsl)[^.]*[0-9]",
};

static int
s25r_compile(struct mxg_parser *p, const struct mxg_token *t)
{
	size_t i;

	if (p->rs->s25r_ready)
		return 0;
	for (i = 0; i < MXG_S25R_N; i++) {
		if (regcomp(&p->rs->s25r[i], s25r_patterns[i],
		        REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
			while (i-- > 0)
				regfree(&p->rs->s25r[i]);
			mxg_rules_perr(
			    p, t, "internal error: S25R pattern %zu", i);
			return -1;
		}
	}
	p->rs->s25r_ready = 1;
	return 0;
}

static int
spfword(const char *s)
{
	static const struct {
		const char *s;
		int v;
	} w[] = { { "pass", MXG_SPF_PASS }, { "fail", MXG_SPF_FAIL },
		{ "softfail", MXG_SPF_SOFTFAIL },
		{ "neutral", MXG_SPF_NEUTRAL }, { "none", MXG_SPF_NONE },
		{ "unknown", MXG_SPF_PERMERROR },
		{ "permerror", MXG_SPF_PERMERROR },
		{ "error", MXG_SPF_TEMPERROR },
		{ "temperror", MXG_SPF_TEMPERROR } };
	size_t i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (strcasecmp(s, w[i].s) == 0)
			return w[i].v;
	return -1;
}

/* the clause at p->tok (already known to be kind); fills c */
static int
clause(struct mxg_parser *p, int kind, struct mxg_clause *c, int stage)
{
	char showbuf[80];
	struct mxg_token kwt = p->tok;
	struct mxg_rlist *l;
	const char *name;
	size_t i;
	int ltype, v;

	c->kind = kind;
	c->line = kwt.line;
	c->col = kwt.col;
	mxg_rules_next(p);
	switch (kind) {
	case KW_ADDR:
	case KW_DOMAIN:
	case KW_FROM:
	case KW_RCPT:
	case KW_HELO:
	case KW_HEADER:
	case KW_BODY:
		ltype = kind == KW_ADDR ? MXG_L_ADDR
		    : kind == KW_DOMAIN ? MXG_L_DOMAIN
		    : kind == KW_FROM   ? MXG_L_FROM
		    : kind == KW_RCPT   ? MXG_L_RCPT
		    : kind == KW_HELO   ? MXG_L_HELO
		                        : MXG_L_STR;
		if ((kind == KW_HEADER || kind == KW_BODY) &&
		    stage != MXG_STAGE_DATA) {
			mxg_rules_perr(p, &kwt,
			    "'%s' is only valid in dacl rules",
			    kind == KW_HEADER ? "header" : "body");
			return -1;
		}
		if ((l = mxg_rules_newlist(p, ltype, NULL)) == NULL)
			return -1;
		c->u.list = l;
		/* header and body: ^ and $ match at each line */
		p->reflags = ltype == MXG_L_STR ? REG_NEWLINE : 0;
		v = mxg_rules_listvalues(
		    p, l, kind == KW_HEADER || kind == KW_BODY);
		p->reflags = 0;
		return v;
	case KW_AUTH:
	case KW_TLS:
		if (p->tok.type != MXG_T_STRING && p->tok.type != MXG_T_REGEX &&
		    p->tok.type != MXG_T_LBRACE) {
			c->u.list = NULL; /* bare: any */
			return 0;
		}
		if ((l = mxg_rules_newlist(p, MXG_L_STR, NULL)) == NULL)
			return -1;
		c->u.list = l;
		return mxg_rules_listvalues(p, l, 0);
	case KW_LISTREF:
		if ((name = mxg_rules_want_string(p, "list")) == NULL)
			return -1;
		if ((l = mxg_rules_findlist(p, name)) == NULL) {
			mxg_rules_perr(
			    p, &kwt, "list \"%s\" is not defined", name);
			return -1;
		}
		c->u.list = l;
		return 0;
	case KW_SMMACRO_REF:
		if ((name = mxg_rules_want_string(p, "sm_macro")) == NULL)
			return -1;
		for (i = 0; i < p->rs->nmacros; i++)
			if (strcmp(p->rs->macros[i]->name, name) == 0)
				break;
		if (i == p->rs->nmacros) {
			mxg_rules_perr(
			    p, &kwt, "sm_macro \"%s\" is not defined", name);
			return -1;
		}
		c->u.macro = p->rs->macros[i];
		return 0;
	case KW_DNSRBL_REF:
		if ((name = mxg_rules_want_string(p, "dnsrbl")) == NULL)
			return -1;
		for (i = 0; i < p->rs->nrbls; i++)
			if (strcmp(p->rs->rbls[i]->name, name) == 0)
				break;
		if (i == p->rs->nrbls) {
			mxg_rules_perr(
			    p, &kwt, "dnsrbl \"%s\" is not defined", name);
			return -1;
		}
		c->u.rbl = p->rs->rbls[i];
		return 0;
	case KW_GEOIP:
		/* "CC" or { "CC" "DD" ... }: a set of country codes */
		if ((l = mxg_rules_newlist(p, MXG_L_STR, NULL)) == NULL)
			return -1;
		c->u.list = l;
		p->ccodes = 1;
		v = mxg_rules_listvalues(p, l, 0);
		p->ccodes = 0;
		return v;
	case KW_SPF:
		c->u.spf = MXG_SPF_PASS;
		if (p->tok.type != MXG_T_WORD ||
		    mxg_rules_kw_find(p->tok.text, p->tok.len) != NULL)
			return 0;
		if (strcmp(p->tok.text, "self") == 0) {
			mxg_rules_perr(p, &p->tok, "spf self is unsupported");
			return -1;
		}
		if ((v = spfword(p->tok.text)) < 0) {
			mxg_rules_perr(p, &p->tok,
			    "spf: expected pass, fail, softfail, neutral, "
			    "none, unknown or error, got '%s'",
			    MXG_SHOW(&p->tok));
			return -1;
		}
		c->u.spf = v;
		mxg_rules_next(p);
		return 0;
	case KW_TIME:
		return (c->u.time = timespec(p)) == NULL ? -1 : 0;
	case KW_RCPTCOUNT:
		return comparison(p, c, 0);
	case KW_MSGSIZE:
		if (stage != MXG_STAGE_DATA) {
			mxg_rules_perr(
			    p, &kwt, "'msgsize' is only valid in dacl rules");
			return -1;
		}
		return comparison(p, c, 1);
	case KW_S25R:
		return s25r_compile(p, &kwt);
	case KW_DEFAULT:
	case KW_NORDNS:
		return 0;
	default:
		mxg_rules_perr(p, &kwt, "internal error: clause %d", kind);
		return -1;
	}
}

static const char *
fmtvalue(struct mxg_parser *p, const char *what)
{
	return mxg_rules_want_string(p, what);
}

static unsigned
fmtneeds(const char *f)
{
	unsigned n = 0;

	if (f == NULL)
		return 0;
	if (strstr(f, "%C") != NULL)
		n |= MXG_NEED_GEOIP;
	if (strstr(f, "%Qs") != NULL)
		n |= MXG_NEED_SPF;
	if (strstr(f, "%d") != NULL || strstr(f, "%md") != NULL ||
	    strstr(f, "%sd") != NULL)
		n |= MXG_NEED_RDNS;
	return n;
}

/* "Name: value": a header name (printable ASCII, no blank, no ':'), then
   ':'; the value has no line break (an unfolded header line). */
static int
header_ok(const char *h, size_t len)
{
	size_t n = 0;

	while (n < len && h[n] > ' ' && h[n] < 0x7f && h[n] != ':')
		n++;
	if (n == 0 || n == len || h[n] != ':')
		return 0;
	for (; n < len; n++)
		if (h[n] == '\r' || h[n] == '\n' || h[n] == '\0')
			return 0;
	return 1;
}

/* "C.x.y" (RFC 3463): class C (cls, or 2/4/5 when 0), 1-3 digits each. */
static int
ecode_ok(const char *e, char cls)
{
	int dots = 1, digits = 0;

	if ((cls ? e[0] != cls : (e[0] != '2' && e[0] != '4' && e[0] != '5')) ||
	    e[1] != '.')
		return 0;
	for (e += 2; *e != '\0'; e++) {
		if (*e == '.') {
			if (digits == 0 || ++dots > 2)
				return 0;
			digits = 0;
		} else if (*e >= '0' && *e <= '9') {
			if (++digits > 3)
				return 0;
		} else {
			return 0;
		}
	}
	return dots == 2 && digits > 0;
}

static int
value(struct mxg_parser *p, int kind, struct mxg_rule *r)
{
	char showbuf[80];
	unsigned long n;
	long d;

	mxg_rules_next(p);
	switch (kind) {
	case KW_DELAY:
		return (r->delay = mxg_rules_want_duration(p, "delay")) < 0 ? -1
		                                                            : 0;
	case KW_AW:
		return (r->autowhite =
		               mxg_rules_want_duration(p, "autowhite")) < 0
		    ? -1
		    : 0;
	case KW_MSG:
		return (r->msg = fmtvalue(p, "msg")) == NULL ? -1 : 0;
	case KW_ECODE:
		if ((r->ecode = fmtvalue(p, "ecode")) == NULL)
			return -1;
		if (strlen(r->ecode) >= MXG_CODE_MAX) {
			mxg_rules_perr(p, &p->tok, "ecode: too long");
			return -1;
		}
		if (!ecode_ok(r->ecode,
		        r->action == MXG_RA_GREYLIST        ? '4'
		            : r->action == MXG_RA_BLACKLIST ? '5'
		                                            : 0)) {
			mxg_rules_perr(p, &p->tok,
			    "ecode: expected an enhanced status code like "
			    "%s, got '%s'",
			    r->action == MXG_RA_BLACKLIST ? "\"5.7.1\""
			                                  : "\"4.7.1\"",
			    r->ecode);
			return -1;
		}
		return 0;
	case KW_REPORTV:
		return (r->report = fmtvalue(p, "report")) == NULL ? -1 : 0;
	case KW_LOG:
		return (r->log = fmtvalue(p, "log")) == NULL ? -1 : 0;
	case KW_ADDHEADER:
		if (p->tok.type == MXG_T_STRING &&
		    !header_ok(p->tok.text, p->tok.len)) {
			mxg_rules_perr(p, &p->tok,
			    "addheader: expected \"Name: value\" (a header "
			    "name without blanks, then ':'), got '%s'",
			    MXG_SHOW(&p->tok));
			return -1;
		}
		return (r->addheader = fmtvalue(p, "addheader")) == NULL ? -1
		                                                         : 0;
	case KW_NOLOG:
		r->nolog = 1;
		return 0;
	case KW_CODE:
		if (!mxg_rules_isstr(p) ||
		    mxg_rules_number(p->tok.text, 999, &n) != 0 || n < 200) {
			mxg_rules_perr(p, &p->tok,
			    "code: expected an SMTP code (451, 550), got '%s'",
			    MXG_SHOW(&p->tok));
			return -1;
		}
		if ((r->action == MXG_RA_GREYLIST && (n < 400 || n > 499)) ||
		    (r->action == MXG_RA_BLACKLIST && (n < 500 || n > 599))) {
			mxg_rules_perr(p, &p->tok,
			    "code: %s needs a %s code, got '%s'",
			    r->action == MXG_RA_GREYLIST ? "greylist"
			                                 : "blacklist",
			    r->action == MXG_RA_GREYLIST ? "4xx" : "5xx",
			    MXG_SHOW(&p->tok));
			return -1;
		}
		r->code = (int)n;
		mxg_rules_next(p);
		return 0;
	default:
		d = kind;
		mxg_rules_perr(p, &p->tok, "internal error: value %ld", d);
		return -1;
	}
}

static int
addrule(struct mxg_parser *p, struct mxg_stage_rules *st, struct mxg_rule *r)
{
	if (mxg_rules_grow(
	        p, &st->rules, &st->cap, st->nrules, sizeof(*st->rules)) != 0)
		return -1;
	st->rules[st->nrules++] = *r;
	return 0;
}

/* mxg_rules_acl: see mxg_rules_parser.h. */
void
mxg_rules_acl(struct mxg_parser *p, int stage, const struct mxg_token *aclt)
{
	char showbuf[80];
	struct mxg_stage_rules *st = &p->rs->st[stage];
	const struct mxg_kw *kw;
	struct mxg_clause *cl = NULL, tmp;
	size_t ncl = 0, capcl = 0, i, j;
	struct mxg_rule r;
	struct mxg_token negt;
	unsigned errs = p->nerr;
	int neg, isdefault = 0;

	memset(&r, 0, sizeof(r));
	r.line = aclt->line;
	r.delay = -1;
	r.autowhite = -1;
	if (p->tok.type == MXG_T_STRING) {
		r.id = mxg_rules_sdup(p, p->tok.text, p->tok.len);
		mxg_rules_next(p);
	}
	if (mxg_rules_isword(p, "whitelist"))
		r.action = MXG_RA_WHITELIST;
	else if (mxg_rules_isword(p, "greylist"))
		r.action = MXG_RA_GREYLIST;
	else if (mxg_rules_isword(p, "blacklist"))
		r.action = MXG_RA_BLACKLIST;
	else if (mxg_rules_isword(p, "continue"))
		r.cont = 1;
	else {
		mxg_rules_perr(p, &p->tok,
		    "expected whitelist, greylist, blacklist or continue, got "
		    "'%s'",
		    MXG_SHOW(&p->tok));
		mxg_rules_skipstmt(p);
		return;
	}
	mxg_rules_next(p);
	while (!mxg_rules_atend(p) && !p->oom) {
		neg = 0;
		negt = p->tok;
		if (p->tok.type == MXG_T_BANG) {
			neg = 1;
			mxg_rules_next(p);
		} else if (mxg_rules_isword(p, "not") ||
		    mxg_rules_isword(p, "no")) {
			neg = 1;
			mxg_rules_next(p);
		}
		kw = p->tok.type == MXG_T_WORD
		    ? mxg_rules_kw_find(p->tok.text, p->tok.len)
		    : NULL;
		if (kw != NULL && kw->clause == KW_UNSUPPORTED) {
			mxg_rules_perr(p, &p->tok,
			    "'%s' is unsupported by mxgrey", kw->name);
			mxg_rules_skipstmt(p);
			break;
		}
		if (kw != NULL && kw->clause != KW_NONE &&
		    kw->clause != KW_NOT) {
			memset(&tmp, 0, sizeof(tmp));
			tmp.neg = neg;
			if (clause(p, kw->clause, &tmp, stage) != 0) {
				mxg_rules_skipstmt(p);
				break;
			}
			if (mxg_rules_grow(p, &cl, &capcl, ncl, sizeof(*cl)) !=
			    0)
				break;
			cl[ncl++] = tmp;
			continue;
		}
		if (kw != NULL && kw->value != KW_NONE && !neg) {
			if (value(p, kw->value, &r) != 0) {
				mxg_rules_skipstmt(p);
				break;
			}
			continue;
		}
		if (neg && kw != NULL && kw->value != KW_NONE)
			mxg_rules_perr(
			    p, &negt, "'%s' cannot be negated", kw->name);
		else
			mxg_rules_perr(p, &p->tok,
			    "expected a clause or a value, got "
			    "'%s'",
			    MXG_SHOW(&p->tok));
		mxg_rules_skipstmt(p);
		break;
	}
	if (p->nerr != errs || p->oom) {
		free(cl);
		return;
	}
	if (st->closed) {
		mxg_rules_pwarn(p, aclt,
		    "rule ignored: it follows a 'default' rule of the same "
		    "stage (line %u)",
		    st->closed);
		free(cl);
		return;
	}
	/* no clause at all matches everything, like default */
	if (!r.cont &&
	    (ncl == 0 || (ncl == 1 && cl[0].kind == KW_DEFAULT && !cl[0].neg)))
		isdefault = 1;
	/* cheap local clauses first, lookups last: stable partition */
	for (i = 0, j = 0; i < ncl; i++)
		if (!isnetwork(cl[i].kind)) {
			tmp = cl[i];
			memmove(&cl[j + 1], &cl[j], (i - j) * sizeof(*cl));
			cl[j++] = tmp;
		}
	if (cl != NULL && (r.clauses = mxg_rules_own(p, cl)) == NULL)
		return;
	r.nclauses = ncl;
	for (i = 0; i < ncl; i++) {
		switch (cl[i].kind) {
		case KW_DNSRBL_REF:
			st->needs |= MXG_NEED_DNSRBL;
			break;
		case KW_SPF:
			st->needs |= MXG_NEED_SPF;
			break;
		case KW_GEOIP:
			st->needs |= MXG_NEED_GEOIP;
			break;
		case KW_S25R:
		case KW_NORDNS:
		case KW_DOMAIN:
			st->needs |= MXG_NEED_RDNS;
			break;
		case KW_AUTH:
		case KW_TLS:
			st->tests_auth = 1;
			break;
		default:
			break;
		}
	}
	st->needs |= fmtneeds(r.msg) | fmtneeds(r.log) | fmtneeds(r.report) |
	    fmtneeds(r.addheader);
	if (addrule(p, st, &r) == 0 && isdefault)
		st->closed = r.line;
}
