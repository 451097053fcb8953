/*
 * mxg_lookup.c: the lookup provider. Per request: a memo of every answer
 * asked for (so two clauses on one DNSRBL ask once, and see the same
 * answer), one deadline for every wait. Per process: the resolver and
 * its cache (mxg_dns.c), the SPF checker, the GeoIP database.
 */
#include <sys/types.h>
#include <netinet/in.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mxgrey.h"
#include "mxg_dns.h"
#include "mxg_lookup.h"
#include "mxg_rules.h"

#define MAX_FWD     4  /* PTR names we forward-confirm */
#define MAX_SPF_PRE 16 /* SPF names fetched ahead */
#define MAX_LOGGED  32 /* failure causes remembered */
#define WHY_LEN     256

struct rbl_memo {
	char *zone;
	struct mxg_dns_ans *a;
	int done;
	int res;
	struct mxg_ip answer;
	char why[WHY_LEN];
};

/* One request: its memo and its deadline. */
struct mxg_lookup_req {
	struct mxg_lookup *lk;
	int active;
	struct mxg_ip ip;
	const char *sender;
	const char *helo;
	const char *client_name;
	struct timespec deadline;

	struct rbl_memo *rbl;
	size_t nrbl, rblcap;

	int spf_done, spf_res, spf_result;
	char spf_why[WHY_LEN];
	struct mxg_dns_ans *spf_pre[MAX_SPF_PRE];
	int spf_scanned[MAX_SPF_PRE];
	size_t nspf_pre;

	int rdns_done, rdns_res, rdns_confirmed;
	struct mxg_dns_ans *ptr;
	struct mxg_dns_ans *fwd[MAX_FWD];
	size_t nfwd;
	int fwd_started;
	const char *rdns_name;
	char rdns_why[WHY_LEN];

	int geo_done, geo_res;
	char geo_cc[3];
	char geo_why[WHY_LEN];
};

/* The provider: one per process. */
struct mxg_lookup {
	struct mxg_log log;
	struct mxg_dns *dns;
	struct mxg_spf *spf;
	struct mxg_geoip *geo;
	long timeout_ms;
	struct mxg_lookup_req cur; /* of mxg_lookup_begin() */
	/* causes of failure already logged, until they go away */
	char *logged[MAX_LOGGED];
	size_t nlogged;
};

/* Log a failure once per cause (key) until a success clears it. */
static void
cause(struct mxg_lookup *lk, const char *key, const char *why)
{
	size_t i, free_slot = MAX_LOGGED;

	for (i = 0; i < MAX_LOGGED; i++) {
		if (lk->logged[i] == NULL) {
			if (free_slot == MAX_LOGGED)
				free_slot = i;
		} else if (strcmp(lk->logged[i], key) == 0)
			return;
	}
	mxg_log(&lk->log, MXG_LOG_WARNING, "lookup could not decide: %s", why);
	if (free_slot < MAX_LOGGED &&
	    (lk->logged[free_slot] = strdup(key)) != NULL)
		lk->nlogged++;
}

static void
cured(struct mxg_lookup *lk, const char *key)
{
	size_t i;

	for (i = 0; lk->nlogged > 0 && i < MAX_LOGGED; i++) {
		if (lk->logged[i] != NULL && strcmp(lk->logged[i], key) == 0) {
			mxg_log(&lk->log, MXG_LOG_NOTICE,
			    "lookup works again: %s", key);
			free(lk->logged[i]);
			lk->logged[i] = NULL;
			lk->nlogged--;
		}
	}
}

/* mxg_lookup_reverse: see mxg_lookup.h. */
int
mxg_lookup_reverse(
    const struct mxg_ip *ip, const char *zone, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0, zl;
	int i;

	/* by hand: this runs for every DNSRBL of every request */
	if (zone == NULL)
		zone = ip->family == 4 ? "in-addr.arpa" : "ip6.arpa";
	zl = strlen(zone);
	if (size < (ip->family == 4 ? 16 : 64) + zl + 1)
		return -1;
	if (ip->family == 4) {
		for (i = 3; i >= 0; i--) {
			unsigned v = ip->a[i];

			if (v >= 100)
				buf[n++] = (char)('0' + v / 100);
			if (v >= 10)
				buf[n++] = (char)('0' + v / 10 % 10);
			buf[n++] = (char)('0' + v % 10);
			buf[n++] = '.';
		}
	} else {
		for (i = 15; i >= 0; i--) {
			buf[n++] = hex[ip->a[i] & 0xf];
			buf[n++] = '.';
			buf[n++] = hex[ip->a[i] >> 4];
			buf[n++] = '.';
		}
	}
	memcpy(buf + n, zone, zl + 1);
	return 0;
}

