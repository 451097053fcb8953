/*
 * t_exim.c: unit tests of the Exim shim's plain-C core: ${dlfunc}
 * argument parsing, the result string, and one whole RCPT decision
 * through the per-process engine (no Exim needed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxg_test.h"
#include "mxg_exim.h"

static char logged[4096];

static void
capture(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	snprintf(logged + strlen(logged), sizeof(logged) - strlen(logged),
	    "%s\n", msg);
}

static const struct mxg_host host = {
	.api_version = MXGREY_API_VERSION,
	.log = capture,
};

static int
parse(int argc, char **argv, char *err)
{
	struct mxg_exim_args a;

	return mxg_exim_args_parse(&a, argc, argv, err, 256);
}

START_TEST(args_fixed)
{
	char *argv[] = { "192.0.2.1", "", "", "bob@example.org" };
	struct mxg_exim_args a;
	char err[256];

	ck_assert_int_eq(
	    mxg_exim_args_parse(&a, 4, argv, err, sizeof(err)), MXG_OK);
	ck_assert_str_eq(a.req.client_addr, "192.0.2.1");
	ck_assert_ptr_null(a.req.helo);
	ck_assert_str_eq(a.req.sender, ""); /* the null sender */
	ck_assert_str_eq(a.req.rcpt, "bob@example.org");
	ck_assert_ptr_null(a.config);
	ck_assert_ptr_null(a.store);
	ck_assert_int_eq(a.req.tls, 0);
	ck_assert_uint_eq(a.req.nmacros, 0);
}
END_TEST

START_TEST(args_missing)
{
	char *argv[] = { "192.0.2.1", "h", "a@b", "c@d" };
	char err[256];
	int n;

	for (n = 0; n < 4; n++) {
		ck_assert_int_eq(parse(n, argv, err), MXG_EINVAL);
		ck_assert_ptr_nonnull(strstr(err, "is missing"));
	}
	ck_assert_int_eq(parse(-1, argv, err), MXG_EINVAL);
	ck_assert_int_eq(parse(4, NULL, err), MXG_EINVAL);
}
END_TEST

START_TEST(args_empty)
{
	char *a1[] = { "", "h", "a@b", "c@d" };
	char *a4[] = { "192.0.2.1", "h", "a@b", "" };
	char err[256];

	ck_assert_int_eq(parse(4, a1, err), MXG_EINVAL);
	ck_assert_str_eq(err, "argument 1 (client address) is empty");
	ck_assert_int_eq(parse(4, a4, err), MXG_EINVAL);
	ck_assert_str_eq(err, "argument 4 (recipient) is empty");
}
END_TEST

START_TEST(args_too_long)
{
	char *big = malloc(100 * 1024 + 1);
	char *argv[5] = { "192.0.2.1", "h", "a@b", "c@d", NULL };
	char err[256];
	int i;

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 100 * 1024);
	big[100 * 1024] = '\0';
	for (i = 0; i < 4; i++) {
		char *keep = argv[i];

		argv[i] = big;
		ck_assert_int_eq(parse(4, argv, err), MXG_EINVAL);
		ck_assert_ptr_nonnull(strstr(err, "too long"));
		argv[i] = keep;
	}
	memcpy(big, "config=", 7);
	argv[4] = big;
	ck_assert_int_eq(parse(5, argv, err), MXG_EINVAL);
	ck_assert_str_eq(err, "argument 5 is too long");
	/* exactly at the limit is fine */
	big[MXG_EXIM_ARG_MAX] = '\0';
	argv[2] = big;
	argv[4] = "tls=1";
	ck_assert_int_eq(parse(5, argv, err), MXG_OK);
	free(big);
}
END_TEST

START_TEST(args_options)
{
	char *argv[] = { "2001:db8::1", "helo.example", "<a@b>", "c@d",
		"config=/etc/mxgrey.conf", "hostname=mx.example",
		"auth=", "tls=TLS1.3:AES", "macro:{daemon_name}=mx",
		"rcpt_count=3", "store=memory:", "local_name=here" };
	struct mxg_exim_args a;
	char err[256];

	ck_assert_int_eq(
	    mxg_exim_args_parse(&a, 12, argv, err, sizeof(err)), MXG_OK);
	ck_assert_str_eq(a.config, "/etc/mxgrey.conf");
	ck_assert_str_eq(a.store, "memory:");
	ck_assert_str_eq(a.req.client_name, "mx.example");
	ck_assert_ptr_null(a.req.auth_id);
	ck_assert_int_eq(a.req.tls, 1);
	ck_assert_uint_eq(a.req.rcpt_count, 3);
	ck_assert_str_eq(a.req.local_name, "here");
	ck_assert_uint_eq(a.req.nmacros, 1);
	ck_assert_ptr_eq(a.req.macros, a.macros);
	ck_assert_str_eq(a.req.macros[0].name, "{daemon_name}");
	ck_assert_str_eq(a.req.macros[0].value, "mx");
}
END_TEST

