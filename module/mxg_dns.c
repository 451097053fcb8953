/*
 * mxg_dns.c: c-ares resolver with a per-process answer cache. See
 * mxg_dns.h. No threads, no signals: the caller polls the sockets we
 * hand out, or lets mxg_dns_wait() do it up to a deadline.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <netinet/in.h>

#include <ares.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mxgrey.h"
#include "mxg_dns.h"
#include "mxg_log.h"

#define NBUCKETS     512
#define NAME_MAX_LEN 253
#define HDR_LEN      12

struct mxg_dns {
	ares_channel ch;
	struct mxg_dns_mark mark; /* process the channel belongs to */
	int have_ch;
	char *servers; /* NULL: resolv.conf */
	struct mxg_log log;
	long timeout_ms;
	size_t max_entries;
	size_t nentries;
	time_t last_sweep; /* monotonic second of the last full sweep */
	unsigned neg_ttl;
	unsigned max_ttl;
	unsigned pending;
	unsigned long sent;
	unsigned long hits;
	unsigned long shared;
	struct mxg_dns_share *share;
	struct mxg_dns_ans *bucket[NBUCKETS];
};

/* mxg_dns_mark_init: see mxg_dns.h. */
void
mxg_dns_mark_init(struct mxg_dns_mark *m)
{
	void *page;

	m->page = NULL;
	m->pid = 0;
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return;
	if (madvise(page, 4096, MADV_WIPEONFORK) != 0) {
		munmap(page, 4096);
		return;
	}
	m->page = page;
}

/* mxg_dns_mark_mine: see mxg_dns.h. */
int
mxg_dns_mark_mine(const struct mxg_dns_mark *m)
{
	if (m->page != NULL)
		return m->page[0] != 0;
	return m->pid != 0 && m->pid == getpid();
}

/* mxg_dns_mark_set: see mxg_dns.h. */
void
mxg_dns_mark_set(struct mxg_dns_mark *m)
{
	if (m->page != NULL)
		m->page[0] = 1;
	m->pid = getpid();
}

/* mxg_dns_mark_free: see mxg_dns.h. */
void
mxg_dns_mark_free(struct mxg_dns_mark *m)
{
	if (m->page != NULL)
		munmap((void *)(uintptr_t)m->page, 4096);
	m->page = NULL;
}

/* mxg_dns_now: see mxg_dns.h. */
void
mxg_dns_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

/* mxg_dns_add_ms: see mxg_dns.h. */
void
mxg_dns_add_ms(struct timespec *ts, long ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* mxg_dns_ms_until: see mxg_dns.h. */
long
mxg_dns_ms_until(const struct timespec *ts)
{
	struct timespec now;
	long ms;

	mxg_dns_now(&now);
	if (now.tv_sec > ts->tv_sec + 100000)
		return 0;
	ms = (long)(ts->tv_sec - now.tv_sec) * 1000 +
	    (ts->tv_nsec - now.tv_nsec) / 1000000L;
	if (ms < 0)
		return 0;
	/* round up so that a wait of "0 ms" is really past the deadline */
	if (ms == 0 &&
	    (ts->tv_sec > now.tv_sec ||
	        (ts->tv_sec == now.tv_sec && ts->tv_nsec > now.tv_nsec)))
		ms = 1;
	return ms;
}

static int
expired(const struct timespec *ts, const struct timespec *now)
{
	if (now->tv_sec != ts->tv_sec)
		return now->tv_sec > ts->tv_sec;
	return now->tv_nsec >= ts->tv_nsec;
}

static unsigned
hash(const char *name, int type)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++) {
		h ^= (unsigned char)*name;
		h *= 16777619u;
	}
	h ^= (uint32_t)type;
	h *= 16777619u;
	return h % NBUCKETS;
}

/* mxg_dns_status_name: see mxg_dns.h. */
const char *
mxg_dns_status_name(enum mxg_dns_status s)
{
	switch (s) {
	case MXG_DNS_PENDING:
		return "pending";
	case MXG_DNS_FOUND:
		return "found";
	case MXG_DNS_NXDOMAIN:
		return "NXDOMAIN";
	case MXG_DNS_NODATA:
		return "no data";
	case MXG_DNS_TIMEOUT:
		return "timeout";
	case MXG_DNS_SERVFAIL:
		return "server failure";
	case MXG_DNS_ERROR:
		return "error";
	}
	return "unknown";
}

