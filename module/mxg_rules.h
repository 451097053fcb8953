/*
 * mxg_rules.h: the compiled ruleset (milter-greylist greylist.conf
 * language) and its evaluation. A ruleset is immutable once loaded; the
 * engine swaps whole rulesets on reload.
 */
#ifndef MXG_RULES_H
#define MXG_RULES_H

#include <stddef.h>
#include <time.h>

#include "mxgrey.h"
#include "mxg_ip.h"
#include "mxg_log.h"

struct mxg_ruleset;

/* Global flags set by bare directives. */
#define MXG_CF_LAZYAW        0x0001 /* autowhite per IP only */
#define MXG_CF_DOMAINEXACT   0x0002 /* `domain` matches exactly */
#define MXG_CF_QUIET         0x0004 /* do not tell the remaining time */
#define MXG_CF_NOSPF         0x0008
#define MXG_CF_NODRAC        0x0010
#define MXG_CF_NOAUTH        0x0020
#define MXG_CF_MULTIRACL     0x0040
#define MXG_CF_DELAYEDREJECT 0x0080
#define MXG_CF_UNBRACKET     0x0100
#define MXG_CF_TESTMODE      0x0200
#define MXG_CF_LOGEXPIRED    0x0400
#define MXG_CF_VERBOSE       0x0800
#define MXG_CF_EXTENDEDREGEX 0x1000

/* `report` bits, for the X-Greylist header. */
#define MXG_REPORT_DELAYS   0x1
#define MXG_REPORT_NODELAYS 0x2
#define MXG_REPORT_ALL      0x3

/* Global settings. Times are seconds. */
struct mxg_config {
	long delay;                   /* `greylist`, default 1800 */
	long autowhite;               /* `autowhite`, default 86400 */
	long timeout;                 /* `timeout`, default 432000 */
	int subnetmatch;              /* v4 prefix length, default 32 */
	int subnetmatch6;             /* v6 prefix length, default 128 */
	unsigned flags;               /* MXG_CF_* */
	unsigned report;              /* MXG_REPORT_*, default ALL */
	enum mxg_action fail_action;  /* `failaction`: TEMPFAIL or ACCEPT */
	const char *store;            /* `store "path"`; NULL: default */
	unsigned long store_hashsize; /* `store "path" hashsize N`; 0 */
	/* daemon-only directives, for the milter shim (NULL if absent) */
	const char *socket;
	int socket_mode; /* -1 if absent */
	const char *user;
	const char *pidfile;
	const char *dumpfile;
	/* lookup provider settings (NULL / 0 if absent) */
	const char *const *resolvers; /* `resolver "addr[:port]" ...` */
	size_t nresolvers;
	long resolver_timeout_ms; /* `resolver ... timeout 2s`; 0 */
	const char *geoip_db;     /* `geoipdb`/`geoip2db "path"` */
};

enum mxg_stage {
	MXG_STAGE_RCPT = 0, /* racl */
	MXG_STAGE_DATA      /* dacl */
};

/* What the first deciding rule says. */
enum mxg_rule_action {
	MXG_RA_NONE = 0, /* nothing matched (no default) */
	MXG_RA_WHITELIST,
	MXG_RA_GREYLIST,
	MXG_RA_BLACKLIST
};

/*
 * Network lookups the evaluator asks for (DNSRBL, SPF, GeoIP, rDNS). The
 * provider memoises per request and answers 1 match/listed, 0 not, -1
 * could not decide (with *why set to a static or provider-owned text).
 * The engine passes NULL ops until a provider exists: every such clause
 * then could not decide.
 */
struct mxg_lookup_ops {
	/* before evaluation: start every query the rules of stage may need */
	void (*prefetch)(
	    void *ctx, const struct mxg_ruleset *rs, enum mxg_stage stage);
	/* client IP listed in zone? answer gets the A record (v4 form) */
	int (*dnsrbl)(void *ctx, const char *zone, struct mxg_ip *answer,
	    const char **why);
	/* SPF result for the request: one of MXG_SPF_* in *result */
	int (*spf)(void *ctx, int *result, const char **why);
	/* ISO country code of the client IP ("" unknown) into cc[3] */
	int (*geoip)(void *ctx, char cc[3], const char **why);
	/* rDNS: *name (NULL none) and whether forward-confirmed */
	int (*rdns)(
	    void *ctx, const char **name, int *confirmed, const char **why);
	/*
	 * Optional (NULL: use dnsrbl): listed in zone with an A record
	 * inside want/prefix? A zone may answer several records (zen:
	 * SBL + XBL + PBL) and milter-greylist matches any of them;
	 * answer gets the matching one. 1, 0, -1 as dnsrbl.
	 */
	int (*dnsrbl_match)(void *ctx, const char *zone,
	    const struct mxg_ip *want, int prefix, struct mxg_ip *answer,
	    const char **why);
};

enum mxg_spf_result {
	MXG_SPF_NONE = 0,
	MXG_SPF_NEUTRAL,
	MXG_SPF_PASS,
	MXG_SPF_FAIL,
	MXG_SPF_SOFTFAIL,
	MXG_SPF_TEMPERROR,
	MXG_SPF_PERMERROR
};