START_TEST(args_bad_options)
{
	char *argv[] = { "192.0.2.1", "h", "a@b", "c@d", NULL };
	static char *bad[] = { "config", "confg=/x", "=x", "rcpt_count=x",
		"rcpt_count=-1", "macro:=x" };
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		argv[4] = bad[i];
		ck_assert_msg(parse(5, argv, err) == MXG_EINVAL, "%s", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "argument 5"));
	}
}
END_TEST

START_TEST(args_too_many_macros)
{
	char *argv[4 + MXG_EXIM_MACROS + 1] = { "192.0.2.1", "h", "a@b",
		"c@d" };
	char err[256];
	int i;

	for (i = 4; i < 4 + MXG_EXIM_MACROS + 1; i++)
		argv[i] = "macro:m=v";
	ck_assert_int_eq(parse(4 + MXG_EXIM_MACROS, argv, err), MXG_OK);
	ck_assert_int_eq(parse(4 + MXG_EXIM_MACROS + 1, argv, err), MXG_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "too many macros"));
}
END_TEST

START_TEST(result_greylist)
{
	struct mxg_verdict v = { .action = MXG_GREYLIST,
		.reason = MXG_R_NEW,
		.code = 451,
		.ecode = "4.7.1",
		.text = "Greylisting in action, please come back in 00:00:05",
		.remaining = 5,
		.rule_line = 3 };
	char buf[MXG_EXIM_RESULT_MAX];

	mxg_exim_result_format(&v, buf, sizeof(buf));
	ck_assert_str_eq(buf,
	    "defer 451 4.7.1 Greylisting in action, please come back in "
	    "00:00:05\tremaining=5 reason=new rule=3");
}
END_TEST

/* An accept's header and X-Greylist values, quoted for ${extract}. */
START_TEST(result_headers)
{
	struct mxg_verdict v = { .action = MXG_ACCEPT,
		.reason = MXG_R_PASSED,
		.code = 250,
		.rule_line = 4,
		.delayed = 602,
		.xgreylist = 1,
		.header = "X-Rule: say \"hi\" \\o/" };
	char buf[MXG_EXIM_RESULT_MAX], small[96];
	size_t n;

	setenv("TZ", "UTC", 1);
	mxg_exim_result_format(&v, buf, sizeof(buf));
	ck_assert_str_eq(buf,
	    "accept\treason=passed rule=4 delayed=602 "
	    "header=\"X-Rule: say \\\"hi\\\" \\\\o/\"");
	n = mxg_exim_result_xgreylist(
	    &v, "mx.test", "192.0.2.1", 1795514400, buf, sizeof(buf));
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_str_eq(buf,
	    "accept\treason=passed rule=4 delayed=602 "
	    "header=\"X-Rule: say \\\"hi\\\" \\\\o/\" "
	    "xgreylist=\"Delayed for 00:10:02 by mxgrey-" PACKAGE_VERSION
	    " (mx.test [192.0.2.1]); Tue, 24 Nov 2026 10:00:00 +0000\"");
	/* a rule's report replaces the wording */
	snprintf(v.report, sizeof(v.report), "%s", "waited \"long\"");
	v.header[0] = '\0';
	mxg_exim_result_format(&v, buf, sizeof(buf));
	mxg_exim_result_xgreylist(&v, "mx.test", "::1", 0, buf, sizeof(buf));
	ck_assert_str_eq(buf,
	    "accept\treason=passed rule=4 delayed=602 "
	    "xgreylist=\"waited \\\"long\\\"\"");
	/* the rules' report says no: no key */
	v.xgreylist = 0;
	mxg_exim_result_format(&v, buf, sizeof(buf));
	mxg_exim_result_xgreylist(&v, "mx.test", "::1", 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "accept\treason=passed rule=4 delayed=602");
	/* what does not fit is left out whole, never cut */
	v.xgreylist = 1;
	snprintf(v.header, sizeof(v.header), "%s", "X-Long: 0123456789abcdef");
	mxg_exim_result_format(&v, small, 50);
	ck_assert_str_eq(small, "accept\treason=passed rule=4 delayed=602");
	mxg_exim_result_format(&v, small, sizeof(small));
	ck_assert_str_eq(small,
	    "accept\treason=passed rule=4 delayed=602 "
	    "header=\"X-Long: 0123456789abcdef\"");
	mxg_exim_result_xgreylist(&v, "h", "::1", 0, small, sizeof(small));
	ck_assert_str_eq(small,
	    "accept\treason=passed rule=4 delayed=602 "
	    "header=\"X-Long: 0123456789abcdef\"");
	/* not for other verdicts */
	v.action = MXG_GREYLIST;
	strcpy(buf, "defer x");
	ck_assert_uint_eq(
	    mxg_exim_result_xgreylist(&v, "h", "::1", 0, buf, sizeof(buf)), 7);
	/* every quoted value fits in MXG_EXIM_RESULT_MAX at its worst */
	v.action = MXG_ACCEPT;
	memset(v.header, '"', sizeof(v.header) - 1);
	v.header[sizeof(v.header) - 1] = '\0';
	memset(v.report, '\\', sizeof(v.report) - 1);
	v.report[sizeof(v.report) - 1] = '\0';
	mxg_exim_result_format(&v, buf, sizeof(buf));
	n = mxg_exim_result_xgreylist(&v, "h", "::1", 0, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, " header=\""));
	ck_assert_ptr_nonnull(strstr(buf, " xgreylist=\""));
	ck_assert_uint_lt(n, sizeof(buf));
}
END_TEST

