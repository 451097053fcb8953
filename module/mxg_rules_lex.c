/*
 * mxg_rules_lex.c: tokenizer for the rules language, on a bounded buffer
 * (len bytes, need not be NUL-terminated). Token texts are copied into one
 * output area sized once for the whole input, so every token stays valid
 * until mxg_rules_lex_free().
 *
 * Bytes: a UTF-8 byte order mark at the very start is skipped (columns
 * count after it); a NUL anywhere, and a control byte other than tab in
 * a quoted string or a regex, is refused (reported by the caller from
 * lx->bad); other bytes are token text, and the caller shows them
 * escaped.
 */
#include <stdlib.h>
#include <string.h>

#include "mxgrey.h"
#include "mxg_rules_int.h"

/* mxg_rules_lex_init: start tokenizing buf. 0 or MXG_ENOMEM. */
int
mxg_rules_lex_init(struct mxg_lexer *lx, const char *buf, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->buf = buf;
	lx->len = len;
	lx->line = 1;
	lx->col = 1;
	lx->bol = 1;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		lx->pos = 3; /* byte order mark */
	/* each token's text is at most its source span, plus a NUL */
	lx->outcap = len * 2 + 64;
	if ((lx->out = malloc(lx->outcap)) == NULL)
		return MXG_ENOMEM;
	lx->outcap = 0; /* used as the fill offset from now on */
	return 0;
}

/* mxg_rules_lex_free: release the token storage. */
void
mxg_rules_lex_free(struct mxg_lexer *lx)
{
	free(lx->out);
	lx->out = NULL;
}

static int
peekc(const struct mxg_lexer *lx, size_t ahead)
{
	if (lx->pos + ahead >= lx->len)
		return -1;
	return (unsigned char)lx->buf[lx->pos + ahead];
}

/* remember a refused byte at the current position */
static void
badbyte(struct mxg_lexer *lx, int c, int inre)
{
	if (lx->nbad == MXG_LEX_NBAD) {
		lx->lostbad++;
		return;
	}
	lx->bad[lx->nbad].line = lx->line;
	lx->bad[lx->nbad].col = lx->col;
	lx->bad[lx->nbad].c = (unsigned char)c;
	lx->bad[lx->nbad].inre = (unsigned char)inre;
	lx->nbad++;
}

static void
advance(struct mxg_lexer *lx)
{
	unsigned char c;

	if (lx->pos >= lx->len)
		return;
	c = (unsigned char)lx->buf[lx->pos];
	if (c == '\0')
		badbyte(lx, c, 0);
	lx->pos++;
	if (c == '\n') {
		lx->line++;
		lx->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		lx->col++; /* count UTF-8 characters, not bytes */
	}
}

static char *
startout(struct mxg_lexer *lx, struct mxg_token *t)
{
	t->text = lx->out + lx->outcap;
	t->len = 0;
	return lx->out + lx->outcap;
}

static void
put(struct mxg_lexer *lx, struct mxg_token *t, int c)
{
	lx->out[lx->outcap++] = (char)c;
	t->len++;
}

static void
endout(struct mxg_lexer *lx)
{
	lx->out[lx->outcap++] = '\0';
}

static void
skipline(struct mxg_lexer *lx)
{
	int c;

	while ((c = peekc(lx, 0)) != -1 && c != '\n')
		advance(lx);
}

