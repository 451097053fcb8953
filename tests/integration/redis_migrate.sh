#!/bin/sh
# redis_migrate.sh: two MX hosts share one greylist in a real Redis on
# loopback, and `mxgreyctl migrate` moves a tdb greylist into Redis and
# back without losing autowhite entries.
set -u
. tests/lib/ports.sh
command -v redis-server >/dev/null || { echo "skip: redis-server not installed"; exit 77; }
CTL=shim/cli/mxgreyctl
D=tests/tmp/redis_migrate.$$
mkdir -p $D
PORT=$(free_port)
redis-server --port $PORT --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no >$D/redis.log 2>&1 &
RPID=$!
trap 'kill $RPID 2>/dev/null; wait $RPID 2>/dev/null; rm -rf $D' EXIT
wait_port $PORT 10 || { echo "redis did not start"; exit 1; }
fail=0
expect() {
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1"; echo "  got:  $2"; echo "  want: $3"; fail=1
	else
		echo "ok: $1"
	fi
}
T=$(date +%s)
R="redis://127.0.0.1:$PORT/0?prefix=mxt:"
printf 'greylist 10m\nracl greylist default\n' > $D/r.conf
# the tuple passes on mx1's tdb store
$CTL -f $D/r.conf -s $D/mx1.tdb check --ip 192.0.2.1 --from a@x.example --rcpt b@y.example --now $T >/dev/null
out=$($CTL -f $D/r.conf -s $D/mx1.tdb check --ip 192.0.2.1 --from a@x.example --rcpt b@y.example --now $((T + 600)))
expect "passed on mx1 (tdb)" "${out%% *}" "accept"
out=$($CTL -f $D/r.conf -s $D/mx1.tdb migrate "$R" --now $((T + 600)))
expect "migrated into redis" "$out" "copied 1 records to $R"
# mx2 uses redis: the autowhite entry is there
out=$($CTL -f $D/r.conf -s "$R" check --ip 192.0.2.1 --from a@x.example --rcpt b@y.example --now $((T + 700)))
expect "autowhite seen through redis (mx2)" "$out" "accept 250 2.1.5 Ok (autowhitelisted)"
# greylisted on mx2, passes on mx3, both on redis
$CTL -f $D/r.conf -s "$R" check --ip 198.51.100.7 --from c@x.example --rcpt d@y.example --now $T >/dev/null
out=$($CTL -f $D/r.conf -s "$R" check --ip 198.51.100.7 --from c@x.example --rcpt d@y.example --now $((T + 600)))
expect "greylisted on one host, passes on the other" "${out%% *}" "accept"
# and back into a fresh tdb
out=$($CTL -f $D/r.conf -s "$R" migrate $D/back.tdb --now $((T + 700)))
expect "migrated back" "$out" "copied 2 records to $D/back.tdb"
out=$($CTL -f $D/r.conf -s $D/back.tdb stats --now $((T + 700)) | head -2 | tr '\n' ' ')
expect "both autowhite in the tdb copy" "$out" "pending 0 autowhite 2 "
# redis down: the failure action, quickly
kill $RPID; wait $RPID 2>/dev/null
start=$(date +%s)
$CTL -f $D/r.conf -s "$R" check --ip 192.0.2.1 --from a@x.example --rcpt b@y.example --now $T >$D/out 2>/dev/null
expect "redis down: failure action" "$(cut -d' ' -f1-3 $D/out)" "tempfail 451 4.3.0"
expect "redis down: no hang" "$(( $(date +%s) - start <= 2 ))" "1"
exit $fail
