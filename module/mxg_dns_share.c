/*
 * mxg_dns_share.c: the second level of the answer cache, shared by every
 * process on the host through one tdb file, so that a fresh Exim child
 * does not ask again what a sibling just learned.
 *
 * The file is a direct-mapped table: an answer for (name, type) lives in
 * slot hash(name, type) % NSLOTS and a newer answer for another name
 * that hashes there replaces it. So the file never grows past NSLOTS
 * records and needs no sweeping; a record carries its name and is only
 * used when the name matches and its expiry (wall clock) is ahead.
 * Writes are single tdb_store() calls (atomic per record); no lock is
 * held across calls. Opened lazily in each process (after fork too).
 *
 * Record, version 1, integers big-endian:
 *	u8 version, u8 status, u16 type, i64 expires, u16 namelen, name,
 *	u16 nrr, then per record: u32 ttl, u16 pref, u16 len, data
 */
#include <sys/types.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tdb.h>

#include "mxgrey.h"
#include "mxg_dns.h"
#include "mxg_log.h"

#define NSLOTS     16384
#define HASHSIZE   4099
#define MAX_RECORD 4096
#define VERSION    1

struct mxg_dns_share {
	char *path;
	struct mxg_log log;
	struct tdb_context *tdb;
	struct mxg_dns_mark mark; /* the process tdb belongs to */
	int failed; /* open failed in this process: logged, not retried */
};

/* mxg_dns_share_new: see mxg_dns.h. */
struct mxg_dns_share *
mxg_dns_share_new(const char *path, const struct mxg_log *log)
{
	struct mxg_dns_share *sh;

	if ((sh = calloc(1, sizeof(*sh))) == NULL)
		return NULL;
	if ((sh->path = strdup(path)) == NULL) {
		free(sh);
		return NULL;
	}
	if (log != NULL)
		sh->log = *log;
	mxg_dns_mark_init(&sh->mark);
	return sh;
}

/* mxg_dns_share_free: see mxg_dns.h. */
void
mxg_dns_share_free(struct mxg_dns_share *sh)
{
	if (sh == NULL)
		return;
	/*
	 * Also in a child that inherited the handle: tdb keeps a list of
	 * the files open in the process and would refuse to open this one
	 * again while the inherited handle is on it.
	 */
	if (sh->tdb != NULL)
		tdb_close(sh->tdb);
	mxg_dns_mark_free(&sh->mark);
	free(sh->path);
	free(sh);
}

/* The tdb of this process, or NULL. */
static struct tdb_context *
db(struct mxg_dns_share *sh)
{
	if (!mxg_dns_mark_mine(&sh->mark)) {
		if (sh->tdb != NULL && tdb_reopen(sh->tdb) != 0)
			sh->tdb = NULL; /* tdb_reopen freed it */
		mxg_dns_mark_set(&sh->mark);
		sh->failed = 0;
	}
	if (sh->tdb == NULL && !sh->failed) {
		sh->tdb = tdb_open(
		    sh->path, HASHSIZE, TDB_DEFAULT, O_RDWR | O_CREAT, 0660);
		if (sh->tdb == NULL) {
			sh->failed = 1;
			mxg_log(&sh->log, MXG_LOG_WARNING,
			    "dns: shared cache %s unusable; answers are "
			    "cached per process only",
			    sh->path);
		}
	}
	return sh->tdb;
}

static uint32_t
slot(const char *name, int type)
{
	uint32_t h = 2166136261u;

	for (; *name != '\0'; name++) {
		h ^= (unsigned char)*name;
		h *= 16777619u;
	}
	h ^= (uint32_t)type;
	h *= 16777619u;
	return h % NSLOTS;
}

static TDB_DATA
key(unsigned char buf[10], const char *name, int type)
{
	TDB_DATA k;
	uint32_t s = slot(name, type);

	memcpy(buf, "mxgdns", 6);
	buf[6] = (unsigned char)(s >> 24);
	buf[7] = (unsigned char)(s >> 16);
	buf[8] = (unsigned char)(s >> 8);
	buf[9] = (unsigned char)s;
	k.dptr = buf;
	k.dsize = 10;
	return k;
}

static void
put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* mxg_dns_share_put: see mxg_dns.h. */
void
mxg_dns_share_put(
    struct mxg_dns_share *sh, const struct mxg_dns_ans *a, unsigned ttl)
{
	unsigned char rec[MAX_RECORD], kb[10], *p = rec;
	struct tdb_context *tdb;
	size_t need, nl, i;
	TDB_DATA k, v;
	int64_t exp;

