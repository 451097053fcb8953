#!/bin/sh
# redis_bench.sh: the tdb and the Redis store side by side in one run:
# decisions/s and p50/p99/max latency with 1 and 8 concurrent processes.
# Starts its own redis-server on 127.0.0.1 (a free port) and a unix
# socket, and stops it on exit. Not part of `make check`.
#   sh tests/bench/redis_bench.sh          N=50000 decisions per process
#   N=200000 TUPLES=100000 RATE=2000 SECS=10 sh tests/bench/redis_bench.sh
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/ports.sh
B=tests/bench/redis_bench
N=${N:-50000}
TUPLES=${TUPLES:-10000}
RATE=${RATE:-1000}	# per process, for the offered-load run
SECS=${SECS:-5}
D=tests/tmp/redis_bench
command -v redis-server >/dev/null 2>&1 || {
	echo "redis-server not installed (apt-get install redis-server)"
	exit 77
}
# Built with the tree's flags and static engine (no build.mk entry yet).
make -s module/libmxgrey.a
make -s -f Makefile -f - $B <<'EOF'
tests/bench/redis_bench: tests/bench/redis_bench.c $(LIBMXGREY_A)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ENGINE_LIBS) $(ALL_LDFLAGS)
EOF
rm -rf $D && mkdir -p $D
PORT=$(free_port)
SOCK=$(pwd)/$D/redis.sock
redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --unixsocket "$SOCK" --dir "$D" >$D/redis.log 2>&1 &
RPID=$!
trap 'kill $RPID 2>/dev/null || true' EXIT INT TERM
wait_port "$PORT" 10 || { echo "redis-server did not start"; exit 1; }

# run PROCS DECISIONS [RATE]: tdb, redis over TCP, redis over the socket
run() {
	rm -f $D/bench.tdb
	$B $D/bench.tdb "$TUPLES" "$2" "$1" ${3:+"$3"}
	redis-cli -p "$PORT" flushall >/dev/null
	$B "redis://127.0.0.1:$PORT?prefix=b:&timeout=1s" "$TUPLES" "$2" \
	    "$1" ${3:+"$3"} | sed 's/^store=redis/store=redis-tcp/'
	redis-cli -p "$PORT" flushall >/dev/null
	$B "redis://$SOCK?prefix=b:&timeout=1s" "$TUPLES" "$2" "$1" \
	    ${3:+"$3"} | sed 's/^store=redis/store=redis-unix/'
}
echo "== saturation: back to back, $N decisions per process," \
    "$TUPLES tuples; $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
run 1 "$N"
run 8 "$N"
echo "== offered load: 8 processes x $RATE decisions/s each"
run 8 $((RATE * SECS)) "$RATE"
echo "redis keys after the last run: $(redis-cli -p "$PORT" dbsize)"
