/*
 * milter_main.c: mxgrey-milter's main: options like milter-greylist's,
 * the daemon directives of greylist.conf (socket, user, pidfile), the
 * socket, privileges, then libmilter's loop.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../postfix/daemon.h"
#include "milter.h"
#include "mxg_rules.h"

#define DEFAULT_RULES  MXG_SYSCONFDIR "/mxgrey/mxgrey.conf"
#define DEFAULT_SOCKET MXG_LOCALSTATEDIR "/run/mxgrey/milter.sock"

/* The options, one line each: -h/--help and usage errors. */
static void
print_usage(FILE *f)
{
	fprintf(f,
	    "usage: mxgrey-milter [-cDhqrVv] [-d dumpfile] [-f rules] "
	    "[-n name] [-P pidfile]\n\t[-p socket] [-s store] [-u user]\n"
	    "  -c           check the rules file and exit\n"
	    "  -D           stay in the foreground, log to stderr\n"
	    "  -d dumpfile  milter-greylist's dump file: ignored\n"
	    "  -f rules     rules file (default " DEFAULT_RULES ")\n"
	    "  -h, --help   print this help and exit\n"
	    "  -n name      host name in the X-Greylist header\n"
	    "  -P pidfile   write the process id there\n"
	    "  -p socket    milter socket (default " DEFAULT_SOCKET ")\n"
	    "  -q           quieter: no informational log lines\n"
	    "  -r, -V       print the version and exit\n"
	    "  -s store     store, instead of the rules file's\n"
	    "  -u user      after binding, run as user[:group]\n"
	    "  -v           also log debugging messages\n");
}

/* A usage error: the usage on stderr, exit 2. */
static void
usage(void)
{
	print_usage(stderr);
	exit(2);
}

/* -c: the rules file's own messages, counted, as `mxgreyctl test`. */
struct check {
	const char *rules;
	unsigned long nerr, nerr_all;
};

/*
 * The engine's log for -c: only the lines located in the rules file; the
 * engine's line on answering the failure action is for a running milter.
 */
static void
check_log(void *ctx, int level, const char *msg)
{
	struct check *c = ctx;
	size_t len = strlen(c->rules);
	unsigned long n;
	int end = 0;

	if (strncmp(msg, c->rules, len) != 0 || msg[len] != ':' ||
	    level > MXG_LOG_WARNING)
		return;
	(void)sscanf(msg + len, ": %lu errors (only the first%n", &n, &end);
	if (end > 0) {
		c->nerr_all = n;
		return;
	}
	if (level <= MXG_LOG_ERR)
		c->nerr++;
	fprintf(stderr, "%s\n", msg);
}

/* The longest unix socket path bind(2) takes (sun_path less its NUL). */
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1)

/*
 * The file of a local socket spec, or NULL for inet sockets; as
 * libmilter reads it: a local spec, or no colon at all.
 */
static const char *
socket_path(const char *spec)
{
	return strchr(spec, ':') == NULL ? spec : mxg_daemon_socket_file(spec);
}

/* A socket spec made absolute: a spec without a colon is a path here. */
static int
abssocket(const char *spec, char **out)
{
	if (spec != NULL && strchr(spec, ':') == NULL)
		return mxg_daemon_abspath(spec, out);
	return mxg_daemon_abssocket(spec, out);
}

/*
 * An inet or inet6 spec's port (inet:PORT@HOST): libmilter reads a
 * number with atoi(), so 99999 would wrap and 0 take any port. A port
 * that starts with a digit must be 1..65535 in decimal; a service name
 * is left to libmilter. Returns 0, or -1 with a message in err.
 */
