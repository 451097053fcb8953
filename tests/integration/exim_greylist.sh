#!/bin/sh
# exim_greylist.sh: a real Exim 4.96 on loopback greylisting through
# mxgrey_exim.so at RCPT time, talked to with swaks:
# first RCPT -> 451 with the configured text; early retry -> 451 with less
# time left; after the delay -> 250 and delivered to the maildir; next
# session -> 250 at once (autowhite); blacklist -> 5xx; whitelisted
# network (::1) -> 250 at first sight; one transaction with mixed verdicts.
# The ACL adds the X-Greylist header ("Delayed for 00:00:0N") and a rule's
# addheader line, read with ${extract}: both are checked in the maildir.
. tests/integration/exim_lib.sh
exim_init exim_greylist

DELAY=8
exim_rules "# exim_greylist.sh
greylist ${DELAY}s
autowhite 1h
racl whitelist addr ::1/128
racl whitelist rcpt postmaster@test addheader \"X-Mxgrey-Rule: %r by rule %A, \\\"quoted\\\"\"
racl blacklist rcpt spam@test msg \"Go away, you are not welcome\"
racl greylist default msg \"Greylisted by mxgrey, come back later\""
# as docs/exim-acl.conf suggests: the daemon preloads the object
EXIM_EXTRA="smtp_accept_max_per_host = \${dlfunc{$SO}{mxgrey_preload}{0}}"
exim_start

# 1. first sight: 451 with the configured text
r=$(rcpt_reply alice@example.org bob@test)
t0=$(date +%s) # the tuple was made before this: the delay runs from here
expect_prefix "first RCPT" "$r" "451 4.7.1 Greylisted by mxgrey, come back later"
grep -q 'mxgrey: defer 451 4.7.1 .*remaining=8 reason=new' "$T/log/mainlog" ||
    fail "no 'reason=new remaining=8' line in the Exim log"

# the daemon has the object loaded but no engine: no store, no rules open
grep -q mxgrey_exim.so "/proc/$XPID/maps" ||
    fail "daemon did not preload mxgrey_exim.so"
if ls -l "/proc/$XPID/fd" | grep -q 'greylist.tdb'; then
	fail "the daemon has the store open"
fi
ok "daemon: object preloaded, store not open"

# 2. early retry: still 451, less time left
sleep 1.2
r=$(rcpt_reply alice@example.org bob@test)
expect_prefix "early retry" "$r" "451 4.7.1 Greylisted by mxgrey"
left=$(sed -n 's/.*mxgrey: defer .*remaining=\([0-9]*\) reason=early.*/\1/p' \
    "$T/log/mainlog" | tail -n 1)
[ -n "$left" ] || fail "no reason=early line in the Exim log"
[ "$left" -lt "$DELAY" ] || fail "early retry: remaining $left, not < $DELAY"
ok "early retry: $left s left (< $DELAY)"

# 3. after the delay: a whole session, 250 and delivered
while [ $(( $(date +%s) - t0 )) -le "$DELAY" ]; do
	sleep 0.2
done
out=$(swaks_to 127.0.0.1 alice@example.org bob@test \
    --header "Subject: mxgrey-after-delay")
echo "$out" | grep -q '^<-  250 .*id=\|^<-  250 OK id=' ||
    { echo "$out"; fail "message after the delay not accepted"; }
ok "after the delay: RCPT 250, DATA 250"
wait_until 10 sh -c "grep -rl 'mxgrey-after-delay' '$T/mail/new' >/dev/null 2>&1" ||
    fail "message not delivered to the maildir"
ok "delivered to $T/mail/new"
grep -q 'mxgrey: accept.*reason=passed' "$T/log/mainlog" ||
    fail "no reason=passed line"
f=$(grep -rl 'mxgrey-after-delay' "$T/mail/new")
grep -q "^X-Greylist: Delayed for 00:00:[0-9][0-9] by mxgrey-.* (.* \[127\.0\.0\.1\]); " "$f" ||
    { sed -n '1,/^$/p' "$f"; fail "no 'X-Greylist: Delayed for' header in the delivered message"; }
