/*
 * test_policy_answer.c: engine verdicts as Postfix policy answers.
 */
#include "mxg_test.h"

#include "../../shim/postfix/policy_answer.h"

static struct mxg_policy_opts opts;
static struct mxg_request req;
static char out[MXG_POLICY_ANSWER_MAX];

static void
setup(void)
{
	memset(&opts, 0, sizeof(opts));
	opts.hostname = "mx.example.org";
	memset(&req, 0, sizeof(req));
	req.client_addr = "192.0.2.7";
	setenv("TZ", "UTC", 1);
}

static struct mxg_verdict
verdict(enum mxg_action a, enum mxg_reason r, int code, const char *ecode,
    const char *text)
{
	struct mxg_verdict v;

	memset(&v, 0, sizeof(v));
	v.action = a;
	v.reason = r;
	v.code = code;
	snprintf(v.ecode, sizeof(v.ecode), "%s", ecode);
	snprintf(v.text, sizeof(v.text), "%s", text);
	return v;
}

static const char *
answer(const struct mxg_verdict *v)
{
	size_t n = mxg_policy_answer(
	    &opts, v, req.client_addr, 86400 * 365, out, sizeof(out));

	ck_assert_uint_eq(n, strlen(out));
	return out;
}

START_TEST(test_greylist_styles)
{
	struct mxg_verdict v = verdict(MXG_GREYLIST, MXG_R_NEW, 451, "4.7.1",
	    "Greylisting in action, please come back in 00:30:00");

	ck_assert_str_eq(answer(&v),
	    "action=DEFER_IF_PERMIT Greylisting in action, please come "
	    "back in 00:30:00\n\n");
	opts.style = MXG_POLICY_STYLE_CODE;
	ck_assert_str_eq(answer(&v),
	    "action=451 4.7.1 Greylisting in action, please come back in "
	    "00:30:00\n\n");
	/* codes of the wrong class are forced back */
	v.code = 250;
	snprintf(v.ecode, sizeof(v.ecode), "5.7.1");
	ck_assert_str_eq(answer(&v),
	    "action=451 4.7.1 Greylisting in action, please come back in "
	    "00:30:00\n\n");
	v.code = 421;
	snprintf(v.ecode, sizeof(v.ecode), "4.7.");
	ck_assert_str_eq(answer(&v),
	    "action=421 4.7.1 Greylisting in action, please come back in "
	    "00:30:00\n\n");
	snprintf(v.ecode, sizeof(v.ecode), "4.2.10");
	v.text[0] = '\0';
	ck_assert_str_eq(
	    answer(&v), "action=421 4.2.10 Greylisted, try again later\n\n");
}
END_TEST

START_TEST(test_tempfail)
{
	struct mxg_verdict v = verdict(MXG_TEMPFAIL, MXG_R_FAILURE, 451,
	    "4.3.0", "Temporary failure (store), please try again later");

	ck_assert_str_eq(answer(&v),
	    "action=DEFER_IF_PERMIT Temporary failure (store), please try "
	    "again later\n\n");
	opts.style = MXG_POLICY_STYLE_CODE;
	ck_assert_str_eq(answer(&v),
	    "action=451 4.3.0 Temporary failure (store), please try again "
	    "later\n\n");
}
END_TEST

START_TEST(test_reject)
{
	struct mxg_verdict v =
	    verdict(MXG_REJECT, MXG_R_BLACKLIST, 554, "5.7.1", "Go away!");

	ck_assert_str_eq(answer(&v), "action=554 5.7.1 Go away!\n\n");
	v.code = 451;
	snprintf(v.ecode, sizeof(v.ecode), "x");
	ck_assert_str_eq(answer(&v), "action=550 5.7.1 Go away!\n\n");
	v.text[0] = '\0';
	ck_assert_str_eq(answer(&v), "action=550 5.7.1 Access denied\n\n");
}
END_TEST

START_TEST(test_accept_headers)
{
	struct mxg_verdict v =
	    verdict(MXG_ACCEPT, MXG_R_PASSED, 250, "2.1.5", "Ok");

	v.xgreylist = 1;
	v.delayed = 3723;
	opts.header = MXG_POLICY_HDR_NONE;
	ck_assert_str_eq(answer(&v), "action=DUNNO\n\n");
	opts.header = MXG_POLICY_HDR_DELAYED;
	ck_assert_str_eq(answer(&v),
	    "action=PREPEND X-Greylist: Delayed for 01:02:03 by "
	    "mxgrey-" PACKAGE_VERSION
	    " (mx.example.org [192.0.2.7]); Fri, 01 Jan 1971 00:00:00 "
	    "+0000\n\n");
	/* the rules' report setting says no */
	v.xgreylist = 0;
	ck_assert_str_eq(answer(&v), "action=DUNNO\n\n");
	v.xgreylist = 1;
	/* a rule's report text replaces the wording */
	snprintf(v.report, sizeof(v.report), "waited 3723s");
	ck_assert_str_eq(
	    answer(&v), "action=PREPEND X-Greylist: waited 3723s\n\n");
	/* one action per answer: the rule's addheader goes first */
	snprintf(v.header, sizeof(v.header), "X-Rule: 7");
	ck_assert_str_eq(answer(&v), "action=PREPEND X-Rule: 7\n\n");
	opts.header = MXG_POLICY_HDR_NONE;
	ck_assert_str_eq(answer(&v), "action=PREPEND X-Rule: 7\n\n");
	opts.header = MXG_POLICY_HDR_DELAYED;
	v.header[0] = v.report[0] = '\0';
	v.reason = MXG_R_WHITELIST;
	ck_assert_str_eq(answer(&v), "action=DUNNO\n\n");
	opts.header = MXG_POLICY_HDR_ALL;
	ck_assert_ptr_nonnull(strstr(answer(&v),
	    "action=PREPEND X-Greylist: Sender IP whitelisted, not delayed"));
	v.reason = MXG_R_AUTOWHITE;
	ck_assert_ptr_nonnull(strstr(answer(&v),
	    "action=PREPEND X-Greylist: IP, sender and recipient "
	    "auto-whitelisted, not delayed by mxgrey-"));
}
END_TEST

/* A verdict text with line breaks cannot split the answer. */
START_TEST(test_clean_text)
{
	struct mxg_verdict v = verdict(MXG_REJECT, MXG_R_BLACKLIST, 550,
	    "5.7.1", "bad\n\naction=DUNNO\r\x01x");
	char big[MXG_TEXT_MAX];

	ck_assert_str_eq(
	    answer(&v), "action=550 5.7.1 bad  action=DUNNO  x\n\n");
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	v = verdict(MXG_REJECT, MXG_R_BLACKLIST, 550, "5.7.1", big);
	answer(&v);
	ck_assert_uint_eq(strlen(out) - 2, strcspn(out, "\n"));
	ck_assert_str_eq(out + strlen(out) - 2, "\n\n");
}
END_TEST

START_TEST(test_text_helper)
{
	char small[16];

	ck_assert_uint_eq(
	    mxg_policy_answer_text("DUNNO", NULL, out, sizeof(out)), 14);
	ck_assert_str_eq(out, "action=DUNNO\n\n");
	ck_assert_uint_eq(
	    mxg_policy_answer_text("DEFER_IF_PERMIT",
	        "mxgrey: malformed request", small, sizeof(small)),
	    sizeof(small) - 1);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("policy_answer");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_greylist_styles);
	tcase_add_test(tc, test_tempfail);
	tcase_add_test(tc, test_reject);
	tcase_add_test(tc, test_accept_headers);
	tcase_add_test(tc, test_clean_text);
	tcase_add_test(tc, test_text_helper);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
