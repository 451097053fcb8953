/*
 * test_smtpd_proto.c: the smtpd-filters line parser and writer
 * (shim/opensmtpd/smtpd_proto.c), versions 0.4 to 0.7, and how it
 * refuses malformed lines.
 */
#include "mxg_test.h"
#include "smtpd_proto.h"

/* Parse a copy of s; the copy lives until the next call. */
static int
parse(const char *s, struct smtpd_msg *m, const char **why)
{
	static char buf[4096];
	size_t n = strlen(s);

	memcpy(buf, s, n + 1);
	return smtpd_proto_parse(buf, n, m, why);
}

START_TEST(config_lines)
{
	struct smtpd_msg m;
	const char *why;

	ck_assert_int_eq(parse("config|smtpd-version|6.8.0p2", &m, &why), 0);
	ck_assert_int_eq(m.kind, SMTPD_MSG_CONFIG);
	ck_assert_str_eq(m.key, "smtpd-version");
	ck_assert_str_eq(m.value, "6.8.0p2");
	ck_assert_int_eq(parse("config|ready", &m, &why), 0);
	ck_assert_str_eq(m.key, "ready");
	ck_assert_ptr_null(m.value);
	ck_assert_int_eq(parse("config|admd|a|b", &m, &why), 0);
	ck_assert_str_eq(m.value, "a|b");
	ck_assert_int_eq(parse("config|ready\r", &m, &why), 0);
	ck_assert_str_eq(m.key, "ready");
	ck_assert_int_eq(parse("config|", &m, &why), -1);
}
END_TEST

START_TEST(report_line)
{
	struct smtpd_msg m;
	const char *why;

	ck_assert_int_eq(parse("report|0.6|1795516405.042959|smtp-in|"
	                       "link-connect|2e68fac7dfbc5e15|localhost|pass|"
	                       "127.0.0.1:35428|127.0.0.1:25251",
	                     &m, &why),
	    0);
	ck_assert_int_eq(m.kind, SMTPD_MSG_REPORT);
	ck_assert_int_eq(m.vmajor, 0);
	ck_assert_int_eq(m.vminor, 6);
	ck_assert(m.sec == 1795516405LL);
	ck_assert_int_eq(m.usec, 42959);
	ck_assert_str_eq(m.subsystem, "smtp-in");
	ck_assert_str_eq(m.event, "link-connect");
	ck_assert(m.session == 0x2e68fac7dfbc5e15ULL);
	ck_assert_str_eq(
	    m.params, "localhost|pass|127.0.0.1:35428|127.0.0.1:25251");

	/* no parameters at all */
	ck_assert_int_eq(
	    parse("report|0.7|1.5|smtp-in|link-disconnect|ab", &m, &why), 0);
	ck_assert(m.session == 0xab);
	ck_assert_int_eq(m.usec, 500000);
	ck_assert_str_eq(m.params, "");
}
END_TEST

START_TEST(filter_line)
{
	struct smtpd_msg m;
	const char *why;

	ck_assert_int_eq(parse("filter|0.5|1576146008.006099|smtp-in|rcpt-to|"
	                       "7641df9771b4ed00|1ef1c203cc576e5d|a@b.c",
	                     &m, &why),
	    0);
	ck_assert_int_eq(m.kind, SMTPD_MSG_FILTER);
	ck_assert_int_eq(m.vminor, 5);
	ck_assert(m.session == 0x7641df9771b4ed00ULL);
	ck_assert(m.token == 0x1ef1c203cc576e5dULL);
	ck_assert_str_eq(m.event, "rcpt-to");
	ck_assert_str_eq(m.params, "a@b.c");
	/* data and commit carry no parameter */
	ck_assert_int_eq(
	    parse("filter|0.7|1.000001|smtp-in|commit|1|2", &m, &why), 0);
	ck_assert(m.token == 2);
	ck_assert_str_eq(m.params, "");
}
END_TEST

