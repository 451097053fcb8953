/*
 * policy_attr.c: frame and parse Postfix policy delegation requests.
 */
#include <stdlib.h>
#include <string.h>

#include "policy_attr.h"

#define INITIAL_CAP 1024

void
mxg_policy_reader_init(struct mxg_policy_reader *rd)
{
	memset(rd, 0, sizeof(*rd));
	rd->bol = 1;
}

void
mxg_policy_reader_free(struct mxg_policy_reader *rd)
{
	free(rd->buf);
	mxg_policy_reader_init(rd);
}

/* Make room for n more bytes plus a NUL; 0 or -1 (too long / no memory). */
static int
reserve(struct mxg_policy_reader *rd, size_t n, int *why)
{
	size_t want = rd->len + n + 1, cap;
	char *p;

	if (want > MXG_POLICY_REQ_MAX + 1) {
		*why = MXG_POLICY_ETOOLONG;
		return -1;
	}
	if (want <= rd->cap)
		return 0;
	cap = rd->cap ? rd->cap : INITIAL_CAP;
	while (cap < want)
		cap *= 2;
	if (cap > MXG_POLICY_REQ_MAX + 1)
		cap = MXG_POLICY_REQ_MAX + 1;
	if ((p = realloc(rd->buf, cap)) == NULL) {
		*why = MXG_POLICY_ENOMEM;
		return -1;
	}
	rd->buf = p;
	rd->cap = cap;
	return 0;
}

/* Drop the request being framed; report why at its empty line. */
static void
start_skip(struct mxg_policy_reader *rd, int why)
{
	rd->skip = why;
	rd->bol = 0;
	rd->len = 0;
	rd->line = 0;
}

/* Skipping mode: look for an empty line ("\n\n", "\n\r\n"). */
static int
skip_bytes(
    struct mxg_policy_reader *rd, const char *data, size_t len, size_t *used)
{
	size_t i;
	int why;

	for (i = 0; i < len; i++) {
		if (data[i] == '\n') {
			if (rd->bol) {
				why = rd->skip;
				rd->skip = 0;
				*used = i + 1;
				return why;
			}
			rd->bol = 1;
		} else if (data[i] != '\r')
			rd->bol = 0;
	}
	*used = len;
	return MXG_POLICY_MORE;
}

/* Is the line now ending (buffered part + seg, n bytes) empty or "\r"? */
static int
empty_line(const struct mxg_policy_reader *rd, const char *seg, size_t n)
{
	size_t pending = rd->len - rd->line;

	if (pending == 0)
		return n == 0 || (n == 1 && seg[0] == '\r');
	return pending == 1 && n == 0 && rd->buf[rd->line] == '\r';
}

int
mxg_policy_reader_feed(
    struct mxg_policy_reader *rd, const char *data, size_t len, size_t *used)
{
	const char *nl;
	size_t off = 0, n;
	int why = 0;

	/* A request handed out last time is gone now. */
	if (rd->ready) {
		rd->ready = 0;
		rd->len = 0;
		rd->line = 0;
	}
	while (off < len) {
		if (rd->skip != 0) {
			int rc = skip_bytes(rd, data + off, len - off, &n);

			*used = off + n;
			if (rc != MXG_POLICY_MORE)
				return rc;
			return MXG_POLICY_MORE;
		}
		nl = memchr(data + off, '\n', len - off);
		n = nl ? (size_t)(nl - (data + off)) : len - off;
		if (nl != NULL && empty_line(rd, data + off, n)) {
			/* The empty line: hand out the request without it. */
			if (rd->buf == NULL && reserve(rd, 0, &why) == -1) {
				start_skip(rd, why);
				rd->bol = 1;
				continue;
			}
			rd->len = rd->line;
			rd->buf[rd->len] = '\0';
			rd->line = 0;
			rd->ready = 1;
			*used = off + n + 1;
			return MXG_POLICY_READY;
		}
		if (reserve(rd, nl ? n + 1 : n, &why) == -1) {
			start_skip(rd, why);
			/* The bytes of this line are skipped too. */
			if (nl == NULL) {
				*used = len;
				return MXG_POLICY_MORE;
			}
			off += n + 1;
			rd->bol = 1;
			continue;
		}
		memcpy(rd->buf + rd->len, data + off, n);
		rd->len += n;
		rd->buf[rd->len] = '\0';
		if (nl == NULL) {
			off = len;
			break;
		}
		off += n + 1;
		rd->buf[rd->len++] = '\n';
		rd->buf[rd->len] = '\0';
		rd->line = rd->len;
	}
	*used = off;
	return MXG_POLICY_MORE;
}

