# tests/lib/silent_dns.sh: sourced by tests (not a test itself).
#   . tests/lib/ports.sh; . tests/lib/silent_dns.sh
#   silent_dns_start DIR   a "DNS server" on 127.0.0.1:$DP (UDP) that
#                          reads queries and never answers; its pid in
#                          DNS_PID (the caller kills it); returns 1 when it
#                          is not up within 5 s
silent_dns_start() {
	DP=$(free_port)
	perl -MIO::Socket::INET -e '
my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1:$ARGV[0]",
    Proto => "udp") or die "udp: $!";
open(my $r, ">", $ARGV[1]); close $r;
my $b; while (1) { $s->recv($b, 4096); }' "$DP" "$1/dns.ready" &
	DNS_PID=$!
	i=0
	until [ -e "$1/dns.ready" ]; do
		i=$((i + 1)); [ $i -lt 50 ] || return 1; sleep 0.1
	done
}
