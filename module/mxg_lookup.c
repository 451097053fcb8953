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
	if (free_slot < MAX_LOGGED)
		lk->logged[free_slot] = strdup(key);
}

static void
cured(struct mxg_lookup *lk, const char *key)
{
	size_t i;

	for (i = 0; i < MAX_LOGGED; i++) {
		if (lk->logged[i] != NULL && strcmp(lk->logged[i], key) == 0) {
			mxg_log(&lk->log, MXG_LOG_NOTICE,
			    "lookup works again: %s", key);
			free(lk->logged[i]);
			lk->logged[i] = NULL;
		}
	}
}

int
mxg_lookup_reverse(
    const struct mxg_ip *ip, const char *zone, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	int i, w;

	if (ip->family == 4) {
		w = snprintf(buf, size, "%u.%u.%u.%u.%s", ip->a[3], ip->a[2],
		    ip->a[1], ip->a[0], zone != NULL ? zone : "in-addr.arpa");
		return w < 0 || (size_t)w >= size ? -1 : 0;
	}
	if (size < 64 + 1)
		return -1;
	for (i = 15; i >= 0; i--) {
		buf[n++] = hex[ip->a[i] & 0xf];
		buf[n++] = '.';
		buf[n++] = hex[ip->a[i] >> 4];
		buf[n++] = '.';
	}
	w = snprintf(buf + n, size - n, "%s", zone != NULL ? zone : "ip6.arpa");
	return w < 0 || (size_t)w >= size - n ? -1 : 0;
}

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
	memset(&dc, 0, sizeof(dc));
	dc.servers = conf->servers;
	dc.timeout_ms = conf->timeout_ms;
	dc.max_entries = conf->cache_entries;
	if ((lk->dns = mxg_dns_new(&dc, log, &err)) == NULL)
		goto fail;
	lk->timeout_ms = mxg_dns_timeout_ms(lk->dns);
	if ((lk->spf = mxg_spf_new(lk->dns, log)) == NULL)
		goto fail;
	if ((lk->geo = mxg_geoip_new(conf->geoip_db, log)) == NULL)
		goto fail;
	return lk;
fail:
	mxg_lookup_free(lk);
	return NULL;
}

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

void
mxg_lookup_end(struct mxg_lookup *lk)
{
	size_t i;

	for (i = 0; i < lk->nrbl; i++) {
		mxg_dns_release(lk->rbl[i].a);
		free(lk->rbl[i].zone);
	}
	lk->nrbl = 0;
	for (i = 0; i < lk->nspf_pre; i++)
		mxg_dns_release(lk->spf_pre[i]);
	lk->nspf_pre = 0;
	mxg_dns_release(lk->ptr);
	lk->ptr = NULL;
	for (i = 0; i < lk->nfwd; i++)
		mxg_dns_release(lk->fwd[i]);
	lk->nfwd = 0;
	lk->fwd_started = 0;
	lk->spf_done = lk->rdns_done = lk->geo_done = 0;
	lk->rdns_name = NULL;
	lk->active = 0;
}

void
mxg_lookup_free(struct mxg_lookup *lk)
{
	size_t i;

	if (lk == NULL)
		return;
	mxg_lookup_end(lk);
	free(lk->rbl);
	mxg_spf_free(lk->spf);
	mxg_geoip_free(lk->geo);
	mxg_dns_free(lk->dns);
	for (i = 0; i < MAX_LOGGED; i++)
		free(lk->logged[i]);
	free(lk);
}

struct mxg_dns *
mxg_lookup_dns(struct mxg_lookup *lk)
{
	return lk->dns;
}

/* "unknown" (Postfix), "[192.0.2.1]" (Exim, Sendmail): no name given. */
static const char *
given_name(const char *s)
{
	if (s == NULL || *s == '\0' || *s == '[' || strcmp(s, "unknown") == 0)
		return NULL;
	return s;
}

void
mxg_lookup_begin(struct mxg_lookup *lk, const struct mxg_eval *ev)
{
	if (lk->active)
		mxg_lookup_end(lk);
	lk->active = 1;
	lk->ip = ev->ip;
	lk->sender = ev->sender;
	lk->helo = ev->req != NULL ? ev->req->helo : NULL;
	lk->client_name =
	    given_name(ev->req != NULL ? ev->req->client_name : NULL);
	mxg_dns_now(&lk->deadline);
	mxg_dns_add_ms(&lk->deadline, lk->timeout_ms);
}

/* The domain SPF starts from: the sender's, else the HELO name. */
static const char *
spf_domain(const struct mxg_lookup *lk)
{
	const char *at;

	if (lk->sender != NULL && *lk->sender != '\0') {
		at = strrchr(lk->sender, '@');
		return at != NULL ? at + 1 : NULL;
	}
	if (lk->helo != NULL && *lk->helo != '\0')
		return lk->helo;
	return NULL;
}

