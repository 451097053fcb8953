/*
 * test_rules_alloc.c: mxg_rules_eval does not allocate on the common path
 * (the seed config, lookups answered, no log sink). malloc is interposed
 * here to count calls; under AddressSanitizer the count is skipped.
 */
#include "mxg_test.h"
#include "mxg_rules.h"

#if defined(__SANITIZE_ADDRESS__)
#define COUNTING 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNTING 0
#endif
#endif
#ifndef COUNTING
#define COUNTING 1
#endif

static unsigned long nalloc;

#if COUNTING
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);

void *
malloc(size_t n)
{
	nalloc++;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	nalloc++;
	return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	nalloc++;
	return __libc_realloc(p, n);
}
#endif

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
	(void)zone;
	(void)answer;
	(void)why;
	return 0;
}

static int
spf(void *ctx, int *result, const char **why)
{
	(void)ctx;
	(void)why;
	*result = MXG_SPF_NONE;
	return 1;
}

static int
geoip(void *ctx, char cc[3], const char **why)
{
	(void)ctx;
	(void)why;
	memcpy(cc, "DE", 3);
	return 1;
}

static const struct mxg_lookup_ops ops = {
	.prefetch = prefetch, .dnsrbl = dnsrbl, .spf = spf, .geoip = geoip
};

START_TEST(no_alloc_in_eval)
{
	static const char *const ips[] = { "203.0.113.14", "209.85.128.5",
		"2a01:111:f400::1", "127.0.0.1" };
	struct mxg_log log = { NULL, NULL };
	struct mxg_ruleset *rs;
	struct mxg_request req;
	struct mxg_eval ev;
	struct mxg_match m;
	unsigned long before, after;
	size_t i;
	int err, k, bad;

	rs = mxg_rules_load("tests/golden/rules/seed.conf", &log, &err);
	ck_assert_ptr_nonnull(rs);
	for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		memset(&req, 0, sizeof(req));
		memset(&ev, 0, sizeof(ev));
		req.client_addr = ips[i];
		req.sender = "someone@sender.example";
		req.rcpt = "me@example.jp";
		req.helo = "mx.sender.example";
		req.client_name = "mx.sender.example";
		ev.req = &req;
		ck_assert_int_eq(mxg_ip_parse(ips[i], &ev.ip), 0);
		ev.sender = req.sender;
		ev.rcpt = req.rcpt;
		ev.lookup = &ops;
		/* no ck_assert inside the loop: Check itself allocates */
		bad = 0;
		before = nalloc;
		for (k = 0; k < 100; k++)
			if (mxg_rules_eval(rs, MXG_STAGE_RCPT, &ev, &m) !=
			    MXG_OK)
				bad++;
		after = nalloc;
		ck_assert_int_eq(bad, 0);
		ck_assert_int_ne(m.action, MXG_RA_NONE);
		ck_assert_msg(after == before, "%lu allocations for %s",
		    after - before, ips[i]);
	}
	mxg_rules_free(rs);
	/* the counter works at all */
	if (COUNTING) {
		before = nalloc;
		rs = mxg_rules_parse(
		    "x", "racl greylist default", 21, &log, &err);
		ck_assert_uint_gt(nalloc, before);
		mxg_rules_free(rs);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("rules_alloc");
	TCase *tc = tcase_create("rules_alloc");

	tcase_add_test(tc, no_alloc_in_eval);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
