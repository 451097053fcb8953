/*
 * policyd.c: mxgrey-policyd, a Postfix policy delegation server (a
 * drop-in for postgrey) around the mxgrey engine.
 */
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "listen.h"
#include "mxg_rules.h"
#include "mxgrey.h"
#include "policy_server.h"

#define DEFAULT_RULES  MXG_SYSCONFDIR "/mxgrey/mxgrey.conf"
#define DEFAULT_LISTEN "inet:127.0.0.1:10023"

/* postgrey's spellings, so that its command lines carry over. */
enum { OPT_INET = 256, OPT_UNIX };
static const struct option postgrey_opts[] = {
	{ "inet", required_argument, NULL, OPT_INET },
	{ "unix", required_argument, NULL, OPT_UNIX },
	{ "user", required_argument, NULL, 'u' },
	{ "pidfile", required_argument, NULL, 'P' },
	{ "socketmode", required_argument, NULL, 'm' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The options, one line each: -h/--help and usage errors. */
static void
print_usage(FILE *f)
{
	fprintf(f,
	    "usage: mxgrey-policyd [-DhTVv] [-a defer|code] [-c maxconn] "
	    "[-f rules]\n"
	    "\t[-H none|delayed|all] [-l inet:host:port|unix:path] "
	    "[-m mode] [-n name]\n"
	    "\t[-P pidfile] [-s store] [-t idle] [-u user]\n"
	    "  -a defer|code  answer greylisting with DEFER_IF_PERMIT "
	    "(default) or the SMTP code\n"
	    "  -c maxconn     connections served at once (default 1024)\n"
	    "  -D             stay in the foreground, log to stderr\n"
	    "  -f rules       rules file (default " DEFAULT_RULES ")\n"
	    "  -H none|delayed|all  when to prepend X-Greylist "
	    "(default delayed)\n"
	    "  -h, --help     print this help and exit\n"
	    "  -l address     listen on inet:host:port, inet:port, "
	    "unix:path (default " DEFAULT_LISTEN ")\n"
	    "  -m mode        octal mode of unix sockets (default 0660)\n"
	    "  -n name        host name in the X-Greylist header\n"
	    "  -P pidfile     write the process id there\n"
	    "  -s store       store, instead of the rules file's\n"
	    "  -T             test mode: requests on stdin, answers on "
	    "stdout\n"
	    "  -t idle        close connections idle that many seconds "
	    "(default 3600)\n"
	    "  -u user        after binding, run as user[:group]\n"
	    "  -V             print the version and exit\n"
	    "  -v             also log debugging messages\n"
	    "postgrey's --inet, --unix, --user, --pidfile and --socketmode "
	    "work too.\n");
}

/* A usage error: the usage on stderr, exit 2. */
static void
usage(void)
{
	print_usage(stderr);
	exit(2);
}

static long
number(const char *s, long min, long max, int base)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, base);
	if (errno != 0 || *s == '\0' || *end != '\0' || n < min || n > max) {
		fprintf(stderr, "mxgrey-policyd: %s: bad number\n", s);
		exit(2);
	}
	return n;
}

