/*
 * mxg_ip.c: parse, mask and format client addresses (v4 and v6).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>
#include <strings.h>

#include "mxg_ip.h"

static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
	0xff };

/*
 * mxg_ip_parse: see mxg_ip.h. Accepts the forms MTAs hand us; the input is
 * copied into a bounded buffer first so an unterminated or huge string is
 * never scanned past MXG_IP_STRLEN * 2 bytes.
 */
int
mxg_ip_parse(const char *s, struct mxg_ip *ip)
{
	char buf[MXG_IP_STRLEN * 2 + 1];
	unsigned char a6[16];
	struct in_addr a4;
	char *p, *e;
	size_t n;

	if (s == NULL || ip == NULL)
		return -1;
	n = strnlen(s, sizeof(buf));
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	p = buf;
	if (*p == '[') {
		e = strchr(p, ']');
		if (e == NULL || e[1] != '\0')
			return -1;
		*e = '\0';
		p++;
	}
	if (strncasecmp(p, "IPv6:", 5) == 0)
		p += 5;
	if ((e = strchr(p, '%')) != NULL) {
		if (strchr(p, ':') == NULL || e[1] == '\0')
			return -1;
		*e = '\0';
	}
	if (*p == '\0')
		return -1;
	if (strchr(p, ':') == NULL) {
		if (inet_pton(AF_INET, p, &a4) != 1)
			return -1;
		memset(ip, 0, sizeof(*ip));
		ip->family = 4;
		memcpy(ip->a, &a4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, p, a6) != 1)
		return -1;
	memset(ip, 0, sizeof(*ip));
	if (memcmp(a6, v4mapped, sizeof(v4mapped)) == 0) {
		ip->family = 4;
		memcpy(ip->a, a6 + 12, 4);
	} else {
		ip->family = 6;
		memcpy(ip->a, a6, 16);
	}
	return 0;
}

/* mxg_ip_len: see mxg_ip.h. */
size_t
mxg_ip_len(const struct mxg_ip *ip)
{
	return ip->family == 6 ? 16 : 4;
}

/*
 * mxg_ip_mask: see mxg_ip.h. prefix is clamped to [0, 32] or [0, 128];
 * bytes past the address length are zeroed. in and out may alias.
 */
void
mxg_ip_mask(const struct mxg_ip *in, int prefix, struct mxg_ip *out)
{
	size_t len, i;
	int bits;

	len = mxg_ip_len(in);
	bits = (int)len * 8;
	if (prefix < 0)
		prefix = 0;
	if (prefix > bits)
		prefix = bits;
	if (out != in)
		*out = *in;
	for (i = 0; i < sizeof(out->a); i++) {
		int keep = prefix - (int)i * 8;

		if (i >= len || keep <= 0)
			out->a[i] = 0;
		else if (keep < 8)
			out->a[i] &= (unsigned char)(0xff << (8 - keep));
	}
}

/*
 * mxg_ip_format: see mxg_ip.h. Writes "" when the family is unknown or
 * size is too small for inet_ntop; always NUL-terminates when size > 0.
 */
void
mxg_ip_format(const struct mxg_ip *ip, char *buf, size_t size)
{
	char tmp[MXG_IP_STRLEN];
	const char *r;
	size_t n;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (ip->family == 4) {
		/* by hand: inet_ntop costs more than a whole rules pass */
		char *p = tmp;
		int i;

		for (i = 0; i < 4; i++) {
			unsigned v = ip->a[i];

			if (i > 0)
				*p++ = '.';
			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
		}
		*p = '\0';
		r = tmp;
	} else if (ip->family == 6)
		r = inet_ntop(AF_INET6, ip->a, tmp, sizeof(tmp));
	else
		r = NULL;
	if (r == NULL)
		return;
	n = strlen(r);
	if (n >= size)
		n = size - 1;
	memcpy(buf, r, n);
	buf[n] = '\0';
}
