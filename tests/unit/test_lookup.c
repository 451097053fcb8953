/*
 * test_lookup.c: the lookup provider against a real DNS server (dnsmasq
 * on 127.0.0.1): DNSRBL hits and misses (v4, v6), SPF results through
 * libspf2 on our resolver, rDNS with forward confirmation, timeouts that
 * end within the limit, the answer cache (counted in the server's log),
 * concurrency (4 DNSRBL + SPF in about one round trip, through a relay
 * that delays every query) and the non-blocking interface.
 */
#include <sys/types.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <tdb.h>

#include "mxg_test.h"
#include "mxg_dnstest.h"
#include "mxg_dns.h"
#include "mxg_lookup.h"
#include "mxg_rules.h"

#define RELAY_MS 150

/* An SPF record of about 750 bytes in three strings (TCP or EDNS). */
#define BIG_SPF                                                                \
	"txt-record=big.spf.test,"                                             \
	"\"v=spf1 ip4:198.51.1.0/24 ip4:198.51.2.0/24 ip4:198.51.3.0/"         \
	"24 ip4:198.51.4.0/24 ip4:198.51.5.0/24 ip4:198.51.6.0/24 ip4"         \
	":198.51.7.0/24 ip4:198.51.8.0/24 ip4:198.51.9.0/24 ip4:198.5"         \
	"1.10.0/24 ip4:198.51.11.0/24 ip4:198.51.12.0/24 ip4:198.51.1"         \
	"3.0/24\",\" ip4:198.51.14.0/24 ip4:198.51.15.0/24 ip4:198.51"         \
	".16.0/24 ip4:198.51.17.0/24 ip4:198.51.18.0/24 ip4:198.51.19"         \
	".0/24 ip4:198.51.20.0/24 ip4:198.51.21.0/24 ip4:198.51.22.0/"         \
	"24 ip4:198.51.23.0/24 ip4:198.51.24.0/24 ip4:198.51.25.0/24 "         \
	"ip4:198.51.26.0/24\",\" ip4:198.51.27.0/24 ip4:198.51.28.0/2"         \
	"4 ip4:198.51.29.0/24 ip4:198.51.30.0/24 ip4:198.51.31.0/24 i"         \
	"p4:198.51.32.0/24 ip4:198.51.33.0/24 ip4:198.51.34.0/24 ip4:"         \
	"198.51.35.0/24 ip4:198.51.36.0/24 ip4:198.51.37.0/24 ip4:198"         \
	".51.38.0/24 ip4:198.51.39.0/24 ip4:192.0.2.0/24 -all\"\n"

/*
 * Client 192.0.2.10 is listed in rbl1 (127.0.0.2) and rbl2 (127.0.0.4),
 * 192.0.2.11 nowhere; 2001:db8::10 in rbl1 (127.0.0.3). SPF domains for
 * each result. PTR: .10 confirmed, .11 names a host with another
 * address, .12 has none. slow.test is served by a server that never
 * answers.
 */
static const char zones[] =
    "local=/test/\n"
    "local=/2.0.192.in-addr.arpa/\n"
    "server=/slow.test/127.0.0.1#@SILENT@\n"
    "host-record=10.2.0.192.rbl1.test,127.0.0.2\n"
    "host-record=10.2.0.192.rbl2.test,127.0.0.4\n"
    "host-record=10.2.0.192.multi.test,127.0.0.2\n"
    "host-record=10.2.0.192.multi.test,127.0.0.10\n"
    "host-record=20.2.0.192.rbl1.test,127.0.0.2\n"
    "host-record=30.2.0.192.rbl1.test,127.0.0.2\n"
    "host-record=30.2.0.192.short2.test,127.0.0.9,1\n"
    "host-record=10.2.0.192.rbl3.test,127.0.0.5\n"
    "host-record=10.2.0.192.rbl4.test,127.0.0.6\n"
    "host-record=short.2.0.192.rbl1.test,127.0.0.9,1\n"
    "host-record=0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0."
    "1.0.0.2.rbl1.test,127.0.0.3\n"
    "txt-record=pass.spf.test,\"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "txt-record=fail.spf.test,\"v=spf1 ip4:198.51.100.0/24 -all\"\n"
    "txt-record=soft.spf.test,\"v=spf1 ip4:198.51.100.0/24 ~all\"\n"
    "txt-record=neutral.spf.test,\"v=spf1 ?all\"\n" BIG_SPF
    "txt-record=v6.spf.test,\"v=spf1 ip6:2001:db8::/32 a:mail6.good.test -all\"\n"
    "txt-record=incl.spf.test,\"v=spf1 include:pass.spf.test -all\"\n"
    "txt-record=a.spf.test,\"v=spf1 a:host.spf.test/24 -all\"\n"
    "host-record=host.spf.test,192.0.2.200\n"
    "txt-record=bad.spf.test,\"v=spf1 ip4:192.0.2.0/99 -all\"\n"
    "txt-record=slow.spf.test,\"v=spf1 include:x.slow.test -all\"\n"
    "host-record=mail.good.test,192.0.2.10\n"
    "host-record=mail6.good.test,2001:db8::25\n"
    "txt-record=mx.spf.test,\"v=spf1 mx -all\"\n"
    "mx-host=mx.spf.test,mail.good.test,10\n"
    "ptr-record=11.2.0.192.in-addr.arpa,liar.good.test\n"
    "host-record=liar.good.test,198.51.100.99\n";

static struct mxg_dnstest srv;
static char servers[64];

static void
setup(void)
{
	if (mxg_dnstest_start(&srv, "test_lookup", zones, RELAY_MS) != 0)
		ck_abort_msg("cannot start the DNS server");
	snprintf(servers, sizeof(servers), "127.0.0.1:%d", srv.port);
}

static void
teardown(void)
{
	mxg_dnstest_stop(&srv);
}

static void
loglines(void *ctx, int level, const char *msg)
{
	int *n = ctx;

	if (level <= MXG_LOG_WARNING)
		(*n)++;
	printf("log %d: %s\n", level, msg);
}

static int nlogged;

static struct mxg_lookup *
provider(const char *srvs, long timeout_ms)
{
	struct mxg_lookup_conf conf = { 0 };
	struct mxg_log log = { loglines, &nlogged };
	struct mxg_lookup *lk;

	conf.servers = srvs;
	conf.timeout_ms = timeout_ms;
	lk = mxg_lookup_new_conf(&conf, &log);
	ck_assert_ptr_nonnull(lk);
	return lk;
}

