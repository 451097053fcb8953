#!/bin/sh
# run.sh: the long reliability runs, with figures.
set -eu
cd "$(dirname "$0")/../.."
D=$(pwd)/tests/tmp/reliability
rm -rf $D && mkdir -p $D
printf 'greylist 1m\nautowhite 1d\nracl greylist default\n' > $D/rules.conf
echo "== crash safety: 8 workers, 1000 SIGKILLs mid-update"
tests/reliability/crash_kill $D/rules.conf $D/store.tdb 8 1000
cat > $D/soak.conf <<R
store "$D/soak.tdb" hashsize 65521
greylist 10m
autowhite 1h
timeout 1h
racl whitelist addr 127.0.0.0/8
racl blacklist addr 203.0.0.0/8
racl greylist default
R
echo "== soak: 8 processes x 1M mixed decisions, reloads, purges"
tests/reliability/soak $D/soak.conf $D/soak.tdb 8 1000000
echo "== valgrind: 1 process x 20k decisions"
valgrind -q --leak-check=full --error-exitcode=9 \
    tests/reliability/soak $D/soak.conf $D/soak.tdb 1 20000
echo "valgrind: clean"
