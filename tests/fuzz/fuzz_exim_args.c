/*
 * fuzz_exim_args: the Exim shim's ${dlfunc} argument parser and its
 * result-string formatter on arbitrary input. The input is split at
 * newlines into the argv Exim would pass (up to 12 arguments, as a
 * miscounting Exim may claim); whatever parses must yield a request whose
 * strings point into argv, and every result string must be one line with
 * a verb matching its code class.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../shim/exim/mxg_exim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXARGS 12

static void
check_result(const char *buf)
{
	if (strchr(buf, '\n') != NULL || strchr(buf, '\r') != NULL)
		abort();
	if (strncmp(buf, "defer 4", 7) != 0 &&
	    strncmp(buf, "reject 5", 8) != 0 && strncmp(buf, "accept", 6) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAXARGS], *p;
	char err[256], out[MXG_EXIM_RESULT_MAX];
	struct mxg_exim_args a;
	struct mxg_verdict v;
	int argc = 0;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (p = copy; argc < MAXARGS;) {
		argv[argc++] = p;
		if ((p = strchr(p, '\n')) == NULL)
			break;
		*p++ = '\0';
	}
	if (mxg_exim_args_parse(&a, argc, argv, err, sizeof(err)) == MXG_OK) {
		if (a.req.client_addr == NULL || a.req.rcpt == NULL ||
		    a.req.client_addr[0] == '\0' || a.req.rcpt[0] == '\0')
			abort();
	} else {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		mxg_exim_result_error(err, out, sizeof(out));
		check_result(out);
	}
	/* the formatter on a verdict made of the same bytes */
	memset(&v, 0, sizeof(v)); /* header, report: "" */
	v.action = (enum mxg_action)(size % 4);
	v.reason = (enum mxg_reason)(size % 8);
	v.code = size > 0 ? (int)data[0] * 4 : 0;
	memcpy(v.ecode, copy,
	    size < sizeof(v.ecode) - 1 ? size : sizeof(v.ecode) - 1);
	memcpy(v.text, data,
	    size < sizeof(v.text) - 1 ? size : sizeof(v.text) - 1);
	mxg_exim_result_format(&v, out, sizeof(out));
	check_result(out);
	mxg_exim_result_format(&v, out, 8);
	/* an accept with header and report values made of the bytes too */
	v.action = MXG_ACCEPT;
	v.xgreylist = 1;
	memcpy(v.header, data,
	    size < sizeof(v.header) - 1 ? size : sizeof(v.header) - 1);
	memcpy(v.report, copy,
	    size < sizeof(v.report) - 1 ? size : sizeof(v.report) - 1);
	mxg_exim_result_format(&v, out, sizeof(out));
	mxg_exim_result_xgreylist(&v, "mx", "::1", 0, out, sizeof(out));
	check_result(out);
	mxg_exim_result_format(&v, out, 40);
	mxg_exim_result_xgreylist(&v, "mx", "::1", 0, out, 40);
	check_result(out);
	free(copy);
	return 0;
}
