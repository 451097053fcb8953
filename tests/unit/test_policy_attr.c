/*
 * test_policy_attr.c: framing and parsing of Postfix policy requests.
 */
#include "mxg_test.h"

#include "../../shim/postfix/policy_attr.h"

static const char REQ[] = "request=smtpd_access_policy\n"
                          "protocol_state=RCPT\n"
                          "protocol_name=ESMTP\n"
                          "helo_name=mail.example.org\n"
                          "queue_id=\n"
                          "sender=Alice@Example.org\n"
                          "recipient=bob@example.net\n"
                          "recipient_count=2\n"
                          "client_address=192.0.2.7\n"
                          "client_name=unknown\n"
                          "reverse_client_name=mail.example.org\n"
                          "sasl_username=\n"
                          "encryption_protocol=TLSv1.3\n"
                          "\n";

/* Feed all of s, in chunks of step bytes; count READY and errors. */
static int
feed_all(struct mxg_policy_reader *rd, const char *s, size_t len, size_t step,
    int *errs, char *last, size_t lastsize)
{
	size_t off = 0, used, n;
	int ready = 0, rc;

	*errs = 0;
	while (off < len) {
		n = len - off < step ? len - off : step;
		while (n > 0) {
			rc = mxg_policy_reader_feed(rd, s + off, n, &used);
			ck_assert_uint_le(used, n);
			off += used;
			n -= used;
			if (rc == MXG_POLICY_READY) {
				ready++;
				ck_assert_uint_lt(rd->len, lastsize);
				memcpy(last, rd->buf, rd->len + 1);
			} else if (rc < 0)
				(*errs)++;
			if (rc == MXG_POLICY_MORE)
				ck_assert_uint_eq(n, 0);
		}
	}
	return ready;
}

START_TEST(test_frame_and_map)
{
	struct mxg_policy_reader rd;
	struct mxg_policy_req r;
	struct mxg_request req;
	size_t used;

	mxg_policy_reader_init(&rd);
	ck_assert_int_eq(
	    mxg_policy_reader_feed(&rd, REQ, sizeof(REQ) - 1, &used),
	    MXG_POLICY_READY);
	ck_assert_uint_eq(used, sizeof(REQ) - 1);
	ck_assert_int_eq(mxg_policy_parse(&r, rd.buf, rd.len), 0);
	ck_assert_uint_eq(r.nattr, 13);
	ck_assert_str_eq(mxg_policy_get(&r, "helo_name"), "mail.example.org");
	ck_assert_ptr_null(mxg_policy_get(&r, "nope"));
	ck_assert(mxg_policy_is_rcpt(&r));
	mxg_policy_request(&r, &req);
	ck_assert_str_eq(req.client_addr, "192.0.2.7");
	ck_assert_ptr_null(req.client_name);
	ck_assert_str_eq(req.sender, "Alice@Example.org");
	ck_assert_str_eq(req.rcpt, "bob@example.net");
	ck_assert_str_eq(req.helo, "mail.example.org");
	ck_assert_ptr_null(req.queue_id);
	ck_assert_ptr_null(req.auth_id);
	ck_assert_int_eq(req.tls, 1);
	ck_assert_uint_eq(req.rcpt_count, 3);
	ck_assert_uint_eq(req.nmacros, 13);
	ck_assert_str_eq(req.macros[1].name, "protocol_state");
	mxg_policy_reader_free(&rd);
}
END_TEST

START_TEST(test_chunked_equals_whole)
{
	struct mxg_policy_reader rd;
	char two[2 * sizeof(REQ)], last[MXG_POLICY_REQ_MAX + 1];
	size_t step;
	int errs;

	memcpy(two, REQ, sizeof(REQ) - 1);
	memcpy(two + sizeof(REQ) - 1, REQ, sizeof(REQ));
	for (step = 1; step < 64; step++) {
		mxg_policy_reader_init(&rd);
		ck_assert_int_eq(feed_all(&rd, two, strlen(two), step, &errs,
		                     last, sizeof(last)),
		    2);
		ck_assert_int_eq(errs, 0);
		ck_assert_uint_eq(strlen(last), sizeof(REQ) - 2);
		ck_assert_int_eq(memcmp(last, REQ, sizeof(REQ) - 2), 0);
		mxg_policy_reader_free(&rd);
	}
}
END_TEST

