/*
 * mxgrey_local_scan.c: Exim's local_scan() entry, for end-of-DATA rules
 * (dacl). Loaded by Debian's exim4 through `local_scan_path =
 * /usr/lib/mxgrey/mxgrey_exim.so` (the localscan_dlopen patch checks the
 * two version functions below), or compiled into Exim with
 * LOCAL_SCAN_SOURCE (see mxgrey_exim(8)).
 *
 * The engine's public API has no end-of-DATA decision yet, so this entry
 * accepts every message and says so once per process in the main log.
 */
#define LOCAL_SCAN
#include <local_scan.h>

#include "mxg_exim.h"

#define MXG_EXIM_PUBLIC __attribute__((visibility("default")))

int local_scan_version_major(void) MXG_EXIM_PUBLIC;
int local_scan_version_minor(void) MXG_EXIM_PUBLIC;
int local_scan(int fd, uschar **return_text) MXG_EXIM_PUBLIC;

/* local_scan_version_major: the ABI Debian's loader checks. */
int
local_scan_version_major(void)
{
	return LOCAL_SCAN_ABI_VERSION_MAJOR;
}

/* local_scan_version_minor: the ABI Debian's loader checks. */
int
local_scan_version_minor(void)
{
	return LOCAL_SCAN_ABI_VERSION_MINOR;
}

/*
 * local_scan: called by Exim once per message at end of DATA, fd open
 * on the spool data file. Returns LOCAL_SCAN_ACCEPT (dacl evaluation
 * needs an engine entry point that does not exist yet).
 */
int
local_scan(int fd, uschar **return_text)
{
	static int told;

	(void)fd;
	(void)return_text;
	if (!told) {
		told = 1;
		log_write(0, LOG_MAIN,
		    "mxgrey: local_scan: end-of-DATA (dacl) rules are not "
		    "evaluated by this build; message accepted");
	}
	return LOCAL_SCAN_ACCEPT;
}
