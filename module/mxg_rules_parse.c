/*
 * mxg_rules_parse.c: recursive-descent parser and compiler for the rules
 * language (milter-greylist greylist.conf). Reports every error as
 * "file:line:col: message" and refuses the whole file if there was any.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mxgrey.h"
#include "mxg_rules_int.h"

#define MAX_ERRORS 100

struct parser {
	struct mxg_lexer lx;
	struct mxg_token tok;
	const char *name;
	const struct mxg_log *log;
	struct mxg_ruleset *rs;
	unsigned nerr;
	int oom;
	int reflags; /* extra regcomp flags for the list being read */
	int quiet;   /* statement already in error: count, do not report */
	int ccodes;  /* reading country codes */
};

/* ---- allocation owned by the ruleset ---------------------------------- */

static void *
own(struct parser *p, void *ptr)
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

static void *
zalloc(struct parser *p, size_t size)
{
	return own(p, calloc(1, size));
}

static char *
sdup(struct parser *p, const char *s, size_t len)
{
	char *d;

	if ((d = own(p, malloc(len + 1))) == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* grow an owned-by-realloc array; the final pointer is owned at the end */
/* arrp points to the array pointer (of any type): copied with memcpy */
static int
grow(struct parser *p, void *arrp, size_t *cap, size_t n, size_t elem)
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

static void perr(struct parser *p, const struct mxg_token *t, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
static void pwarn(struct parser *p, const struct mxg_token *t, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

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

static void vreport(struct parser *p, int level, unsigned line, unsigned col,
    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void
vreport(struct parser *p, int level, unsigned line, unsigned col,
    const char *fmt, va_list ap)
{
	char msg[512], safe[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	mxg_log(p->log, level, "%s:%u:%u: %s", p->name, line, col,
	    escape(msg, strlen(msg), safe, sizeof(safe)));
}

static void
perr(struct parser *p, const struct mxg_token *t, const char *fmt, ...)
{
	va_list ap;

	p->nerr++;
	if (p->nerr > MAX_ERRORS || p->quiet)
		return;
	va_start(ap, fmt);
	vreport(p, MXG_LOG_ERR, t->line, t->col, fmt, ap);
	va_end(ap);
}

static void
pwarn(struct parser *p, const struct mxg_token *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(p, MXG_LOG_WARNING, t->line, t->col, fmt, ap);
	va_end(ap);
}

/* printable, bounded excerpt of a token for messages */
static const char *
show(const struct mxg_token *t, char *buf, size_t size)
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

#define SHOW(t) show((t), showbuf, sizeof(showbuf))

/* ---- token stream --------------------------------------------------- */

/*
 * Bytes the lexer refused while reading the last token: always reported
 * (they are not a consequence of an earlier error), and the rest of the
 * statement, whose text they spoil, is not checked.
 */
static void
badbytes(struct parser *p)
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
			    "%s:%u:%u: control character \\x%02X in a quoted "
			    "string",
			    p->name, b->line, b->col, b->c);
	}
	p->nerr += lx->lostbad;
	if (lx->nbad > 0)
		p->quiet = 1;
	lx->nbad = 0;
	lx->lostbad = 0;
}

static void
next(struct parser *p)
{
	mxg_rules_lex_next(&p->lx, &p->tok);
	switch (p->tok.type) {
	case MXG_T_ERROR:
		perr(p, &p->tok, "%s", p->tok.text);
		p->quiet = 1; /* the rest of this statement is noise */
		p->tok.type = MXG_T_WORD;
		p->tok.text = "";
		p->tok.len = 0;
		break;
	case MXG_T_UNCLOSED:
		/* once, where it opened; the statement ends here */
		perr(p, &p->tok, "list opened here is not closed with '}'");
		p->tok.type = MXG_T_NL;
		break;
	default:
		break;
	}
	badbytes(p);
}

static int
atend(const struct parser *p)
{
	return p->tok.type == MXG_T_NL || p->tok.type == MXG_T_EOF;
}

/* after an error: skip the rest of the statement without more noise */
static void
skipstmt(struct parser *p)
{
	p->quiet = 1;
	while (!atend(p))
		next(p);
}

static int
isword(const struct parser *p, const char *w)
{
	return p->tok.type == MXG_T_WORD && strcmp(p->tok.text, w) == 0;
}

/* a quoted string, or a bare word where milter-greylist allows one */
static int
isstr(const struct parser *p)
{
	return p->tok.type == MXG_T_STRING || p->tok.type == MXG_T_WORD;
}

/* ---- scalar values -------------------------------------------------- */

static long
want_duration(struct parser *p, const char *what)
{
	char showbuf[80];
	long d;

	if (!isstr(p) || (d = mxg_rules_duration(p->tok.text)) < 0) {
		perr(p, &p->tok,
		    "%s: expected a duration (90, 90s, 10m, 2h, 1d, 1w), got "
		    "'%s'",
		    what, SHOW(&p->tok));
		return -1;
	}
	next(p);
	return d;
}

static const char *
want_string(struct parser *p, const char *what)
{
	char showbuf[80];
	const char *s;

	if (p->tok.type != MXG_T_STRING) {
		perr(p, &p->tok, "%s: expected a quoted string, got '%s'", what,
		    SHOW(&p->tok));
		return NULL;
	}
	s = sdup(p, p->tok.text, p->tok.len);
	next(p);
	return s;
}

/* ---- lists ---------------------------------------------------------- */

static struct mxg_rlist *
newlist(struct parser *p, int type, const char *name)
{
	struct mxg_rlist *l;

	if ((l = zalloc(p, sizeof(*l))) == NULL)
		return NULL;
	l->type = type;
	l->name = name;
	l->next = p->rs->lists;
	p->rs->lists = l;
	return l;
}

static regex_t *
compile(struct parser *p, const struct mxg_token *t, regex_t *re)
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
		perr(p, t, "%s", why);
		return NULL;
	}
	if ((r = regcomp(re, t->text, flags)) != 0) {
		regerror(r, re, err, sizeof(err));
		perr(p, t, "bad regular expression: %s", err);
		return NULL;
	}
	return re;
}

static int
addstr(struct parser *p, struct mxg_strset **set, const char *s, size_t len)
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
listitem(struct parser *p, struct mxg_rlist *l, int substr)
{
	char showbuf[80];
	const struct mxg_token *t = &p->tok;
	const char *s, *at;
	struct mxg_ip ip;
	int prefix;
	size_t len;

	if (l->type == MXG_L_ADDR) {
		if (!isstr(p) ||
		    mxg_rules_ipprefix(t->text, &ip, &prefix) != 0) {
			perr(p, t,
			    "expected an IP address or network "
			    "(192.0.2.0/24, 2001:db8::/32), got '%s'",
			    SHOW(t));
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
	if (p->ccodes && (!isstr(p) || t->len != 2)) {
		perr(p, t,
		    "geoip: expected a two-letter country code, got '%s'",
		    SHOW(t));
		return -1;
	}
	if (t->type == MXG_T_REGEX) {
		if (grow(p, &l->re, &l->capre, l->nre, sizeof(*l->re)) != 0)
			return -1;
		if (compile(p, t, &l->re[l->nre]) == NULL)
			return -1;
		l->nre++;
		return 0;
	}
	if (!isstr(p) || t->len == 0) {
		perr(p, t, "expected a string or /regex/, got '%s'", SHOW(t));
		return -1;
	}
	s = t->text;
	len = t->len;
	if (substr) {
		if (grow(p, &l->subs, &l->capsubs, l->nsubs,
		        sizeof(*l->subs)) != 0)
			return -1;
		if ((l->subs[l->nsubs] = sdup(p, s, len)) == NULL)
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
		while (len > 0 && s[0] == '.') {
			s++;
			len--;
		}
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

/* a single item, or { item ... } */
static int
listvalues(struct parser *p, struct mxg_rlist *l, int substr)
{
	char showbuf[80];
	int bad = 0;

	if (p->tok.type != MXG_T_LBRACE) {
		if (atend(p)) {
			perr(p, &p->tok, "expected a value, got %s",
			    SHOW(&p->tok));
			return -1;
		}
		if (listitem(p, l, substr) != 0)
			bad = 1;
		next(p);
		return bad ? -1 : 0;
	}
	next(p);
	while (p->tok.type != MXG_T_RBRACE) {
		if (atend(p))
			return -1; /* not closed: next() said so */
		if (p->tok.type == MXG_T_LBRACE) {
			perr(p, &p->tok, "unexpected '%s' in a list",
			    SHOW(&p->tok));
			next(p);
			bad = 1;
			continue;
		}
		if (listitem(p, l, substr) != 0)
			bad = 1;
		next(p);
	}
	next(p);
	return bad ? -1 : 0;
}

static struct mxg_rlist *
findlist(struct parser *p, const char *name)
{
	struct mxg_rlist *l;

	for (l = p->rs->lists; l != NULL; l = l->next)
		if (l->name != NULL && strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

/* list "name" addr|domain|from|rcpt|helo { ... } */
static void
d_list(struct parser *p)
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
	if ((name = want_string(p, "list")) == NULL)
		return;
	if (findlist(p, name) != NULL)
		perr(p, &nametok, "list \"%s\" is already defined", name);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (isword(p, types[i].name))
			break;
	if (i == sizeof(types) / sizeof(types[0])) {
		if (p->tok.type == MXG_T_WORD &&
		    mxg_rules_kw_find(p->tok.text, p->tok.len) != NULL)
			perr(p, &p->tok,
			    "list type '%s' is unsupported (supported: addr, "
			    "domain, from, rcpt, helo)",
			    SHOW(&p->tok));
		else
			perr(p, &p->tok,
			    "expected a list type (addr, domain, from, rcpt, "
			    "helo), got '%s'",
			    SHOW(&p->tok));
		return;
	}
	next(p);
	if ((l = newlist(p, types[i].type, name)) == NULL)
		return;
	if (p->tok.type != MXG_T_LBRACE) {
		perr(p, &p->tok, "expected '{' after the list type, got '%s'",
		    SHOW(&p->tok));
		return;
	}
	listvalues(p, l, 0);
}

/* dnsrbl "name" zone answer[/prefix] */
static void
d_dnsrbl(struct parser *p)
{
	char showbuf[80];
	struct mxg_rbl *r;
	struct mxg_token t;
	const char *name;
	size_t i;

	t = p->tok;
	if ((name = want_string(p, "dnsrbl")) == NULL)
		return;
	for (i = 0; i < p->rs->nrbls; i++)
		if (strcmp(p->rs->rbls[i]->name, name) == 0) {
			perr(p, &t, "dnsrbl \"%s\" is already defined", name);
			return;
		}
	if (p->rs->nrbls >= sizeof(unsigned long) * CHAR_BIT) {
		perr(p, &t, "too many dnsrbl definitions (at most %zu)",
		    sizeof(unsigned long) * CHAR_BIT);
		return;
	}
	if ((r = zalloc(p, sizeof(*r))) == NULL)
		return;
	r->name = name;
	if (!isstr(p) || p->tok.len == 0 || p->tok.len > 200 ||
	    strchr(p->tok.text, ' ') != NULL) {
		perr(p, &p->tok, "dnsrbl: expected a DNS zone, got '%s'",
		    SHOW(&p->tok));
		return;
	}
	r->zone = sdup(p, p->tok.text, p->tok.len);
	next(p);
	if (!isstr(p) ||
	    mxg_rules_ipprefix(p->tok.text, &r->answer, &r->prefix) != 0 ||
	    r->answer.family != 4) {
		perr(p, &p->tok,
		    "dnsrbl: expected an IPv4 answer (127.0.0.2 or "
		    "127.0.0.0/24), got '%s'",
		    SHOW(&p->tok));
		return;
	}
	next(p);
	if (grow(p, &p->rs->rbls, &i, p->rs->nrbls, sizeof(*p->rs->rbls)) != 0)
		return;
	r->idx = (unsigned)p->rs->nrbls;
	p->rs->rbls[p->rs->nrbls++] = r;
}

/* sm_macro "name" "macro" "value" | /regex/ | unset */
static void
d_smmacro(struct parser *p)
{
	char showbuf[80];
	struct mxg_macro_def *m;
	struct mxg_token t;
	size_t i, cap;

	t = p->tok;
	if ((m = zalloc(p, sizeof(*m))) == NULL)
		return;
	if ((m->name = want_string(p, "sm_macro")) == NULL)
		return;
	for (i = 0; i < p->rs->nmacros; i++)
		if (strcmp(p->rs->macros[i]->name, m->name) == 0) {
			perr(p, &t, "sm_macro \"%s\" is already defined",
			    m->name);
			return;
		}
	if ((m->macro = want_string(p, "sm_macro")) == NULL)
		return;
	if (isword(p, "unset")) {
		m->unset = 1;
	} else if (p->tok.type == MXG_T_STRING) {
		m->value = sdup(p, p->tok.text, p->tok.len);
	} else if (p->tok.type == MXG_T_REGEX) {
		if ((m->re = zalloc(p, sizeof(*m->re))) == NULL)
			return;
		if (compile(p, &p->tok, m->re) == NULL) {
			m->re = NULL;
			return;
		}
		if (grow(p, &p->rs->regexes, &p->rs->capregexes,
		        p->rs->nregexes, sizeof(*p->rs->regexes)) != 0) {
			regfree(m->re);
			return;
		}
		p->rs->regexes[p->rs->nregexes++] = m->re;
	} else {
		perr(p, &p->tok,
		    "sm_macro: expected \"value\", /regex/ or unset, got '%s'",
		    SHOW(&p->tok));
		return;
	}
	next(p);
	cap = p->rs->nmacros;
	if (grow(p, &p->rs->macros, &cap, p->rs->nmacros,
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
d_resolver(struct parser *p)
{
	char showbuf[80];
	struct mxg_ruleset *rs = p->rs;
	size_t cap, n;
	long d;

	if (p->tok.type != MXG_T_STRING) {
		perr(p, &p->tok,
		    "resolver: expected a quoted address, got "
		    "'%s'",
		    SHOW(&p->tok));
		return;
	}
	while (p->tok.type == MXG_T_STRING) {
		if (!resolver_ok(p->tok.text, p->tok.len)) {
			perr(p, &p->tok,
			    "resolver: expected an IP address with an optional "
			    "port (\"127.0.0.1:5353\", \"[::1]:53\"), got '%s'",
			    SHOW(&p->tok));
			return;
		}
		cap = rs->nresolvers;
		if (grow(p, &rs->resolvers, &cap, rs->nresolvers,
		        sizeof(*rs->resolvers)) != 0)
			return;
		rs->resolvers[rs->nresolvers++] =
		    sdup(p, p->tok.text, p->tok.len);
		next(p);
	}
	if (isword(p, "timeout")) {
		next(p);
		n = p->tok.len;
		if (isstr(p) && n > 2 &&
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
				perr(p, &p->tok, "resolver: bad timeout '%s'",
				    SHOW(&p->tok));
				return;
			}
			next(p);
		} else {
			if ((d = want_duration(p, "resolver timeout")) < 0)
				return;
			if (d > LONG_MAX / 1000) {
				perr(p, &p->tok, "resolver: timeout too long");
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
path_mode(struct parser *p, const char *what, int *mode)
{
	char showbuf[80];
	const char *path;
	unsigned long m;
	const char *s;

	if ((path = want_string(p, what)) == NULL)
		return NULL;
	if (p->tok.type == MXG_T_WORD && !atend(p)) {
		m = 0;
		for (s = p->tok.text; *s >= '0' && *s <= '7'; s++)
			m = m * 8 + (unsigned long)(*s - '0');
		if (*s != '\0' || p->tok.len == 0 || p->tok.len > 4) {
			perr(p, &p->tok, "%s: expected an octal mode, got '%s'",
			    what, SHOW(&p->tok));
			return NULL;
		}
		if (mode != NULL)
			*mode = (int)m;
		next(p);
	}
	return path;
}

static void
d_subnet(struct parser *p, int six)
{
	char showbuf[80];
	unsigned long n;
	const char *s;

	s = p->tok.text;
	if (isstr(p) && *s == '/')
		s++;
	if (!isstr(p) || mxg_rules_number(s, 1000, &n) != 0 ||
	    n > (six ? 128u : 32u)) {
		perr(p, &p->tok, "%s: expected /0 to /%d, got '%s'",
		    six ? "subnetmatch6" : "subnetmatch", six ? 128 : 32,
		    SHOW(&p->tok));
		return;
	}
	if (six)
		p->rs->cf.subnetmatch6 = (int)n;
	else
		p->rs->cf.subnetmatch = (int)n;
	next(p);
}

/* ---- rules ---------------------------------------------------------- */

static int
isnetwork(int kind)
{
	return kind == KW_DNSRBL_REF || kind == KW_SPF || kind == KW_GEOIP ||
	    kind == KW_S25R || kind == KW_NORDNS || kind == KW_DOMAIN;
}

static struct mxg_timespec *
timespec(struct parser *p)
{
	static const int lo[5] = { 0, 0, 1, 1, 0 },
	                 hi[5] = { 59, 23, 31, 12, 7 };
	char showbuf[80];
	struct mxg_timespec *ts;
	unsigned long long bits[5];
	char buf[256], *f[5], *save;
	struct mxg_token t = p->tok;
	int i;

	if ((ts = zalloc(p, sizeof(*ts))) == NULL)
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
		next(p);
	} else {
		for (i = 0; i < 5; i++) {
			if (p->tok.type != MXG_T_WORD ||
			    mxg_rules_timefield(
			        p->tok.text, lo[i], hi[i], &bits[i]) != 0)
				goto bad;
			next(p);
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
	perr(p, &t,
	    "time: expected a crontab-style spec \"min hour mday month "
	    "wday\" (e.g. \"* 8-18 * * 1-5\"), got '%s'",
	    SHOW(&p->tok));
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
comparison(struct parser *p, struct mxg_clause *c, int sizes)
{
	char showbuf[80];
	char buf[64];
	unsigned long n, mult = 1;
	size_t oplen, len;
	int op;

	if (!isstr(p)) {
		perr(p, &p->tok,
		    "expected a comparison (> 10, <= 5), got "
		    "'%s'",
		    SHOW(&p->tok));
		return -1;
	}
	op = cmpop(p->tok.text, &oplen);
	if (op != 0 && oplen == p->tok.len) {
		next(p);
		oplen = 0;
	} else if (op == 0) {
		op = MXG_CMP_GE;
	}
	if (!isstr(p) || p->tok.len - oplen >= sizeof(buf)) {
		perr(p, &p->tok, "expected a number, got '%s'", SHOW(&p->tok));
		return -1;
	}
	if (p->tok.text[oplen] == '$') {
		perr(p, &p->tok,
		    "comparison with a property ('%s') is unsupported",
		    SHOW(&p->tok));
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
		perr(p, &p->tok, "expected a number, got '%s'", SHOW(&p->tok));
		return -1;
	}
	c->u.cmp.op = op;
	c->u.cmp.n = n * mult;
	next(p);
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
s25r_compile(struct parser *p, const struct mxg_token *t)
{
	size_t i;

	if (p->rs->s25r_ready)
		return 0;
	for (i = 0; i < MXG_S25R_N; i++) {
		if (regcomp(&p->rs->s25r[i], s25r_patterns[i],
		        REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
			while (i-- > 0)
				regfree(&p->rs->s25r[i]);
			perr(p, t, "internal error: S25R pattern %zu", i);
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
clause(struct parser *p, int kind, struct mxg_clause *c, int stage)
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
	next(p);
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
			perr(p, &kwt, "'%s' is only valid in dacl rules",
			    kind == KW_HEADER ? "header" : "body");
			return -1;
		}
		if ((l = newlist(p, ltype, NULL)) == NULL)
			return -1;
		c->u.list = l;
		/* header and body: ^ and $ match at each line */
		p->reflags = ltype == MXG_L_STR ? REG_NEWLINE : 0;
		v = listvalues(p, l, kind == KW_HEADER || kind == KW_BODY);
		p->reflags = 0;
		return v;
	case KW_AUTH:
	case KW_TLS:
		if (p->tok.type != MXG_T_STRING && p->tok.type != MXG_T_REGEX &&
		    p->tok.type != MXG_T_LBRACE) {
			c->u.list = NULL; /* bare: any */
			return 0;
		}
		if ((l = newlist(p, MXG_L_STR, NULL)) == NULL)
			return -1;
		c->u.list = l;
		return listvalues(p, l, 0);
	case KW_LISTREF:
		if ((name = want_string(p, "list")) == NULL)
			return -1;
		if ((l = findlist(p, name)) == NULL) {
			perr(p, &kwt, "list \"%s\" is not defined", name);
			return -1;
		}
		c->u.list = l;
		return 0;
	case KW_SMMACRO_REF:
		if ((name = want_string(p, "sm_macro")) == NULL)
			return -1;
		for (i = 0; i < p->rs->nmacros; i++)
			if (strcmp(p->rs->macros[i]->name, name) == 0)
				break;
		if (i == p->rs->nmacros) {
			perr(p, &kwt, "sm_macro \"%s\" is not defined", name);
			return -1;
		}
		c->u.macro = p->rs->macros[i];
		return 0;
	case KW_DNSRBL_REF:
		if ((name = want_string(p, "dnsrbl")) == NULL)
			return -1;
		for (i = 0; i < p->rs->nrbls; i++)
			if (strcmp(p->rs->rbls[i]->name, name) == 0)
				break;
		if (i == p->rs->nrbls) {
			perr(p, &kwt, "dnsrbl \"%s\" is not defined", name);
			return -1;
		}
		c->u.rbl = p->rs->rbls[i];
		return 0;
	case KW_GEOIP:
		/* "CC" or { "CC" "DD" ... }: a set of country codes */
		if ((l = newlist(p, MXG_L_STR, NULL)) == NULL)
			return -1;
		c->u.list = l;
		p->ccodes = 1;
		v = listvalues(p, l, 0);
		p->ccodes = 0;
		return v;
	case KW_SPF:
		c->u.spf = MXG_SPF_PASS;
		if (p->tok.type != MXG_T_WORD ||
		    mxg_rules_kw_find(p->tok.text, p->tok.len) != NULL)
			return 0;
		if (strcmp(p->tok.text, "self") == 0) {
			perr(p, &p->tok, "spf self is unsupported");
			return -1;
		}
		if ((v = spfword(p->tok.text)) < 0) {
			perr(p, &p->tok,
			    "spf: expected pass, fail, softfail, neutral, "
			    "none, unknown or error, got '%s'",
			    SHOW(&p->tok));
			return -1;
		}
		c->u.spf = v;
		next(p);
		return 0;
	case KW_TIME:
		return (c->u.time = timespec(p)) == NULL ? -1 : 0;
	case KW_RCPTCOUNT:
		return comparison(p, c, 0);
	case KW_MSGSIZE:
		if (stage != MXG_STAGE_DATA) {
			perr(p, &kwt, "'msgsize' is only valid in dacl rules");
			return -1;
		}
		return comparison(p, c, 1);
	case KW_S25R:
		return s25r_compile(p, &kwt);
	case KW_DEFAULT:
	case KW_NORDNS:
		return 0;
	default:
		perr(p, &kwt, "internal error: clause %d", kind);
		return -1;
	}
}

static const char *
fmtvalue(struct parser *p, const char *what)
{
	return want_string(p, what);
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
value(struct parser *p, int kind, struct mxg_rule *r)
{
	char showbuf[80];
	unsigned long n;
	long d;

	next(p);
	switch (kind) {
	case KW_DELAY:
		return (r->delay = want_duration(p, "delay")) < 0 ? -1 : 0;
	case KW_AW:
		return (r->autowhite = want_duration(p, "autowhite")) < 0 ? -1
		                                                          : 0;
	case KW_MSG:
		return (r->msg = fmtvalue(p, "msg")) == NULL ? -1 : 0;
	case KW_ECODE:
		if ((r->ecode = fmtvalue(p, "ecode")) == NULL)
			return -1;
		if (strlen(r->ecode) >= MXG_CODE_MAX) {
			perr(p, &p->tok, "ecode: too long");
			return -1;
		}
		if (!ecode_ok(r->ecode,
		        r->action == MXG_RA_GREYLIST        ? '4'
		            : r->action == MXG_RA_BLACKLIST ? '5'
		                                            : 0)) {
			perr(p, &p->tok,
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
			perr(p, &p->tok,
			    "addheader: expected \"Name: value\" (a header "
			    "name without blanks, then ':'), got '%s'",
			    SHOW(&p->tok));
			return -1;
		}
		return (r->addheader = fmtvalue(p, "addheader")) == NULL ? -1
		                                                         : 0;
	case KW_NOLOG:
		r->nolog = 1;
		return 0;
	case KW_CODE:
		if (!isstr(p) || mxg_rules_number(p->tok.text, 999, &n) != 0 ||
		    n < 200) {
			perr(p, &p->tok,
			    "code: expected an SMTP code (451, 550), got '%s'",
			    SHOW(&p->tok));
			return -1;
		}
		if ((r->action == MXG_RA_GREYLIST && (n < 400 || n > 499)) ||
		    (r->action == MXG_RA_BLACKLIST && (n < 500 || n > 599))) {
			perr(p, &p->tok, "code: %s needs a %s code, got '%s'",
			    r->action == MXG_RA_GREYLIST ? "greylist"
			                                 : "blacklist",
			    r->action == MXG_RA_GREYLIST ? "4xx" : "5xx",
			    SHOW(&p->tok));
			return -1;
		}
		r->code = (int)n;
		next(p);
		return 0;
	default:
		d = kind;
		perr(p, &p->tok, "internal error: value %ld", d);
		return -1;
	}
}

static int
addrule(struct parser *p, struct mxg_stage_rules *st, struct mxg_rule *r)
{
	if (grow(p, &st->rules, &st->cap, st->nrules, sizeof(*st->rules)) != 0)
		return -1;
	st->rules[st->nrules++] = *r;
	return 0;
}

/* racl|dacl [id] action clause... value... */
static void
d_acl(struct parser *p, int stage, const struct mxg_token *aclt)
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
		r.id = sdup(p, p->tok.text, p->tok.len);
		next(p);
	}
	if (isword(p, "whitelist"))
		r.action = MXG_RA_WHITELIST;
	else if (isword(p, "greylist"))
		r.action = MXG_RA_GREYLIST;
	else if (isword(p, "blacklist"))
		r.action = MXG_RA_BLACKLIST;
	else if (isword(p, "continue"))
		r.cont = 1;
	else {
		perr(p, &p->tok,
		    "expected whitelist, greylist, blacklist or continue, got "
		    "'%s'",
		    SHOW(&p->tok));
		skipstmt(p);
		return;
	}
	next(p);
	while (!atend(p) && !p->oom) {
		neg = 0;
		negt = p->tok;
		if (p->tok.type == MXG_T_BANG) {
			neg = 1;
			next(p);
		} else if (isword(p, "not") || isword(p, "no")) {
			neg = 1;
			next(p);
		}
		kw = p->tok.type == MXG_T_WORD
		    ? mxg_rules_kw_find(p->tok.text, p->tok.len)
		    : NULL;
		if (kw != NULL && kw->clause == KW_UNSUPPORTED) {
			perr(p, &p->tok, "'%s' is unsupported by mxgrey",
			    kw->name);
			skipstmt(p);
			break;
		}
		if (kw != NULL && kw->clause != KW_NONE &&
		    kw->clause != KW_NOT) {
			memset(&tmp, 0, sizeof(tmp));
			tmp.neg = neg;
			if (clause(p, kw->clause, &tmp, stage) != 0) {
				skipstmt(p);
				break;
			}
			if (grow(p, &cl, &capcl, ncl, sizeof(*cl)) != 0)
				break;
			cl[ncl++] = tmp;
			continue;
		}
		if (kw != NULL && kw->value != KW_NONE && !neg) {
			if (value(p, kw->value, &r) != 0) {
				skipstmt(p);
				break;
			}
			continue;
		}
		if (neg && kw != NULL && kw->value != KW_NONE)
			perr(p, &negt, "'%s' cannot be negated", kw->name);
		else
			perr(p, &p->tok,
			    "expected a clause or a value, got "
			    "'%s'",
			    SHOW(&p->tok));
		skipstmt(p);
		break;
	}
	if (p->nerr != errs || p->oom) {
		free(cl);
		return;
	}
	if (st->closed) {
		pwarn(p, aclt,
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
	if (cl != NULL && (r.clauses = own(p, cl)) == NULL)
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
		default:
			break;
		}
	}
	st->needs |= fmtneeds(r.msg) | fmtneeds(r.log) | fmtneeds(r.report) |
	    fmtneeds(r.addheader);
	if (addrule(p, st, &r) == 0 && isdefault)
		st->closed = r.line;
}

/* ---- statements ----------------------------------------------------- */

static void
statement(struct parser *p)
{
	char showbuf[80];
	struct mxg_config *cf = &p->rs->cf;
	const struct mxg_kw *kw;
	struct mxg_token kwt;
	unsigned long n;
	unsigned errs;
	long d;

	kwt = p->tok;
	errs = p->nerr;
	if (p->tok.type != MXG_T_WORD) {
		perr(p, &p->tok, "expected a keyword, got '%s'", SHOW(&p->tok));
		skipstmt(p);
		return;
	}
	kw = mxg_rules_kw_find(p->tok.text, p->tok.len);
	if (kw != NULL && kw->global == KW_NONE && kw->clause != KW_NONE) {
		perr(p, &p->tok,
		    "'%s' is a clause: use it in a racl or dacl rule",
		    kw->name);
		skipstmt(p);
		return;
	}
	if (kw == NULL || kw->global == KW_NONE) {
		perr(p, &p->tok, "unknown keyword '%s'", SHOW(&p->tok));
		skipstmt(p);
		return;
	}
	next(p);
	switch (kw->global) {
	case KW_UNSUPPORTED:
		perr(p, &kwt, "'%s' is unsupported by mxgrey", kw->name);
		skipstmt(p);
		return;
	case KW_FLAG:
		cf->flags |= kw->flag;
		break;
	case KW_GREYLIST:
		if ((d = want_duration(p, "greylist")) >= 0)
			cf->delay = d;
		break;
	case KW_AUTOWHITE:
		if ((d = want_duration(p, "autowhite")) >= 0)
			cf->autowhite = d;
		break;
	case KW_TIMEOUT:
		if ((d = want_duration(p, "timeout")) >= 0)
			cf->timeout = d;
		break;
	case KW_SUBNETMATCH:
		d_subnet(p, 0);
		break;
	case KW_SUBNETMATCH6:
		d_subnet(p, 1);
		break;
	case KW_REPORT:
		if (isword(p, "none"))
			cf->report = 0;
		else if (isword(p, "delays"))
			cf->report = MXG_REPORT_DELAYS;
		else if (isword(p, "nodelays"))
			cf->report = MXG_REPORT_NODELAYS;
		else if (isword(p, "all"))
			cf->report = MXG_REPORT_ALL;
		else {
			perr(p, &p->tok,
			    "report: expected none, delays, nodelays or all, "
			    "got '%s'",
			    SHOW(&p->tok));
			break;
		}
		next(p);
		break;
	case KW_STORE: {
		struct mxg_token at = p->tok;

		if ((cf->store = want_string(p, "store")) == NULL)
			break;
		if (cf->store[0] != '/' &&
		    strncmp(cf->store, "redis://", 8) != 0) {
			perr(p, &at,
			    "store: expected an absolute path or a redis:// "
			    "URL, got '%s'",
			    cf->store);
			break;
		}
	}
		if (isword(p, "hashsize")) {
			next(p);
			if (!isstr(p) ||
			    mxg_rules_number(p->tok.text, 1UL << 30, &n) ||
			    n == 0) {
				perr(p, &p->tok,
				    "hashsize: expected a number, got '%s'",
				    SHOW(&p->tok));
				break;
			}
			cf->store_hashsize = n;
			next(p);
		}
		break;
	case KW_FAILACTION:
		if (isword(p, "tempfail"))
			cf->fail_action = MXG_TEMPFAIL;
		else if (isword(p, "accept"))
			cf->fail_action = MXG_ACCEPT;
		else {
			perr(p, &p->tok,
			    "failaction: expected tempfail or accept, got '%s'",
			    SHOW(&p->tok));
			break;
		}
		next(p);
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
		if ((cf->geoip_db = want_string(p, kw->name)) == NULL)
			break;
		n = strlen(cf->geoip_db);
		if (n < 5 || strcmp(cf->geoip_db + n - 5, ".mmdb") != 0)
			pwarn(p, &kwt,
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
			perr(p, &kwt, "socket: mode must be 666, 660 or 600");
		break;
	case KW_DUMPFILE:
		cf->dumpfile = path_mode(p, "dumpfile", NULL);
		break;
	case KW_USER:
		cf->user = want_string(p, "user");
		break;
	case KW_PIDFILE:
		cf->pidfile = want_string(p, "pidfile");
		break;
	case KW_DAEMON_ARGS:
		/* daemon-only, no meaning in-process: arguments unchecked */
		while (!atend(p))
			next(p);
		break;
	case KW_RACL:
		d_acl(p, MXG_STAGE_RCPT, &kwt);
		break;
	case KW_DACL:
		d_acl(p, MXG_STAGE_DATA, &kwt);
		break;
	default:
		perr(p, &kwt, "internal error: keyword '%s'", kw->name);
		skipstmt(p);
		return;
	}
	if (p->nerr != errs)
		skipstmt(p);
	else if (!atend(p)) {
		perr(p, &p->tok, "unexpected '%s' after '%s'", SHOW(&p->tok),
		    kw->name);
		skipstmt(p);
	}
}

static void
zones(struct parser *p, struct mxg_stage_rules *st)
{
	size_t i, j, k;

	if ((st->zones = zalloc(p, (p->rs->nrbls + 1) * sizeof(char *))) ==
	    NULL)
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
 * mxg_rules_parse: see mxg_rules.h. The buffer is tokenized in place
 * (copies of token texts); nothing of buf is kept.
 */
struct mxg_ruleset *
mxg_rules_parse(const char *name, const char *buf, size_t len,
    const struct mxg_log *log, int *err)
{
	struct parser p;
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
	next(&p);
	while (p.tok.type != MXG_T_EOF && !p.oom) {
		if (p.tok.type == MXG_T_NL) {
			p.quiet = 0; /* a new statement */
			next(&p);
			continue;
		}
		statement(&p);
	}
	zones(&p, &rs->st[0]);
	zones(&p, &rs->st[1]);
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
