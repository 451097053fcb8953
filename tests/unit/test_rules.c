/* test_rules.c: rules parser API, keyword table, evaluator, %-escapes. */
#include "mxg_test.h"
#include "mxg_rules.h"
#include "mxg_rules_int.h"

struct logcap {
	char text[8192];
	int n;
};

static void
logfn(void *ctx, int level, const char *msg)
{
	struct logcap *c = ctx;
	size_t l = strlen(c->text);

	(void)level;
	c->n++;
	snprintf(c->text + l, sizeof(c->text) - l, "%s\n", msg);
}

static struct mxg_ruleset *
parse(const char *text, struct logcap *cap, int *err)
{
	struct mxg_log log = { logfn, cap };

	memset(cap, 0, sizeof(*cap));
	*err = 0;
	return mxg_rules_parse("t.conf", text, strlen(text), &log, err);
}

START_TEST(keywords_sorted)
{
	const struct mxg_kw *kw;
	size_t n, i;

	kw = mxg_rules_keywords(&n);
	ck_assert_int_gt((int)n, 50);
	for (i = 1; i < n; i++)
		ck_assert_msg(strcmp(kw[i - 1].name, kw[i].name) < 0,
		    "keyword table not sorted at %s, %s", kw[i - 1].name,
		    kw[i].name);
	for (i = 0; i < n; i++) {
		ck_assert_ptr_eq(
		    mxg_rules_kw_find(kw[i].name, strlen(kw[i].name)), &kw[i]);
		ck_assert_int_ge(kw[i].status, MXG_KS_SUPPORTED);
		ck_assert_int_le(kw[i].status, MXG_KS_OURS);
	}
	ck_assert_ptr_null(mxg_rules_kw_find("racls", 5));
	ck_assert_ptr_null(mxg_rules_kw_find("rac", 3));
	ck_assert_ptr_nonnull(mxg_rules_kw_find("racl whatever", 4));
	ck_assert_ptr_null(mxg_rules_kw_find("ra\0l", 4));
	ck_assert_ptr_null(mxg_rules_kw_find("RACL", 4));
}
END_TEST

START_TEST(defaults_and_durations)
{
	struct logcap cap;
	struct mxg_ruleset *rs;
	const struct mxg_config *cf;
	int err;

	rs = parse("", &cap, &err);
	ck_assert_ptr_nonnull(rs);
	cf = mxg_rules_config(rs);
	ck_assert_int_eq(cf->delay, 1800);
	ck_assert_int_eq(cf->autowhite, 86400);
	ck_assert_int_eq(cf->timeout, 432000);
	ck_assert_int_eq(cf->subnetmatch, 32);
	ck_assert_int_eq(cf->subnetmatch6, 128);
	ck_assert_int_eq(cf->report, MXG_REPORT_ALL);
	ck_assert_int_eq(cf->fail_action, MXG_TEMPFAIL);
	ck_assert_int_eq(cf->socket_mode, -1);
	ck_assert_ptr_null(cf->store);
	ck_assert_int_eq(mxg_rules_has_stage(rs, MXG_STAGE_RCPT), 0);
	ck_assert_int_eq(mxg_rules_has_stage(rs, MXG_STAGE_DATA), 0);
	mxg_rules_free(rs);

	rs = parse("greylist 90\nautowhite 1w\ntimeout 1d2h3m4s\n", &cap, &err);
	ck_assert_ptr_nonnull(rs);
	cf = mxg_rules_config(rs);
	ck_assert_int_eq(cf->delay, 90);
	ck_assert_int_eq(cf->autowhite, 604800);
	ck_assert_int_eq(cf->timeout, 86400 + 7200 + 180 + 4);
	mxg_rules_free(rs);

	ck_assert_ptr_null(
	    parse("greylist 99999999999999999999\n", &cap, &err));
	ck_assert_int_eq(err, MXG_ERULES);
	ck_assert_ptr_null(parse("greylist 1y\n", &cap, &err));
	ck_assert_ptr_null(parse("greylist\n", &cap, &err));
	ck_assert_ptr_null(parse("greylist -5\n", &cap, &err));
}
END_TEST

