/*
 * mxg_import.h: milter-greylist dump files, line by line, as store
 * entries (for mxg_import_dump() in mxgrey.h and its fuzz target).
 */
#ifndef MXG_IMPORT_H
#define MXG_IMPORT_H

#include <stddef.h>
#include <time.h>

#include "mxg_store.h"

/* What a dump line becomes: the masks and lifetimes of the rules. */
struct mxg_import_params {
	int subnetmatch;  /* v4 prefix length */
	int subnetmatch6; /* v6 prefix length */
	long timeout;     /* pending record lifetime */
	time_t now;       /* the import time */
};

/*
 * mxg_import_line: parse one line of a milter-greylist dump (len bytes,
 * no newline needed, need not be NUL-terminated): "IP <sender> <rcpt>
 * TIME [AUTO|TARPIT] [# comment]", tab or space separated. A pending
 * tuple (no AUTO) waits until TIME; an AUTO line is an autowhite entry
 * ending at TIME ("<>" "<>" AUTO: a per-IP entry). Returns 1 with *en
 * filled, 0 for a blank or comment line or an entry already over at
 * p->now, -1 for a malformed line.
 */
int mxg_import_line(const char *line, size_t len,
    const struct mxg_import_params *p, struct mxg_store_entry *en);

#endif
