/*
 * mxg_exim_args.c: turn the arguments of ${dlfunc{...}{mxgrey_rcpt}...}
 * into a struct mxg_request. Exim hands every argument as a C string it
 * owns; nothing here allocates or writes to them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mxg_exim.h"

static const char *const fixed_names[MXG_EXIM_FIXED] = { "client address",
	"HELO name", "sender", "recipient" };

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write the reason into err; return MXG_EINVAL. */
static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return MXG_EINVAL;
}

/* Is s longer than max bytes? Looks at no more than max + 1 bytes. */
static int
too_long(const char *s, size_t max)
{
	return memchr(s, '\0', max + 1) == NULL;
}

/* "", "0", "no", "false", "off" (any case) are false; the rest true. */
static int
truth(const char *v)
{
	static const char *const no[] = { "", "0", "no", "false", "off" };
	size_t i;

	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	return 1;
}

/* NULL for "", else v: Exim gives "" for an unset variable. */
static const char *
opt(const char *v)
{
	return *v == '\0' ? NULL : v;
}

static int
option(
    struct mxg_exim_args *a, int n, const char *arg, char *err, size_t errlen)
{
	const char *eq, *v;
	size_t klen, nlen;
	char *end;
	unsigned long u;

	if ((eq = strchr(arg, '=')) == NULL)
		return fail(
		    err, errlen, "argument %d is not key=value: %.40s", n, arg);
	klen = (size_t)(eq - arg);
	v = eq + 1;
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(arg, k, klen) == 0)
	if (KEY("config"))
		a->config = opt(v);
	else if (KEY("store"))
		a->store = opt(v);
	else if (KEY("hostname"))
		a->req.client_name = opt(v);
	else if (KEY("auth"))
		a->req.auth_id = opt(v);
	else if (KEY("tls"))
		a->req.tls = truth(v);
	else if (KEY("queue_id"))
		a->req.queue_id = opt(v);
	else if (KEY("local_name"))
		a->req.local_name = opt(v);
	else if (KEY("rcpt_count")) {
		u = strtoul(v, &end, 10);
		if (*v < '0' || *v > '9' || *end != '\0' || u > 100000)
			return fail(err, errlen,
			    "argument %d: rcpt_count is not a count: %.40s", n,
			    v);
		a->req.rcpt_count = (unsigned)u;
	} else if (klen > 6 && memcmp(arg, "macro:", 6) == 0) {
		nlen = klen - 6;
		if (nlen >= MXG_EXIM_NAME_MAX)
			return fail(err, errlen,
			    "argument %d: macro name too long: %.40s", n,
			    arg + 6);
		if (a->req.nmacros >= MXG_EXIM_MACROS)
			return fail(err, errlen,
			    "argument %d: too many macros: %.40s", n, arg);
		memcpy(a->names[a->req.nmacros], arg + 6, nlen);
		a->names[a->req.nmacros][nlen] = '\0';
		a->macros[a->req.nmacros].name = a->names[a->req.nmacros];
		a->macros[a->req.nmacros].value = v;
		a->req.nmacros++;
	} else
		return fail(err, errlen,
		    "argument %d: unknown key: %.40s (config, store, hostname, "
		    "auth, tls, rcpt_count, queue_id, local_name, macro:NAME)",
		    n, arg);
#undef KEY
	return MXG_OK;
}

int
mxg_exim_args_parse(struct mxg_exim_args *a, int argc, char *const argv[],
    char *err, size_t errlen)
{
	const char *f[MXG_EXIM_FIXED];
	int i, rc;

	if (errlen > 0)
		err[0] = '\0';
	memset(a, 0, sizeof(*a));
	if (argc < 0 || (argc > 0 && argv == NULL))
		return fail(err, errlen, "bad argument vector (%d)", argc);
	for (i = 0; i < MXG_EXIM_FIXED; i++) {
		if (i >= argc || argv[i] == NULL)
			return fail(err, errlen, "argument %d (%s) is missing",
			    i + 1, fixed_names[i]);
		if (too_long(argv[i], MXG_EXIM_ARG_MAX))
			return fail(err, errlen, "argument %d (%s) is too long",
			    i + 1, fixed_names[i]);
		f[i] = argv[i];
	}
	if (*f[0] == '\0')
		return fail(err, errlen, "argument %d (%s) is empty", 1,
		    fixed_names[0]);
	if (*f[3] == '\0')
		return fail(err, errlen, "argument %d (%s) is empty", 4,
		    fixed_names[3]);
	a->req.client_addr = f[0];
	a->req.helo = opt(f[1]);
	a->req.sender = f[2];
	a->req.rcpt = f[3];
	for (i = MXG_EXIM_FIXED; i < argc; i++) {
		if (argv[i] == NULL)
			return fail(
			    err, errlen, "argument %d is missing", i + 1);
		if (too_long(argv[i], MXG_EXIM_OPT_MAX))
			return fail(
			    err, errlen, "argument %d is too long", i + 1);
		if ((rc = option(a, i + 1, argv[i], err, errlen)) != MXG_OK)
			return rc;
	}
	a->req.macros = a->req.nmacros > 0 ? a->macros : NULL;
	return MXG_OK;
}
