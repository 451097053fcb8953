/*
 * mxg_rules_int.h: the compiled ruleset, shared by the parser
 * (mxg_rules_parse.c, mxg_rules_acl.c), the tokenizer (mxg_rules_lex.c),
 * the keyword table (mxg_rules_kw.c) and the evaluator
 * (mxg_rules_eval.c). Not for use outside the rules subsystem.
 */
#ifndef MXG_RULES_INT_H
#define MXG_RULES_INT_H

#include <regex.h>
#include <stddef.h>

#include "mxg_rules.h"
#include "mxg_cidr.h"
#include "mxg_strset.h"

/* ---- tokens ---------------------------------------------------------- */

enum mxg_tok {
	MXG_T_EOF = 0,
	MXG_T_NL,     /* end of a statement */
	MXG_T_WORD,   /* bare word: keyword, number, address, duration */
	MXG_T_STRING, /* "quoted", escapes resolved */
	MXG_T_REGEX,  /* /regex/, slashes stripped */
	MXG_T_LBRACE,
	MXG_T_RBRACE,
	MXG_T_BANG,    /* ! */
	MXG_T_ERROR,   /* lexical error; text says why */
	MXG_T_UNCLOSED /* a { never closed; at the brace, ends the statement */
};

struct mxg_token {
	enum mxg_tok type;
	unsigned line, col;
	const char *text; /* NUL-terminated, in the lexer's buffer */
	size_t len;
};

/* a byte the lexer refused: NUL anywhere, a control byte in a string */
struct mxg_lexbad {
	unsigned line, col;
	unsigned char c;
	unsigned char inre; /* in a /regex/, not a "string" */
};

#define MXG_LEX_NBAD 16

struct mxg_lexer {
	const char *buf;
	size_t len, pos;
	unsigned line, col;
	char *out; /* token text storage, reused per token */
	size_t outcap;
	int inbrace;                  /* inside { }: newlines are blanks */
	unsigned open_line, open_col; /* where the open { is */
	int bol;                      /* next token starts a line */
	struct mxg_token pending;     /* returned after an MXG_T_UNCLOSED */
	int haspending;
	unsigned unpaired_line; /* line whose quotes were counted */
	/* refused bytes met since the last call; the caller reports them */
	struct mxg_lexbad bad[MXG_LEX_NBAD];
	unsigned nbad, lostbad;
};

int mxg_rules_lex_init(struct mxg_lexer *lx, const char *buf, size_t len);
void mxg_rules_lex_free(struct mxg_lexer *lx);
/*
 * mxg_rules_lex_next: next token into *t; 0. Bytes refused while reading
 * it are left in lx->bad (nbad of them, lostbad more not kept) for the
 * caller to report and clear. A { still open when a line starts with a
 * directive keyword followed by more text, or at the end of the input,
 * gives MXG_T_UNCLOSED (at the brace) before that token.
 */
int mxg_rules_lex_next(struct mxg_lexer *lx, struct mxg_token *t);

/* ---- keywords -------------------------------------------------------- */

/* where a keyword comes from and what we do with it */
enum mxg_kw_status {
	MXG_KS_SUPPORTED = 1, /* milter-greylist keyword, implemented */
	MXG_KS_DAEMON,        /* milter-greylist, accepted, daemon-only */
	MXG_KS_UNSUPPORTED,   /* milter-greylist, refused with an error */
	MXG_KS_OURS           /* our addition */
};

/*
 * One keyword. global/clause/value say what it means as a directive, as
 * a racl/dacl clause and as a per-rule value (KW_NONE: not in that
 * place); flag is the MXG_CF_* bit of a bare flag directive.
 */
struct mxg_kw {
	const char *name;
	int global, clause, value;
	unsigned flag;
	int status; /* enum mxg_kw_status */
};

/* mxg_rules_kw_find: the keyword named s (len bytes), or NULL. */
const struct mxg_kw *mxg_rules_kw_find(const char *s, size_t len);

/* mxg_rules_keywords: the sorted table and its length. */
const struct mxg_kw *mxg_rules_keywords(size_t *n);

enum mxg_kw_id {
	KW_NONE = 0,
	KW_FLAG,
	/* globals */
	KW_GREYLIST,
	KW_AUTOWHITE,
	KW_TIMEOUT,
	KW_SUBNETMATCH,
	KW_SUBNETMATCH6,
	KW_REPORT,
	KW_STORE,
	KW_FAILACTION,
	KW_LIST,
	KW_DNSRBL,
	KW_SM_MACRO,
	KW_GEOIPDB,
	KW_GEOIP2DB,
	KW_RESOLVER,
	KW_SOCKET,
	KW_USER,
	KW_PIDFILE,
	KW_DUMPFILE,
	KW_DAEMON_ARGS, /* daemon-only: rest of the line is ignored */
	KW_UNSUPPORTED,
	/* acl */
	KW_RACL,
	KW_DACL,
	/* clauses */
	KW_ADDR,
	KW_DOMAIN,
	KW_FROM,
	KW_RCPT,
	KW_HELO,
	KW_LISTREF,
	KW_SMMACRO_REF,
	KW_AUTH,
	KW_TLS,
	KW_TIME,
	KW_RCPTCOUNT,
	KW_DNSRBL_REF,
	KW_GEOIP,
	KW_SPF,
	KW_DEFAULT,
	KW_MSGSIZE,
	KW_HEADER,
	KW_BODY,
	KW_S25R,
	KW_NORDNS,
	KW_NOT,
	/* values */
	KW_DELAY,
	KW_AW,
	KW_MSG,
	KW_CODE,
	KW_ECODE,
	KW_REPORTV,
	KW_NOLOG,
	KW_LOG,
	KW_ADDHEADER
};