[ "$(grep -c '^X-Greylist:' "$f")" = 1 ] || fail "X-Greylist not exactly once"
ok "delivered message: $(grep '^X-Greylist:' "$f")"

# 4. autowhite: accepted at once
r=$(rcpt_reply alice@example.org bob@test)
expect_prefix "autowhite" "$r" "250"
grep -q 'mxgrey: accept.*reason=autowhite' "$T/log/mainlog" ||
    fail "no reason=autowhite line"

# 5. blacklist: 5xx with the rule's text
r=$(rcpt_reply alice@example.org spam@test)
expect_prefix "blacklist" "$r" "5"
case "$r" in
*"Go away, you are not welcome"*) ;;
*) fail "blacklist text missing: $r" ;;
esac

# 6. whitelisted network: ::1 gets 250 at first sight
r=$(rcpt_reply carol@example.org dave@test ::1)
expect_prefix "whitelisted ::1" "$r" "250"

# 6b. two whitelisted recipients in one message: Exim adds a header
# line that several RCPTs add with the same text once
out=$(swaks_to ::1 carol@example.org "dave@test,gina@test" \
    --header "Subject: mxgrey-two-rcpts")
wait_until 10 sh -c "grep -rl 'mxgrey-two-rcpts' '$T/mail/new' >/dev/null 2>&1" ||
    { echo "$out"; fail "two-recipient message not delivered"; }
f=$(grep -rl 'mxgrey-two-rcpts' "$T/mail/new" | head -n 1)
n=$(grep -c '^X-Greylist: Sender IP whitelisted, not delayed' "$f")
# once; twice only when the two RCPTs fell in different seconds
[ "$n" -ge 1 ] && [ "$n" -le 2 ] || fail "two recipients: $n X-Greylist lines"
ok "two recipients: X-Greylist added $n time(s)"

# 7. one transaction, mixed verdicts: greylist, blacklist, whitelist
out=$(swaks_to 127.0.0.1 erin@example.org \
    "frank@test,spam@test,postmaster@test" --header "Subject: mxgrey-mixed")
echo "$out" | sed -n '/RCPT TO/{N;p;}'
echo "$out" | grep -A1 'RCPT TO:<frank@test>' | grep -q '^<\*\* 451 ' ||
    fail "mixed: frank not 451"
echo "$out" | grep -A1 'RCPT TO:<spam@test>' | grep -q '^<\*\* 5' ||
    fail "mixed: spam not 5xx"
echo "$out" | grep -A1 'RCPT TO:<postmaster@test>' | grep -q '^<-  250' ||
    fail "mixed: postmaster not 250"
wait_until 10 sh -c "grep -rl 'mxgrey-mixed' '$T/mail/new' >/dev/null 2>&1" ||
    fail "mixed message not delivered"
f=$(grep -rl 'mxgrey-mixed' "$T/mail/new")
grep -q '^Envelope-to: postmaster@test$' "$f" ||
    fail "mixed message delivered to the wrong recipients: $(grep Envelope-to "$f")"
ok "mixed transaction: 451 / 5xx / 250, delivered to postmaster only"
grep -q '^X-Mxgrey-Rule: postmaster@test by rule 5, "quoted"$' "$f" ||
    { sed -n '1,/^$/p' "$f"; fail "no addheader line in the delivered message"; }
grep -q '^X-Greylist: Sender IP whitelisted, not delayed by mxgrey-' "$f" ||
    fail "no 'not delayed' X-Greylist header"
ok "rule's addheader line and X-Greylist in the delivered message"

# 8. the store holds what the sessions made
ctl dump >"$T/dump.txt" || fail "mxgreyctl dump failed"
cat "$T/dump.txt"
grep -q 'alice@example.org.*bob@test.*AUTO' "$T/dump.txt" ||
    fail "no autowhite record for alice -> bob"
grep -q 'erin@example.org.*frank@test' "$T/dump.txt" ||
    fail "no pending record for erin -> frank"
! panics || fail "unexpected panic log lines"
echo "exim_greylist: all passed"
