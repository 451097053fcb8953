/*
 * smtpd_filter.c: handshake, report events into session state, rcpt-to
 * requests into queries, verdicts into filter-result lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd_filter.h"
#include "smtpd_proto.h"
#include "smtpd_session.h"

struct smtpd_filter {
	struct smtpd_ops ops;
	struct smtpd_sessions *sessions;
	int ready;          /* register|ready written */
	int subsystems;     /* config|subsystem lines seen */
	int smtp_in;        /* smtp-in among them */
	int warned_version; /* unknown version logged once */
	int want_data;      /* collect messages for dacl rules */
	size_t pending;
};

/* The report events we register for, and the one filter phase. */
static const char *const report_events[] = { "link-connect", "link-identify",
	"link-auth", "link-tls", "tx-begin", "tx-mail", "tx-rcpt", "tx-reset",
	"link-disconnect" };

static void say(struct smtpd_filter *f, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct smtpd_filter *f, int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (f->ops.log == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	f->ops.log(f->ops.ctx, level, buf);
}

static void
out(struct smtpd_filter *f, const char *line)
{
	f->ops.write(f->ops.ctx, line, strlen(line));
}

struct smtpd_filter *
smtpd_filter_new(const struct smtpd_ops *ops)
{
	struct smtpd_filter *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->ops = *ops;
	if ((f->sessions = smtpd_sessions_new()) == NULL) {
		free(f);
		return NULL;
	}
	return f;
}

void
smtpd_filter_free(struct smtpd_filter *f)
{
	if (f == NULL)
		return;
	smtpd_sessions_free(f->sessions);
	free(f);
}

size_t
smtpd_filter_sessions(const struct smtpd_filter *f)
{
	return smtpd_sessions_count(f->sessions);
}

size_t
smtpd_filter_pending(const struct smtpd_filter *f)
{
	return f->pending;
}

int
smtpd_filter_ready(const struct smtpd_filter *f)
{
	return f->ready;
}

void
smtpd_filter_want_data(struct smtpd_filter *f, int on)
{
	if (f->ready)
		say(f, MXG_LOG_WARNING,
		    "dacl rules appeared after the handshake: restart smtpd "
		    "to have them applied");
	else
		f->want_data = on && f->ops.check_data != NULL;
}

int
smtpd_filter_wants_data(const struct smtpd_filter *f)
{
	return f->want_data;
}

static void
do_register(struct smtpd_filter *f)
{
	char line[128];
	size_t i;

	if (f->subsystems > 0 && !f->smtp_in)
		say(f, MXG_LOG_WARNING,
		    "smtpd offers no smtp-in subsystem: attach the filter "
		    "to a listener; registering nothing");
	else {
		for (i = 0; i < sizeof(report_events) / sizeof(*report_events);
		     i++) {
			(void)snprintf(line, sizeof(line),
			    "register|report|smtp-in|%s\n", report_events[i]);
			out(f, line);
		}
		out(f, "register|filter|smtp-in|rcpt-to\n");
		if (f->want_data) {
			out(f, "register|filter|smtp-in|data-line\n");
			out(f, "register|filter|smtp-in|commit\n");
		}
	}
	out(f, "register|ready\n");
	f->ready = 1;
}

static void
config(struct smtpd_filter *f, const struct smtpd_msg *m)
{
	if (strcmp(m->key, "ready") == 0 && m->value == NULL) {
		if (f->ready)
			say(f, MXG_LOG_WARNING, "config|ready twice, ignored");
		else
			do_register(f);
		return;
	}
	if (f->ready) {
		say(f, MXG_LOG_WARNING, "config line after ready ignored: %s",
		    m->key);
		return;
	}
	if (strcmp(m->key, "subsystem") == 0 && m->value != NULL) {
		f->subsystems++;
		if (strcmp(m->value, "smtp-in") == 0)
			f->smtp_in = 1;
	}
}

static void
link_connect(struct smtpd_filter *f, struct smtpd_session *s, char *params)
{
	struct smtpd_connect c;
	int r;

	if (smtpd_proto_link_connect(params, &c) == -1) {
		say(f, MXG_LOG_WARNING,
		    "session %016llx: malformed link-connect ignored",
		    (unsigned long long)s->id);
		return;
	}
	if (strcmp(c.rdns, "<unknown>") == 0)
		s->rdns[0] = '\0';
	else
		smtpd_session_set(s->rdns, sizeof(s->rdns), c.rdns);
	r = smtpd_proto_src_addr(c.src, s->addr, sizeof(s->addr));
	s->local = r == 1;
	s->have_addr = r == 0;
	if (r == -1)
		say(f, MXG_LOG_WARNING,
		    "session %016llx: unparsable source address",
		    (unsigned long long)s->id);
}

static void
tx_addr(struct smtpd_filter *f, const struct smtpd_msg *m,
    struct smtpd_session *s, char *params, int mail)
{
	const char *msgid, *result, *addr;

	if (smtpd_proto_tx_addr(m, params, &msgid, &result, &addr) == -1) {
		say(f, MXG_LOG_WARNING, "session %016llx: malformed %s ignored",
		    (unsigned long long)s->id, m->event);
		return;
	}
	if (strcmp(result, "ok") != 0)
		return;
	if (!mail) {
		if (f->want_data && smtpd_session_add_rcpt(s, addr) == -1)
			say(f, MXG_LOG_ERR, "out of memory for a recipient");
		return;
	}
	smtpd_session_set(s->msgid, sizeof(s->msgid), msgid);
	if (strlen(addr) >= sizeof(s->sender)) {
		s->have_sender = 0;
		s->sender_bad = 1;
		return;
	}
	s->sender_bad = 0;
	smtpd_session_set(s->sender, sizeof(s->sender), addr);
	s->have_sender = 1;
}

static void
report(struct smtpd_filter *f, const struct smtpd_msg *m, char *params)
{
	struct smtpd_session *s;
	const char *a, *b;

	if (strcmp(m->event, "link-disconnect") == 0) {
		smtpd_session_del(f->sessions, m->session);
		return;
	}
	if ((s = smtpd_session_get(f->sessions, m->session)) == NULL) {
		say(f, MXG_LOG_ERR, "out of memory for a session");
		return;
	}
	if (strcmp(m->event, "link-connect") == 0)
		link_connect(f, s, params);
	else if (strcmp(m->event, "link-identify") == 0) {
		if (smtpd_proto_link_identify(params, &a, &b) == 0)
			smtpd_session_set(s->helo, sizeof(s->helo), b);
	} else if (strcmp(m->event, "link-auth") == 0) {
		if (smtpd_proto_link_auth(m, params, &a, &b) == 0 &&
		    strcmp(b, "pass") == 0)
			smtpd_session_set(s->auth, sizeof(s->auth), a);
	} else if (strcmp(m->event, "link-tls") == 0)
		s->tls = 1;
	else if (strcmp(m->event, "tx-begin") == 0) {
		smtpd_session_tx_reset(s);
		smtpd_session_set(s->msgid, sizeof(s->msgid), params);
	} else if (strcmp(m->event, "tx-mail") == 0)
		tx_addr(f, m, s, params, 1);
	else if (strcmp(m->event, "tx-rcpt") == 0)
		tx_addr(f, m, s, params, 0);
	else if (strcmp(m->event, "tx-reset") == 0)
		smtpd_session_tx_reset(s);
	else
		say(f, MXG_LOG_DEBUG, "report event %s ignored", m->event);
}

static void
proceed(struct smtpd_filter *f, const struct smtpd_msg *m)
{
	char line[SMTPD_RESULT_MAX];

	if (smtpd_proto_proceed(line, sizeof(line), m->vmajor, m->vminor,
	        m->session, m->token) > 0)
		out(f, line);
}

static void
reject(struct smtpd_filter *f, const struct smtpd_msg *m, const char *reply)
{
	char line[SMTPD_RESULT_MAX];

	if (smtpd_proto_reject(line, sizeof(line), m->vmajor, m->vminor,
	        m->session, m->token, reply) > 0)
		out(f, line);
}

/*
 * A query for request m of session s (NULL: unknown), filled from what
 * the session's reports told; NULL (and answered 451) when out of memory.
 */
static struct smtpd_query *
query(struct smtpd_filter *f, const struct smtpd_msg *m,
    const struct smtpd_session *s)
{
	struct smtpd_query *q;
	struct mxg_request *r;

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		say(f, MXG_LOG_ERR, "out of memory for a query");
		reject(f, m, "451 4.3.0 Temporary failure, try again later");
		return NULL;
	}
	q->filter = f;
	q->session = m->session;
	q->token = m->token;
	q->vmajor = m->vmajor;
	q->vminor = m->vminor;
	r = &q->req;
	/* smtpd's clock stamps the request: decide with it */
	r->now = (time_t)m->sec;
	if (s == NULL) {
		say(f, MXG_LOG_WARNING,
		    "session %016llx: %s for an unknown session",
		    (unsigned long long)m->session, m->event);
		return q;
	}
	if (s->have_addr) {
		memcpy(q->addr, s->addr, sizeof(q->addr));
		r->client_addr = q->addr;
	}
	if (s->rdns[0] != '\0') {
		memcpy(q->rdns, s->rdns, sizeof(q->rdns));
		r->client_name = q->rdns;
	}
	if (s->helo[0] != '\0') {
		memcpy(q->helo, s->helo, sizeof(q->helo));
		r->helo = q->helo;
	}
	if (s->have_sender) {
		memcpy(q->sender, s->sender, sizeof(q->sender));
		r->sender = q->sender;
	}
	if (s->auth[0] != '\0') {
		memcpy(q->auth, s->auth, sizeof(q->auth));
		r->auth_id = q->auth;
	}
	if (s->msgid[0] != '\0') {
		memcpy(q->msgid, s->msgid, sizeof(q->msgid));
		r->queue_id = q->msgid;
	}
	r->tls = s->tls;
	r->rcpt_count = s->rcpts;
	return q;
}

