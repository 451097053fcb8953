/*
 * test_store_tdb.c: the tdb store: time travel through the store, many
 * processes on overlapping tuples (no lost update), a handle opened
 * before fork, permissions and unusable paths.
 */
#include <sys/wait.h>

#include <errno.h>

#include "mxg_test.h"
#include "mxg_store.h"

static const struct mxg_grey_params P = {
	.delay = 1800, .autowhite = 86400, .timeout = 432000
};

static char path[1024];
static int errors_logged;

static void
count_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)msg;
	if (level <= MXG_LOG_ERR)
		errors_logged++;
}

static const struct mxg_log LOG = { count_log, NULL };

static struct mxg_store *
fresh_store(const char *name)
{
	struct mxg_store *s = NULL;

	snprintf(
	    path, sizeof(path), "%s/%s.tdb", mxg_test_dir("store_tdb"), name);
	unlink(path);
	ck_assert_int_eq(mxg_store_tdb_open(&s, path, 1021, 0, &LOG), MXG_OK);
	return s;
}

static void
tuple(struct mxg_tuple *t, const char *ip, const char *from, const char *to)
{
	struct mxg_ip a;

	ck_assert_int_eq(mxg_ip_parse(ip, &a), 0);
	ck_assert_int_eq(mxg_tuple_make(t, &a, 32, 64, from, to), 0);
}

static enum mxg_reason
decide(struct mxg_store *s, const struct mxg_tuple *t,
    const struct mxg_grey_params *p, time_t now, long *left)
{
	struct mxg_grey_result r;

	ck_assert_int_eq(s->ops->decide(s, t, p, now, &r), MXG_OK);
	if (left != NULL)
		*left = r.remaining;
	return r.reason;
}

START_TEST(time_travel)
{
	struct mxg_store *s = fresh_store("travel");
	struct mxg_tuple t, other;
	struct mxg_grey_params dry = P;
	long left;

	tuple(&t, "192.0.2.1", "<a@example.org>", "<b@example.net>");
	tuple(&other, "192.0.2.1", "a@example.org", "c@example.net");
	ck_assert_int_eq(decide(s, &t, &P, 1000, &left), MXG_R_NEW);
	ck_assert_int_eq(left, 1800);
	ck_assert_int_eq(decide(s, &t, &P, 1500, &left), MXG_R_EARLY);
	ck_assert_int_eq(left, 1300);
	/* another recipient is another tuple */
	ck_assert_int_eq(decide(s, &other, &P, 1500, NULL), MXG_R_NEW);
	/* dry run: decides but writes nothing */
	dry.dryrun = 1;
	ck_assert_int_eq(decide(s, &t, &dry, 2800, NULL), MXG_R_PASSED);
	ck_assert_int_eq(decide(s, &t, &dry, 2800, NULL), MXG_R_PASSED);
	ck_assert_int_eq(decide(s, &t, &P, 2800, NULL), MXG_R_PASSED);
	ck_assert_int_eq(decide(s, &t, &P, 2900, NULL), MXG_R_AUTOWHITE);
	ck_assert_int_eq(
	    decide(s, &t, &P, 2900 + 86399, NULL), MXG_R_AUTOWHITE);
	/* slid forward by the last hit */
	ck_assert_int_eq(
	    decide(s, &t, &P, 2900 + 86399 + 86399, NULL), MXG_R_AUTOWHITE);
	ck_assert_int_eq(
	    decide(s, &t, &P, 2900 + 86399 * 2 + 86400, NULL), MXG_R_NEW);
	mxg_store_close(s);
}
END_TEST

