/*
 * mxg_rules_kw.c: the keyword table of the rules language, sorted by name
 * (a unit test checks it) and searched with bsearch(3). docs/mxgrey.conf.5
 * must mention every name here (a check script greps for them).
 */
#include <stdlib.h>
#include <string.h>

#include "mxg_rules_int.h"

#define G(id)   id, KW_NONE, KW_NONE
#define C(id)   KW_NONE, id, KW_NONE
#define V(id)   KW_NONE, KW_NONE, id
#define FLAG(b) KW_FLAG, KW_NONE, KW_NONE, b
#define NOTHING KW_NONE, KW_NONE, KW_NONE
#define UNSUP   KW_UNSUPPORTED, KW_UNSUPPORTED, KW_UNSUPPORTED, 0
#define DAEMON  KW_DAEMON_ARGS, KW_NONE, KW_NONE, 0

static const struct mxg_kw kwtab[] = {
	{ "acl", G(KW_RACL), 0, MXG_KS_SUPPORTED },
	{ "addfooter", UNSUP, MXG_KS_UNSUPPORTED },
	{ "addheader", V(KW_ADDHEADER), 0, MXG_KS_SUPPORTED },
	{ "addr", C(KW_ADDR), 0, MXG_KS_SUPPORTED },
	{ "auth", C(KW_AUTH), 0, MXG_KS_SUPPORTED },
	{ "autowhite", KW_AUTOWHITE, KW_NONE, KW_AW, 0, MXG_KS_SUPPORTED },
	{ "blacklist", NOTHING, 0, MXG_KS_SUPPORTED },
	{ "body", C(KW_BODY), 0, MXG_KS_SUPPORTED },
	{ "code", V(KW_CODE), 0, MXG_KS_SUPPORTED },
	{ "continue", NOTHING, 0, MXG_KS_SUPPORTED },
	{ "dacl", G(KW_DACL), 0, MXG_KS_SUPPORTED },
	{ "default", C(KW_DEFAULT), 0, MXG_KS_SUPPORTED },
	{ "delay", V(KW_DELAY), 0, MXG_KS_SUPPORTED },
	{ "delayedreject", FLAG(MXG_CF_DELAYEDREJECT), MXG_KS_SUPPORTED },
	{ "dkim", UNSUP, MXG_KS_UNSUPPORTED },
	{ "dkimcheck", UNSUP, MXG_KS_UNSUPPORTED },
	{ "dnsrbl", KW_DNSRBL, KW_DNSRBL_REF, KW_NONE, 0, MXG_KS_SUPPORTED },
	{ "domain", C(KW_DOMAIN), 0, MXG_KS_SUPPORTED },
	{ "domainexact", FLAG(MXG_CF_DOMAINEXACT), MXG_KS_SUPPORTED },
	{ "drac", DAEMON, MXG_KS_DAEMON },
	{ "dump_no_time_translation", DAEMON, MXG_KS_DAEMON },
	{ "dumpfile", G(KW_DUMPFILE), 0, MXG_KS_DAEMON },
	{ "dumpfreq", DAEMON, MXG_KS_DAEMON },
	{ "ecode", V(KW_ECODE), 0, MXG_KS_SUPPORTED },
	{ "extendedregex", FLAG(MXG_CF_EXTENDEDREGEX), MXG_KS_SUPPORTED },
	{ "failaction", G(KW_FAILACTION), 0, MXG_KS_OURS },
	{ "flushaddr", UNSUP, MXG_KS_UNSUPPORTED },
	{ "from", C(KW_FROM), 0, MXG_KS_SUPPORTED },
	{ "geoip", C(KW_GEOIP), 0, MXG_KS_SUPPORTED },
	{ "geoip2db", G(KW_GEOIP2DB), 0, MXG_KS_SUPPORTED },
	{ "geoipdb", G(KW_GEOIPDB), 0, MXG_KS_SUPPORTED },
	{ "greylist", G(KW_GREYLIST), 0, MXG_KS_SUPPORTED },
	{ "header", C(KW_HEADER), 0, MXG_KS_SUPPORTED },
	{ "helo", C(KW_HELO), 0, MXG_KS_SUPPORTED },
	{ "lazyaw", FLAG(MXG_CF_LAZYAW), MXG_KS_SUPPORTED },
	{ "ldapcheck", UNSUP, MXG_KS_UNSUPPORTED },
	{ "ldapconf", UNSUP, MXG_KS_UNSUPPORTED },
	{ "list", KW_LIST, KW_LISTREF, KW_NONE, 0, MXG_KS_SUPPORTED },
	{ "log", V(KW_LOG), 0, MXG_KS_SUPPORTED },
	{ "logexpired", FLAG(MXG_CF_LOGEXPIRED), MXG_KS_SUPPORTED },
	{ "logfac", DAEMON, MXG_KS_DAEMON },
	{ "maxpeek", DAEMON, MXG_KS_DAEMON },
	{ "msg", V(KW_MSG), 0, MXG_KS_SUPPORTED },
	{ "msgsize", C(KW_MSGSIZE), 0, MXG_KS_SUPPORTED },
	{ "multiracl", FLAG(MXG_CF_MULTIRACL), MXG_KS_SUPPORTED },
	{ "no", C(KW_NOT), 0, MXG_KS_SUPPORTED },
	{ "noaccessdb", DAEMON, MXG_KS_DAEMON },
	{ "noauth", FLAG(MXG_CF_NOAUTH), MXG_KS_SUPPORTED },
	{ "nodetach", DAEMON, MXG_KS_DAEMON },
	{ "nodrac", FLAG(MXG_CF_NODRAC), MXG_KS_SUPPORTED },
	{ "nolog", V(KW_NOLOG), 0, MXG_KS_SUPPORTED },
	{ "nordns", C(KW_NORDNS), 0, MXG_KS_OURS },
	{ "nospf", FLAG(MXG_CF_NOSPF), MXG_KS_SUPPORTED },
	{ "not", C(KW_NOT), 0, MXG_KS_SUPPORTED },
	{ "nsupdate", UNSUP, MXG_KS_UNSUPPORTED },
	{ "p0f", UNSUP, MXG_KS_UNSUPPORTED },
	{ "p0fsock", UNSUP, MXG_KS_UNSUPPORTED },
	{ "peer", DAEMON, MXG_KS_DAEMON },
	{ "pidfile", G(KW_PIDFILE), 0, MXG_KS_DAEMON },
	{ "quiet", FLAG(MXG_CF_QUIET), MXG_KS_SUPPORTED },
	{ "racl", G(KW_RACL), 0, MXG_KS_SUPPORTED },
	{ "ratelimit", UNSUP, MXG_KS_UNSUPPORTED },
	{ "rawfrom", UNSUP, MXG_KS_UNSUPPORTED },
	{ "rcpt", C(KW_RCPT), 0, MXG_KS_SUPPORTED },
	{ "rcptcount", C(KW_RCPTCOUNT), 0, MXG_KS_SUPPORTED },
	{ "report", KW_REPORT, KW_NONE, KW_REPORTV, 0, MXG_KS_SUPPORTED },
	{ "resolver", G(KW_RESOLVER), 0, MXG_KS_OURS },
	{ "s25r", C(KW_S25R), 0, MXG_KS_OURS },
	{ "sm_macro", KW_SM_MACRO, KW_SMMACRO_REF, KW_NONE, 0,
	    MXG_KS_SUPPORTED },
	{ "socket", G(KW_SOCKET), 0, MXG_KS_DAEMON },
	{ "spamd", UNSUP, MXG_KS_UNSUPPORTED },
	{ "spamdsock", UNSUP, MXG_KS_UNSUPPORTED },
	{ "spf", C(KW_SPF), 0, MXG_KS_SUPPORTED },
	{ "stat", UNSUP, MXG_KS_UNSUPPORTED },
	{ "store", G(KW_STORE), 0, MXG_KS_OURS },
	{ "subnetmatch", G(KW_SUBNETMATCH), 0, MXG_KS_SUPPORTED },
	{ "subnetmatch6", G(KW_SUBNETMATCH6), 0, MXG_KS_SUPPORTED },
	{ "syncaddr", DAEMON, MXG_KS_DAEMON },
	{ "syncmaxqlen", DAEMON, MXG_KS_DAEMON },
	{ "syncsrcaddr", DAEMON, MXG_KS_DAEMON },
	{ "tarpit", UNSUP, MXG_KS_UNSUPPORTED },
	{ "tarpit_scope", UNSUP, MXG_KS_UNSUPPORTED },
	{ "testmode", FLAG(MXG_CF_TESTMODE), MXG_KS_SUPPORTED },
	{ "time", C(KW_TIME), 0, MXG_KS_SUPPORTED },
	{ "timeout", G(KW_TIMEOUT), 0, MXG_KS_SUPPORTED },
	{ "tls", C(KW_TLS), 0, MXG_KS_SUPPORTED },
	{ "unbracket", FLAG(MXG_CF_UNBRACKET), MXG_KS_SUPPORTED },
	{ "urlcheck", UNSUP, MXG_KS_UNSUPPORTED },
	{ "user", G(KW_USER), 0, MXG_KS_DAEMON },
	{ "verbose", FLAG(MXG_CF_VERBOSE), MXG_KS_SUPPORTED },
	{ "whitelist", NOTHING, 0, MXG_KS_SUPPORTED },
};

struct key {
	const char *s;
	size_t len;
};

static int
cmp(const void *k, const void *e)
{
	const struct key *key = k;
	const struct mxg_kw *kw = e;
	int r;

	r = strncmp(key->s, kw->name, key->len);
	if (r != 0)
		return r;
	return kw->name[key->len] == '\0' ? 0 : -1;
}

/* mxg_rules_kw_find: see mxg_rules_int.h. Case-sensitive, like
 * milter-greylist's lexer. */
const struct mxg_kw *
mxg_rules_kw_find(const char *s, size_t len)
{
	struct key key = { s, len };

	if (memchr(s, '\0', len) != NULL)
		return NULL;
	return bsearch(&key, kwtab, sizeof(kwtab) / sizeof(kwtab[0]),
	    sizeof(kwtab[0]), cmp);
}

/* mxg_rules_keywords: see mxg_rules_int.h. */
const struct mxg_kw *
mxg_rules_keywords(size_t *n)
{
	*n = sizeof(kwtab) / sizeof(kwtab[0]);
	return kwtab;
}