/* mxg_lookup_new_conf: see mxg_lookup.h. */
struct mxg_lookup *
mxg_lookup_new_conf(
    const struct mxg_lookup_conf *conf, const struct mxg_log *log)
{
	struct mxg_lookup *lk;
	struct mxg_dns_conf dc;
	int err;

	if ((lk = calloc(1, sizeof(*lk))) == NULL)
		return NULL;
	if (log != NULL)
		lk->log = *log;
	lk->cur.lk = lk;
	memset(&dc, 0, sizeof(dc));
	dc.servers = conf->servers;
	dc.timeout_ms = conf->timeout_ms;
	dc.max_entries = conf->cache_entries;
	if ((lk->dns = mxg_dns_new(&dc, log, &err)) == NULL)
		goto fail;
	lk->timeout_ms = mxg_dns_timeout_ms(lk->dns);
	if (conf->share_path != NULL &&
	    mxg_dns_set_share(lk->dns, conf->share_path) != 0)
		goto fail;
	if ((lk->spf = mxg_spf_new(lk->dns, log)) == NULL)
		goto fail;
	if ((lk->geo = mxg_geoip_new(conf->geoip_db, log)) == NULL)
		goto fail;
	return lk;
fail:
	mxg_lookup_free(lk);
	return NULL;
}

/* mxg_lookup_new: see mxg_lookup.h. */
struct mxg_lookup *
mxg_lookup_new(const struct mxg_config *cf, const struct mxg_log *log)
{
	struct mxg_lookup_conf conf;
	struct mxg_lookup *lk;
	char *servers = NULL, *p;
	size_t i, len = 0;

	memset(&conf, 0, sizeof(conf));
	if (cf != NULL && cf->nresolvers > 0) {
		for (i = 0; i < cf->nresolvers; i++)
			len += strlen(cf->resolvers[i]) + 1;
		if ((servers = malloc(len + 1)) == NULL)
			return NULL;
		p = servers;
		for (i = 0; i < cf->nresolvers; i++) {
			size_t l = strlen(cf->resolvers[i]);

			if (i > 0)
				*p++ = ',';
			memcpy(p, cf->resolvers[i], l);
			p += l;
		}
		*p = '\0';
		conf.servers = servers;
	}
	if (cf != NULL) {
		conf.timeout_ms = cf->resolver_timeout_ms;
		conf.geoip_db = cf->geoip_db;
	}
	lk = mxg_lookup_new_conf(&conf, log);
	free(servers);
	return lk;
}

/* Forget a request's memo; answers stay in the cache. */
static void
req_end(struct mxg_lookup_req *r)
{
	size_t i;

	for (i = 0; i < r->nrbl; i++) {
		mxg_dns_release(r->rbl[i].a);
		free(r->rbl[i].zone);
	}
	r->nrbl = 0;
	for (i = 0; i < r->nspf_pre; i++)
		mxg_dns_release(r->spf_pre[i]);
	r->nspf_pre = 0;
	mxg_dns_release(r->ptr);
	r->ptr = NULL;
	for (i = 0; i < r->nfwd; i++)
		mxg_dns_release(r->fwd[i]);
	r->nfwd = 0;
	r->fwd_started = 0;
	r->spf_done = r->rdns_done = r->geo_done = 0;
	r->rdns_name = NULL;
	r->active = 0;
}

/* "unknown" (Postfix), "[192.0.2.1]" (Exim, Sendmail): no name given. */
static const char *
given_name(const char *s)
{
	if (s == NULL || *s == '\0' || *s == '[' || strcmp(s, "unknown") == 0)
		return NULL;
	return s;
}

