# tests/lib/expect.sh: sourced by shell tests (not a test itself).
#   fail=0; . tests/lib/expect.sh
#   expect WHAT GOT WANT    prints ok/FAIL; a FAIL sets fail=1
expect() {
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1"; echo "  got:  $2"; echo "  want: $3"; fail=1
	else
		echo "ok: $1"
	fi
}
