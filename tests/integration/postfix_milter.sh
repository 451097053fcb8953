#!/bin/sh
# postfix_milter.sh: the real Postfix 3.7 (Debian .deb, unpacked) with
# mxgrey-milter in smtpd_milters (milter_protocol = 6, default action
# accept, as milter-greylist users run it). The milter reads its socket,
# pid file and user from the greylist.conf daemon directives. swaks: RCPT
# 451, after the 3s delay 250 with the X-Greylist header in the message,
# autowhite 250, a new recipient 451, a blacklisted sender 550; an edited
# rules file is reloaded, a broken one keeps the old rules.
. tests/lib/ports.sh
. tests/integration/postfix_env.sh
T=tests/tmp/postfix_milter
BIN=shim/milter/mxgrey-milter

command -v swaks >/dev/null || { echo "skip: swaks not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "skip: Postfix's master needs root"; exit 77; }
[ -x "$BIN" ] || { echo "skip: $BIN not built (no libmilter)"; exit 77; }
pf_find || { echo "skip: no postfix .deb to unpack"; exit 77; }

M_PID=
cleanup() {
	pf_stop
	[ -n "$M_PID" ] && kill "$M_PID" 2>/dev/null && wait "$M_PID"
}
trap cleanup EXIT INT TERM
fail() {
	echo "FAIL: $*"
	echo "--- milter log"; tail -n 20 "$T/milter.log"
	echo "--- maillog"; tail -n 20 "$T/maillog"
	exit 1
}

rm -rf "$T" && mkdir -p "$T/m" || exit 1
A=$(cd "$T" && pwd)
user=
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	user='user "nobody"'
	chown nobody "$T/m"
fi
rules() { # rules BLACKLISTED-SENDER
	cat >"$T/m/rules.tmp" <<EOC
# milter-greylist daemon directives
socket "$A/m/milter.sock" 0666
pidfile "$A/m/milter.pid"
$user
greylist 3
autowhite 3600
racl blacklist from $1 msg "Go away, 100% sure"
racl greylist default
EOC
	mv "$T/m/rules.tmp" "$T/m/rules.conf"
}
rules spam@example.org
"$BIN" -c -f "$T/m/rules.conf" || fail "rules do not check"
"$BIN" -D -f "$T/m/rules.conf" -s "$A/m/store.tdb" >"$T/milter.log" 2>&1 &
M_PID=$!
i=0
until [ -S "$T/m/milter.sock" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "no milter socket"; sleep 0.1
done
[ "$(stat -c %a "$T/m/milter.sock")" = 666 ] || fail "socket mode"
i=0
until [ -s "$T/m/milter.pid" ]; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "no pid file"; sleep 0.1
done
[ "$(cat "$T/m/milter.pid")" = "$M_PID" ] || fail "pid file content"
if [ -n "$user" ]; then
	uid=$(awk '/^Uid:/ { print $3 }' "/proc/$M_PID/status")
	[ "$uid" = "$(id -u nobody)" ] || fail "not running as nobody"
	echo "ok: socket 0666, pid file, runs as nobody"
fi

SP=$(free_port)
pf_setup "$T" "$SP" || fail "postfix setup"
echo '/^X-Greylist: Delayed for 00:00:[0-9][0-9] by mxgrey-/ WARN mxgrey header seen' \
    >"$T/milter_header_checks"
pf_set "smtpd_milters = unix:$A/m/milter.sock"
pf_set "milter_protocol = 6"
pf_set "milter_default_action = accept"
pf_set "milter_header_checks = regexp:$A/milter_header_checks"
pf_start || fail "postfix did not listen"

start=$(date +%s)
pf_expect "451 4.7.1" a@example.org b@example.net
grep -q "Greylisting in action" "$T/swaks.out" || fail "no greylist text"
i=0
while :; do
	swaks --server "127.0.0.1:$SP" --from a@example.org \
	    --to b@example.net --timeout 20 >"$T/swaks.out" 2>&1
	grep -q "^<-  250 2.0.0 Ok: queued" "$T/swaks.out" && break
	grep -q "^<\*\* *451 4.7.1" "$T/swaks.out" ||
	    { cat "$T/swaks.out"; fail "after delay: neither 451 nor queued"; }
	i=$((i + 1))
	[ $i -lt 40 ] || fail "still greylisted after 10s"
	sleep 0.25
done
[ $(( $(date +%s) - start )) -ge 3 ] || fail "passed before the 3s delay"
i=0
until grep -q "warning: header X-Greylist: Delayed for 00:00:[0-9][0-9] by mxgrey-.*mxgrey header seen" "$T/maillog"; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "no X-Greylist header"; sleep 0.1
done
echo "ok: passed after the delay, X-Greylist header in the message"
pf_expect "250" a@example.org b@example.net            # autowhite
pf_expect "451 4.7.1" a@example.org c@example.net      # new tuple
pf_expect "550 5.7.1" spam@example.org b@example.net   # blacklist
grep -q "Go away, 100% sure" "$T/swaks.out" || fail "no blacklist text (with a %)"

# the rules file changes: reloaded on the next connection
sleep 1   # a new mtime second for the change check
rules evil@example.org
i=0
until grep -q "rules reloaded" "$T/milter.log"; do
	pf_rcpt x@example.org y@example.net >/dev/null
	i=$((i + 1)); [ $i -lt 20 ] || fail "no reload"; sleep 0.2
done
pf_expect "550 5.7.1" evil@example.org b@example.net
pf_expect "451 4.7.1" spam@example.org b@example.net  # no longer listed
# a broken file: logged, old rules stay
sleep 1
echo "racl frobnicate" >"$T/m/rules.conf"
i=0
until grep -q "reload failed" "$T/milter.log"; do
	pf_rcpt x@example.org y@example.net >/dev/null
	i=$((i + 1)); [ $i -lt 20 ] || fail "no failed reload"; sleep 0.2
done
pf_expect "550 5.7.1" evil@example.org b@example.net
kill -0 "$M_PID" || fail "mxgrey-milter died"
kill -TERM "$M_PID"
i=0
while kill -0 "$M_PID" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "no stop on SIGTERM"; sleep 0.1
done
M_PID=
echo "PASS"
exit 0
