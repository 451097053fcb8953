/*
 * mxg_exim.h: the Exim shim's own interface, in plain C (no Exim types):
 * the ${dlfunc} argument parser, the result-string formatter, the engine
 * kept per Exim process, and the whole RCPT decision. mxgrey_exim.c is
 * the only file that includes Exim's local_scan.h and calls these.
 */
#ifndef MXG_EXIM_H
#define MXG_EXIM_H

#include <stddef.h>
#include <time.h>

#include "mxgrey.h"

#define MXG_EXIM_FIXED      4    /* host, helo, sender, recipient */
#define MXG_EXIM_ARG_MAX    1024 /* longest fixed argument, bytes */
#define MXG_EXIM_OPT_MAX    4096 /* longest key=value argument, bytes */
#define MXG_EXIM_MACROS     8    /* macro:NAME=value arguments kept */
#define MXG_EXIM_NAME_MAX   64   /* longest macro NAME */
#define MXG_EXIM_RESULT_MAX 3072 /* longest result string, with NUL */

/* One ${dlfunc} call, parsed. Strings point into argv or into names. */
struct mxg_exim_args {
	struct mxg_request req;
	const char *config; /* config=: rules file; NULL: default */
	const char *store;  /* store=: store spec; NULL: the rules' */
	struct mxg_macro macros[MXG_EXIM_MACROS];
	char names[MXG_EXIM_MACROS][MXG_EXIM_NAME_MAX];
};

/*
 * mxg_exim_args_parse: parse argc/argv of a ${dlfunc} call: arguments
 * 1-4 are client address, HELO name, envelope sender, recipient; later
 * ones are key=value with key config, store, hostname, auth, tls,
 * rcpt_count, queue_id, local_name or macro:NAME. Empty HELO and sender
 * (the null sender) are fine; an empty client address or recipient is
 * not. Returns MXG_OK and fills *a (pointing into argv, which must
 * outlive *a); or MXG_EINVAL with a one-line reason in err (errlen bytes,
 * always NUL-terminated) and *a undefined. Does not allocate.
 */
int mxg_exim_args_parse(struct mxg_exim_args *a, int argc, char *const argv[],
    char *err, size_t errlen);

/*
 * mxg_exim_result_format: write the result string for v into buf (size
 * bytes, always NUL-terminated when size > 0): "accept",
 * "defer CODE ECODE TEXT" or "reject CODE ECODE TEXT", then a tab and
 * "remaining=N reason=R rule=L"; after accept "reason=R rule=L
 * delayed=N" and, when the deciding rule has an addheader line,
 * ` header="Name: value"`. The code always matches the verb (4xx for
 * defer, 5xx for reject), the enhanced code is never empty, and the
 * text holds no control characters. A quoted value has '"' and '\'
 * backslash-escaped (Exim's ${extract{header}{...}} gives it back as
 * it was) and is left out whole when it does not fit. Returns the
 * length written.
 */
size_t mxg_exim_result_format(
    const struct mxg_verdict *v, char *buf, size_t size);

/*
 * mxg_exim_result_xgreylist: after mxg_exim_result_format, append
 * ` xgreylist="VALUE"` to the result string in buf (size bytes) when v
 * is an accept the rules' `report` wants an X-Greylist header on:
 * mxg_xgreylist_verdict()'s value for host, ip and now, quoted as
 * above (left out whole when it does not fit). Returns the new length.
 */
size_t mxg_exim_result_xgreylist(const struct mxg_verdict *v, const char *host,
    const char *ip, time_t now, char *buf, size_t size);

/*
 * mxg_exim_result_error: the result string for a call that could not be
 * decided at all (bad arguments, no engine): "defer 451 4.3.5 mxgrey:
 * WHY" then a tab and "reason=error". Same buffer rules as above.
 */
size_t mxg_exim_result_error(const char *why, char *buf, size_t size);

/*
 * mxg_exim_engine_get: the engine of this process for (rules, store),
 * either NULL for the defaults. Opens it on first use with host (which
 * must stay valid for the life of the process) and keeps it; a few
 * different pairs are kept side by side, the oldest closed when full.
 * Returns the engine (*err MXG_OK, or MXG_ERULES/MXG_EIO for an engine
 * that answers the failure action), or NULL with *err set; the caller
 * logs.
 */
struct mxg_engine *mxg_exim_engine_get(const char *rules, const char *store,
    const struct mxg_host *host, int *err);

/*
 * mxg_exim_good_path: the last good copy of the rules file rules (NULL:
 * the default) for store (NULL: the default store) into buf:
 * "STORE.rules-good.HASH", HASH naming the rules file. Returns 0, or -1
 * when the store is no file (memory:, redis://) or buf is too small.
 */
int mxg_exim_good_path(
    const char *store, const char *rules, char *buf, size_t size);

/*
 * mxg_exim_good_refresh: the rules file at rules has just loaded without
 * error; if the copy at good differs from it (size, then bytes), copy
 * rules to a private file, check that copy parses, and rename it over
 * good. Quiet
 * on failure (a missing copy only weakens the fallback). Blocks on file
 * I/O only.
 */
void mxg_exim_good_refresh(
    const char *rules, const char *good, const struct mxg_host *host);

/* mxg_exim_engine_close_all: close every kept engine (tests, unload). */
void mxg_exim_engine_close_all(void);

/*
 * mxg_exim_rcpt: the whole ${dlfunc}{...}{mxgrey_rcpt} call without Exim
 * types: parse argv, decide with this process's engine, write the result
 * string into out (outlen bytes, MXG_EXIM_RESULT_MAX is enough). local_ip
 * (NULL: none) gives the address the client connected to
 * ($received_ip_address), named in the X-Greylist header as
 * milter-greylist names {if_addr}; it is called only when that header is
 * made (NULL or "": 0.0.0.0). Never fails: every problem becomes a result
 * string and a log line through host. May block as long as mxg_check()
 * does.
 */
void mxg_exim_rcpt(int argc, char *const argv[], const struct mxg_host *host,
    const char *(*local_ip)(void), char *out, size_t outlen);

/*
 * mxg_exim_host: the struct mxg_host of this process, logging through
 * Exim's log_write(). Defined in mxgrey_exim.c (the one file that sees
 * Exim's API); valid for the life of the process.
 */
const struct mxg_host *mxg_exim_host(void);

#endif