static void
req_begin(struct mxg_lookup_req *r, const struct mxg_eval *ev)
{
	if (r->active)
		req_end(r);
	r->active = 1;
	r->ip = ev->ip;
	r->sender = ev->sender;
	r->helo = ev->req != NULL ? ev->req->helo : NULL;
	r->client_name =
	    given_name(ev->req != NULL ? ev->req->client_name : NULL);
	mxg_dns_now(&r->deadline);
	mxg_dns_add_ms(&r->deadline, r->lk->timeout_ms);
}

/* mxg_lookup_begin: see mxg_lookup.h. */
void
mxg_lookup_begin(struct mxg_lookup *lk, const struct mxg_eval *ev)
{
	req_begin(&lk->cur, ev);
}

/* mxg_lookup_end: see mxg_lookup.h. */
void
mxg_lookup_end(struct mxg_lookup *lk)
{
	req_end(&lk->cur);
}

/* mxg_lookup_req_new: see mxg_lookup.h. */
struct mxg_lookup_req *
mxg_lookup_req_new(struct mxg_lookup *lk, const struct mxg_eval *ev)
{
	struct mxg_lookup_req *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->lk = lk;
	req_begin(r, ev);
	return r;
}

/* mxg_lookup_req_free: see mxg_lookup.h. */
void
mxg_lookup_req_free(struct mxg_lookup_req *r)
{
	if (r == NULL)
		return;
	req_end(r);
	free(r->rbl);
	free(r);
}

/* mxg_lookup_free: see mxg_lookup.h. */
void
mxg_lookup_free(struct mxg_lookup *lk)
{
	size_t i;

	if (lk == NULL)
		return;
	req_end(&lk->cur);
	free(lk->cur.rbl);
	mxg_spf_free(lk->spf);
	mxg_geoip_free(lk->geo);
	mxg_dns_free(lk->dns);
	for (i = 0; i < MAX_LOGGED; i++)
		free(lk->logged[i]);
	free(lk);
}

/* mxg_lookup_share: see mxg_lookup.h. */
int
mxg_lookup_share(struct mxg_lookup *lk, const char *path)
{
	return mxg_dns_set_share(lk->dns, path);
}

/* mxg_lookup_dns: see mxg_lookup.h. */
struct mxg_dns *
mxg_lookup_dns(struct mxg_lookup *lk)
{
	return lk->dns;
}

/* The domain SPF starts from: the sender's, else the HELO name. */
static const char *
spf_domain(const struct mxg_lookup_req *r)
{
	const char *at;

	if (r->sender != NULL && *r->sender != '\0') {
		at = strrchr(r->sender, '@');
		return at != NULL ? at + 1 : NULL;
	}
	if (r->helo != NULL && *r->helo != '\0')
		return r->helo;
	return NULL;
}

static struct rbl_memo *
rbl_find(struct mxg_lookup_req *r, const char *zone, int start)
{
	struct rbl_memo *m, *v;
	char name[300];

	for (m = r->rbl; m < r->rbl + r->nrbl; m++)
		if (strcmp(m->zone, zone) == 0)
			return m;
	if (!start)
		return NULL;
	if (r->nrbl == r->rblcap) {
		size_t cap = r->rblcap ? r->rblcap * 2 : 8;

		if ((v = realloc(r->rbl, cap * sizeof(*v))) == NULL)
			return NULL;
		r->rbl = v;
		r->rblcap = cap;
	}
	m = &r->rbl[r->nrbl];
	memset(m, 0, sizeof(*m));
	if ((m->zone = strdup(zone)) == NULL)
		return NULL;
	if (mxg_lookup_reverse(&r->ip, zone, name, sizeof(name)) == 0)
		m->a = mxg_dns_start(r->lk->dns, name, MXG_DNS_A);
	r->nrbl++;
	return m;
}

