#!/bin/sh
# postfix_milter_dns.sh: connections of mxgrey-milter that wait for DNS
# wait side by side, not one after the other behind the engine's lock.
# The rules ask a DNSRBL through a resolver that never answers (2s
# timeout); three sessions at once must all be answered (failure action)
# in well under the 6s they would take in a queue.
. tests/lib/ports.sh
T=tests/tmp/postfix_milter_dns
BIN=shim/milter/mxgrey-milter
command -v miltertest >/dev/null ||
    { echo "skip: miltertest not installed"; exit 77; }
command -v perl >/dev/null || { echo "skip: no perl"; exit 77; }
[ -x "$BIN" ] || { echo "skip: $BIN not built (no libmilter)"; exit 77; }
M_PID= DNS_PID=
cleanup() {
	[ -n "$M_PID" ] && kill "$M_PID" 2>/dev/null && wait "$M_PID"
	[ -n "$DNS_PID" ] && kill "$DNS_PID" 2>/dev/null && wait "$DNS_PID"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; tail -n 20 "$T/milter.log"; exit 1; }

rm -rf "$T" && mkdir -p "$T" || exit 1
A=$(cd "$T" && pwd)
# a "DNS server" that reads queries and never answers
. tests/lib/silent_dns.sh
silent_dns_start "$T" || fail "no silent DNS"
cat >"$T/rules.conf" <<EOC
resolver "127.0.0.1:$DP" timeout 2s
dnsrbl "R" rbl.example.org 127.0.0.0/8
racl greylist dnsrbl "R" msg "listed"
racl greylist default
EOC
"$BIN" -D -f "$T/rules.conf" -s "$A/store.tdb" -p "unix:$A/milter.sock" \
    >"$T/milter.log" 2>&1 &
M_PID=$!
i=0
until [ -S "$T/milter.sock" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "no socket"; sleep 0.1
done
start=$(date +%s.%N)
pids=
for ip in 192.0.2.1 192.0.2.2 192.0.2.3; do
	MILTER_SOCK="unix:$A/milter.sock" CLIENT_IP=$ip miltertest \
	    -s tests/integration/milter/dns_wait.lua >"$T/mt.$ip" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p" || { cat "$T"/mt.*; fail "a session failed"; }
done
end=$(date +%s.%N)
took=$(echo "$start $end" | awk '{ printf "%.2f", $2 - $1 }')
echo "three sessions waiting for DNS took ${took}s"
echo "$took" | awk '{ exit !($1 >= 1.9) }' ||
    fail "answered before the lookup timeout: the test proves nothing"
echo "$took" | awk '{ exit !($1 < 4.5) }' ||
    fail "sessions waited one after the other (${took}s)"
grep -q "no answer within" "$T/milter.log" ||
    grep -q "DNSRBL" "$T/milter.log" || echo "note: no DNS failure logged"
kill -0 "$M_PID" || fail "mxgrey-milter died"
echo "PASS"
