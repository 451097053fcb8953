/*
 * mxg_rules_re.c: refuse regular expressions that would make regcomp(3)
 * blow up in time or memory inside the host MTA: stacked repetitions
 * ("a+++", "x*{9}"), large or multiplying bounds ("(a{200}){200}"), and
 * very long expressions. Such patterns are meaningless or undefined in
 * POSIX anyway.
 */
#include <stddef.h>
#include <string.h>

#include "mxg_rules_int.h"

#define RE_MAXLEN   1024
#define RE_MAXBOUND 255
#define RE_MAXPROD  1000

/* a bound "{n}", "{n,}", "{n,m}" at s (after the brace); its largest
 * number into *max and its length up to and including the closing brace
 * (the backslash of "\}" included), or 0 if it is not a bound */
static size_t
bound(const char *s, int bre, unsigned long *max)
{
	const char *p = s;
	unsigned long n, m = 0;
	int digits;

	for (;;) {
		n = 0;
		digits = 0;
		while (*p >= '0' && *p <= '9') {
			if (n < 100000)
				n = n * 10 + (unsigned long)(*p - '0');
			p++;
			digits++;
		}
		if (digits > 0 && n > m)
			m = n;
		if (*p == ',' && p != s) {
			p++;
			continue;
		}
		break;
	}
	if (bre && p[0] == '\\' && p[1] == '}')
		p += 2;
	else if (!bre && *p == '}')
		p++;
	else
		return 0;
	*max = m;
	return (size_t)(p - s);
}

/*
 * mxg_rules_re_check: NULL when re may be compiled, else a static text
 * saying why not. extended: ERE syntax, else BRE (with GNU \+ \?).
 */
const char *
mxg_rules_re_check(const char *re, int extended)
{
	unsigned long prod = 1, max;
	const char *p;
	int prevq = 0, q;
	size_t n;

	if (strlen(re) > RE_MAXLEN)
		return "regular expression too long (at most 1024 bytes)";
	for (p = re; *p != '\0';) {
		q = 0;
		if (*p == '[') {
			/* bracket expression: skip it whole */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']') {
				if (*p == '[' &&
				    (p[1] == ':' || p[1] == '.' ||
				        p[1] == '=')) {
					char end = p[1];

					p += 2;
					while (*p != '\0' &&
					    !(p[0] == end && p[1] == ']'))
						p++;
					if (*p != '\0')
						p += 2;
					continue;
				}
				p++;
			}
			if (*p == ']')
				p++;
			prevq = 0;
			continue;
		}
		if (*p == '\\' && p[1] != '\0') {
			if (!extended && (p[1] == '+' || p[1] == '?')) {
				q = 1;
				p += 2;
			} else if (!extended && p[1] == '{' &&
			    (n = bound(p + 2, 1, &max)) > 0) {
				q = 2;
				p += 2 + n;
			} else {
				p += 2;
			}
		} else if (*p == '*' ||
		    (extended && (*p == '+' || *p == '?'))) {
			q = 1;
			p++;
		} else if (extended && *p == '{' &&
		    (n = bound(p + 1, 0, &max)) > 0) {
			q = 2;
			p += 1 + n;
		} else {
			p++;
		}
		if (q && prevq)
			return "stacked repetition operators in regular "
			       "expression";
		if (q == 2) {
			if (max > RE_MAXBOUND)
				return "repetition bound too large in regular "
				       "expression (at most 255)";
			if (max > 1)
				prod *= max;
			if (prod > RE_MAXPROD)
				return "repetition bounds multiply beyond 1000 "
				       "in regular expression";
		}
		prevq = q != 0;
	}
	return NULL;
}
