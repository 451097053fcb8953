/*
 * milter_cb.c: the libmilter callbacks of mxgrey-milter. One engine for
 * all connection threads, behind engine_lock; the rules file is reloaded
 * when it changes (milter-greylist does the same), checked at most once
 * a second on a new connection.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../postfix/daemon.h"
#include "milter.h"
#include "mxg_rules.h"

struct mxg_milter mxg_milter;

#define HDR_MAX       65536 /* header bytes kept for dacl rules */
#define BODY_MAX      65536 /* body bytes kept for dacl rules */
#define ENGINE_FDS    64    /* DNS sockets polled while a decision waits */
#define POLL_SLICE_MS 20    /* longest unlocked poll: others share them */
#define RCPT_MAX      1000  /* recipients kept for dacl rules */
#define ADDHDR_MAX    16    /* distinct addheader lines per message */

static pthread_mutex_t engine_lock = PTHREAD_MUTEX_INITIALIZER;
static time_t last_check;
static struct stat rules_st;
static int rules_st_valid;

/* Per connection; the message part is reset at MAIL and abort. */
struct conn {
	char addr[INET6_ADDRSTRLEN];
	int local;  /* no IP client: nothing to decide */
	char *name; /* rDNS name, NULL if unknown */
	char *helo;
	char *from;
	unsigned rcpts;      /* recipients seen in this message */
	int delayed;         /* a recipient passed after its delay */
	int white;           /* a recipient was accepted without delay */
	long delay;          /* the longest delay of those that passed */
	enum mxg_reason why; /* last accepted without delay: its reason */
	char *report;        /* last deciding rule's `report`, expanded */
	char **hdrs;         /* the rules' `addheader` lines, each once */
	size_t nhdrs;
	/* for dacl rules only: the message, bounded */
	int collect; /* the rules have a DATA stage */
	char **acc;  /* recipients accepted at RCPT */
	size_t nacc;
	char *hdr; /* "Name: value\r\n"..., NUL-terminated */
	size_t hdrlen;
	char *body; /* its first BODY_MAX bytes */
	size_t bodylen;
	size_t size; /* the whole message, bytes */
};

/* Macros offered to sm_macro / %M{} (whatever the MTA sends). */
static const char *const macro_names[] = { "i", "j", "{auth_authen}",
	"{auth_type}", "{client_addr}", "{client_name}", "{daemon_name}",
	"{if_addr}", "{rcpt_mailer}", "{tls_version}", "{cipher}", "{verify}",
	"{cert_subject}" };
#define NMACROS (sizeof(macro_names) / sizeof(macro_names[0]))

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void
message_reset(struct conn *c)
{
	size_t i;

	free(c->from);
	c->from = NULL;
	c->rcpts = 0;
	c->delayed = c->white = 0;
	c->delay = 0;
	c->why = MXG_R_WHITELIST;
	free(c->report);
	c->report = NULL;
	for (i = 0; i < c->nhdrs; i++)
		free(c->hdrs[i]);
	free(c->hdrs);
	c->hdrs = NULL;
	c->nhdrs = 0;
	for (i = 0; i < c->nacc; i++)
		free(c->acc[i]);
	free(c->acc);
	c->acc = NULL;
	c->nacc = 0;
	free(c->hdr);
	c->hdr = NULL;
	c->hdrlen = 0;
	free(c->body);
	c->body = NULL;
	c->bodylen = c->size = 0;
}

