/*
 * mxg_strset.h: a set of strings compared without regard to ASCII case
 * (domains, addresses), open addressing. Built once, then only read;
 * lookups take (pointer, length) and never allocate.
 */
#ifndef MXG_STRSET_H
#define MXG_STRSET_H

#include <stddef.h>

struct mxg_strset;

/* mxg_strset_new: an empty set, or NULL when out of memory. */
struct mxg_strset *mxg_strset_new(void);

/* mxg_strset_add: add a copy of s (len bytes). 0 or MXG_ENOMEM. */
int mxg_strset_add(struct mxg_strset *set, const char *s, size_t len);

/* mxg_strset_has: 1 when s (len bytes) is in the set, else 0. */
int mxg_strset_has(const struct mxg_strset *set, const char *s, size_t len);

/* mxg_strset_count: number of distinct strings. */
size_t mxg_strset_count(const struct mxg_strset *set);

/* mxg_strset_free: release the set. Accepts NULL. */
void mxg_strset_free(struct mxg_strset *set);

#endif
