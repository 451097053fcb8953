/*
 * fuzz_smtpd_line.c: libFuzzer target for the OpenSMTPD filter's line
 * parser and protocol state machine (shim/opensmtpd/smtpd_proto.c,
 * smtpd_session.c, smtpd_filter.c). The input is cut at newlines; each
 * line goes through smtpd_proto_parse() and its field parsers on its own,
 * then through a filter that has done its handshake, whose decider
 * answers by the recipient's first byte (and, when the first input byte
 * is odd, collects messages for a data decider). The filter must write only
 * whole lines, each answering a request it was given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../shim/opensmtpd/smtpd_filter.h"
#include "../../shim/opensmtpd/smtpd_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(void *ctx, struct smtpd_query *q)
{
	struct mxg_verdict v;

	(void)ctx;
	memset(&v, 0, sizeof(v));
	v.action = (enum mxg_action)((unsigned char)q->req.rcpt[0] % 4);
	v.code = (int)(unsigned char)q->req.rcpt[0] * 3;
	memcpy(v.ecode, "4.7.1", 6);
	if (q->req.sender != NULL)
		strncpy(v.text, q->req.sender, sizeof(v.text) - 1);
	smtpd_filter_done(q, MXG_OK, &v);
}

static void
check_data(void *ctx, struct smtpd_query *q)
{
	struct mxg_verdict v;
	size_t i, n = 0;

	(void)ctx;
	if (strlen(q->msg.body) != q->msg.body_len ||
	    strlen(q->msg.headers) > SMTPD_HDR_MAX ||
	    q->msg.body_len > SMTPD_BODY_MAX)
		abort();
	for (i = 0; i < q->msg.nrcpts; i++)
		n += strlen(q->msg.rcpts[i]);
	memset(&v, 0, sizeof(v));
	v.action = (enum mxg_action)((n + q->msg.size) % 4);
	v.code = (int)(q->msg.size % 700);
	smtpd_filter_done(q, MXG_OK, &v);
}

static void
out(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	if (len == 0 || line[len - 1] != '\n' ||
	    memchr(line, '\n', len - 1) != NULL)
		abort();
	if (strncmp(line, "filter-dataline|", 16) == 0)
		return;
	if (len >= SMTPD_RESULT_MAX)
		abort();
	if (strncmp(line, "register|", 9) != 0 &&
	    strncmp(line, "filter-result|", 14) != 0)
		abort();
}

/* Every field parser on its own copy of the line. */
static void
fields(const char *line, size_t len)
{
	struct smtpd_msg m;
	struct smtpd_connect c;
	const char *why, *a, *b, *d;
	char *copy = malloc(len + 1), *p;
	char addr[SMTPD_ADDR_MAX];
	char rcpt[64];

	if (copy == NULL)
		return;
	memcpy(copy, line, len);
	copy[len] = '\0';
	if (smtpd_proto_parse(copy, len, &m, &why) == 0 &&
	    m.kind != SMTPD_MSG_CONFIG) {
		p = copy + (m.params - copy);
		if (strcmp(m.event, "link-connect") == 0) {
			if (smtpd_proto_link_connect(p, &c) == 0)
				(void)smtpd_proto_src_addr(
				    c.src, addr, sizeof(addr));
		} else if (strcmp(m.event, "link-auth") == 0)
			(void)smtpd_proto_link_auth(&m, p, &a, &b);
		else if (strcmp(m.event, "link-identify") == 0)
			(void)smtpd_proto_link_identify(p, &a, &b);
		else if (strncmp(m.event, "tx-", 3) == 0)
			(void)smtpd_proto_tx_addr(&m, p, &a, &b, &d);
		else
			(void)smtpd_proto_rcpt_addr(p, rcpt, sizeof(rcpt));
	}
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char shake[] = "config|ready";
	struct smtpd_ops ops;
	struct smtpd_filter *f;
	const char *p = (const char *)data, *end = p + size, *nl;
	char *line;

	memset(&ops, 0, sizeof(ops));
	ops.check = check;
	ops.check_data = check_data;
	ops.write = out;
	if ((f = smtpd_filter_new(&ops)) == NULL)
		return 0;
	/* the first byte's low bit: collect messages (dacl rules) or not */
	smtpd_filter_want_data(f, size > 0 && (data[0] & 1));
	if ((line = malloc(sizeof(shake))) == NULL)
		goto done;
	memcpy(line, shake, sizeof(shake));
	smtpd_filter_line(f, line, sizeof(shake) - 1);
	free(line);
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		fields(p, (size_t)(nl - p));
		if ((line = malloc((size_t)(nl - p) + 1)) == NULL)
			break;
		memcpy(line, p, (size_t)(nl - p));
		smtpd_filter_line(f, line, (size_t)(nl - p));
		free(line);
	}
	if (smtpd_filter_pending(f) != 0)
		abort();
done:
	smtpd_filter_free(f);
	return 0;
}