static struct rbl_memo *
rbl_find(struct mxg_lookup *lk, const char *zone, int start)
{
	struct rbl_memo *m, *v;
	char name[300];

	for (m = lk->rbl; m < lk->rbl + lk->nrbl; m++)
		if (strcmp(m->zone, zone) == 0)
			return m;
	if (!start)
		return NULL;
	if (lk->nrbl == lk->rblcap) {
		size_t cap = lk->rblcap ? lk->rblcap * 2 : 8;

		if ((v = realloc(lk->rbl, cap * sizeof(*v))) == NULL)
			return NULL;
		lk->rbl = v;
		lk->rblcap = cap;
	}
	m = &lk->rbl[lk->nrbl];
	memset(m, 0, sizeof(*m));
	if ((m->zone = strdup(zone)) == NULL)
		return NULL;
	if (mxg_lookup_reverse(&lk->ip, zone, name, sizeof(name)) == 0)
		m->a = mxg_dns_start(lk->dns, name, MXG_DNS_A);
	lk->nrbl++;
	return m;
}

/* Take one SPF name ahead of libspf2, once per request. */
static void
spf_pre(struct mxg_lookup *lk, const char *name, int type)
{
	struct mxg_dns_ans *a;
	size_t i;

	if (lk->nspf_pre >= MAX_SPF_PRE || strchr(name, '%') != NULL)
		return;
	for (i = 0; i < lk->nspf_pre; i++)
		if (lk->spf_pre[i]->type == type &&
		    strcasecmp(lk->spf_pre[i]->name, name) == 0)
			return;
	if ((a = mxg_dns_start(lk->dns, name, type)) == NULL)
		return;
	lk->spf_scanned[lk->nspf_pre] = 0;
	lk->spf_pre[lk->nspf_pre++] = a;
}

/*
 * Read an SPF record that arrived and fetch what libspf2 will ask next:
 * include: and redirect= targets (TXT), a/mx targets. Names with macros
 * are left to libspf2.
 */
static void
spf_scan(struct mxg_lookup *lk, const struct mxg_dns_ans *a)
{
	const char *s, *t, *e;
	char name[256];
	size_t i, len;
	int type;

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
			if (strncasecmp(t, "include:", 8) == 0) {
				t += 8;
				type = MXG_DNS_TXT;
			} else if (strncasecmp(t, "redirect=", 9) == 0) {
				t += 9;
				type = MXG_DNS_TXT;
			} else if (strncasecmp(t, "a:", 2) == 0) {
				t += 2;
				type = lk->ip.family == 4 ? MXG_DNS_A
				                          : MXG_DNS_AAAA;
			} else if (strncasecmp(t, "mx:", 3) == 0) {
				t += 3;
				type = MXG_DNS_MX;
			} else
				continue;
			len = (size_t)(e - t);
			if (memchr(t, '/', len) != NULL)
				len =
				    (size_t)((const char *)memchr(t, '/', len) -
				        t);
			if (len == 0 || len >= sizeof(name))
				continue;
			memcpy(name, t, len);
			name[len] = '\0';
			spf_pre(lk, name, type);
		}
	}
}

/*
 * Start the queries that depend on answers already in: rDNS forward
 * confirmation after the PTR, SPF includes after the SPF record.
 */
static void
advance(struct mxg_lookup *lk)
{
	size_t i;

	if (lk->ptr != NULL && !lk->fwd_started &&
	    lk->ptr->status != MXG_DNS_PENDING) {
		lk->fwd_started = 1;
		if (lk->ptr->status == MXG_DNS_FOUND)
			for (i = 0; i < lk->ptr->nrr && i < MAX_FWD; i++) {
				lk->fwd[i] =
				    mxg_dns_start(lk->dns, lk->ptr->rr[i].data,
				        lk->ip.family == 4 ? MXG_DNS_A
				                           : MXG_DNS_AAAA);
				if (lk->fwd[i] == NULL)
					break;
				lk->nfwd++;
			}
	}
	for (i = 0; i < lk->nspf_pre; i++) {
		if (lk->spf_scanned[i] ||
		    lk->spf_pre[i]->status == MXG_DNS_PENDING)
			continue;
		lk->spf_scanned[i] = 1;
		if (lk->spf_pre[i]->status == MXG_DNS_FOUND &&
		    lk->spf_pre[i]->type == MXG_DNS_TXT)
			spf_scan(lk, lk->spf_pre[i]);
	}
}

void
mxg_lookup_prefetch(
    struct mxg_lookup *lk, const char *const *zones, size_t n, unsigned needs)
{
	const char *dom;
	char name[300];
	size_t i;

