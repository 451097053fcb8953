/*
 * fuzz_import.c: libFuzzer target for the milter-greylist dump line
 * parser (module/mxg_import.c). The input is split into lines as
 * mxg_import_dump() reads them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mxg_grey.h"
#include "mxg_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mxg_import_params p = { 24, 64, 432000,
		1700000000 };
	const char *s = (const char *)data, *nl;
	struct mxg_store_entry en;
	size_t n;
	int r;

	while (size > 0) {
		nl = memchr(s, '\n', size);
		n = nl ? (size_t)(nl - s) + 1 : size;
		r = mxg_import_line(s, n, &p, &en);
		if (r < -1 || r > 1)
			abort();
		if (r == 1 &&
		    (en.rec.expire <= (int64_t)p.now ||
		        (en.rec.state != MXG_REC_PENDING &&
		            en.rec.state != MXG_REC_AUTOWHITE) ||
		        strlen(en.tuple.sender) > MXG_ADDR_MAX ||
		        strlen(en.tuple.rcpt) > MXG_ADDR_MAX))
			abort();
		s += n;
		size -= n;
	}
	return 0;
}