	if (ttl == 0 ||
	    (a->status != MXG_DNS_FOUND && a->status != MXG_DNS_NXDOMAIN &&
	        a->status != MXG_DNS_NODATA))
		return;
	nl = strlen(a->name);
	need = 14 + nl + 2;
	for (i = 0; i < a->nrr; i++)
		need += 8 + a->rr[i].len;
	if (need > sizeof(rec) || a->nrr > 0xffff)
		return; /* too big to share: stays in this process */
	if ((tdb = db(sh)) == NULL)
		return;
	exp = (int64_t)time(NULL) + ttl;
	*p++ = VERSION;
	*p++ = (unsigned char)a->status;
	put16(p, (unsigned)a->type);
	p += 2;
	for (i = 0; i < 8; i++)
		*p++ = (unsigned char)((uint64_t)exp >> (56 - 8 * i));
	put16(p, (unsigned)nl);
	p += 2;
	memcpy(p, a->name, nl);
	p += nl;
	put16(p, (unsigned)a->nrr);
	p += 2;
	for (i = 0; i < a->nrr; i++) {
		p[0] = (unsigned char)(a->rr[i].ttl >> 24);
		p[1] = (unsigned char)(a->rr[i].ttl >> 16);
		p[2] = (unsigned char)(a->rr[i].ttl >> 8);
		p[3] = (unsigned char)a->rr[i].ttl;
		put16(p + 4, a->rr[i].pref);
		put16(p + 6, (unsigned)a->rr[i].len);
		memcpy(p + 8, a->rr[i].data, a->rr[i].len);
		p += 8 + a->rr[i].len;
	}
	k = key(kb, a->name, a->type);
	v.dptr = rec;
	v.dsize = (size_t)(p - rec);
	if (tdb_store(tdb, k, v, TDB_REPLACE) != 0)
		mxg_log(&sh->log, MXG_LOG_DEBUG, "dns: shared cache write: %s",
		    tdb_errorstr(tdb));
}

/* Decode rec into a (name and type already set). TTL left, or -1. */
static long
decode(const unsigned char *rec, size_t len, struct mxg_dns_ans *a,
    unsigned max_ttl)
{
	const unsigned char *p = rec, *end = rec + len;
	struct mxg_dns_rr *rr = NULL;
	size_t nl, n, i, l;
	uint64_t exp = 0;
	long left;
	int status;

	if (len < 16 || p[0] != VERSION)
		return -1;
	status = p[1];
	if ((int)get16(p + 2) != a->type)
		return -1;
	for (i = 0; i < 8; i++)
		exp = exp << 8 | p[4 + i];
	left = (long)((int64_t)exp - (int64_t)time(NULL));
	if (left <= 0 || left > (long)max_ttl)
		return -1;
	nl = get16(p + 12);
	p += 14;
	if ((size_t)(end - p) < nl + 2 || nl != strlen(a->name) ||
	    memcmp(p, a->name, nl) != 0)
		return -1;
	p += nl;
	n = get16(p);
	p += 2;
	if (status != MXG_DNS_FOUND && status != MXG_DNS_NXDOMAIN &&
	    status != MXG_DNS_NODATA)
		return -1;
	if (n > 0 && (rr = calloc(n, sizeof(*rr))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (end - p < 8)
			goto bad;
		rr[i].ttl = (unsigned)p[0] << 24 | (unsigned)p[1] << 16 |
		    (unsigned)p[2] << 8 | p[3];
		rr[i].pref = get16(p + 4);
		l = get16(p + 6);
		p += 8;
		if ((size_t)(end - p) < l ||
		    (rr[i].data = malloc(l + 1)) == NULL)
			goto bad;
		memcpy(rr[i].data, p, l);
		rr[i].data[l] = '\0';
		rr[i].len = l;
		p += l;
	}
	a->status = (enum mxg_dns_status)status;
	a->rr = rr;
	a->nrr = n;
	return left;
bad:
	for (i = 0; i < n; i++)
		free(rr[i].data);
	free(rr);
	return -1;
}

/* mxg_dns_share_get: see mxg_dns.h. */
long
mxg_dns_share_get(
    struct mxg_dns_share *sh, struct mxg_dns_ans *a, unsigned max_ttl)
{
	struct tdb_context *tdb;
	unsigned char kb[10];
	TDB_DATA v;
	long left;

	if ((tdb = db(sh)) == NULL)
		return -1;
	v = tdb_fetch(tdb, key(kb, a->name, a->type));
	if (v.dptr == NULL)
		return -1;
	left = decode(v.dptr, v.dsize, a, max_ttl);
	free(v.dptr);
	return left;
}
