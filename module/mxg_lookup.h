/*
 * mxg_lookup.h: the lookup provider (struct mxg_lookup_ops of
 * mxg_rules.h): DNSRBL, SPF, rDNS through the c-ares resolver of
 * mxg_dns.h, GeoIP through libmaxminddb. One struct mxg_lookup per
 * engine (per process); one request at a time, begun with
 * mxg_lookup_begin().
 *
 * Blocking use (mxg_check), one request at a time per provider:
 *	mxg_lookup_begin(lk, &ev);
 *	ev.lookup = mxg_lookup_ops(); ev.lookup_ctx = lk;
 *	ev.lookup->prefetch(lk, rs, stage);	// all queries go out now
 *	mxg_rules_eval(...);	// each op waits as needed
 *	mxg_lookup_end(lk);
 *
 * Non-blocking use (event loop): after begin, call the prefetch op (or
 * mxg_lookup_prefetch), then until mxg_lookup_done() is 1: poll the fds
 * of mxg_lookup_fds() for at most its timeout and hand the result to
 * mxg_lookup_process(). Evaluation then finds every answer ready (the
 * SPF record, its include/redirect/a/mx targets and MX hosts are fetched
 * ahead; deeper or macro names may still wait, bounded by the deadline).
 * Many sessions at once: one struct mxg_lookup_req each (below).
 *
 * Every wait ends at the request's deadline: begin time + the resolver
 * timeout, for all the request's lookups together (an SPF chain too). A
 * lookup not answered by then could not decide (-1, why says which).
 * Answers are cached for their TTL (negative ones too: SOA minimum, or
 * 60 s) per process and, with mxg_lookup_share(), in a file shared by
 * every process of the host. Failures are logged once per cause until
 * the lookup works again.
 */
#ifndef MXG_LOOKUP_H
#define MXG_LOOKUP_H

#include <poll.h>
#include <stddef.h>
#include <time.h>

#include "mxg_dns.h"
#include "mxg_ip.h"
#include "mxg_log.h"
#include "mxg_rules.h"

struct mxg_lookup;

/* Settings; zero/NULL members take defaults (see mxg_dns_conf). */
struct mxg_lookup_conf {
	const char *servers;    /* "addr:port,[v6]:port"; NULL resolv.conf */
	long timeout_ms;        /* whole request; default 5000 */
	const char *geoip_db;   /* .mmdb path; NULL: GeoIP undecided */
	size_t cache_entries;   /* default 4096 */
	const char *share_path; /* shared answer file; NULL: none */
};

/*
 * mxg_lookup_new: a provider for the settings of cf (`resolver`,
 * `timeout`, `geoipdb`/`geoip2db`). log may be NULL; it is copied.
 * Returns NULL when out of memory or when the resolver cannot be set up
 * (logged). Does not block; the GeoIP database opens on first use.
 */
struct mxg_lookup *mxg_lookup_new(
    const struct mxg_config *cf, const struct mxg_log *log);

/* mxg_lookup_new_conf: the same from plain settings (tests, tools). */
struct mxg_lookup *mxg_lookup_new_conf(
    const struct mxg_lookup_conf *conf, const struct mxg_log *log);

/*
 * mxg_lookup_free: cancel every query and release everything (the
 * current request is ended first). Accepts NULL.
 */
void mxg_lookup_free(struct mxg_lookup *lk);

/*
 * mxg_lookup_begin: start a request for ev (client IP, sender, HELO and
 * the MTA's client name are read from ev and ev->req; ev must stay valid
 * until mxg_lookup_end). Ends a request still open. Sets the deadline.
 */
void mxg_lookup_begin(struct mxg_lookup *lk, const struct mxg_eval *ev);

/*
 * mxg_lookup_end: forget the request's memo (answers stay in the cache;
 * queries in flight go on and fill it).
 */
void mxg_lookup_end(struct mxg_lookup *lk);

/* mxg_lookup_ops: the ops table for struct mxg_eval; ctx is the lk. */
const struct mxg_lookup_ops *mxg_lookup_ops(void);

/*
 * mxg_lookup_prefetch: start, all at once, the DNSRBL queries for the n
 * zones and the queries that needs (MXG_NEED_* bits of mxg_rules.h) ask
 * for. The prefetch op calls it with what the ruleset says. Does not
 * block.
 */
void mxg_lookup_prefetch(
    struct mxg_lookup *lk, const char *const *zones, size_t n, unsigned needs);

/*
 * mxg_lookup_fds: the sockets to poll (at most nfds) and in *timeout_ms
 * how long to wait at most (never past the request's deadline; 0 when
 * done). Returns the number of fds filled. Does not block.
 */
int mxg_lookup_fds(
    struct mxg_lookup *lk, struct pollfd *fds, int nfds, int *timeout_ms);

/* mxg_lookup_process: handle poll's answer; starts follow-up queries. */
void mxg_lookup_process(
    struct mxg_lookup *lk, const struct pollfd *fds, int nfds);

