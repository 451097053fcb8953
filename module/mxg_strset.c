/*
 * mxg_strset.c: case-insensitive string set, open addressing with linear
 * probing, load factor at most 1/2.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mxgrey.h"
#include "mxg_strset.h"

struct slot {
	char *s; /* NULL: empty */
	size_t len;
	uint32_t h;
};

struct mxg_strset {
	struct slot *slots;
	size_t cap; /* power of two */
	size_t count;
};

static unsigned char
lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static uint32_t
hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= lower((unsigned char)s[i]);
		h *= 16777619u;
	}
	return h;
}

static int
same(const struct slot *sl, uint32_t h, const char *s, size_t len)
{
	size_t i;

	if (sl->h != h || sl->len != len)
		return 0;
	for (i = 0; i < len; i++)
		if (lower((unsigned char)sl->s[i]) !=
		    lower((unsigned char)s[i]))
			return 0;
	return 1;
}

/* mxg_strset_new: see mxg_strset.h. */
struct mxg_strset *
mxg_strset_new(void)
{
	struct mxg_strset *set;

	if ((set = calloc(1, sizeof(*set))) == NULL)
		return NULL;
	set->cap = 16;
	if ((set->slots = calloc(set->cap, sizeof(*set->slots))) == NULL) {
		free(set);
		return NULL;
	}
	return set;
}

static int
grow(struct mxg_strset *set)
{
	struct slot *ns;
	size_t cap, i, j;

	cap = set->cap * 2;
	if ((ns = calloc(cap, sizeof(*ns))) == NULL)
		return MXG_ENOMEM;
	for (i = 0; i < set->cap; i++) {
		if (set->slots[i].s == NULL)
			continue;
		j = set->slots[i].h & (cap - 1);
		while (ns[j].s != NULL)
			j = (j + 1) & (cap - 1);
		ns[j] = set->slots[i];
	}
	free(set->slots);
	set->slots = ns;
	set->cap = cap;
	return 0;
}

/* mxg_strset_add: see mxg_strset.h. Adding a present string is a no-op. */
int
mxg_strset_add(struct mxg_strset *set, const char *s, size_t len)
{
	uint32_t h;
	size_t j;
	char *copy;

	if (mxg_strset_has(set, s, len))
		return 0;
	if ((set->count + 1) * 2 > set->cap && grow(set) != 0)
		return MXG_ENOMEM;
	if ((copy = malloc(len + 1)) == NULL)
		return MXG_ENOMEM;
	memcpy(copy, s, len);
	copy[len] = '\0';
	h = hash(s, len);
	j = h & (set->cap - 1);
	while (set->slots[j].s != NULL)
		j = (j + 1) & (set->cap - 1);
	set->slots[j].s = copy;
	set->slots[j].len = len;
	set->slots[j].h = h;
	set->count++;
	return 0;
}

/* mxg_strset_has: see mxg_strset.h. */
int
mxg_strset_has(const struct mxg_strset *set, const char *s, size_t len)
{
	uint32_t h;
	size_t j;

	if (set->count == 0)
		return 0;
	h = hash(s, len);
	j = h & (set->cap - 1);
	while (set->slots[j].s != NULL) {
		if (same(&set->slots[j], h, s, len))
			return 1;
		j = (j + 1) & (set->cap - 1);
	}
	return 0;
}

/* mxg_strset_count: see mxg_strset.h. */
size_t
mxg_strset_count(const struct mxg_strset *set)
{
	return set->count;
}

/* mxg_strset_free: see mxg_strset.h. */
void
mxg_strset_free(struct mxg_strset *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->cap; i++)
		free(set->slots[i].s);
	free(set->slots);
	free(set);
}