START_TEST(malformed)
{
	static const char *const bad[] = {
		"",
		"report",
		"nonsense|0.6|1.1|smtp-in|x|1",
		"report||1.1|smtp-in|x|1",
		"report|0|1.1|smtp-in|x|1",
		"report|a.6|1.1|smtp-in|x|1",
		"report|0.6x|1.1|smtp-in|x|1",
		"report|0.6|1|smtp-in|x|1",
		"report|0.6|1.|smtp-in|x|1",
		"report|0.6|.1|smtp-in|x|1",
		"report|0.6|1.1234567890|smtp-in|x|1",
		"report|0.6|1.1|",
		"report|0.6|1.1||x|1",
		"report|0.6|1.1|smtp-in||1",
		"report|0.6|1.1|smtp-in|x",
		"report|0.6|1.1|smtp-in|x|",
		"report|0.6|1.1|smtp-in|x|zz",
		"report|0.6|1.1|smtp-in|x|12345678901234567",
		"filter|0.6|1.1|smtp-in|rcpt-to|1",
		"filter|0.6|1.1|smtp-in|rcpt-to|1|",
		"filter|0.6|1.1|smtp-in|rcpt-to|1|-2|a",
		"report|99999.6|1.1|smtp-in|x|1",
		"report|0.6|1234567890123456789.1|smtp-in|x|1",
	};
	struct smtpd_msg m;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		why = NULL;
		ck_assert_msg(
		    parse(bad[i], &m, &why) == -1, "accepted: %s", bad[i]);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

START_TEST(nul_inside)
{
	char buf[] = "config|ready\0x";
	struct smtpd_msg m;
	const char *why;

	ck_assert_int_eq(smtpd_proto_parse(buf, sizeof(buf) - 1, &m, &why), -1);
	ck_assert_str_eq(why, "NUL byte in line");
}
END_TEST

START_TEST(versions)
{
	ck_assert(!smtpd_proto_version_ok(0, 3));
	ck_assert(smtpd_proto_version_ok(0, 4));
	ck_assert(smtpd_proto_version_ok(0, 5));
	ck_assert(smtpd_proto_version_ok(0, 6));
	ck_assert(smtpd_proto_version_ok(0, 7));
	ck_assert(smtpd_proto_version_ok(0, 8));
	ck_assert(!smtpd_proto_version_ok(1, 0));
}
END_TEST

/* tx-mail: address then result up to 0.5, result then address later */
START_TEST(tx_addr_order)
{
	struct smtpd_msg m;
	const char *why, *id, *res, *addr;
	char p[128];

	ck_assert_int_eq(
	    parse("report|0.5|1.1|smtp-in|tx-mail|1", &m, &why), 0);
	strcpy(p, "0a0cc852|a|b@ex.org|ok");
	ck_assert_int_eq(smtpd_proto_tx_addr(&m, p, &id, &res, &addr), 0);
	ck_assert_str_eq(id, "0a0cc852");
	ck_assert_str_eq(addr, "a|b@ex.org");
	ck_assert_str_eq(res, "ok");

	ck_assert_int_eq(
	    parse("report|0.6|1.1|smtp-in|tx-mail|1", &m, &why), 0);
	strcpy(p, "0a0cc852|ok|a|b@ex.org");
	ck_assert_int_eq(smtpd_proto_tx_addr(&m, p, &id, &res, &addr), 0);
	ck_assert_str_eq(addr, "a|b@ex.org");
	ck_assert_str_eq(res, "ok");

	ck_assert_int_eq(
	    parse("report|0.7|1.1|smtp-in|tx-rcpt|1", &m, &why), 0);
	strcpy(p, "0a0cc852|tempfail|");
	ck_assert_int_eq(smtpd_proto_tx_addr(&m, p, &id, &res, &addr), 0);
	ck_assert_str_eq(addr, "");
	ck_assert_str_eq(res, "tempfail");

	strcpy(p, "0a0cc852");
	ck_assert_int_eq(smtpd_proto_tx_addr(&m, p, &id, &res, &addr), -1);
	strcpy(p, "0a0cc852|ok");
	ck_assert_int_eq(smtpd_proto_tx_addr(&m, p, &id, &res, &addr), -1);
}
END_TEST

START_TEST(link_auth_order)
{
	struct smtpd_msg m;
	const char *why, *user, *res;
	char p[64];

	ck_assert_int_eq(
	    parse("report|0.6|1.1|smtp-in|link-auth|1", &m, &why), 0);
	strcpy(p, "jo|e|pass");
	ck_assert_int_eq(smtpd_proto_link_auth(&m, p, &user, &res), 0);
	ck_assert_str_eq(user, "jo|e");
	ck_assert_str_eq(res, "pass");

	ck_assert_int_eq(
	    parse("report|0.7|1.1|smtp-in|link-auth|1", &m, &why), 0);
	strcpy(p, "fail|jo|e");
	ck_assert_int_eq(smtpd_proto_link_auth(&m, p, &user, &res), 0);
	ck_assert_str_eq(user, "jo|e");
	ck_assert_str_eq(res, "fail");
	strcpy(p, "pass");
	ck_assert_int_eq(smtpd_proto_link_auth(&m, p, &user, &res), -1);
}
END_TEST

START_TEST(connect_and_identify)
{
	struct smtpd_connect c;
	const char *method, *id;
	char p[128];

	strcpy(p, "<unknown>|fail|[::1]:39500|[::1]:25251");
	ck_assert_int_eq(smtpd_proto_link_connect(p, &c), 0);
	ck_assert_str_eq(c.rdns, "<unknown>");
	ck_assert_str_eq(c.fcrdns, "fail");
	ck_assert_str_eq(c.src, "[::1]:39500");
	ck_assert_str_eq(c.dest, "[::1]:25251");
	strcpy(p, "a|b|c");
	ck_assert_int_eq(smtpd_proto_link_connect(p, &c), -1);

	strcpy(p, "EHLO|mx.example|x");
	ck_assert_int_eq(smtpd_proto_link_identify(p, &method, &id), 0);
	ck_assert_str_eq(method, "EHLO");
	ck_assert_str_eq(id, "mx.example|x");
	strcpy(p, "EHLO");
	ck_assert_int_eq(smtpd_proto_link_identify(p, &method, &id), -1);
}
END_TEST

START_TEST(src_addr)
{
	char out[SMTPD_ADDR_MAX];

	ck_assert_int_eq(
	    smtpd_proto_src_addr("192.0.2.1:4242", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "192.0.2.1");
	ck_assert_int_eq(
	    smtpd_proto_src_addr("[2001:db8::1]:25", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "2001:db8::1");
	ck_assert_int_eq(
	    smtpd_proto_src_addr("IPv6:::1:25", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "IPv6:::1");
	ck_assert_int_eq(
	    smtpd_proto_src_addr("unix:/var/run/smtpd.sock", out, sizeof(out)),
	    1);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(smtpd_proto_src_addr("local", out, sizeof(out)), 1);
	ck_assert_int_eq(
	    smtpd_proto_src_addr("192.0.2.1", out, sizeof(out)), -1);
	ck_assert_int_eq(
	    smtpd_proto_src_addr("192.0.2.1:", out, sizeof(out)), -1);
	ck_assert_int_eq(
	    smtpd_proto_src_addr("192.0.2.1:2x", out, sizeof(out)), -1);
	ck_assert_int_eq(smtpd_proto_src_addr(":25", out, sizeof(out)), -1);
	ck_assert_int_eq(smtpd_proto_src_addr("[]:25", out, sizeof(out)), -1);
	ck_assert_int_eq(smtpd_proto_src_addr("192.0.2.1:25", out, 4), -1);
}
END_TEST

START_TEST(rcpt_addr)
{
	char out[16];

	ck_assert_int_eq(smtpd_proto_rcpt_addr("a@b.c", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a@b.c");
	ck_assert_int_eq(
	    smtpd_proto_rcpt_addr("<a@b.c> NOTIFY=NEVER", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a@b.c");
	ck_assert_int_eq(
	    smtpd_proto_rcpt_addr("a@b.c ORCPT=x", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a@b.c");
	ck_assert_int_eq(smtpd_proto_rcpt_addr("<>", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(smtpd_proto_rcpt_addr("<a@b.c", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a@b.c");
	ck_assert_int_eq(
	    smtpd_proto_rcpt_addr("0123456789abcdef@x", out, sizeof(out)), -1);
}
END_TEST

START_TEST(answers)
{
	char out[SMTPD_RESULT_MAX];
	size_t n;

	n = smtpd_proto_proceed(out, sizeof(out), 0, 6, 0x2e68fac7dfbc5e15ULL,
	    0xbd4e1699c42a6df8ULL);
	ck_assert_str_eq(
	    out, "filter-result|2e68fac7dfbc5e15|bd4e1699c42a6df8|proceed\n");
	ck_assert_uint_eq(n, strlen(out));
	/* 0.4: token first */
	smtpd_proto_proceed(out, sizeof(out), 0, 4, 1, 2);
	ck_assert_str_eq(
	    out, "filter-result|0000000000000002|0000000000000001|proceed\n");
	n = smtpd_proto_reject(out, sizeof(out), 0, 7, 1, 2,
	    "451 4.7.1 Greylisted\r\nfor 5 minutes");
	ck_assert_str_eq(out,
	    "filter-result|0000000000000001|"
	    "0000000000000002|reject|"
	    "451 4.7.1 Greylisted  for 5 minutes\n");
	ck_assert_uint_eq(n, strlen(out));
	/* too small: nothing, never a cut line */
	ck_assert_uint_eq(smtpd_proto_reject(out, 60, 0, 6, 1, 2,
	                      "451 4.7.1 a long enough reply text"),
	    0);
	ck_assert_uint_eq(smtpd_proto_proceed(out, 40, 0, 6, 1, 2), 0);
}
END_TEST

START_TEST(split)
{
	char s[] = "a|b|c|d";
	char *f[3];

	ck_assert_int_eq(smtpd_proto_split(s, f, 3), 3);
	ck_assert_str_eq(f[0], "a");
	ck_assert_str_eq(f[1], "b");
	ck_assert_str_eq(f[2], "c|d");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("smtpd_proto");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, config_lines);
	tcase_add_test(tc, report_line);
	tcase_add_test(tc, filter_line);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, nul_inside);
	tcase_add_test(tc, versions);
	tcase_add_test(tc, tx_addr_order);
	tcase_add_test(tc, link_auth_order);
	tcase_add_test(tc, connect_and_identify);
	tcase_add_test(tc, src_addr);
	tcase_add_test(tc, rcpt_addr);
	tcase_add_test(tc, answers);
	tcase_add_test(tc, split);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