START_TEST(errors_all_reported)
{
	struct logcap cap;
	int err;

	ck_assert_ptr_null(parse("racl whitelist addr 1.2.3.4/33\n"
	                         "bogus\n"
	                         "racl greylist default delay x\n",
	    &cap, &err));
	ck_assert_int_eq(err, MXG_ERULES);
	ck_assert_int_eq(cap.n, 3);
	ck_assert_ptr_nonnull(strstr(cap.text, "t.conf:1:21: "));
	ck_assert_ptr_nonnull(strstr(cap.text, "t.conf:2:1: "));
	ck_assert_ptr_nonnull(strstr(cap.text, "t.conf:3:29: "));
	/* a NUL in the middle is an error, not the end of the file */
	memset(&cap, 0, sizeof(cap));
	{
		struct mxg_log log = { logfn, &cap };
		static const char buf[] = "racl whitelist default\n\0bad\n";

		ck_assert_ptr_null(mxg_rules_parse(
		    "n.conf", buf, sizeof(buf) - 1, &log, &err));
		ck_assert_int_eq(err, MXG_ERULES);
	}
}
END_TEST

/* parse len bytes (NULs included) */
static struct mxg_ruleset *
parsen(const char *buf, size_t len, struct logcap *cap, int *err)
{
	struct mxg_log log = { logfn, cap };

	memset(cap, 0, sizeof(*cap));
	*err = 0;
	return mxg_rules_parse("t.conf", buf, len, &log, err);
}

START_TEST(nul_bytes)
{
	static const char buf[] = "racl whitelist addr 192.0.2.1\n"
	                          "# comment\n"
	                          "list \"x\" from {\"\0a\" }\n"
	                          "racl greylist default\n";
	static const char tail[] = "# \0\nracl greylist default\n\0";
	char many[43];
	struct logcap cap;
	int err;

	/* inside a quoted string: not a silent cut, an error where it is */
	ck_assert_ptr_null(parsen(buf, sizeof(buf) - 1, &cap, &err));
	ck_assert_int_eq(err, MXG_ERULES);
	ck_assert_int_eq(cap.n, 1);
	ck_assert_str_eq(cap.text, "t.conf:3:17: NUL byte in the rules file\n");
	/* in a comment, and at the very end */
	ck_assert_ptr_null(parsen(tail, sizeof(tail) - 1, &cap, &err));
	ck_assert_int_eq(cap.n, 2);
	ck_assert_str_eq(cap.text,
	    "t.conf:1:3: NUL byte in the rules file\n"
	    "t.conf:3:1: NUL byte in the rules file\n");
	/* many in one token: each kept one, then how many more */
	memset(many, 0, sizeof(many));
	memcpy(many, "racl whitelist from \"", 21);
	memcpy(many + 41, "\"\n", 2);
	ck_assert_ptr_null(parsen(many, 43, &cap, &err));
	ck_assert_int_eq(cap.n, 17);
	ck_assert_ptr_nonnull(strstr(cap.text,
	    "t.conf:1:37: NUL byte in the rules file\n"
	    "t.conf:1:37: 4 more NUL or control bytes after this one\n"));
}
END_TEST

START_TEST(control_bytes)
{
	struct mxg_ruleset *rs;
	struct logcap cap;
	const char *s;
	int err;

	/* a control character in a quoted string is refused */
	ck_assert_ptr_null(
	    parse("racl greylist default msg \"a\rb\"\n", &cap, &err));
	ck_assert_int_eq(err, MXG_ERULES);
	ck_assert_str_eq(cap.text,
	    "t.conf:1:29: control character \\x0D in a quoted string\n");
	ck_assert_ptr_null(parse("racl whitelist from /a\001b/\n", &cap, &err));
	ck_assert_str_eq(cap.text,
	    "t.conf:1:23: control character \\x01 in a regular "
	    "expression\n");
	/* a tab is not */
	rs = parse("racl greylist default msg \"a\tb\"\n", &cap, &err);
	ck_assert_ptr_nonnull(rs);
	mxg_rules_free(rs);
	/* no raw control or non-ASCII byte reaches a message */
	ck_assert_ptr_null(parse("\x1b[2Jbogus\xff\n"
	                         "greylist \x01\x7f\xc3\xa9\n"
	                         "list \"\xe2\x80\xae\" addr { 192.0.2.1 }\n"
	                         "list \"\xe2\x80\xae\" addr { 192.0.2.1 }\n"
	                         "racl whitelist from /\xfe[/\n",
	    &cap, &err));
	ck_assert_int_eq(cap.n, 4);
	for (s = cap.text; *s != '\0'; s++)
		ck_assert(*s == '\n' || (*s >= 0x20 && *s < 0x7f));
	ck_assert_ptr_nonnull(strstr(cap.text, "'\\x1B[2Jbogus\\xFF'"));
	ck_assert_ptr_nonnull(strstr(cap.text, "'\\x01\\x7F\\xC3\\xA9'"));
	ck_assert_ptr_nonnull(strstr(cap.text, "\"\\xE2\\x80\\xAE\""));
}
END_TEST

