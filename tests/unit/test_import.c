/*
 * test_import.c: milter-greylist dump lines as store entries, and
 * mxg_import_dump() into a tdb store read back with mxg_dump().
 */
#include "mxg_test.h"

#include "mxg_grey.h"
#include "mxg_import.h"
#include "mxgrey.h"

static const struct mxg_import_params P = { 32, 64, 432000, 1000000 };

static int
line(const char *s, struct mxg_store_entry *en)
{
	return mxg_import_line(s, strlen(s), &P, en);
}

START_TEST(test_pending)
{
	struct mxg_store_entry en;

	ck_assert_int_eq(line("192.0.2.1\t<A@Example.org>\t<b@example.net>\t"
	                      "1000100 # 1970-01-12 13:48:20\n",
	                     &en),
	    1);
	ck_assert_int_eq(en.kind, MXG_KEY_TUPLE);
	ck_assert_int_eq(en.rec.state, MXG_REC_PENDING);
	ck_assert_int_eq(en.rec.until, 1000100);
	ck_assert_int_eq(en.rec.created, 1000000);
	ck_assert_int_eq(en.rec.expire, 1000000 + 432000);
	ck_assert_str_eq(en.tuple.sender, "a@example.org");
	ck_assert_str_eq(en.tuple.rcpt, "b@example.net");
	ck_assert_int_eq(en.tuple.prefix, 32);
}
END_TEST

START_TEST(test_autowhite)
{
	struct mxg_store_entry en;

	ck_assert_int_eq(
	    line("2001:db8::1 <a@b> <c@d> 1086400 AUTO # x", &en), 1);
	ck_assert_int_eq(en.rec.state, MXG_REC_AUTOWHITE);
	ck_assert_int_eq(en.rec.until, 1086400);
	ck_assert_int_eq(en.rec.expire, 1086400);
	ck_assert_int_eq(en.tuple.prefix, 64);
	ck_assert_int_eq(en.tuple.ip.a[15], 0); /* masked to /64 */
	/* per-IP autowhite */
	ck_assert_int_eq(line("192.0.2.9\t<>\t<>\t1086400 AUTO", &en), 1);
	ck_assert_int_eq(en.kind, MXG_KEY_IP);
	/* already over: skipped, not an error */
	ck_assert_int_eq(line("192.0.2.9\t<a@b>\t<c@d>\t999999 AUTO", &en), 0);
	ck_assert_int_eq(line("192.0.2.9\t<a@b>\t<c@d>\t1 TARPIT", &en), 1);
}
END_TEST

START_TEST(test_comments_and_errors)
{
	struct mxg_store_entry en;

	ck_assert_int_eq(line("", &en), 0);
	ck_assert_int_eq(line("   \t\n", &en), 0);
	ck_assert_int_eq(line("# greylisted tuples", &en), 0);
	ck_assert_int_eq(line("192.0.2.1 <a@b> <c@d>", &en), -1);
	ck_assert_int_eq(line("192.0.2.1 <a@b> <c@d> 12x", &en), -1);
	ck_assert_int_eq(line("192.0.2.1 <a@b> <c@d> -5", &en), -1);
	ck_assert_int_eq(line("192.0.2.300 <a@b> <c@d> 1086400", &en), -1);
	ck_assert_int_eq(line("192.0.2.1 a@b <c@d> 1086400", &en), -1);
	ck_assert_int_eq(line("192.0.2.1 <a@b> <c@d> 1086400 WHAT", &en), -1);
	ck_assert_int_eq(
	    line("192.0.2.1 <a@b> <c@d> 1086400 AUTO x y", &en), -1);
	ck_assert_int_eq(line("192.0.2.1 <a@b> <> 1086400", &en), -1);
	ck_assert_int_eq(
	    mxg_import_line("192.0.2.1 <a\0b> <c@d> 1086400", 30, &P, &en), -1);
}
END_TEST

static void
collect(void *ctx, const char *l)
{
	char *out = ctx;

	strncat(out, l, 8191 - strlen(out));
	strncat(out, "\n", 8191 - strlen(out));
}

