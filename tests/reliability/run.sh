#!/bin/sh
# run.sh: the long reliability runs, with figures.
set -eu
cd "$(dirname "$0")/../.."
D=tests/tmp/reliability
rm -rf $D && mkdir -p $D
printf 'greylist 1m\nautowhite 1d\nracl greylist default\n' > $D/rules.conf
echo "== crash safety: 8 workers, 1000 SIGKILLs mid-update"
tests/reliability/crash_kill $D/rules.conf $D/store.tdb 8 1000