	if (!lk->active)
		return;
	for (i = 0; i < n; i++)
		(void)rbl_find(lk, zones[i], 1);
	if ((needs & MXG_NEED_SPF) && (dom = spf_domain(lk)) != NULL)
		spf_pre(lk, dom, MXG_DNS_TXT);
	if ((needs & MXG_NEED_RDNS) && lk->client_name == NULL &&
	    lk->ptr == NULL &&
	    mxg_lookup_reverse(&lk->ip, NULL, name, sizeof(name)) == 0)
		lk->ptr = mxg_dns_start(lk->dns, name, MXG_DNS_PTR);
	advance(lk);
}

static int
pending(const struct mxg_dns_ans *a)
{
	return a != NULL && a->status == MXG_DNS_PENDING;
}

int
mxg_lookup_done(struct mxg_lookup *lk)
{
	size_t i;

	if (!lk->active || mxg_dns_ms_until(&lk->deadline) == 0)
		return 1;
	advance(lk);
	for (i = 0; i < lk->nrbl; i++)
		if (pending(lk->rbl[i].a))
			return 0;
	for (i = 0; i < lk->nspf_pre; i++)
		if (pending(lk->spf_pre[i]))
			return 0;
	if (pending(lk->ptr))
		return 0;
	for (i = 0; i < lk->nfwd; i++)
		if (pending(lk->fwd[i]))
			return 0;
	return 1;
}

int
mxg_lookup_fds(
    struct mxg_lookup *lk, struct pollfd *fds, int nfds, int *timeout_ms)
{
	long left;

	if (mxg_lookup_done(lk)) {
		*timeout_ms = 0;
		return 0;
	}
	left = mxg_dns_ms_until(&lk->deadline);
	return mxg_dns_fds(lk->dns, fds, nfds, left, timeout_ms);
}

void
mxg_lookup_process(struct mxg_lookup *lk, const struct pollfd *fds, int nfds)
{
	mxg_dns_process(lk->dns, fds, nfds);
	advance(lk);
}

void
mxg_lookup_wait(struct mxg_lookup *lk)
{
	struct pollfd fds[16];
	int n, to;

	while (!mxg_lookup_done(lk)) {
		n = mxg_lookup_fds(lk, fds, 16, &to);
		(void)poll(fds, (nfds_t)n, to);
		mxg_lookup_process(lk, fds, n);
	}
}

/* Wait for one answer, no later than the request's deadline. */
static void
await(struct mxg_lookup *lk, const struct mxg_dns_ans *a)
{
	if (pending(a))
		mxg_dns_wait(lk->dns, a, &lk->deadline);
}

/* Turn a finished or abandoned answer into -1 with why. */
static int
failed(struct mxg_lookup *lk, const struct mxg_dns_ans *a, const char *what,
    char *why, size_t size)
{
	if (a == NULL)
		snprintf(why, size, "%s: out of memory", what);
	else if (a->status == MXG_DNS_PENDING)
		snprintf(why, size, "%s: no answer within %ld ms", what,
		    lk->timeout_ms);
	else
		snprintf(
		    why, size, "%s: %s", what, mxg_dns_status_name(a->status));
	return -1;
}

static int
op_dnsrbl(void *ctx, const char *zone, struct mxg_ip *answer, const char **why)
{
	struct mxg_lookup *lk = ctx;
	struct rbl_memo *m;
	char what[300];

	if (!lk->active || (m = rbl_find(lk, zone, 1)) == NULL) {
		*why = "DNSRBL: out of memory";
		return -1;
	}
	if (!m->done) {
		await(lk, m->a);
		snprintf(what, sizeof(what), "DNSRBL %.200s", zone);
		m->done = 1;
		switch (m->a != NULL ? m->a->status : MXG_DNS_ERROR) {
		case MXG_DNS_FOUND:
			m->res = 1;
			memset(&m->answer, 0, sizeof(m->answer));
			m->answer.family = 4;
			memcpy(m->answer.a, m->a->rr[0].data, 4);
			cured(lk, what);
			break;
		case MXG_DNS_NXDOMAIN:
		case MXG_DNS_NODATA:
			m->res = 0;
			cured(lk, what);
			break;
		default:
			m->res = failed(lk, m->a, what, m->why, sizeof(m->why));
			cause(lk, what, m->why);
			break;
		}
	}
	if (m->res == 1)
		*answer = m->answer;
	else if (m->res == -1)
		*why = m->why;
	return m->res;
}

static int
op_spf(void *ctx, int *result, const char **why)
{
	struct mxg_lookup *lk = ctx;

	if (!lk->active) {
		*why = "SPF: no request";
		return -1;
	}
	if (!lk->spf_done) {
		lk->spf_done = 1;
		lk->spf_why = NULL;
		lk->spf_res = mxg_spf_check(lk->spf, &lk->ip, lk->sender,
		    lk->helo, &lk->deadline, &lk->spf_result, &lk->spf_why);
		if (lk->spf_res == -1)
			cause(lk, "SPF", lk->spf_why);
		else
			cured(lk, "SPF");
	}
	*result = lk->spf_result;
	if (lk->spf_res == -1)
		*why = lk->spf_why;
	return lk->spf_res;
}

