/*
 * fuzz_policy_attr.c: libFuzzer target for the Postfix policy request
 * reader and parser (shim/postfix/policy_attr.c) and the answer writer.
 * The first byte picks the chunk size the stream is fed in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../shim/postfix/policy_answer.h"
#include "../../shim/postfix/policy_attr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
take(struct mxg_policy_reader *rd)
{
	struct mxg_policy_req r;
	struct mxg_request req;
	struct mxg_verdict v;
	struct mxg_policy_opts o = { MXG_POLICY_STYLE_CODE, MXG_POLICY_HDR_ALL,
		"fuzz" };
	char out[MXG_POLICY_ANSWER_MAX];
	size_t n;

	if (rd->len > MXG_POLICY_REQ_MAX || rd->buf[rd->len] != '\0')
		abort();
	if (mxg_policy_parse(&r, rd->buf, rd->len) != 0)
		return;
	(void)mxg_policy_is_rcpt(&r);
	mxg_policy_request(&r, &req);
	memset(&v, 0, sizeof(v));
	v.action = (enum mxg_action)(r.nattr % 4);
	v.reason = MXG_R_PASSED;
	v.code = 451;
	if (req.helo != NULL) {
		strncpy(v.ecode, req.helo, sizeof(v.ecode) - 1);
		strncpy(v.text, req.helo, sizeof(v.text) - 1);
	}
	n = mxg_policy_answer(
	    &o, &v, mxg_policy_get(&r, "server_address"), 0, out, sizeof(out));
	/* exactly one answer: one "\n\n", at the end */
	if (n < 2 || strcmp(out + n - 2, "\n\n") != 0 ||
	    strchr(out, '\n') != out + n - 2)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mxg_policy_reader rd;
	const char *p;
	size_t step, used, n;
	int rc;

	if (size == 0)
		return 0;
	step = (size_t)data[0] * 7 + 1;
	p = (const char *)data + 1;
	size--;
	mxg_policy_reader_init(&rd);
	while (size > 0) {
		n = size < step ? size : step;
		rc = mxg_policy_reader_feed(&rd, p, n, &used);
		if (used > n || (rc == MXG_POLICY_MORE && used != n))
			abort();
		if (rc == MXG_POLICY_READY)
			take(&rd);
		p += used;
		size -= used;
	}
	mxg_policy_reader_free(&rd);
	return 0;
}
