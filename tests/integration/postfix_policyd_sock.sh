#!/bin/sh
# postfix_policyd_sock.sh: mxgrey-policyd on its sockets, without Postfix:
# many concurrent persistent connections with pipelined requests, the
# same answers over inet and unix sockets, malformed and over-long
# requests answered with the connection kept, a client vanishing
# mid-request, dropping root to -u nobody, SIGTERM with pid file removal.
. tests/lib/ports.sh
T=tests/tmp/postfix_policyd_sock
BIN=shim/postfix/mxgrey-policyd

command -v perl >/dev/null || { echo "skip: no perl"; exit 77; }
[ -x "$BIN" ] || { echo "$BIN not built"; exit 1; }
PD_PID=
cleanup() {
	[ -n "$PD_PID" ] && kill "$PD_PID" 2>/dev/null && wait "$PD_PID"
}
trap cleanup EXIT INT TERM
fail() {
	echo "FAIL: $*"; tail -n 20 "$T/policyd.log"; exit 1
}

rm -rf "$T" && mkdir -p "$T" && chmod 0755 "$T" || exit 1
cat >"$T/rules.conf" <<'EOC'
greylist 3600
racl blacklist from spam@example.org msg "Go away"
racl greylist default
EOC
PP=$(free_port)
# and on ::1 when the host has it
v6= PP6=
if ip -6 addr show lo 2>/dev/null | grep -q '::1'; then
	PP6=$(free_port)
	while [ "$PP6" = "$PP" ]; do PP6=$(free_port); done
	v6="-l inet:[::1]:$PP6"
fi
user=
[ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && user="-u nobody"
[ -n "$user" ] && chown nobody "$T"
# shellcheck disable=SC2086
# the unix socket through postgrey's option spellings
"$BIN" -D -a code -l "inet:127.0.0.1:$PP" --unix="$(pwd)/$T/policy.sock" \
    --socketmode=0666 -f "$T/rules.conf" -s "$T/store.tdb" -P "$T/policyd.pid" \
    $user $v6 >"$T/policyd.log" 2>&1 &
PD_PID=$!
wait_port "$PP" 10 || fail "did not listen"
[ -z "$PP6" ] || wait_port "$PP6" 10 || fail "did not listen on ::1"
[ -S "$T/policy.sock" ] || fail "no unix socket"
[ "$(stat -c %a "$T/policy.sock")" = 666 ] || fail "socket mode"
if [ -n "$user" ]; then
	uid=$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$PD_PID/status")
	[ "$uid" = "$(id -u nobody)$(id -u nobody)$(id -u nobody)$(id -u nobody)" ] ||
	    fail "still uid $uid after -u nobody"
	echo "ok: runs as nobody"
fi
[ "$(cat "$T/policyd.pid")" = "$PD_PID" ] || fail "pid file"

PORT=$PP PORT6=$PP6 SOCK=$T/policy.sock perl -e '
use strict; use warnings; use IO::Socket::INET; use IO::Socket::UNIX;
my $nconn = 100;
sub req { my ($from, $to) = @_;
	return "request=smtpd_access_policy\nprotocol_state=RCPT\n" .
	    "client_address=192.0.2.1\nsender=$from\nrecipient=$to\n\n"; }
sub inet { IO::Socket::INET->new(PeerAddr => "127.0.0.1",
	PeerPort => $ENV{PORT}) or die "connect: $!"; }
sub answer { my ($s) = @_; local $/ = "\n\n"; my $a = <$s>;
	defined $a or die "no answer"; $a =~ s/\n\n$//; return $a; }
sub check { my ($got, $re, $what) = @_;
	$got =~ $re or die "$what: got \"$got\"\n"; }
# 100 connections open at once, each two pipelined requests per write,
# three rounds, answers in order
my @c = map { inet() } 1 .. $nconn;
for my $round (1 .. 3) {
	for my $i (0 .. $#c) {
		$c[$i]->syswrite(req("s$i\@example.org", "r$i\@example.net") .
		    req("spam\@example.org", "r$i\@example.net"));
	}
	for my $i (0 .. $#c) {
		check(answer($c[$i]), qr/^action=451 4\.7\.1 Greylisting/,
		    "conn $i round $round greylist");
		check(answer($c[$i]), qr/^action=550 5\.7\.1 Go away$/,
		    "conn $i round $round blacklist");
	}
}
print "ok: $nconn concurrent persistent connections, pipelined\n";
# unix socket: same engine, same store
my $u = IO::Socket::UNIX->new(Peer => $ENV{SOCK}) or die "unix: $!";
$u->syswrite(req("spam\@example.org", "x\@example.net"));
check(answer($u), qr/^action=550 5\.7\.1/, "unix socket");
print "ok: unix socket\n";
if ($ENV{PORT6}) {
	require IO::Socket::IP;
	my $six = IO::Socket::IP->new(PeerHost => "::1",
	    PeerPort => $ENV{PORT6}) or die "::1: $!";
	$six->syswrite("request=smtpd_access_policy\nclient_address=" .
	    "2001:db8::1\nsender=spam\@example.org\nrecipient=a\@b\n\n");
	check(answer($six), qr/^action=550 5\.7\.1/, "::1");
	print "ok: listening on ::1\n";
}
# malformed and over-long requests: answered, connection kept
my $s = $c[0];
$s->syswrite("this is not a request\n\n");
check(answer($s), qr/^action=DEFER_IF_PERMIT mxgrey: malformed request$/,
    "malformed");
$s->syswrite("request=smtpd_access_policy\nhelo_name=" . ("h" x 100000) .
    "\n\n");
check(answer($s), qr/^action=DEFER_IF_PERMIT mxgrey: request too long$/,
    "too long");
$s->syswrite("request=smtpd_access_policy\nprotocol_state=DATA\n\n");
check(answer($s), qr/^action=DUNNO$/, "DATA state");
$s->syswrite(req("spam\@example.org", "y\@example.net"));
check(answer($s), qr/^action=550 /, "after errors");
print "ok: malformed and over-long answered, connection kept\n";
# a client vanishing mid-request and one that never reads
my $v = inet(); $v->syswrite("request=smtpd_acc"); close $v;
my $w = inet(); $w->syswrite(req("spam\@example.org", "z\@example.net") x 2000);
$s->syswrite(req("spam\@example.org", "y\@example.net"));
check(answer($s), qr/^action=550 /, "server still serves");
close $w;
$s->syswrite(req("spam\@example.org", "y\@example.net"));
check(answer($s), qr/^action=550 /, "server still serves");
print "ok: vanishing and non-reading clients do not hurt others\n";
' || fail "protocol checks"

kill -0 "$PD_PID" || fail "died"
grep -q "request too long" "$T/policyd.log" || fail "over-long not logged"
kill -TERM "$PD_PID"
wait "$PD_PID"
rc=$?
PD_PID=
[ $rc -eq 0 ] || fail "exit status $rc after SIGTERM"
[ ! -e "$T/policyd.pid" ] || fail "pid file left"
grep -q "stopping:" "$T/policyd.log" || fail "no stop line"
echo "PASS"
