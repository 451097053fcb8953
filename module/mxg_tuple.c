/*
 * mxg_tuple.c: normalise the greylist tuple and build its store key.
 *
 * Sender normalisation makes a retry of the same message land on the same
 * tuple even when the sender encodes per-message data in its address:
 * SRS (SRS0=hash=tt=domain=local@fwd → local@domain), BATV
 * (prvs=tag=local@domain → local@domain), VERP-style extensions
 * (local+anything@ → local@) and per-message numbers (bounce-1234@ →
 * bounce-#@), as postgrey and milter-greylist users expect.
 */
#include <string.h>

#include "mxg_tuple.h"

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Copy s[0..n) lowercased into out; -1 on control chars or overflow. */
static int
copy_lower(const char *s, size_t n, char *out, size_t size)
{
	if (n >= size)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return -1;
		out[i] = (char)lower(c);
	}
	out[n] = '\0';
	return 0;
}

static int
prefix_ci(const char *s, const char *p)
{
	for (; *p != '\0'; s++, p++)
		if (lower((unsigned char)*s) != *p)
			return 0;
	return 1;
}

/* SRS0=HHH=TT=domain=local@fwd and SRS1=HHH=fwd==HHH=TT=domain=local@x. */
static void
undo_srs(char *a)
{
	char *at, *p, *dom, *loc;
	int eq;

	if (!prefix_ci(a, "srs0=") && !prefix_ci(a, "srs1="))
		return;
	if ((at = strrchr(a, '@')) == NULL)
		return;
	/* the last three '=' separated fields before '@': tt=domain=local */
	p = at;
	eq = 0;
	dom = loc = NULL;
	while (p > a && eq < 2) {
		p--;
		if (*p == '=') {
			eq++;
			if (eq == 1)
				loc = p + 1;
			else
				dom = p + 1;
		}
	}
	if (eq < 2 || loc == NULL || dom == NULL || loc - dom < 2 || at == loc)
		return;
	{
		char tmp[MXG_ADDR_MAX + 1];
		size_t ll = (size_t)(at - loc), dl = (size_t)(loc - 1 - dom);

		if (ll + 1 + dl >= sizeof(tmp))
			return;
		memcpy(tmp, loc, ll);
		tmp[ll] = '@';
		memcpy(tmp + ll + 1, dom, dl);
		tmp[ll + 1 + dl] = '\0';
		memcpy(a, tmp, ll + dl + 2);
	}
}

/* prvs=tag=local@domain, msprvs1=tag=local@domain, btv1==tag==local@... */
static void
undo_batv(char *a)
{
	static const char *const tags[] = { "prvs=", "msprvs1=", "btv1=" };
	char *p;

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		if (!prefix_ci(a, tags[i]))
			continue;
		p = strrchr(a, '@');
		/* the local part follows the last '=' before '@' */
		while (p != NULL && p > a && p[-1] != '=')
			p--;
		if (p == NULL || p == a || *p == '@')
			return;
		memmove(a, p, strlen(p) + 1);
		return;
	}
}

/* local+ext@d → local@d; digit runs standing alone → '#'. */
static void
undo_verp(char *a)
{
	char *at = strrchr(a, '@'), *plus, *r, *w;

	if (at == NULL)
		return;
	plus = memchr(a, '+', (size_t)(at - a));
	if (plus != NULL && plus != a) {
		memmove(plus, at, strlen(at) + 1);
		at = plus;
	}
	for (r = w = a; r < at;) {
		int start = (r == a ||
		    !((r[-1] >= 'a' && r[-1] <= 'z') ||
		        (r[-1] >= '0' && r[-1] <= '9') || r[-1] == '_'));

		if (start && *r >= '0' && *r <= '9') {
			char *e = r;

			while (e < at && *e >= '0' && *e <= '9')
				e++;
			if (e == at ||
			    !((*e >= 'a' && *e <= 'z') || *e == '_')) {
				*w++ = '#';
				r = e;
				continue;
			}
		}
		*w++ = *r++;
	}
	if (w != r)
		memmove(w, at, strlen(at) + 1);
}

/* mxg_addr_strip: see mxg_tuple.h. */
int
mxg_addr_strip(const char *a, int tags, char *out, size_t size)
{
	size_t n;

	if (a == NULL)
		a = "";
	while (*a == ' ' || *a == '\t')
		a++;
	n = strnlen(a, size + 2);
	if (n > 0 && a[0] == '<') {
		a++;
		n--;
		if (n > 0 && a[n - 1] == '>')
			n--;
	}
	if (copy_lower(a, n, out, size) != 0)
		return -1;
	if (tags) {
		undo_srs(out);
		undo_batv(out);
		undo_verp(out);
	}
	return 0;
}

/* mxg_tuple_make: see mxg_tuple.h. */
int
mxg_tuple_make(struct mxg_tuple *t, const struct mxg_ip *ip, int v4prefix,
    int v6prefix, const char *sender, const char *rcpt)
{
	t->prefix = ip->family == 4 ? v4prefix : v6prefix;
	mxg_ip_mask(ip, t->prefix, &t->ip);
	if (mxg_addr_strip(sender, 1, t->sender, sizeof(t->sender)) != 0 ||
	    mxg_addr_strip(rcpt, 0, t->rcpt, sizeof(t->rcpt)) != 0)
		return -1;
	return 0;
}

/* mxg_tuple_key: kind, family, prefix, address bytes[, sender NUL rcpt]. */
size_t
mxg_tuple_key(const struct mxg_tuple *t, int kind, unsigned char *buf)
{
	size_t n = 0, al = mxg_ip_len(&t->ip), sl, rl;

	buf[n++] = (unsigned char)kind;
	buf[n++] = (unsigned char)t->ip.family;
	buf[n++] = (unsigned char)t->prefix;
	memcpy(buf + n, t->ip.a, al);
	n += al;
	if (kind != MXG_KEY_TUPLE)
		return n;
	sl = strlen(t->sender);
	rl = strlen(t->rcpt);
	memcpy(buf + n, t->sender, sl);
	n += sl;
	buf[n++] = '\0';
	memcpy(buf + n, t->rcpt, rl);
	n += rl;
	return n;
}

/* mxg_tuple_from_key: see mxg_tuple.h. */
int
mxg_tuple_from_key(const unsigned char *key, size_t len, struct mxg_tuple *t)
{
	size_t al, n;
	const unsigned char *nul;

	if (len < 3 || (key[0] != MXG_KEY_TUPLE && key[0] != MXG_KEY_IP) ||
	    (key[1] != 4 && key[1] != 6))
		return -1;
	memset(t, 0, sizeof(*t));
	t->ip.family = key[1];
	t->prefix = key[2];
	al = mxg_ip_len(&t->ip);
	if (len < 3 + al || t->prefix > (int)al * 8)
		return -1;
	memcpy(t->ip.a, key + 3, al);
	n = 3 + al;
	if (key[0] == MXG_KEY_IP)
		return len == n ? MXG_KEY_IP : -1;
	nul = memchr(key + n, '\0', len - n);
	if (nul == NULL || (size_t)(nul - (key + n)) > MXG_ADDR_MAX ||
	    len - (size_t)(nul + 1 - key) > MXG_ADDR_MAX ||
	    memchr(nul + 1, '\0', len - (size_t)(nul + 1 - key)) != NULL)
		return -1; /* one NUL only: between sender and rcpt */
	memcpy(t->sender, key + n, (size_t)(nul - (key + n)));
	memcpy(t->rcpt, nul + 1, len - (size_t)(nul + 1 - key));
	return MXG_KEY_TUPLE;
}