/* Take one SPF name ahead of libspf2, once per request. */
static void
spf_pre(struct mxg_lookup_req *r, const char *name, int type)
{
	struct mxg_dns_ans *a;
	size_t i;

	if (r->nspf_pre >= MAX_SPF_PRE || strchr(name, '%') != NULL)
		return;
	for (i = 0; i < r->nspf_pre; i++)
		if (r->spf_pre[i]->type == type &&
		    strcasecmp(r->spf_pre[i]->name, name) == 0)
			return;
	if ((a = mxg_dns_start(r->lk->dns, name, type)) == NULL)
		return;
	r->spf_scanned[r->nspf_pre] = 0;
	r->spf_pre[r->nspf_pre++] = a;
}

/* The mechanism at t ("include:x", "a", "mx:y/24" ...): what to fetch. */
static int
spf_term(const char *t, size_t len, const char *owner, int atype, char *name,
    size_t size)
{
	static const struct {
		const char *p;
		size_t n;
		int type; /* 0: the address type */
		int bare; /* may stand without a domain */
	} terms[] = {
		{ "include:", 8, MXG_DNS_TXT, 0 },
		{ "redirect=", 9, MXG_DNS_TXT, 0 },
		{ "a", 1, 0, 1 },
		{ "mx", 2, MXG_DNS_MX, 1 },
	};
	const char *d, *slash;
	size_t i, dl;

	for (i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
		if (len < terms[i].n ||
		    strncasecmp(t, terms[i].p, terms[i].n) != 0)
			continue;
		d = t + terms[i].n;
		dl = len - terms[i].n;
		if (terms[i].bare) {
			if (dl == 0 || *d == '/') {
				d = owner; /* "a", "mx/24": the record's own */
				dl = strlen(owner);
			} else if (*d == ':') {
				d++;
				dl--;
			} else
				continue; /* "all", "mxfoo" */
		}
		if ((slash = memchr(d, '/', dl)) != NULL)
			dl = (size_t)(slash - d);
		if (dl == 0 || dl >= size)
			return 0;
		memcpy(name, d, dl);
		name[dl] = '\0';
		return terms[i].type != 0 ? terms[i].type : atype;
	}
	return 0;
}

/*
 * Read an SPF record that arrived and fetch what libspf2 will ask next:
 * include: and redirect= targets (TXT), a and mx targets. Names with
 * macros are left to libspf2.
 */
static void
spf_scan(struct mxg_lookup_req *r, const struct mxg_dns_ans *a)
{
	const char *s, *t, *e;
	char name[256];
	size_t i;
	int type, atype = r->ip.family == 4 ? MXG_DNS_A : MXG_DNS_AAAA;

	for (i = 0; i < a->nrr; i++) {
		s = a->rr[i].data;
		if (strncasecmp(s, "v=spf1", 6) != 0 ||
		    (s[6] != ' ' && s[6] != '\0'))
			continue;
		for (t = s + 6; *t != '\0'; t = e) {
			while (*t == ' ')
				t++;
			for (e = t; *e != '\0' && *e != ' '; e++)
				;
			if (*t == '+' || *t == '-' || *t == '~' || *t == '?')
				t++;
			if (t >= e)
				continue;
			type = spf_term(t, (size_t)(e - t), a->name, atype,
			    name, sizeof(name));
			if (type != 0)
				spf_pre(r, name, type);
		}
	}
}

/*
 * Start the queries that depend on answers already in: rDNS forward
 * confirmation after the PTR; SPF includes after an SPF record, the
 * hosts of an MX answer.
 */
static void
advance(struct mxg_lookup_req *r)
{
	struct mxg_dns_ans *a;
	size_t i, j;
	int atype = r->ip.family == 4 ? MXG_DNS_A : MXG_DNS_AAAA;

	if (r->ptr != NULL && !r->fwd_started &&
	    r->ptr->status != MXG_DNS_PENDING) {
		r->fwd_started = 1;
		if (r->ptr->status == MXG_DNS_FOUND)
			for (i = 0; i < r->ptr->nrr && i < MAX_FWD; i++) {
				r->fwd[i] = mxg_dns_start(
				    r->lk->dns, r->ptr->rr[i].data, atype);
				if (r->fwd[i] == NULL)
					break;
				r->nfwd++;
			}
	}
	for (i = 0; i < r->nspf_pre; i++) {
		a = r->spf_pre[i];
		if (r->spf_scanned[i] || a->status == MXG_DNS_PENDING)
			continue;
		r->spf_scanned[i] = 1;
		if (a->status != MXG_DNS_FOUND)
			continue;
		if (a->type == MXG_DNS_TXT)
			spf_scan(r, a);
		else if (a->type == MXG_DNS_MX)
			for (j = 0; j < a->nrr; j++)
				spf_pre(r, a->rr[j].data, atype);
	}
}

