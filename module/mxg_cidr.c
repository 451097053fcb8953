/*
 * mxg_cidr.c: prefix sets as binary radix trees, one per address family.
 * Nodes live in one array and refer to their children by index, so a
 * lookup is a walk of at most 32 or 128 steps over contiguous memory.
 */
#include <stdlib.h>
#include <string.h>

#include "mxgrey.h"
#include "mxg_cidr.h"

struct node {
	unsigned child[2]; /* 0: none (node 0 is never a child) */
	unsigned term;     /* a prefix ends here */
};

struct tree {
	struct node *n;
	unsigned len, cap;
};

struct mxg_cidr {
	struct tree t4, t6;
	unsigned count;
};

static int
newnode(struct tree *t, unsigned *idx)
{
	struct node *nn;
	unsigned cap;

	if (t->len == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		nn = realloc(t->n, cap * sizeof(*nn));
		if (nn == NULL)
			return MXG_ENOMEM;
		t->n = nn;
		t->cap = cap;
	}
	memset(&t->n[t->len], 0, sizeof(t->n[0]));
	*idx = t->len++;
	return 0;
}

/* mxg_cidr_new: see mxg_cidr.h. */
struct mxg_cidr *
mxg_cidr_new(void)
{
	struct mxg_cidr *c;
	unsigned root;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (newnode(&c->t4, &root) != 0 || newnode(&c->t6, &root) != 0) {
		mxg_cidr_free(c);
		return NULL;
	}
	return c;
}

static int
bit(const unsigned char *a, int i)
{
	return (a[i >> 3] >> (7 - (i & 7))) & 1;
}

/* mxg_cidr_add: see mxg_cidr.h. */
int
mxg_cidr_add(struct mxg_cidr *c, const struct mxg_ip *ip, int prefix)
{
	struct tree *t;
	unsigned cur, next;
	int i, max, b;

	t = ip->family == 6 ? &c->t6 : &c->t4;
	max = ip->family == 6 ? 128 : 32;
	if (prefix < 0)
		prefix = 0;
	if (prefix > max)
		prefix = max;
	cur = 0;
	for (i = 0; i < prefix; i++) {
		if (t->n[cur].term)
			break; /* a shorter prefix already covers it */
		b = bit(ip->a, i);
		if (t->n[cur].child[b] == 0) {
			if (newnode(t, &next) != 0)
				return MXG_ENOMEM;
			t->n[cur].child[b] = next;
		}
		cur = t->n[cur].child[b];
	}
	t->n[cur].term = 1;
	c->count++;
	return 0;
}

/* mxg_cidr_match: see mxg_cidr.h. */
int
mxg_cidr_match(const struct mxg_cidr *c, const struct mxg_ip *ip)
{
	const struct tree *t;
	unsigned cur;
	int i, max;

	t = ip->family == 6 ? &c->t6 : &c->t4;
	max = ip->family == 6 ? 128 : 32;
	cur = 0;
	for (i = 0;; i++) {
		if (t->n[cur].term)
			return 1;
		if (i == max)
			return 0;
		cur = t->n[cur].child[bit(ip->a, i)];
		if (cur == 0)
			return 0;
	}
}

/* mxg_cidr_count: see mxg_cidr.h. */
unsigned
mxg_cidr_count(const struct mxg_cidr *c)
{
	return c->count;
}

/* mxg_cidr_free: see mxg_cidr.h. */
void
mxg_cidr_free(struct mxg_cidr *c)
{
	if (c == NULL)
		return;
	free(c->t4.n);
	free(c->t6.n);
	free(c);
}
