/*
 * mxg_rules_parse.c: recursive-descent parser and compiler for the rules
 * language (milter-greylist greylist.conf). Reports every error as
 * "file:line:col: message" and refuses the whole file if there was any.
 * Here: the parser's allocation, diagnostics and token stream (shared
 * through mxg_rules_parser.h), lists, the global directives and the
 * statement loop; racl/dacl rules are in mxg_rules_acl.c.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxgrey.h"
#include "mxg_rules_int.h"
#include "mxg_rules_parser.h"

#define MAX_ERRORS 100

/* ---- allocation owned by the ruleset ---------------------------------- */

/* mxg_rules_own: see mxg_rules_parser.h. */
void *
mxg_rules_own(struct mxg_parser *p, void *ptr)
{
	struct mxg_ruleset *rs = p->rs;
	void **na;
	size_t cap;

	if (ptr == NULL) {
		p->oom = 1;
		return NULL;
	}
	if (rs->nallocs == rs->capallocs) {
		cap = rs->capallocs ? rs->capallocs * 2 : 64;
		if ((na = realloc(rs->allocs, cap * sizeof(*na))) == NULL) {
			free(ptr);
			p->oom = 1;
			return NULL;
		}
		rs->allocs = na;
		rs->capallocs = cap;
	}
	rs->allocs[rs->nallocs++] = ptr;
	return ptr;
}

/* mxg_rules_zalloc: see mxg_rules_parser.h. */
void *
mxg_rules_zalloc(struct mxg_parser *p, size_t size)
{
	return mxg_rules_own(p, calloc(1, size));
}