static void
req_prefetch(struct mxg_lookup_req *r, const char *const *zones, size_t n,
    unsigned needs)
{
	const char *dom;
	char name[300];
	size_t i;

	if (!r->active)
		return;
	for (i = 0; i < n; i++)
		(void)rbl_find(r, zones[i], 1);
	if ((needs & MXG_NEED_SPF) && (dom = spf_domain(r)) != NULL)
		spf_pre(r, dom, MXG_DNS_TXT);
	if ((needs & MXG_NEED_RDNS) && r->client_name == NULL &&
	    r->ptr == NULL &&
	    mxg_lookup_reverse(&r->ip, NULL, name, sizeof(name)) == 0)
		r->ptr = mxg_dns_start(r->lk->dns, name, MXG_DNS_PTR);
	advance(r);
}

static int
pending(const struct mxg_dns_ans *a)
{
	return a != NULL && a->status == MXG_DNS_PENDING;
}

static int
req_done(struct mxg_lookup_req *r)
{
	size_t i;

	if (!r->active || mxg_dns_ms_until(&r->deadline) == 0)
		return 1;
	advance(r);
	for (i = 0; i < r->nrbl; i++)
		if (pending(r->rbl[i].a))
			return 0;
	for (i = 0; i < r->nspf_pre; i++)
		if (pending(r->spf_pre[i]))
			return 0;
	if (pending(r->ptr))
		return 0;
	for (i = 0; i < r->nfwd; i++)
		if (pending(r->fwd[i]))
			return 0;
	return 1;
}

static int
req_fds(struct mxg_lookup_req *r, struct pollfd *fds, int nfds, int *timeout_ms)
{
	if (req_done(r)) {
		*timeout_ms = 0;
		return 0;
	}
	return mxg_dns_fds(
	    r->lk->dns, fds, nfds, mxg_dns_ms_until(&r->deadline), timeout_ms);
}

static void
req_process(struct mxg_lookup_req *r, const struct pollfd *fds, int nfds)
{
	mxg_dns_process(r->lk->dns, fds, nfds);
	advance(r);
}

static void
req_wait(struct mxg_lookup_req *r)
{
	struct pollfd fds[16];
	int n, to;

	while (!req_done(r)) {
		n = req_fds(r, fds, 16, &to);
		(void)poll(fds, (nfds_t)n, to);
		req_process(r, fds, n);
	}
}

/* mxg_lookup_prefetch: see mxg_lookup.h. */
void
mxg_lookup_prefetch(
    struct mxg_lookup *lk, const char *const *zones, size_t n, unsigned needs)
{
	req_prefetch(&lk->cur, zones, n, needs);
}

/* mxg_lookup_done: see mxg_lookup.h. */
int
mxg_lookup_done(struct mxg_lookup *lk)
{
	return req_done(&lk->cur);
}

/* mxg_lookup_fds: see mxg_lookup.h. */
int
mxg_lookup_fds(
    struct mxg_lookup *lk, struct pollfd *fds, int nfds, int *timeout_ms)
{
	return req_fds(&lk->cur, fds, nfds, timeout_ms);
}

/* mxg_lookup_process: see mxg_lookup.h. */
void
mxg_lookup_process(struct mxg_lookup *lk, const struct pollfd *fds, int nfds)
{
	req_process(&lk->cur, fds, nfds);
}

/* mxg_lookup_wait: see mxg_lookup.h. */
void
mxg_lookup_wait(struct mxg_lookup *lk)
{
	req_wait(&lk->cur);
}

/* mxg_lookup_req_prefetch: see mxg_lookup.h. */
void
mxg_lookup_req_prefetch(struct mxg_lookup_req *r, const char *const *zones,
    size_t n, unsigned needs)
{
	req_prefetch(r, zones, n, needs);
}