int
main(int argc, char *argv[])
{
	static struct mxg_policy_server srv;
	static struct mxg_daemon_log lg = { 1, MXG_LOG_INFO, "mxgrey-policyd" };
	const char *rules = DEFAULT_RULES, *store = NULL, *user = NULL;
	const char *pidfile = NULL, *name = NULL,
	           *listen[MXG_POLICY_LISTEN_MAX];
	struct mxg_ruleset *rs = NULL;
	struct mxg_host host;
	char host_name[256], err[512], spec[MXG_POLICY_LISTEN_MAX][300];
	char *owned[3 + MXG_POLICY_LISTEN_MAX];
	size_t nlisten = 0, nowned = 0, i;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	int ch, foreground = 0, testmode = 0, mode = 0660, rc, status = 1;

	srv.opts.style = MXG_POLICY_STYLE_DEFER;
	srv.opts.header = MXG_POLICY_HDR_DELAYED;
	srv.max_conns = 1024;
	srv.idle = 3600;
	srv.log = &lg;
	while ((ch = getopt_long(argc, argv, "a:c:DH:hf:l:m:n:P:s:Tt:u:Vv",
	            postgrey_opts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			if (strcmp(optarg, "defer") == 0)
				srv.opts.style = MXG_POLICY_STYLE_DEFER;
			else if (strcmp(optarg, "code") == 0)
				srv.opts.style = MXG_POLICY_STYLE_CODE;
			else
				usage();
			break;
		case 'c':
			srv.max_conns = (size_t)number(optarg, 1, 100000, 10);
			break;
		case 'D':
			foreground = 1;
			break;
		case 'H':
			if (strcmp(optarg, "none") == 0)
				srv.opts.header = MXG_POLICY_HDR_NONE;
			else if (strcmp(optarg, "delayed") == 0)
				srv.opts.header = MXG_POLICY_HDR_DELAYED;
			else if (strcmp(optarg, "all") == 0)
				srv.opts.header = MXG_POLICY_HDR_ALL;
			else
				usage();
			break;
		case 'f':
			rules = optarg;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		case 'l':
			if (nlisten == MXG_POLICY_LISTEN_MAX)
				usage();
			listen[nlisten++] = optarg;
			break;
		case 'm':
			mode = (int)number(optarg, 0, 0777, 8);
			break;
		case 'n':
			name = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 's':
			store = optarg;
			break;
		case 'T':
			testmode = 1;
			break;
		case 't':
			srv.idle = (int)number(optarg, 0, INT_MAX, 10);
			break;
		case OPT_INET:
		case OPT_UNIX:
			if (nlisten == MXG_POLICY_LISTEN_MAX)
				usage();
			snprintf(spec[nlisten], sizeof(spec[nlisten]), "%s:%s",
			    ch == OPT_INET ? "inet" : "unix", optarg);
			listen[nlisten] = spec[nlisten];
			nlisten++;
			break;
		case 'u':
			user = optarg;
			break;
		case 'V':
			printf("mxgrey-policyd %s\n", PACKAGE_VERSION);
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
	if (nlisten == 0)
		listen[nlisten++] = DEFAULT_LISTEN;
	lg.use_syslog = !foreground && !testmode;
	mxg_daemon_log_open(&lg);
	if (gethostname(host_name, sizeof(host_name)) == -1)
		snprintf(host_name, sizeof(host_name), "localhost");
	host_name[sizeof(host_name) - 1] = '\0';
	srv.opts.hostname = name != NULL ? name : host_name;

	/*
	 * Relative paths as the shell that started us meant them: detaching
	 * changes to /, and -D must not change which files are used (the
	 * rules file is read again on SIGHUP). -T stays where it is.
	 */
	if (!testmode) {
		if (mxg_daemon_absolute(&lg, &rules, mxg_daemon_abspath, owned,
		        &nowned) == -1 ||
		    mxg_daemon_absolute(&lg, &store, mxg_daemon_abspath, owned,
		        &nowned) == -1 ||
		    mxg_daemon_absolute(&lg, &pidfile, mxg_daemon_abspath,
		        owned, &nowned) == -1)
			goto fail;
		for (i = 0; i < nlisten; i++)
			if (mxg_daemon_absolute(&lg, &listen[i],
			        mxg_daemon_abssocket, owned, &nowned) == -1)
				goto fail;
	}

	/* The rules file's `user` unless -u says otherwise. */
	if (user == NULL && (rs = mxg_daemon_rules(rules)) != NULL)
		user = mxg_rules_config(rs)->user;
	if (user != NULL && mxg_daemon_lookup(user, &uid, &gid) == -1) {
		mxg_daemon_logf(&lg, MXG_LOG_ERR, "%s: no such user", user);
		goto fail;
	}

	memset(&host, 0, sizeof(host));
	host.api_version = MXGREY_API_VERSION;
	host.log = mxg_daemon_log;
	host.log_ctx = &lg;
	rc = mxg_open(&srv.engine, rules, store, &host);
	if (srv.engine == NULL) {
		mxg_daemon_logf(&lg, MXG_LOG_ERR, "cannot start the engine: %s",
		    mxg_strerror(rc));
		goto fail;
	}
	if (rc != MXG_OK)
		mxg_daemon_logf(&lg, MXG_LOG_ERR,
		    "%s: %s; answering with the failure action until a "
		    "reload succeeds",
		    rules, mxg_strerror(rc));

	if (testmode) {
		srv.test_clock = 1;
		status =
		    mxg_policy_stdio(&srv, STDIN_FILENO, STDOUT_FILENO) == 0
		    ? 0
		    : 1;
		goto fail;
	}
	if (mxg_daemon_pidfile_check(&lg, pidfile) == -1)
		goto fail;
	for (i = 0; i < nlisten; i++) {
		srv.lfd[i] =
		    mxg_listen(listen[i], mode, uid, gid, err, sizeof(err));
		if (srv.lfd[i] == -1) {
			mxg_daemon_logf(&lg, MXG_LOG_ERR, "%s", err);
			goto fail;
		}
		srv.nlisten++;
	}
	if (mxg_daemon_become(&lg, foreground, pidfile, user) == -1)
		goto fail;
	mxg_daemon_logf(
	    &lg, MXG_LOG_NOTICE, "mxgrey-policyd %s ready", PACKAGE_VERSION);
	if (mxg_policy_serve(&srv) == 0)
		status = 0;
	mxg_daemon_logf(&lg, MXG_LOG_NOTICE,
	    "stopping: %lu requests, %lu malformed", srv.requests, srv.errors);
fail:
	for (i = 0; i < srv.nlisten; i++)
		close(srv.lfd[i]);
	mxg_daemon_pidfile_remove(&lg, pidfile);
	mxg_close(srv.engine);
	mxg_rules_free(rs);
	for (i = 0; i < nowned; i++)
		free(owned[i]);
	return status;
}
