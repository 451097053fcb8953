/*
 * policy_answer.c: engine verdicts as Postfix policy answers.
 */
#include <stdio.h>
#include <string.h>

#include "policy_answer.h"


/* Copy s into out (size > 0) with control characters made spaces. */
static void
clean(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	out[i] = '\0';
}

size_t
mxg_policy_answer_text(
    const char *action, const char *text, char *buf, size_t size)
{
	char t[MXG_TEXT_MAX];
	int n;

	if (text == NULL || *text == '\0')
		n = snprintf(buf, size, "action=%s\n\n", action);
	else {
		clean(text, t, sizeof(t));
		n = snprintf(buf, size, "action=%s %s\n\n", action, t);
	}
	if (n < 0)
		n = 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

/* "4.7.1" style, of class cls ('4' or '5')? */
static int
good_ecode(const char *e, char cls)
{
	size_t i;
	int dots = 0;

	if (e[0] != cls || e[1] != '.')
		return 0;
	for (i = 1; e[i] != '\0'; i++) {
		if (e[i] == '.')
			dots++;
		else if (e[i] < '0' || e[i] > '9')
			return 0;
	}
	return dots == 2 && e[i - 1] != '.';
}

/* action=NNN X.Y.Z text, the code and ecode forced into class cls. */
static size_t
code_answer(const struct mxg_verdict *v, int cls, const char *deftext,
    char *buf, size_t size)
{
	char act[32];
	int code = v->code;
	const char *ecode = v->ecode;

	if (code < cls * 100 || code > cls * 100 + 99)
		code = cls == 4 ? 451 : 550;
	if (!good_ecode(ecode, (char)('0' + cls)))
		ecode = cls == 4 ? "4.7.1" : "5.7.1";
	snprintf(act, sizeof(act), "%d %s", code, ecode);
	return mxg_policy_answer_text(
	    act, v->text[0] ? v->text : deftext, buf, size);
}

/* The X-Greylist header milter-greylist adds, without the name. */
static size_t
header(const struct mxg_policy_opts *o, const struct mxg_verdict *v,
    const char *local_ip, time_t now, char *buf, size_t size)
{
	char act[MXG_TEXT_MAX];

	/* milter-greylist names the server's address ({if_addr}) */
	mxg_xgreylist_verdict(v, o->hostname,
	    local_ip != NULL && *local_ip != '\0' ? local_ip : "0.0.0.0", now,
	    act, sizeof(act));
	return mxg_policy_answer_text("PREPEND X-Greylist:", act, buf, size);
}

/*
 * An accept: Postfix takes one action per answer, so a rule's addheader
 * line (PREPEND) goes before the X-Greylist header, which then is not
 * added; X-Greylist when both -H and the rules' `report` ask for it.
 */
static size_t
accept_answer(const struct mxg_policy_opts *o, const struct mxg_verdict *v,
    const char *local_ip, time_t now, char *buf, size_t size)
{
	if (v->header[0] != '\0')
		return mxg_policy_answer_text("PREPEND", v->header, buf, size);
	if (v->xgreylist &&
	    (o->header == MXG_POLICY_HDR_ALL ||
	        (o->header == MXG_POLICY_HDR_DELAYED &&
	            v->reason == MXG_R_PASSED)))
		return header(o, v, local_ip, now, buf, size);
	return mxg_policy_answer_text("DUNNO", NULL, buf, size);
}

size_t
mxg_policy_answer(const struct mxg_policy_opts *o, const struct mxg_verdict *v,
    const char *local_ip, time_t now, char *buf, size_t size)
{
	switch (v->action) {
	case MXG_ACCEPT:
		return accept_answer(o, v, local_ip, now, buf, size);
	case MXG_REJECT:
		return code_answer(v, 5, "Access denied", buf, size);
	case MXG_GREYLIST:
	case MXG_TEMPFAIL:
	default:
		if (o->style == MXG_POLICY_STYLE_CODE)
			return code_answer(
			    v, 4, "Greylisted, try again later", buf, size);
		return mxg_policy_answer_text("DEFER_IF_PERMIT",
		    v->text[0] ? v->text : "Greylisted, try again later", buf,
		    size);
	}
}
