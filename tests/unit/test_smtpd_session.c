/*
 * test_smtpd_session.c: the OpenSMTPD filter's session table and message
 * collection (shim/opensmtpd/smtpd_session.c).
 */
#include "mxg_test.h"
#include "smtpd_session.h"

START_TEST(table)
{
	struct smtpd_sessions *t = smtpd_sessions_new();
	struct smtpd_session *s;
	uint64_t i;

	ck_assert_ptr_nonnull(t);
	/* enough to make the table grow several times */
	for (i = 1; i <= 5000; i++) {
		s = smtpd_session_get(t, i * 0x9e3779b97f4a7c15ULL);
		ck_assert_ptr_nonnull(s);
		s->rcpts = (unsigned)i;
	}
	ck_assert_uint_eq(smtpd_sessions_count(t), 5000);
	for (i = 1; i <= 5000; i++) {
		s = smtpd_session_find(t, i * 0x9e3779b97f4a7c15ULL);
		ck_assert_ptr_nonnull(s);
		ck_assert_uint_eq(s->rcpts, (unsigned)i);
	}
	/* get of a known id is the same session */
	ck_assert_ptr_eq(smtpd_session_get(t, 0x9e3779b97f4a7c15ULL),
	    smtpd_session_find(t, 0x9e3779b97f4a7c15ULL));
	ck_assert_uint_eq(smtpd_sessions_count(t), 5000);
	ck_assert_ptr_null(smtpd_session_find(t, 42));
	smtpd_session_del(t, 42); /* absent: nothing happens */
	for (i = 1; i <= 5000; i += 2)
		smtpd_session_del(t, i * 0x9e3779b97f4a7c15ULL);
	ck_assert_uint_eq(smtpd_sessions_count(t), 2500);
	ck_assert_ptr_null(smtpd_session_find(t, 0x9e3779b97f4a7c15ULL));
	ck_assert_ptr_nonnull(smtpd_session_find(t, 2 * 0x9e3779b97f4a7c15ULL));
	/* the rest, with messages in flight, go with the table */
	s = smtpd_session_get(t, 2 * 0x9e3779b97f4a7c15ULL);
	ck_assert_int_eq(smtpd_session_add_rcpt(s, "a@b"), 0);
	ck_assert_int_eq(smtpd_session_add_line(s, "Subject: x"), 0);
	smtpd_sessions_free(t);
	smtpd_sessions_free(NULL);
}
END_TEST

START_TEST(message)
{
	struct smtpd_sessions *t = smtpd_sessions_new();
	struct smtpd_session *s = smtpd_session_get(t, 1);

	ck_assert_int_eq(smtpd_session_add_rcpt(s, "a@example.net"), 0);
	ck_assert_int_eq(smtpd_session_add_rcpt(s, "b@example.net"), 0);
	ck_assert_int_eq(smtpd_session_add_line(s, "Subject: hello"), 0);
	ck_assert_int_eq(smtpd_session_add_line(s, "X-A: 1"), 0);
	ck_assert_int_eq(smtpd_session_add_line(s, ""), 0);
	ck_assert_int_eq(smtpd_session_add_line(s, "..dot"), 0);
	ck_assert_int_eq(smtpd_session_add_line(s, "body"), 0);
	ck_assert_int_eq(smtpd_session_add_line(s, "."), 0);
	ck_assert_uint_eq(s->nok_rcpts, 2);
	ck_assert_str_eq(s->ok_rcpts[1], "b@example.net");
	ck_assert_str_eq(s->hdr, "Subject: hello\nX-A: 1\n");
	ck_assert_str_eq(s->body, ".dot\nbody\n");
	ck_assert_uint_eq(s->bodylen, strlen(s->body));
	/* every line with its CRLF, the dot-stuffing undone */
	ck_assert_uint_eq(s->msgsize, 16 + 8 + 2 + 6 + 6);
	smtpd_session_tx_reset(s);
	ck_assert_ptr_null(s->hdr);
	ck_assert_ptr_null(s->body);
	ck_assert_uint_eq(s->nok_rcpts, 0);
	ck_assert_uint_eq(s->msgsize, 0);
	ck_assert_int_eq(s->in_body, 0);
	smtpd_sessions_free(t);
}
END_TEST

/* Headers and body are kept up to their limits; the size counts all. */
START_TEST(limits)
{
	struct smtpd_sessions *t = smtpd_sessions_new();
	struct smtpd_session *s = smtpd_session_get(t, 1);
	char line[1001];
	int i;

	memset(line, 'h', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(smtpd_session_add_line(s, line), 0);
	ck_assert_uint_eq(s->hdrlen, SMTPD_HDR_MAX);
	ck_assert_uint_eq(strlen(s->hdr), SMTPD_HDR_MAX);
	ck_assert_int_eq(smtpd_session_add_line(s, ""), 0);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(smtpd_session_add_line(s, line), 0);
	ck_assert_uint_eq(s->bodylen, SMTPD_BODY_MAX);
	ck_assert_uint_eq(strlen(s->body), SMTPD_BODY_MAX);
	ck_assert_uint_eq(s->msgsize, 200 * 1002 + 2);
	smtpd_sessions_free(t);
}
END_TEST

START_TEST(set)
{
	char buf[4];

	smtpd_session_set(buf, sizeof(buf), "abcdef");
	ck_assert_str_eq(buf, "abc");
	smtpd_session_set(buf, sizeof(buf), "");
	ck_assert_str_eq(buf, "");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("smtpd_session");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, table);
	tcase_add_test(tc, message);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, set);
	suite_add_tcase(s, tc);
	return s;
}

MXG_TEST_MAIN
