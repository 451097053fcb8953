/*
 * mxg_spf.c: SPF with libspf2, resolving through our own
 * SPF_dns_server_t layer on the c-ares resolver of mxg_dns.c, so SPF
 * shares the cache, the servers and the deadline of every other lookup.
 * A DNS failure during evaluation (timeout, SERVFAIL) makes the result
 * temperror; libspf2 alone would call it "invalid" or carry on.
 */
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxgrey.h"
#include "mxg_dns.h"
#include "mxg_lookup.h"
#include "mxg_rules.h"

#ifndef ns_t_spf
#define ns_t_spf 99
#endif

struct mxg_spf {
	SPF_dns_server_t layer; /* hook points back to us */
	SPF_server_t *server;
	struct mxg_dns *dns;
	struct mxg_log log;
	struct timespec deadline; /* of the check under way */
	int tempfail;             /* a lookup of this check failed */
	char why[256];
};

/* libspf2 prints warnings on stderr by default: a guest must not. */
static void
quiet(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	(void)msg;
}

static SPF_dns_rr_t *
rr_from(SPF_dns_server_t *layer, const char *domain, ns_type type,
    const struct mxg_dns_ans *a)
{
	SPF_dns_rr_t *rr;
	unsigned ttl = 0;
	size_t i;

	for (i = 0; i < a->nrr; i++)
		if (i == 0 || a->rr[i].ttl < ttl)
			ttl = a->rr[i].ttl;
	rr = SPF_dns_rr_new_init(layer, domain, type, (int)ttl, NETDB_SUCCESS);
	if (rr == NULL)
		return NULL;
	for (i = 0; i < a->nrr; i++) {
		size_t len = a->rr[i].len + 1;

		if (len < sizeof(SPF_dns_rr_data_t))
			len = sizeof(SPF_dns_rr_data_t);
		if (SPF_dns_rr_buf_realloc(rr, (int)i, len) != SPF_E_SUCCESS) {
			SPF_dns_rr_free(rr);
			return NULL;
		}
		switch (type) {
		case ns_t_a:
			memcpy(&rr->rr[i]->a, a->rr[i].data, 4);
			break;
		case ns_t_aaaa:
			memcpy(&rr->rr[i]->aaaa, a->rr[i].data, 16);
			break;
		default: /* names and text: NUL-terminated */
			memcpy(rr->rr[i], a->rr[i].data, a->rr[i].len + 1);
			break;
		}
	}
	rr->num_rr = (int)a->nrr;
	return rr;
}

/* SPF_dns_lookup_t: ask c-ares, wait no later than the deadline. */
static SPF_dns_rr_t *
spf_lookup(
    SPF_dns_server_t *layer, const char *domain, ns_type type, int should_cache)
{
	struct mxg_spf *sp = layer->hook;
	struct mxg_dns_ans *a;
	SPF_dns_rr_t *rr = NULL;

	(void)should_cache;
	if (type == ns_t_spf) /* type 99 is obsolete: nobody publishes it */
		return SPF_dns_rr_new_init(layer, domain, type, 0, NO_DATA);
	switch (type) {
	case ns_t_a:
	case ns_t_aaaa:
	case ns_t_ptr:
	case ns_t_mx:
	case ns_t_txt:
		break;
	default:
		return SPF_dns_rr_new_init(layer, domain, type, 0, NO_DATA);
	}
	if ((a = mxg_dns_start(sp->dns, domain, (int)type)) == NULL)
		goto tempfail;
	if (a->status == MXG_DNS_PENDING)
		mxg_dns_wait(sp->dns, a, &sp->deadline);
	switch (a->status) {
	case MXG_DNS_FOUND:
		rr = rr_from(layer, domain, type, a);
		mxg_dns_release(a);
		if (rr == NULL)
			goto tempfail;
		return rr;
	case MXG_DNS_NXDOMAIN:
		mxg_dns_release(a);
		return SPF_dns_rr_new_init(
		    layer, domain, type, 0, HOST_NOT_FOUND);
	case MXG_DNS_NODATA:
		mxg_dns_release(a);
		return SPF_dns_rr_new_init(layer, domain, type, 0, NO_DATA);
	case MXG_DNS_ERROR:
		/* a name we cannot ask for does not exist for SPF */
		mxg_dns_release(a);
		return SPF_dns_rr_new_init(
		    layer, domain, type, 0, HOST_NOT_FOUND);
	default:
		if (!sp->tempfail)
			snprintf(sp->why, sizeof(sp->why),
			    "SPF: DNS %s for %.200s type %d",
			    a->status == MXG_DNS_PENDING
			        ? "timeout"
			        : mxg_dns_status_name(a->status),
			    domain, (int)type);
		mxg_dns_release(a);
		break;
	}
tempfail:
	if (!sp->tempfail && a == NULL)
		snprintf(sp->why, sizeof(sp->why), "SPF: out of memory");
	sp->tempfail = 1;
	return SPF_dns_rr_new_init(layer, domain, type, 0, TRY_AGAIN);
}