/* mxg_lookup_req_done: see mxg_lookup.h. */
int
mxg_lookup_req_done(struct mxg_lookup_req *r)
{
	return req_done(r);
}

/* mxg_lookup_req_fds: see mxg_lookup.h. */
int
mxg_lookup_req_fds(
    struct mxg_lookup_req *r, struct pollfd *fds, int nfds, int *timeout_ms)
{
	return req_fds(r, fds, nfds, timeout_ms);
}

/* mxg_lookup_req_process: see mxg_lookup.h. */
void
mxg_lookup_req_process(
    struct mxg_lookup_req *r, const struct pollfd *fds, int nfds)
{
	req_process(r, fds, nfds);
}

/* mxg_lookup_req_wait: see mxg_lookup.h. */
void
mxg_lookup_req_wait(struct mxg_lookup_req *r)
{
	req_wait(r);
}

/* Wait for one answer, no later than the request's deadline. */
static void
await(struct mxg_lookup_req *r, const struct mxg_dns_ans *a)
{
	if (pending(a))
		mxg_dns_wait(r->lk->dns, a, &r->deadline);
}

/* Turn a finished or abandoned answer into -1 with why. */
static int
failed(struct mxg_lookup_req *r, const struct mxg_dns_ans *a, const char *what,
    char *why, size_t size)
{
	if (a == NULL)
		snprintf(
		    why, size, "%s: no query (bad name or no memory)", what);
	else if (a->status == MXG_DNS_PENDING)
		snprintf(why, size, "%s: no answer within %ld ms", what,
		    r->lk->timeout_ms);
	else
		snprintf(
		    why, size, "%s: %s", what, mxg_dns_status_name(a->status));
	return -1;
}

static int
req_dnsrbl(struct mxg_lookup_req *r, const char *zone, struct mxg_ip *answer,
    const char **why)
{
	struct rbl_memo *m;
	char what[300];

	if (!r->active || (m = rbl_find(r, zone, 1)) == NULL) {
		*why = "DNSRBL: out of memory";
		return -1;
	}
	if (!m->done) {
		await(r, m->a);
		if (r->lk->nlogged > 0 || m->a == NULL ||
		    (m->a->status != MXG_DNS_FOUND &&
		        m->a->status != MXG_DNS_NXDOMAIN &&
		        m->a->status != MXG_DNS_NODATA))
			snprintf(what, sizeof(what), "DNSRBL %.200s", zone);
		else
			what[0] = '\0'; /* cured() has nothing to clear */
		m->done = 1;
		switch (m->a != NULL ? m->a->status : MXG_DNS_ERROR) {
		case MXG_DNS_FOUND:
			m->res = 1;
			memset(&m->answer, 0, sizeof(m->answer));
			m->answer.family = 4;
			memcpy(m->answer.a, m->a->rr[0].data, 4);
			cured(r->lk, what);
			break;
		case MXG_DNS_NXDOMAIN:
		case MXG_DNS_NODATA:
			m->res = 0;
			cured(r->lk, what);
			break;
		default:
			m->res = failed(r, m->a, what, m->why, sizeof(m->why));
			cause(r->lk, what, m->why);
			break;
		}
	}
	if (m->res == 1)
		*answer = m->answer;
	else if (m->res == -1)
		*why = m->why;
	return m->res;
}

/* Listed in zone with any A record inside want/prefix? */
static int
req_dnsrbl_match(struct mxg_lookup_req *r, const char *zone,
    const struct mxg_ip *want, int prefix, struct mxg_ip *answer,
    const char **why)
{
	struct mxg_ip first, one, a, b;
	struct rbl_memo *m;
	size_t i;
	int res;

	if ((res = req_dnsrbl(r, zone, &first, why)) != 1)
		return res;
	if ((m = rbl_find(r, zone, 0)) == NULL || want->family != 4)
		return 0;
	mxg_ip_mask(want, prefix, &b);
	for (i = 0; i < m->a->nrr; i++) {
		memset(&one, 0, sizeof(one));
		one.family = 4;
		memcpy(one.a, m->a->rr[i].data, 4);
		mxg_ip_mask(&one, prefix, &a);
		if (memcmp(a.a, b.a, 4) == 0) {
			*answer = one;
			return 1;
		}
	}
	return 0;
}