START_TEST(lazyaw_per_ip)
{
	struct mxg_store *s = fresh_store("lazyaw");
	struct mxg_grey_params p = P;
	struct mxg_tuple t, other;

	p.lazyaw = 1;
	tuple(&t, "198.51.100.7", "a@example.org", "b@example.net");
	tuple(&other, "198.51.100.7", "x@example.com", "y@example.net");
	ck_assert_int_eq(decide(s, &t, &p, 100, NULL), MXG_R_NEW);
	ck_assert_int_eq(decide(s, &other, &p, 100, NULL), MXG_R_NEW);
	ck_assert_int_eq(decide(s, &t, &p, 2000, NULL), MXG_R_PASSED);
	/* the whole IP is now autowhite, other tuples included */
	ck_assert_int_eq(decide(s, &other, &p, 2001, NULL), MXG_R_AUTOWHITE);
	tuple(&other, "198.51.100.7", "new@example.com", "z@example.net");
	ck_assert_int_eq(decide(s, &other, &p, 2002, NULL), MXG_R_AUTOWHITE);
	mxg_store_close(s);
}
END_TEST

struct sum {
	unsigned long hits, records;
};

static int
add_hits(void *arg, const struct mxg_store_entry *e)
{
	struct sum *sum = arg;

	sum->hits += e->rec.hits;
	sum->records++;
	return 0;
}

#define WORKERS    8
#define PER_WORKER 100000
#define TUPLES     50

/*
 * 8 processes x 100k decisions on 50 shared tuples, with the store opened
 * (and used) before fork: every decision counted exactly once.
 */
