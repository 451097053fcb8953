/*
 * milter_text.c: the texts mxgrey-milter hands libmilter.
 */
#include <stdio.h>
#include <string.h>

#include "milter.h"

size_t
mxg_milter_header(enum mxg_reason reason, const char *host, const char *ip,
    time_t now, char *buf, size_t size)
{
	char date[64];
	const char *what;
	struct tm tm;
	int n;

	switch (reason) {
	case MXG_R_PASSED:
		what = "Delayed";
		break;
	case MXG_R_AUTOWHITE:
		what = "IP, sender and recipient auto-whitelisted, not delayed";
		break;
	default:
		what = "Sender IP whitelisted, not delayed";
		break;
	}
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		date[0] = '\0';
	n = snprintf(buf, size, "%s by mxgrey-%s (%s [%s]); %s", what,
	    PACKAGE_VERSION, host ? host : "localhost", ip ? ip : "unknown",
	    date);
	if (n < 0)
		n = 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

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
