/*
 * test_pending.c: the non-blocking API (mxg_check_start/finish,
 * mxg_poll_fds/process) against a real DNS server (dnsmasq on
 * 127.0.0.1): many checks under way at once, answers shared through the
 * cache, a zone that never answers holding up only its own checks, and
 * cancel/close with checks outstanding.
 */
#include <sys/types.h>
#include <netinet/in.h>

#include "mxg_test.h"
#include "mxg_dnstest.h"
#include "mxgrey.h"

static const char zones[] = "local=/test/\n"
                            "server=/slow.test/127.0.0.1#@SILENT@\n"
                            "host-record=10.2.0.192.rbl1.test,127.0.0.2\n"
                            "host-record=12.2.0.192.rbl1.test,127.0.0.2\n"
                            "host-record=14.2.0.192.rbl1.test,127.0.0.2\n";

static struct mxg_dnstest srv;
static char dir[256], rules[512], store[512];

static void
setup(void)
{
	if (mxg_dnstest_start(&srv, "test_pending", zones, 0) != 0)
		ck_abort_msg("cannot start the DNS server");
	snprintf(dir, sizeof(dir), "%s", mxg_test_dir("pending"));
	snprintf(rules, sizeof(rules), "%s/rules.conf", dir);
	snprintf(store, sizeof(store), "%s/store.tdb", dir);
}

static void
teardown(void)
{
	mxg_dnstest_stop(&srv);
}