/* Append n bytes to *buf (*len used), keeping at most max; 0 or -1. */
static int
append(char **buf, size_t *len, size_t max, const char *p, size_t n)
{
	char *nb;

	if (*len + n > max)
		n = max - *len;
	if (n == 0)
		return 0;
	if ((nb = realloc(*buf, *len + n + 1)) == NULL)
		return -1;
	memcpy(nb + *len, p, n);
	*len += n;
	nb[*len] = '\0';
	*buf = nb;
	return 0;
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Call with engine_lock held: the report setting of the rules file. */
static void
read_report(void)
{
	struct mxg_ruleset *rs;

	if ((rs = mxg_daemon_rules(mxg_milter.rules_path)) != NULL) {
		mxg_milter.report = mxg_rules_config(rs)->report;
		mxg_rules_free(rs);
	}
}

/* Reload the rules when the file changed; old rules stay on error. */
static void
maybe_reload(void)
{
	struct stat st;
	time_t now = time(NULL);
	int rc;

	pthread_mutex_lock(&engine_lock);
	if (now == last_check || mxg_milter.rules_path == NULL)
		goto out;
	last_check = now;
	if (stat(mxg_milter.rules_path, &st) == -1)
		goto out;
	if (!rules_st_valid) {
		rules_st = st;
		rules_st_valid = 1;
		goto out;
	}
	if (same_file(&st, &rules_st))
		goto out;
	rules_st = st;
	rc = mxg_reload(mxg_milter.engine);
	if (rc == MXG_OK) {
		read_report();
		mxg_daemon_logf(mxg_milter.log, MXG_LOG_NOTICE,
		    "%s changed: rules reloaded", mxg_milter.rules_path);
	} else
		mxg_daemon_logf(mxg_milter.log, MXG_LOG_ERR,
		    "%s changed: reload failed, old rules kept: %s",
		    mxg_milter.rules_path, mxg_strerror(rc));
out:
	pthread_mutex_unlock(&engine_lock);
}

void
mxg_milter_watch_init(void)
{
	pthread_mutex_lock(&engine_lock);
	if (mxg_milter.rules_path != NULL &&
	    stat(mxg_milter.rules_path, &rules_st) == 0)
		rules_st_valid = 1;
	read_report();
	pthread_mutex_unlock(&engine_lock);
}

static sfsistat
cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	struct conn *c;

	maybe_reload();
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return SMFIS_TEMPFAIL;
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET,
		    &((struct sockaddr_in *)(void *)sa)->sin_addr, c->addr,
		    sizeof(c->addr));
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((struct sockaddr_in6 *)(void *)sa)->sin6_addr, c->addr,
		    sizeof(c->addr));
	else
		c->local = 1;
	if (hostname != NULL && hostname[0] != '[' &&
	    strcmp(hostname, "unknown") != 0)
		c->name = strdup(hostname);
	if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
		free(c->name);
		free(c);
		return SMFIS_TEMPFAIL;
	}
	/* A local submission (no IP) is not greylisted. */
	return c->local ? SMFIS_ACCEPT : SMFIS_CONTINUE;
}

static sfsistat
cb_helo(SMFICTX *ctx, char *helo)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	free(c->helo);
	c->helo = dup_or_null(helo);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	message_reset(c);
	pthread_mutex_lock(&engine_lock);
	c->collect = mxg_has_data_rules(mxg_milter.engine);
	pthread_mutex_unlock(&engine_lock);
	c->from = strdup(argv[0] != NULL ? argv[0] : "<>");
	return c->from != NULL ? SMFIS_CONTINUE : SMFIS_TEMPFAIL;
}

/* Set the SMTP reply; code and ecode forced into class cls (4 or 5). */
static void
reply(SMFICTX *ctx, const struct mxg_verdict *v, int cls)
{
	char code[8], ecode[MXG_CODE_MAX], text[MXG_TEXT_MAX * 2];

	if (v->code >= cls * 100 && v->code <= cls * 100 + 99)
		snprintf(code, sizeof(code), "%d", v->code);
	else
		snprintf(code, sizeof(code), "%s", cls == 4 ? "451" : "550");
	if (v->ecode[0] == '0' + cls && v->ecode[1] == '.')
		snprintf(ecode, sizeof(ecode), "%s", v->ecode);
	else
		snprintf(
		    ecode, sizeof(ecode), "%s", cls == 4 ? "4.7.1" : "5.7.1");
	mxg_milter_reply_text(v->text, text, sizeof(text));
	if (smfi_setreply(ctx, code, ecode, text) != MI_SUCCESS)
		mxg_daemon_logf(mxg_milter.log, MXG_LOG_WARNING,
		    "smfi_setreply failed for \"%s %s\"", code, ecode);
}

