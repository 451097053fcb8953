/*
 * mxgreyctl: test a rules file, decide or explain one tuple, and look
 * after the store (dump, purge, stats, reload) from the shell.
 *
 * mxgreyctl [-v] [-f RULES] [-s STORE] COMMAND [options]
 * Exit: 0 ok / any decision, 1 rules invalid (test), 2 error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxg_engine.h" /* mxg_admin_existing_store: linked statically */
#include "mxg_paths.h"
#include "mxgrey.h"

struct ctl {
	const char *rules;
	const char *store;
	int verbose;
	int test_mode;          /* `test`: only the rules file's messages */
	unsigned long nerr;     /* test: errors reported */
	unsigned long nwarn;    /* test: warnings reported */
	unsigned long nerr_all; /* test: the parser's count past its limit */
};

/*
 * The engine's log on stderr. For `test`, only the messages located in
 * the rules file ("file:line:col: ..." or "file: ..."), counted: the
 * engine's own line on what an MTA host does with a broken file
 * (answering the failure action) is wrong for a check.
 */
/*
 * Is msg "file:line:col: text"? Then *at is where text starts, for a
 * "warning: " label (errors carry none, as compilers print them).
 */
static int
warning_at(const char *msg, int *at)
{
	const char *p = msg;
	unsigned long line, col;
	int n = 0;

	while ((p = strchr(p, ':')) != NULL) {
		n = 0;
		if (sscanf(p, ":%lu:%lu: %n", &line, &col, &n) == 2 && n > 0) {
			*at = (int)(p - msg) + n;
			return 1;
		}
		p++;
	}
	return 0;
}

static void
log_stderr(void *ctx, int level, const char *msg)
{
	struct ctl *c = ctx;
	unsigned long n;
	size_t len;
	int end;

	if (c->test_mode) {
		len = strlen(c->rules);
		if (strncmp(msg, c->rules, len) != 0 || msg[len] != ':')
			return;
		end = 0;
		(void)sscanf(
		    msg + len, ": %lu errors (only the first%n", &n, &end);
		if (end > 0) {
			c->nerr_all = n;
			return;
		}
		if (level <= MXG_LOG_ERR)
			c->nerr++;
		else if (level == MXG_LOG_WARNING)
			c->nwarn++;
	}
	if (level > MXG_LOG_WARNING && !c->verbose)
		return;
	if (level == MXG_LOG_WARNING && warning_at(msg, &end)) {
		fprintf(stderr, "%.*swarning: %s\n", end, msg, msg + end);
		return;
	}
	fprintf(stderr, "%s\n", msg);
}

static void
print_line(void *ctx, const char *line)
{
	FILE *f = ctx;

	fprintf(f, "%s\n", line);
}

/* Every command, one line each: `mxgreyctl --help` and usage errors. */
static void
print_usage(FILE *f)
{
	fprintf(f,
	    "usage: mxgreyctl [-v] [-f rules] [-s store] command [options]\n"
	    "       mxgreyctl -h | --help | help\n"
	    "commands:\n"
	    "  test                      check the rules file: every error "
	    "as file:line:col\n"
	    "  check --ip IP --from ADDR --rcpt ADDR [--helo NAME]\n"
	    "        [--hostname NAME] [--auth ID] [--tls] [--now EPOCH]\n"
	    "                            decide one tuple as an MTA would "
	    "(updates the store)\n"
	    "  explain (options of check) the rule-by-rule trace, store "
	    "untouched\n"
	    "  dump [--now EPOCH]        print live records (milter-greylist "
	    "dump format)\n"
	    "  purge [--now EPOCH]       delete expired records\n"
	    "  stats [--now EPOCH]       count pending, autowhite and expired "
	    "records\n"
	    "  fsck [--repair]           check the store for damage (and "
	    "rebuild it)\n"
	    "  migrate STORE [--now EPOCH]\n"
	    "                            copy live records into STORE (tdb "
	    "path or redis://)\n"
	    "  import-dump FILE [--now EPOCH]\n"
	    "                            load a milter-greylist dump into the "
	    "store\n"
	    "  reload                    make every engine on the store reload "
	    "the rules\n"
	    "  help                      this text\n"
	    "options:\n"
	    "  -f rules  rules file (default " MXG_DEFAULT_RULES ")\n"
	    "  -s store  store (tdb path or redis:// URL) instead of the "
	    "rules' store\n"
	    "  -v        also print informational log lines\n");
}