/* mxg_rules_sdup: see mxg_rules_parser.h. */
char *
mxg_rules_sdup(struct mxg_parser *p, const char *s, size_t len)
{
	char *d;

	if ((d = mxg_rules_own(p, malloc(len + 1))) == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* mxg_rules_grow: see mxg_rules_parser.h. */
int
mxg_rules_grow(
    struct mxg_parser *p, void *arrp, size_t *cap, size_t n, size_t elem)
{
	void *old, *na;
	size_t nc;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 8;
	memcpy(&old, arrp, sizeof(old));
	if ((na = realloc(old, nc * elem)) == NULL) {
		p->oom = 1;
		return -1;
	}
	memcpy(arrp, &na, sizeof(na));
	*cap = nc;
	return 0;
}

/* ---- diagnostics ---------------------------------------------------- */


/*
 * s (len bytes) into buf as printable ASCII: a control or non-ASCII byte
 * becomes \xHH, so a message never carries a raw byte of the file; "..."
 * ends a text that did not fit.
 */
static const char *
escape(const char *s, size_t len, char *buf, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, j;

	for (i = 0, j = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t w = (c < 0x20 || c >= 0x7f) ? 4 : 1;

		if (j + w + 4 > size)
			break;
		if (w == 1) {
			buf[j++] = (char)c;
			continue;
		}
		buf[j++] = '\\';
		buf[j++] = 'x';
		buf[j++] = hex[c >> 4];
		buf[j++] = hex[c & 0xf];
	}
	if (i < len) {
		memcpy(buf + j, "...", 3);
		j += 3;
	}
	buf[j] = '\0';
	return buf;
}

static void vreport(struct mxg_parser *p, int level, unsigned line,
    unsigned col, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static void
vreport(struct mxg_parser *p, int level, unsigned line, unsigned col,
    const char *fmt, va_list ap)
{
	char msg[512], safe[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	mxg_log(p->log, level, "%s:%u:%u: %s", p->name, line, col,
	    escape(msg, strlen(msg), safe, sizeof(safe)));
}

/* mxg_rules_perr: see mxg_rules_parser.h. */
void
mxg_rules_perr(
    struct mxg_parser *p, const struct mxg_token *t, const char *fmt, ...)
{
	va_list ap;

	p->nerr++;
	if (p->nerr > MAX_ERRORS || p->quiet)
		return;
	va_start(ap, fmt);
	vreport(p, MXG_LOG_ERR, t->line, t->col, fmt, ap);
	va_end(ap);
}

/* mxg_rules_pwarn: see mxg_rules_parser.h. */
void
mxg_rules_pwarn(
    struct mxg_parser *p, const struct mxg_token *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(p, MXG_LOG_WARNING, t->line, t->col, fmt, ap);
	va_end(ap);
}

/* mxg_rules_show: see mxg_rules_parser.h. */
const char *
mxg_rules_show(const struct mxg_token *t, char *buf, size_t size)
{
	switch (t->type) {
	case MXG_T_EOF:
		return "end of file";
	case MXG_T_NL:
		return "end of line";
	default:
		return escape(t->text, t->len, buf, size);
	}
}


/* ---- token stream --------------------------------------------------- */

/*
 * Bytes the lexer refused while reading the last token: always reported
 * (they are not a consequence of an earlier error), and the rest of the
 * statement, whose text they spoil, is not checked.
 */
static void
badbytes(struct mxg_parser *p)
{
	struct mxg_lexer *lx = &p->lx;
	struct mxg_lexbad *b;
	unsigned i;

	for (i = 0; i < lx->nbad; i++) {
		b = &lx->bad[i];
		if (++p->nerr > MAX_ERRORS)
			continue;
		if (b->c == '\0')
			mxg_log(p->log, MXG_LOG_ERR,
			    "%s:%u:%u: NUL byte in the rules file", p->name,
			    b->line, b->col);
		else
			mxg_log(p->log, MXG_LOG_ERR,
			    "%s:%u:%u: control character \\x%02X in a %s",
			    p->name, b->line, b->col, b->c,
			    b->inre ? "regular expression" : "quoted string");
	}
	if (lx->lostbad > 0 && p->nerr < MAX_ERRORS) {
		b = &lx->bad[MXG_LEX_NBAD - 1]; /* the queue is full */
		mxg_log(p->log, MXG_LOG_ERR,
		    "%s:%u:%u: %u more NUL or control bytes after this one",
		    p->name, b->line, b->col, lx->lostbad);
	}
	p->nerr += lx->lostbad;
	if (lx->nbad > 0)
		p->quiet = 1;
	lx->nbad = 0;
	lx->lostbad = 0;
}

/* mxg_rules_next: see mxg_rules_parser.h. */
void
mxg_rules_next(struct mxg_parser *p)
{
	mxg_rules_lex_next(&p->lx, &p->tok);
	switch (p->tok.type) {
	case MXG_T_ERROR:
		mxg_rules_perr(p, &p->tok, "%s", p->tok.text);
		p->quiet = 1; /* the rest of this statement is noise */
		p->tok.type = MXG_T_WORD;
		p->tok.text = "";
		p->tok.len = 0;
		break;
	case MXG_T_UNCLOSED:
		/* once, where it opened; the statement ends here */
		mxg_rules_perr(
		    p, &p->tok, "list opened here is not closed with '}'");
		p->tok.type = MXG_T_NL;
		break;
	default:
		break;
	}
	badbytes(p);
}

/* mxg_rules_atend: see mxg_rules_parser.h. */
int
mxg_rules_atend(const struct mxg_parser *p)
{
	return p->tok.type == MXG_T_NL || p->tok.type == MXG_T_EOF;
}

/* mxg_rules_skipstmt: see mxg_rules_parser.h. */
void
mxg_rules_skipstmt(struct mxg_parser *p)
{
	p->quiet = 1;
	while (!mxg_rules_atend(p))
		mxg_rules_next(p);
}

/* mxg_rules_isword: see mxg_rules_parser.h. */
int
mxg_rules_isword(const struct mxg_parser *p, const char *w)
{
	return p->tok.type == MXG_T_WORD && strcmp(p->tok.text, w) == 0;
}

/* mxg_rules_isstr: see mxg_rules_parser.h. */
int
mxg_rules_isstr(const struct mxg_parser *p)
{
	return p->tok.type == MXG_T_STRING || p->tok.type == MXG_T_WORD;
}

/* ---- scalar values -------------------------------------------------- */

/* mxg_rules_want_duration: see mxg_rules_parser.h. */
long
mxg_rules_want_duration(struct mxg_parser *p, const char *what)
{
	char showbuf[80];
	long d;

	if (!mxg_rules_isstr(p) || (d = mxg_rules_duration(p->tok.text)) < 0) {
		mxg_rules_perr(p, &p->tok,
		    "%s: expected a duration (90, 90s, 10m, 2h, 1d, 1w), got "
		    "'%s'",
		    what, MXG_SHOW(&p->tok));
		return -1;
	}
	mxg_rules_next(p);
	return d;
}

/* mxg_rules_want_string: see mxg_rules_parser.h. */
const char *
mxg_rules_want_string(struct mxg_parser *p, const char *what)
{
	char showbuf[80];
	const char *s;

	if (p->tok.type != MXG_T_STRING) {
		mxg_rules_perr(p, &p->tok,
		    "%s: expected a quoted string, got '%s'", what,
		    MXG_SHOW(&p->tok));
		return NULL;
	}
	s = mxg_rules_sdup(p, p->tok.text, p->tok.len);
	mxg_rules_next(p);
	return s;
}

/* ---- lists ---------------------------------------------------------- */

/* mxg_rules_newlist: see mxg_rules_parser.h. */
struct mxg_rlist *
mxg_rules_newlist(struct mxg_parser *p, int type, const char *name)
{
	struct mxg_rlist *l;

	if ((l = mxg_rules_zalloc(p, sizeof(*l))) == NULL)
		return NULL;
	l->type = type;
	l->name = name;
	l->next = p->rs->lists;
	p->rs->lists = l;
	return l;
}

static regex_t *
compile(struct mxg_parser *p, const struct mxg_token *t, regex_t *re)
{
	char err[160];
	const char *why;
	int flags, r;

	flags = REG_NOSUB | REG_ICASE;
	if (p->rs->cf.flags & MXG_CF_EXTENDEDREGEX)
		flags |= REG_EXTENDED;
	flags |= p->reflags;
	if ((why = mxg_rules_re_check(t->text, (flags & REG_EXTENDED) != 0)) !=
	    NULL) {
		mxg_rules_perr(p, t, "%s", why);
		return NULL;
	}
	if ((r = regcomp(re, t->text, flags)) != 0) {
		regerror(r, re, err, sizeof(err));
		mxg_rules_perr(p, t, "bad regular expression: %s", err);
		return NULL;
	}
	return re;
}

static int
addstr(struct mxg_parser *p, struct mxg_strset **set, const char *s, size_t len)
{
	if (*set == NULL && (*set = mxg_strset_new()) == NULL) {
		p->oom = 1;
		return -1;
	}
	if (mxg_strset_add(*set, s, len) != 0) {
		p->oom = 1;
		return -1;
	}
	return 0;
}

/* one list item: the current token. Errors are reported; returns 0/-1 */
static int
listitem(struct mxg_parser *p, struct mxg_rlist *l, int substr)
{
	char showbuf[80];
	const struct mxg_token *t = &p->tok;
	const char *s, *at;
	struct mxg_ip ip;
	int prefix;
	size_t len;

	if (l->type == MXG_L_ADDR) {
		if (!mxg_rules_isstr(p) ||
		    mxg_rules_ipprefix(t->text, &ip, &prefix) != 0) {
			mxg_rules_perr(p, t,
			    "expected an IP address or network "
			    "(192.0.2.0/24, 2001:db8::/32), got '%s'",
			    MXG_SHOW(t));
			return -1;
		}
		if (l->cidr == NULL && (l->cidr = mxg_cidr_new()) == NULL) {
			p->oom = 1;
			return -1;
		}
		if (mxg_cidr_add(l->cidr, &ip, prefix) != 0)
			p->oom = 1;
		return 0;
	}
	if (p->ccodes && (!mxg_rules_isstr(p) || t->len != 2)) {
		mxg_rules_perr(p, t,
		    "geoip: expected a two-letter country code, got '%s'",
		    MXG_SHOW(t));
		return -1;
	}
	if (t->type == MXG_T_REGEX) {
		if (mxg_rules_grow(
		        p, &l->re, &l->capre, l->nre, sizeof(*l->re)) != 0)
			return -1;
		if (compile(p, t, &l->re[l->nre]) == NULL)
			return -1;
		l->nre++;
		return 0;
	}
	if (!mxg_rules_isstr(p) || t->len == 0) {
		mxg_rules_perr(p, t, "expected a string or /regex/, got '%s'",
		    MXG_SHOW(t));
		return -1;
	}
	s = t->text;
	len = t->len;
	if (substr) {
		if (mxg_rules_grow(p, &l->subs, &l->capsubs, l->nsubs,
		        sizeof(*l->subs)) != 0)
			return -1;
		if ((l->subs[l->nsubs] = mxg_rules_sdup(p, s, len)) == NULL)
			return -1;
		l->nsubs++;
		return 0;
	}
	/* addresses as milter-greylist writes them: <a@b> */
	if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
		s++;
		len -= 2;
	}
	switch (l->type) {
	case MXG_L_DOMAIN:
		/*
		 * Kept as written, a leading dot too: as in milter-greylist,
		 * ".example.com" matches only names ending in ".example.com"
		 * (with domainexact: none; see the end of mxg_rules_parse).
		 */
		if (s[0] == '.' && p->dotdomain.line == 0)
			p->dotdomain = *t;
		return addstr(p, &l->exact, s, len);
	case MXG_L_FROM:
	case MXG_L_RCPT:
		at = memchr(s, '@', len);
		if (at == NULL)
			return addstr(p, &l->domains, s, len);
		if (at == s)
			return addstr(p, &l->domains, s + 1, len - 1);
		return addstr(p, &l->exact, s, len);
	default:
		return addstr(p, &l->exact, s, len);
	}
}

/* mxg_rules_listvalues: see mxg_rules_parser.h. */
int
mxg_rules_listvalues(struct mxg_parser *p, struct mxg_rlist *l, int substr)
{
	char showbuf[80];
	int bad = 0;

	if (p->tok.type != MXG_T_LBRACE) {
		if (mxg_rules_atend(p)) {
			mxg_rules_perr(p, &p->tok, "expected a value, got %s",
			    MXG_SHOW(&p->tok));
			return -1;
		}
		if (listitem(p, l, substr) != 0)
			bad = 1;
		mxg_rules_next(p);
		return bad ? -1 : 0;
	}
	mxg_rules_next(p);
	while (p->tok.type != MXG_T_RBRACE) {
		if (mxg_rules_atend(p))
			return -1; /* not closed: mxg_rules_next() said so */
		if (p->tok.type == MXG_T_LBRACE) {
			mxg_rules_perr(p, &p->tok, "unexpected '%s' in a list",
			    MXG_SHOW(&p->tok));
			mxg_rules_next(p);
			bad = 1;
			continue;
		}
		if (listitem(p, l, substr) != 0)
			bad = 1;
		mxg_rules_next(p);
	}
	mxg_rules_next(p);
	return bad ? -1 : 0;
}

/* mxg_rules_findlist: see mxg_rules_parser.h. */
struct mxg_rlist *
mxg_rules_findlist(struct mxg_parser *p, const char *name)
{
	struct mxg_rlist *l;

	for (l = p->rs->lists; l != NULL; l = l->next)
		if (l->name != NULL && strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

/* list "name" addr|domain|from|rcpt|helo { ... } */
static void
d_list(struct mxg_parser *p)
{
	static const struct {
		const char *name;
		int type;
	} types[] = { { "addr", MXG_L_ADDR }, { "domain", MXG_L_DOMAIN },
		{ "from", MXG_L_FROM }, { "rcpt", MXG_L_RCPT },
		{ "helo", MXG_L_HELO } };
	char showbuf[80];
	struct mxg_token nametok;
	struct mxg_rlist *l;
	const char *name;
	size_t i;

	nametok = p->tok;
	if ((name = mxg_rules_want_string(p, "list")) == NULL)
		return;
	if (mxg_rules_findlist(p, name) != NULL)
		mxg_rules_perr(
		    p, &nametok, "list \"%s\" is already defined", name);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (mxg_rules_isword(p, types[i].name))
			break;
	if (i == sizeof(types) / sizeof(types[0])) {
		if (p->tok.type == MXG_T_WORD &&
		    mxg_rules_kw_find(p->tok.text, p->tok.len) != NULL)
			mxg_rules_perr(p, &p->tok,
			    "list type '%s' is unsupported (supported: addr, "
			    "domain, from, rcpt, helo)",
			    MXG_SHOW(&p->tok));
		else
			mxg_rules_perr(p, &p->tok,
			    "expected a list type (addr, domain, from, rcpt, "
			    "helo), got '%s'",
			    MXG_SHOW(&p->tok));
		return;
	}
	mxg_rules_next(p);
	if ((l = mxg_rules_newlist(p, types[i].type, name)) == NULL)
		return;
	if (p->tok.type != MXG_T_LBRACE) {
		mxg_rules_perr(p, &p->tok,
		    "expected '{' after the list type, got '%s'",
		    MXG_SHOW(&p->tok));
		return;
	}
	mxg_rules_listvalues(p, l, 0);
}

/* dnsrbl "name" zone answer[/prefix] */
static void
d_dnsrbl(struct mxg_parser *p)
{
	char showbuf[80];
	struct mxg_rbl *r;
	struct mxg_token t;
	const char *name;
	size_t i;

	t = p->tok;
	if ((name = mxg_rules_want_string(p, "dnsrbl")) == NULL)
		return;
	for (i = 0; i < p->rs->nrbls; i++)
		if (strcmp(p->rs->rbls[i]->name, name) == 0) {
			mxg_rules_perr(
			    p, &t, "dnsrbl \"%s\" is already defined", name);
			return;
		}
	if (p->rs->nrbls >= sizeof(unsigned long) * CHAR_BIT) {
		mxg_rules_perr(p, &t,
		    "too many dnsrbl definitions (at most %zu)",
		    sizeof(unsigned long) * CHAR_BIT);
		return;
	}
	if ((r = mxg_rules_zalloc(p, sizeof(*r))) == NULL)
		return;
	r->name = name;
	if (!mxg_rules_isstr(p) || p->tok.len == 0 || p->tok.len > 200 ||
	    strchr(p->tok.text, ' ') != NULL) {
		mxg_rules_perr(p, &p->tok,
		    "dnsrbl: expected a DNS zone, got '%s'", MXG_SHOW(&p->tok));
		return;
	}
	r->zone = mxg_rules_sdup(p, p->tok.text, p->tok.len);
	mxg_rules_next(p);
	if (!mxg_rules_isstr(p) ||
	    mxg_rules_ipprefix(p->tok.text, &r->answer, &r->prefix) != 0 ||
	    r->answer.family != 4) {
		mxg_rules_perr(p, &p->tok,
		    "dnsrbl: expected an IPv4 answer (127.0.0.2 or "
		    "127.0.0.0/24), got '%s'",
		    MXG_SHOW(&p->tok));
		return;
	}
	mxg_rules_next(p);
	if (mxg_rules_grow(
	        p, &p->rs->rbls, &i, p->rs->nrbls, sizeof(*p->rs->rbls)) != 0)
		return;
	r->idx = (unsigned)p->rs->nrbls;
	p->rs->rbls[p->rs->nrbls++] = r;
}

/* sm_macro "name" "macro" "value" | /regex/ | unset */
static void
d_smmacro(struct mxg_parser *p)
{
	char showbuf[80];
	struct mxg_macro_def *m;
	struct mxg_token t;
	size_t i, cap;

	t = p->tok;
	if ((m = mxg_rules_zalloc(p, sizeof(*m))) == NULL)
		return;
	if ((m->name = mxg_rules_want_string(p, "sm_macro")) == NULL)
		return;
	for (i = 0; i < p->rs->nmacros; i++)
		if (strcmp(p->rs->macros[i]->name, m->name) == 0) {
			mxg_rules_perr(p, &t,
			    "sm_macro \"%s\" is already defined", m->name);
			return;
		}
	if ((m->macro = mxg_rules_want_string(p, "sm_macro")) == NULL)
		return;
	if (mxg_rules_isword(p, "unset")) {
		m->unset = 1;
	} else if (p->tok.type == MXG_T_STRING) {
		m->value = mxg_rules_sdup(p, p->tok.text, p->tok.len);
	} else if (p->tok.type == MXG_T_REGEX) {
		if ((m->re = mxg_rules_zalloc(p, sizeof(*m->re))) == NULL)
			return;
		if (compile(p, &p->tok, m->re) == NULL) {
			m->re = NULL;
			return;
		}
		if (mxg_rules_grow(p, &p->rs->regexes, &p->rs->capregexes,
		        p->rs->nregexes, sizeof(*p->rs->regexes)) != 0) {
			regfree(m->re);
			return;
		}
		p->rs->regexes[p->rs->nregexes++] = m->re;
	} else {
		mxg_rules_perr(p, &p->tok,
		    "sm_macro: expected \"value\", /regex/ or unset, got '%s'",
		    MXG_SHOW(&p->tok));
		return;
	}
	mxg_rules_next(p);
	cap = p->rs->nmacros;
	if (mxg_rules_grow(p, &p->rs->macros, &cap, p->rs->nmacros,
	        sizeof(*p->rs->macros)) != 0)
		return;
	p->rs->macros[p->rs->nmacros++] = m;
}

/* resolver "addr[:port]" ... [timeout DUR|Nms] */
/* "v4", "v4:port", "v6", "[v6]", "[v6]:port"; port 1-65535. */
static int
resolver_ok(const char *s, size_t len)
{
	char addr[64], buf[16];
	const char *port = NULL, *end;
	unsigned char bin[16];
	size_t n;
	unsigned long pn;

	if (len == 0 || len >= sizeof(addr) || memchr(s, '\0', len) != NULL)
		return 0;
	if (s[0] == '[') {
		if ((end = memchr(s, ']', len)) == NULL)
			return 0;
		n = (size_t)(end - s - 1);
		memcpy(addr, s + 1, n);
		addr[n] = '\0';
		if (end + 1 < s + len) {
			if (end[1] != ':')
				return 0;
			port = end + 2;
		}
		if (inet_pton(AF_INET6, addr, bin) != 1)
			return 0;
	} else {
		memcpy(addr, s, len);
		addr[len] = '\0';
		if (inet_pton(AF_INET6, addr, bin) == 1)
			return 1; /* bare v6, no port */
		if ((end = strchr(addr, ':')) != NULL) {
			port = s + (end - addr) + 1;
			addr[end - addr] = '\0';
		}
		if (inet_pton(AF_INET, addr, bin) != 1)
			return 0;
	}
	if (port == NULL)
		return 1;
	n = (size_t)(s + len - port);
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, port, n);
	buf[n] = '\0';
	return mxg_rules_number(buf, 65535, &pn) == 0 && pn > 0;
}

static void
d_resolver(struct mxg_parser *p)
{
	char showbuf[80];
	struct mxg_ruleset *rs = p->rs;
	size_t cap, n;
	long d;

	if (p->tok.type != MXG_T_STRING) {
		mxg_rules_perr(p, &p->tok,
		    "resolver: expected a quoted address, got "
		    "'%s'",
		    MXG_SHOW(&p->tok));
		return;
	}
	while (p->tok.type == MXG_T_STRING) {
		if (!resolver_ok(p->tok.text, p->tok.len)) {
			mxg_rules_perr(p, &p->tok,
			    "resolver: expected an IP address with an optional "
			    "port (\"127.0.0.1:5353\", \"[::1]:53\"), got '%s'",
			    MXG_SHOW(&p->tok));
			return;
		}
		cap = rs->nresolvers;
		if (mxg_rules_grow(p, &rs->resolvers, &cap, rs->nresolvers,
		        sizeof(*rs->resolvers)) != 0)
			return;
		rs->resolvers[rs->nresolvers++] =
		    mxg_rules_sdup(p, p->tok.text, p->tok.len);
		mxg_rules_next(p);
	}
	if (mxg_rules_isword(p, "timeout")) {
		mxg_rules_next(p);
		n = p->tok.len;
		if (mxg_rules_isstr(p) && n > 2 &&
		    strcmp(p->tok.text + n - 2, "ms") == 0) {
			char buf[32];

			if (n - 2 >= sizeof(buf))
				d = -1;
			else {
				memcpy(buf, p->tok.text, n - 2);
				buf[n - 2] = '\0';
				d = mxg_rules_duration(buf);
				if (strchr(buf, 's') || strchr(buf, 'm') ||
				    strchr(buf, 'h') || strchr(buf, 'd') ||
				    strchr(buf, 'w'))
					d = -1;
			}
			if (d <= 0) {
				mxg_rules_perr(p, &p->tok,
				    "resolver: bad timeout '%s'",
				    MXG_SHOW(&p->tok));
				return;
			}
			mxg_rules_next(p);
		} else {
			if ((d = mxg_rules_want_duration(
			         p, "resolver timeout")) < 0)
				return;
			if (d > LONG_MAX / 1000) {
				mxg_rules_perr(
				    p, &p->tok, "resolver: timeout too long");
				return;
			}
			d *= 1000;
		}
		rs->cf.resolver_timeout_ms = d;
	}
	rs->cf.resolvers = rs->resolvers;
	rs->cf.nresolvers = rs->nresolvers;
}

/* path [octal mode] for socket/dumpfile */
static const char *
path_mode(struct mxg_parser *p, const char *what, int *mode)
{
	char showbuf[80];
	const char *path;
	unsigned long m;
	const char *s;

	if ((path = mxg_rules_want_string(p, what)) == NULL)
		return NULL;
	if (p->tok.type == MXG_T_WORD && !mxg_rules_atend(p)) {
		m = 0;
		for (s = p->tok.text; *s >= '0' && *s <= '7'; s++)
			m = m * 8 + (unsigned long)(*s - '0');
		if (*s != '\0' || p->tok.len == 0 || p->tok.len > 4) {
			mxg_rules_perr(p, &p->tok,
			    "%s: expected an octal mode, got '%s'", what,
			    MXG_SHOW(&p->tok));
			return NULL;
		}
		if (mode != NULL)
			*mode = (int)m;
		mxg_rules_next(p);
	}
	return path;
}

static void
d_subnet(struct mxg_parser *p, int six)
{
	char showbuf[80];
	unsigned long n;
	const char *s;

	s = p->tok.text;
	if (mxg_rules_isstr(p) && *s == '/')
		s++;
	if (!mxg_rules_isstr(p) || mxg_rules_number(s, 1000, &n) != 0 ||
	    n > (six ? 128u : 32u)) {
		mxg_rules_perr(p, &p->tok, "%s: expected /0 to /%d, got '%s'",
		    six ? "subnetmatch6" : "subnetmatch", six ? 128 : 32,
		    MXG_SHOW(&p->tok));
		return;
	}
	if (six)
		p->rs->cf.subnetmatch6 = (int)n;
	else
		p->rs->cf.subnetmatch = (int)n;
	mxg_rules_next(p);
}

/* ---- statements ----------------------------------------------------- */

/*
 * Why a milter-greylist flag changes nothing here, for a warning; NULL
 * for flags mxgrey honours or whose behaviour it always has.
 */
static const char *
flag_without_effect(unsigned flag)
{
	switch (flag) {
	case MXG_CF_TESTMODE:
		return "every recipient the rules greylist is greylisted "
		       "(milter-greylist's test mode greylists only the "
		       "recipients listed for it)";
	case MXG_CF_DELAYEDREJECT:
		return "the null sender is greylisted at RCPT like any other "
		       "sender, not at the end of DATA";
	case MXG_CF_LOGEXPIRED:
		return "expired tuples are removed without a log line";
	case MXG_CF_VERBOSE:
		return "give the host program -v (mxgreyctl, mxgrey-milter, "
		       "mxgrey-policyd, filter-mxgrey) for debug logging";
	default:
		return NULL;
	}
}

static void
statement(struct mxg_parser *p)
{
	char showbuf[80];
	struct mxg_config *cf = &p->rs->cf;
	const struct mxg_kw *kw;
	const char *why;
	struct mxg_token kwt;
	unsigned long n;
	unsigned errs;
	long d;

	kwt = p->tok;
	errs = p->nerr;
	if (p->tok.type != MXG_T_WORD) {
		mxg_rules_perr(p, &p->tok, "expected a keyword, got '%s'",
		    MXG_SHOW(&p->tok));
		mxg_rules_skipstmt(p);
		return;
	}
	kw = mxg_rules_kw_find(p->tok.text, p->tok.len);
	if (kw != NULL && kw->global == KW_NONE && kw->clause != KW_NONE) {
		mxg_rules_perr(p, &p->tok,
		    "'%s' is a clause: use it in a racl or dacl rule",
		    kw->name);
		mxg_rules_skipstmt(p);
		return;
	}
	if (kw == NULL || kw->global == KW_NONE) {
		mxg_rules_perr(
		    p, &p->tok, "unknown keyword '%s'", MXG_SHOW(&p->tok));
		mxg_rules_skipstmt(p);
		return;
	}
	mxg_rules_next(p);
	switch (kw->global) {
	case KW_UNSUPPORTED:
		mxg_rules_perr(
		    p, &kwt, "'%s' is unsupported by mxgrey", kw->name);
		mxg_rules_skipstmt(p);
		return;
	case KW_FLAG:
		cf->flags |= kw->flag;
		if ((why = flag_without_effect(kw->flag)) != NULL)
			mxg_rules_pwarn(p, &kwt,
			    "'%s' has no effect in mxgrey: %s", kw->name, why);
		break;
	case KW_GREYLIST:
		if ((d = mxg_rules_want_duration(p, "greylist")) >= 0)
			cf->delay = d;
		break;
	case KW_AUTOWHITE:
		if ((d = mxg_rules_want_duration(p, "autowhite")) >= 0)
			cf->autowhite = d;
		break;
	case KW_TIMEOUT:
		if ((d = mxg_rules_want_duration(p, "timeout")) >= 0)
			cf->timeout = d;
		break;
	case KW_SUBNETMATCH:
		d_subnet(p, 0);
		break;
	case KW_SUBNETMATCH6:
		d_subnet(p, 1);
		break;
	case KW_REPORT:
		if (mxg_rules_isword(p, "none"))
			cf->report = 0;
		else if (mxg_rules_isword(p, "delays"))
			cf->report = MXG_REPORT_DELAYS;
		else if (mxg_rules_isword(p, "nodelays"))
			cf->report = MXG_REPORT_NODELAYS;
		else if (mxg_rules_isword(p, "all"))
			cf->report = MXG_REPORT_ALL;
		else {
			mxg_rules_perr(p, &p->tok,
			    "report: expected none, delays, nodelays or all, "
			    "got '%s'",
			    MXG_SHOW(&p->tok));
			break;
		}
		mxg_rules_next(p);
		break;
	case KW_STORE: {
		struct mxg_token at = p->tok;

		if ((cf->store = mxg_rules_want_string(p, "store")) == NULL)
			break;
		if (cf->store[0] != '/' &&
		    strncmp(cf->store, "redis://", 8) != 0) {
			mxg_rules_perr(p, &at,
			    "store: expected an absolute path or a redis:// "
			    "URL, got '%s'",
			    cf->store);
			break;
		}
	}
		if (mxg_rules_isword(p, "hashsize")) {
			mxg_rules_next(p);
			if (!mxg_rules_isstr(p) ||
			    mxg_rules_number(p->tok.text, 1UL << 30, &n) ||
			    n == 0) {
				mxg_rules_perr(p, &p->tok,
				    "hashsize: expected a number, got '%s'",
				    MXG_SHOW(&p->tok));
				break;
			}
			cf->store_hashsize = n;
			mxg_rules_next(p);
		}
		break;
	case KW_FAILACTION:
		if (mxg_rules_isword(p, "tempfail"))
			cf->fail_action = MXG_TEMPFAIL;
		else if (mxg_rules_isword(p, "accept"))
			cf->fail_action = MXG_ACCEPT;
		else {
			mxg_rules_perr(p, &p->tok,
			    "failaction: expected tempfail or accept, got '%s'",
			    MXG_SHOW(&p->tok));
			break;
		}
		mxg_rules_next(p);
		break;
	case KW_LIST:
		d_list(p);
		break;
	case KW_DNSRBL:
		d_dnsrbl(p);
		break;
	case KW_SM_MACRO:
		d_smmacro(p);
		break;
	case KW_GEOIPDB:
	case KW_GEOIP2DB:
		p->rs->geoip_line = p->tok.line;
		p->rs->geoip_col = p->tok.col;
		if ((cf->geoip_db = mxg_rules_want_string(p, kw->name)) == NULL)
			break;
		n = strlen(cf->geoip_db);
		if (n < 5 || strcmp(cf->geoip_db + n - 5, ".mmdb") != 0)
			mxg_rules_pwarn(p, &kwt,
			    "%s: mxgrey reads MaxMind DB (.mmdb) files only; "
			    "a legacy GeoIP .dat file will not open",
			    kw->name);
		break;
	case KW_RESOLVER:
		d_resolver(p);
		break;
	case KW_SOCKET:
		cf->socket = path_mode(p, "socket", &cf->socket_mode);
		if (cf->socket_mode != -1 && cf->socket_mode != 0666 &&
		    cf->socket_mode != 0660 && cf->socket_mode != 0600)
			mxg_rules_perr(
			    p, &kwt, "socket: mode must be 666, 660 or 600");
		break;
	case KW_DUMPFILE:
		cf->dumpfile = path_mode(p, "dumpfile", NULL);
		break;
	case KW_USER:
		cf->user = mxg_rules_want_string(p, "user");
		break;
	case KW_PIDFILE:
		cf->pidfile = mxg_rules_want_string(p, "pidfile");
		break;
	case KW_DAEMON_ARGS:
		/* daemon-only, no meaning in-process: arguments unchecked */
		while (!mxg_rules_atend(p))
			mxg_rules_next(p);
		break;
	case KW_RACL:
		mxg_rules_acl(p, MXG_STAGE_RCPT, &kwt);
		break;
	case KW_DACL:
		mxg_rules_acl(p, MXG_STAGE_DATA, &kwt);
		break;
	default:
		mxg_rules_perr(
		    p, &kwt, "internal error: keyword '%s'", kw->name);
		mxg_rules_skipstmt(p);
		return;
	}
	if (p->nerr != errs)
		mxg_rules_skipstmt(p);
	else if (!mxg_rules_atend(p)) {
		mxg_rules_perr(p, &p->tok, "unexpected '%s' after '%s'",
		    MXG_SHOW(&p->tok), kw->name);
		mxg_rules_skipstmt(p);
	}
}

static void
zones(struct mxg_parser *p, struct mxg_stage_rules *st)
{
	size_t i, j, k;

	if ((st->zones = mxg_rules_zalloc(
	         p, (p->rs->nrbls + 1) * sizeof(char *))) == NULL)
		return;
	for (i = 0; i < st->nrules; i++)
		for (j = 0; j < st->rules[i].nclauses; j++) {
			const struct mxg_clause *c = &st->rules[i].clauses[j];

			if (c->kind != KW_DNSRBL_REF)
				continue;
			for (k = 0; k < st->nzones; k++)
				if (strcmp(st->zones[k], c->u.rbl->zone) == 0)
					break;
			if (k == st->nzones)
				st->zones[st->nzones++] = c->u.rbl->zone;
		}
}

/*
 * Checks that need the whole file, since a directive may follow the
 * rules it concerns: geoip clauses need a database (milter-greylist
 * opens it at start, wherever the directive stands, and a geoip clause
 * without one never matches there; here the lookup could only fail), and
 * with domainexact a domain written with a leading dot matches nothing.
 */
static void
wholefile(struct mxg_parser *p)
{
	const struct mxg_stage_rules *st;
	struct mxg_token at;
	size_t i, j, k;

	p->quiet = 0;
	memset(&at, 0, sizeof(at));
	for (k = 0; k < 2 && p->rs->cf.geoip_db == NULL; k++) {
		st = &p->rs->st[k];
		for (i = 0; i < st->nrules; i++)
			for (j = 0; j < st->rules[i].nclauses; j++) {
				if (st->rules[i].clauses[j].kind != KW_GEOIP)
					continue;
				at.line = st->rules[i].clauses[j].line;
				at.col = st->rules[i].clauses[j].col;
				mxg_rules_perr(p, &at,
				    "geoip needs a geoipdb or geoip2db "
				    "directive");
			}
	}
	if ((p->rs->cf.flags & MXG_CF_DOMAINEXACT) && p->dotdomain.line != 0)
		mxg_rules_pwarn(p, &p->dotdomain,
		    "with domainexact, a domain with a leading dot "
		    "matches no host name (as in milter-greylist): write "
		    "it without the dot");
}

/*
 * mxg_rules_parse: see mxg_rules.h. The buffer is tokenized in place
 * (copies of token texts); nothing of buf is kept.
 */
struct mxg_ruleset *
mxg_rules_parse(const char *name, const char *buf, size_t len,
    const struct mxg_log *log, int *err)
{
	struct mxg_parser p;
	struct mxg_ruleset *rs;

	memset(&p, 0, sizeof(p));
	if ((rs = calloc(1, sizeof(*rs))) == NULL) {
		*err = MXG_ENOMEM;
		return NULL;
	}
	rs->cf.delay = 1800;
	rs->cf.autowhite = 86400;
	rs->cf.timeout = 432000;
	rs->cf.subnetmatch = 32;
	rs->cf.subnetmatch6 = 128;
	rs->cf.report = MXG_REPORT_ALL;
	rs->cf.fail_action = MXG_TEMPFAIL;
	rs->cf.socket_mode = -1;
	p.rs = rs;
	p.name = name ? name : "(rules)";
	p.log = log;
	if (mxg_rules_lex_init(&p.lx, buf, len) != 0) {
		free(rs);
		*err = MXG_ENOMEM;
		return NULL;
	}
	mxg_rules_next(&p);
	while (p.tok.type != MXG_T_EOF && !p.oom) {
		if (p.tok.type == MXG_T_NL) {
			p.quiet = 0; /* a new statement */
			mxg_rules_next(&p);
			continue;
		}
		statement(&p);
	}
	zones(&p, &rs->st[0]);
	zones(&p, &rs->st[1]);
	wholefile(&p);
	mxg_rules_lex_free(&p.lx);
	if (p.oom) {
		mxg_rules_free(rs);
		*err = MXG_ENOMEM;
		return NULL;
	}
	if (p.nerr > 0) {
		if (p.nerr > MAX_ERRORS)
			mxg_log(log, MXG_LOG_ERR,
			    "%s: %u errors (only the first %d shown)", p.name,
			    p.nerr, MAX_ERRORS);
		mxg_rules_free(rs);
		*err = MXG_ERULES;
		return NULL;
	}
	return rs;
}
