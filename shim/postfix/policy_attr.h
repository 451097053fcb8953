/*
 * policy_attr.h: the Postfix policy delegation protocol, request side.
 * A request is "name=value" lines ended by an empty line. The reader
 * frames requests out of a byte stream through a bounded buffer; the
 * parser splits one framed request into attributes and maps them to a
 * struct mxg_request. Neither does I/O; both take untrusted bytes.
 */
#ifndef POLICY_ATTR_H
#define POLICY_ATTR_H

#include <stddef.h>

#include "mxgrey.h"

#define MXG_POLICY_REQ_MAX  16384 /* bytes of one request, all lines */
#define MXG_POLICY_ATTR_MAX 64    /* attributes in one request */

/* Reader and parser results. */
#define MXG_POLICY_MORE     0  /* feed more bytes */
#define MXG_POLICY_READY    1  /* a complete request is framed */
#define MXG_POLICY_ETOOLONG -1 /* request over MXG_POLICY_REQ_MAX */
#define MXG_POLICY_ENOMEM   -2 /* no memory to hold the request */
#define MXG_POLICY_ESYNTAX  -3 /* a line that is not name=value */
#define MXG_POLICY_ECTRL    -4 /* NUL or control character */
#define MXG_POLICY_ETOOMANY -5 /* over MXG_POLICY_ATTR_MAX */
#define MXG_POLICY_EDUP     -6 /* an attribute given twice */
#define MXG_POLICY_EREQUEST -7 /* no request=smtpd_access_policy */

struct mxg_policy_reader {
	char *buf;   /* the request being framed, NUL-terminated */
	size_t len;  /* bytes in buf */
	size_t cap;  /* bytes allocated */
	size_t line; /* offset of the current line's start */
	int skip;    /* 0, or the error to report at the request's end */
	int bol;     /* skipping: the last byte ended a line */
	int ready;   /* buf holds a request handed out */
	/* the message this connection asks about (Postfix's `instance`)
	   and its RCPT requests so far, for rcptcount */
	char instance[64];
	unsigned rcpts;
};

struct mxg_policy_req {
	struct mxg_macro attr[MXG_POLICY_ATTR_MAX];
	size_t nattr;
};

/* mxg_policy_reader_init: an empty reader; allocates nothing yet. */
void mxg_policy_reader_init(struct mxg_policy_reader *rd);

/* mxg_policy_reader_free: release the buffer; rd may be reused. */
void mxg_policy_reader_free(struct mxg_policy_reader *rd);

/*
 * mxg_policy_reader_feed: consume bytes of data (len) until a request
 * ends. *used gets the bytes consumed. Returns MXG_POLICY_MORE (all used,
 * no request yet), MXG_POLICY_READY (rd->buf holds the request's lines,
 * each ended by '\n', without the empty line; valid until the next feed),
 * or MXG_POLICY_ETOOLONG / MXG_POLICY_ENOMEM once the empty line that ends
 * an over-long request is seen (the request was dropped, the stream stays
 * in step). Never holds more than MXG_POLICY_REQ_MAX + 1 bytes.
 */
int mxg_policy_reader_feed(
    struct mxg_policy_reader *rd, const char *data, size_t len, size_t *used);

/*
 * mxg_policy_parse: split the framed request in buf (len bytes, lines
 * ended by '\n', a '\r' before it ignored; buf[len] must be writable,
 * as the reader's NUL is) into r, in place: r's strings point into buf. Returns 0, or MXG_POLICY_ESYNTAX, _ECTRL, _ETOOMANY,
 * _EDUP, _EREQUEST (r then holds the attributes parsed so far).
 */
int mxg_policy_parse(struct mxg_policy_req *r, char *buf, size_t len);

/* mxg_policy_get: the value of attribute name, or NULL if absent. */
const char *mxg_policy_get(const struct mxg_policy_req *r, const char *name);

/*
 * mxg_policy_is_rcpt: nonzero when the request is for the RCPT stage
 * (protocol_state=RCPT, or no protocol_state), the only stage mxgrey
 * decides at.
 */
int mxg_policy_is_rcpt(const struct mxg_policy_req *r);

/*
 * mxg_policy_request: fill *req from r (strings borrowed from r; every
 * attribute also becomes a macro). Postfix's "unknown" client name and
 * empty optional values become NULL.
 */
void mxg_policy_request(
    const struct mxg_policy_req *r, struct mxg_request *req);

/* mxg_policy_strerror: static text for a MXG_POLICY_E* code. */
const char *mxg_policy_strerror(int err);

#endif
