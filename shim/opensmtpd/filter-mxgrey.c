/*
 * filter-mxgrey: OpenSMTPD filter (smtpd-filters protocol 0.5 to 0.7)
 * that greylists at RCPT TO with libmxgrey. smtpd runs it with
 *	filter "mxgrey" proc-exec "/usr/libexec/mxgrey/filter-mxgrey -f FILE"
 * One process serves every session; SIGHUP reloads the rules.
 *
 * It never exits on bad input: smtpd stops when its filter does. It ends
 * when smtpd closes the pipe, on SIGTERM/SIGINT, or when it cannot even
 * start (bad options, out of memory).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mxg_rules.h"
#include "mxgrey.h"
#include "smtpd_filter.h"
#include "smtpd_loop.h"

#ifndef MXG_SYSCONFDIR
#define MXG_SYSCONFDIR "/etc"
#endif
#define DEFAULT_RULES MXG_SYSCONFDIR "/mxgrey/mxgrey.conf"

/* A check waiting for its lookups. */
struct pend {
	struct mxg_pending *p;
	struct smtpd_query *q;
	struct pend *next;
};

struct filter_main {
	struct mxg_engine *engine; /* NULL: answer every rcpt 451 */
	struct pend *pending;      /* checks waiting for DNS */
	struct smtpd_filter *filter;
	struct smtpd_loop *loop;
	const char *rules;
	int maxlevel; /* log lines up to this level */
};

