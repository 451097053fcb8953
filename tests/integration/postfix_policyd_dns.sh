#!/bin/sh
# postfix_policyd_dns.sh: a decision that waits for DNS does not stop the
# loop. The rules ask a DNSRBL through a resolver that never answers;
# while one connection waits for it, a request on another connection that
# needs no decision (protocol_state=DATA) is answered at once; the first
# one gets the failure action when the lookup times out.
. tests/lib/ports.sh
T=tests/tmp/postfix_policyd_dns
BIN=shim/postfix/mxgrey-policyd
command -v perl >/dev/null || { echo "skip: no perl"; exit 77; }
[ -x "$BIN" ] || { echo "$BIN not built"; exit 1; }
PD_PID= DNS_PID=
cleanup() {
	[ -n "$PD_PID" ] && kill "$PD_PID" 2>/dev/null && wait "$PD_PID"
	[ -n "$DNS_PID" ] && kill "$DNS_PID" 2>/dev/null && wait "$DNS_PID"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; tail -n 20 "$T/policyd.log"; exit 1; }

rm -rf "$T" && mkdir -p "$T" || exit 1
# a "DNS server" that reads queries and never answers
. tests/lib/silent_dns.sh
silent_dns_start "$T" || fail "no silent DNS"
cat >"$T/rules.conf" <<EOC
resolver "127.0.0.1:$DP" timeout 2s
dnsrbl "R" rbl.example.org 127.0.0.0/8
racl whitelist addr 192.0.2.99
racl greylist dnsrbl "R" msg "listed"
racl greylist default
EOC
PP=$(free_port)
"$BIN" -D -l "inet:127.0.0.1:$PP" -f "$T/rules.conf" \
    -s "$(pwd)/$T/store.tdb" >"$T/policyd.log" 2>&1 &
PD_PID=$!
wait_port "$PP" 10 || fail "did not listen"

PORT=$PP perl -e '
use strict; use warnings; use IO::Socket::INET; use IO::Select;
use Time::HiRes qw(time);
sub req { "request=smtpd_access_policy\nprotocol_state=RCPT\n" .
	"client_address=$_[0]\nsender=a\@example.org\n" .
	"recipient=b\@example.net\n\n" }
sub inet { IO::Socket::INET->new(PeerAddr => "127.0.0.1",
	PeerPort => $ENV{PORT}) or die "connect: $!"; }
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
my $t0 = time;
$a->syswrite(req("192.0.2.1"));        # needs the DNSRBL: waits
select(undef, undef, undef, 0.2);
$b->syswrite("request=smtpd_access_policy\nprotocol_state=DATA\n\n");
my $rb = answer($b, 1.5);
defined $rb or die "other connection not answered while one waits\n";
$rb =~ /^action=DUNNO/ or die "b: $rb";
printf "ok: other client answered after %.2fs while one waits for DNS\n",
    time - $t0;
defined answer($a, 0.1) and die "the DNS-bound request did not wait\n";
my $ra = answer($a, 12);
defined $ra or die "DNS-bound request never answered\n";
$ra =~ /^action=DEFER_IF_PERMIT / or die "a: $ra";
printf "ok: DNS timeout answered after %.2fs: %s", time - $t0, $ra;
# the waiting connection still works
$a->syswrite("request=smtpd_access_policy\nprotocol_state=DATA\n\n");
answer($a, 3) =~ /^action=DUNNO/ or die "a after wait\n";
print "ok: connection usable after the wait\n";
' || fail "dns"
kill -0 "$PD_PID" || fail "died"
echo "PASS"