static int
name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* Check and split one line (NUL-terminated, no '\n') into name, value. */
static int
split_line(char *line, size_t len, struct mxg_macro *m)
{
	char *eq = NULL;
	size_t i;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return MXG_POLICY_ECTRL;
		if (eq == NULL) {
			if (c == '=')
				eq = line + i;
			else if (!name_char(c))
				return MXG_POLICY_ESYNTAX;
		}
	}
	if (eq == NULL || eq == line)
		return MXG_POLICY_ESYNTAX;
	*eq = '\0';
	m->name = line;
	m->value = eq + 1;
	return 0;
}

int
mxg_policy_parse(struct mxg_policy_req *r, char *buf, size_t len)
{
	struct mxg_macro m;
	char *p = buf, *end = buf + len, *nl;
	const char *req;
	size_t n;
	int rc;

	r->nattr = 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (memchr(p, '\0', n) != NULL)
			return MXG_POLICY_ECTRL;
		p[n] = '\0'; /* the '\n', or the reader's NUL */
		if ((rc = split_line(p, n, &m)) != 0)
			return rc;
		if (mxg_policy_get(r, m.name) != NULL)
			return MXG_POLICY_EDUP;
		if (r->nattr == MXG_POLICY_ATTR_MAX)
			return MXG_POLICY_ETOOMANY;
		r->attr[r->nattr++] = m;
		p += n + 1;
	}
	req = mxg_policy_get(r, "request");
	if (req == NULL || strcmp(req, "smtpd_access_policy") != 0)
		return MXG_POLICY_EREQUEST;
	return 0;
}

const char *
mxg_policy_get(const struct mxg_policy_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nattr; i++)
		if (strcmp(r->attr[i].name, name) == 0)
			return r->attr[i].value;
	return NULL;
}

int
mxg_policy_is_rcpt(const struct mxg_policy_req *r)
{
	const char *st = mxg_policy_get(r, "protocol_state");

	return st == NULL || strcmp(st, "RCPT") == 0;
}

/* Optional values: absent or empty is NULL. */
static const char *
opt(const struct mxg_policy_req *r, const char *name)
{
	const char *v = mxg_policy_get(r, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

void
mxg_policy_request(const struct mxg_policy_req *r, struct mxg_request *req)
{
	const char *v;
	unsigned long n = 0;

	memset(req, 0, sizeof(*req));
	req->client_addr = opt(r, "client_address");
	req->client_name = opt(r, "client_name");
	if (req->client_name != NULL &&
	    strcmp(req->client_name, "unknown") == 0)
		req->client_name = NULL;
	req->helo = opt(r, "helo_name");
	req->sender = mxg_policy_get(r, "sender");
	if (req->sender == NULL)
		req->sender = "";
	req->rcpt = opt(r, "recipient");
	req->auth_id = opt(r, "sasl_username");
	req->tls = opt(r, "encryption_protocol") != NULL;
	req->queue_id = opt(r, "queue_id");
	/* At RCPT, recipient_count counts those accepted before this one. */
	if ((v = opt(r, "recipient_count")) != NULL) {
		for (; *v >= '0' && *v <= '9' && n < 1000000; v++)
			n = n * 10 + (unsigned long)(*v - '0');
	}
	req->rcpt_count = (unsigned)n + 1;
	req->macros = r->attr;
	req->nmacros = r->nattr;
}

const char *
mxg_policy_strerror(int err)
{
	switch (err) {
	case MXG_POLICY_ETOOLONG:
		return "request too long";
	case MXG_POLICY_ENOMEM:
		return "out of memory";
	case MXG_POLICY_ESYNTAX:
		return "malformed request: a line is not name=value";
	case MXG_POLICY_ECTRL:
		return "malformed request: control character";
	case MXG_POLICY_ETOOMANY:
		return "malformed request: too many attributes";
	case MXG_POLICY_EDUP:
		return "malformed request: attribute given twice";
	case MXG_POLICY_EREQUEST:
		return "malformed request: not request=smtpd_access_policy";
	default:
		return "unknown error";
	}
}
