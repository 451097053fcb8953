#!/bin/sh
# run.sh: rules golden tests; run from the build directory.
# UPDATE=1 rewrites the .ref files from the current output.
srcdir=${srcdir:-.}
g=./tests/golden/golden
export TZ=UTC
dir=$srcdir/tests/golden/rules
tmp=tests/tmp/golden
[ -x "$g" ] || { echo "tests/golden/golden not built"; exit 1; }
mkdir -p "$tmp"
fail=0 n=0
for conf in "$dir"/*.conf; do
	base=${conf%.conf}
	name=$(basename "$base")
	n=$((n + 1))
	if [ -f "$base.in" ]; then
		(cd "$dir" && "$OLDPWD/$g" "$name.conf" "$name.in") \
		    >"$tmp/$name.out" 2>&1
	else
		(cd "$dir" && "$OLDPWD/$g" "$name.conf") >"$tmp/$name.out" 2>&1
	fi
	if [ -n "$UPDATE" ]; then
		cp "$tmp/$name.out" "$base.ref"
	elif ! diff -u "$base.ref" "$tmp/$name.out"; then
		echo "FAIL: $name"
		fail=$((fail + 1))
	fi
done
# every shipped rules file loads
for conf in "$srcdir"/rules/*.conf; do
	[ -f "$conf" ] || continue
	n=$((n + 1))
	if ! "$g" "$conf" >"$tmp/shipped.out" 2>&1 ||
	    ! tail -n 1 "$tmp/shipped.out" | grep -qx ok; then
		echo "FAIL: $conf does not load:"
		cat "$tmp/shipped.out"
		fail=$((fail + 1))
	fi
done
echo "$n golden files, $fail failed"
[ "$n" -gt 0 ] && [ "$fail" -eq 0 ]
