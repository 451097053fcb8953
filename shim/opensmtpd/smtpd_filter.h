/*
 * smtpd_filter.h: the filter's protocol state machine. It eats smtpd's
 * lines one at a time, keeps per-session state from report events, turns
 * each rcpt-to filter request into a query for the decider, and writes
 * the answers. It does no I/O itself: the host (filter-mxgrey's event
 * loop, or a unit test) gives it lines and takes its output through
 * struct smtpd_ops, so it runs the same over a pipe and over a golden
 * transcript.
 *
 * Asynchrony: ops->check may answer at once (the blocking engine call)
 * or later, from the event loop, when a non-blocking check completes; a
 * query owns copies of everything it needs, so its session may end
 * meanwhile.
 */
#ifndef SMTPD_FILTER_H
#define SMTPD_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "mxgrey.h"
#include "smtpd_session.h"

struct smtpd_filter;

/* One recipient to decide: the request and the strings it points to. */
struct smtpd_query {
	struct smtpd_filter *filter;
	uint64_t session;
	uint64_t token;
	int vmajor;
	int vminor;
	struct mxg_request req;
	char addr[SMTPD_ADDR_MAX];
	char rdns[SMTPD_STR_MAX];
	char helo[SMTPD_STR_MAX];
	char auth[SMTPD_STR_MAX];
	char msgid[17];
	char sender[SMTPD_MAILBOX_MAX];
	char rcpt[SMTPD_MAILBOX_MAX];
	/* a commit query (end of DATA, dacl rules) has the message too */
	int data;
	struct mxg_message msg; /* points into the fields below */
	char **ok_rcpts;
	char *hdr;
	char *body;
};

struct smtpd_ops {
	/*
	 * check: decide q->req, then call smtpd_filter_done(q, ...) exactly
	 * once, now or later. q stays valid until then.
	 */
	void (*check)(void *ctx, struct smtpd_query *q);
	/*
	 * check_data: the same for a whole message at commit (q->data set,
	 * q->msg filled); only called after smtpd_filter_want_data().
	 */
	void (*check_data)(void *ctx, struct smtpd_query *q);
	/* write: one complete output line, newline included */
	void (*write)(void *ctx, const char *line, size_t len);
	/* log: one line, no newline; level is an enum mxg_log_level */
	void (*log)(void *ctx, int level, const char *msg);
	void *ctx;
};

/*
 * smtpd_filter_new: a filter in the handshake phase using ops (copied).
 * Returns NULL when out of memory.
 */
struct smtpd_filter *smtpd_filter_new(const struct smtpd_ops *ops);

/*
 * smtpd_filter_free: release the filter and its sessions. Queries not yet
 * done must be finished first (smtpd_filter_done). Accepts NULL.
 */
void smtpd_filter_free(struct smtpd_filter *f);

/*
 * smtpd_filter_line: handle one input line of len bytes without its
 * newline; line[len] must be writable (the line is parsed in place).
 * Malformed and unknown lines are logged and ignored; a filter request
 * that can be answered always is.
 */
void smtpd_filter_line(struct smtpd_filter *f, char *line, size_t len);

/*
 * smtpd_filter_done: finish q with the engine's return value err and its
 * verdict v: write filter-result proceed or reject, log the decision and
 * free q.
 */
void smtpd_filter_done(
    struct smtpd_query *q, int err, const struct mxg_verdict *v);

/*
 * smtpd_filter_want_data: before the handshake, ask for every message
 * (data-line and commit requests) so that ops->check_data decides it at
 * its end; for dacl rules. Every data line is echoed back unchanged.
 */
void smtpd_filter_want_data(struct smtpd_filter *f, int on);

/* smtpd_filter_wants_data: whether the filter registered for messages. */
int smtpd_filter_wants_data(const struct smtpd_filter *f);

/* smtpd_filter_sessions: open sessions (for tests and stats). */
size_t smtpd_filter_sessions(const struct smtpd_filter *f);

/* smtpd_filter_pending: queries started and not yet done. */
size_t smtpd_filter_pending(const struct smtpd_filter *f);

/* smtpd_filter_ready: nonzero once the handshake is complete. */
int smtpd_filter_ready(const struct smtpd_filter *f);

#endif
