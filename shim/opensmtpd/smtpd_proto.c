/*
 * smtpd_proto.c: parse and write smtpd-filters protocol lines. Untrusted
 * bytes in, bounded work: every field is checked before it is used.
 */
#include <stdio.h>
#include <string.h>

#include "smtpd_proto.h"

/* Cut the next '|'-terminated field off *sp; NULL if there is no '|'. */
static char *
field(char **sp)
{
	char *s = *sp, *bar;

	if (s == NULL || (bar = strchr(s, '|')) == NULL)
		return NULL;
	*bar = '\0';
	*sp = bar + 1;
	return s;
}

/* Decimal digits only, at most maxdigits of them, into *v. */
static int
decimal(const char *s, int maxdigits, long long *v)
{
	long long n = 0;
	int i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i == maxdigits)
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	if (i == 0)
		return -1;
	*v = n;
	return 0;
}

/* 1 to 16 hex digits into *v. */
static int
hex64(const char *s, uint64_t *v)
{
	uint64_t n = 0;
	int i, d;

	for (i = 0; s[i] != '\0'; i++) {
		if (i == 16)
			return -1;
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -1;
		n = n << 4 | (uint64_t)d;
	}
	if (i == 0)
		return -1;
	*v = n;
	return 0;
}

/* "M.m" */
static int
version(char *s, int *vmajor, int *vminor)
{
	char *dot = strchr(s, '.');
	long long a, b;

	if (dot == NULL)
		return -1;
	*dot = '\0';
	if (decimal(s, 4, &a) == -1 || decimal(dot + 1, 4, &b) == -1)
		return -1;
	*vmajor = (int)a;
	*vminor = (int)b;
	return 0;
}

/* "seconds.fraction", fraction of 1 to 9 digits scaled to microseconds */
static int
timestamp(char *s, long long *sec, long *usec)
{
	char *dot = strchr(s, '.');
	long long a, b;
	size_t n;

	if (dot == NULL)
		return -1;
	*dot = '\0';
	n = strlen(dot + 1);
	if (decimal(s, 18, &a) == -1 || decimal(dot + 1, 9, &b) == -1)
		return -1;
	for (; n < 6; n++)
		b *= 10;
	for (; n > 6; n--)
		b /= 10;
	*sec = a;
	*usec = (long)b;
	return 0;
}

/* The id after it: "session" or "session|rest"; *sp moves past it. */
static int
id_field(char **sp, uint64_t *v)
{
	char *s = *sp, *bar = strchr(s, '|');

	if (bar != NULL) {
		*bar = '\0';
		*sp = bar + 1;
	} else
		*sp = s + strlen(s);
	return hex64(s, v);
}

