#!/bin/sh
# opensmtpd_data.sh: dacl rules through a real OpenSMTPD 6.8.0p2:
# filter-mxgrey registers data-line and commit, echoes every line (a
# message with dot-stuffed lines and a '|' still arrives whole), and
# decides at the end of DATA: a header rule and a body rule give 550,
# a clean message is accepted; RCPT-stage greylisting still applies.
. tests/integration/opensmtpd_lib.sh
smtpd_init opensmtpd_data

smtpd_rules "# opensmtpd_data.sh
greylist 1h
racl greylist rcpt grey@example.net
racl whitelist default
dacl blacklist header /^X-Spam: yes/ msg \"Spam refused\"
dacl blacklist body \"viagra\" msg \"No pills\""
smtpd_start
wait_until 5 grep -q 'dacl rules: messages are checked at end of DATA' "$LOG" ||
    fail "the filter did not ask for messages"

# data_reply FROM TO [swaks options]: the reply to the final dot
data_reply() {
	from=$1 to=$2
	shift 2
	swaks_to 127.0.0.1 "$from" "$to" "$@" |
	    sed -n '/^ -> \.$/{n;s/^<[-*][-* ]* //;p;q;}'
}

BODY=$(printf 'line one\n.leading dot\n..two dots\nfields a|b|c\nlast')

# 1. a clean message: accepted, whole (size as sent)
r=$(data_reply alice@example.org bob@example.net --body "$BODY")
expect_prefix "clean message" "$r" "250 2.0.0"
wait_until 5 grep -q 'accept end of data addr=127.0.0.1 from=<alice@example.org> rcpts=1' "$LOG" ||
    fail "no end-of-data decision logged"
got=$(sed -n 's/.*accept end of data .* size=\([0-9]*\) .*/\1/p' "$LOG" | tail -n 1)
smtpd_size=$(sed -n 's/.*smtp message msgid=.* size=\([0-9]*\) .*/\1/p' "$LOG" | tail -n 1)
[ -n "$got" ] && [ "$got" -gt 0 ] || fail "no message size in the decision"
ok "message of $got bytes seen by the filter (smtpd: $smtpd_size)"

# 2. header rule: 550 at the end of DATA
r=$(data_reply alice@example.org bob@example.net --header "X-Spam: yes")
expect_prefix "spam header" "$r" "550 5.7.1 Spam refused"

# 3. body rule
r=$(data_reply alice@example.org bob@example.net --body "cheap viagra here")
expect_prefix "spam body" "$r" "550 5.7.1 No pills"

# 4. the RCPT stage still greylists
r=$(rcpt_reply alice@example.org grey@example.net)
expect_prefix "RCPT greylist" "$r" "451 4.7.1"

smtpd_alive || fail "smtpd or its filter died"
ok "smtpd and filter-mxgrey still running"
exit 0
