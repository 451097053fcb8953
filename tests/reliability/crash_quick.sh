#!/bin/sh
# crash_quick.sh: 100 SIGKILLs of store workers mid-update (the long run,
# 1000 kills, is tests/reliability/run.sh).
set -eu
D=tests/tmp/crash.$$
mkdir -p $D
trap 'rm -rf $D' EXIT
printf 'greylist 1m\nautowhite 1d\nracl greylist default\n' > $D/rules.conf
tests/reliability/crash_kill $D/rules.conf $D/store.tdb 4 100
