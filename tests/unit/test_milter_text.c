/*
 * test_milter_text.c: the X-Greylist header and reply texts of
 * mxgrey-milter.
 */
#include "mxg_test.h"

#include "../../shim/milter/milter.h"

START_TEST(test_header)
{
	char buf[512];
	size_t n;

	setenv("TZ", "UTC", 1);
	n = mxg_xgreylist(MXG_R_PASSED, "mx.example.org", "192.0.2.1",
	    86400 * 365, buf, sizeof(buf));
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_str_eq(buf,
	    "Delayed by mxgrey-" PACKAGE_VERSION " (mx.example.org "
	    "[192.0.2.1]); Fri, 01 Jan 1971 00:00:00 +0000");
	mxg_xgreylist(MXG_R_WHITELIST, NULL, NULL, 0, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf,
	    "Sender IP whitelisted, not "
	    "delayed by mxgrey-"));
	ck_assert_ptr_nonnull(strstr(buf, "(localhost [unknown])"));
	mxg_xgreylist(MXG_R_AUTOWHITE, "h", "::1", 0, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "auto-whitelisted, not delayed"));
	/* truncation keeps a terminated string */
	n = mxg_xgreylist(MXG_R_PASSED, "h", "::1", 0, buf, 10);
	ck_assert_uint_eq(n, 9);
	ck_assert_uint_eq(strlen(buf), 9);
}
END_TEST

START_TEST(test_reply_text)
{
	char buf[16];

	ck_assert_uint_eq(
	    mxg_milter_reply_text("100% sure\r\nx", buf, sizeof(buf)), 13);
	ck_assert_str_eq(buf, "100%% sure  x");
	/* never half an escape at the end */
	ck_assert_uint_eq(
	    mxg_milter_reply_text("abcdefghijklmn%", buf, sizeof(buf)), 14);
	ck_assert_str_eq(buf, "abcdefghijklmn");
	ck_assert_uint_eq(
	    mxg_milter_reply_text("abcdefghijklm%%", buf, sizeof(buf)), 15);
	ck_assert_str_eq(buf, "abcdefghijklm%%");
	ck_assert_uint_eq(mxg_milter_reply_text("x", buf, 0), 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("milter_text");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_header);
	tcase_add_test(tc, test_reply_text);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
