/*
 * dns_bench.c: how long a decision that needs 4 DNSRBLs + SPF takes
 * against one that needs a single DNSRBL, on a DNS path with latency.
 * Starts dnsmasq on 127.0.0.1 (see tests/unit/mxg_dnstest.h); the
 * latency comes from netem on the loopback of a private network
 * namespace (tests/bench/dns_latency.sh sets it up; argument 0) or, where
 * the kernel has no netem, from a relay that holds every query
 * delay_ms (argument > 0). Every round uses a fresh provider: no cache.
 *
 *	dns_bench DELAY_MS [ROUNDS]
 *
 * Prints one "result:" line; exits 1 if the ratio is above 1.5.
 */
#include <sys/types.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../unit/mxg_dnstest.h"
#include "mxg_dns.h"
#include "mxg_lookup.h"
#include "mxg_rules.h"

static const char zones[] =
    "local=/test/\n"
    "host-record=10.2.0.192.rbl1.test,127.0.0.2\n"
    "host-record=10.2.0.192.rbl2.test,127.0.0.4\n"
    "host-record=10.2.0.192.rbl3.test,127.0.0.5\n"
    "txt-record=pass.spf.test,\"v=spf1 ip4:192.0.2.0/24 "
    "-all\"\n";

/* full 0: one DNSRBL; 1: 4 DNSRBL + SPF; 2: the same without prefetch. */
static long
decision(const char *servers, int full)
{
	static const char *const z[] = { "rbl1.test", "rbl2.test", "rbl3.test",
		"rbl4.test" };
	const struct mxg_lookup_ops *ops = mxg_lookup_ops();
	struct mxg_lookup_conf conf;
	struct mxg_lookup *lk;
	struct mxg_request req;
	struct mxg_eval ev;
	struct mxg_ip ans;
	struct timespec t0, t1;
	const char *why = NULL;
	size_t i, n = full ? 4 : 1;
	int r, bad = 0;

	memset(&conf, 0, sizeof(conf));
	conf.servers = servers;
	conf.timeout_ms = 5000;
	if ((lk = mxg_lookup_new_conf(&conf, NULL)) == NULL)
		return -1;
	memset(&ev, 0, sizeof(ev));
	memset(&req, 0, sizeof(req));
	req.helo = "h.test";
	ev.req = &req;
	ev.sender = "a@pass.spf.test";
	mxg_ip_parse("192.0.2.10", &ev.ip);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	mxg_lookup_begin(lk, &ev);
	if (full < 2)
		mxg_lookup_prefetch(lk, z, n, full ? MXG_NEED_SPF : 0);
	for (i = 0; i < n; i++)
		if (ops->dnsrbl(lk, z[i], &ans, &why) == -1)
			bad = 1;
	if (full && (ops->spf(lk, &r, &why) != 1 || r != MXG_SPF_PASS))
		bad = 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	mxg_lookup_free(lk);
	return bad ? -1 : dnstest_ms(&t0, &t1);
}

static int
cmp(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct mxg_dnstest srv;
	long delay, one[64], all[64], ser[64], m1, m5, ms;
	int rounds, i, rc;
	char servers[64];

	if (argc < 2) {
		fprintf(stderr, "usage: dns_bench DELAY_MS [ROUNDS]\n");
		return 2;
	}
	delay = atol(argv[1]);
	rounds = argc > 2 ? atoi(argv[2]) : 15;
	if (rounds < 1 || rounds > 64)
		rounds = 15;
	rc = mxg_dnstest_start(&srv, "dns_bench", zones, delay);
	if (rc != 0)
		return rc == 77 ? 77 : 1;
	snprintf(servers, sizeof(servers), "127.0.0.1:%d",
	    delay > 0 ? srv.relay_port : srv.port);
	for (i = 0; i < rounds; i++) {
		one[i] = decision(servers, 0);
		all[i] = decision(servers, 1);
		ser[i] = decision(servers, 2);
		if (one[i] < 0 || all[i] < 0 || ser[i] < 0) {
			printf("a lookup failed in round %d\n", i);
			mxg_dnstest_stop(&srv);
			return 1;
		}
	}
	mxg_dnstest_stop(&srv);
	qsort(one, (size_t)rounds, sizeof(long), cmp);
	qsort(all, (size_t)rounds, sizeof(long), cmp);
	qsort(ser, (size_t)rounds, sizeof(long), cmp);
	m1 = one[rounds / 2];
	m5 = all[rounds / 2];
	ms = ser[rounds / 2];
	printf("result: %s delay; single DNSRBL median %ld ms; "
	       "4 DNSRBL + SPF median %ld ms; ratio %.2f (target <= 1.5); "
	       "without prefetch %ld ms (ratio %.2f); %d rounds\n",
	    delay > 0 ? "relay" : "netem", m1, m5,
	    m1 > 0 ? (double)m5 / (double)m1 : 0.0, ms,
	    m1 > 0 ? (double)ms / (double)m1 : 0.0, rounds);
	return m5 * 2 <= m1 * 3 ? 0 : 1;
}
