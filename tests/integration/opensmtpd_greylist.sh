#!/bin/sh
# opensmtpd_greylist.sh: Debian's OpenSMTPD 6.8.0p2 on 127.0.0.1 and ::1
# with filter-mxgrey (protocol 0.6), driven by swaks:
# first RCPT -> 451 4.7.1; early retry -> 451; after the delay -> 250
# (reason=passed); next session -> 250 at once (autowhite); blacklisted
# sender -> 550; whitelisted recipient -> 250 at first sight; several
# recipients in one transaction get their own verdicts; the same over ::1;
# smtpd and its filter are still up at the end.
. tests/integration/opensmtpd_lib.sh
smtpd_init opensmtpd_greylist

DELAY=2
smtpd_rules "# opensmtpd_greylist.sh
greylist ${DELAY}s
autowhite 1h
racl blacklist from /spammer@/ msg \"Go away, you are not welcome\"
racl whitelist rcpt postmaster@example.net
racl greylist default"
smtpd_start

# 1. first sight: 451 4.7.1
t0=$(date +%s)
r=$(rcpt_reply alice@example.org bob@example.net)
expect_prefix "first RCPT" "$r" "451 4.7.1 "
wait_until 5 grep -q 'greylist addr=127.0.0.1 from=<alice@example.org> to=<bob@example.net> code=451 reason=new' "$LOG" ||
    fail "no reason=new decision in the smtpd log"

# 2. early retry: still 451
r=$(rcpt_reply alice@example.org bob@example.net)
expect_prefix "early retry" "$r" "451 4.7.1 "

# 3. after the delay: poll until accepted; it must not come early
while :; do
	r=$(rcpt_reply alice@example.org bob@example.net)
	case "$r" in
	250*) break ;;
	451*) ;;
	*) fail "retry: unexpected reply '$r'" ;;
	esac
	[ $(( $(date +%s) - t0 )) -lt $((DELAY + 20)) ] ||
	    fail "still greylisted after $((DELAY + 20))s"
	sleep 0.3
done
waited=$(( $(date +%s) - t0 ))
[ "$waited" -ge $((DELAY - 1)) ] || fail "accepted after ${waited}s < delay"
ok "accepted after ${waited}s (delay ${DELAY}s): $r"
wait_until 5 grep -q 'accept addr=127.0.0.1 from=<alice@example.org> to=<bob@example.net> code=250 reason=passed' "$LOG" ||
    fail "no reason=passed decision"

# 4. autowhite: a whole message goes through at once
out=$(swaks_to 127.0.0.1 alice@example.org bob@example.net)
echo "$out" | grep -q '^<-  250 .*Message is accepted\|^<-  250 2.0.0 .*Message' ||
    { echo "$out"; fail "message not accepted on autowhite"; }
ok "autowhite: whole message accepted"
wait_until 5 grep -q 'reason=autowhite' "$LOG" || fail "no reason=autowhite decision"

# 5. blacklist: 550 with the rule's text
r=$(rcpt_reply spammer@example.org bob@example.net)
expect_prefix "blacklist" "$r" "550 5.7.1 Go away, you are not welcome"

# 6. whitelist: accepted at first sight
r=$(rcpt_reply carol@example.org postmaster@example.net)
expect_prefix "whitelist" "$r" "250"

# 7. one transaction, several recipients, each its own verdict
replies=$(rcpt_replies dave@example.org \
    postmaster@example.net,one@example.net,two@example.net)
echo "$replies" | sed 's/^/    /'
[ "$(echo "$replies" | sed -n 1p | cut -c1-3)" = 250 ] ||
    fail "multi-recipient: whitelisted recipient not 250"
[ "$(echo "$replies" | grep -c '^451 4.7.1')" = 2 ] ||
    fail "multi-recipient: expected two 451 replies"
ok "multi-recipient: 250, 451, 451"
wait_until 5 grep -q 'to=<two@example.net> code=451 reason=new' "$LOG" ||
    fail "no decision logged for the third recipient"

# 8. IPv6: its own tuple, greylisted then passed
if [ -n "$HAVE_V6" ]; then
	r=$(rcpt_reply alice@example.org bob@example.net ::1)
	expect_prefix "::1 first RCPT" "$r" "451 4.7.1 "
	grep -q 'greylist addr=::1 from=<alice@example.org>' "$LOG" ||
	    fail "no decision for addr=::1"
else
	echo "note: no ::1 on lo, IPv6 part not run"
fi

# 9. null sender
r=$(rcpt_reply '<>' erin@example.net)
expect_prefix "null sender" "$r" "451 4.7.1 "
wait_until 5 grep -q 'from=<> to=<erin@example.net> code=451' "$LOG" ||
    fail "null sender not seen as <>"

smtpd_alive || fail "smtpd or its filter died"
ok "smtpd and filter-mxgrey still running"
exit 0
