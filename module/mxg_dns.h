/*
 * mxg_dns.h: the one resolver of the engine, on c-ares, driven by poll(2)
 * through ares_getsock/ares_timeout (no threads), with a per-process
 * cache of answers kept for their TTL (negative answers too).
 *
 * A query is a cache entry: mxg_dns_start() finds a fresh entry or makes
 * one and sends the query; the caller holds a reference until it calls
 * mxg_dns_release(). A finished entry never changes; an expired one is
 * unlinked from the cache and a new entry takes its place.
 */
#ifndef MXG_DNS_H
#define MXG_DNS_H

#include <sys/types.h>

#include <poll.h>
#include <stddef.h>
#include <time.h>

#include "mxg_log.h"

struct mxg_dns;

/* Record types we ask for (the DNS numbers). */
#define MXG_DNS_A     1
#define MXG_DNS_NS    2
#define MXG_DNS_CNAME 5
#define MXG_DNS_SOA   6
#define MXG_DNS_PTR   12
#define MXG_DNS_MX    15
#define MXG_DNS_TXT   16
#define MXG_DNS_AAAA  28

/* State of one answer. */
enum mxg_dns_status {
	MXG_DNS_PENDING = 0, /* sent, no answer yet */
	MXG_DNS_FOUND,       /* records of the type exist (rr, nrr) */
	MXG_DNS_NXDOMAIN,    /* the name does not exist */
	MXG_DNS_NODATA,      /* the name exists, no record of the type */
	MXG_DNS_TIMEOUT,     /* no server answered in time */
	MXG_DNS_SERVFAIL,    /* a server failed or refused */
	MXG_DNS_ERROR        /* malformed answer, bad name, no memory */
};

/*
 * One record of an answer. A/AAAA: 4/16 address bytes. PTR, CNAME, NS:
 * the name as text. MX: the exchange name as text (preference in pref).
 * TXT: the character-strings of one record concatenated, as text. data is
 * NUL-terminated in every case (len does not count the NUL).
 */
struct mxg_dns_rr {
	unsigned ttl;
	unsigned pref;
	size_t len;
	char *data;
};

/* One answer: a cache entry. Read-only for callers. */
struct mxg_dns_ans {
	enum mxg_dns_status status;
	int type;
	char *name; /* lower case, no trailing dot */
	size_t nrr;
	struct mxg_dns_rr *rr;
	/* internal */
	struct timespec expires; /* CLOCK_MONOTONIC */
	unsigned refs;
	int cached; /* linked in the cache */
	struct mxg_dns *dns;
	struct mxg_dns_ans *next; /* hash chain */
};

/* Settings. Zero/NULL members take defaults. */
struct mxg_dns_conf {
	const char *servers; /* "127.0.0.1:5353,[::1]:53"; NULL: the
				   servers of /etc/resolv.conf */
	long timeout_ms;     /* one lookup, all tries; default 5000 */
	size_t max_entries;  /* cache size, default 4096 */
	unsigned neg_ttl;    /* negative answers without SOA, default 60 */
	unsigned max_ttl;    /* cap on every TTL, default 86400 */
};

/*
 * mxg_dns_new: make a resolver. Returns it, or NULL with *err set
 * (MXG_ENOMEM, MXG_EINVAL for unusable servers); the cause is logged.
 * log may be NULL. Does not block (reads /etc/resolv.conf).
 */
struct mxg_dns *mxg_dns_new(
    const struct mxg_dns_conf *conf, const struct mxg_log *log, int *err);

/*
 * mxg_dns_free: cancel every query, drop the cache, release the
 * resolver. Outstanding references must have been released before; the
 * answers they point to are freed too. Accepts NULL.
 */
void mxg_dns_free(struct mxg_dns *dns);

/* mxg_dns_timeout_ms: the per-lookup time limit in force. */
long mxg_dns_timeout_ms(const struct mxg_dns *dns);

/*
 * mxg_dns_start: the answer to (name, type): a fresh cached one, or one
 * already in flight, or a new query sent now. Returns a referenced answer
 * (status may be MXG_DNS_PENDING) that the caller releases with
 * mxg_dns_release(), or NULL when out of memory. A bad name gives a
 * finished MXG_DNS_ERROR answer. Does not block.
 */
struct mxg_dns_ans *mxg_dns_start(
    struct mxg_dns *dns, const char *name, int type);

/* mxg_dns_ref: take one more reference on a. Returns a. */
struct mxg_dns_ans *mxg_dns_ref(struct mxg_dns_ans *a);

