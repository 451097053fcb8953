/*
 * test_geoipdb.c: a `geoipdb` database that does not open is a rules
 * error at the path's line:col when an engine loads the rules
 * (mxg_rules_open): at start the engine answers the failure action, on
 * reload the old rules stay. mxg_rules_load alone checks the text only.
 */
#include <errno.h>
#include <stdarg.h>

#include "mxg_test.h"
#include "mxg_lookup.h"
#include "mxg_rules.h"
#include "mxgrey.h"

static char dir[256], rules[400], store[400], missing[400];
static int errors;
static char first_error[1024]; /* since errors was last set to 0 */

static void
log_cb(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level <= MXG_LOG_ERR) {
		if (errors++ == 0)
			snprintf(first_error, sizeof(first_error), "%s", msg);
	}
}

static const struct mxg_host HOST = { .api_version = MXGREY_API_VERSION,
	.log = log_cb };

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "%s", mxg_test_dir("test_geoipdb"));
	snprintf(rules, sizeof(rules), "%s/rules.conf", dir);
	snprintf(store, sizeof(store), "%s/store.tdb", dir);
	snprintf(missing, sizeof(missing), "%s/missing.mmdb", dir);
}

static void write_rules(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
write_rules(const char *fmt, ...)
{
	FILE *f = fopen(rules, "w");
	va_list ap;

	ck_assert_ptr_nonnull(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ck_assert_int_eq(fclose(f), 0);
}

static enum mxg_action
check(struct mxg_engine *e)
{
	struct mxg_request req;
	struct mxg_verdict v;

	memset(&req, 0, sizeof(req));
	req.client_addr = "192.0.2.1";
	req.sender = "a@example.org";
	req.rcpt = "b@example.net";
	req.now = 1700000000;
	req.rcpt_count = 1;
	mxg_check(e, &req, &v);
	return v.action;
}

START_TEST(probe)
{
	char why[512], want[600];

	ck_assert_int_eq(mxg_geoip_probe(missing, why, sizeof(why)), -1);
	snprintf(want, sizeof(want), "cannot open %s: %s", missing,
	    strerror(ENOENT));
	ck_assert_str_eq(why, want);
	ck_assert_int_eq(mxg_geoip_probe(dir, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, strerror(EISDIR)));
	write_rules("# %s\n", "not a MaxMind DB");
	ck_assert_int_eq(mxg_geoip_probe(rules, why, sizeof(why)), -1);
	ck_assert_int_eq(strncmp(why, "cannot open ", 12), 0);
}
END_TEST

START_TEST(load_checks_text_open_checks_files)
{
	struct mxg_log log = { log_cb, NULL };
	struct mxg_ruleset *rs;
	char want[1024];
	int err = MXG_OK;

	write_rules(
	    "greylist 30m\ngeoipdb  \"%s\"\nracl greylist default\n", missing);
	errors = 0;
	rs = mxg_rules_load(rules, &log, &err);
	ck_assert_ptr_nonnull(rs);
	ck_assert_int_eq(errors, 0);
	mxg_rules_free(rs);
	ck_assert_ptr_null(mxg_rules_open(rules, &log, &err));
	ck_assert_int_eq(err, MXG_ERULES);
	ck_assert_int_eq(errors, 1);
	snprintf(want, sizeof(want),
	    "%s:2:10: cannot open %s: No such file or directory", rules,
	    missing);
	ck_assert_str_eq(first_error, want);
	/* no geoipdb: nothing to open */
	write_rules("racl %s default\n", "greylist");
	rs = mxg_rules_open(rules, &log, &err);
	ck_assert_ptr_nonnull(rs);
	mxg_rules_free(rs);
}
END_TEST

START_TEST(engine_start_and_reload)
{
	struct mxg_engine *e = NULL;
	char want[1024];

	/* at start: not loaded, the failure action */
	write_rules("geoipdb \"%s\"\nracl whitelist default\n", missing);
	errors = 0;
	ck_assert_int_eq(mxg_open(&e, rules, store, &HOST), MXG_ERULES);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_ge(errors, 1);
	ck_assert_int_eq(check(e), MXG_TEMPFAIL);
	/* fixed: the reload takes it */
	write_rules("racl %s default\n", "whitelist");
	ck_assert_int_eq(mxg_reload(e), MXG_OK);
	ck_assert_int_eq(check(e), MXG_ACCEPT);
	/* broken path on reload: never activated, the old rules stay */
	write_rules("racl blacklist default\ngeoipdb \"%s\"\n", missing);
	errors = 0;
	ck_assert_int_eq(mxg_reload(e), MXG_ERULES);
	ck_assert_int_eq(errors, 2); /* the located error, the engine's line */
	snprintf(want, sizeof(want),
	    "%s:2:9: cannot open %s: No such file or directory", rules,
	    missing);
	ck_assert_str_eq(first_error, want);
	ck_assert_int_eq(check(e), MXG_ACCEPT);
	mxg_close(e);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("geoipdb");
	TCase *tc = tcase_create("geoipdb");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, probe);
	tcase_add_test(tc, load_checks_text_open_checks_files);
	tcase_add_test(tc, engine_start_and_reload);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
