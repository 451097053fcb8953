/*
 * test_engine.c: mxg_check() end to end with rules files and a tdb
 * store: time travel, subnet masking, failure action, fail-safe open,
 * reload (direct and by generation), hostile requests.
 */
#include <sys/wait.h>

#include <errno.h>

#include "mxg_test.h"
#include "mxgrey.h"

static char dir[512], rules[640], store[640];
static int errors;
static char last_error[1024];
static char all_errors[4096]; /* every error line, for tests that look */

static char last_info[1024]; /* the last info line */

static void
log_cb(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level == MXG_LOG_INFO)
		snprintf(last_info, sizeof(last_info), "%s", msg);
	if (level <= MXG_LOG_ERR) {
		errors++;
		snprintf(last_error, sizeof(last_error), "%s", msg);
		strncat(all_errors, msg,
		    sizeof(all_errors) - strlen(all_errors) - 2);
		strcat(all_errors, "\n");
	}
}

static const struct mxg_host HOST = { .api_version = MXGREY_API_VERSION,
	.log = log_cb };

static void
write_rules(const char *text)
{
	FILE *f = fopen(rules, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static struct mxg_engine *
open_with(const char *text)
{
	struct mxg_engine *e = NULL;

	snprintf(dir, sizeof(dir), "%s", mxg_test_dir("engine"));
	snprintf(rules, sizeof(rules), "%s/rules.conf", dir);
	snprintf(store, sizeof(store), "%s/store.tdb", dir);
	unlink(store);
	write_rules(text);
	errors = 0;
	ck_assert_int_eq(mxg_open(&e, rules, store, &HOST), MXG_OK);
	return e;
}

static enum mxg_action
check(struct mxg_engine *e, const char *ip, const char *from, const char *to,
    time_t now, struct mxg_verdict *v)
{
	struct mxg_request req;

	memset(&req, 0, sizeof(req));
	req.client_addr = ip;
	req.sender = from;
	req.rcpt = to;
	req.helo = "mail.example.org";
	req.now = now;
	mxg_check(e, &req, v);
	return v->action;
}

#define T0 1700000000

START_TEST(greylist_scenario)
{
	struct mxg_engine *e = open_with("greylist 30m\nautowhite 1d\n"
	                                 "racl greylist default\n");
	struct mxg_verdict v;

	ck_assert_int_eq(
	    check(e, "192.0.2.1", "<a@example.org>", "<b@example.net>", T0, &v),
	    MXG_GREYLIST);
	ck_assert_int_eq(v.code, 451);
	ck_assert_str_eq(v.ecode, "4.7.1");
	ck_assert_str_eq(
	    v.text, "Greylisting in action, please come back in 00:30:00");
	ck_assert_int_eq(v.reason, MXG_R_NEW);
	ck_assert_int_eq(v.rule_line, 3);
	ck_assert_int_eq(check(e, "192.0.2.1", "a@example.org", "b@example.net",
	                     T0 + 61, &v),
	    MXG_GREYLIST);
	ck_assert_str_eq(
	    v.text, "Greylisting in action, please come back in 00:28:59");
	ck_assert_int_eq(v.remaining, 1739);
	ck_assert_int_eq(check(e, "192.0.2.1", "a@example.org", "b@example.net",
	                     T0 + 1800, &v),
	    MXG_ACCEPT);
	ck_assert_int_eq(v.reason, MXG_R_PASSED);
	ck_assert_int_eq(v.code, 250);
	ck_assert_int_eq(check(e, "192.0.2.1", "A@EXAMPLE.ORG", "b@example.net",
	                     T0 + 7200, &v),
	    MXG_ACCEPT);
	ck_assert_int_eq(v.reason, MXG_R_AUTOWHITE);
	ck_assert_int_eq(v.autowhite_until, T0 + 7200 + 86400);
	/* same /32 only by default: a neighbour is new */
	ck_assert_int_eq(check(e, "192.0.2.2", "a@example.org", "b@example.net",
	                     T0 + 7200, &v),
	    MXG_GREYLIST);
	mxg_close(e);
}
END_TEST

START_TEST(subnetmatch_and_quiet)
{
	struct mxg_engine *e = open_with("greylist 10m\nsubnetmatch /24\n"
	                                 "subnetmatch6 /64\nquiet\n"
	                                 "racl greylist default\n");
	struct mxg_verdict v;

	check(e, "198.51.100.1", "a@b.example", "c@d.example", T0, &v);
	ck_assert_str_eq(
	    v.text, "Greylisting in action, please come back later");
	/* the retry comes from another host of the same /24 */
	ck_assert_int_eq(check(e, "198.51.100.254", "a@b.example",
	                     "c@d.example", T0 + 600, &v),
	    MXG_ACCEPT);
	check(e, "2001:db8:0:1::1", "a@b.example", "c@d.example", T0, &v);
	ck_assert_int_eq(check(e, "2001:db8:0:1:ffff::9", "a@b.example",
	                     "c@d.example", T0 + 600, &v),
	    MXG_ACCEPT);
	ck_assert_int_eq(check(e, "2001:db8:0:2::1", "a@b.example",
	                     "c@d.example", T0 + 600, &v),
	    MXG_GREYLIST);
	mxg_close(e);
}
END_TEST

START_TEST(whitelist_blacklist_rules)
{
	struct mxg_engine *e = open_with("racl whitelist addr 127.0.0.0/8\n"
	                                 "racl whitelist addr ::1\n"
	                                 "racl blacklist addr 203.0.113.0/24\n"
	                                 "racl greylist default\n");
	struct mxg_verdict v;

	ck_assert_int_eq(
	    check(e, "127.0.0.1", "a@b", "c@d", T0, &v), MXG_ACCEPT);
	ck_assert_int_eq(v.reason, MXG_R_WHITELIST);
	ck_assert_int_eq(check(e, "::1", "a@b", "c@d", T0, &v), MXG_ACCEPT);
	ck_assert_int_eq(
	    check(e, "203.0.113.9", "a@b", "c@d", T0, &v), MXG_REJECT);
	ck_assert_int_eq(v.code, 550);
	ck_assert_str_eq(v.ecode, "5.7.1");
	ck_assert_int_eq(v.rule_line, 3);
	mxg_close(e);
}
END_TEST

/* auth_id, verify and cert_subject as an MTA would pass them */
static enum mxg_action
check_client(struct mxg_engine *e, const char *ip, const char *auth,
    const char *verify, const char *subject, struct mxg_verdict *v)
{
	struct mxg_macro mac[2] = { { "{verify}", verify },
		{ "{cert_subject}", subject } };
	struct mxg_request req;

	memset(&req, 0, sizeof(req));
	req.client_addr = ip;
	req.sender = "a@example.org";
	req.rcpt = "c@example.net";
	req.auth_id = auth;
	req.tls = verify != NULL;
	req.macros = mac;
	req.nmacros = verify != NULL ? 2 : 0;
	req.now = T0;
	mxg_check(e, &req, v);
	return v->action;
}

/*
 * milter-greylist's global whitelisting: an authenticated client, or one
 * whose certificate verified, passes before any rule (blacklist too),
 * unless `noauth`, or a rule tests auth or tls itself.
 */
START_TEST(authenticated_clients_bypass)
{
	struct mxg_engine *e = open_with("racl blacklist addr 203.0.113.0/24\n"
	                                 "racl greylist default\n");
	struct mxg_verdict v;

	ck_assert_int_eq(
	    check_client(e, "192.0.2.1", "alice", NULL, NULL, &v), MXG_ACCEPT);
	ck_assert_int_eq(v.reason, MXG_R_WHITELIST);
	ck_assert_int_eq(v.rule_line, 0);
	ck_assert_int_eq(
	    check_client(e, "203.0.113.5", "alice", NULL, NULL, &v),
	    MXG_ACCEPT);
	ck_assert_int_eq(
	    check_client(e, "192.0.2.1", "", NULL, NULL, &v), MXG_GREYLIST);
	ck_assert_int_eq(
	    check_client(e, "192.0.2.2", NULL, "OK", "CN=mx.example.org", &v),
	    MXG_ACCEPT);
	ck_assert_int_eq(
	    check_client(e, "192.0.2.3", NULL, "FAIL", "CN=mx.example.org", &v),
	    MXG_GREYLIST);
	ck_assert_int_eq(
	    check_client(e, "192.0.2.4", NULL, "OK", "", &v), MXG_GREYLIST);
	mxg_close(e);

	e = open_with("noauth\nracl greylist default\n");
	ck_assert_int_eq(check_client(e, "192.0.2.1", "alice", NULL, NULL, &v),
	    MXG_GREYLIST);
	ck_assert_int_eq(
	    check_client(e, "192.0.2.2", NULL, "OK", "CN=mx.example.org", &v),
	    MXG_GREYLIST);
	mxg_close(e);

	/* a rule about auth: the rules decide, as in milter-greylist */
	e = open_with("racl whitelist auth /^bob$/\nracl greylist default\n");
	ck_assert_int_eq(check_client(e, "192.0.2.1", "alice", NULL, NULL, &v),
	    MXG_GREYLIST);
	ck_assert_int_eq(
	    check_client(e, "192.0.2.1", "bob", NULL, NULL, &v), MXG_ACCEPT);
	ck_assert_int_eq(v.rule_line, 1);
	mxg_close(e);
}
END_TEST

/* blacklisted mail is logged (info); a rule's nolog silences its lines */
START_TEST(decisions_logged_unless_nolog)
{
	struct mxg_engine *e =
	    open_with("racl blacklist addr 203.0.113.0/24\n"
	              "racl blacklist addr 198.51.100.0/24 nolog\n"
	              "racl greylist from quiet@example.org nolog\n"
	              "racl greylist default\n");
	struct mxg_verdict v;

	last_info[0] = '\0';
	ck_assert_int_eq(
	    check(e, "203.0.113.9", "a@b", "c@d", T0, &v), MXG_REJECT);
	ck_assert_str_eq(last_info,
	    "mxgrey: blacklist from=<a@b> to=<c@d> ip=203.0.113.9: rejected "
	    "(rule line 1)");
	last_info[0] = '\0';
	ck_assert_int_eq(
	    check(e, "198.51.100.9", "a@b", "c@d", T0, &v), MXG_REJECT);
	ck_assert_str_eq(last_info, "");
	ck_assert_int_eq(
	    check(e, "192.0.2.9", "quiet@example.org", "c@d", T0, &v),
	    MXG_GREYLIST);
	ck_assert_str_eq(last_info, "");
	ck_assert_int_eq(
	    check(e, "192.0.2.9", "loud@example.org", "c@d", T0, &v),
	    MXG_GREYLIST);
	ck_assert_ptr_nonnull(strstr(last_info, "new from=<loud@example.org>"));
	mxg_close(e);
}
END_TEST

START_TEST(store_failure_action)
{
	struct mxg_engine *e = NULL;
	struct mxg_verdict v;

	mxg_close(open_with("racl greylist default\n"));
	write_rules("racl greylist default\n");
	/* a store in a directory that does not exist */
	ck_assert_int_eq(
	    mxg_open(&e, rules, "/nonexistent/x/store.tdb", &HOST), MXG_OK);
	errors = 0;
	ck_assert_int_eq(
	    check(e, "192.0.2.1", "a@b", "c@d", T0, &v), MXG_TEMPFAIL);
	ck_assert_int_eq(v.code, 451);
	ck_assert_ptr_nonnull(strstr(v.text, "store unavailable"));
	check(e, "192.0.2.1", "a@b", "c@d", T0 + 1, &v);
	check(e, "192.0.2.1", "a@b", "c@d", T0 + 2, &v);
	ck_assert_int_eq(errors, 1); /* logged once */
	mxg_close(e);
	/* fail open when the rules say so */
	write_rules("failaction accept\nracl greylist default\n");
	ck_assert_int_eq(
	    mxg_open(&e, rules, "/nonexistent/x/store.tdb", &HOST), MXG_OK);
	ck_assert_int_eq(
	    check(e, "192.0.2.1", "a@b", "c@d", T0, &v), MXG_ACCEPT);
	ck_assert_int_eq(v.reason, MXG_R_FAILURE);
	mxg_close(e);
}
END_TEST

START_TEST(bad_rules_fail_safe_and_reload_keeps_old)
{
	struct mxg_engine *e = NULL;
	struct mxg_verdict v;

	mxg_close(open_with("racl greylist default\n"));
	write_rules("racl frobnicate default\n");
	errors = 0;
	ck_assert_int_eq(mxg_open(&e, rules, store, &HOST), MXG_ERULES);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_ge(errors, 1);
	ck_assert_int_eq(
	    check(e, "127.0.0.1", "a@b", "c@d", T0, &v), MXG_TEMPFAIL);
	/* fixed file: reload takes it */
	write_rules("racl whitelist default\n");
	ck_assert_int_eq(mxg_reload(e), MXG_OK);
	ck_assert_int_eq(
	    check(e, "127.0.0.1", "a@b", "c@d", T0, &v), MXG_ACCEPT);
	/* broken again: the good rules stay */
	write_rules("racl whitelist default\nbogus_keyword 12\n");
	ck_assert_int_eq(mxg_reload(e), MXG_ERULES);
	ck_assert_int_eq(
	    check(e, "127.0.0.1", "a@b", "c@d", T0, &v), MXG_ACCEPT);
	/* missing file */
	unlink(rules);
	ck_assert_int_ne(mxg_reload(e), MXG_OK);
	ck_assert_int_eq(
	    check(e, "127.0.0.1", "a@b", "c@d", T0, &v), MXG_ACCEPT);
	mxg_close(e);
}
END_TEST

START_TEST(reload_by_generation)
{
	struct mxg_engine *a = open_with("racl greylist default\n");
	struct mxg_engine *b = NULL;
	struct mxg_verdict v;

	ck_assert_int_eq(
	    check(a, "192.0.2.1", "a@b", "c@d", T0, &v), MXG_GREYLIST);
	write_rules("racl whitelist default\n");
	/* a does not look at the file by itself */
	ck_assert_int_eq(
	    check(a, "192.0.2.1", "a@b", "c@d", T0 + 1, &v), MXG_GREYLIST);
	/*
	 * another process (mxgreyctl reload) bumps the generation in the
	 * store; tdb allows one open of a file per process
	 */
	{
		pid_t pid = fork();
		int st;

		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			mxg_close(a); /* as a separate program would be */
			if (mxg_open(&b, rules, store, &HOST) != MXG_OK ||
			    mxg_request_reload(b) != MXG_OK)
				_exit(1);
			mxg_close(b);
			_exit(0);
		}
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ck_assert_int_eq(
	    check(a, "192.0.2.1", "a@b", "c@d", T0 + 2, &v), MXG_ACCEPT);
	mxg_close(a);
}
END_TEST

START_TEST(hostile_requests)
{
	struct mxg_engine *e = open_with("racl greylist default\n");
	struct mxg_request req;
	struct mxg_verdict v;
	char *huge = malloc(1 << 20);
	static const char *bad_ips[] = { "", "999.1.1.1", "1.2.3", "::g",
		"[1.2.3.4", "IPv6:", "1.2.3.4/24", "localhost", "1.2.3.4 ",
		"\x01" };

	ck_assert_ptr_nonnull(huge);
	memset(huge, 'x', (1 << 20) - 1);
	huge[(1 << 20) - 1] = '\0';
	for (size_t i = 0; i < sizeof(bad_ips) / sizeof(bad_ips[0]); i++) {
		ck_assert_int_eq(
		    check(e, bad_ips[i], "a@b", "c@d", T0, &v), MXG_TEMPFAIL);
		ck_assert_ptr_nonnull(strstr(v.text, "malformed"));
	}
	ck_assert_int_eq(check(e, huge, "a@b", "c@d", T0, &v), MXG_TEMPFAIL);
	ck_assert_int_eq(
	    check(e, "192.0.2.1", huge, "c@d", T0, &v), MXG_TEMPFAIL);
	ck_assert_int_eq(
	    check(e, "192.0.2.1", "a@b", huge, T0, &v), MXG_TEMPFAIL);
	ck_assert_int_eq(
	    check(e, "192.0.2.1", "a\r\n@b", "c@d", T0, &v), MXG_TEMPFAIL);
	/* null sender, odd but valid v6 forms */
	ck_assert_int_eq(
	    check(e, "IPv6:2001:db8::1", "<>", "c@d", T0, &v), MXG_GREYLIST);
	ck_assert_int_eq(
	    check(e, "[2001:db8::1]", "", "c@d", T0 + 1, &v), MXG_GREYLIST);
	ck_assert_int_eq(v.reason, MXG_R_EARLY);
	ck_assert_int_eq(
	    check(e, "::ffff:192.0.2.9", "a@b", "c@d", T0, &v), MXG_GREYLIST);
	ck_assert_int_eq(
	    check(e, "192.0.2.9", "a@b", "c@d", T0 + 1, &v), MXG_GREYLIST);
	ck_assert_int_eq(v.reason, MXG_R_EARLY);
	/* NULL fields */
	memset(&req, 0, sizeof(req));
	ck_assert_int_eq(mxg_check(e, &req, &v), MXG_EINVAL);
	ck_assert_int_eq(v.action, MXG_TEMPFAIL);
	req.client_addr = "192.0.2.1";
	ck_assert_int_eq(mxg_check(e, &req, &v), MXG_OK);
	ck_assert_int_eq(mxg_check(NULL, &req, &v), MXG_EINVAL);
	ck_assert_int_eq(mxg_check(e, NULL, &v), MXG_EINVAL);
	ck_assert_int_eq(mxg_check(e, &req, NULL), MXG_EINVAL);
	free(huge);
	mxg_close(e);
}
END_TEST

START_TEST(explain_does_not_write)
{
	struct mxg_engine *e = open_with("racl greylist default\n");
	struct mxg_request req;
	struct mxg_verdict v;
	struct mxg_stats st;

	memset(&req, 0, sizeof(req));
	req.client_addr = "192.0.2.1";
	req.sender = "a@b";
	req.rcpt = "c@d";
	req.now = T0;
	ck_assert_int_eq(mxg_explain(e, &req, &v, NULL, NULL), MXG_OK);
	ck_assert_int_eq(v.action, MXG_GREYLIST);
	ck_assert_int_eq(mxg_stats(e, T0, &st), MXG_OK);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert_int_eq(mxg_check(e, &req, &v), MXG_OK);
	ck_assert_int_eq(mxg_stats(e, T0, &st), MXG_OK);
	ck_assert_uint_eq(st.pending, 1);
	/* after the timeout it is expired, and purge removes it */
	ck_assert_int_eq(mxg_stats(e, T0 + 6 * 86400, &st), MXG_OK);
	ck_assert_uint_eq(st.expired, 1);
	{
		unsigned long removed = 0;

		ck_assert_int_eq(
		    mxg_purge(e, T0 + 6 * 86400, &removed), MXG_OK);
		ck_assert_uint_eq(removed, 1);
	}
	ck_assert_int_eq(mxg_stats(e, T0, &st), MXG_OK);
	ck_assert_uint_eq(st.pending + st.expired, 0);
	mxg_close(e);
}
END_TEST

START_TEST(api_version_and_strings)
{
	struct mxg_engine *e = NULL;
	struct mxg_host h = HOST;

	h.api_version = MXGREY_API_VERSION + 1;
	ck_assert_int_eq(mxg_open(&e, "/nonexistent", NULL, &h), MXG_EVERSION);
	ck_assert_ptr_null(e);
	ck_assert_int_eq(mxg_open(NULL, NULL, NULL, &HOST), MXG_EINVAL);
	ck_assert_uint_eq(mxg_api_version(), MXGREY_API_VERSION);
	for (int i = 0; i >= -9; i--)
		ck_assert_ptr_nonnull(mxg_strerror(i));
	ck_assert_str_eq(mxg_action_name(MXG_GREYLIST), "greylist");
	mxg_close(NULL);
}
END_TEST

static time_t fake_now;

static time_t
fake_clock(void *ctx)
{
	(void)ctx;
	return fake_now;
}

START_TEST(injected_clock)
{
	struct mxg_engine *e = NULL;
	struct mxg_host h = HOST;
	struct mxg_verdict v;

	mxg_close(open_with("greylist 10m\nracl greylist default\n"));
	h.clock = fake_clock;
	ck_assert_int_eq(mxg_open(&e, rules, store, &h), MXG_OK);
	fake_now = T0;
	ck_assert_int_eq(
	    check(e, "192.0.2.1", "a@b", "c@d", 0, &v), MXG_GREYLIST);
	fake_now = T0 + 599;
	ck_assert_int_eq(
	    check(e, "192.0.2.1", "a@b", "c@d", 0, &v), MXG_GREYLIST);
	ck_assert_int_eq(v.remaining, 1);
	fake_now = T0 + 600;
	ck_assert_int_eq(
	    check(e, "192.0.2.1", "a@b", "c@d", 0, &v), MXG_ACCEPT);
	mxg_close(e);
}
END_TEST

/* An engine used before fork goes on working in parent and children. */
START_TEST(engine_across_fork)
{
	struct mxg_engine *e = open_with("greylist 10m\n"
	                                 "racl greylist default\n");
	struct mxg_verdict v;
	struct mxg_stats st;
	pid_t pids[4];

	ck_assert_int_eq(
	    check(e, "192.0.2.1", "a@b", "c@d", T0, &v), MXG_GREYLIST);
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			char from[32];
			int bad = 0;

			for (int j = 0; j < 200; j++) {
				/* recipients: senders' numbers are folded */
				snprintf(from, sizeof(from), "r%d-%d@x", i, j);
				if (check(e, "192.0.2.1", "a@b", from, T0,
				        &v) != MXG_GREYLIST)
					bad++;
			}
			mxg_close(e);
			_exit(bad ? 1 : 0);
		}
	}
	/* the parent keeps deciding meanwhile */
	ck_assert_int_eq(
	    check(e, "192.0.2.1", "a@b", "c@d", T0 + 600, &v), MXG_ACCEPT);
	for (int i = 0; i < 4; i++) {
		int status;

		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(mxg_stats(e, T0 + 600, &st), MXG_OK);
	ck_assert_uint_eq(st.pending, 800);
	ck_assert_uint_eq(st.autowhite, 1);
	mxg_close(e);
}
END_TEST

START_TEST(data_stage)
{
	struct mxg_engine *e = open_with("greylist 10m\n"
	                                 "racl whitelist default\n"
	                                 "dacl blacklist header /X-Spam: yes/\n"
	                                 "dacl greylist msgsize > 1000\n");
	static const char *const rcpts[] = { "<r1@x>", "<r2@x>" };
	static const char *const rcpts3[] = { "<r1@x>", "<r3@x>" };
	struct mxg_message msg = { rcpts, 2, 500, "Subject: hi\r\n", "b", 1 };
	struct mxg_request req;
	struct mxg_verdict v;

	ck_assert(mxg_has_data_rules(e));
	memset(&req, 0, sizeof(req));
	req.client_addr = "192.0.2.1";
	req.sender = "a@b";
	req.now = T0;
	/* small and clean: no dacl matches: accept */
	ck_assert_int_eq(mxg_check_data(e, &req, &msg, &v), MXG_OK);
	ck_assert_int_eq(v.action, MXG_ACCEPT);
	msg.headers = "X-Spam: yes\r\nSubject: hi\r\n";
	ck_assert_int_eq(mxg_check_data(e, &req, &msg, &v), MXG_OK);
	ck_assert_int_eq(v.action, MXG_REJECT);
	ck_assert_int_eq(v.rule_line, 3);
	/* big: greylisted for every recipient */
	msg.headers = "Subject: hi\r\n";
	msg.size = 5000;
	ck_assert_int_eq(mxg_check_data(e, &req, &msg, &v), MXG_OK);
	ck_assert_int_eq(v.action, MXG_GREYLIST);
	ck_assert_int_eq(v.remaining, 600);
	/* a new recipient joins later: the message waits for it too */
	req.now = T0 + 300;
	msg.rcpts = rcpts3;
	mxg_check_data(e, &req, &msg, &v);
	ck_assert_int_eq(v.action, MXG_GREYLIST);
	ck_assert_int_eq(v.reason, MXG_R_NEW);
	ck_assert_int_eq(v.remaining, 600);
	req.now = T0 + 600; /* r1 has passed, r3 has not */
	mxg_check_data(e, &req, &msg, &v);
	ck_assert_int_eq(v.action, MXG_GREYLIST);
	ck_assert_int_eq(v.remaining, 300);
	req.now = T0 + 900;
	mxg_check_data(e, &req, &msg, &v);
	ck_assert_int_eq(v.action, MXG_ACCEPT);
	/* no message: a clear failure, no crash */
	ck_assert_int_eq(mxg_check_data(e, &req, NULL, &v), MXG_EINVAL);
	ck_assert_int_eq(v.action, MXG_TEMPFAIL);
	mxg_close(e);
	/* rules without dacl: nothing to do at DATA */
	e = open_with("racl greylist default\n");
	ck_assert(!mxg_has_data_rules(e));
	ck_assert_int_eq(mxg_check_data(e, &req, &msg, &v), MXG_OK);
	ck_assert_int_eq(v.action, MXG_ACCEPT);
	mxg_close(e);
}
END_TEST

/* What an accept carries: the delay, the rule's addheader and report. */
START_TEST(accept_extras)
{
	struct mxg_engine *e = open_with(
	    "greylist 10m\nautowhite 1d\nreport delays\n"
	    "racl whitelist rcpt w@x addheader \"X-White: %r %M{x}\" "
	    "report \"white rule %A\"\n"
	    "racl greylist default addheader \"X-Grey:  waited %E for %r \" "
	    "report \"Delayed for %E by hand\"\n");
	static const char *const rcpts[] = { "<r1@x>", "<r2@x>" };
	struct mxg_message msg = { rcpts, 2, 10, "Subject: hi\r\n", "b", 1 };
	static const struct mxg_macro evil = { "{x}", "a\r\nInjected: 1\t" };
	struct mxg_request req;
	struct mxg_verdict v;
	char buf[MXG_TEXT_MAX];

	/* greylisted: nothing of the kind */
	check(e, "192.0.2.1", "a@b", "r@x", T0, &v);
	ck_assert_int_eq(v.action, MXG_GREYLIST);
	ck_assert_int_eq(v.delayed, 0);
	ck_assert_str_eq(v.header, "");
	ck_assert_str_eq(v.report, "");
	ck_assert_int_eq(v.xgreylist, 0);
	/* passed after 10:02: the delay, the expanded texts */
	check(e, "192.0.2.1", "a@b", "r@x", T0 + 602, &v);
	ck_assert_int_eq(v.reason, MXG_R_PASSED);
	ck_assert_int_eq(v.delayed, 602);
	ck_assert_int_eq(v.xgreylist, 1);
	ck_assert_str_eq(v.header, "X-Grey: waited 0:10:02 for r@x");
	ck_assert_str_eq(v.report, "Delayed for 0:10:02 by hand");
	mxg_xgreylist_verdict(&v, "mx", "192.0.2.1", T0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "Delayed for 0:10:02 by hand");
	/* autowhite: accepted, not delayed; `report delays` says no header */
	check(e, "192.0.2.1", "a@b", "r@x", T0 + 700, &v);
	ck_assert_int_eq(v.reason, MXG_R_AUTOWHITE);
	ck_assert_int_eq(v.delayed, 0);
	ck_assert_int_eq(v.xgreylist, 0);
	ck_assert_str_eq(v.header, "X-Grey: waited 0:00:00 for r@x");
	/* a whitelist rule: control characters of the expansion cleaned,
	   never a second header line */
	memset(&req, 0, sizeof(req));
	req.client_addr = "192.0.2.9";
	req.sender = "a@b";
	req.rcpt = "w@x";
	req.macros = &evil;
	req.nmacros = 1;
	req.now = T0;
	mxg_check(e, &req, &v);
	ck_assert_int_eq(v.reason, MXG_R_WHITELIST);
	ck_assert_str_eq(v.header, "X-White: w@x a  Injected: 1");
	ck_assert_str_eq(v.report, "white rule 4");
	ck_assert_ptr_null(strpbrk(v.header, "\r\n"));
	mxg_close(e);

	/* DATA stage: the longest delay over the recipients */
	e = open_with("greylist 10m\ndacl greylist default "
	              "addheader \"X-D: %E\"\n");
	memset(&req, 0, sizeof(req));
	req.client_addr = "192.0.2.1";
	req.sender = "a@b";
	req.now = T0;
	mxg_check_data(e, &req, &msg, &v);
	ck_assert_int_eq(v.action, MXG_GREYLIST);
	msg.rcpts = (const char *const[]){ "<r2@x>" };
	msg.nrcpts = 1;
	req.now = T0 + 300; /* r2 seen again, still early */
	mxg_check_data(e, &req, &msg, &v);
	msg.rcpts = rcpts;
	msg.nrcpts = 2;
	req.now = T0 + 4000;
	mxg_check_data(e, &req, &msg, &v);
	ck_assert_int_eq(v.action, MXG_ACCEPT);
	ck_assert_int_eq(v.reason, MXG_R_PASSED);
	ck_assert_int_eq(v.delayed, 4000);
	ck_assert_int_eq(v.xgreylist, 1); /* default: report all */
	ck_assert_str_eq(v.header, "X-D: 1:06:40");
	mxg_close(e);

	/* a header name made empty by its expansion: dropped, logged */
	e = open_with("racl whitelist default addheader \"%Mx: v\"\n");
	check(e, "192.0.2.1", "a@b", "r@x", T0, &v);
	ck_assert_int_eq(v.action, MXG_ACCEPT);
	ck_assert_str_eq(v.header, "");
	ck_assert_int_eq(errors, 1);
	ck_assert_ptr_nonnull(strstr(last_error, "addheader"));
	mxg_close(e);
}
END_TEST

/* An addheader that is no header is refused when the rules load. */
START_TEST(addheader_checked_at_load)
{
	struct mxg_engine *e = NULL;
	static const char *const bad[] = {
		"racl whitelist default addheader \"no colon here\"\n",
		"racl whitelist default addheader \": no name\"\n",
		"racl whitelist default addheader \"Two words: x\"\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(dir, sizeof(dir), "%s", mxg_test_dir("engine"));
		snprintf(rules, sizeof(rules), "%s/rules.conf", dir);
		snprintf(store, sizeof(store), "%s/store.tdb", dir);
		write_rules(bad[i]);
		errors = 0;
		all_errors[0] = '\0';
		ck_assert_int_eq(mxg_open(&e, rules, store, &HOST), MXG_ERULES);
		ck_assert_ptr_nonnull(strstr(all_errors,
		    "rules.conf:1:34: addheader: expected \"Name: value\""));
		mxg_close(e);
		e = NULL;
	}
}
END_TEST

/* The X-Greylist wording, with the delay, as milter-greylist's. */
START_TEST(xgreylist_wording)
{
	struct mxg_verdict v;
	char buf[MXG_TEXT_MAX];
	size_t n;

	setenv("TZ", "UTC", 1);
	tzset();
	memset(&v, 0, sizeof(v));
	v.action = MXG_ACCEPT;
	v.reason = MXG_R_PASSED;
	v.delayed = 602;
	n = mxg_xgreylist_verdict(
	    &v, "mx.example.org", "192.0.2.1", 1795514400, buf, sizeof(buf));
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_str_eq(buf,
	    "Delayed for 00:10:02 by mxgrey-" PACKAGE_VERSION
	    " (mx.example.org [192.0.2.1]); Tue, 24 Nov 2026 10:00:00 +0000");
	v.delayed = 111 * 3600 + 19 * 60 + 22; /* hours past two digits */
	mxg_xgreylist_verdict(&v, NULL, NULL, 0, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "Delayed for 111:19:22 by mxgrey-"));
	ck_assert_ptr_nonnull(strstr(buf, "(localhost [unknown])"));
	v.reason = MXG_R_AUTOWHITE;
	v.delayed = 0;
	mxg_xgreylist_verdict(&v, "h", "::1", 0, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf,
	    "IP, sender and recipient auto-whitelisted, not delayed by "
	    "mxgrey-"));
	v.reason = MXG_R_WHITELIST;
	mxg_xgreylist_verdict(&v, "h", "::1", 0, buf, sizeof(buf));
	ck_assert_ptr_nonnull(
	    strstr(buf, "Sender IP whitelisted, not delayed by mxgrey-"));
	/* the rule's report replaces it all */
	snprintf(v.report, sizeof(v.report), "%s", "custom words");
	ck_assert_uint_eq(
	    mxg_xgreylist_verdict(&v, "h", "::1", 0, buf, sizeof(buf)), 12);
	ck_assert_str_eq(buf, "custom words");
	/* truncation keeps a terminated string */
	ck_assert_uint_eq(mxg_xgreylist_verdict(&v, "h", "::1", 0, buf, 7), 6);
	ck_assert_str_eq(buf, "custom");
	v.report[0] = '\0';
	ck_assert_uint_eq(mxg_xgreylist_verdict(&v, "h", "::1", 0, buf, 10), 9);
	ck_assert_uint_eq(mxg_xgreylist_verdict(&v, "h", "::1", 0, buf, 0), 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, greylist_scenario);
	tcase_add_test(tc, subnetmatch_and_quiet);
	tcase_add_test(tc, whitelist_blacklist_rules);
	tcase_add_test(tc, store_failure_action);
	tcase_add_test(tc, bad_rules_fail_safe_and_reload_keeps_old);
	tcase_add_test(tc, reload_by_generation);
	tcase_add_test(tc, hostile_requests);
	tcase_add_test(tc, explain_does_not_write);
	tcase_add_test(tc, api_version_and_strings);
	tcase_add_test(tc, injected_clock);
	tcase_add_test(tc, data_stage);
	tcase_add_test(tc, engine_across_fork);
	tcase_add_test(tc, accept_extras);
	tcase_add_test(tc, addheader_checked_at_load);
	tcase_add_test(tc, xgreylist_wording);
	tcase_add_test(tc, authenticated_clients_bypass);
	tcase_add_test(tc, decisions_logged_unless_nolog);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