START_TEST(byte_order_mark)
{
	struct mxg_ruleset *rs;
	struct logcap cap;
	int err;

	rs = parse("\xef\xbb\xbfracl greylist default\n", &cap, &err);
	ck_assert_ptr_nonnull(rs);
	ck_assert_int_eq(cap.n, 0);
	mxg_rules_free(rs);
	/* columns on line 1 count from after the mark */
	ck_assert_ptr_null(parse("\xef\xbb\xbfgreylist x\n", &cap, &err));
	ck_assert_ptr_nonnull(strstr(cap.text, "t.conf:1:10: "));
	/* a mark alone, or only part of one */
	rs = parse("\xef\xbb\xbf", &cap, &err);
	ck_assert_ptr_nonnull(rs);
	mxg_rules_free(rs);
	ck_assert_ptr_null(
	    parse("\xef\xbbracl greylist default\n", &cap, &err));
	ck_assert_ptr_nonnull(strstr(cap.text, "'\\xEF\\xBBracl'"));
}
END_TEST

START_TEST(unclosed_list_once)
{
	struct logcap cap;
	int err;

	ck_assert_ptr_null(parse("list \"x\" addr { 192.0.2.1\n"
	                         "\t192.0.2.2\n"
	                         "racl whitelist list \"x\"\n"
	                         "racl greylist default delay soon\n"
	                         "racl greylist default\n",
	    &cap, &err));
	ck_assert_int_eq(err, MXG_ERULES);
	ck_assert_int_eq(cap.n, 2);
	ck_assert_str_eq(cap.text,
	    "t.conf:1:15: list opened here is not closed with '}'\n"
	    "t.conf:4:29: delay: expected a duration (90, 90s, 10m, 2h, 1d, "
	    "1w), got 'soon'\n");
	/* at the end of the file */
	ck_assert_ptr_null(parse("racl greylist from { a@b\n", &cap, &err));
	ck_assert_str_eq(
	    cap.text, "t.conf:1:20: list opened here is not closed with '}'\n");
	/* a missing quote: one error, at the opening quote */
	ck_assert_ptr_null(parse("racl greylist from { \"a@b }\n"
	                         "racl greylist default\n",
	    &cap, &err));
	ck_assert_str_eq(cap.text, "t.conf:1:22: unterminated quoted string\n");
	/* the next quote opens a string: the missing one is this one's */
	ck_assert_ptr_null(
	    parse("racl greylist from \"a@b delay 5m msg \"hi\"\n"
	          "racl greylist from \"c@d\" msg \"x\" log \"y\n"
	          "racl greylist default\n",
	        &cap, &err));
	ck_assert_str_eq(cap.text,
	    "t.conf:1:20: unterminated quoted string\n"
	    "t.conf:2:38: unterminated quoted string\n");
}
END_TEST

START_TEST(unterminated_buffer)
{
	struct mxg_log log = { NULL, NULL };
	struct mxg_ruleset *rs;
	char *buf;
	int err;

	/* exactly "racl greylist default" with no NUL and no newline */
	buf = malloc(21);
	memcpy(buf, "racl greylist default", 21);
	rs = mxg_rules_parse("u", buf, 21, &log, &err);
	ck_assert_ptr_nonnull(rs);
	ck_assert_int_eq(mxg_rules_has_stage(rs, MXG_STAGE_RCPT), 1);
	mxg_rules_free(rs);
	free(buf);
	mxg_rules_free(NULL);
}
END_TEST