static int
local_session(struct smtpd_filter *f, const struct smtpd_msg *m,
    const struct smtpd_session *s)
{
	if (s == NULL || !s->local)
		return 0;
	say(f, MXG_LOG_DEBUG, "session %016llx: local session, not greylisted",
	    (unsigned long long)m->session);
	proceed(f, m);
	return 1;
}

static void
rcpt_to(struct smtpd_filter *f, const struct smtpd_msg *m, const char *param)
{
	struct smtpd_session *s;
	struct smtpd_query *q;

	s = smtpd_session_find(f->sessions, m->session);
	if (local_session(f, m, s))
		return;
	if (s != NULL)
		s->rcpts++;
	if ((q = query(f, m, s)) == NULL)
		return;
	if (s == NULL)
		q->req.rcpt_count = 1;
	if (smtpd_proto_rcpt_addr(param, q->rcpt, sizeof(q->rcpt)) == -1 ||
	    (s != NULL && s->sender_bad)) {
		/* longer than any valid address: no tuple to decide */
		say(f, MXG_LOG_WARNING, "session %016llx: %s address too long",
		    (unsigned long long)m->session,
		    s != NULL && s->sender_bad ? "sender" : "recipient");
		reject(f, m,
		    "451 4.3.0 Temporary failure (malformed address), "
		    "please try again later");
		free(q);
		return;
	}
	q->req.rcpt = q->rcpt;
	f->pending++;
	f->ops.check(f->ops.ctx, q);
}