/* The request as the evaluator sees it. The engine fills the inputs. */
struct mxg_eval {
	/* inputs */
	const struct mxg_request *req;
	struct mxg_ip ip;   /* parsed client address */
	const char *sender; /* no <>, as given ("" null sender) */
	const char *rcpt;   /* no <> */
	time_t now;
	struct mxg_log log; /* for `log` clauses and warnings */
	void (*trace)(void *ctx, const char *line); /* NULL: none */
	void *trace_ctx;
	const struct mxg_lookup_ops *lookup; /* NULL: none available */
	void *lookup_ctx;
	/* set by the engine after the store step, for %-escapes in msg */
	long remaining; /* greylist seconds left */
	time_t autowhite_until;
	/* DATA stage only */
	size_t msgsize;
	const char *headers; /* raw header block, CRLF or LF */
	const char *body;
	size_t body_len;
	/* set by the engine after the store step, for %E (0 unknown) */
	long elapsed;
	/* set by mxg_rules_eval, for %-escapes (%D %A %a %S %X*) */
	const struct mxg_ruleset *rs;
	const struct mxg_match *match;
	unsigned long dnsrbl_hits; /* bit i: DNSRBL i listed the client */
};

/* The outcome of one evaluation. */
struct mxg_match {
	enum mxg_rule_action action;
	unsigned line;         /* deciding rule's line; 0 if none */
	long delay;            /* per-rule `delay`; -1: global */
	long autowhite;        /* per-rule `autowhite`; -1: global */
	const char *msg;       /* per-rule `msg` format; NULL: default text */
	int code;              /* per-rule `code`; 0: default */
	const char *ecode;     /* per-rule `ecode`; NULL: default */
	const char *addheader; /* per-rule `addheader` format, or NULL */
	const char *undecided; /* non-NULL: a clause could not decide
				   (lookup failed); says why. action is
				   then meaningless: failure action */
	const char *id;        /* deciding rule's id string, or NULL */
	const char *report;    /* per-rule `report` format, or NULL */
	int nolog;             /* per-rule `nolog` */
};

/*
 * mxg_rules_load: read, parse and compile the rules file at path. Every
 * error is logged at MXG_LOG_ERR as "path:line:col: message" and counted;
 * warnings at MXG_LOG_WARNING the same way. Returns the ruleset, or NULL
 * with *err set (MXG_ERULES: errors, each logged; MXG_EIO: unreadable,
 * logged; MXG_ENOMEM). Never returns a partial ruleset.
 */
struct mxg_ruleset *mxg_rules_load(
    const char *path, const struct mxg_log *log, int *err);

/*
 * mxg_rules_open: mxg_rules_load, then open the files the rules name (the
 * `geoipdb` database) so that a ruleset whose files will not open is
 * never put to use: each failure is an error "path:line:col: cannot open
 * file: reason" (*err MXG_ERULES). The engine loads and reloads with it;
 * mxg_rules_load alone checks the file's text. May block on the disk.
 */
struct mxg_ruleset *mxg_rules_open(
    const char *path, const struct mxg_log *log, int *err);

/*
 * mxg_rules_parse: the same on a buffer in memory (len bytes, need not be
 * NUL-terminated); name is used in messages. The fuzz target's entry.
 */
struct mxg_ruleset *mxg_rules_parse(const char *name, const char *buf,
    size_t len, const struct mxg_log *log, int *err);

/* mxg_rules_free: release a ruleset. Accepts NULL. */
void mxg_rules_free(struct mxg_ruleset *rs);

/* mxg_rules_config: the ruleset's global settings; never NULL. */
const struct mxg_config *mxg_rules_config(const struct mxg_ruleset *rs);

/*
 * mxg_rules_has_stage: nonzero when the ruleset has rules for stage (so a
 * shim knows whether to ask for message data at all).
 */
int mxg_rules_has_stage(const struct mxg_ruleset *rs, enum mxg_stage stage);

/*
 * mxg_rules_eval: run the rules of stage over ev, first match wins;
 * `continue` rules run their side effects (log lines through ev->log) and
 * evaluation goes on. Fills *m. Returns MXG_OK, or MXG_ELOOKUP when a
 * clause could not decide (m->undecided says why), or MXG_ENOMEM.
 */
int mxg_rules_eval(const struct mxg_ruleset *rs, enum mxg_stage stage,
    struct mxg_eval *ev, struct mxg_match *m);

/*
 * mxg_fmt_expand: expand milter-greylist %-escapes of fmt for ev into buf
 * (size bytes, always NUL-terminated when size > 0, truncated if needed).
 * Unknown escapes are copied as written. Returns the length written.
 */
size_t mxg_fmt_expand(
    const char *fmt, const struct mxg_eval *ev, char *buf, size_t size);

/* What the rules of a stage may ask the lookup provider (mxg_rules_needs). */
#define MXG_NEED_DNSRBL 0x1
#define MXG_NEED_SPF    0x2
#define MXG_NEED_GEOIP  0x4
#define MXG_NEED_RDNS   0x8

/*
 * mxg_rules_needs: MXG_NEED_* bits for the lookups the clauses and the
 * %-escapes of stage's rules may ask for (so a provider can start them
 * all at once in prefetch).
 */
unsigned mxg_rules_needs(const struct mxg_ruleset *rs, enum mxg_stage stage);

/*
 * mxg_rules_dnsrbl_zones: the DNS zones of the DNSRBLs the rules of stage
 * may query, each once; *n gets the count. The array and strings belong
 * to rs. Never NULL (an empty array when *n is 0).
 */
const char *const *mxg_rules_dnsrbl_zones(
    const struct mxg_ruleset *rs, enum mxg_stage stage, size_t *n);

/*
 * mxg_rules_header_rule: the line of the first rule (either stage) with
 * an `addheader` (*what "addheader") or a `report` text (*what
 * "report"), so a host that cannot add headers can say so at load;
 * 0 when no rule has either.
 */
unsigned mxg_rules_header_rule(const struct mxg_ruleset *rs, const char **what);

#endif