START_TEST(load_missing)
{
	struct logcap cap;
	struct mxg_log log = { logfn, &cap };
	int err = 0;

	memset(&cap, 0, sizeof(cap));
	ck_assert_ptr_null(
	    mxg_rules_load("/nonexistent/mxgrey.conf", &log, &err));
	ck_assert_int_eq(err, MXG_EIO);
	ck_assert_int_eq(cap.n, 1);
}
END_TEST

static int
f_dnsrbl(void *ctx, const char *zone, struct mxg_ip *a, const char **why)
{
	(void)ctx;
	(void)zone;
	(void)a;
	*why = "SERVFAIL";
	return -1;
}

START_TEST(eval_undecided_and_needs)
{
	static const struct mxg_lookup_ops ops = { .dnsrbl = f_dnsrbl };
	struct logcap cap;
	struct mxg_ruleset *rs;
	struct mxg_request req;
	struct mxg_eval ev;
	struct mxg_match m;
	const char *const *z;
	size_t n;
	int err;

	rs = parse("dnsrbl \"A\" a.example 127.0.0.2\n"
	           "dnsrbl \"B\" b.example 127.0.0.2\n"
	           "racl whitelist addr 192.0.2.1\n"
	           "racl greylist dnsrbl \"A\" msg \"%C\"\n"
	           "racl greylist spf fail\n"
	           "racl greylist default\n",
	    &cap, &err);
	ck_assert_ptr_nonnull(rs);
	ck_assert_uint_eq(mxg_rules_needs(rs, MXG_STAGE_RCPT),
	    MXG_NEED_DNSRBL | MXG_NEED_SPF | MXG_NEED_GEOIP);
	ck_assert_uint_eq(mxg_rules_needs(rs, MXG_STAGE_DATA), 0);
	z = mxg_rules_dnsrbl_zones(rs, MXG_STAGE_RCPT, &n);
	ck_assert_int_eq((int)n, 1); /* B is defined but never used */
	ck_assert_str_eq(z[0], "a.example");
	z = mxg_rules_dnsrbl_zones(rs, MXG_STAGE_DATA, &n);
	ck_assert_ptr_nonnull(z);
	ck_assert_int_eq((int)n, 0);

	memset(&req, 0, sizeof(req));
	memset(&ev, 0, sizeof(ev));
	ev.req = &req;
	ev.sender = "a@b";
	ev.rcpt = "c@d";
	mxg_ip_parse("192.0.2.1", &ev.ip);
	ck_assert_int_eq(mxg_rules_eval(rs, MXG_STAGE_RCPT, &ev, &m), MXG_OK);
	ck_assert_int_eq(m.action, MXG_RA_WHITELIST);
	ck_assert_int_eq(m.line, 3);
	ck_assert_ptr_null(m.undecided);

	/* no provider: the dnsrbl rule cannot decide, never "no match" */
	mxg_ip_parse("192.0.2.2", &ev.ip);
	ck_assert_int_eq(
	    mxg_rules_eval(rs, MXG_STAGE_RCPT, &ev, &m), MXG_ELOOKUP);
	ck_assert_ptr_nonnull(m.undecided);
	ck_assert_int_eq(m.line, 4);
	/* provider failing */
	ev.lookup = &ops;
	ck_assert_int_eq(
	    mxg_rules_eval(rs, MXG_STAGE_RCPT, &ev, &m), MXG_ELOOKUP);
	ck_assert_str_eq(m.undecided, "SERVFAIL");
	/* provider without spf: the spf rule cannot decide either */
	mxg_rules_free(rs);

	rs = parse(
	    "racl greylist spf fail\nracl whitelist default\n", &cap, &err);
	ck_assert_int_eq(
	    mxg_rules_eval(rs, MXG_STAGE_RCPT, &ev, &m), MXG_ELOOKUP);
	ck_assert_ptr_nonnull(m.undecided);
	/* DATA stage with no dacl: nothing matched */
	ck_assert_int_eq(mxg_rules_eval(rs, MXG_STAGE_DATA, &ev, &m), MXG_OK);
	ck_assert_int_eq(m.action, MXG_RA_NONE);
	ck_assert_int_eq(m.line, 0);
	ck_assert_int_eq(m.delay, -1);
	ck_assert_int_eq(m.autowhite, -1);
	mxg_rules_free(rs);
}
END_TEST