static const char *
level_name(int level)
{
	switch (level) {
	case MXG_LOG_ERR:
		return "error";
	case MXG_LOG_WARNING:
		return "warning";
	case MXG_LOG_NOTICE:
		return "notice";
	case MXG_LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

/* stderr is what smtpd logs, one line per write, prefixed by its name */
static void
log_line(void *ctx, int level, const char *msg)
{
	struct filter_main *fm = ctx;

	if (level > fm->maxlevel)
		return;
	(void)fprintf(stderr, "%s: %s\n", level_name(level), msg);
}

static void
write_line(void *ctx, const char *line, size_t len)
{
	struct filter_main *fm = ctx;

	smtpd_loop_write(fm->loop, line, len);
}

static void
unavailable(struct mxg_verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->action = MXG_TEMPFAIL;
	v->reason = MXG_R_FAILURE;
	v->code = 451;
	(void)snprintf(v->ecode, sizeof(v->ecode), "4.3.0");
	(void)snprintf(v->text, sizeof(v->text),
	    "Greylisting unavailable, please try again later");
}

/*
 * A recipient: decided at once, or, when the rules need DNS answers,
 * started and finished from the event loop (events()), so that a slow
 * lookup holds up its own session only.
 */
static void
check(void *ctx, struct smtpd_query *q)
{
	struct filter_main *fm = ctx;
	struct mxg_pending *p = NULL;
	struct mxg_verdict v;
	struct pend *pd;
	int err;

	if (fm->engine == NULL) {
		unavailable(&v);
		smtpd_filter_done(q, MXG_EINVAL, &v);
		return;
	}
	err = mxg_check_start(fm->engine, &q->req, &p, &v);
	if (err == MXG_EAGAIN) {
		if ((pd = calloc(1, sizeof(*pd))) == NULL) {
			mxg_check_cancel(p);
			unavailable(&v);
			smtpd_filter_done(q, MXG_ENOMEM, &v);
			return;
		}
		pd->p = p;
		pd->q = q;
		pd->next = fm->pending;
		fm->pending = pd;
		return;
	}
	smtpd_filter_done(q, err, &v);
}

static int
loop_fds(void *ctx, struct pollfd *fds, int max, int *timeout_ms)
{
	struct filter_main *fm = ctx;

	*timeout_ms = -1;
	if (fm->engine == NULL || fm->pending == NULL)
		return 0;
	return mxg_poll_fds(fm->engine, fds, max, timeout_ms);
}

/* Hand poll's answer to the engine; answer every check now decided. */
static void
loop_events(void *ctx, const struct pollfd *fds, int n)
{
	struct filter_main *fm = ctx;
	struct pend **pp, *pd;
	struct mxg_verdict v;
	int err;

	if (fm->engine == NULL || fm->pending == NULL)
		return;
	mxg_poll_process(fm->engine, fds, n);
	for (pp = &fm->pending; (pd = *pp) != NULL;) {
		if ((err = mxg_check_finish(pd->p, &v)) == MXG_EAGAIN) {
			pp = &pd->next;
			continue;
		}
		*pp = pd->next;
		smtpd_filter_done(pd->q, err, &v);
		free(pd);
	}
}

/* End of DATA, for dacl rules: the engine has only a blocking call. */
static void
check_data(void *ctx, struct smtpd_query *q)
{
	struct filter_main *fm = ctx;
	struct mxg_verdict v;
	int err;

	if (fm->engine != NULL)
		err = mxg_check_data(fm->engine, &q->req, &q->msg, &v);
	else {
		memset(&v, 0, sizeof(v));
		v.action = MXG_ACCEPT;
		v.code = 250;
		err = MXG_OK;
	}
	smtpd_filter_done(q, err, &v);
}

static void
on_line(void *ctx, char *line, size_t len)
{
	struct filter_main *fm = ctx;

	smtpd_filter_line(fm->filter, line, len);
}

/*
 * A filter answers RCPT TO with proceed or reject and never edits the
 * message: a rule's addheader line and its report text (the X-Greylist
 * header) cannot be honoured. Say so once per load of the rules, with
 * the first rule concerned, rather than drop them silently.
 */
static void
warn_headers(struct filter_main *fm)
{
	struct mxg_log quiet = { NULL, NULL };
	struct mxg_ruleset *rs;
	const char *what = NULL;
	char line[512];
	unsigned at;
	int err;

	if ((rs = mxg_rules_load(fm->rules, &quiet, &err)) == NULL)
		return; /* the engine has logged why */
	if ((at = mxg_rules_header_rule(rs, &what)) != 0) {
		(void)snprintf(line, sizeof(line),
		    "%s:%u: %s is not supported by filter-mxgrey (it cannot "
		    "add headers to the message): no rule's addheader line "
		    "or report header is added",
		    fm->rules, at, what);
		log_line(fm, MXG_LOG_WARNING, line);
	}
	mxg_rules_free(rs);
}

/* The engine logs the outcome, with every error's location. */
static void
on_hup(void *ctx)
{
	struct filter_main *fm = ctx;

	if (fm->engine == NULL) {
		log_line(fm, MXG_LOG_WARNING, "SIGHUP: no engine to reload");
		return;
	}
	log_line(fm, MXG_LOG_NOTICE, "SIGHUP: reloading rules");
	if (mxg_reload(fm->engine) != MXG_OK)
		return;
	warn_headers(fm);
	if (mxg_has_data_rules(fm->engine) &&
	    !smtpd_filter_wants_data(fm->filter))
		log_line(fm, MXG_LOG_WARNING,
		    "the rules now have dacl rules: restart smtpd so that "
		    "filter-mxgrey sees messages");
}

static void
usage(void)
{
	(void)fprintf(stderr,
	    "usage: filter-mxgrey [-Vv] [-f rules] [-P pidfile] [-s store]\n");
}

/*
 * main: parse options, open the engine (a broken rules file still gives
 * an engine that answers with the failure action), serve smtpd.
 */
int
main(int argc, char *argv[])
{
	struct filter_main fm;
	struct smtpd_ops ops;
	struct smtpd_loop_ops lops;
	struct mxg_host host;
	const char *store = NULL, *pidfile = NULL;
	FILE *pf;
	int c, err, rc = 1;

	memset(&fm, 0, sizeof(fm));
	fm.rules = DEFAULT_RULES;
	fm.maxlevel = MXG_LOG_INFO;
	while ((c = getopt(argc, argv, "f:hP:s:Vv")) != -1) {
		switch (c) {
		case 'f':
			fm.rules = optarg;
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'V':
			(void)printf("filter-mxgrey %s (smtpd-filters 0.4-0.7, "
			             "libmxgrey API %u)\n",
			    PACKAGE_VERSION, mxg_api_version());
			return 0;
		case 's':
			store = optarg;
			break;
		case 'v':
			fm.maxlevel = MXG_LOG_DEBUG;
			break;
		case 'h':
		default:
			usage();
			return c == 'h' ? 0 : 1;
		}
	}
	if (optind != argc) {
		usage();
		return 1;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);

	memset(&host, 0, sizeof(host));
	host.api_version = MXGREY_API_VERSION;
	host.log = log_line;
	host.log_ctx = &fm;
	err = mxg_open(&fm.engine, fm.rules, store, &host);
	if (err != MXG_OK)
		(void)fprintf(stderr, "error: %s: %s%s\n", fm.rules,
		    mxg_strerror(err),
		    fm.engine != NULL ? "; answering with the failure action"
		                      : "; every recipient gets 451");

	memset(&ops, 0, sizeof(ops));
	ops.check = check;
	ops.check_data = check_data;
	ops.write = write_line;
	ops.log = log_line;
	ops.ctx = &fm;
	memset(&lops, 0, sizeof(lops));
	lops.line = on_line;
	lops.hup = on_hup;
	lops.log = log_line;
	lops.fds = loop_fds;
	lops.events = loop_events;
	lops.ctx = &fm;
	if ((fm.filter = smtpd_filter_new(&ops)) == NULL ||
	    (fm.loop = smtpd_loop_new(STDIN_FILENO, STDOUT_FILENO, &lops)) ==
	        NULL) {
		(void)fprintf(
		    stderr, "error: cannot start: %s\n", strerror(errno));
		goto done;
	}
	if (err == MXG_OK)
		warn_headers(&fm);
	/* messages are asked for at the handshake: only if needed */
	if (fm.engine != NULL && mxg_has_data_rules(fm.engine)) {
		smtpd_filter_want_data(fm.filter, 1);
		log_line(&fm, MXG_LOG_NOTICE,
		    "dacl rules: messages are checked at end of DATA");
	}
	if (pidfile != NULL) {
		if ((pf = fopen(pidfile, "w")) == NULL) {
			(void)fprintf(stderr, "warning: %s: %s\n", pidfile,
			    strerror(errno));
		} else {
			(void)fprintf(pf, "%ld\n", (long)getpid());
			(void)fclose(pf);
		}
	}
	rc = smtpd_loop_run(fm.loop) == 0 ? 0 : 1;
done:
	while (fm.pending != NULL) {
		struct pend *pd = fm.pending;

		fm.pending = pd->next;
		mxg_check_cancel(pd->p);
		free(pd->q);
		free(pd);
	}
	if (pidfile != NULL)
		(void)unlink(pidfile);
	smtpd_loop_free(fm.loop);
	smtpd_filter_free(fm.filter);
	mxg_close(fm.engine);
	return rc;
}
