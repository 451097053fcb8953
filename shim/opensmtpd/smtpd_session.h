/*
 * smtpd_session.h: what the filter knows about each smtpd session, keyed
 * by the 64-bit session id, gathered from report events. A session lives
 * from link-connect (or its first event) until link-disconnect.
 */
#ifndef SMTPD_SESSION_H
#define SMTPD_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "smtpd_proto.h"

#define SMTPD_STR_MAX     512   /* longest rdns/helo/auth kept */
#define SMTPD_MAILBOX_MAX 1024  /* longest envelope address kept */
#define SMTPD_HDR_MAX     65536 /* header bytes kept for dacl rules */
#define SMTPD_BODY_MAX    65536 /* body bytes kept for dacl rules */

struct smtpd_session {
	uint64_t id;
	int local;     /* unix socket: not greylisted */
	int have_addr; /* addr holds the client address */
	char addr[SMTPD_ADDR_MAX];
	char rdns[SMTPD_STR_MAX]; /* "" when unknown */
	char helo[SMTPD_STR_MAX];
	char auth[SMTPD_STR_MAX]; /* "" unless link-auth passed */
	int tls;
	/* the current transaction */
	char msgid[17]; /* "" outside a transaction */
	int have_sender;
	int sender_bad; /* longer than SMTPD_MAILBOX_MAX */
	char sender[SMTPD_MAILBOX_MAX];
	unsigned rcpts; /* RCPT TO seen in it */
	/* the message, collected only for dacl rules */
	char **ok_rcpts; /* recipients smtpd accepted */
	size_t nok_rcpts;
	char *hdr; /* header block, NUL-terminated */
	size_t hdrlen;
	char *body; /* first SMTPD_BODY_MAX body bytes */
	size_t bodylen;
	size_t msgsize; /* whole message, bytes */
	int in_body;
	struct smtpd_session *next; /* hash chain */
};

struct smtpd_sessions;

/* smtpd_sessions_new: an empty table, or NULL when out of memory. */
struct smtpd_sessions *smtpd_sessions_new(void);

/* smtpd_sessions_free: free the table and every session. Accepts NULL. */
void smtpd_sessions_free(struct smtpd_sessions *t);

/* smtpd_session_find: the session with id, or NULL. */
struct smtpd_session *smtpd_session_find(struct smtpd_sessions *t, uint64_t id);

/*
 * smtpd_session_get: the session with id, created zeroed when absent.
 * NULL only when out of memory.
 */
struct smtpd_session *smtpd_session_get(struct smtpd_sessions *t, uint64_t id);

/* smtpd_session_del: forget the session with id, if any. */
void smtpd_session_del(struct smtpd_sessions *t, uint64_t id);

/* smtpd_sessions_count: how many sessions are open. */
size_t smtpd_sessions_count(const struct smtpd_sessions *t);

/*
 * smtpd_session_tx_reset: forget the transaction: envelope, recipients
 * and message (freed).
 */
void smtpd_session_tx_reset(struct smtpd_session *s);

/*
 * smtpd_session_add_rcpt: remember an accepted recipient. Returns 0, or
 * -1 when out of memory (the recipient is then missing).
 */
int smtpd_session_add_rcpt(struct smtpd_session *s, const char *addr);

/*
 * smtpd_session_add_line: add one DATA line as smtpd sends it (dot-
 * escaped, no CRLF; "." ends the message and is not added) to the
 * message: headers up to the first empty line, then the body, each kept
 * up to its limit; the size counts every byte. Returns 0, or -1 when out
 * of memory.
 */
int smtpd_session_add_line(struct smtpd_session *s, const char *line);

/* smtpd_session_set: copy s into dst (size bytes), truncating. */
void smtpd_session_set(char *dst, size_t size, const char *s);

#endif
