#!/bin/sh
# policy_bench.sh: mxgrey-policyd vs postgrey (Debian 1.37), same load
# client (tests/bench/policy_bench), same tuples, 1 and 8 persistent
# connections, both with a 300s delay (every answer a greylist: one store
# read-modify-write per request). Prints one line per run.
#   make bench-policy    or    sh tests/bench/policy_bench.sh [requests]
. tests/lib/ports.sh
T=tests/tmp/bench_policy
N=${1:-20000}
NPG=${NPG:-3000}      # postgrey is slow: fewer requests keep runs short
K=1000
PD_PID= PG_PID=
cleanup() {
	[ -n "$PD_PID" ] && kill "$PD_PID" 2>/dev/null
	[ -n "$PG_PID" ] && kill "$PG_PID" 2>/dev/null
	[ -s "$T/pg/pid" ] && kill "$(cat "$T/pg/pid")" 2>/dev/null
}
trap cleanup EXIT INT TERM
rm -rf "$T" && mkdir -p "$T/pg" || exit 1
A=$(cd "$T" && pwd)
printf 'greylist 300\nracl greylist default\n' >"$T/rules.conf"

P=$(free_port)
shim/postfix/mxgrey-policyd -D -l "inet:127.0.0.1:$P" -f "$T/rules.conf" \
    -s "$A/store.tdb" >/dev/null 2>&1 &
PD_PID=$!
wait_port "$P" 10 || { echo "mxgrey-policyd did not start"; exit 1; }
for c in 1 8; do
	printf 'mxgrey-policyd: '
	tests/bench/policy_bench -c $c -n "$N" -k $K 127.0.0.1 "$P" || exit 1
done
kill "$PD_PID"; PD_PID=

if command -v postgrey >/dev/null && id postgrey >/dev/null 2>&1; then
	chown postgrey "$T/pg"
	P=$(free_port)
	postgrey --inet="127.0.0.1:$P" --dbdir="$A/pg" --user=postgrey \
	    --pidfile="$A/pg/pid" \
	    --group=postgrey --delay=300 >"$T/postgrey.log" 2>&1 &
	PG_PID=$!
	wait_port "$P" 30 || { echo "postgrey did not start"; exit 1; }
	for c in 1 8; do
		printf 'postgrey 1.37:  '
		tests/bench/policy_bench -c $c -n "$NPG" -k $K 127.0.0.1 "$P" ||
		    exit 1
	done
else
	echo "postgrey not installed: no comparison"
fi