static int
isblankc(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int
isdigitc(int c)
{
	return c >= '0' && c <= '9';
}

static void
settext(struct mxg_token *t, enum mxg_tok type, const char *why)
{
	t->type = type;
	t->text = why;
	t->len = strlen(why);
}

/* a control byte (not NUL: advance() has it) in a string or regex */
static void
ctlbyte(struct mxg_lexer *lx, int c, int inre)
{
	if ((c > 0 && c < 0x20 && c != '\t') || c == 0x7f)
		badbyte(lx, c, inre);
}

/* at the end of the line: a newline, CR LF, or the end of the input */
static int
eol(const struct mxg_lexer *lx, size_t ahead)
{
	int c = peekc(lx, ahead);

	return c == -1 || c == '\n' ||
	    (c == '\r' && peekc(lx, ahead + 1) == '\n');
}

/*
 * At an opening quote: its closing quote is missing, by the shape of the
 * line. The next quote has a blank before it and text after it, so it
 * opens a string rather than closes this one (msg "a delay 5m log "b"),
 * and the quotes from here to the end of the line are odd in number.
 * The second test reads the rest of the line, at most once per line, so
 * that the lexer stays linear on any input.
 */
static int
unpaired(struct mxg_lexer *lx)
{
	size_t i, next;
	unsigned n = 0;
	int c;

	for (i = 1; (c = peekc(lx, i)) != -1 && c != '\n' && c != '"'; i++)
		if (c == '\\' && peekc(lx, i + 1) != '\n')
			i++;
	if (c != '"')
		return 0;
	next = i;
	c = peekc(lx, next + 1);
	if (!isblankc(peekc(lx, next - 1)) || c == -1 || c == '\n' ||
	    c == '}' || c == '#' || isblankc(c))
		return 0;
	if (lx->line == lx->unpaired_line)
		return 0;
	lx->unpaired_line = lx->line;
	for (i = next; (c = peekc(lx, i)) != -1 && c != '\n'; i++) {
		if (c == '\\' && peekc(lx, i + 1) != '\n')
			i++;
		else if (c == '"')
			n++;
	}
	return n % 2 == 0; /* with this one: odd */
}

static void
lexstring(struct mxg_lexer *lx, struct mxg_token *t)
{
	int c;

	if (unpaired(lx)) {
		skipline(lx); /* the rest of the line is not what was meant */
		settext(t, MXG_T_ERROR, "unterminated quoted string");
		return;
	}
	advance(lx); /* opening quote */
	startout(lx, t);
	for (;;) {
		c = peekc(lx, 0);
		if (eol(lx, 0)) {
			endout(lx);
			settext(t, MXG_T_ERROR, "unterminated quoted string");
			return;
		}
		ctlbyte(lx, c, 0);
		advance(lx);
		if (c == '"')
			break;
		if (c == '\\' &&
		    (peekc(lx, 0) == '"' || peekc(lx, 0) == '\\')) {
			c = peekc(lx, 0);
			advance(lx);
		} else if (c == '\\' && peekc(lx, 0) != -1 && eol(lx, 0)) {
			skipline(lx); /* continued string: CR, if any */
			advance(lx);
			continue;
		}
		put(lx, t, c);
	}
	endout(lx);
	t->type = MXG_T_STRING;
}

static void
lexregex(struct mxg_lexer *lx, struct mxg_token *t)
{
	int c;

	advance(lx); /* opening slash */
	startout(lx, t);
	for (;;) {
		c = peekc(lx, 0);
		if (eol(lx, 0)) {
			endout(lx);
			settext(
			    t, MXG_T_ERROR, "unterminated regular expression");
			return;
		}
		ctlbyte(lx, c, 1);
		advance(lx);
		if (c == '/')
			break;
		if (c == '\\' && peekc(lx, 0) == '/') {
			c = '/';
			advance(lx);
		} else if (c == '\\' && !eol(lx, 0)) {
			put(lx, t, c);
			c = peekc(lx, 0);
			ctlbyte(lx, c, 1);
			advance(lx);
		}
		put(lx, t, c);
	}
	endout(lx);
	t->type = MXG_T_REGEX;
}

/* "/24" followed by a blank, a newline, a comment or a brace: a prefix */
static int
isprefix(const struct mxg_lexer *lx)
{
	size_t i = 1;
	int c;

	if (!isdigitc(peekc(lx, i)))
		return 0;
	while (isdigitc(peekc(lx, i)))
		i++;
	c = peekc(lx, i);
	return c == -1 || c == '\n' || c == '#' || c == '}' || c == '\\' ||
	    isblankc(c);
}

static void
lexword(struct mxg_lexer *lx, struct mxg_token *t)
{
	int c;

	startout(lx, t);
	while ((c = peekc(lx, 0)) != -1 && !isblankc(c) && c != '\n' &&
	    c != '"' && c != '{' && c != '}' && c != '\\' && c != '#') {
		put(lx, t, c);
		advance(lx);
	}
	endout(lx);
	t->type = MXG_T_WORD;
}

/* at a backslash: only blanks or a comment follow it on its line */
static int
continuation(const struct mxg_lexer *lx)
{
	size_t i = 1;
	int c;

	while (isblankc(c = peekc(lx, i)))
		i++;
	return c == -1 || c == '\n' || c == '#';
}

/* the word t starts a statement: a directive with more text on its line */
static int
directive(const struct mxg_lexer *lx, const struct mxg_token *t)
{
	const struct mxg_kw *kw;
	size_t i = 0;
	int c;

	if (t->type != MXG_T_WORD ||
	    (kw = mxg_rules_kw_find(t->text, t->len)) == NULL)
		return 0;
	switch (kw->global) {
	case KW_NONE:
	case KW_FLAG:
	case KW_DAEMON_ARGS:
	case KW_UNSUPPORTED:
		return 0;
	default:
		break;
	}
	while (isblankc(c = peekc(lx, i)))
		i++;
	return c != -1 && c != '\n' && c != '#';
}

/* report the open { at t, keep what was read (if anything) for later */
static void
unclosed(struct mxg_lexer *lx, struct mxg_token *t, int keep)
{
	if (keep) {
		lx->pending = *t;
		lx->haspending = 1;
	}
	lx->inbrace = 0;
	t->type = MXG_T_UNCLOSED;
	t->line = lx->open_line;
	t->col = lx->open_col;
	t->text = "}";
	t->len = 1;
}

/*
 * mxg_rules_lex_next: the next token. Comments run from # to the end of
 * the line; a backslash outside quotes joins the next line (only blanks
 * or a comment may follow it: other text is an error, not silently
 * dropped as milter-greylist does); newlines inside braces are blanks,
 * but a line inside braces that starts like a statement (a directive
 * keyword and its arguments: "racl whitelist ...") means the closing
 * brace is missing: MXG_T_UNCLOSED, then that line as usual.
 */
int
mxg_rules_lex_next(struct mxg_lexer *lx, struct mxg_token *t)
{
	int bol, c;

	if (lx->haspending) {
		*t = lx->pending;
		lx->haspending = 0;
		return 0;
	}
	for (;;) {
		c = peekc(lx, 0);
		if (isblankc(c)) {
			advance(lx);
		} else if (c == '#') {
			skipline(lx);
		} else if (c == '\\') {
			if (!continuation(lx)) {
				t->line = lx->line;
				t->col = lx->col;
				skipline(lx);
				settext(t, MXG_T_ERROR,
				    "text after a line-continuation backslash");
				return 0;
			}
			skipline(lx);
			advance(lx); /* the newline: continuation */
		} else if (c == '\n' && lx->inbrace) {
			advance(lx);
			lx->bol = 1;
		} else {
			break;
		}
	}
	t->line = lx->line;
	t->col = lx->col;
	t->text = "";
	t->len = 0;
	bol = lx->bol;
	lx->bol = 0;
	switch (c) {
	case -1:
		t->type = MXG_T_EOF;
		if (lx->inbrace)
			unclosed(lx, t, 0);
		break;
	case '\n':
		advance(lx);
		lx->bol = 1;
		t->type = MXG_T_NL;
		break;
	case '"':
		lexstring(lx, t);
		break;
	case '{':
		advance(lx);
		if (!lx->inbrace) {
			lx->inbrace = 1;
			lx->open_line = t->line;
			lx->open_col = t->col;
		}
		t->type = MXG_T_LBRACE;
		t->text = "{";
		t->len = 1;
		break;
	case '}':
		advance(lx);
		lx->inbrace = 0;
		t->type = MXG_T_RBRACE;
		t->text = "}";
		t->len = 1;
		break;
	case '!':
		if (peekc(lx, 1) == '=') {
			lexword(lx, t);
			break;
		}
		advance(lx);
		t->type = MXG_T_BANG;
		t->text = "!";
		t->len = 1;
		break;
	case '/':
		if (isprefix(lx))
			lexword(lx, t);
		else
			lexregex(lx, t);
		break;
	default:
		lexword(lx, t);
		if (lx->inbrace && bol && directive(lx, t))
			unclosed(lx, t, 1);
		break;
	}
	return 0;
}