/*
 * mxg_lookup_done: 1 when every query the request started has an
 * answer or the deadline has passed, else 0.
 */
int mxg_lookup_done(struct mxg_lookup *lk);

/* mxg_lookup_wait: poll until mxg_lookup_done(). Blocks until then. */
void mxg_lookup_wait(struct mxg_lookup *lk);

/*
 * Several requests at once (an event loop serving many sessions): each
 * session has its own struct mxg_lookup_req with its own memo and
 * deadline, on the provider's shared resolver and cache. Its ops
 * (mxg_lookup_req_ops(), ctx = the req) and functions work like the
 * mxg_lookup_* ones above. Polling the fds of one request serves every
 * request; each request's timeout is capped by its own deadline.
 */
struct mxg_lookup_req;

/*
 * mxg_lookup_req_new: a request for ev (read as by mxg_lookup_begin; ev
 * must stay valid until mxg_lookup_req_free). NULL: out of memory. The
 * provider must outlive it.
 */
struct mxg_lookup_req *mxg_lookup_req_new(
    struct mxg_lookup *lk, const struct mxg_eval *ev);

/* mxg_lookup_req_free: end and release a request. Accepts NULL. */
void mxg_lookup_req_free(struct mxg_lookup_req *r);

/* mxg_lookup_req_ops: the ops table whose ctx is a struct mxg_lookup_req. */
const struct mxg_lookup_ops *mxg_lookup_req_ops(void);

/* As mxg_lookup_prefetch/fds/process/done/wait, for one request. */
void mxg_lookup_req_prefetch(struct mxg_lookup_req *r, const char *const *zones,
    size_t n, unsigned needs);
int mxg_lookup_req_fds(
    struct mxg_lookup_req *r, struct pollfd *fds, int nfds, int *timeout_ms);
void mxg_lookup_req_process(
    struct mxg_lookup_req *r, const struct pollfd *fds, int nfds);
int mxg_lookup_req_done(struct mxg_lookup_req *r);
void mxg_lookup_req_wait(struct mxg_lookup_req *r);

/*
 * mxg_lookup_share: keep answers also in the tdb file at path, shared by
 * every process of the host (see mxg_dns_set_share), so a new Exim child
 * does not ask again what a sibling has just learned. The engine would
 * pass e.g. its tdb store path + ".dns". Returns 0, -1 out of memory.
 */
int mxg_lookup_share(struct mxg_lookup *lk, const char *path);

/* mxg_lookup_dns: the resolver, shared by the SPF layer and tests. */
struct mxg_dns *mxg_lookup_dns(struct mxg_lookup *lk);

/*
 * mxg_lookup_reverse: the DNSRBL/PTR form of ip under zone
 * ("2.0.0.127.zone", nibbles for v6; zone NULL: in-addr.arpa/ip6.arpa)
 * into buf. Returns 0, or -1 if it does not fit.
 */
int mxg_lookup_reverse(
    const struct mxg_ip *ip, const char *zone, char *buf, size_t size);

/* SPF through libspf2 on our resolver (mxg_spf.c). */
struct mxg_spf;

/* mxg_spf_new: an SPF checker resolving through dns. NULL: no memory. */
struct mxg_spf *mxg_spf_new(struct mxg_dns *dns, const struct mxg_log *log);

/* mxg_spf_free: release it. Accepts NULL. */
void mxg_spf_free(struct mxg_spf *sp);

/*
 * mxg_spf_check: SPF result (MXG_SPF_*) for ip sending as sender ("" or
 * NULL: the null sender, checked as postmaster@helo) into *result.
 * Returns 1 with a result; -1 could not decide with *why set (a DNS
 * timeout or server failure during evaluation: *result is then
 * MXG_SPF_TEMPERROR, never libspf2's "invalid"). why points into sp,
 * valid until the next check. Blocks at most until deadline.
 */
int mxg_spf_check(struct mxg_spf *sp, const struct mxg_ip *ip,
    const char *sender, const char *helo, const struct timespec *deadline,
    int *result, const char **why);

/* GeoIP through libmaxminddb (mxg_geoip.c). */
struct mxg_geoip;

/* mxg_geoip_new: for the database at path (opened on first use). */
struct mxg_geoip *mxg_geoip_new(const char *path, const struct mxg_log *log);

/*
 * mxg_geoip_probe: open the database at path and close it again, to know
 * at load time that it will open. Returns 0, or -1 with "cannot open
 * path: reason" in why (size bytes). Reads the file's metadata only.
 */
int mxg_geoip_probe(const char *path, char *why, size_t size);

/* mxg_geoip_free: close and release. Accepts NULL. */
void mxg_geoip_free(struct mxg_geoip *g);

/*
 * mxg_geoip_country: ISO country of ip into cc[3]. Returns 1 found, 0
 * not in the database (cc ""), -1 no usable database (*why set). Reopens
 * the database when its file changed (one stat(2) per call). Does not
 * block on the network.
 */
int mxg_geoip_country(
    struct mxg_geoip *g, const struct mxg_ip *ip, char cc[3], const char **why);

#endif