/*
 * Decide one RCPT. The engine is used under engine_lock, but not held
 * while a decision waits for DNS: the thread polls the engine's sockets
 * unlocked (a short while: other threads drive the same sockets), so
 * connections waiting for lookups wait side by side, not in a queue.
 */
static int
check(const struct mxg_request *req, struct mxg_verdict *v)
{
	struct mxg_pending *p = NULL;
	struct pollfd fds[ENGINE_FDS];
	int rc, n, tmo;

	pthread_mutex_lock(&engine_lock);
	rc = mxg_check_start(mxg_milter.engine, req, &p, v);
	while (rc == MXG_EAGAIN) {
		tmo = -1;
		n = mxg_poll_fds(mxg_milter.engine, fds, ENGINE_FDS, &tmo);
		if (n < 0)
			n = 0;
		pthread_mutex_unlock(&engine_lock);
		if (tmo < 0 || tmo > POLL_SLICE_MS)
			tmo = POLL_SLICE_MS;
		if (poll(fds, (nfds_t)n, tmo) == -1)
			n = 0;
		pthread_mutex_lock(&engine_lock);
		if (n > 0)
			mxg_poll_process(mxg_milter.engine, fds, n);
		rc = mxg_check_finish(p, v);
	}
	pthread_mutex_unlock(&engine_lock);
	return rc;
}

/* Keep an accepted recipient for the dacl stage; 0 or -1. */
static int
keep_rcpt(struct conn *c, const char *rcpt)
{
	char **na;

	if (c->nacc == RCPT_MAX)
		return 0;
	if ((na = realloc(c->acc, (c->nacc + 1) * sizeof(*na))) == NULL)
		return -1;
	c->acc = na;
	if ((na[c->nacc] = strdup(rcpt)) == NULL)
		return -1;
	c->nacc++;
	return 0;
}

/*
 * What an accepted verdict brings to the message's headers: the delay
 * (the longest wins), the rule's report (the last one wins, as in
 * milter-greylist) and its addheader line (each distinct line once).
 * 0, or -1 when out of memory.
 */
