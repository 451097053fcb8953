/*
 * golden.c: driver for the rules golden tests.
 *
 *   golden RULES.conf [REQUESTS.in]
 *
 * Loads the rules (every log line goes to stdout as "LEVEL: text", with
 * the file name as given). Without REQUESTS, prints "ok" or "refused:
 * <error>". With REQUESTS, evaluates one request per line and prints one
 * verdict line each. A request line is blank-separated key=value fields
 * (in values, \s is a blank); '#' starts a comment line:
 *   ip from rcpt helo name auth tls rcptcount now stage(rcpt|data)
 *   msgsize header body queue local remaining elapsed macro=name:value
 *   rbl=zone:a.b.c.d (listed with that answer)  spf=pass|fail|...
 *   geo=CC  rdns=name  unconfirmed=1  lookup=none (no provider)
 *   fail=rbl|spf|geo|rdns (that lookup could not decide)
 *   rblmatch=1 (the provider offers dnsrbl_match: every rbl= answer of a
 *   zone is an A record, any may match)
 * A fake lookup provider answers the network clauses from those fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mxgrey.h"
#include "mxg_rules.h"

#define MAXF 32

struct fake {
	char *rbl[8];
	struct mxg_ip rblans[8];
	int nrbl;
	int spf;
	const char *geo;
	const char *rdns;
	int confirmed;
	const char *fail;
};

static const char *const levels[] = { "", "", "", "error", "warning", "notice",
	"info", "debug" };

static void
logfn(void *ctx, int level, const char *msg)
{
	(void)ctx;
	printf("%s: %s\n", level >= 3 && level <= 7 ? levels[level] : "?", msg);
}

static int
failing(const struct fake *f, const char *what)
{
	return f->fail != NULL && strcmp(f->fail, what) == 0;
}

static int
f_dnsrbl_match(void *ctx, const char *zone, const struct mxg_ip *want,
    int prefix, struct mxg_ip *answer, const char **why)
{
	struct fake *f = ctx;
	struct mxg_ip a, b;
	int i, listed = 0;

	if (failing(f, "rbl")) {
		*why = "fake DNSRBL failure";
		return -1;
	}
	mxg_ip_mask(want, prefix, &b);
	for (i = 0; i < f->nrbl; i++) {
		if (strcmp(f->rbl[i], zone) != 0)
			continue;
		listed = 1;
		mxg_ip_mask(&f->rblans[i], prefix, &a);
		if (a.family == b.family && memcmp(a.a, b.a, 4) == 0) {
			*answer = f->rblans[i];
			return 1;
		}
	}
	(void)listed;
	return 0;
}

static void
prefetch(void *ctx, const struct mxg_ruleset *rs, enum mxg_stage st)
{
	(void)ctx;
	(void)rs;
	(void)st;
}

static int
f_dnsrbl(void *ctx, const char *zone, struct mxg_ip *answer, const char **why)
{
	struct fake *f = ctx;
	int i;

	if (failing(f, "rbl")) {
		*why = "fake DNSRBL failure";
		return -1;
	}
	for (i = 0; i < f->nrbl; i++)
		if (strcmp(f->rbl[i], zone) == 0) {
			*answer = f->rblans[i];
			return 1;
		}
	return 0;
}

static int
f_spf(void *ctx, int *result, const char **why)
{
	struct fake *f = ctx;

	if (failing(f, "spf")) {
		*why = "fake SPF failure";
		return -1;
	}
	*result = f->spf;
	return 1;
}

static int
f_geoip(void *ctx, char cc[3], const char **why)
{
	struct fake *f = ctx;

	if (failing(f, "geo")) {
		*why = "fake GeoIP failure";
		return -1;
	}
	if (f->geo == NULL)
		return 0;
	/* a provider answers from its per-request memo: a copy, no printf */
	cc[0] = f->geo[0];
	cc[1] = cc[0] ? f->geo[1] : '\0';
	cc[2] = '\0';
	return 1;
}