static void
ans_free(struct mxg_dns_ans *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nrr; i++)
		free(a->rr[i].data);
	free(a->rr);
	free(a->name);
	free(a);
}

static void
unlink_ans(struct mxg_dns *dns, struct mxg_dns_ans *a)
{
	struct mxg_dns_ans **pp;

	if (!a->cached)
		return;
	for (pp = &dns->bucket[hash(a->name, a->type)]; *pp != NULL;
	     pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	}
	a->next = NULL;
	a->cached = 0;
	dns->nentries--;
}

/* Drop expired, unreferenced entries. */
static void
sweep(struct mxg_dns *dns, const struct timespec *now)
{
	struct mxg_dns_ans **pp, *a;
	size_t i;

	for (i = 0; i < NBUCKETS; i++) {
		pp = &dns->bucket[i];
		while ((a = *pp) != NULL) {
			if (a->refs == 0 && a->status != MXG_DNS_PENDING &&
			    expired(&a->expires, now)) {
				*pp = a->next;
				dns->nentries--;
				ans_free(a);
			} else
				pp = &a->next;
		}
	}
}

/*
 * The cache is full: a full sweep of expired entries at most once a
 * second; else drop one finished, unreferenced entry of bucket h (the
 * one the new entry goes to), so a full cache of live answers still
 * takes new ones at O(chain) cost.
 */
static void
make_room(struct mxg_dns *dns, unsigned h, const struct timespec *now)
{
	struct mxg_dns_ans **pp, *a;

	if (now->tv_sec != dns->last_sweep) {
		dns->last_sweep = now->tv_sec;
		sweep(dns, now);
		if (dns->nentries < dns->max_entries)
			return;
	}
	for (pp = &dns->bucket[h]; (a = *pp) != NULL; pp = &a->next) {
		if (a->refs == 0 && a->status != MXG_DNS_PENDING) {
			*pp = a->next;
			dns->nentries--;
			ans_free(a);
			return;
		}
	}
}

/*
 * Make the c-ares channel for this process. Two tries per query, each
 * half the lookup time: with one server c-ares doubles the second wait,
 * so a lost query ends by 1.5x the limit; the lookup layer gives up at
 * the limit anyway.
 */
static int
channel(struct mxg_dns *dns)
{
	struct ares_options opt;
	int rc;

	memset(&opt, 0, sizeof(opt));
	opt.timeout =
	    (int)(dns->timeout_ms / 2 < 100 ? 100 : dns->timeout_ms / 2);
	opt.tries = 2;
	/*
	 * EDNS with 1232 bytes (the DNS flag day size): big SPF records
	 * come in one UDP answer, not truncated then again over TCP.
	 * c-ares drops EDNS by itself for a server that answers FORMERR.
	 */
	opt.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_EDNS;
	opt.ednspsz = 1232;
	rc = ares_init_options(&dns->ch, &opt,
	    ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS |
	        ARES_OPT_EDNSPSZ);
	if (rc != ARES_SUCCESS) {
		mxg_log(&dns->log, MXG_LOG_ERR, "dns: c-ares channel: %s",
		    ares_strerror(rc));
		return rc;
	}
	if (dns->servers != NULL &&
	    (rc = ares_set_servers_ports_csv(dns->ch, dns->servers)) !=
	        ARES_SUCCESS) {
		mxg_log(&dns->log, MXG_LOG_ERR, "dns: resolver \"%s\": %s",
		    dns->servers, ares_strerror(rc));
		ares_destroy(dns->ch);
		return rc;
	}
	mxg_dns_mark_set(&dns->mark);
	dns->have_ch = 1;
	return ARES_SUCCESS;
}

/*
 * The channel of this process. After fork(2) the child must not read
 * from the parent's sockets (it would take the parent's answers): it gets
 * its own channel. Queries in flight are abandoned (they end as
 * timeouts, not cached); the cache of finished answers stays valid.
 * 1 usable, 0 not (logged).
 */
static int
usable(struct mxg_dns *dns)
{
	if (dns->have_ch && mxg_dns_mark_mine(&dns->mark))
		return 1;
	if (dns->have_ch) {
		ares_destroy(dns->ch); /* our copies of the parent's fds */
		dns->have_ch = 0;
		dns->pending = 0;
	}
	return channel(dns) == ARES_SUCCESS;
}