static int
note_accept(struct conn *c, const struct mxg_verdict *v)
{
	char **nh;
	size_t i;

	if (v->reason == MXG_R_PASSED) {
		c->delayed = 1;
		if (v->delayed > c->delay)
			c->delay = v->delayed;
	} else if (v->reason != MXG_R_FAILURE && v->reason != MXG_R_NONE) {
		c->white = 1;
		c->why = v->reason;
	}
	if (v->report[0] != '\0') {
		free(c->report);
		if ((c->report = strdup(v->report)) == NULL)
			return -1;
	}
	if (v->header[0] == '\0')
		return 0;
	for (i = 0; i < c->nhdrs; i++)
		if (strcmp(c->hdrs[i], v->header) == 0)
			return 0;
	if (c->nhdrs == ADDHDR_MAX)
		return 0;
	if ((nh = realloc(c->hdrs, (c->nhdrs + 1) * sizeof(*nh))) == NULL)
		return -1;
	c->hdrs = nh;
	if ((nh[c->nhdrs] = strdup(v->header)) == NULL)
		return -1;
	c->nhdrs++;
	return 0;
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);
	struct mxg_macro macros[NMACROS];
	struct mxg_request req;
	struct mxg_verdict v;
	size_t i, n = 0;
	char *val;
	int rc;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (c->local)
		return SMFIS_CONTINUE;
	for (i = 0; i < NMACROS; i++) {
		val = smfi_getsymval(ctx, (char *)(uintptr_t)macro_names[i]);
		if (val != NULL) {
			macros[n].name = macro_names[i];
			macros[n++].value = val;
		}
	}
	memset(&req, 0, sizeof(req));
	req.client_addr = c->addr;
	req.client_name = c->name;
	req.helo = c->helo;
	req.sender = c->from != NULL ? c->from : "";
	req.rcpt = argv[0];
	req.auth_id = smfi_getsymval(ctx, "{auth_authen}");
	req.tls = smfi_getsymval(ctx, "{tls_version}") != NULL;
	req.macros = macros;
	req.nmacros = n;
	req.rcpt_count = ++c->rcpts;
	req.queue_id = smfi_getsymval(ctx, "i");
	req.local_name = mxg_milter.hostname;

	rc = check(&req, &v);
	if (rc != MXG_OK)
		mxg_daemon_logf(mxg_milter.log, MXG_LOG_WARNING,
		    "client=%s from=%s to=%s: %s", c->addr, req.sender,
		    req.rcpt ? req.rcpt : "", mxg_strerror(rc));
	switch (v.action) {
	case MXG_ACCEPT:
		if (note_accept(c, &v) == -1 ||
		    (c->collect && keep_rcpt(c, argv[0]) == -1))
			return SMFIS_TEMPFAIL;
		return SMFIS_CONTINUE;
	case MXG_REJECT:
		reply(ctx, &v, 5);
		return SMFIS_REJECT;
	case MXG_GREYLIST:
	case MXG_TEMPFAIL:
	default:
		reply(ctx, &v, 4);
		return SMFIS_TEMPFAIL;
	}
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = smfi_getpriv(ctx);
	size_t nl = strlen(name), vl = strlen(value);

	if (c == NULL || !c->collect)
		return SMFIS_CONTINUE;
	c->size += nl + vl + 4;
	if (append(&c->hdr, &c->hdrlen, HDR_MAX, name, nl) == -1 ||
	    append(&c->hdr, &c->hdrlen, HDR_MAX, ": ", 2) == -1 ||
	    append(&c->hdr, &c->hdrlen, HDR_MAX, value, vl) == -1 ||
	    append(&c->hdr, &c->hdrlen, HDR_MAX, "\r\n", 2) == -1)
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL || !c->collect)
		return SMFIS_CONTINUE;
	c->size += len;
	if (append(&c->body, &c->bodylen, BODY_MAX, (const char *)p, len) == -1)
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

/* dacl rules at end of message: SMFIS_CONTINUE when they accept. */
static sfsistat
data_stage(SMFICTX *ctx, struct conn *c)
{
	struct mxg_message msg;
	struct mxg_request req;
	struct mxg_verdict v;
	int rc;

	memset(&req, 0, sizeof(req));
	req.client_addr = c->addr;
	req.client_name = c->name;
	req.helo = c->helo;
	req.sender = c->from != NULL ? c->from : "";
	req.auth_id = smfi_getsymval(ctx, "{auth_authen}");
	req.tls = smfi_getsymval(ctx, "{tls_version}") != NULL;
	req.rcpt_count = c->rcpts;
	req.queue_id = smfi_getsymval(ctx, "i");
	req.local_name = mxg_milter.hostname;
	memset(&msg, 0, sizeof(msg));
	msg.rcpts = (const char *const *)c->acc;
	msg.nrcpts = c->nacc;
	msg.size = c->size;
	msg.headers = c->hdr != NULL ? c->hdr : "";
	msg.body = c->body != NULL ? c->body : "";
	msg.body_len = c->bodylen;
	pthread_mutex_lock(&engine_lock);
	rc = mxg_check_data(mxg_milter.engine, &req, &msg, &v);
	pthread_mutex_unlock(&engine_lock);
	if (rc != MXG_OK)
		mxg_daemon_logf(mxg_milter.log, MXG_LOG_WARNING,
		    "client=%s from=%s (end of data): %s", c->addr, req.sender,
		    mxg_strerror(rc));
	switch (v.action) {
	case MXG_ACCEPT:
		/* a dacl greylist passed, or a dacl rule with report or
		   addheader: the message's headers say so too */
		return note_accept(c, &v) == -1 ? SMFIS_TEMPFAIL
		                                : SMFIS_CONTINUE;
	case MXG_REJECT:
		reply(ctx, &v, 5);
		return SMFIS_REJECT;
	case MXG_GREYLIST:
	case MXG_TEMPFAIL:
	default:
		reply(ctx, &v, 4);
		return SMFIS_TEMPFAIL;
	}
}

