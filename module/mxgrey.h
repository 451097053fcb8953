/*
 * mxgrey.h: the public interface of libmxgrey, the greylisting rule engine
 * that a mail server loads in-process and calls at RCPT time.
 *
 * Threading: one struct mxg_engine may be used by one thread at a time.
 * Processes: an engine opened before fork(2) may be used in the child; the
 * engine notices the new pid and reopens its store before the first use.
 *
 * Ownership: every string the caller passes in stays the caller's; every
 * string the engine returns inside a struct mxg_verdict is stored in that
 * struct. Nothing returned needs to be freed except the engine itself.
 *
 * Guest manners: the library never exits, aborts, prints, forks or
 * installs signal handlers. It reports through the host's log callback.
 */
#ifndef MXGREY_H
#define MXGREY_H

#include <poll.h>
#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Bumped whenever a struct below changes shape. Shims pass it in.
 * 2: struct mxg_verdict gained delayed, xgreylist, header and report;
 *    struct mxg_host gained flags.
 */
#define MXGREY_API_VERSION 2

/* Error codes: 0 or negative. mxg_strerror() turns them into text. */
#define MXG_OK       0
#define MXG_ENOMEM   -1 /* out of memory */
#define MXG_EINVAL   -2 /* a malformed argument or request field */
#define MXG_ERULES   -3 /* the rules file has errors (each logged) */
#define MXG_ESTORE   -4 /* the tuple store cannot be opened or used */
#define MXG_EVERSION -5 /* the host was built for another API version */
#define MXG_EIO      -6 /* a file could not be read */
#define MXG_EPERM    -7 /* unsafe permissions on the store */
#define MXG_ELOOKUP  -8 /* a DNS or GeoIP lookup could not decide */
#define MXG_EAGAIN   -9 /* non-blocking check: lookups in flight */

/* What the MTA should do with this recipient. */
enum mxg_action {
	MXG_ACCEPT = 0, /* 250: go on */
	MXG_GREYLIST,   /* 4xx: greylisted, come back later */
	MXG_REJECT,     /* 5xx: blacklisted */
	MXG_TEMPFAIL    /* 4xx: could not decide (store, DNS), try later */
};

/* Log levels, in syslog order. */
enum mxg_log_level {
	MXG_LOG_ERR = 3,
	MXG_LOG_WARNING = 4,
	MXG_LOG_NOTICE = 5,
	MXG_LOG_INFO = 6,
	MXG_LOG_DEBUG = 7
};

/*
 * What the host lends the engine. Every member but api_version may be
 * zero/NULL: no log sink, the system clock.
 */
struct mxg_host {
	unsigned api_version; /* MXGREY_API_VERSION */
	/* One complete line, no newline; msg is valid during the call. */
	void (*log)(void *ctx, int level, const char *msg);
	void *log_ctx;
	/* The time to decide with, when a request carries none. */
	time_t (*clock)(void *ctx);
	void *clock_ctx;
	unsigned flags; /* MXG_HOST_*; since MXGREY_API_VERSION 2 */
};

/*
 * The host's process makes a few decisions and exits, as Exim's
 * per-connection children do: the tdb store then reads and writes the
 * file with pread/pwrite instead of mapping it, which costs less to set
 * up and tear down than it saves on a handful of lookups.
 */
#define MXG_HOST_SHORT_LIVED 0x1

/* One MTA macro or attribute, for sm_macro and %M{name}. */
struct mxg_macro {
	const char *name;
	const char *value;
};

/*
 * One RCPT to decide. Strings may be NULL when unknown. Addresses may come
 * with or without angle brackets; "" or "<>" is the null sender.
 */
struct mxg_request {
	const char *client_addr; /* "192.0.2.1", "2001:db8::1",
					   "[2001:db8::1]", "IPv6:2001:db8::1" */
	const char *client_name; /* rDNS name given by the MTA */
	const char *helo;
	const char *sender;  /* envelope sender */
	const char *rcpt;    /* envelope recipient */
	const char *auth_id; /* SMTP AUTH id; NULL when none */
	int tls;             /* nonzero when the session uses TLS */
	const struct mxg_macro *macros;
	size_t nmacros;
	unsigned rcpt_count;    /* recipients so far, this one included */
	const char *queue_id;   /* MTA queue id, for %j/%Qs logs */
	const char *local_name; /* our host name, for %j */
	time_t now;             /* 0: ask the host clock */
};

#define MXG_CODE_MAX 12
#define MXG_TEXT_MAX 512