/* ---- compiled form --------------------------------------------------- */

/* What a value list matches against. */
enum mxg_ltype {
	MXG_L_ADDR = 1,
	MXG_L_DOMAIN,
	MXG_L_FROM,
	MXG_L_RCPT,
	MXG_L_HELO,
	MXG_L_STR /* auth, tls DN, header, body, sm_macro value */
};

struct mxg_rlist {
	const char *name; /* NULL for an inline list */
	int type;         /* enum mxg_ltype */
	struct mxg_cidr *cidr;
	struct mxg_strset *exact;   /* whole strings (addresses, names) */
	struct mxg_strset *domains; /* from/rcpt: domain parts */
	regex_t *re;
	size_t nre, capre;
	const char **subs; /* header/body: substrings */
	size_t nsubs, capsubs;
	struct mxg_rlist *next;
};

struct mxg_rbl {
	const char *name;
	const char *zone;
	struct mxg_ip answer;
	int prefix;
	unsigned idx;
};

struct mxg_macro_def {
	const char *name;
	const char *macro;
	const char *value; /* NULL: match when unset */
	regex_t *re;       /* regex form */
	int unset;
};

/* crontab-like time spec */
struct mxg_timespec {
	unsigned long long min; /* bits 0..59 */
	unsigned long hour;     /* bits 0..23 */
	unsigned long mday;     /* bits 1..31 */
	unsigned long mon;      /* bits 1..12 */
	unsigned long wday;     /* bits 0..6 */
};

enum mxg_cmp {
	MXG_CMP_LT = 1,
	MXG_CMP_LE,
	MXG_CMP_EQ,
	MXG_CMP_NE,
	MXG_CMP_GE,
	MXG_CMP_GT
};

struct mxg_clause {
	int kind; /* enum mxg_kw_id of the clause */
	int neg;
	unsigned line, col;
	union {
		const struct mxg_rlist *list;
		const struct mxg_rbl *rbl;
		const struct mxg_macro_def *macro;
		const struct mxg_timespec *time;
		struct {
			int op;
			unsigned long n;
		} cmp;
		int spf; /* MXG_SPF_*, or -1: bare spf = pass */
		int tls; /* bare tls: session encrypted */
	} u;
};

struct mxg_rule {
	unsigned line;
	int action; /* enum mxg_rule_action, or 0 with cont set */
	int cont;   /* continue rule */
	const char *id;
	struct mxg_clause *clauses;
	size_t nclauses;
	long delay, autowhite;
	const char *msg, *ecode, *report, *log, *addheader;
	int code;
	int nolog;
};

struct mxg_stage_rules {
	struct mxg_rule *rules;
	size_t nrules, cap;
	int closed;     /* a plain `default` rule was seen */
	int tests_auth; /* a rule has an auth or tls clause */
	unsigned needs;
	const char **zones;
	size_t nzones;
};

#define MXG_S25R_N 6

struct mxg_ruleset {
	struct mxg_config cf;
	struct mxg_stage_rules st[2];
	struct mxg_rlist *lists; /* every list, named and inline */
	struct mxg_rbl **rbls;
	size_t nrbls;
	struct mxg_macro_def **macros;
	size_t nmacros;
	const char **resolvers;
	size_t nresolvers;
	regex_t s25r[MXG_S25R_N]; /* compiled when an s25r clause is used */
	int s25r_ready;
	unsigned geoip_line, geoip_col; /* of the geoipdb path, for messages */
	/* owned allocations */
	void **allocs;
	size_t nallocs, capallocs;
	regex_t **regexes;
	size_t nregexes, capregexes;
};

/* match one list entry set against the request (mxg_rules_eval.c) */
int mxg_rules_list_match(const struct mxg_rlist *l, const char *s,
    const struct mxg_ip *ip, int domainexact);

/* ---- scalar values (mxg_rules_value.c) -------------------------------- */

/* mxg_rules_duration: "90", "90s", "10m", "1h30m", "1w": seconds, or -1. */
long mxg_rules_duration(const char *s);

/* mxg_rules_number: decimal s <= max into *out; 0, or -1 if malformed. */
int mxg_rules_number(const char *s, unsigned long max, unsigned long *out);

/*
 * mxg_rules_ipprefix: "addr", "addr/n" or "v4addr/dotted.mask" into *ip
 * and *prefix (the family's full length without one); 0 or -1.
 */
int mxg_rules_ipprefix(const char *s, struct mxg_ip *ip, int *prefix);

/*
 * mxg_rules_timefield: one crontab field ("*", "n", "n-m", "*\/s", lists)
 * with values in [lo, hi] into a bit set; 0 or -1.
 */
int mxg_rules_timefield(
    const char *s, int lo, int hi, unsigned long long *bits);

/* mxg_rules_re_check: NULL if re is safe to compile, else why not. */
const char *mxg_rules_re_check(const char *re, int extended);

/* mxg_rules_s25r: 1 when name looks like a dynamic/generic host name. */
int mxg_rules_s25r(const struct mxg_ruleset *rs, const char *name);

#endif
