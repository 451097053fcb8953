/*
 * mxg_header.c: the X-Greylist header, worded as milter-greylist words it
 * ("Delayed for HH:MM:SS by ...", "..., not delayed by ..."), for the
 * shims that can add headers (milter, policy server, Exim).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mxg_export.h"
#include "mxgrey.h"

/* The value for reason; delayed < 0: the delay is not known. */
static size_t
xgreylist(enum mxg_reason reason, long delayed, const char *host,
    const char *ip, time_t now, char *buf, size_t size)
{
	char date[64], what[96];
	struct tm tm;
	int n;

	if (size == 0)
		return 0;
	switch (reason) {
	case MXG_R_PASSED:
		if (delayed < 0)
			snprintf(what, sizeof(what), "Delayed");
		else
			snprintf(what, sizeof(what),
			    "Delayed for %02ld:%02ld:%02ld", delayed / 3600,
			    delayed / 60 % 60, delayed % 60);
		break;
	case MXG_R_AUTOWHITE:
		snprintf(what, sizeof(what),
		    "IP, sender and recipient auto-whitelisted, not delayed");
		break;
	default:
		snprintf(
		    what, sizeof(what), "Sender IP whitelisted, not delayed");
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

/* mxg_xgreylist: see mxgrey.h. */
MXG_EXPORT size_t
mxg_xgreylist(enum mxg_reason reason, const char *host, const char *ip,
    time_t now, char *buf, size_t size)
{
	return xgreylist(reason, -1, host, ip, now, buf, size);
}

/* mxg_xgreylist_verdict: see mxgrey.h. */
MXG_EXPORT size_t
mxg_xgreylist_verdict(const struct mxg_verdict *v, const char *host,
    const char *ip, time_t now, char *buf, size_t size)
{
	size_t n;

	if (size == 0)
		return 0;
	if (v->report[0] != '\0') {
		n = strnlen(v->report, sizeof(v->report) - 1);
		if (n >= size)
			n = size - 1;
		memcpy(buf, v->report, n);
		buf[n] = '\0';
		return n;
	}
	return xgreylist(v->reason, v->delayed < 0 ? 0 : v->delayed, host, ip,
	    now, buf, size);
}