/* Why the engine decided as it did. */
enum mxg_reason {
	MXG_R_NONE = 0,  /* no rule matched and no default: accept */
	MXG_R_WHITELIST, /* a whitelist rule */
	MXG_R_BLACKLIST, /* a blacklist rule */
	MXG_R_NEW,       /* tuple first seen */
	MXG_R_EARLY,     /* retried before the delay ran out */
	MXG_R_PASSED,    /* retried after the delay: autowhite made */
	MXG_R_AUTOWHITE, /* autowhite entry found and extended */
	MXG_R_FAILURE    /* a store or lookup failure: failure action */
};

/*
 * The answer. Every member is set by mxg_check() (and the other deciding
 * calls), whatever they return; the char arrays are NUL-terminated
 * strings, and the bytes after the NUL are unspecified (the engine does
 * not clear kilobytes per decision). header and report are set only when
 * action is MXG_ACCEPT and the deciding rule has `addheader` / `report`;
 * they are single lines: no CR, LF or other control character.
 */
struct mxg_verdict {
	enum mxg_action action;
	enum mxg_reason reason;
	int code;                 /* SMTP code: 250, 451, 550 ... */
	char ecode[MXG_CODE_MAX]; /* enhanced code "4.7.1"; "" if none */
	char text[MXG_TEXT_MAX];  /* reply text, no code, no CRLF */
	long remaining;           /* greylisted: seconds left, else 0 */
	unsigned rule_line;       /* rules line that decided; 0: none */
	time_t autowhite_until;   /* accepted by autowhite: its end */
	/* since MXGREY_API_VERSION 2 */
	long delayed;  /* MXG_R_PASSED: seconds from the tuple's first sight
			 to this retry (at DATA: the longest over the
			 recipients); else 0 */
	int xgreylist; /* accepted and the rules' global `report` asks
			  for an X-Greylist header on it (delays for
			  MXG_R_PASSED, nodelays for the others; never for
			  MXG_R_FAILURE): 1, else 0 */
	char header[MXG_TEXT_MAX]; /* the rule's `addheader`, %-escapes
				      expanded: "Name: value"; "" none */
	char report[MXG_TEXT_MAX]; /* the rule's `report`, %-escapes
				      expanded: the X-Greylist value to
				      use instead of the default wording
				      (mxg_xgreylist_verdict() does);
				      "" none */
};

struct mxg_engine;

/*
 * mxg_open: make an engine from the rules file at rules_path (NULL: the
 * compiled-in default) with the store at store_path (NULL: the rules
 * file's `store`, else the compiled-in default). The store opens lazily on
 * the first decision. Every rules error is logged as "file:line:col: msg".
 *
 * Returns MXG_OK and sets *ep; or MXG_ERULES/MXG_EIO and still sets *ep
 * to an engine that answers every request with the failure action (so a
 * host that goes on fails safe; it may also close it); or MXG_ENOMEM /
 * MXG_EVERSION / MXG_EINVAL and leaves *ep NULL. Does not block.
 */
int mxg_open(struct mxg_engine **ep, const char *rules_path,
    const char *store_path, const struct mxg_host *host);

/*
 * mxg_check: decide one RCPT and update the store. Always fills *v (an
 * accept also carries the delay, the rule's addheader and report, see
 * struct mxg_verdict); on a
 * store or lookup failure *v carries the failure action and the return
 * value says why (MXG_ESTORE, MXG_ELOOKUP). MXG_EINVAL for a malformed
 * request (e.g. unparsable client address), also with the failure
 * action in *v. May block for at most the configured lookup timeout and
 * a store lock.
 */
int mxg_check(
    struct mxg_engine *e, const struct mxg_request *req, struct mxg_verdict *v);

/* The message, for rules of the DATA stage (`dacl`). */
struct mxg_message {
	const char *const *rcpts; /* recipients accepted at RCPT */
	size_t nrcpts;
	size_t size;         /* whole message, bytes */
	const char *headers; /* header block (NUL-terminated) */
	const char *body;    /* body, or its first body_len bytes */
	size_t body_len;
};

/*
 * mxg_check_data: decide a whole message at end of DATA by the `dacl`
 * rules: whitelist/blacklist as at RCPT; greylist runs the greylist step
 * for every recipient and greylists while any of them is greylisted
 * (milter-greylist's DATA stage). No dacl rule matching, or no dacl rules
 * at all: accept (the RCPT stage has decided; delayed 0, no header or
 * report: the RCPT verdicts carry those). req->rcpt is not used. Fills
 * *v like mxg_check(); delayed is the longest over the recipients.
 */