START_TEST(test_crlf_split)
{
	static const char s[] = "request=smtpd_access_policy\r\n\r\n";
	struct mxg_policy_reader rd;
	char last[256];
	size_t step;
	int errs;

	for (step = 1; step < sizeof(s); step++) {
		mxg_policy_reader_init(&rd);
		ck_assert_int_eq(feed_all(&rd, s, strlen(s), step, &errs, last,
		                     sizeof(last)),
		    1);
		ck_assert_str_eq(last, "request=smtpd_access_policy\r\n");
		mxg_policy_reader_free(&rd);
	}
}
END_TEST

START_TEST(test_crlf)
{
	static const char s[] = "request=smtpd_access_policy\r\n"
	                        "client_address=::1\r\n"
	                        "\r\n";
	struct mxg_policy_reader rd;
	struct mxg_policy_req r;
	size_t used;

	mxg_policy_reader_init(&rd);
	ck_assert_int_eq(
	    mxg_policy_reader_feed(&rd, s, strlen(s), &used), MXG_POLICY_READY);
	ck_assert_int_eq(mxg_policy_parse(&r, rd.buf, rd.len), 0);
	ck_assert_str_eq(mxg_policy_get(&r, "client_address"), "::1");
	ck_assert_str_eq(mxg_policy_get(&r, "request"), "smtpd_access_policy");
	mxg_policy_reader_free(&rd);
}
END_TEST

/* An over-long request is skipped to its end; the next one parses. */
START_TEST(test_too_long)
{
	struct mxg_policy_reader rd;
	char last[MXG_POLICY_REQ_MAX + 1], *big;
	size_t n = MXG_POLICY_REQ_MAX * 3, off;
	int errs;

	big = malloc(n + sizeof(REQ));
	ck_assert_ptr_nonnull(big);
	/* many short lines, then one line with no '\n' for a while */
	for (off = 0; off < n / 2; off += 10)
		memcpy(big + off, "a=12345678", 10), big[off + 9] = '\n';
	memset(big + off, 'x', n - off);
	big[n - 2] = '\n';
	big[n - 1] = '\n';
	memcpy(big + n, REQ, sizeof(REQ));
	for (size_t step = 1000; step <= n; step *= 7) {
		mxg_policy_reader_init(&rd);
		ck_assert_int_eq(feed_all(&rd, big, strlen(big), step, &errs,
		                     last, sizeof(last)),
		    1);
		ck_assert_int_eq(errs, 1);
		ck_assert_int_eq(memcmp(last, REQ, sizeof(REQ) - 2), 0);
		ck_assert_uint_le(rd.cap, MXG_POLICY_REQ_MAX + 1);
		mxg_policy_reader_free(&rd);
	}
	free(big);
}
END_TEST

/* Exactly at the limit is fine, one byte over is not. */
START_TEST(test_limit_edge)
{
	struct mxg_policy_reader rd;
	char *s;
	size_t used, body = MXG_POLICY_REQ_MAX - 1; /* line + '\n' */
	int rc;

	s = malloc(MXG_POLICY_REQ_MAX + 8);
	ck_assert_ptr_nonnull(s);
	memcpy(s, "request=", 8);
	memset(s + 8, 'y', body - 8);
	s[body] = '\n';
	s[body + 1] = '\n';
	mxg_policy_reader_init(&rd);
	rc = mxg_policy_reader_feed(&rd, s, body + 2, &used);
	ck_assert_int_eq(rc, MXG_POLICY_READY);
	ck_assert_uint_eq(rd.len, MXG_POLICY_REQ_MAX);
	/* one byte more */
	s[body] = 'y';
	s[body + 1] = '\n';
	s[body + 2] = '\n';
	rc = mxg_policy_reader_feed(&rd, s, body + 3, &used);
	ck_assert_int_eq(rc, MXG_POLICY_ETOOLONG);
	ck_assert_uint_eq(used, body + 3);
	mxg_policy_reader_free(&rd);
	free(s);
}
END_TEST

static int
parse_str(const char *s)
{
	struct mxg_policy_req r;
	char buf[8192];
	size_t n = strlen(s);

	memcpy(buf, s, n + 1);
	return mxg_policy_parse(&r, buf, n);
}

