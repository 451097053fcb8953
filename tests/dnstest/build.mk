# tests/dnstest/build.mk: the DNS latency driver for tests/bench/dns_latency.sh
# (not run by make check: it wants a network namespace with netem, or
# falls back to a delaying relay; the unit test test_lookup covers the
# same claim with the relay).
DNS_BENCH	= tests/dnstest/dns_bench
CLEAN_EXTRA	+= $(DNS_BENCH)

$(DNS_BENCH): tests/dnstest/dns_bench.c tests/unit/mxg_dnstest.h $(LIBMXGREY_A)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ENGINE_LIBS) $(ALL_LDFLAGS)

# The lookup unit tests include the DNS server harness.
tests/unit/test_lookup.t tests/unit/test_lookup_engine.t: tests/unit/mxg_dnstest.h
