/*
 * mxgrey_exim.c: the ${dlfunc} entry point Exim calls at RCPT time, and
 * the bridge from the engine's log callback to Exim's log_write(). The
 * only shim file besides mxgrey_local_scan.c that sees Exim's API.
 *
 *   warn set acl_m_grey = ${dlfunc{/usr/lib/mxgrey/mxgrey_exim.so}\
 *       {mxgrey_rcpt}{$sender_host_address}{$sender_helo_name}\
 *       {$sender_address}{$local_part@$domain}{config=/etc/mxgrey.conf}}
 */
#define DLFUNC_IMPL
#include <local_scan.h>

#include "mxg_exim.h"

#define MXG_EXIM_PUBLIC __attribute__((visibility("default")))

/*
 * ${dlfunc} passes at most 8 arguments. Exim 4.96 counts them by looking
 * for a NULL after the last one, and with all 8 slots used there is
 * none: argc comes out as 16 with garbage pointers after argv[7]
 * (seen with Debian's 4.96-15+deb12u10). Nothing past 8 is real.
 */
#define EXIM_DLFUNC_MAX_ARGS 8

int mxgrey_rcpt(uschar **yield, int argc, uschar *argv[]) MXG_EXIM_PUBLIC;
int mxgrey_preload(uschar **yield, int argc, uschar *argv[]) MXG_EXIM_PUBLIC;

/* Engine log lines go to Exim's main log; errors also to its panic log. */
static void
exim_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	log_write(0, level <= MXG_LOG_ERR ? LOG_MAIN | LOG_PANIC : LOG_MAIN,
	    "%s", msg);
}

/* Exim forks a child per connection, which decides a few RCPTs and exits */
static const struct mxg_host host = {
	.api_version = MXGREY_API_VERSION,
	.log = exim_log,
	.flags = MXG_HOST_SHORT_LIVED,
};

const struct mxg_host *
mxg_exim_host(void)
{
	return &host;
}

/*
 * mxgrey_rcpt: ${dlfunc} entry. Always returns OK with a result string in
 * *yield ("accept", "defer CODE ECODE TEXT", "reject CODE ECODE TEXT",
 * then a tab and details): Exim 4.96 turns DEFER/ERROR into a generic 451
 * with a panic-log line and treats FAIL_FORCED as true in `condition`.
 * The string is in Exim's store, freed with the expansion.
 */
/* $received_ip_address, for the X-Greylist header; NULL when unknown */
static const char *
received_ip(void)
{
	char var[] = "$received_ip_address"; /* expand_string() writes */

	return (const char *)expand_string((uschar *)var);
}

int
mxgrey_rcpt(uschar **yield, int argc, uschar *argv[])
{
	char out[MXG_EXIM_RESULT_MAX];

	if (argc > EXIM_DLFUNC_MAX_ARGS)
		argc = EXIM_DLFUNC_MAX_ARGS;
	mxg_exim_rcpt(
	    argc, (char *const *)argv, &host, received_ip, out, sizeof(out));
	*yield = string_copy((const uschar *)out);
	return OK;
}

/*
 * mxgrey_preload: ${dlfunc} entry that does nothing but return its first
 * argument (default "0"). Used as
 *   smtp_accept_max_per_host = ${dlfunc{.../mxgrey_exim.so}{mxgrey_preload}}
 * which Exim expands in the listening daemon, before it forks: the
 * daemon then dlopens this object once, and every connection's child
 * inherits it already loaded and relocated instead of loading it again.
 * No engine is opened here; that still happens in each child.
 */
int
mxgrey_preload(uschar **yield, int argc, uschar *argv[])
{
	*yield = argc > 0 && argv[0] != NULL ? argv[0] : US "0";
	return OK;
}
