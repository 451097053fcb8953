/*
 * mxg_grey.h: the greylisting state machine (milter-greylist semantics),
 * a pure function of a record, the time and the parameters. Stores call
 * it under their lock; tests call it directly.
 */
#ifndef MXG_GREY_H
#define MXG_GREY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mxgrey.h"

enum mxg_rec_state {
	MXG_REC_PENDING = 1,  /* greylisted, waiting out its delay */
	MXG_REC_AUTOWHITE = 2 /* passed: accepted until `until` */
};

/* One stored record (decoded). */
struct mxg_record {
	int state;       /* MXG_REC_* */
	int64_t created; /* first seen */
	int64_t until;   /* pending: delay ends; autowhite: end */
	int64_t expire;  /* the record may be deleted after this */
	uint32_t hits;   /* decisions that touched this record */
};

#define MXG_RECORD_VERSION 1
#define MXG_RECORD_SIZE    32 /* encoded bytes */

struct mxg_grey_params {
	long delay;     /* seconds to wait out */
	long autowhite; /* autowhite lifetime; 0: none */
	long timeout;   /* pending record lifetime */
	int lazyaw;     /* autowhite per IP */
	int dryrun;     /* decide, write nothing */
};

struct mxg_grey_result {
	enum mxg_reason reason; /* NEW, EARLY, PASSED, AUTOWHITE */
	long remaining;         /* NEW/EARLY: seconds left */
	time_t autowhite_until; /* PASSED/AUTOWHITE */
	long elapsed;           /* PASSED: seconds since first sight */
};

/*
 * mxg_grey_step: decide for a tuple whose stored record is rec (NULL: no
 * record) at now with p. Returns 1 with the record to write in *out, or
 * 0 when the record is to be deleted (passed with no autowhite, or with
 * lazyaw: the caller then makes the IP entry with mxg_grey_white_make).
 * Always fills *r.
 */
int mxg_grey_step(const struct mxg_record *rec, const struct mxg_grey_params *p,
    int64_t now, struct mxg_record *out, struct mxg_grey_result *r);

/*
 * mxg_grey_white_check: with lazyaw, look at the IP record rec (NULL:
 * none) first. Returns 1 when it is a live autowhite entry: *out is the
 * slid record to write and *r says AUTOWHITE; 0: go on with the tuple.
 */
int mxg_grey_white_check(const struct mxg_record *rec,
    const struct mxg_grey_params *p, int64_t now, struct mxg_record *out,
    struct mxg_grey_result *r);

/*
 * mxg_grey_white_make: with lazyaw, after mxg_grey_step() said PASSED,
 * the IP record to write (rec: current IP record or NULL). Returns 0 when
 * autowhite is off (write nothing), else 1 with *out.
 */
int mxg_grey_white_make(const struct mxg_record *rec,
    const struct mxg_grey_params *p, int64_t now, struct mxg_record *out);

/*
 * mxg_record_encode / decode: the versioned on-disk form (MXG_RECORD_SIZE
 * bytes, little endian). decode returns 0, or -1 for a record of another
 * version or size (treated as absent by callers, and logged).
 */
void mxg_record_encode(const struct mxg_record *rec, unsigned char *buf);
int mxg_record_decode(
    const unsigned char *buf, size_t len, struct mxg_record *rec);

/*
 * mxg_record_pack / unpack: the compact form the tdb store keeps on disk
 * (MXG_RECORD_PACKED bytes: version 2, state, then hits, created, until,
 * expire as 32-bit little-endian; times are seconds since 1970 up to
 * 2106, clamped). unpack returns 0, or -1 for anything else (treated as
 * absent by callers).
 */
#define MXG_RECORD_PACKED_VERSION 2
#define MXG_RECORD_PACKED         18
void mxg_record_pack(const struct mxg_record *rec, unsigned char *buf);
int mxg_record_unpack(
    const unsigned char *buf, size_t len, struct mxg_record *rec);

#endif