int mxg_check_data(struct mxg_engine *e, const struct mxg_request *req,
    const struct mxg_message *msg, struct mxg_verdict *v);

/* mxg_has_data_rules: nonzero when the rules have a DATA stage, so the
   host needs to collect the message for mxg_check_data(). */
int mxg_has_data_rules(const struct mxg_engine *e);

/*
 * mxg_explain: decide like mxg_check() without changing the store, and
 * give each step of the evaluation to trace (one line per call).
 */
int mxg_explain(struct mxg_engine *e, const struct mxg_request *req,
    struct mxg_verdict *v, void (*trace)(void *ctx, const char *line),
    void *ctx);

/*
 * Non-blocking decisions, for hosts that serve many sessions from one
 * event loop (OpenSMTPD filter, policy server). Any number of checks may
 * be under way at once on one engine; they share its resolver and its
 * answer cache.
 *
 *	rc = mxg_check_start(e, &req, &p, &v);
 *	while (rc == MXG_EAGAIN) {
 *		n = mxg_poll_fds(e, fds, NFDS, &timeout_ms);
 *		poll(fds, n, timeout_ms);	(with the host's own fds)
 *		mxg_poll_process(e, fds, n);
 *		rc = mxg_check_finish(p, &v);	(for each pending check)
 *	}
 */
struct mxg_pending;

/*
 * mxg_check_start: begin deciding req. Returns MXG_EAGAIN with *pp set
 * when lookups are under way (req is copied: the caller's may go), else
 * decides at once exactly as mxg_check() (same return values, *v filled,
 * *pp NULL). Never blocks on the network.
 */
int mxg_check_start(struct mxg_engine *e, const struct mxg_request *req,
    struct mxg_pending **pp, struct mxg_verdict *v);

/*
 * mxg_check_finish: MXG_EAGAIN while p's lookups are under way (nothing
 * else changes); otherwise decide, fill *v, free p and return as
 * mxg_check(). A lookup not answered within the lookup timeout counts as
 * could not decide: the failure action. Never blocks on the network.
 */
int mxg_check_finish(struct mxg_pending *p, struct mxg_verdict *v);

/* mxg_check_cancel: forget a pending check. Accepts NULL. */
void mxg_check_cancel(struct mxg_pending *p);

/*
 * mxg_poll_fds: the sockets of every pending check's lookups (at most
 * nfds, with POLLIN/POLLOUT as needed) for poll(2), and in *timeout_ms
 * the longest the host may sleep (-1: no pending check). Returns the
 * number of fds filled.
 */
int mxg_poll_fds(
    struct mxg_engine *e, struct pollfd *fds, int nfds, int *timeout_ms);

/* mxg_poll_process: hand poll(2)'s answer for those fds to the engine. */
void mxg_poll_process(struct mxg_engine *e, const struct pollfd *fds, int nfds);

/*
 * mxg_reload: parse the rules file again. On success the new rules serve
 * from the next call; on any error the old rules stay and every error is
 * logged. Returns MXG_OK, MXG_ERULES, MXG_EIO or MXG_ENOMEM.
 */
int mxg_reload(struct mxg_engine *e);

/*
 * mxg_request_reload: bump the reload generation kept in the store; every
 * engine on that store, in every process, reloads its rules on its next
 * decision. Returns MXG_OK or MXG_ESTORE.
 */
int mxg_request_reload(struct mxg_engine *e);

/* mxg_close: release everything. Accepts NULL. */
void mxg_close(struct mxg_engine *e);

/* mxg_strerror: static text for an error code; never NULL. */
const char *mxg_strerror(int err);

/* mxg_action_name: "accept", "greylist", "reject", "tempfail". */
const char *mxg_action_name(enum mxg_action a);

/* mxg_reason_name: "none", "whitelist", "blacklist", "new", "early",
   "passed", "autowhite", "failure". */
const char *mxg_reason_name(enum mxg_reason r);

/*
 * mxg_xgreylist: the value of an X-Greylist header (without
 * "X-Greylist: ") for an accepted message whose delay is not known:
 * "Delayed by ..." for MXG_R_PASSED, else "... not delayed by ...",
 * naming host and ip (see mxg_xgreylist_verdict), dated now (local time). Kept for hosts
 * built against API 1; new hosts use mxg_xgreylist_verdict(), which says
 * for how long. Returns the length written into buf (size bytes,
 * NUL-terminated when size > 0). Does not block.
 */
