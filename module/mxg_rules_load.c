/*
 * mxg_rules_load.c: read a rules file, and the read-only accessors and
 * destructor of a compiled ruleset.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mxgrey.h"
#include "mxg_lookup.h"
#include "mxg_rules_int.h"

#define MAX_RULES_FILE (16 * 1024 * 1024)

/* mxg_rules_free: see mxg_rules.h. */
void
mxg_rules_free(struct mxg_ruleset *rs)
{
	struct mxg_rlist *l;
	size_t i;

	if (rs == NULL)
		return;
	for (l = rs->lists; l != NULL; l = l->next) {
		mxg_cidr_free(l->cidr);
		mxg_strset_free(l->exact);
		mxg_strset_free(l->domains);
		for (i = 0; i < l->nre; i++)
			regfree(&l->re[i]);
		free(l->re);
		free(l->subs);
	}
	for (i = 0; i < rs->nregexes; i++)
		regfree(rs->regexes[i]);
	if (rs->s25r_ready)
		for (i = 0; i < MXG_S25R_N; i++)
			regfree(&rs->s25r[i]);
	free(rs->regexes);
	for (i = 0; i < 2; i++)
		free(rs->st[i].rules);
	free(rs->rbls);
	free(rs->macros);
	free(rs->resolvers);
	for (i = 0; i < rs->nallocs; i++)
		free(rs->allocs[i]);
	free(rs->allocs);
	free(rs);
}

/* mxg_rules_load: see mxg_rules.h. Reads at most 16 MiB. */
struct mxg_ruleset *
mxg_rules_load(const char *path, const struct mxg_log *log, int *err)
{
	struct mxg_ruleset *rs;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		mxg_log(log, MXG_LOG_ERR, "%s: cannot open: %s", path,
		    strerror(errno));
		*err = MXG_EIO;
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 8192;
			if (cap > MAX_RULES_FILE + 1)
				cap = MAX_RULES_FILE + 1;
			if ((nb = realloc(buf, cap)) == NULL) {
				*err = MXG_ENOMEM;
				goto fail;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			mxg_log(log, MXG_LOG_ERR, "%s: cannot read: %s", path,
			    strerror(errno));
			*err = MXG_EIO;
			goto fail;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > MAX_RULES_FILE) {
			mxg_log(log, MXG_LOG_ERR, "%s: larger than %d bytes",
			    path, MAX_RULES_FILE);
			*err = MXG_EIO;
			goto fail;
		}
	}
	close(fd);
	rs = mxg_rules_parse(path, buf, len, log, err);
	free(buf);
	return rs;
fail:
	close(fd);
	free(buf);
	return NULL;
}

/* mxg_rules_open: see mxg_rules.h. */
struct mxg_ruleset *
mxg_rules_open(const char *path, const struct mxg_log *log, int *err)
{
	struct mxg_ruleset *rs;
	char why[512];

	if ((rs = mxg_rules_load(path, log, err)) == NULL)
		return NULL;
	if (rs->cf.geoip_db != NULL &&
	    mxg_geoip_probe(rs->cf.geoip_db, why, sizeof(why)) == -1) {
		mxg_log(log, MXG_LOG_ERR, "%s:%u:%u: %s", path, rs->geoip_line,
		    rs->geoip_col, why);
		mxg_rules_free(rs);
		*err = MXG_ERULES;
		return NULL;
	}
	return rs;
}

/* mxg_rules_config: see mxg_rules.h. */
const struct mxg_config *
mxg_rules_config(const struct mxg_ruleset *rs)
{
	return &rs->cf;
}

/* mxg_rules_has_stage: see mxg_rules.h. */
int
mxg_rules_has_stage(const struct mxg_ruleset *rs, enum mxg_stage stage)
{
	return rs->st[stage == MXG_STAGE_DATA].nrules > 0;
}

/* mxg_rules_needs: see mxg_rules.h. */
unsigned
mxg_rules_needs(const struct mxg_ruleset *rs, enum mxg_stage stage)
{
	return rs->st[stage == MXG_STAGE_DATA].needs;
}

/* mxg_rules_dnsrbl_zones: see mxg_rules.h. */
const char *const *
mxg_rules_dnsrbl_zones(
    const struct mxg_ruleset *rs, enum mxg_stage stage, size_t *n)
{
	const struct mxg_stage_rules *st = &rs->st[stage == MXG_STAGE_DATA];

	*n = st->nzones;
	return st->zones;
}
