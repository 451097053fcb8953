#!/bin/sh
# dns_latency.sh: a decision needing 4 DNSRBLs + SPF against one needing
# a single DNSRBL, with 20 ms of delay on the DNS path (target: ratio
# <= 1.5, i.e. about one round trip, not five).
#
# The DNS server (dnsmasq) and the client both run in a private network
# namespace on its own 127.0.0.1, whose loopback gets `tc qdisc netem
# delay 20ms` (every packet, so 40 ms per round trip): no address outside
# 127.0.0.0/8 is used and the host's loopback is untouched. Where the
# kernel has no netem (sch_netem), the same driver runs on the host's
# loopback behind a userspace relay that holds every query 20 ms.
# Needs root for the namespace; Debian packages iproute2, dnsmasq-base.
# Usage (from the top of the build tree): sh tests/bench/dns_latency.sh
set -u
DELAY=${DELAY:-20}
ROUNDS=${ROUNDS:-15}
make -s tests/dnstest/dns_bench >/dev/null || { echo "build failed"; exit 1; }
if [ ! -x /usr/sbin/dnsmasq ]; then
	echo "skip: dnsmasq missing (Debian package dnsmasq-base)"
	exit 77
fi
ns=mxgdns$$
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT INT TERM
if [ "$(id -u)" = 0 ] && ip netns add "$ns" 2>/dev/null &&
    ip netns exec "$ns" ip link set lo up &&
    ip netns exec "$ns" tc qdisc add dev lo root netem delay "${DELAY}ms" \
    2>/dev/null; then
	echo "netem: ${DELAY} ms per packet on the loopback of netns $ns"
	ip netns exec "$ns" ./tests/dnstest/dns_bench 0 "$ROUNDS"
	rc=$?
else
	echo "netem unavailable here (no root, netns or sch_netem):" \
	    "relay holding every query ${DELAY} ms on 127.0.0.1"
	./tests/dnstest/dns_bench "$DELAY" "$ROUNDS"
	rc=$?
fi
exit $rc
