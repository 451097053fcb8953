/*
 * mxg_header.c: the X-Greylist header, worded as milter-greylist words it,
 * for the shims that can add headers (milter, policy server).
 */
#include <stdio.h>
#include <time.h>

#include "mxg_export.h"
#include "mxgrey.h"

/* mxg_xgreylist: see mxgrey.h. */
MXG_EXPORT size_t
mxg_xgreylist(enum mxg_reason reason, const char *host, const char *ip,
    time_t now, char *buf, size_t size)
{
	char date[64];
	const char *what;
	struct tm tm;
	int n;

	if (size == 0)
		return 0;
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
	if (n < 0) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)n < size ? (size_t)n : size - 1;
}
