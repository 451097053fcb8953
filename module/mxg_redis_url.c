/*
 * mxg_redis_url.c: parse the redis store URL (see mxg_redis.h and
 * docs/redis.md). Pure string work on bounded buffers; no allocation.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "mxg_redis.h"

#define URL_MAX 1024

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* %-decode s[0..n) into out (size bytes); -1 on a bad escape or overflow. */
static int
pct_decode(const char *s, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int h, l;

			if (i + 2 >= n)
				return -1;
			h = hexval((unsigned char)s[i + 1]);
			l = hexval((unsigned char)s[i + 2]);
			if (h < 0 || l < 0)
				return -1;
			c = h * 16 + l;
			i += 2;
		}
		if (c == '\0' || o + 1 >= size)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* A decimal in [min, max] from s[0..n); -1 if not. */
static long
number(const char *s, size_t n, long min, long max)
{
	long v = 0;

	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v < min || v > max ? -1 : v;
}

/* "200ms", "2s", "200" (ms): 1 ms .. 60 s. */
static long
duration_ms(const char *s, size_t n)
{
	long mult = 1, v;

	if (n > 2 && memcmp(s + n - 2, "ms", 2) == 0)
		n -= 2;
	else if (n > 1 && s[n - 1] == 's') {
		n--;
		mult = 1000;
	}
	if ((v = number(s, n, 1, 60000)) < 0 || v * mult > 60000)
		return -1;
	return v * mult;
}

static int
option(
    struct mxg_redis_url *u, const char *s, size_t n, char *err, size_t errsize)
{
	const char *eq = memchr(s, '=', n);
	size_t kl, vl;
	const char *v;

	if (eq == NULL) {
		snprintf(err, errsize, "option without '=': %.*s", (int)n, s);
		return -1;
	}
	kl = (size_t)(eq - s);
	v = eq + 1;
	vl = n - kl - 1;
	if (kl == 6 && memcmp(s, "prefix", 6) == 0) {
		if (pct_decode(v, vl, u->prefix, sizeof(u->prefix)) != 0) {
			snprintf(err, errsize, "bad or too long prefix");
			return -1;
		}
		u->prefixlen = strlen(u->prefix);
	} else if (kl == 7 && memcmp(s, "timeout", 7) == 0) {
		if ((u->timeout_ms = duration_ms(v, vl)) < 0) {
			snprintf(err, errsize,
			    "bad timeout %.*s (1ms..60s, e.g. 200ms or 2s)",
			    (int)vl, v);
			return -1;
		}
	} else if (kl == 2 && memcmp(s, "db", 2) == 0) {
		if ((u->db = (int)number(v, vl, 0, INT_MAX)) < 0) {
			snprintf(err, errsize, "bad db %.*s", (int)vl, v);
			return -1;
		}
	} else {
		snprintf(err, errsize, "unknown option %.*s", (int)kl, s);
		return -1;
	}
	return 0;
}

/* userinfo: [user]:password, or user alone (rejected: ambiguous). */
static int
userinfo(
    struct mxg_redis_url *u, const char *s, size_t n, char *err, size_t errsize)
{
	const char *colon = memchr(s, ':', n);

	if (colon == NULL) {
		snprintf(err, errsize,
		    "credentials need a ':' (redis://:password@host)");
		return -1;
	}
	if (pct_decode(s, (size_t)(colon - s), u->user, sizeof(u->user)) != 0 ||
	    pct_decode(colon + 1, n - (size_t)(colon - s) - 1, u->pass,
	        sizeof(u->pass)) != 0) {
		snprintf(err, errsize, "bad or too long user or password");
		return -1;
	}
	u->has_pass = 1;
	return 0;
}

/* host[:port][/db] or [v6][:port][/db]; s[0..n). */
static int
hostport(
    struct mxg_redis_url *u, const char *s, size_t n, char *err, size_t errsize)
{
	const char *end = s + n, *h = s, *he, *p;
	const char *slash = memchr(s, '/', n);

	if (slash != NULL) {
		if ((u->db = (int)number(slash + 1, (size_t)(end - slash - 1),
		         0, INT_MAX)) < 0) {
			snprintf(err, errsize, "bad db number after '/'");
			return -1;
		}
		end = slash;
	}
	if (*h == '[') {
		h++;
		if ((he = memchr(h, ']', (size_t)(end - h))) == NULL) {
			snprintf(err, errsize, "unterminated [address]");
			return -1;
		}
		p = he + 1;
		if (p < end && *p != ':') {
			snprintf(err, errsize, "junk after [address]");
			return -1;
		}
	} else {
		he = memchr(h, ':', (size_t)(end - h));
		if (he == NULL)
			he = end;
		p = he;
	}
	if (he == h || (size_t)(he - h) >= sizeof(u->host)) {
		snprintf(err, errsize, "missing or too long host");
		return -1;
	}
	memcpy(u->host, h, (size_t)(he - h));
	u->host[he - h] = '\0';
	if (p < end) { /* *p == ':' */
		if ((u->port = (int)number(
		         p + 1, (size_t)(end - p - 1), 1, 65535)) < 0) {
			snprintf(err, errsize, "bad port");
			return -1;
		}
	}
	return 0;
}

/* mxg_redis_url_parse: see mxg_redis.h. */
int
mxg_redis_url_parse(
    struct mxg_redis_url *u, const char *url, char *err, size_t errsize)
{
	const char *s, *q, *at, *end, *o;
	size_t n;

	memset(u, 0, sizeof(*u));
	u->port = MXG_REDIS_PORT;
	u->timeout_ms = MXG_REDIS_TIMEOUT;
	strcpy(u->prefix, MXG_REDIS_PREFIX);
	u->prefixlen = strlen(u->prefix);
	if (url == NULL || strncmp(url, "redis://", 8) != 0) {
		snprintf(err, errsize, "not a redis:// URL");
		return -1;
	}
	if ((n = strnlen(url, URL_MAX + 1)) > URL_MAX) {
		snprintf(err, errsize, "URL too long");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f) {
			snprintf(
			    err, errsize, "space or control character in URL");
			return -1;
		}
	s = url + 8;
	end = url + n;
	if ((q = memchr(s, '?', (size_t)(end - s))) == NULL)
		q = end;
	/* the last '@' before the path: a password may hold '@' unencoded */
	at = NULL;
	for (const char *p = s; p < q; p++) {
		if (*p == '@')
			at = p;
	}
	if (at != NULL) {
		if (userinfo(u, s, (size_t)(at - s), err, errsize) != 0)
			return -1;
		s = at + 1;
	}
	if (s < q && *s == '/') {
		if ((size_t)(q - s) >= sizeof(u->path)) {
			snprintf(err, errsize, "socket path too long");
			return -1;
		}
		memcpy(u->path, s, (size_t)(q - s));
		u->path[q - s] = '\0';
	} else if (hostport(u, s, (size_t)(q - s), err, errsize) != 0)
		return -1;
	for (o = q; o < end;) {
		const char *amp;

		o++; /* '?' or '&' */
		if ((amp = memchr(o, '&', (size_t)(end - o))) == NULL)
			amp = end;
		if (amp > o && option(u, o, (size_t)(amp - o), err, errsize))
			return -1;
		o = amp;
	}
	return 0;
}
