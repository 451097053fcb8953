/*
 * mxg_exim_result.c: the verdict as the one string an Exim ACL reads:
 * "accept", "defer 451 4.7.1 TEXT" or "reject 550 5.7.1 TEXT", then a
 * tab and key=value details for logs and ${extract}.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
		put_fmt(buf, size, &len, "\treason=%s rule=%u",
		    mxg_reason_name(v->reason), v->rule_line);
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
