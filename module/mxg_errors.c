/*
 * mxg_errors.c: names for error codes and actions, the API version.
 */
#include "mxg_export.h"
#include "mxgrey.h"

/* mxg_strerror: see mxgrey.h. */
MXG_EXPORT const char *
mxg_strerror(int err)
{
	switch (err) {
	case MXG_OK:
		return "success";
	case MXG_ENOMEM:
		return "out of memory";
	case MXG_EINVAL:
		return "invalid argument";
	case MXG_ERULES:
		return "rules file has errors";
	case MXG_ESTORE:
		return "tuple store unavailable";
	case MXG_EVERSION:
		return "API version mismatch";
	case MXG_EIO:
		return "cannot read file";
	case MXG_EPERM:
		return "unsafe permissions";
	case MXG_ELOOKUP:
		return "lookup could not decide";
	case MXG_EAGAIN:
		return "lookups under way";
	default:
		return "unknown error";
	}
}

/* mxg_action_name: see mxgrey.h. */
MXG_EXPORT const char *
mxg_action_name(enum mxg_action a)
{
	switch (a) {
	case MXG_ACCEPT:
		return "accept";
	case MXG_GREYLIST:
		return "greylist";
	case MXG_REJECT:
		return "reject";
	case MXG_TEMPFAIL:
		return "tempfail";
	}
	return "unknown";
}

/* mxg_reason_name: see mxgrey.h. */
MXG_EXPORT const char *
mxg_reason_name(enum mxg_reason r)
{
	switch (r) {
	case MXG_R_NONE:
		return "none";
	case MXG_R_WHITELIST:
		return "whitelist";
	case MXG_R_BLACKLIST:
		return "blacklist";
	case MXG_R_NEW:
		return "new";
	case MXG_R_EARLY:
		return "early";
	case MXG_R_PASSED:
		return "passed";
	case MXG_R_AUTOWHITE:
		return "autowhite";
	case MXG_R_FAILURE:
		return "failure";
	}
	return "unknown";
}

/* mxg_api_version: see mxgrey.h. */
MXG_EXPORT unsigned
mxg_api_version(void)
{
	return MXGREY_API_VERSION;
}