START_TEST(result_fixes)
{
	struct mxg_verdict v = { .action = MXG_REJECT,
		.reason = MXG_R_BLACKLIST,
		.code = 451,
		.ecode = "4.7.1",
		.text = "go\r\naway\t!",
		.rule_line = 9 };
	char buf[MXG_EXIM_RESULT_MAX], small[16];
	size_t n;

	mxg_exim_result_format(&v, buf, sizeof(buf));
	ck_assert_str_eq(buf,
	    "reject 550 5.7.1 go  away !\tremaining=0 reason=blacklist rule=9");
	v.action = MXG_TEMPFAIL;
	v.reason = MXG_R_FAILURE;
	v.code = 550;
	strcpy(v.ecode, "");
	v.text[0] = '\0';
	mxg_exim_result_format(&v, buf, sizeof(buf));
	ck_assert_str_eq(buf,
	    "defer 451 4.7.1 Greylisted, try later\tremaining=0 "
	    "reason=failure rule=9");
	/* well-formed enhanced codes of the right class are kept */
	v.code = 451;
	strcpy(v.ecode, "4.3.0");
	strcpy(v.text, "store down");
	mxg_exim_result_format(&v, buf, sizeof(buf));
	ck_assert_str_eq(buf,
	    "defer 451 4.3.0 store down\tremaining=0 reason=failure rule=9");
	v.action = MXG_REJECT;
	v.code = 550;
	strcpy(v.ecode, "5.7.26");
	mxg_exim_result_format(&v, buf, sizeof(buf));
	ck_assert_str_eq(buf,
	    "reject 550 5.7.26 store down\tremaining=0 reason=failure rule=9");
	v.action = MXG_ACCEPT;
	v.reason = MXG_R_AUTOWHITE;
	mxg_exim_result_format(&v, buf, sizeof(buf));
	ck_assert_str_eq(buf, "accept\treason=autowhite rule=9 delayed=0");
	v.action = MXG_GREYLIST;
	memset(v.text, 'x', sizeof(v.text) - 1);
	v.text[sizeof(v.text) - 1] = '\0';
	n = mxg_exim_result_format(&v, small, sizeof(small));
	ck_assert_uint_eq(n, strlen(small));
	ck_assert_str_eq(small, "defer 451 4.7.1");
	n = mxg_exim_result_format(&v, buf, sizeof(buf));
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_uint_lt(n, sizeof(buf));
}
END_TEST

START_TEST(result_error)
{
	char buf[64];

	mxg_exim_result_error(
	    "argument 1 (client address) is empty", buf, sizeof(buf));
	ck_assert_str_eq(buf,
	    "defer 451 4.3.5 mxgrey: argument 1 (client address) is empty\tre");
	mxg_exim_result_error("a\tb\r\nc", buf, sizeof(buf));
	ck_assert_str_eq(buf, "defer 451 4.3.5 mxgrey: a b  c\treason=error");
}
END_TEST

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* the address the client connected to, as Exim's glue gives it */
static const char *
server_ip(void)
{
	return "192.0.2.25";
}

