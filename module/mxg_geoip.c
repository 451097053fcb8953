/*
 * mxg_geoip.c: country of the client IP from a MaxMind DB file. The file
 * is opened once per process on first use and reopened when it changes
 * (a new inode, size or mtime seen by one stat(2) per lookup); when the
 * new file does not open, the old one goes on serving.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <maxminddb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mxgrey.h"
#include "mxg_lookup.h"

struct mxg_geoip {
	char *path;
	struct mxg_log log;
	MMDB_s db;
	int open;
	struct stat st; /* of the file db was opened from */
	int failed;     /* last open failed for this st: logged */
	struct stat failed_st;
	char why[256];
};

/* mxg_geoip_new: see mxg_lookup.h. */
struct mxg_geoip *
mxg_geoip_new(const char *path, const struct mxg_log *log)
{
	struct mxg_geoip *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	if (path != NULL && (g->path = strdup(path)) == NULL) {
		free(g);
		return NULL;
	}
	if (log != NULL)
		g->log = *log;
	return g;
}

/* mxg_geoip_free: see mxg_lookup.h. */
void
mxg_geoip_free(struct mxg_geoip *g)
{
	if (g == NULL)
		return;
	if (g->open)
		MMDB_close(&g->db);
	free(g->path);
	free(g);
}

/* mxg_geoip_probe: see mxg_lookup.h. */
int
mxg_geoip_probe(const char *path, char *why, size_t size)
{
	struct stat st;
	MMDB_s db;
	int fd, rc, e = 0;

	/* open(2) first: libmaxminddb would only say "error opening" */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1)
		e = errno;
	else if (S_ISDIR(st.st_mode))
		e = EISDIR;
	if (fd != -1)
		close(fd);
	if (e != 0) {
		snprintf(why, size, "cannot open %s: %s", path, strerror(e));
		return -1;
	}
	errno = 0;
	memset(&db, 0, sizeof(db));
	if ((rc = MMDB_open(path, MMDB_MODE_MMAP, &db)) != MMDB_SUCCESS) {
		snprintf(why, size, "cannot open %s: %s", path,
		    rc == MMDB_IO_ERROR && errno != 0 ? strerror(errno)
		                                      : MMDB_strerror(rc));
		return -1;
	}
	MMDB_close(&db);
	return 0;
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Open or reopen as needed. 0 usable, -1 not (why set). */
static int
refresh(struct mxg_geoip *g)
{
	struct stat st;
	MMDB_s db;
	int rc;

	if (g->path == NULL) {
		snprintf(g->why, sizeof(g->why), "GeoIP: no database set");
		return -1;
	}
	if (stat(g->path, &st) == -1) {
		if (g->open)
			return 0; /* keep serving the one we have */
		snprintf(g->why, sizeof(g->why), "GeoIP: %.200s: %s", g->path,
		    strerror(errno));
		return -1;
	}
	if (g->open && same_file(&st, &g->st))
		return 0;
	if (g->failed && same_file(&st, &g->failed_st))
		return g->open ? 0 : -1;
	memset(&db, 0, sizeof(db));
	if ((rc = MMDB_open(g->path, MMDB_MODE_MMAP, &db)) != MMDB_SUCCESS) {
		snprintf(g->why, sizeof(g->why), "GeoIP: %.200s: %s", g->path,
		    MMDB_strerror(rc));
		mxg_log(&g->log, MXG_LOG_ERR, "%s%s", g->why,
		    g->open ? " (keeping the old database)" : "");
		g->failed = 1;
		g->failed_st = st;
		return g->open ? 0 : -1;
	}
	if (g->open) {
		MMDB_close(&g->db);
		mxg_log(&g->log, MXG_LOG_INFO, "GeoIP: %s reopened", g->path);
	}
	g->db = db;
	g->open = 1;
	g->st = st;
	g->failed = 0;
	return 0;
}

/*
 * key "iso_code" (MaxMind's layout: country, registered_country), or
 * key alone with sub NULL (ip-location-db's: a top-level country_code).
 */
static int
get_cc(MMDB_entry_s *entry, const char *key, const char *sub, char cc[3])
{
	MMDB_entry_data_s d;

	if (MMDB_get_value(entry, &d, key, sub, NULL) != MMDB_SUCCESS ||
	    !d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING ||
	    d.data_size != 2)
		return 0;
	cc[0] = d.utf8_string[0];
	cc[1] = d.utf8_string[1];
	cc[2] = '\0';
	return 1;
}

/* mxg_geoip_country: see mxg_lookup.h. */
int
mxg_geoip_country(
    struct mxg_geoip *g, const struct mxg_ip *ip, char cc[3], const char **why)
{
	struct sockaddr_storage ss;
	MMDB_lookup_result_s res;
	int err = MMDB_SUCCESS;

	cc[0] = '\0';
	if (refresh(g) == -1) {
		*why = g->why;
		return -1;
	}
	memset(&ss, 0, sizeof(ss));
	if (ip->family == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, ip->a, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, ip->a, 16);
	}
	res = MMDB_lookup_sockaddr(&g->db, (struct sockaddr *)&ss, &err);
	if (err == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
		return 0; /* a v4-only database knows no v6 client */
	if (err != MMDB_SUCCESS) {
		snprintf(g->why, sizeof(g->why), "GeoIP: %.200s: %s", g->path,
		    MMDB_strerror(err));
		*why = g->why;
		return -1;
	}
	if (!res.found_entry)
		return 0;
	if (get_cc(&res.entry, "country", "iso_code", cc) ||
	    get_cc(&res.entry, "registered_country", "iso_code", cc) ||
	    get_cc(&res.entry, "country_code", NULL, cc))
		return 1;
	return 0;
}