/* mxg_spf_new: see mxg_lookup.h. */
struct mxg_spf *
mxg_spf_new(struct mxg_dns *dns, const struct mxg_log *log)
{
	struct mxg_spf *sp;

	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return NULL;
	if (SPF_warning_handler == SPF_warning_stdio)
		SPF_warning_handler = quiet;
	if (SPF_info_handler == SPF_info_stdio)
		SPF_info_handler = quiet;
	if (SPF_debug_handler == SPF_debug_stdio)
		SPF_debug_handler = quiet;
	sp->dns = dns;
	if (log != NULL)
		sp->log = *log;
	/* destroy NULL: the layer is ours, libspf2 must not free it */
	sp->layer.destroy = NULL;
	sp->layer.lookup = spf_lookup;
	sp->layer.get_spf = NULL;
	sp->layer.get_exp = NULL;
	sp->layer.add_cache = NULL;
	sp->layer.layer_below = NULL;
	sp->layer.name = "mxgrey";
	sp->layer.debug = 0;
	sp->layer.hook = sp;
	if ((sp->server = SPF_server_new_dns(&sp->layer, 0)) == NULL) {
		free(sp);
		return NULL;
	}
	return sp;
}

/* mxg_spf_free: see mxg_lookup.h. */
void
mxg_spf_free(struct mxg_spf *sp)
{
	if (sp == NULL)
		return;
	SPF_server_free(sp->server);
	free(sp);
}

static int
map_result(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_PASS:
		return MXG_SPF_PASS;
	case SPF_RESULT_FAIL:
		return MXG_SPF_FAIL;
	case SPF_RESULT_SOFTFAIL:
		return MXG_SPF_SOFTFAIL;
	case SPF_RESULT_NEUTRAL:
		return MXG_SPF_NEUTRAL;
	case SPF_RESULT_NONE:
		return MXG_SPF_NONE;
	case SPF_RESULT_TEMPERROR:
		return MXG_SPF_TEMPERROR;
	case SPF_RESULT_PERMERROR:
		return MXG_SPF_PERMERROR;
	default:
		return -1;
	}
}

/* mxg_spf_check: see mxg_lookup.h. */
int
mxg_spf_check(struct mxg_spf *sp, const struct mxg_ip *ip, const char *sender,
    const char *helo, const struct timespec *deadline, int *result,
    const char **why)
{
	SPF_request_t *req = NULL;
	SPF_response_t *resp = NULL;
	SPF_errcode_t err;
	char from[320];
	int rc = -1, r;

	sp->tempfail = 0;
	sp->deadline = *deadline;
	snprintf(sp->why, sizeof(sp->why), "SPF: could not check");
	if (sender == NULL || *sender == '\0') {
		if (helo == NULL || *helo == '\0') {
			/* nothing to check: no identity */
			*result = MXG_SPF_NONE;
			return 1;
		}
		snprintf(from, sizeof(from), "postmaster@%s", helo);
	} else
		snprintf(from, sizeof(from), "%s", sender);

	if ((req = SPF_request_new(sp->server)) == NULL)
		goto done;
	if (ip->family == 4) {
		struct in_addr in;

		memcpy(&in.s_addr, ip->a, 4);
		SPF_request_set_ipv4(req, in);
	} else {
		struct in6_addr in6;

		memcpy(&in6, ip->a, 16);
		SPF_request_set_ipv6(req, in6);
	}
	if (helo != NULL && *helo != '\0')
		SPF_request_set_helo_dom(req, helo);
	if (SPF_request_set_env_from(req, from) != 0) {
		/* not an address libspf2 can use: no identity to check */
		*result = MXG_SPF_NONE;
		rc = 1;
		goto done;
	}
	err = SPF_request_query_mailfrom(req, &resp);
	r = resp != NULL ? map_result(SPF_response_result(resp)) : -1;
	if (sp->tempfail)
		goto done;
	/*
	 * "invalid" without a DNS failure: the record did not compile
	 * (RFC 7208 permerror); out of memory stays undecided.
	 */
	if (r == -1 && resp != NULL && err != SPF_E_NO_MEMORY)
		r = MXG_SPF_PERMERROR;
	if (r == -1 || r == MXG_SPF_TEMPERROR) {
		snprintf(sp->why, sizeof(sp->why), "SPF: %s for %.200s",
		    r == -1 ? "no result" : "temperror", from);
		goto done;
	}
	*result = r;
	rc = 1;
done:
	if (rc == -1) {
		*result = MXG_SPF_TEMPERROR;
		if (why != NULL)
			*why = sp->why;
	}
	if (resp != NULL)
		SPF_response_free(resp);
	if (req != NULL)
		SPF_request_free(req);
	return rc;
}