START_TEST(test_import_file)
{
	const char *dir = mxg_test_dir("test_import");
	char dump[512], store[512], rules[512], out[8192] = "";
	struct mxg_host host = { .api_version = MXGREY_API_VERSION };
	struct mxg_engine *e = NULL;
	unsigned long in = 0, skip = 0;
	FILE *f;

	ck_assert_ptr_nonnull(dir);
	snprintf(dump, sizeof(dump), "%s/greylist.db", dir);
	snprintf(store, sizeof(store), "%s/store.tdb", dir);
	snprintf(rules, sizeof(rules), "%s/rules.conf", dir);
	f = fopen(rules, "w");
	ck_assert_ptr_nonnull(f);
	fputs("greylist 10\nracl greylist default\n", f);
	fclose(f);
	f = fopen(dump, "w");
	ck_assert_ptr_nonnull(f);
	fputs("#\n# greylisted tuples\n#\n"
	      "192.0.2.1\t<a@example.org>\t<b@example.net>\t1000100 # x\n"
	      "#\n# Auto-whitelisted tuples\n#\n"
	      "192.0.2.2\t<c@example.org>\t<d@example.net>\t1086400 AUTO # y\n"
	      "192.0.2.3\t<e@example.org>\t<f@example.net>\t999 AUTO # over\n"
	      "garbage line\n",
	    f);
	fclose(f);
	ck_assert_int_eq(
	    mxg_import_dump(dump, rules, store, &host, 1000000, &in, &skip),
	    MXG_OK);
	ck_assert_uint_eq(in, 2);
	ck_assert_uint_eq(skip, 2);
	ck_assert_int_eq(mxg_open(&e, rules, store, &host), MXG_OK);
	ck_assert_int_eq(mxg_dump(e, 1000000, collect, out), MXG_OK);
	ck_assert_ptr_nonnull(strstr(out,
	    "192.0.2.1\t<a@example.org>\t"
	    "<b@example.net>\t1000100 # "));
	ck_assert_ptr_nonnull(strstr(out,
	    "192.0.2.2\t<c@example.org>\t"
	    "<d@example.net>\t1086400 AUTO # "));
	ck_assert_ptr_null(strstr(out, "192.0.2.3"));
	mxg_close(e);
	ck_assert_int_eq(mxg_import_dump("/nonexistent/dump", NULL, store,
	                     &host, 0, NULL, NULL),
	    MXG_EIO);
}
END_TEST

/* An imported autowhite entry lets the tuple through at once. */
START_TEST(test_import_then_check)
{
	const char *dir = mxg_test_dir("test_import2");
	char dump[512], store[512], rules[512];
	struct mxg_host host = { .api_version = MXGREY_API_VERSION };
	struct mxg_engine *e = NULL;
	struct mxg_request req;
	struct mxg_verdict v;
	FILE *f;

	snprintf(dump, sizeof(dump), "%s/greylist.db", dir);
	snprintf(store, sizeof(store), "%s/store.tdb", dir);
	snprintf(rules, sizeof(rules), "%s/rules.conf", dir);
	f = fopen(rules, "w");
	fputs("greylist 10\nracl greylist default\n", f);
	fclose(f);
	f = fopen(dump, "w");
	fputs("192.0.2.2\t<c@example.org>\t<d@example.net>\t1086400 AUTO\n", f);
	fclose(f);
	ck_assert_int_eq(
	    mxg_import_dump(dump, rules, store, &host, 1000000, NULL, NULL),
	    MXG_OK);
	ck_assert_int_eq(mxg_open(&e, rules, store, &host), MXG_OK);
	memset(&req, 0, sizeof(req));
	req.client_addr = "192.0.2.2";
	req.sender = "<c@example.org>";
	req.rcpt = "<d@example.net>";
	req.now = 1000010;
	ck_assert_int_eq(mxg_check(e, &req, &v), MXG_OK);
	ck_assert_int_eq(v.action, MXG_ACCEPT);
	ck_assert_int_eq(v.reason, MXG_R_AUTOWHITE);
	req.rcpt = "<other@example.net>";
	ck_assert_int_eq(mxg_check(e, &req, &v), MXG_OK);
	ck_assert_int_eq(v.action, MXG_GREYLIST);
	mxg_close(e);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_pending);
	tcase_add_test(tc, test_autowhite);
	tcase_add_test(tc, test_comments_and_errors);
	tcase_add_test(tc, test_import_file);
	tcase_add_test(tc, test_import_then_check);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
