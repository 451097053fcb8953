/*
 * mxg_rules_parser.h: the rules parser's state and the helpers its files
 * share: mxg_rules_parse.c (token stream, diagnostics, lists, global
 * directives, the statement loop) and mxg_rules_acl.c (racl/dacl rules).
 * Not for use outside the rules parser. None of these block or print:
 * messages go through the log callback of mxg_rules_parse().
 */
#ifndef MXG_RULES_PARSER_H
#define MXG_RULES_PARSER_H

#include <stddef.h>

#include "mxg_rules_int.h"

struct mxg_parser {
	struct mxg_lexer lx;
	struct mxg_token tok; /* the current token */
	const char *name;     /* the file name, for messages */
	const struct mxg_log *log;
	struct mxg_ruleset *rs; /* being built */
	unsigned nerr;
	int oom;
	int reflags; /* extra regcomp flags for the list being read */
	int quiet;   /* statement already in error: count, do not report */
	int ccodes;  /* reading country codes */
	struct mxg_token dotdomain; /* first domain with a leading dot */
};

/* ---- memory owned by the ruleset (freed by mxg_rules_free) ----------- */

/*
 * mxg_rules_own: hand ptr (from malloc) to the ruleset and return it; on
 * NULL or no memory, free ptr, set p->oom and return NULL.
 */
void *mxg_rules_own(struct mxg_parser *p, void *ptr);

/* mxg_rules_zalloc: size zeroed bytes owned by the ruleset, or NULL. */
void *mxg_rules_zalloc(struct mxg_parser *p, size_t size);

/* mxg_rules_sdup: a NUL-terminated copy of s (len bytes), owned; or NULL. */
char *mxg_rules_sdup(struct mxg_parser *p, const char *s, size_t len);

/*
 * mxg_rules_grow: make room for element n of the realloc'ed array whose
 * pointer is at arrp (any element type; *cap elements of elem bytes);
 * 0, or -1 with p->oom set. The array is the caller's to own or free.
 */
int mxg_rules_grow(
    struct mxg_parser *p, void *arrp, size_t *cap, size_t n, size_t elem);

/* ---- diagnostics ----------------------------------------------------- */

/*
 * mxg_rules_perr: count an error and log "file:line:col: message" at t,
 * unless the statement is already in error (p->quiet) or too many were
 * shown. Control and non-ASCII bytes of the message are shown as \xHH.
 */
void mxg_rules_perr(struct mxg_parser *p, const struct mxg_token *t,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* mxg_rules_pwarn: log a warning at t; it does not refuse the file. */
void mxg_rules_pwarn(struct mxg_parser *p, const struct mxg_token *t,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * mxg_rules_show: a printable, bounded excerpt of t for messages ("end of
 * line" and the like for tokens without text), in buf or a constant.
 */
const char *mxg_rules_show(const struct mxg_token *t, char *buf, size_t size);

/* the current token shown, in a `char showbuf[80]` of the caller */
#define MXG_SHOW(t) mxg_rules_show((t), showbuf, sizeof(showbuf))

/* ---- token stream ---------------------------------------------------- */

/*
 * mxg_rules_next: read the next token into p->tok. Lexical errors and
 * refused bytes are reported here; an unclosed { is reported once and
 * becomes the end of the statement.
 */
void mxg_rules_next(struct mxg_parser *p);

/* mxg_rules_atend: 1 at the end of a statement (end of line or file). */
int mxg_rules_atend(const struct mxg_parser *p);

/* mxg_rules_skipstmt: after an error, skip the rest of the statement. */
void mxg_rules_skipstmt(struct mxg_parser *p);

/* mxg_rules_isword: 1 if the current token is the bare word w. */
int mxg_rules_isword(const struct mxg_parser *p, const char *w);

/* mxg_rules_isstr: a quoted string, or a bare word where milter-greylist
 * allows one. */
int mxg_rules_isstr(const struct mxg_parser *p);

/* ---- values ---------------------------------------------------------- */

/*
 * mxg_rules_want_duration: the current token as a duration in seconds,
 * then the next token; or an error naming what, and -1.
 */
long mxg_rules_want_duration(struct mxg_parser *p, const char *what);

/*
 * mxg_rules_want_string: the current quoted string, copied and owned,
 * then the next token; or an error naming what, and NULL.
 */
const char *mxg_rules_want_string(struct mxg_parser *p, const char *what);

/* ---- lists ----------------------------------------------------------- */

/* mxg_rules_newlist: a new empty list (name NULL: inline), or NULL. */
struct mxg_rlist *mxg_rules_newlist(
    struct mxg_parser *p, int type, const char *name);

/* mxg_rules_findlist: the list defined as name, or NULL. */
struct mxg_rlist *mxg_rules_findlist(struct mxg_parser *p, const char *name);

/*
 * mxg_rules_listvalues: a single item, or { item ... }, into l (substr:
 * header/body substrings); 0, or -1 after reporting the errors.
 */
int mxg_rules_listvalues(struct mxg_parser *p, struct mxg_rlist *l, int substr);

/* ---- rules (mxg_rules_acl.c) ----------------------------------------- */

/*
 * mxg_rules_acl: the rest of a racl (stage MXG_STAGE_RCPT) or dacl
 * (MXG_STAGE_DATA) statement after its keyword aclt: appended to the
 * stage's rules if it has no error.
 */
void mxg_rules_acl(
    struct mxg_parser *p, int stage, const struct mxg_token *aclt);

#endif
