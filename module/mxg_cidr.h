/*
 * mxg_cidr.h: a set of v4 and v6 prefixes (binary radix tree), built once
 * and then only read. Lookups never allocate.
 */
#ifndef MXG_CIDR_H
#define MXG_CIDR_H

#include "mxg_ip.h"

struct mxg_cidr;

/* mxg_cidr_new: an empty set, or NULL when out of memory. */
struct mxg_cidr *mxg_cidr_new(void);

/*
 * mxg_cidr_add: add ip/prefix (host bits past prefix are ignored; prefix
 * is clamped to the family's length). Returns 0 or MXG_ENOMEM.
 */
int mxg_cidr_add(struct mxg_cidr *c, const struct mxg_ip *ip, int prefix);

/* mxg_cidr_match: 1 when ip falls in any prefix of the set, else 0. */
int mxg_cidr_match(const struct mxg_cidr *c, const struct mxg_ip *ip);

/* mxg_cidr_count: how many prefixes were added. */
unsigned mxg_cidr_count(const struct mxg_cidr *c);

/* mxg_cidr_free: release the set. Accepts NULL. */
void mxg_cidr_free(struct mxg_cidr *c);

#endif