START_TEST(rcpt_flow)
{
	const char *dir = mxg_test_dir("t_exim");
	char rules[512], conf[600], store[600], out[MXG_EXIM_RESULT_MAX];
	char *argv[6] = { "192.0.2.7", "client.example", "alice@example.org",
		"bob@example.net", conf, store };
	char *bad[4] = { "", "h", "a@b", "c@d" };

	ck_assert_ptr_nonnull(dir);
	snprintf(rules, sizeof(rules), "%s/mxgrey.conf", dir);
	write_file(rules,
	    "greylist 1h\n"
	    "racl blacklist rcpt spam@example.net\n"
	    "racl greylist default\n");
	snprintf(conf, sizeof(conf), "config=%s", rules);
	snprintf(store, sizeof(store), "store=%s/store.tdb", dir);

	mxg_exim_rcpt(6, argv, &host, server_ip, out, sizeof(out));
	ck_assert_msg(strncmp(out, "defer 451 4.7.1 ", 16) == 0, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "\tremaining=3600 reason=new"));
	mxg_exim_rcpt(6, argv, &host, server_ip, out, sizeof(out));
	ck_assert_msg(strncmp(out, "defer 451 4.7.1 ", 16) == 0, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "reason=early"));

	argv[3] = "spam@example.net";
	mxg_exim_rcpt(6, argv, &host, server_ip, out, sizeof(out));
	ck_assert_msg(strncmp(out, "reject 5", 8) == 0, "%s", out);

	logged[0] = '\0';
	mxg_exim_rcpt(4, bad, &host, NULL, out, sizeof(out));
	ck_assert_str_eq(out,
	    "defer 451 4.3.5 mxgrey: argument 1 (client "
	    "address) is empty\treason=error");
	ck_assert_ptr_nonnull(strstr(logged, "bad ${dlfunc} arguments"));
	mxg_exim_engine_close_all();
}
END_TEST

static int
file_is(const char *path, const char *text)
{
	char buf[512];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strcmp(buf, text) == 0;
}

START_TEST(good_copy)
{
	const char *dir = mxg_test_dir("t_exim_good");
	char rules[512], store[512], good[600];
	const char *v1 = "greylist 1h\nracl greylist default\n";
	const char *v2 = "greylist 2h\nracl greylist default\n"; /* same size */
	const char *v3 = "greylist 2h\nracl frobnicate default\n";
	struct mxg_engine *e;
	struct mxg_request r = { .client_addr = "192.0.2.9",
		.sender = "a@example.org",
		.rcpt = "b@example.net" };
	struct mxg_verdict v;
	int err;

	ck_assert_ptr_nonnull(dir);
	snprintf(rules, sizeof(rules), "%s/r.conf", dir);
	snprintf(store, sizeof(store), "%s/s.tdb", dir);
	ck_assert_int_eq(
	    mxg_exim_good_path("memory:", rules, good, sizeof(good)), -1);
	/* one copy per rules file on a shared store */
	ck_assert_int_eq(
	    mxg_exim_good_path(store, "/other.conf", good, sizeof(good)), 0);
	{
		char other[600];

		memcpy(other, good, sizeof(other));
		ck_assert_int_eq(
		    mxg_exim_good_path(store, rules, good, sizeof(good)), 0);
		ck_assert_str_ne(other, good);
	}

	write_file(rules, v1);
	ck_assert_ptr_nonnull(mxg_exim_engine_get(rules, store, &host, &err));
	ck_assert_int_eq(err, MXG_OK);
	ck_assert(file_is(good, v1));
	mxg_exim_engine_close_all();

	write_file(rules, v2);
	ck_assert_ptr_nonnull(mxg_exim_engine_get(rules, store, &host, &err));
	ck_assert(file_is(good, v2)); /* same size, other bytes: refreshed */
	mxg_exim_engine_close_all();

	write_file(rules, v3);
	logged[0] = '\0';
	e = mxg_exim_engine_get(rules, store, &host, &err);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(err, MXG_OK); /* the good copy serves */
	ck_assert(file_is(good, v2));
	ck_assert_ptr_nonnull(strstr(logged, "serving its last good copy"));
	ck_assert_int_eq(mxg_check(e, &r, &v), MXG_OK);
	ck_assert_int_eq(v.action, MXG_GREYLIST);
	ck_assert_int_eq(v.remaining, 7200);
	mxg_exim_engine_close_all();
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("exim shim");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, args_fixed);
	tcase_add_test(tc, args_missing);
	tcase_add_test(tc, args_empty);
	tcase_add_test(tc, args_too_long);
	tcase_add_test(tc, args_options);
	tcase_add_test(tc, args_bad_options);
	tcase_add_test(tc, args_too_many_macros);
	tcase_add_test(tc, result_greylist);
	tcase_add_test(tc, result_fixes);
	tcase_add_test(tc, result_headers);
	tcase_add_test(tc, result_error);
	tcase_add_test(tc, rcpt_flow);
	tcase_add_test(tc, good_copy);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