/* mxg_dns_new: see mxg_dns.h. */
struct mxg_dns *
mxg_dns_new(
    const struct mxg_dns_conf *conf, const struct mxg_log *log, int *err)
{
	struct mxg_dns *dns = NULL;
	int rc, inited = 0;

	*err = MXG_ENOMEM;
	if ((dns = calloc(1, sizeof(*dns))) == NULL)
		goto fail;
	mxg_dns_mark_init(&dns->mark);
	if (log != NULL)
		dns->log = *log;
	dns->timeout_ms =
	    conf != NULL && conf->timeout_ms > 0 ? conf->timeout_ms : 5000;
	dns->max_entries =
	    conf != NULL && conf->max_entries > 0 ? conf->max_entries : 4096;
	dns->neg_ttl = conf != NULL && conf->neg_ttl > 0 ? conf->neg_ttl : 60;
	dns->max_ttl =
	    conf != NULL && conf->max_ttl > 0 ? conf->max_ttl : 86400;

	if ((rc = ares_library_init(ARES_LIB_INIT_ALL)) != ARES_SUCCESS) {
		mxg_log(&dns->log, MXG_LOG_ERR, "dns: c-ares init: %s",
		    ares_strerror(rc));
		goto fail;
	}
	inited = 1;
	if (conf != NULL && conf->servers != NULL && *conf->servers != '\0' &&
	    (dns->servers = strdup(conf->servers)) == NULL)
		goto fail;
	if ((rc = channel(dns)) != ARES_SUCCESS) {
		*err = rc == ARES_ENOMEM ? MXG_ENOMEM : MXG_EINVAL;
		goto fail;
	}
	*err = MXG_OK;
	return dns;
fail:
	if (inited)
		ares_library_cleanup();
	if (dns != NULL) {
		mxg_dns_mark_free(&dns->mark);
		free(dns->servers);
	}
	free(dns);
	return NULL;
}

/* mxg_dns_free: see mxg_dns.h. */
void
mxg_dns_free(struct mxg_dns *dns)
{
	struct mxg_dns_ans *a, *next;
	size_t i;

	if (dns == NULL)
		return;
	/* every callback runs now (ARES_EDESTRUCTION) */
	if (dns->have_ch)
		ares_destroy(dns->ch);
	mxg_dns_mark_free(&dns->mark);
	mxg_dns_share_free(dns->share);
	free(dns->servers);
	for (i = 0; i < NBUCKETS; i++) {
		for (a = dns->bucket[i]; a != NULL; a = next) {
			next = a->next;
			ans_free(a);
		}
	}
	ares_library_cleanup();
	free(dns);
}

/* mxg_dns_timeout_ms: see mxg_dns.h. */
long
mxg_dns_timeout_ms(const struct mxg_dns *dns)
{
	return dns->timeout_ms;
}

/* mxg_dns_set_share: see mxg_dns.h. */
int
mxg_dns_set_share(struct mxg_dns *dns, const char *path)
{
	struct mxg_dns_share *sh;

	if ((sh = mxg_dns_share_new(path, &dns->log)) == NULL)
		return -1;
	mxg_dns_share_free(dns->share);
	dns->share = sh;
	return 0;
}

/* mxg_dns_shared_hits: see mxg_dns.h. */
unsigned long
mxg_dns_shared_hits(const struct mxg_dns *dns)
{
	return dns->shared;
}

/* mxg_dns_pending: see mxg_dns.h. */
unsigned
mxg_dns_pending(const struct mxg_dns *dns)
{
	return dns->pending;
}

/* mxg_dns_stats: see mxg_dns.h. */
void
mxg_dns_stats(
    const struct mxg_dns *dns, unsigned long *sent, unsigned long *hits)
{
	if (sent != NULL)
		*sent = dns->sent;
	if (hits != NULL)
		*hits = dns->hits;
}

/* mxg_dns_ref: see mxg_dns.h. */
struct mxg_dns_ans *
mxg_dns_ref(struct mxg_dns_ans *a)
{
	a->refs++;
	return a;
}

/* mxg_dns_release: see mxg_dns.h. */
void
mxg_dns_release(struct mxg_dns_ans *a)
{
	if (a == NULL)
		return;
	if (a->refs > 0)
		a->refs--;
	if (a->refs == 0 && !a->cached)
		ans_free(a);
}

/*
 * Lower-case copy of name without the trailing dot into buf
 * (NAME_MAX_LEN + 1 bytes). 0, or -1 if not a usable name.
 */
static int
normalise(const char *name, char *buf)
{
	size_t len, i;

	len = strnlen(name, NAME_MAX_LEN + 2);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > NAME_MAX_LEN)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c >= 0x7f)
			return -1;
		buf[i] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	buf[len] = '\0';
	return 0;
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static unsigned long
get32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
	    (unsigned long)p[2] << 8 | p[3];
}

