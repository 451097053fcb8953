/*
 * mxg_import.c: load a milter-greylist dump file into the tuple store so
 * that autowhite state survives the switch to mxgrey.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxg_export.h"
#include "mxg_import.h"
#include "mxg_paths.h"
#include "mxg_rules.h"
#include "mxg_store.h"
#include "mxgrey.h"


#define FIELD_MAX 400 /* longer than any address we keep */
#define NFIELDS   6

/* Split line into at most NFIELDS blank-separated fields, up to '#'. */
static int
split(const char *line, size_t len, char f[NFIELDS][FIELD_MAX])
{
	size_t i = 0, n;
	int nf = 0;

	for (;;) {
		while (i < len &&
		    (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' ||
		        line[i] == '\n'))
			i++;
		if (i == len || line[i] == '#')
			return nf;
		if (nf == NFIELDS)
			return -1;
		for (n = 0; i < len && line[i] != ' ' && line[i] != '\t' &&
		     line[i] != '\r' && line[i] != '\n';
		     i++) {
			if (line[i] == '\0' || n + 1 == FIELD_MAX)
				return -1;
			f[nf][n++] = line[i];
		}
		f[nf++][n] = '\0';
	}
}

static int
parse_time(const char *s, long long *t)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*t = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || *t > (long long)1 << 40)
		return -1;
	return 0;
}

/* mxg_import_line: see mxg_import.h. */
int
mxg_import_line(const char *line, size_t len, const struct mxg_import_params *p,
    struct mxg_store_entry *en)
{
	char f[NFIELDS][FIELD_MAX];
	struct mxg_ip ip;
	long long t;
	int nf, aw = 0;

	if ((nf = split(line, len, f)) <= 0)
		return nf;
	if (nf < 4 || nf > 5)
		return -1;
	if (nf == 5) {
		if (strcmp(f[4], "AUTO") == 0)
			aw = 1;
		else if (strcmp(f[4], "TARPIT") != 0)
			return -1;
	}
	if (mxg_ip_parse(f[0], &ip) != 0 || parse_time(f[3], &t) != 0)
		return -1;
	if (f[1][0] != '<' || f[2][0] != '<')
		return -1;
	memset(en, 0, sizeof(*en));
	if (mxg_tuple_make(&en->tuple, &ip, p->subnetmatch, p->subnetmatch6,
	        f[1], f[2]) != 0)
		return -1;
	en->kind = MXG_KEY_TUPLE;
	en->rec.created = (int64_t)p->now;
	en->rec.until = (int64_t)t;
	if (aw) {
		en->rec.state = MXG_REC_AUTOWHITE;
		en->rec.expire = (int64_t)t;
		if (en->tuple.sender[0] == '\0' && en->tuple.rcpt[0] == '\0')
			en->kind = MXG_KEY_IP;
	} else {
		if (en->tuple.rcpt[0] == '\0')
			return -1;
		en->rec.state = MXG_REC_PENDING;
		en->rec.expire = (int64_t)p->now + p->timeout;
		if (en->rec.expire < en->rec.until)
			en->rec.expire = en->rec.until;
	}
	if (en->rec.created > en->rec.until)
		en->rec.created = en->rec.until;
	return en->rec.expire > (int64_t)p->now ? 1 : 0;
}

/* mxg_import_dump: see mxgrey.h. */
MXG_EXPORT int
mxg_import_dump(const char *dump_path, const char *rules_path,
    const char *store_path, const struct mxg_host *host, time_t now,
    unsigned long *imported, unsigned long *skipped)
{
	struct mxg_log log = { NULL, NULL };
	struct mxg_ruleset *rs = NULL;
	struct mxg_store *st = NULL;
	struct mxg_import_params p;
	struct mxg_store_entry en;
	const struct mxg_config *cf;
	unsigned long nin = 0, nskip = 0, lineno = 0;
	char line[2048];
	const char *spec;
	FILE *f = NULL;
	int rc, r;

	if (dump_path == NULL || host == NULL)
		return MXG_EINVAL;
	if (host->api_version != MXGREY_API_VERSION)
		return MXG_EVERSION;
	log.fn = host->log;
	log.ctx = host->log_ctx;
	if (rules_path != NULL &&
	    (rs = mxg_rules_load(rules_path, &log, &rc)) == NULL)
		goto fail;
	memset(&p, 0, sizeof(p));
	p.subnetmatch = 32;
	p.subnetmatch6 = 128;
	p.timeout = 432000;
	spec = MXG_DEFAULT_STORE;
	if (rs != NULL) {
		cf = mxg_rules_config(rs);
		p.subnetmatch = cf->subnetmatch;
		p.subnetmatch6 = cf->subnetmatch6;
		p.timeout = cf->timeout;
		if (cf->store != NULL)
			spec = cf->store;
	}
	if (store_path != NULL)
		spec = store_path;
	if (now == 0)
		now = host->clock ? host->clock(host->clock_ctx) : time(NULL);
	p.now = now;
	if ((f = fopen(dump_path, "r")) == NULL) {
		mxg_log(&log, MXG_LOG_ERR, "mxgrey: %s: %s", dump_path,
		    strerror(errno));
		rc = MXG_EIO;
		goto fail;
	}
	rc = mxg_store_open(
	    &st, spec, rs ? mxg_rules_config(rs)->store_hashsize : 0, 0, &log);
	if (rc != MXG_OK)
		goto fail;
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);

		lineno++;
		if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
			int c;

			while ((c = getc(f)) != EOF && c != '\n')
				;
			r = -1;
		} else
			r = mxg_import_line(line, n, &p, &en);
		if (r < 0) {
			mxg_log(&log, MXG_LOG_WARNING,
			    "mxgrey: %s:%lu: not a dump entry, skipped",
			    dump_path, lineno);
			nskip++;
		} else if (r == 0) {
			if (line[strspn(line, " \t\r\n")] != '#' &&
			    line[strspn(line, " \t\r\n")] != '\0')
				nskip++; /* an entry already over */
		} else if ((rc = st->ops->put(st, &en)) != MXG_OK) {
			mxg_log(&log, MXG_LOG_ERR,
			    "mxgrey: %s:%lu: cannot store the entry", dump_path,
			    lineno);
			goto fail;
		} else
			nin++;
	}
	if (ferror(f)) {
		mxg_log(&log, MXG_LOG_ERR, "mxgrey: %s: read error", dump_path);
		rc = MXG_EIO;
		goto fail;
	}
	rc = MXG_OK;
	if (imported != NULL)
		*imported = nin;
	if (skipped != NULL)
		*skipped = nskip;
fail:
	if (f != NULL)
		fclose(f);
	mxg_store_close(st);
	mxg_rules_free(rs);
	return rc;
}
