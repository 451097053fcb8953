/*
 * mxg_exim_good.c: the last good copy of the rules file, beside the store.
 *
 * Exim forks a new process per connection, and each one parses the rules
 * file afresh: there are no "old rules" in a new process to fall back on.
 * So when a process finds the rules file valid and the copy out of date,
 * it validates a private copy and renames it to STORE.rules-good.HASH (HASH
 * of the rules file's name: one copy per rules file); when a
 * process finds the rules file broken, it serves that copy and logs why.
 * A broken edit thus never turns into a failure action for new
 * connections while a good version is known.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mxg_exim.h"

#ifndef MXG_LOCALSTATEDIR
#define MXG_LOCALSTATEDIR "/var"
#endif
#define DEFAULT_STORE MXG_LOCALSTATEDIR "/lib/mxgrey/mxgrey.tdb"
#define SUFFIX        ".rules-good"

int
mxg_exim_good_path(const char *store, const char *rules, char *buf, size_t size)
{
	uint32_t h = 2166136261u; /* FNV-1a of the rules file's name */
	int n;

	if (store == NULL)
		store = DEFAULT_STORE;
	if (store[0] == '\0' || strncmp(store, "memory:", 7) == 0 ||
	    strstr(store, "://") != NULL)
		return -1; /* memory:, redis://: nowhere to keep a file */
	for (const char *r = rules ? rules : "(default)"; *r != '\0'; r++)
		h = (h ^ (unsigned char)*r) * 16777619u;
	/* one copy per rules file: ACLs with other rules on one store */
	n = snprintf(buf, size, "%s%s.%08x", store, SUFFIX, (unsigned)h);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Do the files at a and b hold the same bytes? 0 when not, or unreadable. */
static int
same_content(const char *a, const char *b)
{
	char x[4096], y[4096];
	ssize_t n, m;
	int fa = -1, fb = -1, same = 0;

	if ((fa = open(a, O_RDONLY | O_CLOEXEC)) == -1 ||
	    (fb = open(b, O_RDONLY | O_CLOEXEC)) == -1)
		goto done;
	for (;;) {
		n = read(fa, x, sizeof(x));
		m = read(fb, y, sizeof(y));
		if (n < 0 || m < 0 || n != m || memcmp(x, y, (size_t)n) != 0)
			goto done;
		if (n == 0)
			break;
	}
	same = 1;
done:
	if (fa != -1)
		close(fa);
	if (fb != -1)
		close(fb);
	return same;
}

/* Copy the file at from to the new file at to (mode 0640). */
static int
copy_file(const char *from, const char *to)
{
	char buf[8192];
	ssize_t n, w;
	int in = -1, out = -1, rc = -1;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		goto done;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (out == -1)
		goto done;
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			goto done;
		}
		for (w = 0; w < n;) {
			ssize_t k = write(out, buf + w, (size_t)(n - w));

			if (k == -1) {
				if (errno == EINTR)
					continue;
				goto done;
			}
			w += k;
		}
	}
	rc = 0;
done:
	if (in != -1)
		close(in);
	if (out != -1 && close(out) == -1)
		rc = -1;
	return rc;
}

void
mxg_exim_good_refresh(
    const char *rules, const char *good, const struct mxg_host *host)
{
	struct mxg_engine *check = NULL;
	struct stat rs, gs;
	char tmp[4200];
	int n;

	if (stat(rules, &rs) == -1)
		return;
	/* mtimes mislead (mv keeps an old one): compare the bytes */
	if (stat(good, &gs) == 0 && gs.st_size == rs.st_size &&
	    same_content(rules, good))
		return; /* up to date */
	n = snprintf(tmp, sizeof(tmp), "%s.%ld", good, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return;
	(void)unlink(tmp);
	if (copy_file(rules, tmp) == -1)
		goto fail;
	/* the file may have changed since it was parsed: check the copy */
	if (mxg_open(&check, tmp, NULL, NULL) != MXG_OK)
		goto fail;
	mxg_close(check);
	if (rename(tmp, good) == -1)
		goto fail;
	if (host != NULL && host->log != NULL)
		host->log(host->log_ctx, MXG_LOG_INFO,
		    "mxgrey: rules accepted, last good copy updated");
	return;
fail:
	mxg_close(check);
	(void)unlink(tmp);
}
