/* test_grey.c: the greylisting state machine and the record format. */
#include "mxg_test.h"
#include "mxg_grey.h"

static const struct mxg_grey_params P = {
	.delay = 1800, .autowhite = 86400, .timeout = 432000
};

START_TEST(first_sight_early_pass_autowhite)
{
	struct mxg_record rec, out;
	struct mxg_grey_result r;

	ck_assert_int_eq(mxg_grey_step(NULL, &P, 1000, &out, &r), 1);
	ck_assert_int_eq(r.reason, MXG_R_NEW);
	ck_assert_int_eq(r.remaining, 1800);
	ck_assert_int_eq(out.state, MXG_REC_PENDING);
	ck_assert_int_eq(out.until, 2800);
	ck_assert_int_eq(out.expire, 1000 + 432000);
	rec = out;
	/* early retry: less time left */
	ck_assert_int_eq(mxg_grey_step(&rec, &P, 1600, &out, &r), 1);
	ck_assert_int_eq(r.reason, MXG_R_EARLY);
	ck_assert_int_eq(r.remaining, 1200);
	ck_assert_int_eq(out.hits, 2);
	rec = out;
	/* one second before: still early */
	mxg_grey_step(&rec, &P, 2799, &out, &r);
	ck_assert_int_eq(r.reason, MXG_R_EARLY);
	ck_assert_int_eq(r.remaining, 1);
	rec = out;
	/* after the delay: passes, becomes autowhite */
	ck_assert_int_eq(mxg_grey_step(&rec, &P, 2800, &out, &r), 1);
	ck_assert_int_eq(r.reason, MXG_R_PASSED);
	ck_assert_int_eq(out.state, MXG_REC_AUTOWHITE);
	ck_assert_int_eq(out.until, 2800 + 86400);
	ck_assert_int_eq(r.autowhite_until, 2800 + 86400);
	rec = out;
	/* autowhite slides forward */
	mxg_grey_step(&rec, &P, 50000, &out, &r);
	ck_assert_int_eq(r.reason, MXG_R_AUTOWHITE);
	ck_assert_int_eq(out.until, 50000 + 86400);
	ck_assert_int_eq(out.expire, out.until);
	rec = out;
	/* autowhite expired: greylisted anew */
	mxg_grey_step(&rec, &P, 50000 + 86400, &out, &r);
	ck_assert_int_eq(r.reason, MXG_R_NEW);
	ck_assert_int_eq(out.state, MXG_REC_PENDING);
}
END_TEST

START_TEST(after_timeout_starts_again)
{
	struct mxg_record rec, out;
	struct mxg_grey_result r;

	mxg_grey_step(NULL, &P, 1000, &rec, &r);
	/* never retried within the timeout */
	mxg_grey_step(&rec, &P, 1000 + 432000, &out, &r);
	ck_assert_int_eq(r.reason, MXG_R_NEW);
	ck_assert_int_eq(r.remaining, 1800);
	ck_assert_int_eq(out.created, 1000 + 432000);
}
END_TEST

START_TEST(clock_going_back)
{
	struct mxg_record rec, out;
	struct mxg_grey_result r;

	mxg_grey_step(NULL, &P, 100000, &rec, &r);
	mxg_grey_step(&rec, &P, 50000, &out, &r);
	ck_assert_int_eq(r.reason, MXG_R_EARLY);
	ck_assert_int_le(r.remaining, 1800);
}
END_TEST

START_TEST(no_autowhite_deletes)
{
	struct mxg_grey_params p = P;
	struct mxg_record rec, out;
	struct mxg_grey_result r;

	p.autowhite = 0;
	mxg_grey_step(NULL, &p, 0 + 10, &rec, &r);
	ck_assert_int_eq(mxg_grey_step(&rec, &p, 10 + 1800, &out, &r), 0);
	ck_assert_int_eq(r.reason, MXG_R_PASSED);
}
END_TEST

START_TEST(zero_delay_passes)
{
	struct mxg_grey_params p = P;
	struct mxg_record out;
	struct mxg_grey_result r;

	p.delay = 0;
	ck_assert_int_eq(mxg_grey_step(NULL, &p, 10, &out, &r), 1);
	ck_assert_int_eq(r.reason, MXG_R_PASSED);
	ck_assert_int_eq(out.state, MXG_REC_AUTOWHITE);
}
END_TEST

