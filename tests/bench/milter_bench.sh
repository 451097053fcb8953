#!/bin/sh
# milter_bench.sh: mxgrey-milter sessions per second through miltertest
# (one session at a time: connect, HELO, MAIL, RCPT greylisted, close).
#   sh tests/bench/milter_bench.sh [sessions]
T=tests/tmp/bench_milter
N=${1:-2000}
command -v miltertest >/dev/null || { echo "no miltertest"; exit 77; }
M_PID=
trap '[ -n "$M_PID" ] && kill "$M_PID"' EXIT INT TERM
rm -rf "$T" && mkdir -p "$T" || exit 1
A=$(cd "$T" && pwd)
printf 'greylist 300\nracl greylist default\n' >"$T/rules.conf"
shim/milter/mxgrey-milter -D -f "$T/rules.conf" -s "$A/store.tdb" \
    -p "unix:$A/milter.sock" >/dev/null 2>&1 &
M_PID=$!
i=0
until [ -S "$T/milter.sock" ]; do
	i=$((i + 1)); [ $i -lt 100 ] || exit 1; sleep 0.1
done
start=$(date +%s.%N)
MILTER_SOCK="unix:$A/milter.sock" MILTER_N=$N \
    miltertest -s tests/bench/milter_sessions.lua || exit 1
end=$(date +%s.%N)
echo "$N $start $end" | awk '{ printf "mxgrey-milter: sessions=%d seconds=%.3f sessions/s=%.0f\n", $1, $3 - $2, $1 / ($3 - $2) }'
