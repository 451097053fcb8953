/*
 * fuzz_rules.c: libFuzzer target for the rules language: tokenizer,
 * parser and compiler (mxg_rules_parse), then evaluation of a few fixed
 * requests with a fake lookup provider and %-expansion of every format,
 * and finally the input itself as a %-format.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mxgrey.h"
#include "mxg_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
prefetch(void *ctx, const struct mxg_ruleset *rs, enum mxg_stage st)
{
	(void)ctx;
	(void)rs;
	(void)st;
}

static int
dnsrbl(void *ctx, const char *zone, struct mxg_ip *answer, const char **why)
{
	(void)ctx;
	*why = "fuzz";
	if (zone[0] == 'b')
		return -1;
	mxg_ip_parse("127.0.0.2", answer);
	return zone[0] == 'z';
}

static int
dnsrbl_match(void *ctx, const char *zone, const struct mxg_ip *want, int prefix,
    struct mxg_ip *answer, const char **why)
{
	(void)ctx;
	(void)prefix;
	*why = "fuzz";
	if (zone[0] == 'b')
		return -1;
	*answer = *want;
	return zone[0] == 'm';
}

static int
spf(void *ctx, int *result, const char **why)
{
	(void)ctx;
	(void)why;
	*result = MXG_SPF_SOFTFAIL;
	return 1;
}

static int
geoip(void *ctx, char cc[3], const char **why)
{
	(void)ctx;
	(void)why;
	memcpy(cc, "CN", 3);
	return 1;
}

static int
rdns(void *ctx, const char **name, int *confirmed, const char **why)
{
	(void)ctx;
	(void)why;
	*name = "p1234-ipad.example.ne.jp";
	*confirmed = 1;
	return 1;
}

static const struct mxg_lookup_ops ops = { .prefetch = prefetch,
	.dnsrbl = dnsrbl,
	.spf = spf,
	.geoip = geoip,
	.rdns = rdns };

static const struct mxg_lookup_ops ops_match = { .prefetch = prefetch,
	.dnsrbl_match = dnsrbl_match,
	.spf = spf,
	.geoip = geoip,
	.rdns = rdns };

static const struct mxg_macro macros[] = { { "{auth_authen}", "bob" },
	{ "i", "4AB12" } };

static void
decide(const struct mxg_ruleset *rs, const char *ip, const char *name,
    int withops, enum mxg_stage stage)
{
	struct mxg_request req;
	struct mxg_eval ev;
	struct mxg_match m;
	char buf[512];

	memset(&req, 0, sizeof(req));
	memset(&ev, 0, sizeof(ev));
	req.client_addr = ip;
	req.client_name = name;
	req.helo = "mail.example.com";
	req.sender = "alice@example.com";
	req.rcpt = "bob@example.net";
	req.auth_id = withops ? "bob" : NULL;
	req.tls = withops;
	req.macros = macros;
	req.nmacros = 2;
	req.rcpt_count = 3;
	req.now = 1700000000;
	ev.req = &req;
	mxg_ip_parse(ip, &ev.ip);
	ev.sender = req.sender;
	ev.rcpt = req.rcpt;
	ev.now = req.now;
	ev.lookup = withops == 2 ? &ops_match : withops ? &ops : NULL;
	ev.remaining = 100;
	ev.msgsize = 5000;
	ev.headers = "Subject: hello\nFrom: a@b\n";
	ev.body = "body text";
	ev.body_len = 9;
	mxg_rules_eval(rs, stage, &ev, &m);
	mxg_fmt_expand(m.msg, &ev, buf, sizeof(buf));
	mxg_fmt_expand(m.report, &ev, buf, sizeof(buf));
	mxg_fmt_expand(m.addheader, &ev, buf, sizeof(buf));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mxg_log log = { NULL, NULL };
	struct mxg_ruleset *rs;
	struct mxg_eval ev;
	char *fmt, out[64];
	size_t n;
	int err = 0;

	rs = mxg_rules_parse("fuzz", (const char *)data, size, &log, &err);
	if (rs != NULL) {
		(void)mxg_rules_config(rs);
		(void)mxg_rules_needs(rs, MXG_STAGE_RCPT);
		(void)mxg_rules_dnsrbl_zones(rs, MXG_STAGE_RCPT, &n);
		decide(rs, "192.0.2.1", NULL, 1, MXG_STAGE_RCPT);
		decide(
		    rs, "2001:db8::1", "mail.example.org", 0, MXG_STAGE_RCPT);
		decide(rs, "127.0.0.1", "", 1, MXG_STAGE_DATA);
		decide(rs, "198.51.100.7", NULL, 2, MXG_STAGE_RCPT);
		mxg_rules_free(rs);
	}
	/* the input as a format string, into a small buffer */
	if ((fmt = malloc(size + 1)) == NULL)
		return 0;
	memcpy(fmt, data, size);
	fmt[size] = '\0';
	memset(&ev, 0, sizeof(ev));
	ev.sender = "a@b.example";
	ev.rcpt = "c@d.example";
	mxg_fmt_expand(fmt, &ev, out, sizeof(out));
	free(fmt);
	return 0;
}
