#!/bin/sh
# daemons_paths.sh: relative paths mean the same file with or without -D.
# mxgrey-policyd and mxgrey-milter are started in the background (they
# detach and change to /) from a scratch directory, with a relative rules
# file, store, pid file and unix socket, from the command line and from
# the milter's daemon directives: every file lands in that directory,
# none in /, and a changed rules file is read again (SIGHUP for policyd,
# the file watch for the milter). Requests go over the socket with perl.
set -u
top=$(pwd)
D=$top/tests/tmp/daemons_paths.$$
P=${BIN_DIR:-$top}/shim/postfix/mxgrey-policyd
M=${BIN_DIR:-$top}/shim/milter/mxgrey-milter
r=rel$$	# the names that must not turn up in /
rm -rf "$D" && mkdir -p "$D" || exit 1
command -v perl >/dev/null || { echo "skip: no perl"; exit 77; }
pids=
cleanup() {	# also the daemons whose pid file went astray
	for f in "$D"/*/"$r"*.pid "/$r"*.pid; do
		[ -s "$f" ] && pids="$pids $(cat "$f")"
	done
	for p in $pids; do
		case $(cat "/proc/$p/comm" 2>/dev/null) in
		mxgrey-policyd|mxgrey-milter) kill -KILL "$p" ;;
		esac
	done
	rm -rf "$D"
	rm -f "/$r"*
}
trap cleanup EXIT
fail=0
. tests/lib/expect.sh
# wait_file FILE: up to 5 s for FILE to exist and not be empty
wait_file() {
	i=0
	while [ ! -s "$1" ] && [ ! -S "$1" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
# in_root: the names of ours that turned up in /, or nothing
in_root() {
	ls -d "/$r"* 2>/dev/null | tr '\n' ' '
}

# policy REQUEST on unix socket SOCK: print the answer's action line
policy() {
	perl -e '
use strict; use warnings; use IO::Socket::UNIX;
my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "$ARGV[0]: $!\n";
print $s "request=smtpd_access_policy\nprotocol_state=RCPT\n" .
    "client_address=192.0.2.1\nclient_name=client.example\n" .
    "helo_name=client.example\nsender=a\@b.example\n" .
    "recipient=c\@d.example\n\n";
my $l = <$s>;
print $l;' "$1"
}
# milter SOCK: one connection up to RCPT; print the RCPT reply's command
# (y: a reply code, greylisted; c: continue)
milter() {
	perl -e '
use strict; use warnings; use IO::Socket::UNIX;
my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "$ARGV[0]: $!\n";
$s->autoflush(1);
sub put { print $s pack("N", 1 + length $_[1]) . $_[0] . $_[1]; }
sub get {
	my ($h, $b) = ("", "");
	read($s, $h, 4) == 4 or die "eof\n";
	my $n = unpack("N", $h);
	read($s, $b, $n) == $n or die "short\n";
	return $b;
}
put("O", pack("NNN", 6, 0x1ff, 0x1fffff)); get();
put("C", "client.example\0" . "4" . pack("n", 25) . "192.0.2.1\0"); get();
put("H", "client.example\0"); get();
put("M", "<a\@b.example>\0"); get();
put("R", "<c\@d.example>\0");
my $r = get();
put("Q", "");
print substr($r, 0, 1), "\n";' "$1"
}

# mxgrey-policyd, detached: -f, -s, -P and -l unix: all relative
mkdir "$D/pd"
printf 'racl greylist default\n' > "$D/pd/pd.conf"
(cd "$D/pd" && "$P" -f pd.conf -s "$r.tdb" -P "$r-pd.pid" -l "unix:$r.sock" \
    >../pd.out 2>&1)
expect "policyd detached: exit 0, nothing printed" "$? $(cat "$D/pd.out")" \
    "0 "
wait_file "$D/pd/$r-pd.pid"
pid=$(cat "$D/pd/$r-pd.pid" 2>/dev/null)
[ -n "$pid" ] && pids="$pids $pid"
expect "policyd: relative pid file in the start directory" \
    "$(cat "/proc/$pid/comm" 2>&1)" "mxgrey-policyd"
wait_file "$D/pd/$r.sock"
[ -S "$D/pd/$r.sock" ]
expect "policyd: relative unix socket in the start directory" "$?" "0"
expect "policyd: greylists" "$(policy "$D/pd/$r.sock")" \
    "action=DEFER_IF_PERMIT Greylisting in action, please come back in 00:30:00"
[ -f "$D/pd/$r.tdb" ]
expect "policyd: relative -s store in the start directory" "$?" "0"
printf 'racl whitelist default\n' > "$D/pd/pd.conf"
kill -HUP "$pid"
i=0
while [ "$(policy "$D/pd/$r.sock")" != "action=DUNNO" ] && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
expect "policyd: SIGHUP reads the relative rules file again" \
    "$(policy "$D/pd/$r.sock")" "action=DUNNO"
kill -TERM "$pid"
i=0
while [ -e "$D/pd/$r-pd.pid" ] && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
[ ! -e "$D/pd/$r-pd.pid" ]
expect "policyd: relative pid file removed at exit" "$?" "0"
expect "policyd: nothing of ours in /" "$(in_root)" ""

# the same paths in the foreground (-D) are the same files
printf 'racl greylist default\n' > "$D/pd/pd.conf"
(cd "$D/pd" && exec "$P" -D -f pd.conf -s "$r.tdb" -P "$r-pd.pid" \
    -l "unix:$r.sock" >../pdD.log 2>&1) &
pidD=$!
pids="$pids $pidD"
i=0
while [ "$(cat "$D/pd/$r-pd.pid" 2>/dev/null)" != "$pidD" ] && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
expect "policyd -D: same pid file" "$(cat "$D/pd/$r-pd.pid" 2>&1)" "$pidD"
policy "$D/pd/$r.sock" | grep -q "^action=DEFER_IF_PERMIT "
expect "policyd -D: same socket" "$?" "0"
kill -TERM "$pidD"
wait "$pidD"
grep -q "mxgrey: early from=<a@b.example>" "$D/pdD.log"
expect "policyd -D: same store (the tuple was seen before)" "$?" "0"

if [ -x "$M" ]; then
	# mxgrey-milter, detached: -f, -s, -P and -p all relative
	mkdir "$D/m"
	printf 'racl greylist default\n' > "$D/m/m.conf"
	(cd "$D/m" && "$M" -f m.conf -s "$r.tdb" -P "$r-m.pid" -p "$r.sock" \
	    >../m.out 2>&1)
	expect "milter detached: exit 0, nothing printed" \
	    "$? $(cat "$D/m.out")" "0 "
	wait_file "$D/m/$r-m.pid"
	pid=$(cat "$D/m/$r-m.pid" 2>/dev/null)
	[ -n "$pid" ] && pids="$pids $pid"
	expect "milter: relative pid file in the start directory" \
	    "$(cat "/proc/$pid/comm" 2>&1)" "mxgrey-milter"
	wait_file "$D/m/$r.sock"
	[ -S "$D/m/$r.sock" ]
	expect "milter: relative socket in the start directory" "$?" "0"
	expect "milter: greylists" "$(milter "$D/m/$r.sock")" "y"
	[ -f "$D/m/$r.tdb" ]
	expect "milter: relative -s store in the start directory" "$?" "0"
	sleep 1.1 # the watch looks at most once a second
	printf 'racl whitelist default\n' > "$D/m/m.conf"
	sleep 1.1
	expect "milter: the relative rules file is watched" \
	    "$(milter "$D/m/$r.sock")" "c"
	kill -KILL "$pid"

	# the daemon directives: socket and pidfile relative (unix: too)
	mkdir "$D/m2"
	printf 'racl greylist default\nsocket "unix:%s.sock" 660\n' "$r" \
	    > "$D/m2/m.conf"
	printf 'pidfile "%s-m2.pid"\nstore "%s/m2/s.tdb"\n' "$r" "$D" \
	    >> "$D/m2/m.conf"
	(cd "$D/m2" && "$M" -f m.conf >../m2.out 2>&1)
	expect "milter directives: exit 0" "$? $(cat "$D/m2.out")" "0 "
	wait_file "$D/m2/$r-m2.pid"
	pid=$(cat "$D/m2/$r-m2.pid" 2>/dev/null)
	[ -n "$pid" ] && pids="$pids $pid"
	expect "milter: pidfile directive relative to the start directory" \
	    "$(cat "/proc/$pid/comm" 2>&1)" "mxgrey-milter"
	wait_file "$D/m2/$r.sock"
	expect "milter: socket directive relative to the start directory" \
	    "$(stat -c %a "$D/m2/$r.sock" 2>&1)" "660"
	expect "milter directives: greylists" "$(milter "$D/m2/$r.sock")" "y"
	kill -KILL "$pid"
	expect "milter: nothing of ours in /" "$(in_root)" ""
else
	echo "ok: # skip milter: not built"
fi

[ $fail -eq 0 ] || tail -n 20 "$D"/*.log "$D"/*.out 2>/dev/null
exit $fail