/* One line of the message: kept for the dacl rules, echoed unchanged. */
static void
data_line(struct smtpd_filter *f, const struct smtpd_msg *m, const char *line)
{
	struct smtpd_session *s;
	char head[64], *buf;
	uint64_t a = m->session, b = m->token;
	size_t n;
	int k;

	if ((s = smtpd_session_get(f->sessions, m->session)) == NULL ||
	    smtpd_session_add_line(s, line) == -1)
		say(f, MXG_LOG_ERR, "out of memory for a message line");
	if (m->vmajor == 0 && m->vminor < 5) {
		a = m->token;
		b = m->session;
	}
	n = strlen(line);
	if ((buf = malloc(sizeof(head) + n + 1)) == NULL) {
		say(f, MXG_LOG_ERR, "out of memory: data line lost");
		return;
	}
	k = snprintf(buf, sizeof(head), "filter-dataline|%016llx|%016llx|",
	    (unsigned long long)a, (unsigned long long)b);
	memcpy(buf + k, line, n);
	buf[k + n] = '\n';
	f->ops.write(f->ops.ctx, buf, (size_t)k + n + 1);
	free(buf);
}

/* End of DATA: the message goes to the dacl rules. */
static void
commit(struct smtpd_filter *f, const struct smtpd_msg *m)
{
	struct smtpd_session *s;
	struct smtpd_query *q;

	s = smtpd_session_find(f->sessions, m->session);
	if (local_session(f, m, s))
		return;
	if ((q = query(f, m, s)) == NULL)
		return;
	q->data = 1;
	if (s != NULL) {
		/* the query takes the message over */
		q->ok_rcpts = s->ok_rcpts;
		q->msg.rcpts = (const char *const *)s->ok_rcpts;
		q->msg.nrcpts = s->nok_rcpts;
		q->hdr = s->hdr;
		q->body = s->body;
		q->msg.size = s->msgsize;
		q->msg.body_len = s->bodylen;
		s->ok_rcpts = NULL;
		s->nok_rcpts = 0;
		s->hdr = s->body = NULL;
		s->hdrlen = s->bodylen = s->msgsize = 0;
		s->in_body = 0;
	}
	q->msg.headers = q->hdr != NULL ? q->hdr : "";
	q->msg.body = q->body != NULL ? q->body : "";
	f->pending++;
	f->ops.check_data(f->ops.ctx, q);
}

static void
filter(struct smtpd_filter *f, const struct smtpd_msg *m, const char *params)
{
	if (strcmp(m->subsystem, "smtp-in") == 0) {
		if (strcmp(m->event, "rcpt-to") == 0) {
			rcpt_to(f, m, params);
			return;
		}
		if (f->want_data && strcmp(m->event, "data-line") == 0) {
			data_line(f, m, params);
			return;
		}
		if (f->want_data && strcmp(m->event, "commit") == 0) {
			commit(f, m);
			return;
		}
	}
	/* never leave a request unanswered: smtpd would wait forever */
	say(f, MXG_LOG_WARNING, "unexpected filter phase %s|%s: proceed",
	    m->subsystem, m->event);
	if (strcmp(m->event, "data-line") == 0)
		return; /* not ours to echo; never registered */
	proceed(f, m);
}

