/*
 * mxg_fmt.c: milter-greylist %-escapes for msg, log, report and header
 * formats. The format text of a rules file is only ever scanned here,
 * never handed to printf.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mxgrey.h"
#include "mxg_rules_int.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

struct out {
	char *buf;
	size_t size, len; /* len: bytes written, excluding the NUL */
};

static void
app(struct out *o, const char *s, size_t n)
{
	size_t room;

	if (o->size == 0 || s == NULL)
		return;
	room = o->size - 1 - o->len;
	if (n > room)
		n = room;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
apps(struct out *o, const char *s)
{
	if (s != NULL)
		app(o, s, strlen(s));
}

static void
appnum(struct out *o, const char *fmt2, long n)
{
	char b[32];

	if (strcmp(fmt2, "02") == 0)
		snprintf(b, sizeof(b), "%02ld", n);
	else
		snprintf(b, sizeof(b), "%ld", n);
	apps(o, b);
}

/* local part (before the last @) or site part (after it) */
static void
part(struct out *o, const char *addr, int site)
{
	const char *at;

	if (addr == NULL)
		return;
	at = strrchr(addr, '@');
	if (site)
		apps(o, at ? at + 1 : "");
	else
		app(o, addr, at ? (size_t)(at - addr) : strlen(addr));
}

/* machine part of a host name (before the first dot) or the rest */
static void
hostpart(struct out *o, const char *name, int site)
{
	const char *dot;

	if (name == NULL)
		return;
	dot = strchr(name, '.');
	if (site)
		apps(o, dot ? dot + 1 : "");
	else
		app(o, name, dot ? (size_t)(dot - name) : strlen(name));
}

static const char *
clientname(const struct mxg_eval *ev)
{
	const char *name = NULL, *why = NULL;
	int confirmed = 0;

	if (ev->req != NULL && ev->req->client_name != NULL)
		return ev->req->client_name;
	if (ev->lookup != NULL && ev->lookup->rdns != NULL &&
	    ev->lookup->rdns(ev->lookup_ctx, &name, &confirmed, &why) > 0 &&
	    name != NULL)
		return name;
	return NULL;
}

static const char *
spftext(int r)
{
	static const char *const t[] = { "none", "neutral", "pass", "fail",
		"softfail", "temperror", "permerror" };

	if (r < 0 || (size_t)r >= sizeof(t) / sizeof(t[0]))
		return "unknown";
	return t[r];
}

/* {...} argument after an escape: *p at '{'; returns its length or -1 */
static int
brace(const char *p, const char **arg)
{
	const char *e;

	if (*p != '{')
		return -1;
	if ((e = strchr(p, '}')) == NULL || e - p > 256)
		return -1;
	*arg = p + 1;
	return (int)(e - p - 1);
}

static const char *
macroval(const struct mxg_request *req, const char *name, size_t nl)
{
	size_t i, ml;
	const char *m;

	if (req == NULL || req->macros == NULL)
		return NULL;
	for (i = 0; i < req->nmacros; i++) {
		m = req->macros[i].name;
		if (m == NULL)
			continue;
		if (*m == '{')
			m++;
		ml = strcspn(m, "}");
		if (ml == nl && strncmp(m, name, nl) == 0)
			return req->macros[i].value;
	}
	return NULL;
}

static const char *
actiontext(const struct mxg_eval *ev)
{
	const struct mxg_match *m = ev->match;

	if (m == NULL)
		return "";
	if (m->undecided != NULL)
		return ev->rs && ev->rs->cf.fail_action == MXG_ACCEPT
		    ? "accept"
		    : "tempfail";
	switch (m->action) {
	case MXG_RA_BLACKLIST:
		return "reject";
	case MXG_RA_WHITELIST:
		return "accept";
	default: /* greylist, or no rule matched: greylisted too */
		return ev->remaining > 0 ? "tempfail" : "accept";
	}
}

static void
hms(struct out *o, long t, char which)
{
	if (t < 0)
		t = 0;
	switch (which) {
	case 't':
		appnum(o, "", t);
		break;
	case 'h':
		appnum(o, "", t / 3600);
		break;
	case 'm':
		appnum(o, "", (t / 60) % 60);
		break;
	case 's':
		appnum(o, "", t % 60);
		break;
	default:
		appnum(o, "", t / 3600);
		apps(o, ":");
		appnum(o, "02", (t / 60) % 60);
		apps(o, ":");
		appnum(o, "02", t % 60);
		break;
	}
}

/*
 * One escape at f (just after the %). Returns the number of format bytes
 * consumed, or 0 when the escape is unknown (copied as written).
 */
static size_t
escape(struct out *o, const char *f, const struct mxg_eval *ev)
{
	const struct mxg_request *req = ev->req;
	const struct mxg_match *m = ev->match;
	char b[MXG_IP_STRLEN + 8], tf[260];
	const char *arg, *why = NULL;
	struct mxg_ip ip;
	struct tm tm;
	size_t i, n;
	long off;
	int len, first, r;

	switch (f[0]) {
	case '%':
		apps(o, "%");
		return 1;
	case 'r':
		apps(o, ev->rcpt);
		return 1;
	case 'f':
		apps(o, ev->sender);
		return 1;
	case 'i':
		mxg_ip_format(&ev->ip, b, sizeof(b));
		apps(o, b);
		return 1;
	case 'I':
		len = brace(f + 1, &arg);
		if (len < 0) {
			mxg_ip_format(&ev->ip, b, sizeof(b));
			apps(o, b);
			return 1;
		}
		n = 0;
		i = (size_t)len; /* raw length, for what we consume */
		if (len > 0 && *arg == '/') {
			arg++;
			len--;
		}
		if (len == 0 || len > 3)
			return 0;
		for (r = 0; r < len; r++) {
			if (arg[r] < '0' || arg[r] > '9')
				return 0;
			n = n * 10 + (size_t)(arg[r] - '0');
		}
		mxg_ip_mask(&ev->ip, (int)n, &ip);
		mxg_ip_format(&ip, b, sizeof(b));
		apps(o, b);
		return i + 3;
	case 'j':
		apps(o, req ? req->local_name : NULL);
		return 1;
	case 'd':
		apps(o, clientname(ev));
		return 1;
	case 'h':
		apps(o, req ? req->helo : NULL);
		return 1;
	case 'm':
	case 's':
		if (f[1] == 'r')
			part(o, ev->rcpt, f[0] == 's');
		else if (f[1] == 'f')
			part(o, ev->sender, f[0] == 's');
		else if (f[1] == 'd')
			hostpart(o, clientname(ev), f[0] == 's');
		else
			return 0;
		return 2;
	case 'M':
		if ((len = brace(f + 1, &arg)) >= 0) {
			apps(o, macroval(req, arg, (size_t)len));
			return (size_t)len + 3;
		}
		if (f[1] == '\0')
			return 0;
		apps(o, macroval(req, f + 1, 1));
		return 2;
	case 'S':
		apps(o, actiontext(ev));
		return 1;
	case 'A':
		appnum(o, "", m ? (long)m->line : 0);
		return 1;
	case 'a':
		if (m != NULL && m->id != NULL)
			apps(o, m->id);
		else
			appnum(o, "", m ? (long)m->line : 0);
		return 1;
	case 'X':
		switch (f[1]) {
		case 'c':
			if (m != NULL && m->code != 0)
				appnum(o, "", m->code);
			else if (m != NULL && m->action == MXG_RA_BLACKLIST)
				apps(o, "550");
			else if (m != NULL && m->action == MXG_RA_WHITELIST)
				apps(o, "250");
			else
				apps(o, "451");
			return 2;
		case 'e':
			if (m != NULL && m->ecode != NULL)
				apps(o, m->ecode);
			else if (m != NULL && m->action == MXG_RA_BLACKLIST)
				apps(o, "5.7.1");
			else if (m != NULL && m->action == MXG_RA_WHITELIST)
				apps(o, "2.0.0");
			else
				apps(o, "4.7.1");
			return 2;
		case 'm':
			apps(o, m ? m->msg : NULL);
			return 2;
		case 'h':
			apps(o, m ? m->report : NULL);
			return 2;
		default:
			return 0;
		}
	case 'E':
	case 'R':
		off = f[0] == 'E' ? ev->elapsed : ev->remaining;
		if (f[1] == 't' || f[1] == 'h' || f[1] == 'm' || f[1] == 's') {
			hms(o, off, f[1]);
			return 2;
		}
		hms(o, off, 0);
		return 1;
	case 'D':
		first = 1;
		if (ev->rs != NULL)
			for (i = 0; i < ev->rs->nrbls; i++) {
				if (!(ev->dnsrbl_hits & (1UL << i)))
					continue;
				if (!first)
					apps(o, ",");
				apps(o, ev->rs->rbls[i]->name);
				first = 0;
			}
		return 1;
	case 'C':
		memset(tf, 0, 3);
		r = -1;
		if (ev->lookup != NULL && ev->lookup->geoip != NULL)
			r = ev->lookup->geoip(ev->lookup_ctx, tf, &why);
		tf[2] = '\0';
		apps(o, r >= 0 && tf[0] != '\0' ? tf : "??");
		return 1;
	case 'Q':
		if (f[1] == 's') {
			if (ev->lookup != NULL && ev->lookup->spf != NULL &&
			    ev->lookup->spf(ev->lookup_ctx, &r, &why) >= 0)
				apps(o, spftext(r));
			else
				apps(o, "unknown");
			return 2;
		}
		if (f[1] == 'i') {
			apps(o, req ? req->queue_id : NULL);
			return 2;
		}
		return 0;
	case 'T':
		if ((len = brace(f + 1, &arg)) < 0 || (size_t)len >= sizeof(tf))
			return 0;
		memcpy(tf, arg, (size_t)len);
		tf[len] = '\0';
		if (localtime_r(&ev->now, &tm) != NULL) {
			char tb[256];

			/* strftime(3) takes no arguments from the format:
			 * a rules-file format cannot read memory here */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			if (len > 0 && strftime(tb, sizeof(tb), tf, &tm) > 0)
				apps(o, tb);
#pragma GCC diagnostic pop
		}
		return (size_t)len + 3;
	case 'G':
		if (localtime_r(&ev->now, &tm) != NULL &&
		    strftime(b, sizeof(b), "%z", &tm) > 0)
			apps(o, b);
		return 1;
	case 'v':
		apps(o, PACKAGE_VERSION);
		return 1;
	case 'V': {
		/* milter-greylist's shortcut, with our name */
		char vb[256];

		mxg_fmt_expand("mxgrey-%v (%Mj [%M{if_addr}]); "
		               "%T{%a, %d %b %Y %T} %G (%T{%Z})",
		    ev, vb, sizeof(vb));
		apps(o, vb);
		return 1;
	}
	default:
		return 0;
	}
}

/* mxg_fmt_expand: see mxg_rules.h. */
size_t
mxg_fmt_expand(
    const char *fmt, const struct mxg_eval *ev, char *buf, size_t size)
{
	struct out o = { buf, size, 0 };
	const char *p, *pct;
	size_t n;

	if (size > 0)
		buf[0] = '\0';
	if (fmt == NULL)
		return 0;
	p = fmt;
	while (*p != '\0' && (size == 0 || o.len + 1 < size)) {
		if ((pct = strchr(p, '%')) == NULL) {
			apps(&o, p);
			break;
		}
		app(&o, p, (size_t)(pct - p));
		n = pct[1] == '\0' ? 0 : escape(&o, pct + 1, ev);
		if (n == 0) {
			app(&o, "%", 1); /* unknown: copied as written */
			p = pct + 1;
		} else {
			p = pct + 1 + n;
		}
	}
	return o.len;
}