/* the rule line that decides for a client named name (0: none) */
static int
rule_for(const struct mxg_ruleset *rs, const char *name)
{
	struct mxg_request req;
	struct mxg_eval ev;
	struct mxg_match m;

	memset(&req, 0, sizeof(req));
	memset(&ev, 0, sizeof(ev));
	req.client_name = name;
	ev.req = &req;
	ev.sender = "a@b";
	ev.rcpt = "c@d";
	mxg_ip_parse("192.0.2.9", &ev.ip);
	ck_assert_int_eq(mxg_rules_eval(rs, MXG_STAGE_RCPT, &ev, &m), MXG_OK);
	return m.action == MXG_RA_WHITELIST ? (int)m.line : 0;
}

/* milter-greylist's domain match: a suffix, the leading dot included */
START_TEST(domain_leading_dot)
{
	static const char *const rules[] = {
		"racl whitelist domain .google.com\n",
		"list \"g\" domain { .google.com }\n"
		"racl whitelist list \"g\"\n",
		"racl whitelist domain { other.example .GOOGLE.com }\n",
	};
	struct logcap cap;
	struct mxg_ruleset *rs;
	size_t i;
	int err, line;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		rs = parse(rules[i], &cap, &err);
		ck_assert_msg(rs != NULL, "%s", cap.text);
		ck_assert_int_eq(cap.n, 0);
		line = i == 1 ? 2 : 1;
		ck_assert_int_eq(rule_for(rs, "mail.google.com"), line);
		ck_assert_int_eq(rule_for(rs, "a.b.Google.COM"), line);
		ck_assert_int_eq(rule_for(rs, "google.com"), 0);
		ck_assert_int_eq(rule_for(rs, "xgoogle.com"), 0);
		ck_assert_int_eq(rule_for(rs, "mail.xgoogle.com"), 0);
		ck_assert_int_eq(rule_for(rs, "google.com.evil.example"), 0);
		mxg_rules_free(rs);
	}
	/* without the dot: any suffix, as before */
	rs = parse("racl whitelist domain google.com\n", &cap, &err);
	ck_assert_int_eq(rule_for(rs, "google.com"), 1);
	ck_assert_int_eq(rule_for(rs, "mail.google.com"), 1);
	ck_assert_int_eq(rule_for(rs, "xgoogle.com"), 1);
	mxg_rules_free(rs);
	/* domainexact: label boundaries; a leading dot then matches
	   nothing (milter-greylist alike), which is worth a warning */
	rs = parse(
	    "racl whitelist domain google.com\ndomainexact\n", &cap, &err);
	ck_assert_int_eq(rule_for(rs, "google.com"), 1);
	ck_assert_int_eq(rule_for(rs, "mail.google.com"), 1);
	ck_assert_int_eq(rule_for(rs, "xgoogle.com"), 0);
	ck_assert_int_eq(cap.n, 0);
	mxg_rules_free(rs);
	rs = parse(
	    "racl whitelist domain .google.com\ndomainexact\n", &cap, &err);
	ck_assert_ptr_nonnull(rs);
	ck_assert_int_eq(rule_for(rs, "mail.google.com"), 0);
	ck_assert_int_eq(rule_for(rs, "google.com"), 0);
	ck_assert_int_eq(cap.n, 1);
	ck_assert_msg(strstr(cap.text, "t.conf:1:23: with domainexact") != NULL,
	    "%s", cap.text);
	mxg_rules_free(rs);
}
END_TEST

