#!/bin/sh
# postfix_milter_edge.sh: mxgrey-milter protocol edge cases through
# miltertest (Debian package): mixed recipients in one message and the
# X-Greylist header, abort and a second message, '%' in a reply text, a
# dacl body rule at end of message, a client without an IP, IPv6, twenty
# connections at once, a rule's addheader and report; over a unix and an
# inet socket. No MTA needed.
T=tests/tmp/postfix_milter_edge
BIN=shim/milter/mxgrey-milter
command -v miltertest >/dev/null ||
    { echo "skip: miltertest not installed"; exit 77; }
[ -x "$BIN" ] || { echo "skip: $BIN not built (no libmilter)"; exit 77; }
M_PID=
cleanup() {
	[ -n "$M_PID" ] && kill "$M_PID" 2>/dev/null && wait "$M_PID"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; tail -n 20 "$T/milter.log"; exit 1; }

rm -rf "$T" && mkdir -p "$T" || exit 1
A=$(cd "$T" && pwd)
cat >"$T/rules.conf" <<EOC
greylist 600
racl whitelist rcpt postmaster@example.net
racl whitelist rcpt hdr@example.net addheader "X-Mxgrey-Test: rule %A to %r" report "mxgrey report, rule %A"
racl blacklist from pct@example.org msg "100% refused"
racl greylist default
dacl blacklist body /CHEAPPILLS/ msg "no pills"
dacl whitelist default
EOC
"$BIN" -c -f "$T/rules.conf" || fail "rules do not check"
# run the script once over a unix socket, once over inet on 127.0.0.1
run() { # run SOCKET-SPEC WAIT-COMMAND...
	spec=$1; shift
	rm -f "$A/store.tdb"
	"$BIN" -D -f "$T/rules.conf" -s "$A/store.tdb" -p "$spec" \
	    -n mx.example.org >"$T/milter.log" 2>&1 &
	M_PID=$!
	i=0
	until "$@"; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "no socket $spec"; sleep 0.1
	done
	MILTER_SOCK=$spec miltertest -s tests/integration/milter/edge.lua \
	    >"$T/miltertest.out" 2>&1
	rc=$?
	cat "$T/miltertest.out"
	[ $rc -eq 0 ] && grep -q '^PASS$' "$T/miltertest.out" ||
	    fail "miltertest on $spec"
	kill -0 "$M_PID" || fail "mxgrey-milter died"
	grep -q "smfi_setreply failed" "$T/milter.log" &&
	    fail "a reply was refused"
	kill "$M_PID" && wait "$M_PID"
	M_PID=
}
run "unix:$A/milter.sock" test -S "$T/milter.sock"
. tests/lib/ports.sh
MP=$(free_port)
run "inet:$MP@127.0.0.1" wait_port "$MP" 1
echo "PASS"
