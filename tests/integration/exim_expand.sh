#!/bin/sh
# exim_expand.sh: the dlfunc seen through Exim's own test modes.
# exim -be '${dlfunc...}': argument parsing, good and bad (missing, empty,
# 100 KB, NUL, unknown key, not an address, missing rules file) -> always
# a clear result string, never a crash or an expansion failure.
# exim -bh ADDRESS: whole ACL runs for quick cases (whitelisted network,
# blacklisted network, greylisted v4 and v6 hosts).
. tests/integration/exim_lib.sh
exim_init exim_expand

exim_rules "greylist 1h
racl whitelist addr 192.0.2.0/24
racl blacklist addr 198.51.100.0/24 msg \"Blocked network\"
racl greylist default"
# Exim 4.96 refuses a command-line argument over 256 bytes ("length limit
# exceeded"), so -be strings name the paths by config macros: the test
# must not depend on how deep the checkout is.
EXIM_EXTRA="MXSO = $SO
MXT = $T"
exim_config ""

# be ARGS: expand ${dlfunc{SO}{mxgrey_rcpt}ARGS}; prints the result line
be() {
	set -- "\${dlfunc{MXSO}{mxgrey_rcpt}$1}"
	[ ${#1} -le 256 ] || fail "-be argument over Exim's 256 bytes: $1"
	as_exim exim -C "$CONF" -be "$1" \
	    2>>"$T/be.stderr" | tr '\t' '|'
}

# expect ARGS PREFIX
expect() {
	r=$(be "$1")
	expect_prefix "-be $(echo "$1" | cut -c1-60)" "$r" "$2"
}

R="{config=MXT/mxgrey.conf}{store=MXT/greylist.tdb}"
expect "{203.0.113.9}{helo.example}{a@example.org}{b@test}$R" \
    "defer 451 4.7.1 Greylisting in action, please come back in 01:00:00|remaining=3600 reason=new rule=4"
expect "{203.0.113.9}{helo.example}{a@example.org}{b@test}$R" \
    "defer 451 4.7.1 Greylisting in action, please come back in "
expect "{192.0.2.1}{}{}{b@test}$R" "accept|reason=whitelist rule=2"
expect "{198.51.100.1}{h}{<>}{b@test}$R" \
    "reject 550 5.7.1 Blocked network|remaining=0 reason=blacklist rule=3"
expect "{2001:db8::5}{h}{a@example.org}{b@test}$R" "defer 451 4.7.1 "
# all 8 slots used: Exim 4.96 passes argc=16 then (the shim clamps)
expect "{203.0.113.9}{h}{a@example.org}{b@test}$R{hostname=mx.example.org}{tls=}" \
    "defer 451 4.7.1 "

# bad arguments: a clear result string every time
expect "" "defer 451 4.3.5 mxgrey: argument 1 (client address) is missing|reason=error"
expect "{203.0.113.9}{h}{a@example.org}" \
    "defer 451 4.3.5 mxgrey: argument 4 (recipient) is missing|reason=error"
expect "{}{h}{a@example.org}{b@test}$R" \
    "defer 451 4.3.5 mxgrey: argument 1 (client address) is empty|reason=error"
expect "{203.0.113.9}{h}{a@example.org}{}$R" \
    "defer 451 4.3.5 mxgrey: argument 4 (recipient) is empty|reason=error"
# NUL: Exim cuts the argument at \x00, the shim sees what is left
expect "{\\x00203.0.113.9}{h}{a@example.org}{b@test}$R" \
    "defer 451 4.3.5 mxgrey: argument 1 (client address) is empty|reason=error"
expect "{203.0.113.9}{h\\x00junk}{a@example.org}{b@test}$R" "defer 451 4.7.1 "
head -c 102400 /dev/zero | tr '\0' 'x' >"$T/big"
chmod 644 "$T/big"
[ "$(id -u)" = 0 ] && chown "$XUSER:$XGROUP" "$T/big"
expect "{203.0.113.9}{h}{\${readfile{MXT/big}}}{b@test}$R" \
    "defer 451 4.3.5 mxgrey: argument 3 (sender) is too long|reason=error"
expect "{203.0.113.9}{h}{a@example.org}{b@test}{config=\${readfile{MXT/big}}}" \
    "defer 451 4.3.5 mxgrey: argument 5 is too long|reason=error"
expect "{203.0.113.9}{h}{a@example.org}{b@test}{confg=MXT/mxgrey.conf}" \
    "defer 451 4.3.5 mxgrey: argument 5: unknown key: confg="
expect "{203.0.113.9}{h}{a@example.org}{b@test}{MXT/mxgrey.conf}" \
    "defer 451 4.3.5 mxgrey: argument 5 is not key=value"
# not an address: the engine's failure action, with its text
expect "{not-an-address}{h}{a@example.org}{b@test}$R" "defer 4"
# store unusable: the failure action, and a log line saying why
expect "{203.0.113.19}{h}{a@example.org}{b@test}{config=MXT/mxgrey.conf}{store=/nonexistent/x.tdb}" \
    "defer 451 4.3.0 Temporary failure (greylist store unavailable), please try again later|remaining=0 reason=failure"
grep -q 'no decision for \[203.0.113.19\] <a@example.org> -> <b@test>: .*failure action tempfail' \
    "$T/log/mainlog" || fail "store failure not logged by the shim"
ok "store failure logged"
# rules file missing, no good copy known for that store: failure action
expect "{203.0.113.9}{h}{a@example.org}{b@test}{config=MXT/nope.conf}{store=MXT/other.tdb}" \
    "defer 451 4.3.0 Temporary failure (rules not loaded), please try again later|remaining=0 reason=failure"
# rules file missing, a good copy of ANOTHER rules file beside the store:
# never served for it (one copy per rules file)
expect "{203.0.113.9}{h}{a@example.org}{b@test}{config=MXT/nope.conf}{store=MXT/greylist.tdb}" \
    "defer 451 4.3.0 Temporary failure (rules not loaded), please try again later|remaining=0 reason=failure"
ok "another rules file's good copy not served"
grep -q 'bad ${dlfunc} arguments: argument 1 (client address) is missing' \
    "$T/log/mainlog" || fail "bad arguments not logged in the main log"
ok "bad arguments logged"
grep -q "nope.conf" "$T/log/mainlog" || fail "missing rules file not logged"
ok "missing rules file logged"

# a store made by root (mxgreyctl) in a setgid Debian-exim directory is
# group-shared: Exim's user decides on it
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$T/shared"
	chgrp "$XGROUP" "$T/shared"
	chmod 2770 "$T/shared"
	# check creates the store (read-only commands never do)
	"$CTL" -f "$RULES" -s "$T/shared/g.tdb" check --ip 192.0.2.200 \
	    --from root@example.org --rcpt postmaster@test >/dev/null ||
	    fail "root could not create the store"
	ls -l "$T/shared/g.tdb" | grep -q "^-rw-rw---- .* root $XGROUP " ||
	    fail "store not root:$XGROUP 0660: $(ls -l "$T/shared/g.tdb")"
	expect "{203.0.113.10}{h}{a@example.org}{b@test}{config=MXT/mxgrey.conf}{store=MXT/shared/g.tdb}" \
	    "defer 451 4.7.1 Greylisting in action, please come back in 01:00:00|remaining=3600 reason=new"
fi

# exim -bh: the whole RCPT ACL for a pretend client
bh() {
	printf 'EHLO client.example\r\nMAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nQUIT\r\n' \
	    "$2" "$3" | as_exim exim -C "$CONF" -bh "$1" 2>>"$T/bh.stderr" |
	    tr -d '\r' | sed -n '/^250 OK$/{n;p;q;}'
}
r=$(bh 192.0.2.77 a@example.org b@test)
expect_prefix "-bh whitelisted 192.0.2.77" "$r" "250"
r=$(bh 198.51.100.77 a@example.org b@test)
expect_prefix "-bh blacklisted 198.51.100.77" "$r" "550 5.7.1 Blocked network"
r=$(bh 203.0.113.77 a@example.org b@test)
expect_prefix "-bh greylisted 203.0.113.77" "$r" "451 4.7.1 Greylisting in action"
r=$(bh 2001:db8::77 a@example.org b@test)
expect_prefix "-bh greylisted 2001:db8::77" "$r" "451 4.7.1 Greylisting in action"
sleep 1.1 # a second later: less time left
r=$(bh 2001:db8::77 a@example.org b@test)
expect_prefix "-bh retry 2001:db8::77" "$r" "451 4.7.1 Greylisting in action, please come back in 00:59:5"
echo "exim_expand: all passed"
