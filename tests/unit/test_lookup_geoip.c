/*
 * test_lookup_geoip.c: GeoIP country lookups on small .mmdb files that
 * the test writes with Debian's libmaxmind-db-writer-perl; the database
 * is reopened when its file is replaced, kept when the new file is bad.
 */
#include <sys/types.h>
#include <netinet/in.h>

#include "mxg_test.h"
#include "mxg_lookup.h"
#include "mxg_rules.h"

static const char writer[] =
    "use strict; use warnings;\n"
    "use MaxMind::DB::Writer::Tree;\n"
    "for my $spec (split /;/, join(' ', @ARGV)) {\n"
    "my ($out, @pairs) = split ' ', $spec;\n"
    "my $t = MaxMind::DB::Writer::Tree->new(ip_version => 6,\n"
    "    record_size => 24, database_type => 'mxgrey-test',\n"
    "    languages => ['en'], description => { en => 'mxgrey test' },\n"
    "    remove_reserved_networks => 0,\n"
    "    map_key_type_callback => sub {\n"
    "        $_[0] =~ /^(country|registered_country)$/ ? 'map'\n"
    "        : 'utf8_string' });\n"
    "while (@pairs) {\n"
    "    my ($net, $key, $cc) = splice(@pairs, 0, 3);\n"
    "    $t->insert_network($net, $key eq 'country_code'\n"
    "        ? { $key => $cc } : { $key => { iso_code => $cc } });\n"
    "}\n"
    "open(my $fh, '>:raw', $out) or die \"$out: $!\";\n"
    "$t->write_tree($fh);\n"
    "close($fh) or die;\n"
    "}\n";

static char dir[256], db[300];

/* Put the prepared database name (FR, IT, ES, ALL) in place of db. */
static void
make_db(const char *name)
{
	char src[400], tmp[400], buf[4096];
	FILE *in, *out;
	size_t n;

	snprintf(src, sizeof(src), "%s/%s.mmdb", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", db);
	in = fopen(src, "rb");
	ck_assert_ptr_nonnull(in);
	out = fopen(tmp, "wb");
	ck_assert_ptr_nonnull(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, out), n);
	fclose(in);
	ck_assert_int_eq(fclose(out), 0);
	ck_assert_int_eq(rename(tmp, db), 0);
}

/* Write every database once (the perl writer takes a second to load). */
static void
setup(void)
{
	const char *d = mxg_test_dir("test_lookup_geoip");
	char script[300], cmd[2400];
	FILE *f;

	ck_assert_ptr_nonnull(d);
	snprintf(dir, sizeof(dir), "%s", d);
	snprintf(script, sizeof(script), "%s/mkmmdb.pl", dir);
	snprintf(db, sizeof(db), "%s/country.mmdb", dir);
	f = fopen(script, "w");
	ck_assert_ptr_nonnull(f);
	fputs(writer, f);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd),
	    "perl %s '%s/ALL.mmdb 192.0.2.0/24 country FR 2001:db8::/32 "
	    "country DE 198.51.100.0/24 registered_country JP "
	    "203.0.113.128/25 country_code NL;"
	    "%s/FR.mmdb 192.0.2.0/24 country FR;"
	    "%s/IT.mmdb 192.0.2.0/24 country IT;"
	    "%s/ES.mmdb 192.0.2.0/24 country ES'",
	    script, dir, dir, dir, dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int
country(struct mxg_geoip *g, const char *addr, char cc[3])
{
	struct mxg_ip ip;
	const char *why = NULL;
	int rc;

	ck_assert_int_eq(mxg_ip_parse(addr, &ip), 0);
	rc = mxg_geoip_country(g, &ip, cc, &why);
	if (rc == -1) {
		ck_assert_ptr_nonnull(why);
		printf("%s: %s\n", addr, why);
	}
	return rc;
}

