/*
 * smtpd_proto.h: the smtpd-filters line protocol (versions 0.4 to 0.7) as
 * pure functions over one line: no I/O, no allocation, no state. The
 * filter loop, the unit tests and the fuzz target all go through here.
 *
 * Lines from smtpd look like
 *	config|key|value
 *	report|0.6|1576146008.006099|smtp-in|event|session[|params]
 *	filter|0.6|1576146008.006099|smtp-in|phase|session|token[|params]
 * Parsing happens in place: the line is cut at its separators, and every
 * pointer handed back points into it.
 */
#ifndef SMTPD_PROTO_H
#define SMTPD_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define SMTPD_LINE_MAX   65536 /* longest input line kept */
#define SMTPD_RESULT_MAX 1024  /* longest line we write */
#define SMTPD_ADDR_MAX   64    /* client address text, no port */

enum smtpd_kind { SMTPD_MSG_CONFIG = 1, SMTPD_MSG_REPORT, SMTPD_MSG_FILTER };

struct smtpd_msg {
	enum smtpd_kind kind;
	/* config lines: key ("ready" for config|ready), value (NULL) */
	const char *key;
	const char *value;
	/* report and filter lines */
	int vmajor;
	int vminor;
	long long sec;         /* timestamp, seconds */
	long usec;             /* and microseconds */
	const char *subsystem; /* "smtp-in", ... */
	const char *event;     /* report event or filter phase */
	uint64_t session;
	uint64_t token;     /* filter lines only */
	const char *params; /* the rest after session/token; "" if none */
};

/*
 * smtpd_proto_parse: parse one line of len bytes (no newline; a trailing
 * CR is tolerated) in place. line[len] must be writable and is set to
 * NUL. Returns 0 and fills *m, or -1 with *why pointing to a static text
 * when the line is malformed (a NUL byte inside, a missing field, a bad
 * number, an unknown stream). *m is then unspecified.
 */
int smtpd_proto_parse(
    char *line, size_t len, struct smtpd_msg *m, const char **why);

/*
 * smtpd_proto_split: cut s at '|' into at most max fields (the last one
 * keeps any further '|'). Returns the number of fields (at least 1).
 */
int smtpd_proto_split(char *s, char **fields, int max);

/*
 * smtpd_proto_version_ok: nonzero for a version this filter speaks
 * (0.4 to 0.7; a later 0.x is spoken as 0.7).
 */
int smtpd_proto_version_ok(int vmajor, int vminor);

/* Parameters of link-connect: rdns|fcrdns|src|dest. */
struct smtpd_connect {
	const char *rdns;   /* "" or "<unknown>" when none */
	const char *fcrdns; /* pass, fail, error */
	const char *src;    /* "192.0.2.1:4242", "[2001:db8::1]:4242" */
	const char *dest;
};

/* smtpd_proto_link_connect: split params. Returns 0 or -1 (too few). */
int smtpd_proto_link_connect(char *params, struct smtpd_connect *c);

/*
 * smtpd_proto_link_identify: method|identity (identity keeps any '|').
 * Returns 0 or -1.
 */
int smtpd_proto_link_identify(
    char *params, const char **method, const char **identity);

/*
 * smtpd_proto_link_auth: username and result of a link-auth event: up to
 * 0.6 "username|result", from 0.7 on "result|username". A username may
 * hold '|'. Returns 0 or -1.
 */
int smtpd_proto_link_auth(const struct smtpd_msg *m, char *params,
    const char **user, const char **result);

/*
 * smtpd_proto_tx_addr: message id, result and address of a tx-mail or
 * tx-rcpt event: up to 0.5 "msgid|address|result", from 0.6 on
 * "msgid|result|address". An address may hold '|'. Returns 0 or -1.
 */
int smtpd_proto_tx_addr(const struct smtpd_msg *m, char *params,
    const char **msgid, const char **result, const char **addr);

/*
 * smtpd_proto_src_addr: the client address of a link-connect src field,
 * port and brackets dropped, into out (size bytes). Returns 0, 1 for a
 * local (unix socket) session (out set to ""), or -1 for a field that is
 * neither.
 */
int smtpd_proto_src_addr(const char *src, char *out, size_t size);

/*
 * smtpd_proto_rcpt_addr: the mailbox of a rcpt-to/mail-from filter
 * parameter ("<a@b> NOTIFY=..." or "a@b"), without brackets and ESMTP
 * parameters, into out (size bytes). Returns 0, or -1 if it does not fit.
 */
int smtpd_proto_rcpt_addr(const char *param, char *out, size_t size);

/*
 * smtpd_proto_proceed / smtpd_proto_reject: write the answer to a filter
 * request of version vmajor.vminor into out (size bytes), newline
 * included; reply is "451 4.7.1 text". CR, LF and NUL in reply are
 * replaced by spaces. Return the length, or 0 if it does not fit.
 */
size_t smtpd_proto_proceed(char *out, size_t size, int vmajor, int vminor,
    uint64_t session, uint64_t token);
size_t smtpd_proto_reject(char *out, size_t size, int vmajor, int vminor,
    uint64_t session, uint64_t token, const char *reply);

#endif
