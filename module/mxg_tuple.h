/*
 * mxg_tuple.h: the greylist tuple (masked client IP, sender, recipient)
 * normalised, and its store key.
 */
#ifndef MXG_TUPLE_H
#define MXG_TUPLE_H

#include <stddef.h>

#include "mxg_ip.h"

#define MXG_ADDR_MAX 320 /* longest address kept: RFC 5321 limits */
#define MXG_KEY_MAX  (2 + 1 + 16 + MXG_ADDR_MAX * 2 + 1)

/* Key kinds: the first byte of every store key. */
#define MXG_KEY_TUPLE 'T' /* ip/prefix + sender + rcpt */
#define MXG_KEY_IP    'W' /* ip/prefix only: lazyaw autowhite */
#define MXG_KEY_META  'M' /* engine metadata: generation ... */

struct mxg_tuple {
	struct mxg_ip ip;              /* already masked */
	int prefix;                    /* mask length used */
	char sender[MXG_ADDR_MAX + 1]; /* lowercase, tags stripped */
	char rcpt[MXG_ADDR_MAX + 1];   /* lowercase */
};

/*
 * mxg_tuple_make: build the tuple for a client ip masked to v4prefix or
 * v6prefix, an envelope sender (VERP, BATV and SRS tags stripped,
 * lowercased, <> dropped) and a recipient (lowercased, <> dropped).
 * Returns 0, or -1 when an address is longer than MXG_ADDR_MAX or holds a
 * control character or NUL within len.
 */
int mxg_tuple_make(struct mxg_tuple *t, const struct mxg_ip *ip, int v4prefix,
    int v6prefix, const char *sender, const char *rcpt);

/*
 * mxg_addr_strip: copy address a into out (size bytes) without angle
 * brackets, lowercased, and when tags is nonzero with VERP, BATV (prvs=)
 * and SRS (SRS0=/SRS1=) encodings undone. Returns 0 or -1 (too long,
 * control character).
 */
int mxg_addr_strip(const char *a, int tags, char *out, size_t size);

/*
 * mxg_tuple_key: write the store key of kind (MXG_KEY_TUPLE or
 * MXG_KEY_IP) into buf (at least MXG_KEY_MAX bytes). Returns its length.
 */
size_t mxg_tuple_key(const struct mxg_tuple *t, int kind, unsigned char *buf);

/*
 * mxg_tuple_from_key: the reverse, for dump and migrate. Returns the kind,
 * or -1 for a key that is not a tuple or IP key.
 */
int mxg_tuple_from_key(
    const unsigned char *key, size_t len, struct mxg_tuple *t);

#endif
