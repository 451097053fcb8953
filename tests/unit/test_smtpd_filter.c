/*
 * test_smtpd_filter.c: the filter's state machine (shim/opensmtpd/
 * smtpd_filter.c) over golden transcripts, with a fake decider so that
 * the protocol is tested apart from the rules engine.
 *
 * Each tests/golden/smtpd/NAME.in is fed line by line; the output (the
 * filter's lines plus one "# check ..." line per request the decider saw)
 * must equal NAME.ref. MXG_GOLDEN_UPDATE=1 rewrites the .ref files.
 *
 * The fake decider looks at the recipient's local part: grey* greylists,
 * black* rejects, fail* is a store failure, later* is answered only
 * after the next input line (an asynchronous check), anything else is
 * accepted. Transcripts named data* also collect messages (dacl rules):
 * a message whose headers hold "X-Spam: yes" is rejected, one whose body
 * holds "grey" greylisted, others accepted; a "# data ..." line shows
 * what the decider was given.
 */
#include <dirent.h>
#include <errno.h>

#include "mxg_test.h"
#include "smtpd_filter.h"

#define OUT_MAX      (256 * 1024)
#define DEFERRED_MAX 16

struct harness {
	char out[OUT_MAX];
	size_t len;
	int warnings;
	struct smtpd_query *deferred[DEFERRED_MAX];
	int ndeferred;
};

static void
put(struct harness *h, const char *s, size_t n)
{
	ck_assert_msg(h->len + n < sizeof(h->out), "output too long");
	memcpy(h->out + h->len, s, n);
	h->len += n;
	h->out[h->len] = '\0';
}

static void
h_write(void *ctx, const char *line, size_t len)
{
	struct harness *h = ctx;

	ck_assert_msg(
	    len > 0 && line[len - 1] == '\n', "output line without newline");
	ck_assert_msg(
	    memchr(line, '\n', len - 1) == NULL, "two lines in one write");
	put(h, line, len);
}

static void
h_log(void *ctx, int level, const char *msg)
{
	struct harness *h = ctx;

	if (level <= MXG_LOG_WARNING)
		h->warnings++;
	if (getenv("MXG_TEST_VERBOSE") != NULL)
		fprintf(stderr, "log %d: %s\n", level, msg);
}

static const char *
str(const char *s)
{
	return s != NULL ? s : "-";
}

static void
verdict(struct mxg_verdict *v, enum mxg_action a, int code, const char *ecode,
    const char *text)
{
	memset(v, 0, sizeof(*v));
	v->action = a;
	v->code = code;
	snprintf(v->ecode, sizeof(v->ecode), "%s", ecode);
	snprintf(v->text, sizeof(v->text), "%s", text);
}

static void
answer(struct smtpd_query *q)
{
	struct mxg_verdict v;
	const char *r = q->req.rcpt;
	int err = MXG_OK;

	if (strncmp(r, "grey", 4) == 0)
		verdict(&v, MXG_GREYLIST, 451, "4.7.1",
		    "Greylisting in action, please come back in 00:30:00");
	else if (strncmp(r, "black", 5) == 0)
		verdict(&v, MXG_REJECT, 550, "5.7.1", "Blacklisted");
	else if (strncmp(r, "fail", 4) == 0) {
		verdict(&v, MXG_TEMPFAIL, 451, "4.3.0", "Store failure");
		err = MXG_ESTORE;
	} else if (strncmp(r, "odd", 3) == 0)
		/* codes that do not fit the action are corrected */
		verdict(&v, MXG_REJECT, 250, "", "Odd|code");
	else
		verdict(&v, MXG_ACCEPT, 250, "", "");
	smtpd_filter_done(q, err, &v);
}

static void
h_check(void *ctx, struct smtpd_query *q)
{
	struct harness *h = ctx;
	const struct mxg_request *r = &q->req;
	char line[2048];
	int n;

	n = snprintf(line, sizeof(line),
	    "# check sid=%016llx addr=%s rdns=%s helo=%s from=%s to=%s "
	    "auth=%s tls=%d n=%u qid=%s now=%lld\n",
	    (unsigned long long)q->session, str(r->client_addr),
	    str(r->client_name), str(r->helo), str(r->sender), str(r->rcpt),
	    str(r->auth_id), r->tls, r->rcpt_count, str(r->queue_id),
	    (long long)r->now);
	put(h, line, (size_t)n);
	if (strncmp(r->rcpt, "later", 5) == 0) {
		ck_assert_int_lt(h->ndeferred, DEFERRED_MAX);
		h->deferred[h->ndeferred++] = q;
		return;
	}
	answer(q);
}

