#!/bin/sh
# postfix_policyd_limits.sh: mxgrey-policyd's connection limits: with
# -c 2 a third client waits in the listen queue until a slot frees; with
# -t 1 an idle connection is closed after about a second, a busy one is
# not.
. tests/lib/ports.sh
T=tests/tmp/postfix_policyd_limits
BIN=shim/postfix/mxgrey-policyd
command -v perl >/dev/null || { echo "skip: no perl"; exit 77; }
[ -x "$BIN" ] || { echo "$BIN not built"; exit 1; }
PD_PID=
cleanup() {
	[ -n "$PD_PID" ] && kill "$PD_PID" 2>/dev/null && wait "$PD_PID"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; tail -n 20 "$T/policyd.log"; exit 1; }

rm -rf "$T" && mkdir -p "$T" || exit 1
printf 'racl blacklist from spam@example.org\nracl greylist default\n' \
    >"$T/rules.conf"
PP=$(free_port)
"$BIN" -D -c 2 -t 1 -l "inet:127.0.0.1:$PP" -f "$T/rules.conf" \
    -s "$(pwd)/$T/store.tdb" >"$T/policyd.log" 2>&1 &
PD_PID=$!
wait_port "$PP" 10 || fail "did not listen"

PORT=$PP perl -e '
use strict; use warnings; use IO::Socket::INET; use IO::Select;
use Time::HiRes qw(time sleep);
my $req = "request=smtpd_access_policy\nclient_address=192.0.2.1\n" .
    "sender=spam\@example.org\nrecipient=a\@b\n\n";
sub inet { IO::Socket::INET->new(PeerAddr => "127.0.0.1",
	PeerPort => $ENV{PORT}) or die "connect: $!"; }
# answer within t seconds, or undef
sub answer { my ($s, $t) = @_; my $buf = "";
	my $sel = IO::Select->new($s); my $end = time + $t;
	while ($buf !~ /\n\n/) {
		my $left = $end - time; return undef if $left <= 0;
		return undef unless $sel->can_read($left);
		my $n = sysread($s, $buf, 4096, length $buf);
		return $buf if !$n;
	}
	return $buf; }
my $a = inet(); my $b = inet();
$a->syswrite($req); answer($a, 5) =~ /^action=550/ or die "a\n";
$b->syswrite($req); answer($b, 5) =~ /^action=550/ or die "b\n";
# the third connects (kernel backlog) but is not served yet
my $c = inet(); $c->syswrite($req);
defined answer($c, 0.5) and die "third client served over the limit\n";
print "ok: third client waits at -c 2\n";
# keep b busy; a goes idle and is closed after ~1s; then c is served
my $t0 = time; my $served = 0;
while (time - $t0 < 6) {
	$b->syswrite($req); answer($b, 5) =~ /^action=550/ or die "b busy\n";
	my $r = answer($c, 0.2);
	if (defined $r) { $r =~ /^action=550/ or die "c: $r\n"; $served = 1;
		last; }
}
$served or die "third client never served\n";
printf "ok: served after %.1fs, when the idle one was closed\n", time - $t0;
# a was closed by the server: EOF
my $buf; my $sel = IO::Select->new($a);
$sel->can_read(2) or die "idle connection not closed\n";
my $n = sysread($a, $buf, 100);
(defined $n && $n == 0) or die "idle connection: got data, not EOF\n";
print "ok: idle connection closed, busy one kept\n";
' || fail "limits"
kill -0 "$PD_PID" || fail "died"
echo "PASS"