/* mxg_dns_release: drop a reference (frees unlinked answers). NULL ok. */
void mxg_dns_release(struct mxg_dns_ans *a);

/*
 * mxg_dns_pending: number of queries in flight (including ones whose
 * caller has given up on them).
 */
unsigned mxg_dns_pending(const struct mxg_dns *dns);

/*
 * mxg_dns_fds: fill at most nfds pollfds with the sockets c-ares waits
 * on and return how many; *timeout_ms (if not NULL) gets c-ares' next
 * timer in ms, at most max_ms (max_ms < 0: no cap; -1 when nothing is
 * pending). Does not block.
 */
int mxg_dns_fds(struct mxg_dns *dns, struct pollfd *fds, int nfds, long max_ms,
    int *timeout_ms);

/*
 * mxg_dns_process: handle readiness in fds (as poll(2) left them) and
 * c-ares' timers; finished answers get their status. Does not block.
 */
void mxg_dns_process(struct mxg_dns *dns, const struct pollfd *fds, int nfds);

/*
 * mxg_dns_wait: poll and process until answer a is no longer pending
 * (a NULL: until no query is pending) or the monotonic deadline passes.
 * Returns 1 done, 0 deadline reached first. Blocks at most until the
 * deadline.
 */
int mxg_dns_wait(struct mxg_dns *dns, const struct mxg_dns_ans *a,
    const struct timespec *deadline);

/* mxg_dns_status_name: "found", "NXDOMAIN", "timeout" ... never NULL. */
const char *mxg_dns_status_name(enum mxg_dns_status s);

/*
 * mxg_dns_stats: queries sent to the network and answers served from
 * the cache since mxg_dns_new(), for tests and `stats`.
 */
void mxg_dns_stats(
    const struct mxg_dns *dns, unsigned long *sent, unsigned long *hits);

/*
 * mxg_dns_set_share: also keep answers in the tdb file at path, shared
 * by every process that sets the same path (a second-level cache, read
 * before asking the network, written with every cacheable answer). The
 * file is opened lazily in each process; if it cannot be, answers stay
 * per process (logged once). Returns 0, or -1 when out of memory.
 */
int mxg_dns_set_share(struct mxg_dns *dns, const char *path);

/* mxg_dns_shared_hits: answers taken from the shared file so far. */
unsigned long mxg_dns_shared_hits(const struct mxg_dns *dns);

/* The shared file itself (mxg_dns_share.c), for mxg_dns.c. */
struct mxg_dns_share;

/* mxg_dns_share_new: for the file at path. NULL: out of memory. */
struct mxg_dns_share *mxg_dns_share_new(
    const char *path, const struct mxg_log *log);

/* mxg_dns_share_free: close and release. Accepts NULL. */
void mxg_dns_share_free(struct mxg_dns_share *sh);

/*
 * mxg_dns_share_get: fill a (name and type set, no records) from the
 * file. Returns the seconds left to live (> 0) or -1 (none, expired,
 * another name in the slot, unusable file).
 */
long mxg_dns_share_get(
    struct mxg_dns_share *sh, struct mxg_dns_ans *a, unsigned max_ttl);

/* mxg_dns_share_put: store a finished answer a for ttl seconds. */
void mxg_dns_share_put(
    struct mxg_dns_share *sh, const struct mxg_dns_ans *a, unsigned ttl);

/*
 * A cheap "are we still the process that set this?" for the hot path: a
 * page the kernel zeroes in a child after fork(2) (MADV_WIPEONFORK), or
 * getpid() where that is not available.
 */
struct mxg_dns_mark {
	volatile unsigned char *page; /* NULL: compare pid */
	pid_t pid;
};

/* mxg_dns_mark_init: a mark for no process yet. Never fails. */
void mxg_dns_mark_init(struct mxg_dns_mark *m);

/* mxg_dns_mark_mine: 1 if set by this very process, else 0. */
int mxg_dns_mark_mine(const struct mxg_dns_mark *m);

/* mxg_dns_mark_set: this process owns it now. */
void mxg_dns_mark_set(struct mxg_dns_mark *m);

/* mxg_dns_mark_free: release the page. */
void mxg_dns_mark_free(struct mxg_dns_mark *m);

/* Monotonic time helpers shared by the lookup code. */
void mxg_dns_now(struct timespec *ts);
void mxg_dns_add_ms(struct timespec *ts, long ms);
/* ms from now until ts; 0 if past. */
long mxg_dns_ms_until(const struct timespec *ts);

#endif