/* A usage error: the usage on stderr, exit 2. */
static void
usage(void)
{
	print_usage(stderr);
	exit(2);
}

static long long
parse_epoch(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0) {
		fprintf(
		    stderr, "mxgreyctl: --now: not a positive epoch: %s\n", s);
		exit(2);
	}
	return v;
}

enum { O_IP = 1, O_FROM, O_RCPT, O_HELO, O_HOSTNAME, O_AUTH, O_TLS, O_NOW };

static const struct option long_opts[] = {
	{ "ip", required_argument, NULL, O_IP },
	{ "from", required_argument, NULL, O_FROM },
	{ "rcpt", required_argument, NULL, O_RCPT },
	{ "helo", required_argument, NULL, O_HELO },
	{ "hostname", required_argument, NULL, O_HOSTNAME },
	{ "auth", required_argument, NULL, O_AUTH },
	{ "tls", no_argument, NULL, O_TLS },
	{ "now", required_argument, NULL, O_NOW },
	{ NULL, 0, NULL, 0 },
};

/* Parse the command's own options into req; returns the --now value. */
static time_t
parse_request(int argc, char **argv, struct mxg_request *req, int need_tuple)
{
	int ch;

	memset(req, 0, sizeof(*req));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (ch) {
		case O_IP:
			req->client_addr = optarg;
			break;
		case O_FROM:
			req->sender = optarg;
			break;
		case O_RCPT:
			req->rcpt = optarg;
			break;
		case O_HELO:
			req->helo = optarg;
			break;
		case O_HOSTNAME:
			req->client_name = optarg;
			break;
		case O_AUTH:
			req->auth_id = optarg;
			break;
		case O_TLS:
			req->tls = 1;
			break;
		case O_NOW:
			req->now = (time_t)parse_epoch(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (need_tuple &&
	    (req->client_addr == NULL || req->sender == NULL ||
	        req->rcpt == NULL)) {
		fprintf(stderr,
		    "mxgreyctl: --ip, --from and --rcpt are "
		    "required\n");
		exit(2);
	}
	req->rcpt_count = 1;
	return req->now;
}

static int
open_engine(struct ctl *c, struct mxg_engine **ep)
{
	struct mxg_host host = { 0 };
	int rc;

	host.api_version = MXGREY_API_VERSION;
	host.log = log_stderr;
	host.log_ctx = c;
	rc = mxg_open(ep, c->rules, c->store, &host);
	if (rc != MXG_OK && *ep == NULL)
		fprintf(stderr, "mxgreyctl: cannot open engine: %s\n",
		    mxg_strerror(rc));
	return rc;
}

/*
 * Store commands need the rules only for the store's name: with -s they
 * go on even when the rules file is missing or broken.
 */
static int
open_store_engine(struct ctl *c, struct mxg_engine **ep)
{
	int rc = open_engine(c, ep);

	if (c->store != NULL && *ep != NULL &&
	    (rc == MXG_ERULES || rc == MXG_EIO))
		return MXG_OK;
	return rc;
}

/*
 * Commands that only look at the store (or, purging, would find nothing
 * in a new one) never create it: a mistyped -s is "path: no such store"
 * from the engine's log, and exit 2. check, import-dump and reload still
 * create it, as an MTA does on first use.
 */
static int
open_existing_store(struct ctl *c, struct mxg_engine **ep, int need_rules)
{
	int rc = need_rules ? open_engine(c, ep) : open_store_engine(c, ep);

	if (rc != MXG_OK)
		return rc;
	return mxg_admin_existing_store(*ep);
}


static int
cmd_test(struct ctl *c)
{
	struct mxg_engine *e = NULL;
	unsigned long n;
	int rc, opened;

	if (c->rules == NULL)
		c->rules = MXG_DEFAULT_RULES;
	c->test_mode = 1;
	rc = open_engine(c, &e);
	opened = e != NULL;
	mxg_close(e);
	if (rc == MXG_OK) {
		if (c->nwarn > 0)
			printf("%s: ok, %lu warning%s\n", c->rules, c->nwarn,
			    c->nwarn == 1 ? "" : "s");
		else
			printf("%s: ok\n", c->rules);
		return 0;
	}
	if (!opened)
		return 2; /* open_engine said why */
	n = c->nerr_all > c->nerr ? c->nerr_all : c->nerr;
	if (n > 0)
		fprintf(stderr, "%s: %lu error%s, not loaded\n", c->rules, n,
		    n == 1 ? "" : "s");
	else
		fprintf(
		    stderr, "%s: %s, not loaded\n", c->rules, mxg_strerror(rc));
	return rc == MXG_ERULES || rc == MXG_EIO ? 1 : 2;
}

static void
print_verdict(const struct mxg_verdict *v)
{
	printf("%s %d %s %s\n", mxg_action_name(v->action), v->code, v->ecode,
	    v->text);
}

static int
cmd_check(struct ctl *c, int argc, char **argv, int explain)
{
	struct mxg_engine *e = NULL;
	struct mxg_request req;
	struct mxg_verdict v;
	int rc;

	parse_request(argc, argv, &req, 1);
	if ((explain ? open_existing_store(c, &e, 1) : open_engine(c, &e)) !=
	    MXG_OK) {
		mxg_close(e);
		return 2;
	}
	if (explain)
		rc = mxg_explain(e, &req, &v, print_line, stdout);
	else
		rc = mxg_check(e, &req, &v);
	print_verdict(&v);
	if (v.rule_line != 0 && explain)
		printf("decided by rules line %u\n", v.rule_line);
	mxg_close(e);
	if (rc != MXG_OK) {
		fprintf(stderr, "mxgreyctl: %s\n", mxg_strerror(rc));
		return 2;
	}
	return 0;
}

static int
cmd_store(struct ctl *c, const char *cmd, int argc, char **argv)
{
	struct mxg_engine *e = NULL;
	struct mxg_request req;
	struct mxg_stats st;
	unsigned long removed = 0;
	time_t now;
	int rc;

	now = parse_request(argc, argv, &req, 0);
	/* reload: only a rules file that parses is worth reloading */
	if ((strcmp(cmd, "reload") == 0
	            ? open_engine(c, &e)
	            : open_existing_store(c, &e, 0)) != MXG_OK) {
		mxg_close(e);
		return 2;
	}
	if (strcmp(cmd, "dump") == 0) {
		rc = mxg_dump(e, now, print_line, stdout);
	} else if (strcmp(cmd, "purge") == 0) {
		rc = mxg_purge(e, now, &removed);
		if (rc == MXG_OK)
			printf("purged %lu expired records\n", removed);
	} else if (strcmp(cmd, "stats") == 0) {
		rc = mxg_stats(e, now, &st);
		if (rc == MXG_OK)
			printf("pending %lu\nautowhite %lu\nexpired %lu\n"
			       "generation %lu\n",
			    st.pending, st.autowhite, st.expired,
			    st.generation);
	} else {
		rc = mxg_request_reload(e);
		if (rc == MXG_OK)
			printf("reload requested\n");
	}
	mxg_close(e);
	if (rc != MXG_OK) {
		fprintf(stderr, "mxgreyctl: %s: %s\n", cmd, mxg_strerror(rc));
		return 2;
	}
	return 0;
}

static int
cmd_fsck(struct ctl *c, int argc, char **argv)
{
	struct mxg_engine *e = NULL;
	char why[1024];
	int repair = 0, rc;

	if (argc == 2 && strcmp(argv[1], "--repair") == 0)
		repair = 1;
	else if (argc != 1)
		usage();
	if (open_existing_store(c, &e, 0) != MXG_OK) {
		mxg_close(e);
		return 2;
	}
	rc = mxg_fsck(e, repair, why, sizeof(why));
	mxg_close(e);
	if (rc == MXG_OK) {
		printf(
		    "store: clean%s\n", repair ? " (repaired if needed)" : "");
		return 0;
	}
	printf("store: damaged: %s\n", why[0] ? why : mxg_strerror(rc));
	return repair ? 2 : 1;
}

static int
cmd_import(struct ctl *c, int argc, char **argv)
{
	struct mxg_host host = { 0 };
	struct mxg_request req;
	unsigned long imported = 0, skipped = 0;
	time_t now;
	int rc;

	now = parse_request(argc, argv, &req, 0);
	host.api_version = MXGREY_API_VERSION;
	host.log = log_stderr;
	host.log_ctx = c;
	rc = mxg_import_dump(
	    argv[0], c->rules, c->store, &host, now, &imported, &skipped);
	if (rc != MXG_OK) {
		fprintf(stderr, "mxgreyctl: import-dump %s: %s\n", argv[0],
		    mxg_strerror(rc));
		return 2;
	}
	printf("imported %lu records, skipped %lu\n", imported, skipped);
	return 0;
}

static int
cmd_migrate(struct ctl *c, int argc, char **argv)
{
	struct mxg_engine *e = NULL;
	struct mxg_request req;
	unsigned long copied = 0;
	const char *to = argv[0];
	time_t now;
	int rc;

	now = parse_request(argc, argv, &req, 0);
	if (open_existing_store(c, &e, 0) != MXG_OK) {
		mxg_close(e);
		return 2;
	}
	rc = mxg_migrate(e, to, now, &copied);
	mxg_close(e);
	if (rc != MXG_OK) {
		fprintf(stderr, "mxgreyctl: migrate to %s: %s\n", to,
		    mxg_strerror(rc));
		return 2;
	}
	printf("copied %lu records to %s\n", copied, to);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option main_opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { 0 };
	const char *cmd;
	int ch;

	while (
	    (ch = getopt_long(argc, argv, "+f:hs:v", main_opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			print_usage(stdout);
			return 0;
		case 'f':
			c.rules = optarg;
			break;
		case 's':
			c.store = optarg;
			break;
		case 'v':
			c.verbose = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (mxg_api_version() != MXGREY_API_VERSION) {
		fprintf(stderr, "mxgreyctl: library API %u, built for %u\n",
		    mxg_api_version(), MXGREY_API_VERSION);
		return 2;
	}
	cmd = argv[0];
	if (strcmp(cmd, "help") == 0 && argc == 1) {
		print_usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "test") == 0 && argc == 1)
		return cmd_test(&c);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(&c, argc, argv, 0);
	if (strcmp(cmd, "explain") == 0)
		return cmd_check(&c, argc, argv, 1);
	if (strcmp(cmd, "fsck") == 0)
		return cmd_fsck(&c, argc, argv);
	if (strcmp(cmd, "import-dump") == 0 && argc >= 2)
		return cmd_import(&c, argc - 1, argv + 1);
	if (strcmp(cmd, "migrate") == 0 && argc >= 2)
		return cmd_migrate(&c, argc - 1, argv + 1);
	if (strcmp(cmd, "dump") == 0 || strcmp(cmd, "purge") == 0 ||
	    strcmp(cmd, "stats") == 0 || strcmp(cmd, "reload") == 0)
		return cmd_store(&c, cmd, argc, argv);
	usage();
	return 2;
}