START_TEST(test_malformed)
{
	char many[8192], *p = many;
	int i;

	ck_assert_int_eq(parse_str("request=smtpd_access_policy\n"), 0);
	ck_assert_int_eq(parse_str("request=smtpd_access_policy"), 0);
	ck_assert_int_eq(parse_str(""), MXG_POLICY_EREQUEST);
	ck_assert_int_eq(parse_str("request=other\n"), MXG_POLICY_EREQUEST);
	ck_assert_int_eq(parse_str("sender=a@b\n"), MXG_POLICY_EREQUEST);
	ck_assert_int_eq(parse_str("request=smtpd_access_policy\nnoequal\n"),
	    MXG_POLICY_ESYNTAX);
	ck_assert_int_eq(parse_str("=value\n"), MXG_POLICY_ESYNTAX);
	ck_assert_int_eq(parse_str("na me=value\n"), MXG_POLICY_ESYNTAX);
	ck_assert_int_eq(parse_str("request=smtpd_access_policy\na=\x01\n"),
	    MXG_POLICY_ECTRL);
	ck_assert_int_eq(parse_str("request=smtpd_access_policy\na=\x7f\n"),
	    MXG_POLICY_ECTRL);
	ck_assert_int_eq(parse_str("request=smtpd_access_policy\na=\tok\n"), 0);
	ck_assert_int_eq(parse_str("request=smtpd_access_policy\n"
	                           "sender=a\nsender=b\n"),
	    MXG_POLICY_EDUP);
	p += sprintf(p, "request=smtpd_access_policy\n");
	for (i = 0; i < MXG_POLICY_ATTR_MAX; i++)
		p += sprintf(p, "a%d=%d\n", i, i);
	ck_assert_int_eq(parse_str(many), MXG_POLICY_ETOOMANY);
	/* UTF-8 values pass */
	ck_assert_int_eq(parse_str("request=smtpd_access_policy\n"
	                           "sender=j\xc3\xb6rg@example.org\n"),
	    0);
}
END_TEST

START_TEST(test_nul_in_line)
{
	struct mxg_policy_reader rd;
	struct mxg_policy_req r;
	static const char s[] = "request=smtpd_access_policy\nsender=a\0b\n\n";
	size_t used;

	mxg_policy_reader_init(&rd);
	ck_assert_int_eq(mxg_policy_reader_feed(&rd, s, sizeof(s) - 1, &used),
	    MXG_POLICY_READY);
	ck_assert_int_eq(
	    mxg_policy_parse(&r, rd.buf, rd.len), MXG_POLICY_ECTRL);
	mxg_policy_reader_free(&rd);
}
END_TEST

START_TEST(test_states_and_text)
{
	struct mxg_policy_req r;
	char buf[256];
	int e;

	strcpy(buf, "request=smtpd_access_policy\nprotocol_state=DATA\n");
	ck_assert_int_eq(mxg_policy_parse(&r, buf, strlen(buf)), 0);
	ck_assert(!mxg_policy_is_rcpt(&r));
	strcpy(buf, "request=smtpd_access_policy\n");
	ck_assert_int_eq(mxg_policy_parse(&r, buf, strlen(buf)), 0);
	ck_assert(mxg_policy_is_rcpt(&r));
	for (e = MXG_POLICY_EREQUEST; e <= MXG_POLICY_ETOOLONG; e++)
		ck_assert_str_ne(mxg_policy_strerror(e), "unknown error");
	ck_assert_str_eq(mxg_policy_strerror(42), "unknown error");
}
END_TEST

/* An empty line alone is an (empty, invalid) request, stream in step. */
START_TEST(test_empty_request)
{
	struct mxg_policy_reader rd;
	size_t used;

	mxg_policy_reader_init(&rd);
	ck_assert_int_eq(
	    mxg_policy_reader_feed(&rd, "\n", 1, &used), MXG_POLICY_READY);
	ck_assert_uint_eq(rd.len, 0);
	ck_assert_int_eq(
	    mxg_policy_reader_feed(&rd, "a=b\n", 4, &used), MXG_POLICY_MORE);
	ck_assert_int_eq(
	    mxg_policy_reader_feed(&rd, "\n", 1, &used), MXG_POLICY_READY);
	ck_assert_str_eq(rd.buf, "a=b\n");
	mxg_policy_reader_free(&rd);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("policy_attr");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_frame_and_map);
	tcase_add_test(tc, test_chunked_equals_whole);
	tcase_add_test(tc, test_crlf);
	tcase_add_test(tc, test_crlf_split);
	tcase_add_test(tc, test_too_long);
	tcase_add_test(tc, test_limit_edge);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_nul_in_line);
	tcase_add_test(tc, test_states_and_text);
	tcase_add_test(tc, test_empty_request);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
