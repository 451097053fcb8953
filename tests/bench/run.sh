#!/bin/sh
# run.sh: the engine benchmarks, side by side with their peers, in one
# run. Prints every figure and the ratios. Not part of `make check`.
#   sh tests/bench/run.sh            full run (10M-tuple scale test)
#   BIG=200000 sh tests/bench/run.sh  smaller scale test
# Peers and other shims have their own runs, side by side as well:
#   sh tests/bench/policy_bench.sh   mxgrey-policyd vs postgrey
#   sh tests/bench/exim_bench.sh     Exim: none vs mxgrey vs greylistd
#   sh tests/bench/redis_bench.sh    tdb vs redis store
#   sh tests/bench/dns_latency.sh    4 DNSRBL + SPF vs one lookup
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/ports.sh
B=tests/bench/bench_engine
[ -x $B ] || make -s tests/bench/bench_engine
[ -x shim/cli/mxgreyctl ] || make -s
D=tests/tmp/bench
rm -rf $D && mkdir -p $D
N=${N:-400000}		# decisions per process
SMALL=10000
BIG=${BIG:-10000000}
cat > $D/rules.conf <<RULES
greylist 30m
autowhite 1d
racl greylist default
RULES
cat > $D/empty.conf <<RULES
RULES
rate() { sed -n 's/.*rate=\([0-9]*\).*/\1/p'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "== decisions/s, $SMALL live tuples, $N decisions per process"
for p in 1 2; do
	e=$($B engine $D/rules.conf $D/e$p.tdb $SMALL $N $p | rate)
	r=$($B rawtdb $D/r$p.tdb $SMALL $N $p | rate)
	echo "procs=$p mxg_check=$e/s raw-tdb-rmw=$r/s ratio=$(ratio "$e" "$r")"
	eval "E$p=$e"
done

echo "== postgrey (Debian) over its policy protocol, one persistent connection"
if command -v postgrey >/dev/null 2>&1; then
	PORT=$(free_port)
	mkdir -p $D/pg && chown postgrey $D/pg 2>/dev/null || true
	postgrey --inet=127.0.0.1:$PORT --dbdir=$D/pg --delay=1800 \
	    --pidfile=$D/pg.pid --whitelist-clients=/dev/null \
	    --whitelist-recipients=/dev/null >$D/pg.log 2>&1 &
	PGPID=$!
	trap 'kill $PGPID 2>/dev/null || true' EXIT
	wait_port $PORT 20
	$B policy 127.0.0.1 $PORT $SMALL 2000 >/dev/null	# warm
	pg=$($B policy 127.0.0.1 $PORT $SMALL 20000 | rate)
	kill $PGPID; wait $PGPID 2>/dev/null || true
	echo "postgrey=$pg/s mxg_check(1 proc)/postgrey=$(ratio "$E1" "$pg")x"
else
	echo "postgrey not installed (apt-get install postgrey)"
fi

echo "== rules evaluation: the seed config (170 CIDRs, 30 racl) vs an empty ruleset"
make -s tests/golden/golden >/dev/null
tests/golden/golden --bench tests/golden/rules/seed.conf 2000000

echo "== scale: $BIG live tuples (hashsize sized for them, as documented)"
cat > $D/big.conf <<RULES
store "/unused" hashsize $((BIG * 3 / 2 + 1))
greylist 30m
autowhite 1d
racl greylist default
RULES
$B fill $D/big.conf $D/big.tdb $BIG
$B size $D/big.tdb
big=$(BENCH_NOWARM=1 $B engine $D/big.conf $D/big.tdb $BIG $N 1 | rate)
echo "rate at $BIG tuples=$big/s vs $SMALL tuples=$E1/s ratio=$(ratio "$big" "$E1")"

echo "== purge beside the deciders: worst single decision"
( for t in 1700000000 1700000000 1800000000; do shim/cli/mxgreyctl -f $D/big.conf -s $D/big.tdb purge --now $t >/dev/null; done ) &
PURGE=$!
$B stall $D/big.conf $D/big.tdb $BIG 5
wait $PURGE