/* Does any forward answer contain the client address? */
static int
confirmed(const struct mxg_lookup *lk, size_t i)
{
	const struct mxg_dns_ans *a = lk->fwd[i];
	size_t j, len = lk->ip.family == 4 ? 4 : 16;

	if (a->status != MXG_DNS_FOUND)
		return 0;
	for (j = 0; j < a->nrr; j++)
		if (a->rr[j].len == len &&
		    memcmp(a->rr[j].data, lk->ip.a, len) == 0)
			return 1;
	return 0;
}

static int
op_rdns(void *ctx, const char **name, int *confirmedp, const char **why)
{
	struct mxg_lookup *lk = ctx;
	char rev[300];
	size_t i;

	if (!lk->active) {
		*why = "rDNS: no request";
		return -1;
	}
	if (lk->rdns_done)
		goto out;
	lk->rdns_done = 1;
	lk->rdns_name = NULL;
	lk->rdns_confirmed = 0;
	if (lk->client_name != NULL) {
		/* the MTA looked it up (and confirmed it) already */
		lk->rdns_name = lk->client_name;
		lk->rdns_confirmed = 1;
		lk->rdns_res = 1;
		goto out;
	}
	if (lk->ptr == NULL &&
	    mxg_lookup_reverse(&lk->ip, NULL, rev, sizeof(rev)) == 0)
		lk->ptr = mxg_dns_start(lk->dns, rev, MXG_DNS_PTR);
	await(lk, lk->ptr);
	advance(lk);
	if (lk->ptr == NULL || lk->ptr->status == MXG_DNS_PENDING ||
	    (lk->ptr->status != MXG_DNS_FOUND &&
	        lk->ptr->status != MXG_DNS_NXDOMAIN &&
	        lk->ptr->status != MXG_DNS_NODATA)) {
		lk->rdns_res = failed(lk, lk->ptr, "rDNS PTR", lk->rdns_why,
		    sizeof(lk->rdns_why));
		cause(lk, "rDNS", lk->rdns_why);
		goto out;
	}
	cured(lk, "rDNS");
	if (lk->ptr->status != MXG_DNS_FOUND) {
		lk->rdns_res = 0;
		goto out;
	}
	lk->rdns_res = 1;
	lk->rdns_name = lk->ptr->rr[0].data;
	for (i = 0; i < lk->nfwd; i++) {
		await(lk, lk->fwd[i]);
		if (confirmed(lk, i)) {
			lk->rdns_name = lk->ptr->rr[i].data;
			lk->rdns_confirmed = 1;
			break;
		}
	}
	/*
	 * An unanswered forward lookup leaves the name unconfirmed: like
	 * an MTA, we do not trust a PTR name we could not check.
	 */
out:
	*name = lk->rdns_name;
	*confirmedp = lk->rdns_confirmed;
	if (lk->rdns_res == -1)
		*why = lk->rdns_why;
	return lk->rdns_res;
}

static int
op_geoip(void *ctx, char cc[3], const char **why)
{
	struct mxg_lookup *lk = ctx;

	if (!lk->active) {
		*why = "GeoIP: no request";
		return -1;
	}
	if (!lk->geo_done) {
		lk->geo_done = 1;
		lk->geo_why = NULL;
		lk->geo_res = mxg_geoip_country(
		    lk->geo, &lk->ip, lk->geo_cc, &lk->geo_why);
		if (lk->geo_res == -1)
			cause(lk, "GeoIP", lk->geo_why);
		else
			cured(lk, "GeoIP");
	}
	memcpy(cc, lk->geo_cc, 3);
	if (lk->geo_res == -1)
		*why = lk->geo_why;
	return lk->geo_res;
}

static void
op_prefetch(void *ctx, const struct mxg_ruleset *rs, enum mxg_stage stage)
{
	struct mxg_lookup *lk = ctx;
	const char *const *zones;
	unsigned needs;
	size_t n = 0;

	needs = mxg_rules_needs(rs, stage);
	zones = (needs & MXG_NEED_DNSRBL)
	    ? mxg_rules_dnsrbl_zones(rs, stage, &n)
	    : NULL;
	mxg_lookup_prefetch(lk, zones, n, needs);
}

static const struct mxg_lookup_ops ops = {
	.prefetch = op_prefetch,
	.dnsrbl = op_dnsrbl,
	.spf = op_spf,
	.geoip = op_geoip,
	.rdns = op_rdns,
};

const struct mxg_lookup_ops *
mxg_lookup_ops(void)
{
	return &ops;
}