/* Skip a (possibly compressed) name at *pos; 0 or -1. */
static int
skip_name(const unsigned char *abuf, int alen, const unsigned char **pos)
{
	char *s = NULL;
	long enclen;

	if (ares_expand_name(*pos, abuf, alen, &s, &enclen) != ARES_SUCCESS)
		return -1;
	ares_free_string(s);
	*pos += enclen;
	return 0;
}

/* Expand a name into a malloc'd NUL-terminated string. */
static char *
get_name(
    const unsigned char *p, const unsigned char *abuf, int alen, size_t *lenp)
{
	char *s = NULL, *copy;
	long enclen;

	if (ares_expand_name(p, abuf, alen, &s, &enclen) != ARES_SUCCESS)
		return NULL;
	copy = strdup(s);
	ares_free_string(s);
	if (copy != NULL)
		*lenp = strlen(copy);
	return copy;
}

/* TXT rdata: concatenate the character-strings. */
static char *
get_txt(const unsigned char *p, size_t rdlen, size_t *lenp)
{
	size_t i = 0, n = 0, l;
	char *s;

	if ((s = malloc(rdlen + 1)) == NULL)
		return NULL;
	while (i < rdlen) {
		l = p[i++];
		if (l > rdlen - i) {
			free(s);
			return NULL;
		}
		memcpy(s + n, p + i, l);
		n += l;
		i += l;
	}
	s[n] = '\0';
	*lenp = n;
	return s;
}

/* Record one RR of the asked type into a. */
static int
add_rr(struct mxg_dns_ans *a, const unsigned char *rd, size_t rdlen,
    unsigned long ttl, const unsigned char *abuf, int alen)
{
	struct mxg_dns_rr rr, *v;

	memset(&rr, 0, sizeof(rr));
	rr.ttl = (unsigned)(ttl > 0x7fffffffUL ? 0 : ttl);
	switch (a->type) {
	case MXG_DNS_A:
	case MXG_DNS_AAAA:
		if (rdlen != (a->type == MXG_DNS_A ? 4u : 16u))
			return -1;
		if ((rr.data = malloc(rdlen + 1)) == NULL)
			return -1;
		memcpy(rr.data, rd, rdlen);
		rr.data[rdlen] = '\0';
		rr.len = rdlen;
		break;
	case MXG_DNS_MX:
		if (rdlen < 3)
			return -1;
		rr.pref = get16(rd);
		rr.data = get_name(rd + 2, abuf, alen, &rr.len);
		break;
	case MXG_DNS_TXT:
		rr.data = get_txt(rd, rdlen, &rr.len);
		break;
	default: /* PTR, CNAME, NS */
		rr.data = get_name(rd, abuf, alen, &rr.len);
		break;
	}
	if (rr.data == NULL)
		return -1;
	if ((v = realloc(a->rr, (a->nrr + 1) * sizeof(*v))) == NULL) {
		free(rr.data);
		return -1;
	}
	a->rr = v;
	a->rr[a->nrr++] = rr;
	return 0;
}

/*
 * Parse a DNS reply into a: status from the RCODE, records of a->type
 * from the answer section, negative TTL from an SOA in the authority
 * section. Returns the TTL to cache for.
 */