static void
h_check_data(void *ctx, struct smtpd_query *q)
{
	struct harness *h = ctx;
	const struct mxg_message *m = &q->msg;
	struct mxg_verdict v;
	char line[4096];
	size_t i;
	int n;

	n = snprintf(line, sizeof(line),
	    "# data sid=%016llx addr=%s from=%s qid=%s size=%zu rcpts=",
	    (unsigned long long)q->session, str(q->req.client_addr),
	    str(q->req.sender), str(q->req.queue_id), m->size);
	for (i = 0; i < m->nrcpts; i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s",
		    i > 0 ? "," : "", m->rcpts[i]);
	n += snprintf(line + n, sizeof(line) - (size_t)n,
	    " headers=%zu body=%zu:", strlen(m->headers), m->body_len);
	for (i = 0; i < m->body_len && n < 3000; i++)
		line[n++] = m->body[i] == '\n' ? '/' : m->body[i];
	line[n++] = '\n';
	put(h, line, (size_t)n);
	ck_assert_uint_eq(strlen(m->body), m->body_len);
	if (strstr(m->headers, "X-Spam: yes") != NULL)
		verdict(&v, MXG_REJECT, 550, "5.7.1", "Spam");
	else if (strstr(m->body, "grey") != NULL)
		verdict(&v, MXG_GREYLIST, 451, "4.7.1", "Come back later");
	else
		verdict(&v, MXG_ACCEPT, 250, "", "");
	smtpd_filter_done(q, MXG_OK, &v);
}

static struct smtpd_filter *
make(struct harness *h)
{
	struct smtpd_ops ops;
	struct smtpd_filter *f;

	memset(h, 0, sizeof(*h));
	memset(&ops, 0, sizeof(ops));
	ops.check = h_check;
	ops.check_data = h_check_data;
	ops.write = h_write;
	ops.log = h_log;
	ops.ctx = h;
	f = smtpd_filter_new(&ops);
	ck_assert_ptr_nonnull(f);
	return f;
}

/* Feed one line (a copy: the filter cuts it), then answer the deferred. */
static void
feed(struct smtpd_filter *f, struct harness *h, const char *s, size_t n)
{
	char *copy = malloc(n + 1);
	int i, k;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, s, n);
	copy[n] = '\0';
	k = h->ndeferred;
	smtpd_filter_line(f, copy, n);
	free(copy);
	for (i = 0; i < k; i++)
		answer(h->deferred[i]);
	memmove(h->deferred, h->deferred + k,
	    (size_t)(h->ndeferred - k) * sizeof(*h->deferred));
	h->ndeferred -= k;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static const char *
golden_dir(void)
{
	const char *d = getenv("MXG_SRCDIR");
	static char dir[1024];

	snprintf(dir, sizeof(dir), "%s/tests/golden/smtpd", d ? d : ".");
	return dir;
}

/* Run NAME.in; compare with NAME.ref. Returns the number of sessions. */
static void
run_golden(const char *name)
{
	char path[1400];
	struct harness *h = malloc(sizeof(*h));
	struct smtpd_filter *f;
	char *in, *ref, *p, *nl;
	size_t inlen, reflen;
	FILE *fp;

	ck_assert_ptr_nonnull(h);
	f = make(h);
	if (strncmp(name, "data", 4) == 0)
		smtpd_filter_want_data(f, 1);
	snprintf(path, sizeof(path), "%s/%s.in", golden_dir(), name);
	in = slurp(path, &inlen);
	ck_assert_msg(in != NULL, "%s: %s", path, strerror(errno));
	for (p = in; p < in + inlen; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(in + inlen - p))) == NULL)
			nl = in + inlen;
		feed(f, h, p, (size_t)(nl - p));
	}
	feed(f, h, "", 0); /* answers what is still deferred */
	ck_assert_int_eq(h->ndeferred, 0);
	ck_assert_uint_eq(smtpd_filter_pending(f), 0);
	snprintf(path, sizeof(path), "%s/%s.ref", golden_dir(), name);
	if (getenv("MXG_GOLDEN_UPDATE") != NULL) {
		fp = fopen(path, "wb");
		ck_assert_ptr_nonnull(fp);
		fwrite(h->out, 1, h->len, fp);
		fclose(fp);
	}
	ref = slurp(path, &reflen);
	ck_assert_msg(ref != NULL, "%s: %s", path, strerror(errno));
	ck_assert_msg(reflen == h->len && memcmp(ref, h->out, reflen) == 0,
	    "%s differs; got:\n%s", path, h->out);
	/* every transcript ends with all its sessions disconnected */
	ck_assert_uint_eq(smtpd_filter_sessions(f), 0);
	free(in);
	free(ref);
	smtpd_filter_free(f);
	free(h);
}

START_TEST(golden_all)
{
	DIR *d = opendir(golden_dir());
	struct dirent *de;
	char name[256];
	size_t n;
	int count = 0;

	ck_assert_msg(d != NULL, "%s: %s", golden_dir(), strerror(errno));
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 4 || strcmp(de->d_name + n - 3, ".in") != 0 ||
		    n - 3 >= sizeof(name))
			continue;
		memcpy(name, de->d_name, n - 3);
		name[n - 3] = '\0';
		run_golden(name);
		count++;
	}
	closedir(d);
	ck_assert_int_ge(count, 5);
}
END_TEST

