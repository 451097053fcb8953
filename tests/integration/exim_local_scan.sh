#!/bin/sh
# exim_local_scan.sh: mxgrey_exim.so loaded by Debian's exim4 as its
# local_scan() (main option local_scan_path) for end-of-DATA rules:
# a dacl blacklist on the body -> 550 after DATA; a dacl greylist on a
# header -> 451 after DATA for the whole message, all recipients in the
# store, accepted and delivered after the delay with the rule's addheader
# line; other mail -> 250.
. tests/integration/exim_lib.sh
exim_init exim_local_scan

exim_rules "greylist 2s
racl whitelist default
dacl blacklist body \"BUY NOW\" msg \"no spam here\"
dacl greylist header /^Subject: .*greylist-me/ addheader \"X-Mxgrey-Data: waited %E\"
dacl whitelist default"
EXIM_EXTRA="local_scan_path = $SO"
EXIM_RCPT_EXTRA="  warn set acl_m_mxgrey_config = $RULES
       set acl_m_mxgrey_store = $STORE"
exim_start

# data_reply OUT: the reply to the end of DATA
data_reply() {
	echo "$1" | sed -n '/-> \.$/{n;s/^<[-*][-* ]* //;p;q;}'
}

out=$(swaks_to 127.0.0.1 a@example.org plain@test --header "Subject: hello")
r=$(data_reply "$out")
expect_prefix "plain message" "$r" "250"

out=$(swaks_to 127.0.0.1 a@example.org x@test --body "BUY NOW cheap")
r=$(data_reply "$out")
expect_prefix "dacl blacklist body" "$r" "550 5.7.1 no spam here"

out=$(swaks_to 127.0.0.1 b@example.org "r1@test,r2@test" \
    --header "Subject: please greylist-me")
t0=$(date +%s) # the tuples were made before this
r=$(data_reply "$out")
expect_prefix "dacl greylist header" "$r" "451 4.7.1 "
ctl dump >"$T/dump.txt"
grep -q 'b@example.org.*r1@test' "$T/dump.txt" &&
    grep -q 'b@example.org.*r2@test' "$T/dump.txt" ||
    { cat "$T/dump.txt"; fail "not every recipient greylisted at DATA"; }
ok "both recipients in the store"

while [ $(( $(date +%s) - t0 )) -le 2 ]; do
	sleep 0.2
done
out=$(swaks_to 127.0.0.1 b@example.org "r1@test,r2@test" \
    --header "Subject: please greylist-me")
r=$(data_reply "$out")
expect_prefix "dacl greylist, after the delay" "$r" "250"
wait_until 10 sh -c "grep -rl 'greylist-me' '$T/mail/new' >/dev/null 2>&1" ||
    fail "message not delivered after the delay"
ok "delivered after the delay"
f=$(grep -rl 'greylist-me' "$T/mail/new" | head -n 1)
grep -q '^X-Mxgrey-Data: waited 0:00:0[2-9]$' "$f" ||
    { sed -n '1,/^$/p' "$f"; fail "no dacl addheader line in the message"; }
ok "dacl addheader line added: $(grep '^X-Mxgrey-Data:' "$f")"
grep -q 'local_scan() function crashed\|local_scan() function timed out' \
    "$T/log/mainlog" && fail "local_scan crashed or timed out"
! panics || fail "unexpected panic log lines"
echo "exim_local_scan: all passed"
