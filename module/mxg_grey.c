/*
 * mxg_grey.c: the greylisting state machine and the record format.
 *
 * Semantics (milter-greylist): first sight of a tuple greylists it for
 * `delay`; a retry before the delay is greylisted again with the time
 * left; a retry after the delay and before `timeout` is accepted and
 * turns the record into an autowhite entry valid `autowhite`, which
 * slides forward on every hit. With lazyaw the autowhite entry is kept
 * per IP (mxg_grey_white_*), and the passed tuple record is deleted.
 */
#include <string.h>

#include "mxg_grey.h"

static void
fresh(struct mxg_record *out, const struct mxg_grey_params *p, int64_t now)
{
	out->state = MXG_REC_PENDING;
	out->created = now;
	out->until = now + (p->delay > 0 ? p->delay : 0);
	out->expire = now + (p->timeout > p->delay ? p->timeout : p->delay);
	out->hits = 1;
}

static void
make_white(struct mxg_record *out, const struct mxg_grey_params *p, int64_t now)
{
	out->state = MXG_REC_AUTOWHITE;
	if (out->until < now + p->autowhite)
		out->until = now + p->autowhite;
	out->expire = out->until;
}

/*
 * mxg_grey_step: decide for a tuple whose stored record is rec (NULL: no
 * record) at now with p. Returns 1 with the record to write in *out, or
 * 0 when the record is to be deleted (passed with no autowhite, or with
 * lazyaw: the caller then makes the IP entry with mxg_grey_white_make).
 * Always fills *r.
 */
int
mxg_grey_step(const struct mxg_record *rec, const struct mxg_grey_params *p,
    int64_t now, struct mxg_record *out, struct mxg_grey_result *r)
{
	memset(r, 0, sizeof(*r));
	if (rec == NULL || rec->expire <= now) {
		fresh(out, p, now);
		if (p->delay > 0) {
			r->reason = MXG_R_NEW;
			r->remaining = p->delay;
			return 1;
		}
		/* no delay at all: passes at first sight */
		rec = out;
	}
	*out = *rec;
	if (out->hits < UINT32_MAX)
		out->hits++;
	if (out->state == MXG_REC_PENDING && now < out->until) {
		r->reason = MXG_R_EARLY;
		r->remaining = (long)(out->until - now);
		if (r->remaining > p->delay && p->delay > 0)
			r->remaining = p->delay; /* clock went back */
		return 1;
	}
	if (out->state == MXG_REC_PENDING) {
		r->reason = MXG_R_PASSED;
		r->elapsed =
		    now > out->created ? (long)(now - out->created) : 0;
		if (p->autowhite <= 0 || p->lazyaw)
			return 0;
		out->until = now;
		make_white(out, p, now);
		r->autowhite_until = (time_t)out->until;
		return 1;
	}
	/* autowhite, not expired: slide forward */
	r->reason = MXG_R_AUTOWHITE;
	make_white(out, p, now);
	r->autowhite_until = (time_t)out->until;
	return 1;
}

/*
 * mxg_grey_white_check: with lazyaw, look at the IP record rec (NULL:
 * none). Returns 1 when it is a live autowhite entry: *out is the slid
 * record to write and *r says AUTOWHITE. Returns 0 otherwise (go on with
 * the tuple).
 */
int
mxg_grey_white_check(const struct mxg_record *rec,
    const struct mxg_grey_params *p, int64_t now, struct mxg_record *out,
    struct mxg_grey_result *r)
{
	if (rec == NULL || rec->state != MXG_REC_AUTOWHITE ||
	    rec->expire <= now)
		return 0;
	*out = *rec;
	if (out->hits < UINT32_MAX)
		out->hits++;
	make_white(out, p, now);
	memset(r, 0, sizeof(*r));
	r->reason = MXG_R_AUTOWHITE;
	r->autowhite_until = (time_t)out->until;
	return 1;
}

/*
 * mxg_grey_white_make: with lazyaw, the IP record to write after a tuple
 * passed (rec: the current IP record or NULL). Returns 0 when autowhite
 * is off (write nothing), else 1 with *out.
 */
int
mxg_grey_white_make(const struct mxg_record *rec,
    const struct mxg_grey_params *p, int64_t now, struct mxg_record *out)
{
	if (p->autowhite <= 0)
		return 0;
	if (rec != NULL && rec->state == MXG_REC_AUTOWHITE &&
	    rec->expire > now) {
		*out = *rec;
	} else {
		memset(out, 0, sizeof(*out));
		out->created = now;
		out->until = now;
	}
	if (out->hits < UINT32_MAX)
		out->hits++;
	make_white(out, p, now);
	return 1;
}

static void
put64(unsigned char *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get64(const unsigned char *b)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
}

/*
 * mxg_record_encode: version(1) state(1) reserved(2) hits(4 LE)
 * created(8 LE) until(8 LE) expire(8 LE) = MXG_RECORD_SIZE bytes.
 */
void
mxg_record_encode(const struct mxg_record *rec, unsigned char *buf)
{
	buf[0] = MXG_RECORD_VERSION;
	buf[1] = (unsigned char)rec->state;
	buf[2] = 0;
	buf[3] = 0;
	for (int i = 0; i < 4; i++)
		buf[4 + i] = (unsigned char)(rec->hits >> (8 * i));
	put64(buf + 8, (uint64_t)rec->created);
	put64(buf + 16, (uint64_t)rec->until);
	put64(buf + 24, (uint64_t)rec->expire);
}

/* mxg_record_decode: see mxg_grey.h. */
int
mxg_record_decode(const unsigned char *buf, size_t len, struct mxg_record *rec)
{
	if (buf == NULL || len != MXG_RECORD_SIZE ||
	    buf[0] != MXG_RECORD_VERSION ||
	    (buf[1] != MXG_REC_PENDING && buf[1] != MXG_REC_AUTOWHITE))
		return -1;
	rec->state = buf[1];
	rec->hits = (uint32_t)buf[4] | (uint32_t)buf[5] << 8 |
	    (uint32_t)buf[6] << 16 | (uint32_t)buf[7] << 24;
	rec->created = (int64_t)get64(buf + 8);
	rec->until = (int64_t)get64(buf + 16);
	rec->expire = (int64_t)get64(buf + 24);
	return 0;
}

static void
put32(unsigned char *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t
get32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}

static uint32_t
clamp32(int64_t t)
{
	return t < 0 ? 0 : t > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* mxg_record_pack: see mxg_grey.h. */
void
mxg_record_pack(const struct mxg_record *rec, unsigned char *buf)
{
	buf[0] = MXG_RECORD_PACKED_VERSION;
	buf[1] = (unsigned char)rec->state;
	put32(buf + 2, rec->hits);
	put32(buf + 6, clamp32(rec->created));
	put32(buf + 10, clamp32(rec->until));
	put32(buf + 14, clamp32(rec->expire));
}

/* mxg_record_unpack: see mxg_grey.h. */
int
mxg_record_unpack(const unsigned char *buf, size_t len, struct mxg_record *rec)
{
	if (buf == NULL || len != MXG_RECORD_PACKED ||
	    buf[0] != MXG_RECORD_PACKED_VERSION ||
	    (buf[1] != MXG_REC_PENDING && buf[1] != MXG_REC_AUTOWHITE))
		return -1;
	rec->state = buf[1];
	rec->hits = get32(buf + 2);
	rec->created = get32(buf + 6);
	rec->until = get32(buf + 10);
	rec->expire = get32(buf + 14);
	return 0;
}
