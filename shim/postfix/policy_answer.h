/*
 * policy_answer.h: turn an engine verdict into a Postfix policy answer
 * ("action=...\n\n"). Pure formatting, no I/O.
 */
#ifndef POLICY_ANSWER_H
#define POLICY_ANSWER_H

#include <stddef.h>
#include <time.h>

#include "mxgrey.h"

#define MXG_POLICY_ANSWER_MAX 1024 /* longest answer, with "\n\n" */

/* How greylisting and temporary failures are answered. */
enum mxg_policy_style {
	MXG_POLICY_STYLE_DEFER = 0, /* action=DEFER_IF_PERMIT text */
	MXG_POLICY_STYLE_CODE       /* action=451 4.7.1 text */
};

/* When an accepted recipient gets action=PREPEND X-Greylist: ... */
enum mxg_policy_header {
	MXG_POLICY_HDR_NONE = 0, /* never: DUNNO */
	MXG_POLICY_HDR_DELAYED,  /* mail that was greylisted before */
	MXG_POLICY_HDR_ALL       /* also whitelisted mail */
};

struct mxg_policy_opts {
	enum mxg_policy_style style;
	enum mxg_policy_header header;
	const char *hostname; /* for the header; NULL: "localhost" */
};

/*
 * mxg_policy_answer: the answer for verdict v at now, into buf (size bytes, at least
 * MXG_POLICY_ANSWER_MAX). An accept is "PREPEND Name: value" for the
 * deciding rule's addheader; else "PREPEND X-Greylist: ..." when
 * o->header and v->xgreylist (the rules' `report`) both ask for it;
 * else DUNNO. local_ip: the server address the client connected to
 * (Postfix's server_address), named in X-Greylist as milter-greylist
 * names {if_addr}; NULL: 0.0.0.0. Control characters of the verdict text
 * become spaces; a code of the wrong class becomes 451/550. Returns the
 * length.
 */
size_t mxg_policy_answer(const struct mxg_policy_opts *o,
    const struct mxg_verdict *v, const char *local_ip, time_t now, char *buf,
    size_t size);

/*
 * mxg_policy_answer_text: "action=ACTION text\n\n" into buf, text
 * sanitised as above (for errors: DEFER_IF_PERMIT, and DUNNO with text
 * NULL). Returns the length.
 */
size_t mxg_policy_answer_text(
    const char *action, const char *text, char *buf, size_t size);

#endif