static int
inet_port(const char *spec, char *err, size_t errsize)
{
	const char *colon = strchr(spec, ':');
	size_t n, len;

	if (colon == NULL)
		return 0;
	n = (size_t)(colon - spec);
	if (!((n == 4 && strncasecmp(spec, "inet", 4) == 0) ||
	        (n == 5 && strncasecmp(spec, "inet6", 5) == 0)))
		return 0;
	len = strcspn(colon + 1, "@");
	if (len == 0) {
		snprintf(err, errsize, "bad socket '%s': no port", spec);
		return -1;
	}
	if (colon[1] < '0' || colon[1] > '9')
		return 0;
	if (!mxg_daemon_port_ok(colon + 1, len)) {
		snprintf(err, errsize,
		    "bad socket '%s': port '%.*s' is not a number from 1 to "
		    "65535",
		    spec, (int)len, colon + 1);
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct mxg_daemon_log lg = { 1, MXG_LOG_INFO, "mxgrey-milter" };
	const char *rules = DEFAULT_RULES, *store = NULL, *user = NULL;
	const char *pidfile = NULL, *sock = NULL, *name = NULL, *path;
	const char *dumpfile = NULL;
	const struct mxg_config *cf = NULL;
	struct mxg_ruleset *rs = NULL;
	struct mxg_host host;
	struct check chk = { NULL, 0, 0 };
	char host_name[256], *conn = NULL, err[512], *owned[5];
	size_t nowned = 0, i;
	unsigned long n;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	int ch, foreground = 0, check = 0, rc, status = 1, mode = -1;

	static const struct option long_opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	while ((ch = getopt_long(argc, argv, "cDd:f:hn:P:p:qrs:u:Vv", long_opts,
	            NULL)) != -1) {
		switch (ch) {
		case 'c':
			check = 1;
			break;
		case 'D':
			foreground = 1;
			break;
		case 'd':
			dumpfile = optarg; /* milter-greylist's; unused */
			break;
		case 'f':
			rules = optarg;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		case 'q':
			lg.max_level = MXG_LOG_NOTICE;
			break;
		case 'n':
			name = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'p':
			sock = optarg;
			break;
		case 's':
			store = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'r':
		case 'V':
			printf("mxgrey-milter %s\n", PACKAGE_VERSION);
			return 0;
		case 'v':
			lg.max_level = MXG_LOG_DEBUG;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	lg.use_syslog = !foreground && !check;
	mxg_daemon_log_open(&lg);
	/*
	 * Relative paths as the shell that started us meant them: detaching
	 * changes to /, and -D must not change which files are used (the
	 * rules file is watched and read again). -c stays where it is.
	 */
	if (!check &&
	    (mxg_daemon_absolute(
	         &lg, &rules, mxg_daemon_abspath, owned, &nowned) == -1 ||
	        mxg_daemon_absolute(
	            &lg, &store, mxg_daemon_abspath, owned, &nowned) == -1 ||
	        mxg_daemon_absolute(
	            &lg, &dumpfile, mxg_daemon_abspath, owned, &nowned) == -1))
		goto fail;
	if (dumpfile != NULL)
		mxg_daemon_logf(&lg, MXG_LOG_NOTICE,
		    "-d %s ignored: the store is %s's tdb file, dump it with "
		    "mxgreyctl dump",
		    dumpfile, "mxgrey");
	if (gethostname(host_name, sizeof(host_name)) == -1)
		snprintf(host_name, sizeof(host_name), "localhost");
	host_name[sizeof(host_name) - 1] = '\0';

	memset(&host, 0, sizeof(host));
	host.api_version = MXGREY_API_VERSION;
	host.log = mxg_daemon_log;
	host.log_ctx = &lg;
	if (check) {
		chk.rules = rules;
		host.log = check_log;
		host.log_ctx = &chk;
	}
	rc = mxg_open(&mxg_milter.engine, rules, store, &host);
	if (check) {
		status = rc == MXG_OK ? 0 : 1;
		n = chk.nerr_all > chk.nerr ? chk.nerr_all : chk.nerr;
		if (rc == MXG_OK)
			printf("%s: ok\n", rules);
		else if (n > 0)
			fprintf(stderr, "%s: %lu error%s, not loaded\n", rules,
			    n, n == 1 ? "" : "s");
		else
			fprintf(stderr, "%s: %s, not loaded\n", rules,
			    mxg_strerror(rc));
		goto fail;
	}
	if (mxg_milter.engine == NULL) {
		mxg_daemon_logf(&lg, MXG_LOG_ERR, "cannot start the engine: %s",
		    mxg_strerror(rc));
		goto fail;
	}
	if (rc != MXG_OK)
		mxg_daemon_logf(&lg, MXG_LOG_ERR,
		    "%s: %s; answering with the failure action until the file "
		    "is fixed",
		    rules, mxg_strerror(rc));
	/* The daemon directives of the rules file, unless flags say. */
	if ((rs = mxg_daemon_rules(rules)) != NULL)
		cf = mxg_rules_config(rs);
	if (sock == NULL)
		sock = cf != NULL && cf->socket != NULL ? cf->socket
		                                        : DEFAULT_SOCKET;
	if (cf != NULL && cf->socket_mode >= 0)
		mode = cf->socket_mode;
	if (user == NULL && cf != NULL)
		user = cf->user;
	if (pidfile == NULL && cf != NULL)
		pidfile = cf->pidfile;
	if (mxg_daemon_absolute(&lg, &sock, abssocket, owned, &nowned) == -1 ||
	    mxg_daemon_absolute(
	        &lg, &pidfile, mxg_daemon_abspath, owned, &nowned) == -1)
		goto fail;
	if (user != NULL && mxg_daemon_lookup(user, &uid, &gid) == -1) {
		mxg_daemon_logf(&lg, MXG_LOG_ERR, "%s: no such user", user);
		goto fail;
	}
	if (mxg_daemon_pidfile_check(&lg, pidfile) == -1)
		goto fail;
	mxg_milter.rules_path = rules;
	mxg_milter.hostname = name != NULL ? name : host_name;
	mxg_milter.log = &lg;

	if ((path = socket_path(sock)) != NULL &&
	    strlen(path) > SOCKET_PATH_MAX) {
		mxg_daemon_logf(&lg, MXG_LOG_ERR,
		    "cannot listen on %s: socket path too long (%zu bytes, at "
		    "most %zu)",
		    sock, strlen(path), SOCKET_PATH_MAX);
		goto fail;
	}
	if (inet_port(sock, err, sizeof(err)) == -1) {
		mxg_daemon_logf(&lg, MXG_LOG_ERR, "%s", err);
		goto fail;
	}
	if ((conn = strdup(sock)) == NULL)
		goto fail;
	if (smfi_setconn(conn) == MI_FAILURE ||
	    smfi_register(*(struct smfiDesc *)mxg_milter_desc()) ==
	        MI_FAILURE ||
	    smfi_opensocket(1) == MI_FAILURE) {
		mxg_daemon_logf(&lg, MXG_LOG_ERR, "cannot listen on %s", sock);
		goto fail;
	}
	if ((path = socket_path(sock)) != NULL) {
		if ((mode >= 0 && chmod(path, (mode_t)mode) == -1) ||
		    (uid != (uid_t)-1 && chown(path, uid, gid) == -1)) {
			mxg_daemon_logf(
			    &lg, MXG_LOG_ERR, "%s: %s", path, strerror(errno));
			goto fail;
		}
	}
	if (mxg_daemon_become(&lg, foreground, pidfile, user) == -1)
		goto fail;
	mxg_milter_watch_init();
	mxg_daemon_logf(&lg, MXG_LOG_NOTICE, "mxgrey-milter %s ready on %s",
	    PACKAGE_VERSION, sock);
	status = smfi_main() == MI_SUCCESS ? 0 : 1;
	mxg_daemon_logf(&lg, MXG_LOG_NOTICE, "stopping");
	mxg_daemon_pidfile_remove(&lg, pidfile);
fail:
	free(conn);
	mxg_close(mxg_milter.engine);
	mxg_rules_free(rs);
	for (i = 0; i < nowned; i++)
		free(owned[i]);
	return status;
}
