/*
 * test_lookup_engine.c: the lookups through the public API (mxg_open,
 * mxg_check) against a real DNS server (dnsmasq on 127.0.0.1): SPF pass
 * whitelists a trusted domain, a DNSRBL hit greylists, a DNSRBL whose
 * server never answers gives the failure action within the `resolver`
 * timeout, with the reason in the reply text.
 */
#include <sys/types.h>
#include <netinet/in.h>

#include "mxg_test.h"
#include "mxg_dnstest.h"
#include "mxgrey.h"

static const char zones[] =
    "local=/test/\n"
    "local=/2.0.192.in-addr.arpa/\n"
    "server=/slow.test/127.0.0.1#@SILENT@\n"
    "host-record=10.2.0.192.rbl1.test,127.0.0.2\n"
    "txt-record=pass.spf.test,\"v=spf1 ip4:192.0.2.0/24 -all\"\n"
    "txt-record=fail.spf.test,\"v=spf1 ip4:198.51.100.0/24 -all\"\n";

static struct mxg_dnstest srv;
static struct mxg_engine *eng;

static void
setup(void)
{
	char rules[600], store[600];
	FILE *f;

	if (mxg_dnstest_start(&srv, "test_lookup_engine", zones, 0) != 0)
		ck_abort_msg("cannot start the DNS server");
	snprintf(rules, sizeof(rules), "%s/rules.conf", srv.dir);
	snprintf(store, sizeof(store), "%s/store.tdb", srv.dir);
	f = fopen(rules, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f,
	    "resolver \"127.0.0.1:%d\" timeout 1s\n"
	    "dnsrbl \"R1\" rbl1.test 127.0.0.2\n"
	    "dnsrbl \"SLOW\" rbl.slow.test 127.0.0.2\n"
	    "racl whitelist spf pass from @pass.spf.test\n"
	    "racl greylist dnsrbl \"R1\"\n"
	    "racl greylist dnsrbl \"SLOW\"\n"
	    "racl whitelist default\n",
	    srv.port);
	ck_assert_int_eq(fclose(f), 0);
}

static void
teardown(void)
{
	mxg_dnstest_stop(&srv);
}

static int
check(const char *ip, const char *sender, struct mxg_verdict *v, long *ms)
{
	struct mxg_host host = { .api_version = MXGREY_API_VERSION };
	struct mxg_request req;
	struct timespec t0, t1;
	char rules[600], store[600];
	int rc;

	if (eng == NULL) {
		snprintf(rules, sizeof(rules), "%s/rules.conf", srv.dir);
		snprintf(store, sizeof(store), "%s/store.tdb", srv.dir);
		ck_assert_int_eq(mxg_open(&eng, rules, store, &host), MXG_OK);
	}
	memset(&req, 0, sizeof(req));
	req.client_addr = ip;
	req.helo = "client.test";
	req.sender = sender;
	req.rcpt = "rcpt@local.test";
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = mxg_check(eng, &req, v);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*ms = dnstest_ms(&t0, &t1);
	printf("%s <%s>: %s %d %s (%ld ms)\n", ip, sender,
	    mxg_action_name(v->action), v->code, v->text, *ms);
	return rc;
}

START_TEST(spf_pass_whitelists)
{
	struct mxg_verdict v;
	long ms;

	ck_assert_int_eq(
	    check("192.0.2.10", "a@pass.spf.test", &v, &ms), MXG_OK);
	ck_assert_int_eq(v.action, MXG_ACCEPT);
	ck_assert_int_eq(v.reason, MXG_R_WHITELIST);
	ck_assert_uint_eq(v.rule_line, 4);
	mxg_close(eng);
	eng = NULL;
}
END_TEST

START_TEST(dnsrbl_hit_greylists)
{
	struct mxg_verdict v;
	long ms;

	ck_assert_int_eq(
	    check("192.0.2.10", "a@fail.spf.test", &v, &ms), MXG_OK);
	ck_assert_int_eq(v.action, MXG_GREYLIST);
	ck_assert_uint_eq(v.rule_line, 5);
	/* the silent DNSRBL was asked too, but R1 decided first */
	ck_assert_int_lt(ms, 500);
	mxg_close(eng);
	eng = NULL;
}
END_TEST

START_TEST(silent_dnsrbl_fails_within_timeout)
{
	struct mxg_verdict v;
	long ms;

	ck_assert_int_eq(
	    check("192.0.2.11", "a@fail.spf.test", &v, &ms), MXG_ELOOKUP);
	ck_assert_int_eq(v.action, MXG_TEMPFAIL);
	ck_assert_int_eq(v.reason, MXG_R_FAILURE);
	ck_assert_int_eq(v.code, 451);
	ck_assert_ptr_nonnull(strstr(v.text, "rbl.slow.test"));
	ck_assert_int_ge(ms, 900);
	ck_assert_int_lt(ms, 1400); /* c-ares alone would take 1.5 s */
	mxg_close(eng);
	eng = NULL;
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("lookup_engine");
	TCase *tc = tcase_create("engine");

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, spf_pass_whitelists);
	tcase_add_test(tc, dnsrbl_hit_greylists);
	tcase_add_test(tc, silent_dnsrbl_fails_within_timeout);
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
