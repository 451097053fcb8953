/*
 * milter_text.c: the texts mxgrey-milter hands libmilter.
 */
#include <stdio.h>
#include <string.h>

#include "milter.h"

size_t
mxg_milter_reply_text(const char *text, char *buf, size_t size)
{
	size_t i = 0;

	if (size == 0)
		return 0;
	for (; *text != '\0' && i + 1 < size; text++) {
		unsigned char c = (unsigned char)*text;

		if (c == '%') {
			if (i + 2 >= size)
				break;
			buf[i++] = '%';
		}
		buf[i++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	buf[i] = '\0';
	return i;
}