static int
f_rdns(void *ctx, const char **name, int *confirmed, const char **why)
{
	struct fake *f = ctx;

	if (failing(f, "rdns")) {
		*why = "fake rDNS failure";
		return -1;
	}
	*name = f->rdns;
	*confirmed = f->confirmed;
	return 1;
}

static const struct mxg_lookup_ops fakeops = { .prefetch = prefetch,
	.dnsrbl = f_dnsrbl,
	.spf = f_spf,
	.geoip = f_geoip,
	.rdns = f_rdns };

/* the same with the optional op that sees every A record */
static const struct mxg_lookup_ops fakeops_match = { .prefetch = prefetch,
	.dnsrbl = f_dnsrbl,
	.dnsrbl_match = f_dnsrbl_match,
	.spf = f_spf,
	.geoip = f_geoip,
	.rdns = f_rdns };

static int
spfval(const char *s)
{
	static const char *const n[] = { "none", "neutral", "pass", "fail",
		"softfail", "temperror", "permerror" };
	int i;

	for (i = 0; i < 7; i++)
		if (strcmp(s, n[i]) == 0)
			return i;
	return 0;
}

static void
unescape(char *s)
{
	char *d = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] == 's') {
			*d++ = ' ';
			s++;
		} else if (s[0] == '\\' && s[1] == 'n') {
			*d++ = '\n';
			s++;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

static const char *const actions[] = { "none", "whitelist", "greylist",
	"blacklist" };

static void
request(const struct mxg_ruleset *rs, char *line, unsigned lineno)
{
	struct mxg_request req;
	struct mxg_eval ev;
	struct mxg_match m;
	struct mxg_macro macros[MAXF];
	struct fake f;
	enum mxg_stage stage = MXG_STAGE_RCPT;
	char *tok, *save, *v, *c;
	char buf[1024];
	int nolookup = 0, rblmatch = 0, r;

	memset(&req, 0, sizeof(req));
	memset(&ev, 0, sizeof(ev));
	memset(&f, 0, sizeof(f));
	f.confirmed = 1;
	req.rcpt_count = 1;
	req.now = 1700000000;
	for (tok = strtok_r(line, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save)) {
		if ((v = strchr(tok, '=')) == NULL)
			continue;
		*v++ = '\0';
		unescape(v);
		if (strcmp(tok, "ip") == 0)
			req.client_addr = v;
		else if (strcmp(tok, "from") == 0)
			req.sender = v;
		else if (strcmp(tok, "rcpt") == 0)
			req.rcpt = v;
		else if (strcmp(tok, "helo") == 0)
			req.helo = v;
		else if (strcmp(tok, "name") == 0)
			req.client_name = v;
		else if (strcmp(tok, "auth") == 0)
			req.auth_id = v;
		else if (strcmp(tok, "tls") == 0)
			req.tls = atoi(v);
		else if (strcmp(tok, "rcptcount") == 0)
			req.rcpt_count = (unsigned)atoi(v);
		else if (strcmp(tok, "now") == 0)
			req.now = atol(v);
		else if (strcmp(tok, "queue") == 0)
			req.queue_id = v;
		else if (strcmp(tok, "local") == 0)
			req.local_name = v;
		else if (strcmp(tok, "stage") == 0)
			stage = strcmp(v, "data") == 0 ? MXG_STAGE_DATA
			                               : MXG_STAGE_RCPT;
		else if (strcmp(tok, "msgsize") == 0)
			ev.msgsize = (size_t)atol(v);
		else if (strcmp(tok, "header") == 0)
			ev.headers = v;
		else if (strcmp(tok, "body") == 0) {
			ev.body = v;
			ev.body_len = strlen(v);
		} else if (strcmp(tok, "remaining") == 0)
			ev.remaining = atol(v);
		else if (strcmp(tok, "elapsed") == 0)
			ev.elapsed = atol(v);
		else if (strcmp(tok, "macro") == 0 && req.nmacros < MAXF &&
		    (c = strchr(v, ':')) != NULL) {
			*c = '\0';
			macros[req.nmacros].name = v;
			macros[req.nmacros++].value = c + 1;
		} else if (strcmp(tok, "rbl") == 0 && f.nrbl < 8 &&
		    (c = strchr(v, ':')) != NULL) {
			*c = '\0';
			f.rbl[f.nrbl] = v;
			mxg_ip_parse(c + 1, &f.rblans[f.nrbl++]);
		} else if (strcmp(tok, "spf") == 0)
			f.spf = spfval(v);
		else if (strcmp(tok, "geo") == 0)
			f.geo = v;
		else if (strcmp(tok, "rdns") == 0)
			f.rdns = v;
		else if (strcmp(tok, "unconfirmed") == 0)
			f.confirmed = 0;
		else if (strcmp(tok, "lookup") == 0)
			nolookup = 1;
		else if (strcmp(tok, "rblmatch") == 0)
			rblmatch = 1;
		else if (strcmp(tok, "fail") == 0)
			f.fail = v;
	}
	req.macros = macros;
	ev.req = &req;
	if (req.client_addr != NULL)
		mxg_ip_parse(req.client_addr, &ev.ip);
	ev.sender = req.sender ? req.sender : "";
	ev.rcpt = req.rcpt ? req.rcpt : "";
	ev.now = req.now;
	ev.log.fn = logfn;
	ev.lookup = nolookup ? NULL : rblmatch ? &fakeops_match : &fakeops;
	ev.lookup_ctx = &f;
	r = mxg_rules_eval(rs, stage, &ev, &m);
	printf("%u: %s line=%u", lineno,
	    r == MXG_ELOOKUP ? "undecided" : actions[m.action], m.line);
	if (r == MXG_ELOOKUP)
		printf(" why=\"%s\"", m.undecided ? m.undecided : "?");
	if (m.delay >= 0)
		printf(" delay=%ld", m.delay);
	if (m.autowhite >= 0)
		printf(" autowhite=%ld", m.autowhite);
	if (m.code != 0)
		printf(" code=%d", m.code);
	if (m.ecode != NULL)
		printf(" ecode=%s", m.ecode);
	if (m.id != NULL)
		printf(" id=\"%s\"", m.id);
	if (m.nolog)
		printf(" nolog");
	if (m.msg != NULL) {
		mxg_fmt_expand(m.msg, &ev, buf, sizeof(buf));
		printf(" msg=\"%s\"", buf);
	}
	if (m.report != NULL) {
		mxg_fmt_expand(m.report, &ev, buf, sizeof(buf));
		printf(" report=\"%s\"", buf);
	}
	if (m.addheader != NULL) {
		mxg_fmt_expand(m.addheader, &ev, buf, sizeof(buf));
		printf(" addheader=\"%s\"", buf);
	}
	printf("\n");
}

static void
config(const struct mxg_ruleset *rs)
{
	const struct mxg_config *cf = mxg_rules_config(rs);
	size_t i, n;
	const char *const *z;

	printf("config: delay=%ld autowhite=%ld timeout=%ld subnet=%d/%d "
	       "flags=%#x report=%u failaction=%d",
	    cf->delay, cf->autowhite, cf->timeout, cf->subnetmatch,
	    cf->subnetmatch6, cf->flags, cf->report, (int)cf->fail_action);
	if (cf->store)
		printf(" store=%s/%lu", cf->store, cf->store_hashsize);
	if (cf->socket)
		printf(" socket=%s/%o", cf->socket, cf->socket_mode);
	if (cf->user)
		printf(" user=%s", cf->user);
	if (cf->pidfile)
		printf(" pidfile=%s", cf->pidfile);
	if (cf->dumpfile)
		printf(" dumpfile=%s", cf->dumpfile);
	if (cf->geoip_db)
		printf(" geoipdb=%s", cf->geoip_db);
	for (i = 0; i < cf->nresolvers; i++)
		printf(" resolver=%s", cf->resolvers[i]);
	if (cf->resolver_timeout_ms)
		printf(" resolver_timeout=%ldms", cf->resolver_timeout_ms);
	printf("\n");
	for (i = 0; i < 2; i++) {
		z = mxg_rules_dnsrbl_zones(rs, (enum mxg_stage)i, &n);
		printf(
		    "stage %s: rules=%d needs=%#x zones=", i ? "data" : "rcpt",
		    mxg_rules_has_stage(rs, (enum mxg_stage)i),
		    mxg_rules_needs(rs, (enum mxg_stage)i));
		while (n-- > 0)
			printf("%s%s", *z++, n ? "," : "");
		printf("\n");
	}
}

static void
nolog(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	(void)msg;
}

static double
nsper(const struct mxg_ruleset *rs, long n, int logging)
{
	struct mxg_request req;
	struct mxg_eval ev;
	struct mxg_match m;
	struct fake f;
	struct timespec a, b;
	long i;

	memset(&req, 0, sizeof(req));
	memset(&ev, 0, sizeof(ev));
	memset(&f, 0, sizeof(f));
	f.spf = MXG_SPF_NONE;
	f.geo = "DE";
	f.confirmed = 1;
	req.client_addr = "203.0.113.14";
	req.sender = "someone@sender.example";
	req.rcpt = "me@example.jp";
	req.helo = "mx.sender.example";
	req.client_name = "mx.sender.example";
	req.rcpt_count = 1;
	req.now = 1700000000;
	ev.req = &req;
	mxg_ip_parse(req.client_addr, &ev.ip);
	ev.sender = req.sender;
	ev.rcpt = req.rcpt;
	ev.now = req.now;
	ev.lookup = &fakeops;
	ev.lookup_ctx = &f;
	if (logging)
		ev.log.fn = nolog;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < n; i++)
		mxg_rules_eval(rs, MXG_STAGE_RCPT, &ev, &m);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return ((double)(b.tv_sec - a.tv_sec) * 1e9 +
	           (double)(b.tv_nsec - a.tv_nsec)) /
	    (double)n;
}