START_TEST(countries_v4_v6)
{
	struct mxg_geoip *g;
	char cc[3];

	make_db("ALL");
	g = mxg_geoip_new(db, NULL);
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(country(g, "192.0.2.77", cc), 1);
	ck_assert_str_eq(cc, "FR");
	ck_assert_int_eq(country(g, "2001:db8::1", cc), 1);
	ck_assert_str_eq(cc, "DE");
	ck_assert_int_eq(country(g, "::ffff:192.0.2.1", cc), 1);
	ck_assert_str_eq(cc, "FR");
	/* registered_country when there is no country */
	ck_assert_int_eq(country(g, "198.51.100.1", cc), 1);
	ck_assert_str_eq(cc, "JP");
	ck_assert_int_eq(country(g, "203.0.113.1", cc), 0);
	ck_assert_str_eq(cc, "");
	/* the layout of npm's @ip-location-db/geolite2-country-mmdb */
	ck_assert_int_eq(country(g, "203.0.113.200", cc), 1);
	ck_assert_str_eq(cc, "NL");
	mxg_geoip_free(g);
}
END_TEST

START_TEST(reopened_when_replaced)
{
	struct timespec ts = { 0, 20000000L };
	struct mxg_geoip *g;
	char cc[3], bad[400];
	FILE *f;

	make_db("FR");
	g = mxg_geoip_new(db, NULL);
	ck_assert_int_eq(country(g, "192.0.2.1", cc), 1);
	ck_assert_str_eq(cc, "FR");
	nanosleep(&ts, NULL);
	make_db("IT");
	ck_assert_int_eq(country(g, "192.0.2.1", cc), 1);
	ck_assert_str_eq(cc, "IT");
	/* a broken file in its place: the old database goes on serving */
	snprintf(bad, sizeof(bad), "%s.bad", db);
	f = fopen(bad, "w");
	ck_assert_ptr_nonnull(f);
	fputs("not a maxmind database\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(rename(bad, db), 0);
	ck_assert_int_eq(country(g, "192.0.2.1", cc), 1);
	ck_assert_str_eq(cc, "IT");
	/* a good one again */
	make_db("ES");
	ck_assert_int_eq(country(g, "192.0.2.1", cc), 1);
	ck_assert_str_eq(cc, "ES");
	mxg_geoip_free(g);
}
END_TEST

START_TEST(no_database_could_not_decide)
{
	struct mxg_geoip *g;
	char cc[3], path[400];

	snprintf(path, sizeof(path), "%s/missing.mmdb", dir);
	g = mxg_geoip_new(path, NULL);
	ck_assert_int_eq(country(g, "192.0.2.1", cc), -1);
	mxg_geoip_free(g);
	g = mxg_geoip_new(NULL, NULL);
	ck_assert_int_eq(country(g, "192.0.2.1", cc), -1);
	mxg_geoip_free(g);
}
END_TEST

/* Through the provider's ops, memoised per request. */
START_TEST(through_the_provider)
{
	struct mxg_lookup_conf conf = { 0 };
	struct mxg_lookup *lk;
	struct mxg_eval ev;
	struct mxg_request req;
	const char *why = NULL;
	char cc[3];

	make_db("FR");
	conf.servers = "127.0.0.1:9"; /* never asked */
	conf.geoip_db = db;
	lk = mxg_lookup_new_conf(&conf, NULL);
	ck_assert_ptr_nonnull(lk);
	memset(&ev, 0, sizeof(ev));
	memset(&req, 0, sizeof(req));
	ev.req = &req;
	ck_assert_int_eq(mxg_ip_parse("192.0.2.5", &ev.ip), 0);
	mxg_lookup_begin(lk, &ev);
	ck_assert_int_eq(mxg_lookup_ops()->geoip(lk, cc, &why), 1);
	ck_assert_str_eq(cc, "FR");
	/* the memo answers within the request even if the file changes */
	make_db("IT");
	ck_assert_int_eq(mxg_lookup_ops()->geoip(lk, cc, &why), 1);
	ck_assert_str_eq(cc, "FR");
	mxg_lookup_begin(lk, &ev);
	ck_assert_int_eq(mxg_lookup_ops()->geoip(lk, cc, &why), 1);
	ck_assert_str_eq(cc, "IT");
	mxg_lookup_free(lk);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("lookup_geoip");
	TCase *tc = tcase_create("geoip");

	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, countries_v4_v6);
	tcase_add_test(tc, reopened_when_replaced);
	tcase_add_test(tc, no_database_could_not_decide);
	tcase_add_test(tc, through_the_provider);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (system("perl -MMaxMind::DB::Writer::Tree -e1 2>/dev/null") != 0) {
		printf("skip: MaxMind::DB::Writer missing (Debian package "
		       "libmaxmind-db-writer-perl)\n");
		return 77;
	}
	sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