int
smtpd_proto_parse(char *line, size_t len, struct smtpd_msg *m, const char **why)
{
	char *s = line, *stream, *f;

	memset(m, 0, sizeof(*m));
	if (memchr(line, '\0', len) != NULL) {
		*why = "NUL byte in line";
		return -1;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	if ((stream = field(&s)) == NULL) {
		*why = "no '|' in line";
		return -1;
	}
	if (strcmp(stream, "config") == 0) {
		m->kind = SMTPD_MSG_CONFIG;
		if ((f = field(&s)) == NULL) {
			m->key = s;
			m->value = NULL;
		} else {
			m->key = f;
			m->value = s;
		}
		if (m->key[0] == '\0') {
			*why = "empty config key";
			return -1;
		}
		return 0;
	}
	if (strcmp(stream, "report") == 0)
		m->kind = SMTPD_MSG_REPORT;
	else if (strcmp(stream, "filter") == 0)
		m->kind = SMTPD_MSG_FILTER;
	else {
		*why = "unknown stream";
		return -1;
	}
	if ((f = field(&s)) == NULL || version(f, &m->vmajor, &m->vminor)) {
		*why = "bad protocol version";
		return -1;
	}
	if ((f = field(&s)) == NULL || timestamp(f, &m->sec, &m->usec)) {
		*why = "bad timestamp";
		return -1;
	}
	if ((f = field(&s)) == NULL || f[0] == '\0') {
		*why = "missing subsystem";
		return -1;
	}
	m->subsystem = f;
	if ((f = field(&s)) == NULL || f[0] == '\0') {
		*why = "missing event";
		return -1;
	}
	m->event = f;
	if (id_field(&s, &m->session) == -1) {
		*why = "bad session id";
		return -1;
	}
	if (m->kind == SMTPD_MSG_FILTER && id_field(&s, &m->token) == -1) {
		*why = "bad token";
		return -1;
	}
	m->params = s;
	return 0;
}

int
smtpd_proto_split(char *s, char **fields, int max)
{
	int n = 0;
	char *bar;

	fields[n++] = s;
	while (n < max && (bar = strchr(s, '|')) != NULL) {
		*bar = '\0';
		s = bar + 1;
		fields[n++] = s;
	}
	return n;
}

int
smtpd_proto_version_ok(int vmajor, int vminor)
{
	return vmajor == 0 && vminor >= 4;
}

/* Version at least 0.minor (any later major counts as later). */
static int
since(const struct smtpd_msg *m, int minor)
{
	return m->vmajor > 0 || m->vminor >= minor;
}

int
smtpd_proto_link_connect(char *params, struct smtpd_connect *c)
{
	char *f[4];

	if (smtpd_proto_split(params, f, 4) != 4)
		return -1;
	c->rdns = f[0];
	c->fcrdns = f[1];
	c->src = f[2];
	c->dest = f[3];
	return 0;
}

int
smtpd_proto_link_identify(
    char *params, const char **method, const char **identity)
{
	char *f[2];

	if (smtpd_proto_split(params, f, 2) != 2)
		return -1;
	*method = f[0];
	*identity = f[1];
	return 0;
}

int
smtpd_proto_link_auth(const struct smtpd_msg *m, char *params,
    const char **user, const char **result)
{
	char *bar;

	if (since(m, 7)) {
		if ((bar = strchr(params, '|')) == NULL)
			return -1;
		*bar = '\0';
		*result = params;
		*user = bar + 1;
	} else {
		if ((bar = strrchr(params, '|')) == NULL)
			return -1;
		*bar = '\0';
		*user = params;
		*result = bar + 1;
	}
	return 0;
}

int
smtpd_proto_tx_addr(const struct smtpd_msg *m, char *params, const char **msgid,
    const char **result, const char **addr)
{
	char *bar, *rest;

	if ((bar = strchr(params, '|')) == NULL)
		return -1;
	*bar = '\0';
	*msgid = params;
	rest = bar + 1;
	if (since(m, 6)) {
		if ((bar = strchr(rest, '|')) == NULL)
			return -1;
		*bar = '\0';
		*result = rest;
		*addr = bar + 1;
	} else {
		if ((bar = strrchr(rest, '|')) == NULL)
			return -1;
		*bar = '\0';
		*addr = rest;
		*result = bar + 1;
	}
	return 0;
}

int
smtpd_proto_src_addr(const char *src, char *out, size_t size)
{
	const char *end, *start = src;
	size_t i, n;

	if (size == 0)
		return -1;
	out[0] = '\0';
	if (strncmp(src, "unix:", 5) == 0 || strcmp(src, "local") == 0)
		return 1;
	/* drop ":port" */
	if ((end = strrchr(src, ':')) == NULL || end[1] == '\0')
		return -1;
	for (i = 1; end[i] != '\0'; i++)
		if (end[i] < '0' || end[i] > '9')
			return -1;
	if (src[0] == '[') {
		if (end == src || end[-1] != ']')
			return -1;
		start = src + 1;
		end--;
	}
	n = (size_t)(end - start);
	if (n == 0 || n >= size)
		return -1;
	memcpy(out, start, n);
	out[n] = '\0';
	return 0;
}

int
smtpd_proto_rcpt_addr(const char *param, char *out, size_t size)
{
	const char *start = param, *end;
	size_t n;

	while (*start == ' ')
		start++;
	if (*start == '<') {
		start++;
		if ((end = strchr(start, '>')) == NULL)
			end = start + strlen(start);
	} else
		end = start + strcspn(start, " ");
	n = (size_t)(end - start);
	if (n >= size)
		return -1;
	memcpy(out, start, n);
	out[n] = '\0';
	return 0;
}

/* The "filter-result|a|b|" prefix: 0.4 puts the token first. */
static int
prefix(char *out, size_t size, int vmajor, int vminor, uint64_t session,
    uint64_t token)
{
	uint64_t a = session, b = token;

	if (vmajor == 0 && vminor < 5) {
		a = token;
		b = session;
	}
	return snprintf(out, size, "filter-result|%016llx|%016llx|",
	    (unsigned long long)a, (unsigned long long)b);
}

size_t
smtpd_proto_proceed(char *out, size_t size, int vmajor, int vminor,
    uint64_t session, uint64_t token)
{
	int n = prefix(out, size, vmajor, vminor, session, token);

	if (n < 0 || (size_t)n + sizeof("proceed\n") > size)
		return 0;
	memcpy(out + n, "proceed\n", sizeof("proceed\n"));
	return (size_t)n + sizeof("proceed\n") - 1;
}

size_t
smtpd_proto_reject(char *out, size_t size, int vmajor, int vminor,
    uint64_t session, uint64_t token, const char *reply)
{
	int n = prefix(out, size, vmajor, vminor, session, token);
	size_t len, i, rl = strlen(reply);

	if (n < 0)
		return 0;
	len = (size_t)n;
	if (len + sizeof("reject|") - 1 + rl + 2 > size)
		return 0;
	memcpy(out + len, "reject|", sizeof("reject|") - 1);
	len += sizeof("reject|") - 1;
	for (i = 0; i < rl; i++)
		out[len++] =
		    reply[i] == '\r' || reply[i] == '\n' ? ' ' : reply[i];
	out[len++] = '\n';
	out[len] = '\0';
	return len;
}
