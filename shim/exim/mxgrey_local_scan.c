/*
 * mxgrey_local_scan.c: Exim's local_scan() entry, for end-of-DATA rules
 * (dacl). Loaded by Debian's exim4 through `local_scan_path =
 * /usr/local/lib/mxgrey/mxgrey_exim.so` (the localscan_dlopen patch
 * checks the two version functions below), or compiled into Exim with
 * LOCAL_SCAN_SOURCE and linked with libmxgrey_exim.a (this file then
 * needs nothing from mxgrey_exim.c).
 *
 * local_scan() takes no arguments, so the rules file and the store come
 * from ACL variables set in the RCPT ACL: $acl_m_mxgrey_config and
 * $acl_m_mxgrey_store (unset or empty: the defaults). Greylisting at DATA
 * covers all recipients of the message, as milter-greylist's DATA stage
 * does. Local submissions (no client address) are not looked at.
 */
#define LOCAL_SCAN
#include <local_scan.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mxg_exim.h"

#define MXG_EXIM_PUBLIC __attribute__((visibility("default")))

#define HDR_MAX  (64 * 1024) /* header bytes given to the rules */
#define BODY_MAX (64 * 1024) /* body bytes given to the rules */

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

static void
ls_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	log_write(0, level <= MXG_LOG_ERR ? LOG_MAIN | LOG_PANIC : LOG_MAIN,
	    "%s", msg);
}

/* the receiving child decides one message and exits */
static const struct mxg_host ls_host = {
	.api_version = MXGREY_API_VERSION,
	.log = ls_log,
	.flags = MXG_HOST_SHORT_LIVED,
};

/* An Exim variable's value; NULL when unset, empty or not expandable. */
static const char *
var(const char *name)
{
	char buf[64]; /* expand_string() wants a writable string */
	uschar *v;

	snprintf(buf, sizeof(buf), "%s", name);
	v = expand_string((uschar *)buf);

	return v == NULL || *v == '\0' ? NULL : (const char *)v;
}

/* The live headers (deleted ones have type '*'), at most HDR_MAX bytes. */
static char *
headers(void)
{
	header_line *h;
	char *buf;
	size_t len = 0, n;

	if ((buf = malloc(HDR_MAX + 1)) == NULL)
		return NULL;
	for (h = header_list; h != NULL; h = h->next) {
		if (h->type == '*' || h->slen <= 0)
			continue;
		n = (size_t)h->slen;
		if (n > HDR_MAX - len)
			n = HDR_MAX - len;
		memcpy(buf + len, h->text, n);
		len += n;
	}
	buf[len] = '\0';
	return buf;
}