static int
req_spf(struct mxg_lookup_req *r, int *result, const char **why)
{
	const char *w = NULL;

	if (!r->active) {
		*why = "SPF: no request";
		return -1;
	}
	if (!r->spf_done) {
		r->spf_done = 1;
		r->spf_res = mxg_spf_check(r->lk->spf, &r->ip, r->sender,
		    r->helo, &r->deadline, &r->spf_result, &w);
		snprintf(r->spf_why, sizeof(r->spf_why), "%s",
		    w != NULL ? w : "SPF: could not check");
		if (r->spf_res == -1)
			cause(r->lk, "SPF", r->spf_why);
		else
			cured(r->lk, "SPF");
	}
	*result = r->spf_result;
	if (r->spf_res == -1)
		*why = r->spf_why;
	return r->spf_res;
}

/* Does the forward answer i contain the client address? */
static int
confirmed(const struct mxg_lookup_req *r, size_t i)
{
	const struct mxg_dns_ans *a = r->fwd[i];
	size_t j, len = r->ip.family == 4 ? 4 : 16;

	if (a->status != MXG_DNS_FOUND)
		return 0;
	for (j = 0; j < a->nrr; j++)
		if (a->rr[j].len == len &&
		    memcmp(a->rr[j].data, r->ip.a, len) == 0)
			return 1;
	return 0;
}

static int
req_rdns(struct mxg_lookup_req *r, const char **name, int *confirmedp,
    const char **why)
{
	char rev[300];
	size_t i;

	if (!r->active) {
		*why = "rDNS: no request";
		return -1;
	}
	if (r->rdns_done)
		goto out;
	r->rdns_done = 1;
	r->rdns_name = NULL;
	r->rdns_confirmed = 0;
	if (r->client_name != NULL) {
		/* the MTA looked it up (and confirmed it) already */
		r->rdns_name = r->client_name;
		r->rdns_confirmed = 1;
		r->rdns_res = 1;
		goto out;
	}
	if (r->ptr == NULL &&
	    mxg_lookup_reverse(&r->ip, NULL, rev, sizeof(rev)) == 0)
		r->ptr = mxg_dns_start(r->lk->dns, rev, MXG_DNS_PTR);
	await(r, r->ptr);
	advance(r);
	if (r->ptr == NULL ||
	    (r->ptr->status != MXG_DNS_FOUND &&
	        r->ptr->status != MXG_DNS_NXDOMAIN &&
	        r->ptr->status != MXG_DNS_NODATA)) {
		r->rdns_res = failed(
		    r, r->ptr, "rDNS PTR", r->rdns_why, sizeof(r->rdns_why));
		cause(r->lk, "rDNS", r->rdns_why);
		goto out;
	}
	cured(r->lk, "rDNS");
	if (r->ptr->status != MXG_DNS_FOUND) {
		r->rdns_res = 0;
		goto out;
	}
	r->rdns_res = 1;
	r->rdns_name = r->ptr->rr[0].data;
	/*
	 * An unanswered forward lookup leaves the name unconfirmed: like
	 * an MTA, we do not trust a PTR name we could not check.
	 */
	for (i = 0; i < r->nfwd; i++) {
		await(r, r->fwd[i]);
		if (confirmed(r, i)) {
			r->rdns_name = r->ptr->rr[i].data;
			r->rdns_confirmed = 1;
			break;
		}
	}
out:
	*name = r->rdns_name;
	*confirmedp = r->rdns_confirmed;
	if (r->rdns_res == -1)
		*why = r->rdns_why;
	return r->rdns_res;
}

static int
req_geoip(struct mxg_lookup_req *r, char cc[3], const char **why)
{
	const char *w = NULL;

	if (!r->active) {
		*why = "GeoIP: no request";
		return -1;
	}
	if (!r->geo_done) {
		r->geo_done = 1;
		r->geo_res =
		    mxg_geoip_country(r->lk->geo, &r->ip, r->geo_cc, &w);
		snprintf(r->geo_why, sizeof(r->geo_why), "%s",
		    w != NULL ? w : "GeoIP: lookup failed");
		if (r->geo_res == -1)
			cause(r->lk, "GeoIP", r->geo_why);
		else
			cured(r->lk, "GeoIP");
	}
	memcpy(cc, r->geo_cc, 3);
	if (r->geo_res == -1)
		*why = r->geo_why;
	return r->geo_res;
}