static struct mxg_engine *
engine(const char *zone)
{
	struct mxg_host host = { .api_version = MXGREY_API_VERSION };
	struct mxg_engine *e = NULL;
	FILE *f = fopen(rules, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f,
	    "resolver \"127.0.0.1:%d\" timeout 1s\n"
	    "dnsrbl \"R\" %s 127.0.0.0/8\n"
	    "racl greylist dnsrbl \"R\" msg \"listed in %%D\"\n"
	    "racl whitelist default\n",
	    srv.port, zone);
	fclose(f);
	unlink(store);
	ck_assert_int_eq(mxg_open(&e, rules, store, &host), MXG_OK);
	return e;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#define N 24

/* Drive every pending check to its end; returns the slowest in ms. */
static double
drive(struct mxg_engine *e, struct mxg_pending **p, struct mxg_verdict *v,
    int *rc, double *done_at, int n)
{
	double t0 = now_ms(), worst = 0;
	int left = 0;

	for (int i = 0; i < n; i++)
		left += p[i] != NULL;
	while (left > 0) {
		struct pollfd fds[32];
		int nf, to;

		ck_assert_msg(now_ms() - t0 < 5000, "pending checks hang");
		nf = mxg_poll_fds(e, fds, 32, &to);
		ck_assert_int_le(to, 1100);
		(void)poll(fds, (nfds_t)nf, to);
		mxg_poll_process(e, fds, nf);
		for (int i = 0; i < n; i++) {
			if (p[i] == NULL)
				continue;
			rc[i] = mxg_check_finish(p[i], &v[i]);
			if (rc[i] == MXG_EAGAIN)
				continue;
			p[i] = NULL;
			left--;
			done_at[i] = now_ms() - t0;
			if (done_at[i] > worst)
				worst = done_at[i];
		}
	}
	return worst;
}

static void
request(struct mxg_request *req, const char *ip, const char *rcpt)
{
	memset(req, 0, sizeof(*req));
	req->client_addr = ip;
	req->sender = "a@example.org";
	req->rcpt = rcpt;
	req->now = 1700000000;
}

START_TEST(many_at_once_and_cache)
{
	struct mxg_engine *e = engine("rbl1.test");
	struct mxg_pending *p[N];
	struct mxg_verdict v[N];
	struct mxg_request req;
	double at[N];
	int rc[N];
	char ip[N][32], rcpt[N][32];

	for (int i = 0; i < N; i++) {
		snprintf(ip[i], sizeof(ip[i]), "192.0.2.%d", 10 + i % 8);
		snprintf(rcpt[i], sizeof(rcpt[i]), "r%d@example.net", i);
		request(&req, ip[i], rcpt[i]);
		/* req is a local: the engine keeps its own copy */
		rc[i] = mxg_check_start(e, &req, &p[i], &v[i]);
		ck_assert(rc[i] == MXG_EAGAIN || rc[i] == MXG_OK);
		ck_assert(rc[i] == MXG_EAGAIN ? p[i] != NULL : p[i] == NULL);
	}
	drive(e, p, v, rc, at, N);
	for (int i = 0; i < N; i++) {
		int listed = (10 + i % 8) % 2 == 0 && 10 + i % 8 <= 14;

		ck_assert_int_eq(rc[i], MXG_OK);
		ck_assert_int_eq(
		    v[i].action, listed ? MXG_GREYLIST : MXG_ACCEPT);
		if (listed)
			ck_assert_str_eq(v[i].text, "listed in R");
	}
	/* answered from the cache now: decided at once */
	request(&req, "192.0.2.10", "again@example.net");
	ck_assert_int_eq(mxg_check_start(e, &req, &p[0], &v[0]), MXG_OK);
	ck_assert_ptr_null(p[0]);
	ck_assert_int_eq(v[0].action, MXG_GREYLIST);
	mxg_close(e);
}
END_TEST

/* A zone that never answers holds up only the checks that need it. */
START_TEST(silent_zone_does_not_stall_others)
{
	struct mxg_engine *fast = engine("rbl1.test");
	struct mxg_engine *slow;
	struct mxg_pending *p[2];
	struct mxg_verdict v[2];
	struct mxg_request req;
	double at[2], t0;
	int rc[2];

	/* two engines, one resolver each: same loop drives both */
	request(&req, "192.0.2.12", "x@example.net");
	rc[0] = mxg_check_start(fast, &req, &p[0], &v[0]);
	ck_assert_int_eq(rc[0], MXG_EAGAIN);
	t0 = now_ms();
	drive(fast, p, v, rc, at, 1);
	ck_assert_int_eq(v[0].action, MXG_GREYLIST);
	ck_assert_msg(at[0] < 500, "fast zone took %.0f ms", at[0]);
	mxg_close(fast);

	slow = engine("slow.test");
	request(&req, "192.0.2.12", "y@example.net");
	rc[1] = mxg_check_start(slow, &req, &p[1], &v[1]);
	ck_assert_int_eq(rc[1], MXG_EAGAIN);
	t0 = now_ms();
	drive(slow, p + 1, v + 1, rc + 1, at + 1, 1);
	/* could not decide: the failure action, within the timeout */
	ck_assert_int_eq(rc[1], MXG_ELOOKUP);
	ck_assert_int_eq(v[1].action, MXG_TEMPFAIL);
	ck_assert_msg(
	    now_ms() - t0 < 1600, "timeout overrun: %.0f ms", now_ms() - t0);
	mxg_close(slow);
}
END_TEST

START_TEST(cancel_and_close_with_checks_outstanding)
{
	struct mxg_engine *e = engine("slow.test");
	struct mxg_pending *p[3];
	struct mxg_verdict v;
	struct mxg_request req;
	struct pollfd fds[8];
	int to;

	request(&req, "192.0.2.30", "a@x");
	ck_assert_int_eq(mxg_check_start(e, &req, &p[0], &v), MXG_EAGAIN);
	request(&req, "192.0.2.31", "a@x");
	ck_assert_int_eq(mxg_check_start(e, &req, &p[1], &v), MXG_EAGAIN);
	request(&req, "192.0.2.32", "a@x");
	ck_assert_int_eq(mxg_check_start(e, &req, &p[2], &v), MXG_EAGAIN);
	ck_assert_int_ge(mxg_poll_fds(e, fds, 8, &to), 1);
	ck_assert_int_ge(to, 0);
	mxg_check_cancel(p[1]);
	ck_assert_int_eq(mxg_check_finish(p[0], &v), MXG_EAGAIN);
	/* bad arguments: clear errors */
	ck_assert_int_eq(mxg_check_finish(NULL, &v), MXG_EINVAL);
	ck_assert_int_eq(mxg_check_start(e, &req, NULL, &v), MXG_EINVAL);
	mxg_check_cancel(NULL);
	mxg_close(e); /* p[0] and p[2] go with it */
	ck_assert_int_eq(mxg_poll_fds(NULL, fds, 8, &to), 0);
	ck_assert_int_eq(to, -1);
}
END_TEST

/* Rules with no lookups never go pending. */
START_TEST(no_lookups_decides_at_once)
{
	struct mxg_host host = { .api_version = MXGREY_API_VERSION };
	struct mxg_engine *e = NULL;
	struct mxg_pending *p = (struct mxg_pending *)&p;
	struct mxg_verdict v;
	struct mxg_request req;
	struct pollfd fds[4];
	int to;
	FILE *f = fopen(rules, "w");

	ck_assert_ptr_nonnull(f);
	fputs("racl greylist default\n", f);
	fclose(f);
	unlink(store);
	ck_assert_int_eq(mxg_open(&e, rules, store, &host), MXG_OK);
	request(&req, "192.0.2.1", "a@x");
	ck_assert_int_eq(mxg_check_start(e, &req, &p, &v), MXG_OK);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(v.action, MXG_GREYLIST);
	ck_assert_int_eq(mxg_poll_fds(e, fds, 4, &to), 0);
	ck_assert_int_eq(to, -1);
	mxg_close(e);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("pending");
	TCase *tc = tcase_create("dns");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, many_at_once_and_cache);
	tcase_add_test(tc, silent_zone_does_not_stall_others);
	tcase_add_test(tc, cancel_and_close_with_checks_outstanding);
	tcase_add_test(tc, no_lookups_decides_at_once);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
