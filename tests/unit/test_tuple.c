/* test_tuple.c: address normalisation, subnet masking and store keys. */
#include "mxg_test.h"
#include "mxg_tuple.h"

static const char *
strip(const char *a, int tags)
{
	static char out[MXG_ADDR_MAX + 1];

	if (mxg_addr_strip(a, tags, out, sizeof(out)) != 0)
		return "<error>";
	return out;
}

START_TEST(brackets_and_case)
{
	ck_assert_str_eq(
	    strip("<John.Doe@Example.COM>", 0), "john.doe@example.com");
	ck_assert_str_eq(strip("  <a@b>", 0), "a@b");
	ck_assert_str_eq(strip("<>", 0), "");
	ck_assert_str_eq(strip("", 1), "");
	ck_assert_str_eq(strip(NULL, 1), "");
}
END_TEST

START_TEST(srs_batv_verp)
{
	ck_assert_str_eq(strip("SRS0=HHH=TT=example.org=alice@fwd.example", 1),
	    "alice@example.org");
	ck_assert_str_eq(strip("<srs0=ab12=xy=Example.org=Bob@fwd.net>", 1),
	    "bob@example.org");
	ck_assert_str_eq(
	    strip("prvs=1234abcdef=carol@example.com", 1), "carol@example.com");
	ck_assert_str_eq(strip("list-bounces+dave=example.com@lists.org", 1),
	    "list-bounces@lists.org");
	ck_assert_str_eq(strip("bounce-12345-67@mailer.example", 1),
	    "bounce-#-#@mailer.example");
	/* digits inside a word stay */
	ck_assert_str_eq(strip("user2@example.com", 1), "user2@example.com");
	/* malformed SRS is left alone */
	ck_assert_str_eq(strip("SRS0=x@fwd", 1), "srs0=x@fwd");
	/* without tags nothing is undone */
	ck_assert_str_eq(strip("prvs=1234abcdef=carol@example.com", 0),
	    "prvs=1234abcdef=carol@example.com");
}
END_TEST

START_TEST(hostile_addresses)
{
	char out[MXG_ADDR_MAX + 1], *huge;
	const char nul[] = "a\0b@example.com";

	huge = malloc(1 << 20);
	ck_assert_ptr_nonnull(huge);
	memset(huge, 'a', (1 << 20) - 1);
	huge[(1 << 20) - 1] = '\0';
	ck_assert_int_eq(mxg_addr_strip(huge, 1, out, sizeof(out)), -1);
	huge[MXG_ADDR_MAX + 1] = '\0';
	ck_assert_int_eq(mxg_addr_strip(huge, 1, out, sizeof(out)), -1);
	huge[MXG_ADDR_MAX] = '\0';
	ck_assert_int_eq(mxg_addr_strip(huge, 1, out, sizeof(out)), 0);
	free(huge);
	/* a C string ends at NUL: the rest is never seen */
	ck_assert_int_eq(mxg_addr_strip(nul, 1, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a");
	ck_assert_int_eq(
	    mxg_addr_strip("a\r\nRSET@x", 1, out, sizeof(out)), -1);
	ck_assert_int_eq(mxg_addr_strip("<\x7f>", 1, out, sizeof(out)), -1);
	/* odd but harmless: no @ at all, lone brackets */
	ck_assert_int_eq(mxg_addr_strip("<<<", 1, out, sizeof(out)), 0);
	ck_assert_int_eq(mxg_addr_strip("SRS0====@", 1, out, sizeof(out)), 0);
	ck_assert_int_eq(mxg_addr_strip("prvs=@", 1, out, sizeof(out)), 0);
	ck_assert_int_eq(mxg_addr_strip("+@x", 1, out, sizeof(out)), 0);
}
END_TEST

START_TEST(masking_v4_v6)
{
	struct mxg_ip ip;
	struct mxg_tuple t1, t2;

	ck_assert_int_eq(mxg_ip_parse("192.0.2.77", &ip), 0);
	ck_assert_int_eq(mxg_tuple_make(&t1, &ip, 24, 64, "a@b", "c@d"), 0);
	ck_assert_int_eq(mxg_ip_parse("192.0.2.200", &ip), 0);
	ck_assert_int_eq(mxg_tuple_make(&t2, &ip, 24, 64, "<A@B>", "C@D"), 0);
	ck_assert_mem_eq(&t1.ip, &t2.ip, sizeof(t1.ip));
	ck_assert_str_eq(t1.sender, t2.sender);
	ck_assert_int_eq(mxg_ip_parse("2001:db8:1:2:aaaa::1", &ip), 0);
	mxg_tuple_make(&t1, &ip, 24, 64, "a@b", "c@d");
	ck_assert_int_eq(mxg_ip_parse("[2001:db8:1:2:bbbb::9]", &ip), 0);
	mxg_tuple_make(&t2, &ip, 24, 64, "a@b", "c@d");
	ck_assert_mem_eq(t1.ip.a, t2.ip.a, 16);
	ck_assert_int_eq(mxg_ip_parse("2001:db8:1:3::1", &ip), 0);
	mxg_tuple_make(&t2, &ip, 24, 64, "a@b", "c@d");
	ck_assert_int_ne(memcmp(t1.ip.a, t2.ip.a, 16), 0);
	/* full length: different hosts differ */
	ck_assert_int_eq(mxg_ip_parse("192.0.2.77", &ip), 0);
	mxg_tuple_make(&t1, &ip, 32, 128, "a@b", "c@d");
	ck_assert_int_eq(mxg_ip_parse("192.0.2.78", &ip), 0);
	mxg_tuple_make(&t2, &ip, 32, 128, "a@b", "c@d");
	ck_assert_int_ne(memcmp(t1.ip.a, t2.ip.a, 4), 0);
}
END_TEST

START_TEST(key_roundtrip)
{
	struct mxg_ip ip;
	struct mxg_tuple t, back;
	unsigned char key[MXG_KEY_MAX];
	size_t n;

	mxg_ip_parse("2001:db8::5", &ip);
	mxg_tuple_make(&t, &ip, 32, 64, "x@y.example", "r@z.example");
	n = mxg_tuple_key(&t, MXG_KEY_TUPLE, key);
	ck_assert_int_eq(mxg_tuple_from_key(key, n, &back), MXG_KEY_TUPLE);
	ck_assert_str_eq(back.sender, "x@y.example");
	ck_assert_str_eq(back.rcpt, "r@z.example");
	ck_assert_int_eq(back.prefix, 64);
	ck_assert_mem_eq(back.ip.a, t.ip.a, 16);
	n = mxg_tuple_key(&t, MXG_KEY_IP, key);
	ck_assert_int_eq(n, 3 + 16);
	ck_assert_int_eq(mxg_tuple_from_key(key, n, &back), MXG_KEY_IP);
	/* garbage keys are refused, never read past their end */
	ck_assert_int_eq(mxg_tuple_from_key(key, 2, &back), -1);
	key[0] = 'M';
	ck_assert_int_eq(mxg_tuple_from_key(key, n, &back), -1);
	key[0] = MXG_KEY_TUPLE;
	ck_assert_int_eq(mxg_tuple_from_key(key, n, &back), -1);
	key[0] = MXG_KEY_IP;
	key[2] = 200;
	ck_assert_int_eq(mxg_tuple_from_key(key, n, &back), -1);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("tuple");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, brackets_and_case);
	tcase_add_test(tc, srs_batv_verp);
	tcase_add_test(tc, hostile_addresses);
	tcase_add_test(tc, masking_v4_v6);
	tcase_add_test(tc, key_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