static void
req_prefetch_rules(struct mxg_lookup_req *r, const struct mxg_ruleset *rs,
    enum mxg_stage stage)
{
	const char *const *zones = NULL;
	unsigned needs;
	size_t n = 0;

	needs = mxg_rules_needs(rs, stage);
	if (needs & MXG_NEED_DNSRBL)
		zones = mxg_rules_dnsrbl_zones(rs, stage, &n);
	req_prefetch(r, zones, n, needs);
}

/* The ops of mxg_lookup_ops(): ctx is the provider, its current request. */
static void
lk_prefetch(void *ctx, const struct mxg_ruleset *rs, enum mxg_stage stage)
{
	req_prefetch_rules(&((struct mxg_lookup *)ctx)->cur, rs, stage);
}

static int
lk_dnsrbl(void *ctx, const char *zone, struct mxg_ip *answer, const char **why)
{
	return req_dnsrbl(&((struct mxg_lookup *)ctx)->cur, zone, answer, why);
}

static int
lk_spf(void *ctx, int *result, const char **why)
{
	return req_spf(&((struct mxg_lookup *)ctx)->cur, result, why);
}

static int
lk_geoip(void *ctx, char cc[3], const char **why)
{
	return req_geoip(&((struct mxg_lookup *)ctx)->cur, cc, why);
}

static int
lk_rdns(void *ctx, const char **name, int *confirmedp, const char **why)
{
	return req_rdns(
	    &((struct mxg_lookup *)ctx)->cur, name, confirmedp, why);
}

static int
lk_dnsrbl_match(void *ctx, const char *zone, const struct mxg_ip *want,
    int prefix, struct mxg_ip *answer, const char **why)
{
	return req_dnsrbl_match(
	    &((struct mxg_lookup *)ctx)->cur, zone, want, prefix, answer, why);
}

/* The ops of mxg_lookup_req_ops(): ctx is a struct mxg_lookup_req. */
static void
rq_prefetch(void *ctx, const struct mxg_ruleset *rs, enum mxg_stage stage)
{
	req_prefetch_rules(ctx, rs, stage);
}

static int
rq_dnsrbl(void *ctx, const char *zone, struct mxg_ip *answer, const char **why)
{
	return req_dnsrbl(ctx, zone, answer, why);
}

static int
rq_spf(void *ctx, int *result, const char **why)
{
	return req_spf(ctx, result, why);
}

static int
rq_geoip(void *ctx, char cc[3], const char **why)
{
	return req_geoip(ctx, cc, why);
}

static int
rq_rdns(void *ctx, const char **name, int *confirmedp, const char **why)
{
	return req_rdns(ctx, name, confirmedp, why);
}

static int
rq_dnsrbl_match(void *ctx, const char *zone, const struct mxg_ip *want,
    int prefix, struct mxg_ip *answer, const char **why)
{
	return req_dnsrbl_match(ctx, zone, want, prefix, answer, why);
}

static const struct mxg_lookup_ops lk_ops = {
	.prefetch = lk_prefetch,
	.dnsrbl = lk_dnsrbl,
	.spf = lk_spf,
	.geoip = lk_geoip,
	.rdns = lk_rdns,
	.dnsrbl_match = lk_dnsrbl_match,
};

static const struct mxg_lookup_ops rq_ops = {
	.prefetch = rq_prefetch,
	.dnsrbl = rq_dnsrbl,
	.spf = rq_spf,
	.geoip = rq_geoip,
	.rdns = rq_rdns,
	.dnsrbl_match = rq_dnsrbl_match,
};

/* mxg_lookup_ops: see mxg_lookup.h. */
const struct mxg_lookup_ops *
mxg_lookup_ops(void)
{
	return &lk_ops;
}

/* mxg_lookup_req_ops: see mxg_lookup.h. */
const struct mxg_lookup_ops *
mxg_lookup_req_ops(void)
{
	return &rq_ops;
}