/* The rules' addheader lines ("Name: value", checked by the engine). */
static void
add_rule_headers(SMFICTX *ctx, const struct conn *c)
{
	char name[MXG_TEXT_MAX];
	const char *colon;
	size_t i, n;

	for (i = 0; i < c->nhdrs; i++) {
		if ((colon = strchr(c->hdrs[i], ':')) == NULL)
			continue;
		n = (size_t)(colon - c->hdrs[i]);
		memcpy(name, c->hdrs[i], n);
		name[n] = '\0';
		colon++;
		if (*colon == ' ')
			colon++;
		if (smfi_addheader(ctx, name, (char *)(uintptr_t)colon) !=
		    MI_SUCCESS)
			mxg_daemon_logf(mxg_milter.log, MXG_LOG_WARNING,
			    "cannot add the %s header (addheader)", name);
	}
}

/*
 * End of message: the dacl stage, then the X-Greylist header as
 * milter-greylist adds it (`report` says for which mail: delayed for
 * the longest delay, or not delayed; a rule's `report` text replaces its
 * wording) and the rules' addheader lines.
 */
static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	char value[MXG_TEXT_MAX];
	struct mxg_verdict v;
	const char *ip;
	sfsistat st;

	if (c == NULL)
		return SMFIS_CONTINUE;
	if (c->collect && (st = data_stage(ctx, c)) != SMFIS_CONTINUE) {
		message_reset(c);
		return st;
	}
	v.action = MXG_ACCEPT;
	v.delayed = c->delay;
	v.report[0] = '\0';
	if (c->report != NULL)
		snprintf(v.report, sizeof(v.report), "%s", c->report);
	if (c->delayed && (mxg_milter.report & MXG_REPORT_DELAYS))
		v.reason = MXG_R_PASSED;
	else if (!c->delayed && c->white &&
	    (mxg_milter.report & MXG_REPORT_NODELAYS))
		v.reason = c->why;
	else
		goto out;
	/* milter-greylist names the server's address: {if_addr} (Sendmail),
	   {daemon_addr} (Postfix), else 0.0.0.0 */
	if ((ip = smfi_getsymval(ctx, "{if_addr}")) == NULL &&
	    (ip = smfi_getsymval(ctx, "{daemon_addr}")) == NULL)
		ip = "0.0.0.0";
	mxg_xgreylist_verdict(
	    &v, mxg_milter.hostname, ip, time(NULL), value, sizeof(value));
	if (smfi_insheader(ctx, 0, "X-Greylist", value) != MI_SUCCESS)
		mxg_daemon_logf(mxg_milter.log, MXG_LOG_WARNING,
		    "cannot add the X-Greylist header");
out:
	add_rule_headers(ctx, c);
	message_reset(c);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		message_reset(c);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL) {
		message_reset(c);
		free(c->name);
		free(c->helo);
		free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
	.xxfi_name = "mxgrey-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS,
	.xxfi_connect = cb_connect,
	.xxfi_helo = cb_helo,
	.xxfi_envfrom = cb_envfrom,
	.xxfi_envrcpt = cb_envrcpt,
	.xxfi_header = cb_header,
	.xxfi_body = cb_body,
	.xxfi_eom = cb_eom,
	.xxfi_abort = cb_abort,
	.xxfi_close = cb_close,
};

void *
mxg_milter_desc(void)
{
	return &desc;
}
