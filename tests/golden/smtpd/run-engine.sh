#!/bin/sh
# run-engine.sh: golden transcripts through the real filter-mxgrey binary
# and engine (a fresh tdb store each): for each
# tests/golden/smtpd/engine/NAME.in,
#   filter-mxgrey -f NAME.conf -s NAME.tdb < NAME.in
# must print exactly NAME.ref (and, with a NAME.warn, hold its line on
# stderr). smtpd's timestamps are the engine's clock,
# so a transcript travels in time (first sight, early retry, pass,
# autowhite, expiry) in milliseconds. MXG_GOLDEN_UPDATE=1 rewrites .ref.
BIN=./shim/opensmtpd/filter-mxgrey
DIR=${MXG_SRCDIR:-.}/tests/golden/smtpd/engine
OUT=tests/tmp/smtpd-golden
[ -x "$BIN" ] || { echo "FAIL: $BIN not built"; exit 1; }
mkdir -p "$OUT"
n=0 bad=0
for t in "$DIR"/*.in; do
	name=$(basename "$t" .in)
	rm -f "$OUT/$name.tdb"
	"$BIN" -f "$DIR/$name.conf" -s "$OUT/$name.tdb" <"$t" >"$OUT/$name.out" \
	    2>"$OUT/$name.err"
	rc=$?
	if [ -n "$MXG_GOLDEN_UPDATE" ]; then
		cp "$OUT/$name.out" "$DIR/$name.ref"
	fi
	if [ $rc -ne 0 ]; then
		echo "FAIL: $name: filter-mxgrey exited $rc"
		cat "$OUT/$name.err"
		bad=$((bad + 1))
	elif ! diff -u "$DIR/$name.ref" "$OUT/$name.out"; then
		echo "FAIL: $name: output differs from $name.ref"
		bad=$((bad + 1))
	elif [ -f "$DIR/$name.warn" ] &&
	    ! grep -qF "$(cat "$DIR/$name.warn")" "$OUT/$name.err"; then
		echo "FAIL: $name: stderr lacks the line of $name.warn"
		cat "$OUT/$name.err"
		bad=$((bad + 1))
	else
		echo "ok: $name"
	fi
	n=$((n + 1))
done
[ $n -gt 0 ] || { echo "FAIL: no transcripts in $DIR"; exit 1; }
[ $bad -eq 0 ]
