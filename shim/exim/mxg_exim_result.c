/*
 * mxg_exim_result.c: the verdict as the one string an Exim ACL reads:
 * "accept", "defer 451 4.7.1 TEXT" or "reject 550 5.7.1 TEXT", then a
 * tab and key=value details for logs and ${extract}. Values that may
 * hold blanks (header, xgreylist) are double-quoted with backslash
 * escapes, as ${extract} reads them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mxg_exim.h"

/* "4.x.y" for class '4', digits and dots only, at most 3+3+3 digits. */
static int
ecode_ok(const char *e, char cls)
{
	int dots = 1, digits = 0;

	if (e[0] != cls || e[1] != '.')
		return 0;
	for (e += 2; *e != '\0'; e++) {
		if (*e == '.') {
			if (digits == 0)
				return 0;
			dots++;
			digits = 0;
		} else if (*e >= '0' && *e <= '9') {
			if (++digits > 3)
				return 0;
		} else
			return 0;
	}
	return dots == 2 && digits > 0;
}

/* Append text to buf at *len, control characters as spaces. */
static void
put_text(char *buf, size_t size, size_t *len, const char *text)
{
	const unsigned char *p;

	for (p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*len + 1 >= size)
			break;
		buf[(*len)++] = (*p < 0x20 || *p == 0x7f) ? ' ' : (char)*p;
	}
	buf[*len] = '\0';
}

static void put_fmt(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Append a formatted piece to buf at *len, truncating. */
static void
put_fmt(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len + 1 >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*len = (size_t)n >= size - *len ? size - 1 : *len + (size_t)n;
}

/*
 * Append ` key="value"` for Exim's ${extract{key}{...}}, which reads a
 * double-quoted value with backslash escapes: '"' and '\\' get a
 * backslash, control characters become spaces. All or nothing: a value
 * that does not fit is left out, never cut in the middle.
 */
static void
put_quoted(
    char *buf, size_t size, size_t *len, const char *key, const char *val)
{
	const unsigned char *p;
	size_t need = strlen(key) + 4, at;

	for (p = (const unsigned char *)val; *p != '\0'; p++)
		need += (*p == '"' || *p == '\\') ? 2 : 1;
	if (*len + need + 1 > size)
		return;
	at = *len;
	buf[at++] = ' ';
	memcpy(buf + at, key, strlen(key));
	at += strlen(key);
	buf[at++] = '=';
	buf[at++] = '"';
	for (p = (const unsigned char *)val; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf[at++] = '\\';
		buf[at++] = (*p < 0x20 || *p == 0x7f) ? ' ' : (char)*p;
	}
	buf[at++] = '"';
	buf[at] = '\0';
	*len = at;
}

size_t
mxg_exim_result_format(const struct mxg_verdict *v, char *buf, size_t size)
{
	const char *verb, *text;
	char cls, ecode[MXG_CODE_MAX];
	int code;
	size_t len = 0;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	switch (v->action) {
	case MXG_ACCEPT:
		put_text(buf, size, &len, "accept");
		put_fmt(buf, size, &len, "\treason=%s rule=%u delayed=%ld",
		    mxg_reason_name(v->reason), v->rule_line,
		    v->delayed > 0 ? v->delayed : 0L);
		if (v->header[0] != '\0')
			put_quoted(buf, size, &len, "header", v->header);
		return len;
	case MXG_REJECT:
		verb = "reject";
		cls = '5';
		code = v->code >= 500 && v->code <= 599 ? v->code : 550;
		text = v->text[0] != '\0' ? v->text : "Rejected";
		break;
	case MXG_GREYLIST:
	case MXG_TEMPFAIL:
	default:
		verb = "defer";
		cls = '4';
		code = v->code >= 400 && v->code <= 499 ? v->code : 451;
		text = v->text[0] != '\0' ? v->text : "Greylisted, try later";
		break;
	}
	memcpy(ecode, v->ecode, sizeof(ecode));
	ecode[sizeof(ecode) - 1] = '\0';
	if (!ecode_ok(ecode, cls))
		snprintf(ecode, sizeof(ecode), "%c.7.1", cls);
	put_text(buf, size, &len, verb);
	put_fmt(buf, size, &len, " %d %s", code, ecode);
	put_text(buf, size, &len, " ");
	put_text(buf, size, &len, text);
	put_fmt(buf, size, &len, "\tremaining=%ld reason=%s rule=%u",
	    v->action == MXG_GREYLIST ? v->remaining : 0L,
	    mxg_reason_name(v->reason), v->rule_line);
	return len;
}

size_t
mxg_exim_result_xgreylist(const struct mxg_verdict *v, const char *host,
    const char *ip, time_t now, char *buf, size_t size)
{
	char value[MXG_TEXT_MAX];
	size_t len;

	if (size == 0)
		return 0;
	len = strnlen(buf, size - 1);
	buf[len] = '\0';
	if (v->action != MXG_ACCEPT || !v->xgreylist)
		return len;
	mxg_xgreylist_verdict(v, host, ip, now, value, sizeof(value));
	put_quoted(buf, size, &len, "xgreylist", value);
	return len;
}

size_t
mxg_exim_result_error(const char *why, char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	put_text(buf, size, &len, "defer 451 4.3.5 mxgrey: ");
	put_text(buf, size, &len, why);
	put_fmt(buf, size, &len, "\treason=error");
	return len;
}