static unsigned
parse(struct mxg_dns *dns, struct mxg_dns_ans *a, const unsigned char *abuf,
    int alen)
{
	const unsigned char *p, *end;
	unsigned qd, an, ns, rcode, type, rdlen, i;
	unsigned long ttl, minttl = 0xffffffffUL, negttl = 0;
	int have_neg = 0;

	a->status = MXG_DNS_ERROR;
	if (abuf == NULL || alen < HDR_LEN)
		return 0;
	end = abuf + alen;
	rcode = abuf[3] & 0x0f;
	qd = get16(abuf + 4);
	an = get16(abuf + 6);
	ns = get16(abuf + 8);
	p = abuf + HDR_LEN;
	for (i = 0; i < qd; i++) {
		if (skip_name(abuf, alen, &p) == -1 || end - p < 4)
			return 0;
		p += 4;
	}
	for (i = 0; i < an + ns; i++) {
		if (skip_name(abuf, alen, &p) == -1 || end - p < 10)
			return 0;
		type = get16(p);
		ttl = get32(p + 4);
		rdlen = get16(p + 8);
		p += 10;
		if ((size_t)(end - p) < rdlen)
			return 0;
		if (i < an && (int)type == a->type) {
			if (add_rr(a, p, rdlen, ttl, abuf, alen) == -1)
				return 0;
			if (ttl < minttl)
				minttl = ttl;
		} else if (i >= an && type == MXG_DNS_SOA && rdlen >= 22) {
			/* SOA MINIMUM is the last 32 bits of the rdata */
			negttl = get32(p + rdlen - 4);
			if (ttl < negttl)
				negttl = ttl;
			have_neg = 1;
		}
		p += rdlen;
	}
	switch (rcode) {
	case 0:
		a->status = a->nrr > 0 ? MXG_DNS_FOUND : MXG_DNS_NODATA;
		break;
	case 3:
		a->status = MXG_DNS_NXDOMAIN;
		break;
	default:
		a->status = MXG_DNS_SERVFAIL;
		return 0;
	}
	if (a->status == MXG_DNS_FOUND)
		ttl = minttl;
	else
		ttl = have_neg ? negttl : dns->neg_ttl;
	return (unsigned)(ttl > dns->max_ttl ? dns->max_ttl : ttl);
}

static void
answered(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct mxg_dns_ans *a = arg;
	struct mxg_dns *dns = a->dns;
	unsigned ttl = 0;

	(void)timeouts;
	switch (status) {
	case ARES_SUCCESS:
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
	case ARES_ESERVFAIL:
	case ARES_EREFUSED:
	case ARES_EFORMERR:
	case ARES_ENOTIMP:
		if (abuf != NULL)
			ttl = parse(dns, a, abuf, alen);
		else if (status == ARES_ENOTFOUND)
			a->status = MXG_DNS_NXDOMAIN;
		else if (status == ARES_ENODATA)
			a->status = MXG_DNS_NODATA;
		else
			a->status = MXG_DNS_SERVFAIL;
		/* c-ares ENODATA with NOERROR and no records */
		if (a->status == MXG_DNS_ERROR && status == ARES_ENODATA)
			a->status = MXG_DNS_NODATA;
		break;
	case ARES_ETIMEOUT:
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		a->status = MXG_DNS_TIMEOUT;
		break;
	case ARES_ECONNREFUSED:
		a->status = MXG_DNS_SERVFAIL;
		break;
	default:
		a->status = MXG_DNS_ERROR;
		break;
	}
	if (status != ARES_EDESTRUCTION && a->status != MXG_DNS_FOUND &&
	    a->status != MXG_DNS_NXDOMAIN && a->status != MXG_DNS_NODATA)
		mxg_log(&dns->log, MXG_LOG_DEBUG, "dns: %s type %d: %s (%s)",
		    a->name, a->type, mxg_dns_status_name(a->status),
		    ares_strerror(status));
	mxg_dns_now(&a->expires);
	if (a->status == MXG_DNS_FOUND || a->status == MXG_DNS_NXDOMAIN ||
	    a->status == MXG_DNS_NODATA) {
		a->expires.tv_sec += ttl;
		if (dns->share != NULL)
			mxg_dns_share_put(dns->share, a, ttl);
	}
	if (dns->pending > 0)
		dns->pending--;
	mxg_dns_release(a);
}

