/*
 * mxg_redis.h: the pieces of the redis store backend (mxg_store_redis.c):
 * its URL and its server-side scripts. Internal to module/.
 */
#ifndef MXG_REDIS_H
#define MXG_REDIS_H

#include <stddef.h>

#define MXG_REDIS_HOST_MAX   256
#define MXG_REDIS_PATH_MAX   108 /* sun_path */
#define MXG_REDIS_CRED_MAX   256
#define MXG_REDIS_PREFIX_MAX 64
#define MXG_REDIS_PORT       6379
#define MXG_REDIS_TIMEOUT    500 /* ms, when the URL names none */
#define MXG_REDIS_PREFIX     "mxg:"

/* A parsed store URL. path[0] != '\0': a unix socket, else host:port. */
struct mxg_redis_url {
	char host[MXG_REDIS_HOST_MAX];
	int port;
	char path[MXG_REDIS_PATH_MAX];
	char user[MXG_REDIS_CRED_MAX]; /* ACL user; "" for plain AUTH */
	char pass[MXG_REDIS_CRED_MAX];
	int has_pass;
	int db;
	char prefix[MXG_REDIS_PREFIX_MAX];
	size_t prefixlen;
	long timeout_ms; /* connect, and each reply */
};

/*
 * mxg_redis_url_parse: parse
 *   redis://[[user]:password@]host[:port][/db][?option&...]
 *   redis://[[user]:password@]/path/to/socket[?option&...]
 * with options prefix=STR, timeout=N(ms|s), db=N; user and password may
 * be %-encoded; host may be [v6]. Returns 0 with *u filled, or -1 with a
 * reason in err (errsize bytes; never holds the password).
 */
int mxg_redis_url_parse(
    struct mxg_redis_url *u, const char *url, char *err, size_t errsize);

/* The server-side scripts. */
enum mxg_redis_script {
	MXG_REDIS_DECIDE = 0, /* KEYS tuple, ip; ARGV now delay aw timeout
				   lazyaw dryrun → {reason, remaining,
				   autowhite_until, bad} */
	MXG_REDIS_DELIFEQ,    /* KEYS key; ARGV value: DEL if unchanged */
	MXG_REDIS_NSCRIPTS
};

/* Reasons as the decide script returns them. */
#define MXG_REDIS_R_NEW       1
#define MXG_REDIS_R_EARLY     2
#define MXG_REDIS_R_PASSED    3
#define MXG_REDIS_R_AUTOWHITE 4

/* mxg_redis_script: the Lua text of script which (static; never NULL). */
const char *mxg_redis_script(enum mxg_redis_script which);

/*
 * mxg_redis_sha1_hex: the SHA-1 of len bytes at data as 40 lowercase hex
 * digits and a NUL in hex (what EVALSHA wants).
 */
void mxg_redis_sha1_hex(const void *data, size_t len, char hex[41]);

#endif
