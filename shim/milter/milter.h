/*
 * milter.h: mxgrey-milter, a libmilter daemon around the mxgrey engine (a
 * drop-in for milter-greylist: same greylist.conf, same X-Greylist
 * header). libmilter runs one thread per SMTP connection; the one engine
 * is used under a mutex.
 */
#ifndef MXG_MILTER_H
#define MXG_MILTER_H

#include <stddef.h>
#include <time.h>

#include "mxgrey.h"

struct mxg_daemon_log;

/* What the callbacks share, set up by main before smfi_main(). */
struct mxg_milter {
	struct mxg_engine *engine;
	const char *rules_path; /* watched: reloaded when it changes */
	const char *hostname;   /* for the X-Greylist header */
	unsigned report;        /* MXG_REPORT_* of the rules file */
	struct mxg_daemon_log *log;
};

/* The global the callbacks use; main fills it before smfi_register. */
extern struct mxg_milter mxg_milter;

/*
 * mxg_milter_watch_init: remember the rules file as loaded at start (its
 * later changes trigger a reload) and read its `report` setting. Call
 * once before smfi_main().
 */
void mxg_milter_watch_init(void);

/* The libmilter callback table (struct smfiDesc *). */
void *mxg_milter_desc(void);

/*
 * mxg_milter_reply_text: text for smfi_setreply(): control characters
 * become spaces, '%' is doubled. Returns the length written.
 */
size_t mxg_milter_reply_text(const char *text, char *buf, size_t size);

#endif