static const char *const handshake[] = {
	"config|smtpd-version|6.8.0p2",
	"config|smtp-session-timeout|300",
	"config|subsystem|smtp-in",
	"config|ready",
};

static void
shake(struct smtpd_filter *f, struct harness *h)
{
	size_t i;

	for (i = 0; i < sizeof(handshake) / sizeof(*handshake); i++)
		feed(f, h, handshake[i], strlen(handshake[i]));
	ck_assert(smtpd_filter_ready(f));
	ck_assert_ptr_nonnull(strstr(
	    h->out, "register|filter|smtp-in|rcpt-to\nregister|ready\n"));
	h->len = 0;
	h->out[0] = '\0';
}

static void
feeds(struct smtpd_filter *f, struct harness *h, const char *s)
{
	feed(f, h, s, strlen(s));
}

/* Many sessions open at once, each freed on disconnect. */
START_TEST(sessions_freed)
{
	struct harness *h = malloc(sizeof(*h));
	struct smtpd_filter *f = make(h);
	char line[256];
	int i;

	shake(f, h);
	for (i = 1; i <= 3000; i++) {
		snprintf(line, sizeof(line),
		    "report|0.6|100.000001|smtp-in|link-connect|%x|"
		    "h%d.example|pass|192.0.2.%d:%d|192.0.2.254:25",
		    i, i, i % 250, 1024 + i);
		feeds(f, h, line);
	}
	ck_assert_uint_eq(smtpd_filter_sessions(f), 3000);
	snprintf(line, sizeof(line),
	    "filter|0.6|100.5|smtp-in|rcpt-to|%x|99|u@example.net", 2777);
	feeds(f, h, line);
	ck_assert_ptr_nonnull(
	    strstr(h->out, "addr=192.0.2.27 rdns=h2777.example"));
	for (i = 1; i <= 3000; i++) {
		snprintf(line, sizeof(line),
		    "report|0.6|101.000001|smtp-in|link-disconnect|%x", i);
		feeds(f, h, line);
	}
	ck_assert_uint_eq(smtpd_filter_sessions(f), 0);
	ck_assert_int_eq(h->warnings, 0);
	smtpd_filter_free(f);
	free(h);
}
END_TEST

/* Nothing malformed produces output or ends anything. */
START_TEST(garbage_ignored)
{
	static const char *const junk[] = {
		"",
		"|||||",
		"filter",
		"filter|0.6|1.1|smtp-in|rcpt-to|zz|1|a@b",
		"report|0.6|1.1|smtp-in|link-connect|1",
		"report|0.6|1.1|smtp-in|link-connect|1|a|b",
		"report|0.6|1.1|smtp-in|tx-mail|1|nobar",
		"report|0.6|1.1|smtp-in|link-auth|1|nobar",
		"report|0.6|1.1|smtp-in|no-such-event|1|x",
		"report|0.6|1.1|smtp-out|link-connect|1|a|b|c|d",
		"report|0.3|1.1|smtp-in|link-connect|1|a|b|c|d",
		"register|ready",
		"filter-result|1|2|proceed",
	};
	struct harness *h = malloc(sizeof(*h));
	struct smtpd_filter *f = make(h);
	size_t i;

	shake(f, h);
	for (i = 0; i < sizeof(junk) / sizeof(*junk); i++)
		feeds(f, h, junk[i]);
	ck_assert_str_eq(h->out, "");
	ck_assert_int_ge(h->warnings, 8);
	/* and it still works afterwards */
	feeds(f, h, "filter|0.6|2.0|smtp-in|rcpt-to|1|2|black@x");
	ck_assert_ptr_nonnull(strstr(h->out,
	    "filter-result|0000000000000001|0000000000000002|reject|"
	    "550 5.7.1 Blacklisted\n"));
	feeds(f, h, "report|0.6|1.1|smtp-in|link-disconnect|1");
	ck_assert_uint_eq(smtpd_filter_sessions(f), 0);
	smtpd_filter_free(f);
	free(h);
}
END_TEST

/* Every byte value in a line: the filter neither crashes nor answers. */
START_TEST(binary_bytes)
{
	struct harness *h = malloc(sizeof(*h));
	struct smtpd_filter *f = make(h);
	char line[300];
	int c;

	shake(f, h);
	for (c = 1; c < 256; c++) {
		snprintf(line, sizeof(line),
		    "report|0.6|1.1|smtp-in|link-identify|5|EHLO|a%cb", c);
		feeds(f, h, line);
	}
	feeds(f, h, "filter|0.6|2.0|smtp-in|rcpt-to|5|6|u@x");
	ck_assert_ptr_nonnull(strstr(h->out, "|proceed\n"));
	feeds(f, h, "report|0.6|1.1|smtp-in|link-disconnect|5");
	ck_assert_uint_eq(smtpd_filter_sessions(f), 0);
	smtpd_filter_free(f);
	free(h);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("smtpd_filter");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, golden_all);
	tcase_add_test(tc, sessions_freed);
	tcase_add_test(tc, garbage_ignored);
	tcase_add_test(tc, binary_bytes);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