/* The first BODY_MAX bytes of the body; fd is positioned at its start. */
static char *
body(int fd, size_t *lenp)
{
	char *buf;
	size_t len = 0;
	ssize_t n;

	*lenp = 0;
	if ((buf = malloc(BODY_MAX + 1)) == NULL)
		return NULL;
	while (len < BODY_MAX) {
		n = read(fd, buf + len, BODY_MAX - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* "4.7.1 text" for Exim, which puts the 451/550 in front itself. */
static uschar *
reply(const struct mxg_verdict *v)
{
	char out[MXG_EXIM_RESULT_MAX], *p, *text;

	/* reuse the dlfunc's sanitising: "verb code ecode text\tdetails" */
	mxg_exim_result_format(v, out, sizeof(out));
	if ((p = strchr(out, '\t')) != NULL)
		*p = '\0';
	text = out;
	if ((p = strchr(text, ' ')) != NULL) /* skip the verb */
		text = p + 1;
	if ((p = strchr(text, ' ')) != NULL) /* skip the code */
		text = p + 1;
	return string_copy(US text);
}

/*
 * local_scan: called by Exim once per message at end of DATA, fd open
 * on the spool data file at the start of the body. Runs the dacl rules
 * over the message and all its recipients: LOCAL_SCAN_ACCEPT, or
 * LOCAL_SCAN_TEMPREJECT / LOCAL_SCAN_REJECT with *return_text
 * "ECODE TEXT" (Exim prefixes 451 / 550).
 */
int
local_scan(int fd, uschar **return_text)
{
	struct mxg_engine *e;
	struct mxg_request req;
	struct mxg_message msg;
	struct mxg_verdict v;
	const char **rcpts = NULL;
	const char *sz;
	char *hdr = NULL, *bod = NULL;
	int i, rc, ret = LOCAL_SCAN_ACCEPT;

	if (sender_host_address == NULL || *sender_host_address == '\0')
		return LOCAL_SCAN_ACCEPT; /* local submission */
	e = mxg_exim_engine_get(var("$acl_m_mxgrey_config"),
	    var("$acl_m_mxgrey_store"), &ls_host, &rc);
	if (e == NULL) {
		log_write(0, LOG_MAIN | LOG_PANIC,
		    "mxgrey: local_scan: cannot open engine: %s",
		    mxg_strerror(rc));
		*return_text = US "4.3.5 mxgrey: cannot open engine";
		return LOCAL_SCAN_TEMPREJECT;
	}
	if (!mxg_has_data_rules(e))
		return LOCAL_SCAN_ACCEPT; /* nothing to decide at DATA */
	memset(&req, 0, sizeof(req));
	req.client_addr = (const char *)sender_host_address;
	req.client_name = (const char *)sender_host_name;
	req.helo = var("$sender_helo_name");
	req.sender = sender_address != NULL ? (const char *)sender_address : "";
	req.auth_id = var("$authenticated_id");
	req.tls = var("$tls_in_cipher") != NULL;
	req.rcpt_count = recipients_count > 0 ? (unsigned)recipients_count : 0;
	req.queue_id = (const char *)message_id;
	req.local_name = var("$primary_hostname");
	memset(&msg, 0, sizeof(msg));
	if (recipients_count > 0 &&
	    (rcpts = calloc((size_t)recipients_count, sizeof(*rcpts))) == NULL)
		goto nomem;
	for (i = 0; i < recipients_count; i++)
		rcpts[i] = (const char *)recipients_list[i].address;
	msg.rcpts = rcpts;
	msg.nrcpts = recipients_count > 0 ? (size_t)recipients_count : 0;
	if ((hdr = headers()) == NULL ||
	    (bod = body(fd, &msg.body_len)) == NULL)
		goto nomem;
	msg.headers = hdr;
	msg.body = bod;
	sz = var("$message_size");
	msg.size = sz != NULL ? strtoul(sz, NULL, 10) : msg.body_len;

	if ((rc = mxg_check_data(e, &req, &msg, &v)) != MXG_OK)
		log_write(0, LOG_MAIN,
		    "mxgrey: local_scan: no decision for [%s] <%s>: %s; "
		    "failure action %s",
		    req.client_addr, req.sender, mxg_strerror(rc),
		    mxg_action_name(v.action));
	switch (v.action) {
	case MXG_ACCEPT:
		/* a dacl rule's addheader line (one line, "Name: value") */
		if (v.header[0] != '\0')
			header_add(' ', "%s\n", v.header);
		ret = LOCAL_SCAN_ACCEPT;
		break;
	case MXG_REJECT:
		*return_text = reply(&v);
		ret = LOCAL_SCAN_REJECT;
		break;
	case MXG_GREYLIST:
	case MXG_TEMPFAIL:
	default:
		*return_text = reply(&v);
		ret = LOCAL_SCAN_TEMPREJECT;
		break;
	}
	goto done;
nomem:
	log_write(0, LOG_MAIN, "mxgrey: local_scan: out of memory");
	*return_text = US "4.3.0 mxgrey: out of memory";
	ret = LOCAL_SCAN_TEMPREJECT;
done:
	free(rcpts);
	free(hdr);
	free(bod);
	return ret;
}