/* mxg_dns_start: see mxg_dns.h. */
struct mxg_dns_ans *
mxg_dns_start(struct mxg_dns *dns, const char *name, int type)
{
	struct mxg_dns_ans *a, *next;
	struct timespec now;
	char key[NAME_MAX_LEN + 1];
	unsigned h;
	long left;

	/* first, so that a child drops the parent's queries in flight */
	if (!usable(dns) || normalise(name, key) == -1) {
		if ((a = calloc(1, sizeof(*a))) == NULL)
			return NULL;
		if ((a->name = strdup("(bad name)")) == NULL) {
			free(a);
			return NULL;
		}
		a->dns = dns;
		a->type = type;
		a->status = MXG_DNS_ERROR;
		a->refs = 1;
		return a;
	}
	mxg_dns_now(&now);
	h = hash(key, type);
	for (next = dns->bucket[h]; next != NULL; next = next->next) {
		if (next->type != type || strcmp(next->name, key) != 0)
			continue;
		if (next->status == MXG_DNS_PENDING ||
		    !expired(&next->expires, &now)) {
			dns->hits++;
			return mxg_dns_ref(next);
		}
		unlink_ans(dns, next);
		if (next->refs == 0)
			ans_free(next);
		break;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if ((a->name = strdup(key)) == NULL) {
		free(a);
		return NULL;
	}
	a->dns = dns;
	a->type = type;
	a->status = MXG_DNS_PENDING;
	if (dns->nentries >= dns->max_entries)
		make_room(dns, h, &now);
	if (dns->nentries < dns->max_entries) {
		a->next = dns->bucket[h];
		dns->bucket[h] = a;
		a->cached = 1;
		dns->nentries++;
	}
	/* a sibling process may have asked already */
	if (dns->share != NULL &&
	    (left = mxg_dns_share_get(dns->share, a, dns->max_ttl)) > 0) {
		a->expires = now;
		a->expires.tv_sec += left;
		a->refs = 1;
		dns->shared++;
		return a;
	}
	a->refs = 2; /* the caller's and the query's */
	dns->pending++;
	dns->sent++;
	ares_query(dns->ch, a->name, 1 /* C_IN */, type, answered, a);
	return a;
}

/* mxg_dns_fds: see mxg_dns.h. */
int
mxg_dns_fds(struct mxg_dns *dns, struct pollfd *fds, int nfds, long max_ms,
    int *timeout_ms)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct timeval maxtv, tv, *tvp;
	int bits, i, n = 0;
	long ms;

	if (!usable(dns)) {
		if (timeout_ms != NULL)
			*timeout_ms = 0;
		return 0;
	}
	/* ARES_GETSOCK_WRITABLE shifts an int by 31: test the bits here */
	bits = ares_getsock(dns->ch, socks, ARES_GETSOCK_MAXNUM);
	for (i = 0; i < ARES_GETSOCK_MAXNUM && n < nfds; i++) {
		short ev = 0;

		if ((unsigned)bits & (1u << i))
			ev |= POLLIN;
		if ((unsigned)bits & (1u << (i + ARES_GETSOCK_MAXNUM)))
			ev |= POLLOUT;
		if (ev == 0)
			continue;
		fds[n].fd = socks[i];
		fds[n].events = ev;
		fds[n].revents = 0;
		n++;
	}
	if (timeout_ms != NULL) {
		if (max_ms >= 0) {
			maxtv.tv_sec = max_ms / 1000;
			maxtv.tv_usec = (max_ms % 1000) * 1000;
			tvp = ares_timeout(dns->ch, &maxtv, &tv);
		} else
			tvp = ares_timeout(dns->ch, NULL, &tv);
		if (tvp == NULL)
			ms = dns->pending > 0 ? 1000 : -1;
		else
			ms = (long)tvp->tv_sec * 1000 +
			    (tvp->tv_usec + 999) / 1000;
		if (max_ms >= 0 && (ms < 0 || ms > max_ms))
			ms = max_ms;
		*timeout_ms = (int)ms;
	}
	return n;
}

/* mxg_dns_process: see mxg_dns.h. */
void
mxg_dns_process(struct mxg_dns *dns, const struct pollfd *fds, int nfds)
{
	int i;

	if (!usable(dns))
		return;
	for (i = 0; i < nfds; i++) {
		ares_socket_t r = ARES_SOCKET_BAD, w = ARES_SOCKET_BAD;

		if (fds[i].revents & (POLLIN | POLLERR | POLLHUP))
			r = fds[i].fd;
		if (fds[i].revents & POLLOUT)
			w = fds[i].fd;
		if (r != ARES_SOCKET_BAD || w != ARES_SOCKET_BAD)
			ares_process_fd(dns->ch, r, w);
	}
	/* timers: retransmit or give up */
	ares_process_fd(dns->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

/* mxg_dns_wait: see mxg_dns.h. */
int
mxg_dns_wait(struct mxg_dns *dns, const struct mxg_dns_ans *a,
    const struct timespec *deadline)
{
	struct pollfd fds[ARES_GETSOCK_MAXNUM];
	int n, to;
	long left;

	for (;;) {
		if (a != NULL ? a->status != MXG_DNS_PENDING
		              : dns->pending == 0)
			return 1;
		if ((left = mxg_dns_ms_until(deadline)) == 0)
			return 0;
		n = mxg_dns_fds(dns, fds, ARES_GETSOCK_MAXNUM, left, &to);
		if (poll(fds, (nfds_t)n, to) == -1 && errno != EINTR) {
			mxg_log(&dns->log, MXG_LOG_ERR, "dns: poll: %s",
			    strerror(errno));
			return 0;
		}
		mxg_dns_process(dns, fds, n);
	}
}
