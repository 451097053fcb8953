/*
 * mxg_ip.h: client addresses, v4 and v6, parsed once per request.
 */
#ifndef MXG_IP_H
#define MXG_IP_H

#include <stddef.h>

#define MXG_IP_STRLEN 48 /* enough for any v6 text form + NUL */

/* family is 4 or 6; v4 lives in a[0..3]; v4-mapped v6 is stored as v4. */
struct mxg_ip {
	int family;
	unsigned char a[16];
};

/*
 * mxg_ip_parse: parse "192.0.2.1", "2001:db8::1", "[2001:db8::1]",
 * "IPv6:2001:db8::1", "::ffff:192.0.2.1" (stored as v4) and "fe80::1%eth0"
 * (scope dropped). Returns 0, or -1 for anything else (ip untouched).
 * Reads at most the first MXG_IP_STRLEN * 2 bytes of s.
 */
int mxg_ip_parse(const char *s, struct mxg_ip *ip);

/* mxg_ip_mask: copy in to out keeping the first prefix bits. */
void mxg_ip_mask(const struct mxg_ip *in, int prefix, struct mxg_ip *out);

/* mxg_ip_format: canonical text form into buf (MXG_IP_STRLEN bytes). */
void mxg_ip_format(const struct mxg_ip *ip, char *buf, size_t size);

/* mxg_ip_len: 4 or 16, the address bytes that count. */
size_t mxg_ip_len(const struct mxg_ip *ip);

#endif