void
smtpd_filter_line(struct smtpd_filter *f, char *line, size_t len)
{
	struct smtpd_msg m;
	const char *why;
	char *params;

	if (smtpd_proto_parse(line, len, &m, &why) == -1) {
		say(f, MXG_LOG_WARNING, "malformed line ignored: %s", why);
		return;
	}
	if (m.kind == SMTPD_MSG_CONFIG) {
		config(f, &m);
		return;
	}
	if (!f->ready) {
		say(f, MXG_LOG_WARNING, "%s line before handshake ignored",
		    m.kind == SMTPD_MSG_FILTER ? "filter" : "report");
		return;
	}
	if (!smtpd_proto_version_ok(m.vmajor, m.vminor)) {
		if (!f->warned_version)
			say(f, MXG_LOG_WARNING,
			    "protocol version %d.%d not supported; "
			    "filter requests proceed",
			    m.vmajor, m.vminor);
		f->warned_version = 1;
		/* a data line is answered by echoing, never by a result */
		if (m.kind == SMTPD_MSG_FILTER &&
		    strcmp(m.event, "data-line") != 0)
			proceed(f, &m);
		return;
	}
	if (m.vminor > 7 && !f->warned_version) {
		say(f, MXG_LOG_NOTICE, "protocol version 0.%d spoken as 0.7",
		    m.vminor);
		f->warned_version = 1;
	}
	/* params points into line, which is ours to cut */
	params = line + (m.params - line);
	if (m.kind == SMTPD_MSG_REPORT) {
		if (strcmp(m.subsystem, "smtp-in") != 0) {
			say(f, MXG_LOG_DEBUG, "report from %s ignored",
			    m.subsystem);
			return;
		}
		report(f, &m, params);
	} else
		filter(f, &m, params);
}

/* SMTP code of the reply: the verdict's, if it fits the action. */
static int
reply_code(const struct mxg_verdict *v)
{
	if (v->action == MXG_REJECT)
		return v->code >= 500 && v->code <= 599 ? v->code : 550;
	return v->code >= 400 && v->code <= 499 ? v->code : 451;
}

void
smtpd_filter_done(struct smtpd_query *q, int err, const struct mxg_verdict *v)
{
	struct smtpd_filter *f = q->filter;
	char line[SMTPD_RESULT_MAX], reply[MXG_TEXT_MAX + 32];
	int code = 0;

	if (v->action == MXG_ACCEPT) {
		(void)smtpd_proto_proceed(line, sizeof(line), q->vmajor,
		    q->vminor, q->session, q->token);
	} else {
		code = reply_code(v);
		if (v->ecode[0] != '\0')
			(void)snprintf(reply, sizeof(reply), "%d %s %s", code,
			    v->ecode, v->text);
		else
			(void)snprintf(
			    reply, sizeof(reply), "%d %s", code, v->text);
		(void)smtpd_proto_reject(line, sizeof(line), q->vmajor,
		    q->vminor, q->session, q->token, reply);
	}
	out(f, line);
	if (q->data)
		say(f, MXG_LOG_INFO,
		    "session %016llx: %s end of data addr=%s from=<%s> "
		    "rcpts=%zu size=%zu code=%d reason=%s rule=%u err=%d",
		    (unsigned long long)q->session, mxg_action_name(v->action),
		    q->req.client_addr != NULL ? q->req.client_addr : "?",
		    q->req.sender != NULL ? q->req.sender : "", q->msg.nrcpts,
		    q->msg.size, code != 0 ? code : 250,
		    mxg_reason_name(v->reason), v->rule_line, err);
	else
		say(f, MXG_LOG_INFO,
		    "session %016llx: %s addr=%s from=<%s> to=<%s> code=%d "
		    "reason=%s rule=%u remaining=%ld err=%d",
		    (unsigned long long)q->session, mxg_action_name(v->action),
		    q->req.client_addr != NULL ? q->req.client_addr : "?",
		    q->req.sender != NULL ? q->req.sender : "", q->rcpt,
		    code != 0 ? code : 250, mxg_reason_name(v->reason),
		    v->rule_line, v->remaining, err);
	f->pending--;
	if (q->ok_rcpts != NULL) {
		size_t i;

		for (i = 0; i < q->msg.nrcpts; i++)
			free(q->ok_rcpts[i]);
		free(q->ok_rcpts);
	}
	free(q->hdr);
	free(q->body);
	free(q);
}