START_TEST(many_processes_no_lost_update)
{
	struct mxg_store *s = fresh_store("hammer");
	struct mxg_grey_params p = P;
	struct mxg_tuple t[TUPLES];
	struct sum sum = { 0, 0 };
	char from[64];
	pid_t pids[WORKERS];

	p.delay = 1000000; /* everything stays pending: hits count */
	p.timeout = 2000000;
	for (int i = 0; i < TUPLES; i++) {
		snprintf(from, sizeof(from), "s%d@example.org", i);
		tuple(&t[i], i % 2 ? "192.0.2.1" : "2001:db8::1", from,
		    "rcpt@example.net");
	}
	/* used in the parent: children must not share this handle */
	decide(s, &t[0], &p, 10, NULL);
	for (int w = 0; w < WORKERS; w++) {
		pids[w] = fork();
		ck_assert_int_ge(pids[w], 0);
		if (pids[w] == 0) {
			struct mxg_grey_result r;
			int bad = 0;

			for (int i = 0; i < PER_WORKER; i++)
				if (s->ops->decide(s, &t[(i * 7 + w) % TUPLES],
				        &p, 20, &r) != MXG_OK)
					bad++;
			_exit(bad ? 1 : 0);
		}
	}
	for (int w = 0; w < WORKERS; w++) {
		int st;

		ck_assert_int_eq(waitpid(pids[w], &st, 0), pids[w]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ck_assert_int_eq(s->ops->iterate(s, add_hits, &sum), MXG_OK);
	ck_assert_uint_eq(sum.records, TUPLES);
	ck_assert_uint_eq(sum.hits, 1 + (unsigned long)WORKERS * PER_WORKER);
	mxg_store_close(s);
}
END_TEST

static int
expire_all(void *arg, const struct mxg_store_entry *e)
{
	(void)arg;
	(void)e;
	return 1;
}

START_TEST(generation_put_iterate)
{
	struct mxg_store *s = fresh_store("gen");
	struct mxg_store_entry e;
	struct sum sum = { 0, 0 };
	unsigned long gen = 99;

	ck_assert_int_eq(s->ops->generation(s, &gen), MXG_OK);
	ck_assert_uint_eq(gen, 0);
	ck_assert_int_eq(s->ops->bump(s), MXG_OK);
	ck_assert_int_eq(s->ops->bump(s), MXG_OK);
	ck_assert_int_eq(s->ops->generation(s, &gen), MXG_OK);
	ck_assert_uint_eq(gen, 2);
	memset(&e, 0, sizeof(e));
	e.kind = MXG_KEY_TUPLE;
	tuple(&e.tuple, "10.1.2.3", "a@b", "c@d");
	e.rec.state = MXG_REC_AUTOWHITE;
	e.rec.until = e.rec.expire = 5000;
	e.rec.hits = 3;
	ck_assert_int_eq(s->ops->put(s, &e), MXG_OK);
	ck_assert_int_eq(decide(s, &e.tuple, &P, 4000, NULL), MXG_R_AUTOWHITE);
	/* the generation key is not a record */
	ck_assert_int_eq(s->ops->iterate(s, add_hits, &sum), MXG_OK);
	ck_assert_uint_eq(sum.records, 1);
	ck_assert_uint_eq(sum.hits, 4);
	ck_assert_int_eq(s->ops->iterate(s, expire_all, NULL), MXG_OK);
	sum.records = 0;
	ck_assert_int_eq(s->ops->iterate(s, add_hits, &sum), MXG_OK);
	ck_assert_uint_eq(sum.records, 0);
	mxg_store_close(s);
}
END_TEST

START_TEST(unusable_paths)
{
	struct mxg_store *s = NULL;
	struct mxg_tuple t;
	struct mxg_grey_result r;
	char dir[600];

	tuple(&t, "10.1.2.3", "a@b", "c@d");
	/* missing directory: a clear error, logged once, no crash */
	errors_logged = 0;
	ck_assert_int_eq(
	    mxg_store_tdb_open(&s, "/nonexistent/dir/x.tdb", 0, 0, &LOG),
	    MXG_OK);
	ck_assert_int_eq(s->ops->decide(s, &t, &P, 10, &r), MXG_ESTORE);
	ck_assert_int_eq(s->ops->decide(s, &t, &P, 11, &r), MXG_ESTORE);
	ck_assert_int_ge(errors_logged, 1);
	mxg_store_close(s);
	/* world-writable store directory: refused */
	snprintf(dir, sizeof(dir), "%s/open", mxg_test_dir("store_tdb"));
	mkdir(dir, 0777);
	chmod(dir, 0777);
	snprintf(path, sizeof(path), "%s/x.tdb", dir);
	ck_assert_int_eq(mxg_store_tdb_open(&s, path, 0, 0, &LOG), MXG_OK);
	ck_assert_int_eq(s->ops->decide(s, &t, &P, 10, &r), MXG_EPERM);
	mxg_store_close(s);
	/* world-writable store file: refused */
	chmod(dir, 0750);
	ck_assert_int_eq(mxg_store_tdb_open(&s, path, 0, 0, &LOG), MXG_OK);
	ck_assert_int_eq(s->ops->decide(s, &t, &P, 10, &r), MXG_OK);
	mxg_store_close(s);
	{
		struct stat st;

		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_int_eq(st.st_mode & 0777, 0660);
	}
	chmod(path, 0666);
	ck_assert_int_eq(mxg_store_tdb_open(&s, path, 0, 0, &LOG), MXG_OK);
	ck_assert_int_eq(s->ops->decide(s, &t, &P, 10, &r), MXG_EPERM);
	mxg_store_close(s);
	/* a file that is not a tdb */
	chmod(path, 0640);
	{
		FILE *f = fopen(path, "w");

		ck_assert_ptr_nonnull(f);
		fputs("this is not a tdb file at all, just text\n", f);
		fclose(f);
	}
	ck_assert_int_eq(mxg_store_tdb_open(&s, path, 0, 0, &LOG), MXG_OK);
	ck_assert_int_eq(s->ops->decide(s, &t, &P, 10, &r), MXG_ESTORE);
	mxg_store_close(s);
}
END_TEST

static char last_log[1024];

static void
keep_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level <= MXG_LOG_ERR)
		snprintf(last_log, sizeof(last_log), "%s", msg);
}

static const struct mxg_log KEEP = { keep_log, NULL };

