#!/bin/sh
# tests/golden/policy/run.sh: golden request/answer files for
# mxgrey-policyd. For each NAME.in: run `mxgrey-policyd -T` (requests on
# stdin, answers on stdout, time from x_mxgrey_time=) with rules NAME.conf
# (else default.conf), extra flags from NAME.args, a fresh store; the
# answers must equal NAME.ref byte for byte.
# Run from the build directory: sh tests/golden/policy/run.sh
dir=$(dirname "$0")
bin=shim/postfix/mxgrey-policyd
tmp=tests/tmp/golden_policy
[ -x "$bin" ] || { echo "$bin not built"; exit 1; }
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
fail=0 n=0
for in in "$dir"/*.in; do
	name=$(basename "$in" .in)
	conf=$dir/$name.conf
	[ -f "$conf" ] || conf=$dir/default.conf
	args=""
	[ -f "$dir/$name.args" ] && args=$(cat "$dir/$name.args")
	# shellcheck disable=SC2086
	TZ=UTC "$bin" -T -n mx.example.org -f "$conf" -s "$tmp/$name.tdb" \
	    $args <"$in" >"$tmp/$name.out" 2>"$tmp/$name.log"
	rc=$?
	n=$((n + 1))
	if [ $rc -ne 0 ]; then
		echo "FAIL $name: exit $rc"; cat "$tmp/$name.log"; fail=1
	elif ! cmp -s "$dir/$name.ref" "$tmp/$name.out"; then
		echo "FAIL $name:"; diff -u "$dir/$name.ref" "$tmp/$name.out"
		fail=1
	else
		echo "ok $name"
	fi
done
[ $n -gt 0 ] || { echo "no golden files"; exit 1; }
exit $fail