START_TEST(lazyaw_ip_entry)
{
	struct mxg_grey_params p = P;
	struct mxg_record rec, out, ip;
	struct mxg_grey_result r;

	p.lazyaw = 1;
	ck_assert_int_eq(mxg_grey_white_check(NULL, &p, 10, &out, &r), 0);
	mxg_grey_step(NULL, &p, 10, &rec, &r);
	/* the tuple record goes, the IP entry comes */
	ck_assert_int_eq(mxg_grey_step(&rec, &p, 2000, &out, &r), 0);
	ck_assert_int_eq(r.reason, MXG_R_PASSED);
	ck_assert_int_eq(mxg_grey_white_make(NULL, &p, 2000, &ip), 1);
	ck_assert_int_eq(ip.state, MXG_REC_AUTOWHITE);
	ck_assert_int_eq(ip.until, 2000 + 86400);
	ck_assert_int_eq(mxg_grey_white_check(&ip, &p, 3000, &out, &r), 1);
	ck_assert_int_eq(r.reason, MXG_R_AUTOWHITE);
	ck_assert_int_eq(out.until, 3000 + 86400);
	ck_assert_int_eq(
	    mxg_grey_white_check(&ip, &p, 2000 + 86400, &out, &r), 0);
}
END_TEST

START_TEST(record_roundtrip_and_bad_versions)
{
	struct mxg_record a = { MXG_REC_AUTOWHITE, 1700000000LL, 4102444800LL,
		-5, 77 },
	                  b;
	unsigned char buf[MXG_RECORD_SIZE];

	mxg_record_encode(&a, buf);
	ck_assert_int_eq(mxg_record_decode(buf, sizeof(buf), &b), 0);
	ck_assert_int_eq(b.state, a.state);
	ck_assert_int_eq(b.created, a.created);
	ck_assert_int_eq(b.until, a.until);
	ck_assert_int_eq(b.expire, a.expire);
	ck_assert_int_eq(b.hits, 77);
	ck_assert_int_eq(mxg_record_decode(buf, sizeof(buf) - 1, &b), -1);
	ck_assert_int_eq(mxg_record_decode(NULL, 0, &b), -1);
	buf[0] = 99;
	ck_assert_int_eq(mxg_record_decode(buf, sizeof(buf), &b), -1);
	buf[0] = MXG_RECORD_VERSION;
	buf[1] = 7;
	ck_assert_int_eq(mxg_record_decode(buf, sizeof(buf), &b), -1);
}
END_TEST

START_TEST(packed_roundtrip_and_clamping)
{
	struct mxg_record a = { MXG_REC_PENDING, 1700000000LL, 1700001800LL,
		1700432000LL, 800001 },
	                  b;
	unsigned char buf[MXG_RECORD_PACKED];

	mxg_record_pack(&a, buf);
	ck_assert_int_eq(mxg_record_unpack(buf, sizeof(buf), &b), 0);
	ck_assert_int_eq(b.state, a.state);
	ck_assert_int_eq(b.created, a.created);
	ck_assert_int_eq(b.until, a.until);
	ck_assert_int_eq(b.expire, a.expire);
	ck_assert_uint_eq(b.hits, 800001);
	/* times outside 1970..2106 are clamped, never wrapped */
	a.created = -5;
	a.until = 5000000000LL;
	mxg_record_pack(&a, buf);
	ck_assert_int_eq(mxg_record_unpack(buf, sizeof(buf), &b), 0);
	ck_assert_int_eq(b.created, 0);
	ck_assert_int_eq(b.until, 4294967295LL);
	/* other sizes, versions, states: refused */
	ck_assert_int_eq(mxg_record_unpack(buf, sizeof(buf) + 1, &b), -1);
	ck_assert_int_eq(mxg_record_unpack(NULL, 0, &b), -1);
	buf[0] = MXG_RECORD_VERSION;
	ck_assert_int_eq(mxg_record_unpack(buf, sizeof(buf), &b), -1);
	buf[0] = MXG_RECORD_PACKED_VERSION;
	buf[1] = 0;
	ck_assert_int_eq(mxg_record_unpack(buf, sizeof(buf), &b), -1);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("grey");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, first_sight_early_pass_autowhite);
	tcase_add_test(tc, after_timeout_starts_again);
	tcase_add_test(tc, clock_going_back);
	tcase_add_test(tc, no_autowhite_deletes);
	tcase_add_test(tc, zero_delay_passes);
	tcase_add_test(tc, lazyaw_ip_entry);
	tcase_add_test(tc, record_roundtrip_and_bad_versions);
	tcase_add_test(tc, packed_roundtrip_and_clamping);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
