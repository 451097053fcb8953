#!/bin/sh
# soak_quick.sh: 2 processes x 200k mixed decisions with reloads and
# purges (the long soak, 8 x 1M and a valgrind run, is run.sh).
set -eu
D=$(pwd)/tests/tmp/soak.$$
mkdir -p $D
trap 'rm -rf $D' EXIT
cat > $D/rules.conf <<R
store "$D/store.tdb" hashsize 65521
greylist 10m
autowhite 1h
timeout 1h
racl whitelist addr 127.0.0.0/8
racl blacklist addr 203.0.0.0/8
racl greylist default
R
tests/reliability/soak $D/rules.conf $D/store.tdb 2 200000
