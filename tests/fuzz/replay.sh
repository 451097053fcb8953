#!/bin/sh
# replay.sh: run every tests/fuzz/replay_<target> over its seed corpus
# tests/fuzz/corpus/<target>/ (built by make check-unit).
srcdir=${srcdir:-.}
n=0 fail=0
for r in tests/fuzz/replay_*; do
	[ -x "$r" ] || continue
	t=${r#tests/fuzz/replay_}
	dir=$srcdir/tests/fuzz/corpus/$t
	if [ ! -d "$dir" ]; then
		echo "FAIL: no corpus directory $dir"
		fail=$((fail + 1))
		continue
	fi
	n=$((n + 1))
	if ! "$r" "$dir"; then
		echo "FAIL: $t"
		fail=$((fail + 1))
	fi
done
echo "$n corpora replayed, $fail failed"
[ "$n" -gt 0 ] && [ "$fail" -eq 0 ]