static void
write_file(const char *p, const char *text, size_t len)
{
	FILE *f = fopen(p, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	fclose(f);
}

/* decide on the store at path: the result code, the error logged */
static int
try_store(unsigned flags, char *why, size_t size)
{
	struct mxg_store *s = NULL;
	struct mxg_tuple t;
	struct mxg_grey_result r;
	int rc;

	tuple(&t, "10.1.2.3", "a@b", "c@d");
	last_log[0] = '\0';
	ck_assert_int_eq(mxg_store_tdb_open(&s, path, 0, flags, &KEEP), MXG_OK);
	rc = s->ops->decide(s, &t, &P, 10, &r);
	if (why != NULL)
		(void)s->ops->check(s, 0, why, size);
	mxg_store_close(s);
	return rc;
}

/*
 * A file that tdb refuses says what it is and what to do, the same for
 * fsck; it is never overwritten. An empty one (an admin's touch) is made
 * a store in place, keeping its mode.
 */
START_TEST(damaged_files)
{
	static const char text[] = "this is not a tdb file at all, just text\n";
	char why[1024], want[1200];
	struct stat st;
	struct mxg_store *s;

	snprintf(
	    path, sizeof(path), "%s/damaged.tdb", mxg_test_dir("store_tdb"));
	/* text */
	write_file(path, text, sizeof(text) - 1);
	ck_assert_int_eq(try_store(0, why, sizeof(why)), MXG_ESTORE);
	snprintf(want, sizeof(want),
	    "%s: not a tdb file (%zu bytes): move it away; a new store is "
	    "created on next use",
	    path, sizeof(text) - 1);
	ck_assert_str_eq(why, want);
	ck_assert_ptr_nonnull(strstr(last_log, want));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq((int)st.st_size, (int)sizeof(text) - 1);
	/* a tdb cut short */
	unlink(path);
	s = NULL;
	ck_assert_int_eq(mxg_store_tdb_open(&s, path, 1021, 0, &KEEP), MXG_OK);
	ck_assert_int_eq(s->ops->bump(s), MXG_OK);
	mxg_store_close(s);
	ck_assert_int_eq(truncate(path, 200), 0);
	ck_assert_int_eq(try_store(0, why, sizeof(why)), MXG_ESTORE);
	ck_assert_msg(strstr(why,
	                  ": a damaged tdb file, or one not made by "
	                  "mxgrey (200 bytes; tdb: ") != NULL &&
	        strstr(why,
	            "): move it away; a new store is created on next "
	            "use") != NULL,
	    "%s", why);
	ck_assert_ptr_nonnull(strstr(last_log, why));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq((int)st.st_size, 200);
	/* empty: made a store, owner and mode kept */
	write_file(path, "", 0);
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(try_store(0, why, sizeof(why)), MXG_OK);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_gt((int)st.st_size, 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	ck_assert_int_eq(try_store(MXG_STORE_NOCREATE, NULL, 0), MXG_OK);
	/* no such store: created unless MXG_STORE_NOCREATE */
	unlink(path);
	ck_assert_int_eq(
	    try_store(MXG_STORE_NOCREATE, why, sizeof(why)), MXG_ESTORE);
	snprintf(want, sizeof(want), "%s: no such store", path);
	ck_assert_str_eq(why, want);
	ck_assert_ptr_nonnull(strstr(last_log, want));
	ck_assert_int_eq(stat(path, &st), -1);
	ck_assert_int_eq(try_store(0, NULL, 0), MXG_OK);
	ck_assert_int_eq(stat(path, &st), 0);
}
END_TEST

/*
 * An expired record decided with no delay and no autowhite: the step
 * deletes it, and the chain sweep must not make that fail (found by the
 * redis comparison test).
 */
START_TEST(expired_record_deleted_once)
{
	struct mxg_store *s = fresh_store("expired");
	struct mxg_grey_params p = P;
	struct mxg_tuple t;

	p.delay = 0;
	p.autowhite = 0;
	tuple(&t, "192.0.2.9", "a@example.org", "b@example.net");
	for (int i = 0; i < 40; i++) {
		struct mxg_grey_result r;

		/* a pending record that has expired by the next step */
		ck_assert_int_eq(
		    decide(s, &t, &P, 1000 + i * 500000, NULL), MXG_R_NEW);
		ck_assert_int_eq(
		    s->ops->decide(s, &t, &p, 1000 + i * 500000 + 432001, &r),
		    MXG_OK);
		ck_assert_int_eq(r.reason, MXG_R_PASSED);
	}
	mxg_store_close(s);
}
END_TEST

/* The file deleted under a running store: noticed within a second. */
START_TEST(deleted_file_reopened)
{
	struct mxg_store *s = fresh_store("deleted");
	struct mxg_tuple t;
	struct mxg_store *other = NULL;
	struct sum sum = { 0, 0 };

	tuple(&t, "192.0.2.1", "a@example.org", "b@example.net");
	ck_assert_int_eq(decide(s, &t, &P, 1000, NULL), MXG_R_NEW);
	ck_assert_int_eq(unlink(path), 0);
	/* same second: still the old inode */
	ck_assert_int_eq(decide(s, &t, &P, 1000, NULL), MXG_R_EARLY);
	/* next second: the file is gone, so a fresh one is made */
	ck_assert_int_eq(decide(s, &t, &P, 1001, NULL), MXG_R_NEW);
	ck_assert_int_eq(access(path, F_OK), 0);
	/* and another process (here: handle) sees that record */
	mxg_store_close(s);
	ck_assert_int_eq(
	    mxg_store_tdb_open(&other, path, 1021, 0, &LOG), MXG_OK);
	ck_assert_int_eq(other->ops->iterate(other, add_hits, &sum), MXG_OK);
	ck_assert_uint_eq(sum.records, 1);
	mxg_store_close(other);
}
END_TEST

/* Is the file at path mapped into this process? */
static int
file_mapped(const char *file)
{
	char line[2048];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, file) != NULL;
	fclose(f);
	return found;
}

/* A handle on path; MXG_STORE_NOMMAP or mapped (one per process: tdb) */
static struct mxg_store *
store_on_path(unsigned flags)
{
	struct mxg_store *s = NULL;

	ck_assert_int_eq(
	    mxg_store_tdb_open(&s, path, 1021, flags, &LOG), MXG_OK);
	return s;
}

/*
 * MXG_STORE_NOMMAP (a short-lived host): the same decisions as a mapped
 * handle, on the same file, and the file never mapped.
 */
START_TEST(nommap_same_decisions)
{
	struct mxg_store *s = fresh_store("nommap");
	struct mxg_tuple t, u;

	mxg_store_close(s);
	tuple(&t, "192.0.2.1", "a@example.org", "b@example.net");
	tuple(&u, "192.0.2.2", "a@example.org", "b@example.net");
	s = store_on_path(MXG_STORE_NOMMAP);
	ck_assert_int_eq(decide(s, &t, &P, 1000, NULL), MXG_R_NEW);
	ck_assert_int_eq(file_mapped(path), 0);
	mxg_store_close(s);
	s = store_on_path(0);
	ck_assert_int_eq(decide(s, &t, &P, 1100, NULL), MXG_R_EARLY);
	ck_assert_int_eq(file_mapped(path), 1);
	ck_assert_int_eq(decide(s, &u, &P, 1100, NULL), MXG_R_NEW);
	mxg_store_close(s);
	s = store_on_path(MXG_STORE_NOMMAP);
	ck_assert_int_eq(decide(s, &t, &P, 2800, NULL), MXG_R_PASSED);
	ck_assert_int_eq(decide(s, &u, &P, 2900, NULL), MXG_R_PASSED);
	ck_assert_int_eq(decide(s, &t, &P, 3000, NULL), MXG_R_AUTOWHITE);
	ck_assert_int_eq(file_mapped(path), 0);
	mxg_store_close(s);
	s = store_on_path(0);
	ck_assert_int_eq(decide(s, &u, &P, 3000, NULL), MXG_R_AUTOWHITE);
	mxg_store_close(s);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("store_tdb");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, time_travel);
	tcase_add_test(tc, lazyaw_per_ip);
	tcase_add_test(tc, many_processes_no_lost_update);
	tcase_add_test(tc, generation_put_iterate);
	tcase_add_test(tc, unusable_paths);
	tcase_add_test(tc, damaged_files);
	tcase_add_test(tc, deleted_file_reopened);
	tcase_add_test(tc, expired_record_deleted_once);
	tcase_add_test(tc, nommap_same_decisions);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
