#!/bin/sh
# postfix_policy.sh: the real Postfix 3.7 (Debian .deb, unpacked) asks
# mxgrey-policyd through check_policy_service; swaks plays the client.
# First RCPT 451, early retry 451, after the 3s delay 250, then autowhite
# 250 with "X-Greylist: Delayed for 00:00:0N", then autowhite 250, a new
# recipient 451 again, a blacklisted sender 550, a rule's addheader line
# in the message; SIGHUP loads new rules, a broken rules file on SIGHUP
# keeps the old ones.
. tests/lib/ports.sh
. tests/integration/postfix_env.sh
T=tests/tmp/postfix_policy
BIN=shim/postfix/mxgrey-policyd

command -v swaks >/dev/null || { echo "skip: swaks not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "skip: Postfix's master needs root"; exit 77; }
[ -x "$BIN" ] || { echo "$BIN not built"; exit 1; }
pf_find || { echo "skip: no postfix .deb to unpack"; exit 77; }

PD_PID=
cleanup() {
	pf_stop
	[ -n "$PD_PID" ] && kill "$PD_PID" 2>/dev/null && wait "$PD_PID"
}
trap cleanup EXIT INT TERM
fail() {
	echo "FAIL: $*"
	echo "--- policyd log"; tail -n 20 "$T/policyd.log"
	echo "--- maillog"; tail -n 20 "$T/maillog"
	exit 1
}

rm -rf "$T" && mkdir -p "$T" || exit 1
cat >"$T/rules.conf" <<'EOC'
greylist 3
autowhite 3600
racl blacklist from spam@example.org msg "Go away, 100% sure"
racl whitelist rcpt hdr@example.net addheader "X-Mxgrey-Rule: to %r"
racl greylist default
EOC
PP=$(free_port)
"$BIN" -D -a code -l "inet:127.0.0.1:$PP" -f "$T/rules.conf" \
    -s "$T/store.tdb" >"$T/policyd.log" 2>&1 &
PD_PID=$!
wait_port "$PP" 10 || fail "mxgrey-policyd did not listen"

SP=$(free_port)
while [ "$SP" = "$PP" ]; do SP=$(free_port); done
pf_setup "$T" "$SP" || fail "postfix setup"
cat >"$T/header_checks" <<'EOC'
/^X-Greylist: Delayed for 00:00:[0-9][0-9] by mxgrey-/ REJECT mxgrey header seen
/^X-Mxgrey-Rule: to hdr@example\.net$/ REJECT mxgrey addheader seen
EOC
pf_set "header_checks = regexp:$(pwd)/$T/header_checks"
pf_set "smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:$PP, permit_auth_destination, reject"
pf_start || fail "postfix did not listen"

start=$(date +%s)
pf_expect "451 4.7.1" a@example.org b@example.net
grep -q "Greylisting in action" "$T/swaks.out" || fail "no greylist text"
# an early retry: only checkable when it really came early (slow hosts)
got=$(pf_rcpt a@example.org b@example.net)
if [ $(( $(date +%s) - start )) -le 1 ]; then
	case "$got" in
	"451 4.7.1"*) echo "ok: early retry: $got" ;;
	*) fail "early retry: want 451, got '$got'" ;;
	esac
else
	echo "note: host too slow to retry within the delay; not checked"
fi
# after the delay: poll (whole sessions), never longer than 10s; the
# session that passes carries the PREPENDed X-Greylist header, which
# header_checks turns into a 550 at the end of DATA
i=0
while :; do
	swaks --server "127.0.0.1:$SP" --from a@example.org \
	    --to b@example.net --timeout 20 >"$T/swaks.out" 2>&1
	grep -q "mxgrey header seen" "$T/swaks.out" && break
	grep -q "^<\*\* *451 4.7.1" "$T/swaks.out" ||
	    { cat "$T/swaks.out"; fail "after delay: neither 451 nor header"; }
	i=$((i + 1))
	[ $i -lt 40 ] || fail "still greylisted after 10s"
	sleep 0.25
done
[ $(( $(date +%s) - start )) -ge 3 ] || fail "passed before the 3s delay"
echo "ok: passed after the delay, X-Greylist header added"
pf_expect "250" a@example.org b@example.net            # autowhite
pf_expect "451 4.7.1" a@example.org c@example.net      # new tuple
pf_expect "550 5.7.1" spam@example.org b@example.net   # blacklist
grep -q "Go away, 100% sure" "$T/swaks.out" || fail "no blacklist text (with a %)"
# a rule's addheader: PREPENDed, header_checks sees it
swaks --server "127.0.0.1:$SP" --from a@example.org --to hdr@example.net \
    --timeout 20 >"$T/swaks.out" 2>&1
grep -q "mxgrey addheader seen" "$T/swaks.out" ||
    { cat "$T/swaks.out"; fail "no addheader line in the message"; }
echo "ok: a rule's addheader line PREPENDed"

# SIGHUP: new rules blacklist another sender
cat >"$T/rules.conf" <<'EOC'
greylist 3
autowhite 3600
racl blacklist from evil@example.org msg "Reloaded"
racl greylist default
EOC
kill -HUP "$PD_PID"
i=0
until grep -q "rules reloaded" "$T/policyd.log"; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "no reload logged"; sleep 0.1
done
pf_expect "550 5.7.1" evil@example.org b@example.net
pf_expect "250" a@example.org b@example.net

# a broken file on SIGHUP: logged, the old rules stay
echo "racl frobnicate" >"$T/rules.conf"
kill -HUP "$PD_PID"
i=0
until grep -q "reload failed" "$T/policyd.log"; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "no failed reload logged"; sleep 0.1
done
pf_expect "550 5.7.1" evil@example.org b@example.net
grep -q "rules.conf:1:" "$T/policyd.log" || fail "error location not logged"
kill -0 "$PD_PID" || fail "mxgrey-policyd died"
echo "PASS"
exit 0
