/*
 * mxg_exim_rcpt.c: one ${dlfunc{...}{mxgrey_rcpt}...} call from start to
 * result string: arguments, this process's engine, mxg_check(), format.
 * Every failure still yields a result string: the caller (Exim) must
 * always get OK and a string an ACL can act on.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mxg_exim.h"

static void say(const struct mxg_host *host, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Log one line through the host's callback, if it has one. */
static void
say(const struct mxg_host *host, int level, const char *fmt, ...)
{
	char line[MXG_EXIM_RESULT_MAX];
	va_list ap;

	if (host == NULL || host->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	host->log(host->log_ctx, level, line);
}

void
mxg_exim_rcpt(int argc, char *const argv[], const struct mxg_host *host,
    const char *(*local_ip)(void), char *out, size_t outlen)
{
	struct mxg_exim_args a;
	struct mxg_verdict v;
	struct mxg_engine *e;
	const char *name, *ip;
	char why[256];
	int rc;

	if (mxg_exim_args_parse(&a, argc, argv, why, sizeof(why)) != MXG_OK) {
		say(host, MXG_LOG_ERR, "mxgrey: bad ${dlfunc} arguments: %s",
		    why);
		mxg_exim_result_error(why, out, outlen);
		return;
	}
	if ((e = mxg_exim_engine_get(a.config, a.store, host, &rc)) == NULL) {
		snprintf(why, sizeof(why),
		    "cannot open engine (rules %.100s): %s",
		    a.config != NULL ? a.config : "default", mxg_strerror(rc));
		say(host, MXG_LOG_ERR, "mxgrey: %s", why);
		mxg_exim_result_error(why, out, outlen);
		return;
	}
	rc = mxg_check(e, &a.req, &v); /* fills v whatever it returns */
	if (rc != MXG_OK)
		say(host, MXG_LOG_WARNING,
		    "mxgrey: no decision for [%.60s] <%.200s> -> <%.200s>: %s; "
		    "failure action %s",
		    a.req.client_addr, a.req.sender, a.req.rcpt,
		    mxg_strerror(rc), mxg_action_name(v.action));
	mxg_exim_result_format(&v, out, outlen);
	if (v.xgreylist) {
		/* the X-Greylist host: local_name=, else as Exim's default
		   primary_hostname, the system's name */
		name = a.req.local_name;
		if ((name == NULL || *name == '\0') &&
		    gethostname(why, sizeof(why)) == 0) {
			why[sizeof(why) - 1] = '\0';
			name = why;
		}
		ip = local_ip != NULL ? local_ip() : NULL;
		mxg_exim_result_xgreylist(&v, name,
		    ip != NULL && *ip != '\0' ? ip : "0.0.0.0", time(NULL), out,
		    outlen);
	}
}