/* --bench rules.conf N: ns per decision vs an empty ruleset */
static int
bench(const char *path, long n)
{
	struct mxg_log log = { logfn, NULL };
	struct mxg_ruleset *rs, *empty;
	double e, r, rl;
	int err;

	if ((rs = mxg_rules_load(path, &log, &err)) == NULL ||
	    (empty = mxg_rules_parse("empty", "", 0, &log, &err)) == NULL)
		return 1;
	e = nsper(empty, n, 0);
	r = nsper(rs, n, 0);
	rl = nsper(rs, n / 4 + 1, 1);
	printf("empty ruleset: %.1f ns/decision\n", e);
	printf("%s: %.1f ns/decision (extra %.1f ns); with log lines "
	       "expanded for a host logger: %.1f ns\n",
	    path, r, r - e, rl);
	mxg_rules_free(rs);
	mxg_rules_free(empty);
	return 0;
}

int
main(int argc, char **argv)
{
	struct mxg_log log = { logfn, NULL };
	struct mxg_ruleset *rs;
	char line[4096];
	unsigned lineno = 0;
	FILE *in;
	int err = 0;

	if (argc == 4 && strcmp(argv[1], "--bench") == 0)
		return bench(argv[2], atol(argv[3]));
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: golden rules.conf [requests.in]\n");
		return 2;
	}
	if ((rs = mxg_rules_load(argv[1], &log, &err)) == NULL) {
		printf("refused: %s\n", mxg_strerror(err));
		return 0;
	}
	if (argc == 2) {
		config(rs);
		printf("ok\n");
		mxg_rules_free(rs);
		return 0;
	}
	if ((in = fopen(argv[2], "r")) == NULL) {
		perror(argv[2]);
		mxg_rules_free(rs);
		return 2;
	}
	while (fgets(line, sizeof(line), in) != NULL) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		request(rs, line, lineno);
	}
	fclose(in);
	mxg_rules_free(rs);
	return 0;
}
