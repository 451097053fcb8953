/*
 * fuzz_store_record: the store record decoders (the tdb store's packed
 * form and the 32-byte form of the redis store) and the store key parser
 * on arbitrary bytes (what a damaged, alien or hostile store file may
 * hold). Whatever decodes must encode back to the same bytes, and a key
 * that parses must build back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mxg_grey.h"
#include "mxg_tuple.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mxg_record rec, out;
	struct mxg_grey_params p = { 60, 3600, 86400, 0, 0 };
	struct mxg_grey_result r;
	struct mxg_tuple t;
	unsigned char buf[MXG_RECORD_SIZE], key[MXG_KEY_MAX];
	int kind;

	if (mxg_record_decode(data, size, &rec) == 0) {
		mxg_record_encode(&rec, buf);
		if (memcmp(buf + 4, data + 4, MXG_RECORD_SIZE - 4) != 0 ||
		    buf[0] != data[0] || buf[1] != data[1])
			abort();
		/* any decoded record steps without trouble, at any time a
		   clock can say (1970 .. 2100) */
		static const int64_t clocks[] = { 0, 1700000000, 4102444800 };

		for (size_t i = 0; i < 3; i++) {
			(void)mxg_grey_step(&rec, &p, clocks[i], &out, &r);
			(void)mxg_grey_white_check(
			    &rec, &p, clocks[i], &out, &r);
			(void)mxg_grey_white_make(&rec, &p, clocks[i], &out);
		}
	}
	if (mxg_record_unpack(data, size, &rec) == 0) {
		unsigned char packed[MXG_RECORD_PACKED];

		mxg_record_pack(&rec, packed);
		if (memcmp(packed, data, MXG_RECORD_PACKED) != 0)
			abort();
		(void)mxg_grey_step(&rec, &p, 1700000000, &out, &r);
	}
	if ((kind = mxg_tuple_from_key(data, size, &t)) >= 0) {
		size_t n = mxg_tuple_key(&t, kind, key);

		if (n != size || memcmp(key, data, n) != 0)
			abort();
	}
	return 0;
}