size_t mxg_xgreylist(enum mxg_reason reason, const char *host, const char *ip,
    time_t now, char *buf, size_t size);

/*
 * mxg_xgreylist_verdict: the X-Greylist value (without "X-Greylist: ")
 * for the accepted verdict v, worded as milter-greylist words it: v's
 * report when the deciding rule has one; else "Delayed for HH:MM:SS by
 * mxgrey-VERSION (host [ip]); DATE" for MXG_R_PASSED (v->delayed; hours
 * may take more than two digits), "IP, sender and recipient
 * auto-whitelisted, not delayed by ..." for MXG_R_AUTOWHITE and "Sender
 * IP whitelisted, not delayed by ..." otherwise. host: this server's
 * name; ip: the server address the client connected to (milter-greylist
 * names {if_addr}; hosts pass 0.0.0.0 when they do not know it). host
 * NULL: "localhost"; ip NULL: "unknown"; DATE is now in local time ("Tue, 24 Nov 2026
 * 10:00:00 +0000"). It does not look at v->xgreylist: whether to add the
 * header is the caller's choice. Returns the length written into buf
 * (size bytes, NUL-terminated when size > 0). Does not block.
 */
size_t mxg_xgreylist_verdict(const struct mxg_verdict *v, const char *host,
    const char *ip, time_t now, char *buf, size_t size);

/* mxg_api_version: the MXGREY_API_VERSION the library was built with. */
unsigned mxg_api_version(void);

/* Store statistics, as `mxgreyctl stats` prints them. */
struct mxg_stats {
	unsigned long pending;    /* tuples waiting out their delay */
	unsigned long autowhite;  /* autowhite entries */
	unsigned long expired;    /* records past their end, not purged */
	unsigned long generation; /* reload generation */
};

/*
 * mxg_dump: call fn once per live store record with a line in
 * milter-greylist's dump format (no newline), then return MXG_OK or
 * MXG_ESTORE. Takes no lock across records.
 */
int mxg_dump(struct mxg_engine *e, time_t now,
    void (*fn)(void *ctx, const char *line), void *ctx);

/*
 * mxg_purge: delete every record that has expired at now (0: the clock).
 * *removed, if not NULL, gets the count. Locks one hash chain at a time.
 */
int mxg_purge(struct mxg_engine *e, time_t now, unsigned long *removed);

/*
 * mxg_fsck: check the store for damage (with tdb: space leaked by a
 * process killed in the middle of a write, which costs only room). With
 * repair nonzero, rebuild it in place first (one tdb transaction: MTAs
 * wait for its commit; it holds every record in memory). Returns MXG_OK
 * when the store is (now) clean, MXG_ESTORE with why (size bytes) saying
 * what is wrong.
 */
int mxg_fsck(struct mxg_engine *e, int repair, char *why, size_t size);

/*
 * mxg_migrate: copy every live record of the engine's store into the
 * store named by to ("redis://..." or a tdb path), e.g. from a tdb file
 * into Redis when a second MX host joins, and back. *copied, if not NULL,
 * gets the count. Returns MXG_OK or MXG_ESTORE/MXG_ENOMEM (logged).
 */
int mxg_migrate(
    struct mxg_engine *e, const char *to, time_t now, unsigned long *copied);

/* mxg_stats: count the store's records. */
int mxg_stats(struct mxg_engine *e, time_t now, struct mxg_stats *st);

/*
 * mxg_import_dump: load the milter-greylist dump file at dump_path into
 * the store (store_path; NULL: the rules file's `store`, else the
 * default), so autowhite state survives the switch. The rules file at
 * rules_path (NULL: none, defaults used) gives subnetmatch and timeout.
 * Pending tuples are stored as greylisted until their time, AUTO lines as
 * autowhite entries until theirs; entries already over at now (0: the
 * clock) and malformed lines (logged with their line number) are
 * skipped. *imported and *skipped (may be NULL) get the counts. Returns
 * MXG_OK, MXG_EIO, MXG_ERULES, MXG_ESTORE, MXG_EVERSION or MXG_EINVAL.
 * Blocks on file I/O and store locks.
 */
int mxg_import_dump(const char *dump_path, const char *rules_path,
    const char *store_path, const struct mxg_host *host, time_t now,
    unsigned long *imported, unsigned long *skipped);

#ifdef __cplusplus
}
#endif

#endif /* MXGREY_H */