/* a geoip clause needs a database directive, before or after it */
START_TEST(geoip_needs_db)
{
	struct logcap cap;
	struct mxg_ruleset *rs;
	int err;

	rs = parse("racl whitelist addr 192.0.2.1\n"
	           "racl greylist  geoip \"CN\" delay 1h\n"
	           "bogus\n"
	           "dacl blacklist not geoip { \"RU\" \"KP\" }\n",
	    &cap, &err);
	ck_assert_ptr_null(rs);
	ck_assert_int_eq(err, MXG_ERULES);
	ck_assert_int_eq(cap.n, 3);
	ck_assert_ptr_nonnull(strstr(cap.text, "t.conf:3:1: "));
	ck_assert_msg(strstr(cap.text,
	                  "t.conf:2:16: geoip needs a geoipdb or geoip2db "
	                  "directive\n") != NULL,
	    "%s", cap.text);
	ck_assert_ptr_nonnull(strstr(cap.text,
	    "t.conf:4:20: geoip needs a geoipdb or geoip2db directive\n"));
	/* the directive anywhere in the file */
	rs = parse(
	    "racl greylist geoip \"CN\"\ngeoip2db \"/x.mmdb\"\n", &cap, &err);
	ck_assert_msg(rs != NULL, "%s", cap.text);
	mxg_rules_free(rs);
	rs = parse(
	    "geoipdb \"/x.mmdb\"\nracl greylist geoip \"CN\"\n", &cap, &err);
	ck_assert_msg(rs != NULL, "%s", cap.text);
	mxg_rules_free(rs);
	/* %C alone needs none: it shows ?? */
	rs = parse("racl greylist default msg \"%C\"\n", &cap, &err);
	ck_assert_msg(rs != NULL, "%s", cap.text);
	mxg_rules_free(rs);
}
END_TEST

START_TEST(fmt_bounds)
{
	struct mxg_eval ev;
	char buf[8];
	size_t n;

	memset(&ev, 0, sizeof(ev));
	ev.rcpt = "someone@example.net";
	ev.sender = "";
	n = mxg_fmt_expand("to %r", &ev, buf, sizeof(buf));
	ck_assert_int_eq((int)n, 7);
	ck_assert_str_eq(buf, "to some");
	n = mxg_fmt_expand("%%%", &ev, buf, sizeof(buf));
	ck_assert_str_eq(buf, "%%");
	ck_assert_int_eq((int)n, 2);
	n = mxg_fmt_expand("%d%h%j%M{x}%f", &ev, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	memcpy(buf, "abc", 4);
	n = mxg_fmt_expand("xyz", &ev, buf, 0);
	ck_assert_int_eq((int)n, 0);
	ck_assert_str_eq(buf, "abc");
	n = mxg_fmt_expand("xyz", &ev, buf, 1);
	ck_assert_str_eq(buf, "");
	n = mxg_fmt_expand(NULL, &ev, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	/* %V: the shortcut, expanded from our own format */
	{
		struct mxg_request req;
		struct mxg_macro mac[] = { { "j", "mx.example" },
			{ "{if_addr}", "192.0.2.25" } };
		char big[256];

		memset(&req, 0, sizeof(req));
		req.macros = mac;
		req.nmacros = 2;
		ev.req = &req;
		ev.now = 1700000000;
		mxg_fmt_expand("%V", &ev, big, sizeof(big));
		ck_assert_msg(strncmp(big, "mxgrey-", 7) == 0, "%s", big);
		ck_assert_ptr_nonnull(
		    strstr(big, " (mx.example [192.0.2.25]); "));
		ck_assert_ptr_nonnull(strstr(big, " 2023 "));
		ev.req = NULL;
	}
	/* printf directives are not ours: copied as written */
	n = mxg_fmt_expand("%s%n%x", &ev, buf, sizeof(buf));
	ck_assert_str_eq(buf, "%s%n%x");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, keywords_sorted);
	tcase_add_test(tc, defaults_and_durations);
	tcase_add_test(tc, errors_all_reported);
	tcase_add_test(tc, nul_bytes);
	tcase_add_test(tc, control_bytes);
	tcase_add_test(tc, byte_order_mark);
	tcase_add_test(tc, unclosed_list_once);
	tcase_add_test(tc, unterminated_buffer);
	tcase_add_test(tc, load_missing);
	tcase_add_test(tc, eval_undecided_and_needs);
	tcase_add_test(tc, domain_leading_dot);
	tcase_add_test(tc, geoip_needs_db);
	tcase_add_test(tc, fmt_bounds);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