/* A request from ip with sender; the structs live in the caller. */
static void
request(struct mxg_lookup *lk, struct mxg_eval *ev, struct mxg_request *req,
    const char *ip, const char *sender, const char *helo, const char *name)
{
	memset(ev, 0, sizeof(*ev));
	memset(req, 0, sizeof(*req));
	req->client_addr = ip;
	req->client_name = name;
	req->helo = helo;
	req->sender = sender;
	ev->req = req;
	ck_assert_int_eq(mxg_ip_parse(ip, &ev->ip), 0);
	ev->sender = sender;
	mxg_lookup_begin(lk, ev);
}

static const char *
ipstr(const struct mxg_ip *ip)
{
	static char buf[MXG_IP_STRLEN];

	mxg_ip_format(ip, buf, sizeof(buf));
	return buf;
}

static long
since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return dnstest_ms(t0, &t1);
}

START_TEST(reverse_names)
{
	struct mxg_ip ip;
	char buf[128];

	ck_assert_int_eq(mxg_ip_parse("192.0.2.10", &ip), 0);
	ck_assert_int_eq(
	    mxg_lookup_reverse(&ip, "zen.example", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "10.2.0.192.zen.example");
	ck_assert_int_eq(mxg_lookup_reverse(&ip, NULL, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "10.2.0.192.in-addr.arpa");
	ck_assert_int_eq(mxg_ip_parse("2001:db8::10", &ip), 0);
	ck_assert_int_eq(mxg_lookup_reverse(&ip, NULL, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf,
	    "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "0.8.b.d.0.1.0.0.2.ip6.arpa");
	ck_assert_int_eq(mxg_lookup_reverse(&ip, "x", buf, 40), -1);
}
END_TEST

/* A `resolver` c-ares cannot use: no provider, and the log says why. */
START_TEST(bad_resolver_refused)
{
	struct mxg_lookup_conf conf = { 0 };
	struct mxg_log log = { loglines, &nlogged };
	struct mxg_lookup *lk;
	int before = nlogged;

	conf.servers = "not-an-address:53";
	ck_assert_ptr_null(mxg_lookup_new_conf(&conf, &log));
	ck_assert_int_gt(nlogged, before);
	/* resolv.conf's servers when the rules name none */
	conf.servers = NULL;
	lk = mxg_lookup_new_conf(&conf, &log);
	ck_assert_ptr_nonnull(lk);
	mxg_lookup_free(lk);
}
END_TEST

START_TEST(dnsrbl_hits_and_misses)
{
	const struct mxg_lookup_ops *ops = mxg_lookup_ops();
	struct mxg_lookup *lk = provider(servers, 2000);
	struct mxg_eval ev;
	struct mxg_request req;
	struct mxg_ip ans;
	const char *why = NULL;

	request(lk, &ev, &req, "192.0.2.10", "a@pass.spf.test", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl1.test", &ans, &why), 1);
	ck_assert_str_eq(ipstr(&ans), "127.0.0.2");
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl2.test", &ans, &why), 1);
	ck_assert_str_eq(ipstr(&ans), "127.0.0.4");
	ck_assert_int_eq(ops->dnsrbl(lk, "nolist.test", &ans, &why), 0);

	request(lk, &ev, &req, "192.0.2.11", "a@pass.spf.test", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl1.test", &ans, &why), 0);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl2.test", &ans, &why), 0);

	request(lk, &ev, &req, "2001:db8::10", "a@pass.spf.test", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl1.test", &ans, &why), 1);
	ck_assert_str_eq(ipstr(&ans), "127.0.0.3");
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl2.test", &ans, &why), 0);

	/* v4-mapped v6 is the v4 client */
	request(lk, &ev, &req, "::ffff:192.0.2.10", "", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl1.test", &ans, &why), 1);
	mxg_lookup_free(lk);
}
END_TEST

/* A zone answering several codes (zen: SBL + PBL): any may match. */
START_TEST(dnsrbl_several_answers)
{
	const struct mxg_lookup_ops *ops = mxg_lookup_ops();
	struct mxg_lookup *lk = provider(servers, 2000);
	struct mxg_eval ev;
	struct mxg_request req;
	struct mxg_ip want, ans;
	const char *why = NULL;

	ck_assert_ptr_nonnull(ops->dnsrbl_match);
	request(lk, &ev, &req, "192.0.2.10", "", "h", NULL);
	mxg_ip_parse("127.0.0.10", &want);
	ck_assert_int_eq(
	    ops->dnsrbl_match(lk, "multi.test", &want, 32, &ans, &why), 1);
	ck_assert_str_eq(ipstr(&ans), "127.0.0.10");
	mxg_ip_parse("127.0.0.2", &want);
	ck_assert_int_eq(
	    ops->dnsrbl_match(lk, "multi.test", &want, 32, &ans, &why), 1);
	ck_assert_str_eq(ipstr(&ans), "127.0.0.2");
	mxg_ip_parse("127.0.0.4", &want);
	ck_assert_int_eq(
	    ops->dnsrbl_match(lk, "multi.test", &want, 30, &ans, &why), 0);
	mxg_ip_parse("127.0.0.0", &want);
	ck_assert_int_eq(
	    ops->dnsrbl_match(lk, "multi.test", &want, 24, &ans, &why), 1);
	/* another zone, and a client listed nowhere */
	ck_assert_int_eq(
	    ops->dnsrbl_match(lk, "rbl3.test", &want, 24, &ans, &why), 1);
	request(lk, &ev, &req, "192.0.2.11", "", "h", NULL);
	ck_assert_int_eq(
	    ops->dnsrbl_match(lk, "multi.test", &want, 24, &ans, &why), 0);
	mxg_lookup_free(lk);
}
END_TEST

static int
spf_of(struct mxg_lookup *lk, const char *ip, const char *sender,
    const char *helo, int *result, const char **why)
{
	struct mxg_eval ev;
	struct mxg_request req;

	request(lk, &ev, &req, ip, sender, helo, NULL);
	return mxg_lookup_ops()->spf(lk, result, why);
}

START_TEST(spf_results)
{
	struct mxg_lookup *lk = provider(servers, 2000);
	const char *why = NULL;
	int r = -1;

	ck_assert_int_eq(
	    spf_of(lk, "192.0.2.10", "a@pass.spf.test", "h", &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_PASS);
	ck_assert_int_eq(
	    spf_of(lk, "192.0.2.10", "a@fail.spf.test", "h", &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_FAIL);
	ck_assert_int_eq(
	    spf_of(lk, "192.0.2.10", "a@soft.spf.test", "h", &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_SOFTFAIL);
	ck_assert_int_eq(
	    spf_of(lk, "192.0.2.10", "a@neutral.spf.test", "h", &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_NEUTRAL);
	ck_assert_int_eq(
	    spf_of(lk, "192.0.2.10", "a@none.spf.test", "h", &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_NONE);
	ck_assert_int_eq(
	    spf_of(lk, "192.0.2.10", "a@incl.spf.test", "h", &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_PASS);
	ck_assert_int_eq(
	    spf_of(lk, "198.51.100.7", "a@incl.spf.test", "h", &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_FAIL);
	ck_assert_int_eq(
	    spf_of(lk, "192.0.2.10", "a@a.spf.test", "h", &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_PASS);
	ck_assert_int_eq(
	    spf_of(lk, "192.0.2.10", "a@bad.spf.test", "h", &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_PERMERROR);
	/* a record too big for 512 bytes of UDP */
	ck_assert_int_eq(
	    spf_of(lk, "192.0.2.10", "a@big.spf.test", "h", &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_PASS);
	ck_assert_int_eq(
	    spf_of(lk, "203.0.113.9", "a@big.spf.test", "h", &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_FAIL);
	/* in one EDNS answer: no retry over TCP (dnsmasq logs both) */
	ck_assert_int_eq(
	    spf_of(lk, "192.0.2.10", "a@marker.spf.test", "h", &r, &why), 1);
	ck_assert_int_eq(
	    mxg_dnstest_await(&srv, "query[TXT] marker.spf.test"), 1);
	ck_assert_int_eq(mxg_dnstest_count(&srv, "query[TXT] big.spf.test"), 1);
	/* v6 clients: ip6 and a (AAAA) */
	ck_assert_int_eq(
	    spf_of(lk, "2001:db8::25", "a@v6.spf.test", "h", &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_PASS);
	ck_assert_int_eq(
	    spf_of(lk, "2001:db9::25", "a@v6.spf.test", "h", &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_FAIL);
	/* the null sender is checked as postmaster@HELO */
	ck_assert_int_eq(
	    spf_of(lk, "192.0.2.10", "", "pass.spf.test", &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_PASS);
	ck_assert_int_eq(
	    spf_of(lk, "203.0.113.7", "", "fail.spf.test", &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_FAIL);
	mxg_lookup_free(lk);
}
END_TEST

START_TEST(spf_dns_timeout_is_temperror)
{
	struct mxg_lookup *lk = provider(servers, 1000);
	struct timespec t0;
	const char *why = NULL;
	long ms;
	int r = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(
	    spf_of(lk, "192.0.2.10", "a@slow.spf.test", "h", &r, &why), -1);
	ms = since(&t0);
	printf("SPF with a silent include: %ld ms, %s\n", ms, why);
	ck_assert_int_eq(r, MXG_SPF_TEMPERROR);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_nonnull(strstr(why, "x.slow.test"));
	ck_assert_int_ge(ms, 900);
	ck_assert_int_lt(ms, 1400); /* c-ares alone: 1.5 s */
	mxg_lookup_free(lk);
}
END_TEST

START_TEST(rdns_forward_confirmed)
{
	const struct mxg_lookup_ops *ops = mxg_lookup_ops();
	struct mxg_lookup *lk = provider(servers, 2000);
	struct mxg_eval ev;
	struct mxg_request req;
	const char *name = NULL, *why = NULL;
	int conf = -1;

	request(lk, &ev, &req, "192.0.2.10", "a@b.test", "h", NULL);
	ck_assert_int_eq(ops->rdns(lk, &name, &conf, &why), 1);
	ck_assert_str_eq(name, "mail.good.test");
	ck_assert_int_eq(conf, 1);

	request(lk, &ev, &req, "192.0.2.11", "a@b.test", "h", NULL);
	ck_assert_int_eq(ops->rdns(lk, &name, &conf, &why), 1);
	ck_assert_str_eq(name, "liar.good.test");
	ck_assert_int_eq(conf, 0);

	request(lk, &ev, &req, "192.0.2.12", "a@b.test", "h", NULL);
	ck_assert_int_eq(ops->rdns(lk, &name, &conf, &why), 0);
	ck_assert_ptr_null(name);

	/* v6: ip6.arpa PTR, AAAA back */
	request(lk, &ev, &req, "2001:db8::25", "a@b.test", "h", NULL);
	ck_assert_int_eq(ops->rdns(lk, &name, &conf, &why), 1);
	ck_assert_str_eq(name, "mail6.good.test");
	ck_assert_int_eq(conf, 1);

	/* the MTA's name is taken as it is, no query */
	request(lk, &ev, &req, "192.0.2.12", "a@b.test", "h", "mx.given.test");
	ck_assert_int_eq(ops->rdns(lk, &name, &conf, &why), 1);
	ck_assert_str_eq(name, "mx.given.test");
	ck_assert_int_eq(conf, 1);
	/* "unknown" (Postfix) means none given */
	request(lk, &ev, &req, "192.0.2.10", "a@b.test", "h", "unknown");
	ck_assert_int_eq(ops->rdns(lk, &name, &conf, &why), 1);
	ck_assert_str_eq(name, "mail.good.test");
	mxg_lookup_free(lk);
}
END_TEST

/* A zone whose server never answers: -1 at the timeout, not later. */
START_TEST(dnsrbl_timeout)
{
	const struct mxg_lookup_ops *ops = mxg_lookup_ops();
	struct mxg_lookup *lk = provider(servers, 1000);
	struct mxg_eval ev;
	struct mxg_request req;
	struct mxg_ip ans;
	struct timespec t0;
	const char *why = NULL, *why2 = NULL;
	long ms;
	int before;

	request(lk, &ev, &req, "192.0.2.10", "a@b.test", "h", NULL);
	before = nlogged;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl.slow.test", &ans, &why), -1);
	ms = since(&t0);
	printf("DNSRBL on a silent server: %ld ms, %s\n", ms, why);
	ck_assert_int_ge(ms, 900);
	ck_assert_int_lt(ms, 1400);
	ck_assert_ptr_nonnull(strstr(why, "rbl.slow.test"));
	ck_assert_int_eq(nlogged, before + 1);
	/* memo: asked again in the request, same answer at once */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl.slow.test", &ans, &why2), -1);
	ck_assert_int_lt(since(&t0), 50);
	/* logged once per cause, not once per request */
	request(lk, &ev, &req, "192.0.2.10", "a@b.test", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl.slow.test", &ans, &why), -1);
	ck_assert_int_eq(nlogged, before + 1);
	mxg_lookup_free(lk);
}
END_TEST

/* The resolver itself never answers. */
START_TEST(silent_resolver)
{
	const struct mxg_lookup_ops *ops = mxg_lookup_ops();
	struct mxg_lookup *lk;
	struct mxg_eval ev;
	struct mxg_request req;
	struct mxg_ip ans;
	struct timespec t0;
	const char *why = NULL, *name = NULL;
	char s[64];
	int r, conf;
	long ms;

	snprintf(s, sizeof(s), "127.0.0.1:%d", srv.silent_port);
	lk = provider(s, 1000);
	request(lk, &ev, &req, "192.0.2.10", "a@pass.spf.test", "h", NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl1.test", &ans, &why), -1);
	ck_assert_int_eq(ops->spf(lk, &r, &why), -1);
	ck_assert_int_eq(r, MXG_SPF_TEMPERROR);
	ck_assert_int_eq(ops->rdns(lk, &name, &conf, &why), -1);
	ms = since(&t0);
	printf("three lookups on a silent resolver: %ld ms\n", ms);
	/*
	 * One deadline for the whole request: 1 s, not 3 s (one after
	 * the other), nor c-ares' own 1.5 s (two tries) per lookup.
	 */
	ck_assert_int_ge(ms, 900);
	ck_assert_int_lt(ms, 1400);
	mxg_lookup_free(lk);
}
END_TEST

START_TEST(cache_hits_and_ttl)
{
	const struct mxg_lookup_ops *ops = mxg_lookup_ops();
	struct mxg_lookup *lk = provider(servers, 2000);
	struct mxg_eval ev;
	struct mxg_request req;
	struct mxg_ip ans;
	const char *why = NULL;
	struct timespec ts = { 1, 200000000L }, dl;
	struct mxg_dns_ans *a;
	unsigned long sent, hits;
	int i;

	for (i = 0; i < 3; i++) {
		request(lk, &ev, &req, "192.0.2.20", "", "h", NULL);
		ck_assert_int_eq(ops->dnsrbl(lk, "rbl1.test", &ans, &why), 1);
		request(lk, &ev, &req, "192.0.2.21", "", "h", NULL);
		ck_assert_int_eq(ops->dnsrbl(lk, "rbl1.test", &ans, &why), 0);
	}
	/* a record with a TTL of 1 s */
	a = mxg_dns_start(
	    mxg_lookup_dns(lk), "short.2.0.192.rbl1.test", MXG_DNS_A);
	mxg_dns_now(&dl);
	mxg_dns_add_ms(&dl, 2000);
	mxg_dns_wait(mxg_lookup_dns(lk), a, &dl);
	ck_assert_int_eq(a->status, MXG_DNS_FOUND);
	ck_assert_uint_le(a->rr[0].ttl, 1);
	mxg_dns_release(a);
	/* a marker query: the log is in order, so the others are in it */
	request(lk, &ev, &req, "192.0.2.99", "", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "marker1.test", &ans, &why), 0);
	ck_assert_int_eq(
	    mxg_dnstest_await(&srv, "query[A] 99.2.0.192.marker1.test"), 1);
	ck_assert_int_eq(
	    mxg_dnstest_count(&srv, "query[A] 20.2.0.192.rbl1.test"), 1);
	/* the negative answer is cached too */
	ck_assert_int_eq(
	    mxg_dnstest_count(&srv, "query[A] 21.2.0.192.rbl1.test"), 1);
	mxg_dns_stats(mxg_lookup_dns(lk), &sent, &hits);
	ck_assert_uint_eq(sent, 4);
	ck_assert_uint_eq(hits, 4);

	/*
	 * 1.2 s later the 300 s answers still come from the cache; the
	 * 1 s one is asked for again.
	 */
	nanosleep(&ts, NULL);
	request(lk, &ev, &req, "192.0.2.20", "", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl1.test", &ans, &why), 1);
	request(lk, &ev, &req, "192.0.2.21", "", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl1.test", &ans, &why), 0);
	a = mxg_dns_start(
	    mxg_lookup_dns(lk), "short.2.0.192.rbl1.test", MXG_DNS_A);
	mxg_dns_now(&dl);
	mxg_dns_add_ms(&dl, 2000);
	mxg_dns_wait(mxg_lookup_dns(lk), a, &dl);
	ck_assert_int_eq(a->status, MXG_DNS_FOUND);
	mxg_dns_release(a);
	mxg_dns_stats(mxg_lookup_dns(lk), &sent, &hits);
	ck_assert_uint_eq(sent, 5);
	ck_assert_uint_eq(hits, 6);
	request(lk, &ev, &req, "192.0.2.98", "", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "marker2.test", &ans, &why), 0);
	ck_assert_int_eq(
	    mxg_dnstest_await(&srv, "query[A] 98.2.0.192.marker2.test"), 1);
	ck_assert_int_eq(
	    mxg_dnstest_count(&srv, "query[A] short.2.0.192.rbl1.test"), 2);
	ck_assert_int_eq(
	    mxg_dnstest_count(&srv, "query[A] 20.2.0.192.rbl1.test"), 1);
	mxg_lookup_free(lk);
}
END_TEST

/* Everything a stage needs goes out at once: the silent server sees it. */
/* The question name of a DNS query packet, as text ("" if malformed). */
static void
qname(const unsigned char *p, ssize_t len, char *out, size_t size)
{
	ssize_t i = 12;
	size_t n = 0;

	out[0] = '\0';
	while (i < len && p[i] != 0) {
		unsigned l = p[i++];

		if (l > 63 || i + (ssize_t)l > len || n + l + 2 > size) {
			out[0] = '\0';
			return;
		}
		if (n > 0)
			out[n++] = '.';
		memcpy(out + n, p + i, l);
		n += l;
		i += l;
	}
	out[n] = '\0';
}

START_TEST(prefetch_sends_all_at_once)
{
	static const char *const z[] = { "rbl1.test", "rbl2.test", "rbl3.test",
		"rbl4.test" };
	static const char *const want[] = { "10.2.0.192.rbl1.test",
		"10.2.0.192.rbl2.test", "10.2.0.192.rbl3.test",
		"10.2.0.192.rbl4.test", "pass.spf.test",
		"10.2.0.192.in-addr.arpa" };
	struct mxg_lookup *lk;
	struct mxg_eval ev;
	struct mxg_request req;
	unsigned char buf[512];
	struct pollfd pfd;
	char s[64], name[300];
	int seen[6] = { 0 }, n = 0, k;
	ssize_t len;

	/* forget what earlier tests left at the silent server */
	while (recv(srv.silent_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	snprintf(s, sizeof(s), "127.0.0.1:%d", srv.silent_port);
	lk = provider(s, 1000);
	request(lk, &ev, &req, "192.0.2.10", "a@pass.spf.test", "h", NULL);
	mxg_lookup_prefetch(
	    lk, z, 4, MXG_NEED_DNSRBL | MXG_NEED_SPF | MXG_NEED_RDNS);
	ck_assert_uint_eq(mxg_dns_pending(mxg_lookup_dns(lk)), 6);
	/* nothing processed yet, and all six queries are at the server */
	pfd.fd = srv.silent_fd;
	pfd.events = POLLIN;
	while (n < 6 && poll(&pfd, 1, 200) == 1) {
		if ((len = recv(srv.silent_fd, buf, sizeof(buf), 0)) <= 12)
			continue;
		qname(buf, len, name, sizeof(name));
		for (k = 0; k < 6; k++)
			if (!seen[k] && strcmp(name, want[k]) == 0) {
				seen[k] = 1;
				n++;
			}
	}
	for (k = 0; k < 6; k++)
		ck_assert_msg(seen[k], "no query for %s", want[k]);
	mxg_lookup_free(lk);
}
END_TEST

/* Time of 4 DNSRBL + SPF against one DNSRBL, each query delayed. */
static long
decision_ms(int full)
{
	static const char *const z[] = { "rbl1.test", "rbl2.test", "rbl3.test",
		"rbl4.test" };
	const struct mxg_lookup_ops *ops = mxg_lookup_ops();
	struct mxg_lookup *lk;
	struct mxg_eval ev;
	struct mxg_request req;
	struct mxg_ip ans;
	struct timespec t0;
	const char *why = NULL;
	char s[64];
	size_t i;
	long ms;
	int r;

	snprintf(s, sizeof(s), "127.0.0.1:%d", srv.relay_port);
	lk = provider(s, 3000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	request(lk, &ev, &req, "192.0.2.10", "a@pass.spf.test", "h", NULL);
	mxg_lookup_prefetch(lk, z, full ? 4 : 1, full ? MXG_NEED_SPF : 0);
	for (i = 0; i < (full ? 4u : 1u); i++)
		ck_assert_int_eq(ops->dnsrbl(lk, z[i], &ans, &why), 1);
	if (full) {
		ck_assert_int_eq(ops->spf(lk, &r, &why), 1);
		ck_assert_int_eq(r, MXG_SPF_PASS);
	}
	ms = since(&t0);
	mxg_lookup_free(lk);
	return ms;
}

START_TEST(four_dnsrbl_and_spf_in_one_round_trip)
{
	long one, all, t;
	int i;

	/* best of three each, so one scheduling hiccup does not count */
	one = all = -1;
	for (i = 0; i < 3; i++) {
		t = decision_ms(0);
		if (one < 0 || t < one)
			one = t;
		t = decision_ms(1);
		if (all < 0 || t < all)
			all = t;
	}
	printf("one DNSRBL: %ld ms; 4 DNSRBL + SPF: %ld ms (ratio %.2f); "
	       "each query delayed %d ms\n",
	    one, all, (double)all / (double)one, RELAY_MS);
	ck_assert_int_ge(one, RELAY_MS - 5);
	ck_assert_int_le(all * 2, one * 3);
}
END_TEST

/*
 * With the rules engine: the ruleset's `resolver` and DNSRBLs configure
 * the provider, the prefetch op sends what the stage needs at once, and
 * the evaluator's clauses find the answers.
 */
START_TEST(rules_prefetch_and_eval)
{
	static const char fmt[] =
	    "resolver \"127.0.0.1:%d\" timeout 3s\n"
	    "dnsrbl \"R1\" rbl1.test 127.0.0.2\n"
	    "dnsrbl \"R2\" rbl2.test 127.0.0.0/24\n"
	    "dnsrbl \"R3\" rbl3.test 127.0.0.5\n"
	    "dnsrbl \"R4\" rbl4.test 127.0.0.7\n"
	    "racl whitelist spf pass from @pass.spf.test dnsrbl \"R4\"\n"
	    "racl greylist dnsrbl \"R1\" dnsrbl \"R2\" dnsrbl \"R3\"\n"
	    "racl whitelist default\n";
	struct mxg_log log = { loglines, &nlogged };
	struct mxg_ruleset *rs;
	struct mxg_lookup *lk;
	struct mxg_eval ev;
	struct mxg_request req;
	struct mxg_match m;
	struct timespec t0;
	char buf[1024];
	int err, n;
	long ms;

	n = snprintf(buf, sizeof(buf), fmt, srv.relay_port);
	rs = mxg_rules_parse("lookup.conf", buf, (size_t)n, &log, &err);
	ck_assert_ptr_nonnull(rs);
	ck_assert_int_eq(mxg_rules_config(rs)->resolver_timeout_ms, 3000);
	lk = mxg_lookup_new(mxg_rules_config(rs), &log);
	ck_assert_ptr_nonnull(lk);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	request(lk, &ev, &req, "192.0.2.10", "a@pass.spf.test", "h", NULL);
	ev.rcpt = "r@x.test";
	ev.now = time(NULL);
	ev.lookup = mxg_lookup_ops();
	ev.lookup_ctx = lk;
	ev.lookup->prefetch(lk, rs, MXG_STAGE_RCPT);
	/* 4 DNSRBL + SPF record, all in flight before anything is read */
	ck_assert_uint_eq(mxg_dns_pending(mxg_lookup_dns(lk)), 5);
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(mxg_rules_eval(rs, MXG_STAGE_RCPT, &ev, &m), MXG_OK);
	ms = since(&t0);
	printf("rules: 4 DNSRBL + SPF decision in %ld ms (relay delay %d ms)\n",
	    ms, RELAY_MS);
	ck_assert_ptr_null(m.undecided);
	ck_assert_int_eq(m.action, MXG_RA_GREYLIST);
	ck_assert_uint_eq(m.line, 7);
	/* five lookups in turn would take 5 x RELAY_MS */
	ck_assert_int_lt(ms, RELAY_MS * 2);
	mxg_lookup_end(lk);
	mxg_lookup_free(lk);
	mxg_rules_free(rs);
}
END_TEST

/* A child after fork(2) gets its own channel and keeps the cache. */
START_TEST(fork_child_gets_own_channel)
{
	const struct mxg_lookup_ops *ops = mxg_lookup_ops();
	struct mxg_lookup *lk = provider(servers, 1000);
	char share[600];
	struct mxg_eval ev;
	struct mxg_request req;
	struct mxg_ip ans;
	struct mxg_dns_ans *inflight;
	const char *why = NULL;
	unsigned long sent0, sent1;
	pid_t pid;
	int st = -1, bad = 0;

	/* the shared file, opened in the parent, reopened in the child */
	snprintf(share, sizeof(share), "%s/fork-share.tdb", srv.dir);
	ck_assert_int_eq(mxg_lookup_share(lk, share), 0);
	request(lk, &ev, &req, "192.0.2.10", "", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl1.test", &ans, &why), 1);
	inflight = mxg_dns_start(mxg_lookup_dns(lk), "y.slow.test", MXG_DNS_A);
	ck_assert_ptr_nonnull(inflight);
	ck_assert_int_eq(inflight->status, MXG_DNS_PENDING);
	mxg_dns_stats(mxg_lookup_dns(lk), &sent0, NULL);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		struct timespec t0;

		request(lk, &ev, &req, "192.0.2.10", "", "h", NULL);
		bad |= ops->dnsrbl(lk, "rbl1.test", &ans, &why) != 1;
		mxg_dns_stats(mxg_lookup_dns(lk), &sent1, NULL);
		bad |= (sent1 != sent0) << 1; /* from the cache */
		/* the parent's query is not ours to wait for */
		bad |= (inflight->status == MXG_DNS_PENDING) << 2;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		request(lk, &ev, &req, "192.0.2.11", "", "h", NULL);
		bad |= (ops->dnsrbl(lk, "rbl2.test", &ans, &why) != 0) << 3;
		bad |= (since(&t0) > 500) << 4;
		_exit(bad);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "child failed: status %d", st);
	/* the parent's channel is untouched */
	ck_assert_int_eq(inflight->status, MXG_DNS_PENDING);
	/* and what the child learned is in the shared file */
	request(lk, &ev, &req, "192.0.2.11", "", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl2.test", &ans, &why), 0);
	ck_assert_uint_eq(mxg_dns_shared_hits(mxg_lookup_dns(lk)), 1);
	mxg_dns_release(inflight);
	mxg_lookup_free(lk);
}
END_TEST

/* `resolver "[::1]:port"`: a v6 server (where the host has ::1). */
START_TEST(v6_resolver)
{
	const struct mxg_lookup_ops *ops = mxg_lookup_ops();
	struct mxg_lookup *lk;
	struct mxg_eval ev;
	struct mxg_request req;
	struct mxg_ip ans;
	const char *why = NULL;
	char s[64];

	if (!srv.v6) {
		printf("no ::1 on this host: v6 resolver not tested\n");
		return;
	}
	snprintf(s, sizeof(s), "[::1]:%d,127.0.0.1:%d", srv.port, srv.port);
	lk = provider(s, 2000);
	request(lk, &ev, &req, "192.0.2.10", "", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl3.test", &ans, &why), 1);
	ck_assert_str_eq(ipstr(&ans), "127.0.0.5");
	ck_assert_int_eq(mxg_dnstest_await(&srv,
	                     "query[A] 10.2.0.192.rbl3.test "
	                     "from ::1"),
	    1);
	mxg_lookup_free(lk);
}
END_TEST

/*
 * An event loop with two sessions on one provider: the one whose DNSRBL
 * never answers does not hold up the other; an SPF record with `mx` is
 * resolved ahead (MX, then the exchange's address).
 */
START_TEST(two_sessions_one_slow)
{
	static const char *const slow[] = { "rbl.slow.test" };
	static const char *const fast[] = { "rbl1.test", "rbl2.test" };
	const struct mxg_lookup_ops *ops = mxg_lookup_req_ops();
	struct mxg_lookup *lk;
	struct mxg_lookup_req *ra, *rb;
	struct mxg_eval eva, evb;
	struct mxg_request reqa, reqb;
	struct mxg_ip ans;
	struct pollfd fds[16];
	struct timespec t0, t1;
	const char *why = NULL;
	char s[64];
	int n, to, r;

	snprintf(s, sizeof(s), "127.0.0.1:%d", srv.relay_port);
	lk = provider(s, 2000);
	memset(&eva, 0, sizeof(eva));
	memset(&reqa, 0, sizeof(reqa));
	eva.req = &reqa;
	evb = eva;
	reqb = reqa;
	evb.req = &reqb;
	ck_assert_int_eq(mxg_ip_parse("192.0.2.10", &eva.ip), 0);
	evb.ip = eva.ip;
	evb.sender = "a@mx.spf.test";
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ra = mxg_lookup_req_new(lk, &eva);
	rb = mxg_lookup_req_new(lk, &evb);
	ck_assert_ptr_nonnull(ra);
	ck_assert_ptr_nonnull(rb);
	mxg_lookup_req_prefetch(ra, slow, 1, MXG_NEED_DNSRBL);
	mxg_lookup_req_prefetch(rb, fast, 2, MXG_NEED_DNSRBL | MXG_NEED_SPF);
	while (!mxg_lookup_req_done(rb)) {
		n = mxg_lookup_req_fds(rb, fds, 16, &to);
		poll(fds, (nfds_t)n, to);
		mxg_lookup_req_process(rb, fds, n);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("fast session done in %ld ms beside a silent one\n",
	    dnstest_ms(&t0, &t1));
	/*
	 * TXT, then MX, then the exchange's A: three round trips (450 ms);
	 * well before the silent session's 2 s deadline.
	 */
	ck_assert_int_lt(dnstest_ms(&t0, &t1), 1000);
	ck_assert_int_eq(mxg_lookup_req_done(ra), 0);
	ck_assert_int_eq(ops->dnsrbl(rb, "rbl1.test", &ans, &why), 1);
	ck_assert_int_eq(ops->dnsrbl(rb, "rbl2.test", &ans, &why), 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_eq(ops->spf(rb, &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_PASS);
	/* everything SPF needed was fetched ahead */
	ck_assert_int_lt(since(&t1), RELAY_MS / 2);
	mxg_lookup_req_wait(ra);
	ck_assert_int_eq(ops->dnsrbl(ra, "rbl.slow.test", &ans, &why), -1);
	ck_assert_int_ge(since(&t0), 1900);
	ck_assert_int_lt(since(&t0), 2400);
	mxg_lookup_req_free(ra);
	mxg_lookup_req_free(rb);
	mxg_lookup_free(lk);
}
END_TEST

/* A provider in another process (a new Exim child) finds what we learned. */
static int
sibling(struct mxg_lookup *parent, const char *share, const char *ip,
    const char *zone, int want, unsigned long want_shared)
{
	struct mxg_lookup_conf conf = { 0 };
	struct mxg_lookup *lk;
	struct mxg_eval ev;
	struct mxg_request req;
	struct mxg_ip ans;
	const char *why = NULL;
	unsigned long sent, shared;
	pid_t pid;
	int st = -1, bad = 0;

	if ((pid = fork()) == 0) {
		/* as the engine does in a child: a new provider */
		mxg_lookup_free(parent);
		conf.servers = servers;
		conf.timeout_ms = 2000;
		conf.share_path = share;
		if ((lk = mxg_lookup_new_conf(&conf, NULL)) == NULL)
			_exit(9);
		memset(&ev, 0, sizeof(ev));
		memset(&req, 0, sizeof(req));
		ev.req = &req;
		mxg_ip_parse(ip, &ev.ip);
		mxg_lookup_begin(lk, &ev);
		bad |= mxg_lookup_ops()->dnsrbl(lk, zone, &ans, &why) != want;
		mxg_dns_stats(mxg_lookup_dns(lk), &sent, NULL);
		shared = mxg_dns_shared_hits(mxg_lookup_dns(lk));
		bad |= (shared != want_shared) << 1;
		bad |= (sent != 1 - want_shared) << 2;
		mxg_lookup_free(lk);
		_exit(bad);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 99;
}

START_TEST(cache_shared_across_processes)
{
	const struct mxg_lookup_ops *ops = mxg_lookup_ops();
	struct mxg_lookup_conf conf = { 0 };
	struct mxg_lookup *lk;
	struct mxg_eval ev;
	struct mxg_request req;
	struct mxg_ip ans;
	struct timespec ts = { 1, 200000000L };
	const char *why = NULL;
	char share[600];

	snprintf(share, sizeof(share), "%s/dns-share.tdb", srv.dir);
	conf.servers = servers;
	conf.timeout_ms = 2000;
	conf.share_path = share;
	lk = mxg_lookup_new_conf(&conf, NULL);
	ck_assert_ptr_nonnull(lk);
	request(lk, &ev, &req, "192.0.2.30", "", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl1.test", &ans, &why), 1);
	request(lk, &ev, &req, "192.0.2.31", "", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl1.test", &ans, &why), 0);
	request(lk, &ev, &req, "192.0.2.30", "", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "short2.test", &ans, &why), 1);

	/* listed, and the negative answer: from the file, no query */
	ck_assert_int_eq(
	    sibling(lk, share, "192.0.2.30", "rbl1.test", 1, 1), 0);
	ck_assert_int_eq(
	    sibling(lk, share, "192.0.2.31", "rbl1.test", 0, 1), 0);
	/* a 1 s answer is gone from the file after 1.2 s: asked again */
	nanosleep(&ts, NULL);
	ck_assert_int_eq(
	    sibling(lk, share, "192.0.2.30", "short2.test", 1, 0), 0);

	request(lk, &ev, &req, "192.0.2.97", "", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "marker3.test", &ans, &why), 0);
	ck_assert_int_eq(
	    mxg_dnstest_await(&srv, "query[A] 97.2.0.192.marker3.test"), 1);
	ck_assert_int_eq(
	    mxg_dnstest_count(&srv, "query[A] 30.2.0.192.rbl1.test"), 1);
	ck_assert_int_eq(
	    mxg_dnstest_count(&srv, "query[A] 31.2.0.192.rbl1.test"), 1);
	ck_assert_int_eq(
	    mxg_dnstest_count(&srv, "query[A] 30.2.0.192.short2.test"), 2);
	mxg_lookup_free(lk);
}
END_TEST

/* A cache far smaller than the traffic keeps answering right. */
START_TEST(small_cache_under_pressure)
{
	const struct mxg_lookup_ops *ops = mxg_lookup_ops();
	struct mxg_lookup_conf conf = { 0 };
	struct mxg_lookup *lk;
	struct mxg_eval ev;
	struct mxg_request req;
	struct mxg_ip ans;
	const char *why = NULL;
	char ip[32];
	int i, round;

	conf.servers = servers;
	conf.timeout_ms = 2000;
	conf.cache_entries = 4;
	lk = mxg_lookup_new_conf(&conf, NULL);
	ck_assert_ptr_nonnull(lk);
	for (round = 0; round < 2; round++) {
		for (i = 40; i < 60; i++) {
			snprintf(ip, sizeof(ip), "192.0.2.%d", i);
			request(lk, &ev, &req, ip, "", "h", NULL);
			ck_assert_int_eq(
			    ops->dnsrbl(lk, "rbl1.test", &ans, &why), 0);
			/* twice in a request: the memo, not the cache */
			ck_assert_int_eq(
			    ops->dnsrbl(lk, "rbl1.test", &ans, &why), 0);
			request(lk, &ev, &req, "192.0.2.10", "", "h", NULL);
			ck_assert_int_eq(
			    ops->dnsrbl(lk, "rbl1.test", &ans, &why), 1);
			ck_assert_str_eq(ipstr(&ans), "127.0.0.2");
		}
	}
	mxg_lookup_free(lk);
}
END_TEST

/* Junk in every slot of the shared file is ignored, never trusted. */
START_TEST(shared_file_garbage_ignored)
{
	const struct mxg_lookup_ops *ops = mxg_lookup_ops();
	struct mxg_lookup_conf conf = { 0 };
	struct mxg_lookup *lk;
	struct mxg_eval ev;
	struct mxg_request req;
	struct mxg_ip ans;
	struct tdb_context *tdb;
	unsigned char kb[10], vb[64];
	const char *why = NULL;
	char share[600];
	unsigned long sent;
	unsigned i, j, seed = 12345;
	TDB_DATA k, v;

	snprintf(share, sizeof(share), "%s/junk-share.tdb", srv.dir);
	tdb = tdb_open(share, 4099, TDB_DEFAULT, O_RDWR | O_CREAT, 0600);
	ck_assert_ptr_nonnull(tdb);
	memcpy(kb, "mxgdns", 6);
	for (i = 0; i < 16384; i++) {
		kb[6] = (unsigned char)(i >> 24);
		kb[7] = (unsigned char)(i >> 16);
		kb[8] = (unsigned char)(i >> 8);
		kb[9] = (unsigned char)i;
		for (j = 0; j < sizeof(vb); j++) {
			seed = seed * 1103515245u + 12345u;
			vb[j] = (unsigned char)(seed >> 16);
		}
		vb[0] = 1; /* right version */
		vb[2] = 0; /* type A */
		vb[3] = 1;
		memset(vb + 4, 0x7f, 4);        /* far future */
		vb[1] = (unsigned char)(i % 4); /* status, some valid */
		k.dptr = kb;
		k.dsize = 10;
		v.dptr = vb;
		v.dsize = 16 + i % 48;
		ck_assert_int_eq(tdb_store(tdb, k, v, TDB_REPLACE), 0);
	}
	tdb_close(tdb);

	conf.servers = servers;
	conf.timeout_ms = 2000;
	conf.share_path = share;
	lk = mxg_lookup_new_conf(&conf, NULL);
	ck_assert_ptr_nonnull(lk);
	request(lk, &ev, &req, "192.0.2.10", "", "h", NULL);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl1.test", &ans, &why), 1);
	ck_assert_str_eq(ipstr(&ans), "127.0.0.2");
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl2.test", &ans, &why), 1);
	ck_assert_str_eq(ipstr(&ans), "127.0.0.4");
	ck_assert_uint_eq(mxg_dns_shared_hits(mxg_lookup_dns(lk)), 0);
	mxg_dns_stats(mxg_lookup_dns(lk), &sent, NULL);
	ck_assert_uint_eq(sent, 2);
	mxg_lookup_free(lk);
}
END_TEST

/* The event-loop form: fds + timeout, process, done; then no waiting. */
START_TEST(nonblocking_interface)
{
	static const char *const z[] = { "rbl1.test", "rbl2.test",
		"nolist.test" };
	const struct mxg_lookup_ops *ops = mxg_lookup_ops();
	struct mxg_lookup *lk;
	struct mxg_eval ev;
	struct mxg_request req;
	struct mxg_ip ans;
	struct pollfd fds[16];
	struct timespec t0;
	const char *why = NULL, *name = NULL;
	char s[64];
	int n, to, rounds = 0, r, conf;

	snprintf(s, sizeof(s), "127.0.0.1:%d", srv.relay_port);
	lk = provider(s, 3000);
	request(lk, &ev, &req, "192.0.2.10", "a@incl.spf.test", "h", NULL);
	mxg_lookup_prefetch(lk, z, 3, MXG_NEED_SPF | MXG_NEED_RDNS);
	ck_assert_int_eq(mxg_lookup_done(lk), 0);
	while (!mxg_lookup_done(lk)) {
		n = mxg_lookup_fds(lk, fds, 16, &to);
		ck_assert_int_gt(n, 0);
		ck_assert_int_ge(to, 0);
		ck_assert_int_le(to, 3000);
		poll(fds, (nfds_t)n, to);
		mxg_lookup_process(lk, fds, n);
		rounds++;
	}
	ck_assert_int_eq(mxg_lookup_fds(lk, fds, 16, &to), 0);
	ck_assert_int_eq(to, 0);
	ck_assert_uint_eq(mxg_dns_pending(mxg_lookup_dns(lk)), 0);
	/* all answers (PTR, its forward check, SPF include) are in */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl1.test", &ans, &why), 1);
	ck_assert_int_eq(ops->dnsrbl(lk, "rbl2.test", &ans, &why), 1);
	ck_assert_int_eq(ops->dnsrbl(lk, "nolist.test", &ans, &why), 0);
	ck_assert_int_eq(ops->rdns(lk, &name, &conf, &why), 1);
	ck_assert_str_eq(name, "mail.good.test");
	ck_assert_int_eq(conf, 1);
	ck_assert_int_eq(ops->spf(lk, &r, &why), 1);
	ck_assert_int_eq(r, MXG_SPF_PASS);
	ck_assert_int_lt(since(&t0), RELAY_MS / 2);
	mxg_lookup_free(lk);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("lookup");
	TCase *tc = tcase_create("dns");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, reverse_names);
	tcase_add_test(tc, bad_resolver_refused);
	tcase_add_test(tc, dnsrbl_hits_and_misses);
	tcase_add_test(tc, dnsrbl_several_answers);
	tcase_add_test(tc, spf_results);
	tcase_add_test(tc, spf_dns_timeout_is_temperror);
	tcase_add_test(tc, rdns_forward_confirmed);
	tcase_add_test(tc, dnsrbl_timeout);
	tcase_add_test(tc, silent_resolver);
	tcase_add_test(tc, cache_hits_and_ttl);
	tcase_add_test(tc, prefetch_sends_all_at_once);
	tcase_add_test(tc, four_dnsrbl_and_spf_in_one_round_trip);
	tcase_add_test(tc, nonblocking_interface);
	tcase_add_test(tc, rules_prefetch_and_eval);
	tcase_add_test(tc, fork_child_gets_own_channel);
	tcase_add_test(tc, v6_resolver);
	tcase_add_test(tc, two_sessions_one_slow);
	tcase_add_test(tc, cache_shared_across_processes);
	tcase_add_test(tc, shared_file_garbage_ignored);
	tcase_add_test(tc, small_cache_under_pressure);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (access(DNSMASQ, X_OK) != 0) {
		printf("skip: " DNSMASQ " missing (Debian package "
		       "dnsmasq-base)\n");
		return 77;
	}
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
