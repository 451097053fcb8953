/*
 * mxg_rules_value.c: scalar values of the rules language: durations,
 * numbers, addresses with prefixes, crontab fields. Pure functions.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxgrey.h"
#include "mxg_rules_int.h"

/* "90", "10m", "1h30m", "2d", "1w": seconds; -1 if malformed */
/* mxg_rules_duration: see mxg_rules_int.h. */
long
mxg_rules_duration(const char *s)
{
	long total = 0, n, mult;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return -1;
		n = 0;
		while (*s >= '0' && *s <= '9') {
			if (n > (LONG_MAX - 9) / 10)
				return -1;
			n = n * 10 + (*s++ - '0');
		}
		switch (*s) {
		case '\0':
			mult = 1;
			break;
		case 's':
			mult = 1;
			s++;
			break;
		case 'm':
			mult = 60;
			s++;
			break;
		case 'h':
			mult = 3600;
			s++;
			break;
		case 'd':
			mult = 86400;
			s++;
			break;
		case 'w':
			mult = 7 * 86400;
			s++;
			break;
		default:
			return -1;
		}
		if (n > LONG_MAX / mult || total > LONG_MAX - n * mult)
			return -1;
		total += n * mult;
	}
	return total;
}

/* mxg_rules_number: see mxg_rules_int.h. */
int
mxg_rules_number(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long n = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (n > (max - (unsigned long)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (unsigned long)(*s - '0');
	}
	*out = n;
	return 0;
}

/* "a.b.c.d", "a.b.c.d/n", "a.b.c.d/m.m.m.m", "v6", "v6/n" */
/* mxg_rules_ipprefix: see mxg_rules_int.h. */
int
mxg_rules_ipprefix(const char *s, struct mxg_ip *ip, int *prefix)
{
	char buf[MXG_IP_STRLEN * 2];
	const char *slash;
	struct mxg_ip mask;
	unsigned long n;
	size_t len, i;
	int bits, b;

	slash = strchr(s, '/');
	len = slash ? (size_t)(slash - s) : strlen(s);
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (mxg_ip_parse(buf, ip) != 0)
		return -1;
	bits = ip->family == 6 ? 128 : 32;
	if (slash == NULL) {
		*prefix = bits;
		return 0;
	}
	if (mxg_rules_number(slash + 1, 128, &n) == 0) {
		if ((int)n > bits) {
			/* a v4-mapped v6 prefix */
			if (ip->family == 4 && strchr(buf, ':') != NULL &&
			    n >= 96 && n <= 128)
				n -= 96;
			else
				return -1;
		}
		*prefix = (int)n;
		return 0;
	}
	if (ip->family != 4 || mxg_ip_parse(slash + 1, &mask) != 0 ||
	    mask.family != 4)
		return -1;
	for (bits = 0, i = 0; i < 4; i++)
		for (b = 7; b >= 0; b--) {
			if (!((mask.a[i] >> b) & 1))
				goto done;
			bits++;
		}
done:
	for (n = (unsigned long)bits; n < 32; n++)
		if ((mask.a[n / 8] >> (7 - n % 8)) & 1)
			return -1; /* not contiguous */
	*prefix = bits;
	return 0;
}

/* crontab field: * | N | N-M | */ /* S | lists */
/* mxg_rules_timefield: see mxg_rules_int.h. */
int
mxg_rules_timefield(const char *s, int lo, int hi, unsigned long long *bits)
{
	unsigned long a, b, step;
	char buf[64];
	char *tok, *save, *slash, *dash;
	int v;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	*bits = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		step = 1;
		if ((slash = strchr(tok, '/')) != NULL) {
			*slash = '\0';
			if (mxg_rules_number(slash + 1, 60, &step) != 0 ||
			    step == 0)
				return -1;
		}
		if (strcmp(tok, "*") == 0) {
			a = (unsigned long)lo;
			b = (unsigned long)hi;
		} else if ((dash = strchr(tok, '-')) != NULL) {
			*dash = '\0';
			if (mxg_rules_number(tok, 60, &a) != 0 ||
			    mxg_rules_number(dash + 1, 60, &b) != 0)
				return -1;
		} else {
			if (mxg_rules_number(tok, 60, &a) != 0)
				return -1;
			b = slash ? (unsigned long)hi : a;
		}
		if ((int)a < lo || (int)b > hi || a > b)
			return -1;
		for (v = (int)a; v <= (int)b; v += (int)step)
			*bits |= 1ULL << v;
	}
	return *bits ? 0 : -1;
}
