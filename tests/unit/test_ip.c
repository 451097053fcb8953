/* test_ip.c: client address parsing, masking and formatting. */
#include <arpa/inet.h>

#include "mxg_test.h"
#include "mxg_ip.h"

static const char *
fmt(const char *in)
{
	static char out[MXG_IP_STRLEN];
	struct mxg_ip ip;

	if (mxg_ip_parse(in, &ip) != 0)
		return "<error>";
	mxg_ip_format(&ip, out, sizeof(out));
	return out;
}

static const char *
masked(const char *in, int prefix)
{
	static char out[MXG_IP_STRLEN];
	struct mxg_ip ip, m;

	if (mxg_ip_parse(in, &ip) != 0)
		return "<error>";
	mxg_ip_mask(&ip, prefix, &m);
	mxg_ip_format(&m, out, sizeof(out));
	return out;
}

START_TEST(forms)
{
	struct mxg_ip ip;

	ck_assert_str_eq(fmt("192.0.2.1"), "192.0.2.1");
	ck_assert_str_eq(fmt("2001:DB8::1"), "2001:db8::1");
	ck_assert_str_eq(fmt("[2001:db8::1]"), "2001:db8::1");
	ck_assert_str_eq(fmt("IPv6:2001:db8::1"), "2001:db8::1");
	ck_assert_str_eq(fmt("ipv6:2001:db8::1"), "2001:db8::1");
	ck_assert_str_eq(fmt("[IPv6:2001:db8::2]"), "2001:db8::2");
	ck_assert_str_eq(fmt("[192.0.2.9]"), "192.0.2.9");
	ck_assert_str_eq(fmt("fe80::1%eth0"), "fe80::1");
	ck_assert_int_eq(mxg_ip_parse("::ffff:192.0.2.1", &ip), 0);
	ck_assert_int_eq(ip.family, 4);
	ck_assert_int_eq((int)mxg_ip_len(&ip), 4);
	ck_assert_str_eq(fmt("::ffff:192.0.2.1"), "192.0.2.1");
	ck_assert_int_eq(mxg_ip_parse("::1", &ip), 0);
	ck_assert_int_eq(ip.family, 6);
	ck_assert_int_eq((int)mxg_ip_len(&ip), 16);
}
END_TEST

START_TEST(rejects)
{
	static const char *const bad[] = { "", "1.2.3", "1.2.3.4.5",
		"256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "[1.2.3.4", "[1.2.3.4]x",
		"2001:db8:::1", "hello", "1.2.3.4%eth0", "fe80::1%",
		"IPv6:", "[]", "1.2.3.4/24" };
	struct mxg_ip ip = { 9, { 7 } };
	char huge[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(mxg_ip_parse(bad[i], &ip) == -1, "%s", bad[i]);
		ck_assert_int_eq(ip.family, 9); /* untouched */
	}
	ck_assert_int_eq(mxg_ip_parse(NULL, &ip), -1);
	memset(huge, '1', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	ck_assert_int_eq(mxg_ip_parse(huge, &ip), -1);
}
END_TEST

START_TEST(masks)
{
	ck_assert_str_eq(masked("192.0.2.255", 24), "192.0.2.0");
	ck_assert_str_eq(masked("192.0.2.255", 25), "192.0.2.128");
	ck_assert_str_eq(masked("192.0.2.255", 0), "0.0.0.0");
	ck_assert_str_eq(masked("192.0.2.255", 32), "192.0.2.255");
	ck_assert_str_eq(masked("192.0.2.255", 99), "192.0.2.255");
	ck_assert_str_eq(masked("192.0.2.255", -3), "0.0.0.0");
	ck_assert_str_eq(
	    masked("2001:db8:aaaa:bbbb::1", 64), "2001:db8:aaaa:bbbb::");
	ck_assert_str_eq(
	    masked("2001:db8:aaaa:bbbb::1", 36), "2001:db8:a000::");
	ck_assert_str_eq(masked("2001:db8:aaaa:bbbb::1", 28), "2001:db0::");
	ck_assert_str_eq(masked("2001:db8::1", 128), "2001:db8::1");
}
END_TEST

START_TEST(small_buffer)
{
	struct mxg_ip ip;
	char b[4] = "xyz";

	ck_assert_int_eq(mxg_ip_parse("192.0.2.1", &ip), 0);
	mxg_ip_format(&ip, b, sizeof(b));
	ck_assert_str_eq(b, "192");
	mxg_ip_format(&ip, b, 0);
	ck_assert_str_eq(b, "192");
}
END_TEST

START_TEST(v4_format_matches_inet_ntop)
{
	char want[INET_ADDRSTRLEN], got[MXG_IP_STRLEN];
	struct mxg_ip ip;
	unsigned i, x = 12345;

	for (i = 0; i < 20000; i++) {
		memset(&ip, 0, sizeof(ip));
		ip.family = 4;
		x = x * 1103515245u + 12345u;
		memcpy(ip.a, &x, 4);
		if (i < 256)
			memset(ip.a, (int)i, 4);
		inet_ntop(AF_INET, ip.a, want, sizeof(want));
		mxg_ip_format(&ip, got, sizeof(got));
		ck_assert_str_eq(got, want);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("ip");
	TCase *tc = tcase_create("ip");

	tcase_add_test(tc, forms);
	tcase_add_test(tc, rejects);
	tcase_add_test(tc, masks);
	tcase_add_test(tc, small_buffer);
	tcase_add_test(tc, v4_format_matches_inet_ntop);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
