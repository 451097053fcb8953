/* test_cidr.c: prefix sets (radix tree) and case-insensitive string sets. */
#include "mxg_test.h"
#include "mxg_cidr.h"
#include "mxg_strset.h"

static void
add(struct mxg_cidr *c, const char *a, int prefix)
{
	struct mxg_ip ip;

	ck_assert_int_eq(mxg_ip_parse(a, &ip), 0);
	ck_assert_int_eq(mxg_cidr_add(c, &ip, prefix), 0);
}

static int
in(const struct mxg_cidr *c, const char *a)
{
	struct mxg_ip ip;

	ck_assert_int_eq(mxg_ip_parse(a, &ip), 0);
	return mxg_cidr_match(c, &ip);
}

START_TEST(prefixes)
{
	struct mxg_cidr *c = mxg_cidr_new();

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(in(c, "192.0.2.1"), 0);
	add(c, "192.0.2.0", 24);
	add(c, "198.51.100.7", 32);
	add(c, "10.255.255.255", 8); /* host bits ignored */
	add(c, "2001:db8:1::", 48);
	ck_assert_int_eq((int)mxg_cidr_count(c), 4);
	ck_assert_int_eq(in(c, "192.0.2.0"), 1);
	ck_assert_int_eq(in(c, "192.0.2.255"), 1);
	ck_assert_int_eq(in(c, "192.0.3.0"), 0);
	ck_assert_int_eq(in(c, "192.0.1.255"), 0);
	ck_assert_int_eq(in(c, "198.51.100.7"), 1);
	ck_assert_int_eq(in(c, "198.51.100.6"), 0);
	ck_assert_int_eq(in(c, "10.0.0.1"), 1);
	ck_assert_int_eq(in(c, "11.0.0.1"), 0);
	ck_assert_int_eq(in(c, "2001:db8:1:ffff::1"), 1);
	ck_assert_int_eq(in(c, "2001:db8:2::1"), 0);
	/* v4 and v6 do not mix: ::ffff:10.0.0.1 is stored as v4 */
	ck_assert_int_eq(in(c, "::ffff:10.0.0.1"), 1);
	ck_assert_int_eq(in(c, "::a00:1"), 0);
	mxg_cidr_free(c);
}
END_TEST

START_TEST(nesting_and_all)
{
	struct mxg_cidr *c = mxg_cidr_new();

	add(c, "192.0.2.128", 25);
	add(c, "192.0.2.0", 24); /* shorter after longer */
	ck_assert_int_eq(in(c, "192.0.2.1"), 1);
	add(c, "192.0.2.4", 30); /* longer after shorter */
	ck_assert_int_eq(in(c, "192.0.2.77"), 1);
	ck_assert_int_eq(in(c, "::1"), 0);
	add(c, "::", 0);
	ck_assert_int_eq(in(c, "::1"), 1);
	ck_assert_int_eq(in(c, "2001:db8::1"), 1);
	ck_assert_int_eq(in(c, "8.8.8.8"), 0);
	add(c, "0.0.0.0", 0);
	ck_assert_int_eq(in(c, "8.8.8.8"), 1);
	mxg_cidr_free(c);
	mxg_cidr_free(NULL);
}
END_TEST

START_TEST(many)
{
	struct mxg_cidr *c = mxg_cidr_new();
	char a[32];
	int i;

	for (i = 0; i < 4096; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.0", i / 256, i % 256);
		add(c, a, 24);
	}
	for (i = 0; i < 4096; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.9", i / 256, i % 256);
		ck_assert_int_eq(in(c, a), 1);
		snprintf(a, sizeof(a), "11.%d.%d.9", i / 256, i % 256);
		ck_assert_int_eq(in(c, a), 0);
	}
	mxg_cidr_free(c);
}
END_TEST

START_TEST(strings)
{
	struct mxg_strset *s = mxg_strset_new();
	char w[32];
	int i;

	ck_assert_int_eq(mxg_strset_has(s, "a", 1), 0);
	ck_assert_int_eq(mxg_strset_add(s, "Example.ORG", 11), 0);
	ck_assert_int_eq(mxg_strset_add(s, "example.org", 11), 0);
	ck_assert_int_eq((int)mxg_strset_count(s), 1);
	ck_assert_int_eq(mxg_strset_has(s, "EXAMPLE.org", 11), 1);
	ck_assert_int_eq(mxg_strset_has(s, "example.orgx", 11), 1);
	ck_assert_int_eq(mxg_strset_has(s, "example.or", 10), 0);
	ck_assert_int_eq(mxg_strset_has(s, "", 0), 0);
	ck_assert_int_eq(mxg_strset_add(s, "", 0), 0);
	ck_assert_int_eq(mxg_strset_has(s, "", 0), 1);
	for (i = 0; i < 1000; i++) {
		snprintf(w, sizeof(w), "host%d.example", i);
		ck_assert_int_eq(mxg_strset_add(s, w, strlen(w)), 0);
	}
	ck_assert_int_eq((int)mxg_strset_count(s), 1002);
	for (i = 0; i < 1000; i++) {
		snprintf(w, sizeof(w), "HOST%d.example", i);
		ck_assert_int_eq(mxg_strset_has(s, w, strlen(w)), 1);
		snprintf(w, sizeof(w), "host%d.example.", i);
		ck_assert_int_eq(mxg_strset_has(s, w, strlen(w)), 0);
	}
	mxg_strset_free(s);
	mxg_strset_free(NULL);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("cidr");
	TCase *tc = tcase_create("cidr");

	tcase_add_test(tc, prefixes);
	tcase_add_test(tc, nesting_and_all);
	tcase_add_test(tc, many);
	tcase_add_test(tc, strings);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
