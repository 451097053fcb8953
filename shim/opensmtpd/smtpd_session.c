/*
 * smtpd_session.c: the session table, a chained hash that doubles when it
 * fills up. Session ids are random-looking 64-bit numbers from smtpd, so
 * the low bits mixed with the high ones make a fine hash.
 */
#include <stdlib.h>
#include <string.h>

#include "smtpd_session.h"

#define INITIAL_BUCKETS 256

struct smtpd_sessions {
	struct smtpd_session **bucket;
	size_t nbuckets; /* a power of two */
	size_t count;
};

static size_t
slot(uint64_t id, size_t nbuckets)
{
	id ^= id >> 29;
	id *= 0xbf58476d1ce4e5b9ULL;
	id ^= id >> 32;
	return (size_t)id & (nbuckets - 1);
}

struct smtpd_sessions *
smtpd_sessions_new(void)
{
	struct smtpd_sessions *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->nbuckets = INITIAL_BUCKETS;
	if ((t->bucket = calloc(t->nbuckets, sizeof(*t->bucket))) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

/* Free what a session owns besides itself. */
static void
release(struct smtpd_session *s)
{
	smtpd_session_tx_reset(s);
	free(s);
}

void
smtpd_sessions_free(struct smtpd_sessions *t)
{
	struct smtpd_session *s, *next;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++)
		for (s = t->bucket[i]; s != NULL; s = next) {
			next = s->next;
			release(s);
		}
	free(t->bucket);
	free(t);
}

struct smtpd_session *
smtpd_session_find(struct smtpd_sessions *t, uint64_t id)
{
	struct smtpd_session *s;

	for (s = t->bucket[slot(id, t->nbuckets)]; s != NULL; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

/* Double the table; on failure keep the old one (just longer chains). */
static void
grow(struct smtpd_sessions *t)
{
	struct smtpd_session **nb, *s, *next;
	size_t n = t->nbuckets * 2, i, k;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++)
		for (s = t->bucket[i]; s != NULL; s = next) {
			next = s->next;
			k = slot(s->id, n);
			s->next = nb[k];
			nb[k] = s;
		}
	free(t->bucket);
	t->bucket = nb;
	t->nbuckets = n;
}

struct smtpd_session *
smtpd_session_get(struct smtpd_sessions *t, uint64_t id)
{
	struct smtpd_session *s;
	size_t k;

	if ((s = smtpd_session_find(t, id)) != NULL)
		return s;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->id = id;
	if (t->count >= t->nbuckets)
		grow(t);
	k = slot(id, t->nbuckets);
	s->next = t->bucket[k];
	t->bucket[k] = s;
	t->count++;
	return s;
}

void
smtpd_session_del(struct smtpd_sessions *t, uint64_t id)
{
	struct smtpd_session **pp, *s;

	for (pp = &t->bucket[slot(id, t->nbuckets)]; (s = *pp) != NULL;
	     pp = &s->next)
		if (s->id == id) {
			*pp = s->next;
			release(s);
			t->count--;
			return;
		}
}

size_t
smtpd_sessions_count(const struct smtpd_sessions *t)
{
	return t->count;
}

void
smtpd_session_set(char *dst, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (size == 0)
		return;
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

void
smtpd_session_tx_reset(struct smtpd_session *s)
{
	size_t i;

	s->msgid[0] = '\0';
	s->have_sender = 0;
	s->sender_bad = 0;
	s->sender[0] = '\0';
	s->rcpts = 0;
	for (i = 0; i < s->nok_rcpts; i++)
		free(s->ok_rcpts[i]);
	free(s->ok_rcpts);
	s->ok_rcpts = NULL;
	s->nok_rcpts = 0;
	free(s->hdr);
	s->hdr = NULL;
	s->hdrlen = 0;
	free(s->body);
	s->body = NULL;
	s->bodylen = 0;
	s->msgsize = 0;
	s->in_body = 0;
}

int
smtpd_session_add_rcpt(struct smtpd_session *s, const char *addr)
{
	char **n, *copy;
	size_t len = strlen(addr);

	if (s->nok_rcpts >= 100000)
		return -1;
	if ((copy = malloc(len + 1)) == NULL)
		return -1;
	memcpy(copy, addr, len + 1);
	n = realloc(s->ok_rcpts, (s->nok_rcpts + 1) * sizeof(*n));
	if (n == NULL) {
		free(copy);
		return -1;
	}
	n[s->nok_rcpts++] = copy;
	s->ok_rcpts = n;
	return 0;
}

/* Append len bytes and a newline to *buf (kept up to max, NUL-ended). */
static int
append(char **buf, size_t *buflen, size_t max, const char *p, size_t len)
{
	size_t room;

	if (*buf == NULL) {
		if ((*buf = malloc(max + 1)) == NULL)
			return -1;
		(*buf)[0] = '\0';
	}
	room = max - *buflen;
	if (len > room)
		len = room;
	memcpy(*buf + *buflen, p, len);
	*buflen += len;
	if (*buflen < max)
		(*buf)[(*buflen)++] = '\n';
	(*buf)[*buflen] = '\0';
	return 0;
}

int
smtpd_session_add_line(struct smtpd_session *s, const char *line)
{
	size_t len;

	if (strcmp(line, ".") == 0)
		return 0;
	if (line[0] == '.')
		line++; /* dot-stuffing */
	len = strlen(line);
	s->msgsize += len + 2;
	if (!s->in_body) {
		if (len == 0) {
			s->in_body = 1;
			return 0;
		}
		return append(&s->hdr, &s->hdrlen, SMTPD_HDR_MAX, line, len);
	}
	return append(&s->body, &s->bodylen, SMTPD_BODY_MAX, line, len);
}
