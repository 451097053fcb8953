#!/bin/sh
# opensmtpd_reload.sh: SIGHUP to filter-mxgrey under a real OpenSMTPD
# 6.8.0p2 while an SMTP session stays open across every reload:
# a good rules file takes effect (in the open session and in new ones);
# a broken one is refused with its file:line:col, the previous rules stay
# and smtpd keeps running; a good file after the broken one is taken
# again; a burst of SIGHUPs is survived; a filter started on a broken
# file answers with the failure action until a SIGHUP after the fix.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. tests/integration/opensmtpd_lib.sh
smtpd_init opensmtpd_reload

RULES_V1="# v1
greylist 1h
racl whitelist rcpt white@example.net
racl greylist default"
RULES_V2="# v2
greylist 1h
racl whitelist rcpt white@example.net
racl blacklist rcpt black@example.net msg \"blocked after reload\"
racl greylist default"
smtpd_rules "$RULES_V1"
smtpd_start

# The held session on fd 3, spoken to by hand.
smtp_read() {
	local line
	while IFS= read -r -t 20 line <&3; do
		line=${line%$'\r'}
		case "$line" in
		[0-9][0-9][0-9]-*) ;;
		*) REPLY_LINE=$line; return 0 ;;
		esac
	done
	REPLY_LINE="(no reply)"
	return 1
}
smtp_cmd() {
	printf '%s\r\n' "$1" >&3
	smtp_read
}
held() {
	smtp_cmd "RCPT TO:<$1>"
	expect_prefix "held session, RCPT $1" "$REPLY_LINE" "$2"
}
# reload: SIGHUP, wait for the engine's verdict on it in the smtpd log
reload() {
	before=$(log_count "$1")
	kill -s HUP "$(filter_pid)" || fail "cannot signal the filter"
	wait_until 10 sh -c "[ \$(grep -c -- '$1' '$LOG') -gt $before ]" ||
	    fail "no '$1' in the log after SIGHUP"
}

exec 3<>"/dev/tcp/127.0.0.1/$PORT" || fail "cannot connect"
smtp_read
expect_prefix "held session banner" "$REPLY_LINE" "220"
smtp_cmd "EHLO client.example"
smtp_cmd "MAIL FROM:<held@example.org>"
expect_prefix "held session MAIL" "$REPLY_LINE" "250"
held white@example.net 250
held black@example.net "451 4.7.1"

# 1. a good file: taken, in the open session too
smtpd_rules "$RULES_V2"
reload "rules reloaded from"
ok "good rules file reloaded"
held black@example.net "550 5.7.1 blocked after reload"
r=$(rcpt_reply someone@example.org black@example.net)
expect_prefix "new session after reload" "$r" "550 5.7.1 blocked after reload"

# 2. a broken file: refused with its location, the v2 rules stay
smtpd_rules "$RULES_V2
racl blacklist nosuchclause whatever"
reload "reload of $RULES failed"
grep -q "$RULES:6:[0-9]*: " "$LOG" ||
    fail "the error does not give $RULES:6:col"
ok "broken file refused: $(grep -m1 "$RULES:6:" "$LOG" | sed 's/^mxgrey: //')"
held black@example.net "550 5.7.1 blocked after reload"
held white@example.net 250
r=$(rcpt_reply someone@example.org black@example.net)
expect_prefix "new session, old rules stay" "$r" "550 5.7.1 blocked after reload"
smtpd_alive || fail "smtpd died on a broken rules file"

# 3. a good file after the broken one is taken again
smtpd_rules "$RULES_V1"
reload "rules reloaded from"
held black@example.net "451 4.7.1"

# 4. a burst of signals while the held session goes on
fp=$(filter_pid)
i=0
while [ $i -lt 20 ]; do
	kill -s HUP "$fp" || fail "filter gone during the SIGHUP burst"
	i=$((i + 1))
done
held white@example.net 250
r=$(rcpt_reply someone@example.org white@example.net)
expect_prefix "after 20 SIGHUPs" "$r" "250"
[ "$(filter_pid)" = "$fp" ] && kill -0 "$fp" || fail "filter restarted or died"

smtp_cmd "QUIT"
expect_prefix "held session QUIT" "$REPLY_LINE" "221"
exec 3<&-
smtpd_alive || fail "smtpd or its filter died"
ok "smtpd and filter-mxgrey still running"

# 5. started with a broken file: up anyway, failure action; a SIGHUP
#    after the fix brings the rules in
smtpd_stop
rm -f "$FPID"
smtpd_rules "$RULES_V1
racl blacklist nosuchclause whatever"
smtpd_start
r=$(rcpt_reply someone@example.org white@example.net)
expect_prefix "started with broken rules" "$r" "451 4.3.0"
smtpd_rules "$RULES_V1"
reload "rules reloaded from"
r=$(rcpt_reply someone@example.org white@example.net)
expect_prefix "after the fix and SIGHUP" "$r" "250"
smtpd_alive || fail "smtpd or its filter died"
exit 0
