# shim/postfix/build.mk: mxgrey-policyd, the Postfix policy server.
# daemon.o is shared with the milter shim.

POLICYD_OBJS	= shim/postfix/policyd.o shim/postfix/policy_server.o \
		  shim/postfix/policy_attr.o shim/postfix/policy_answer.o \
		  shim/postfix/listen.o shim/postfix/daemon.o
PROGRAMS	+= shim/postfix/mxgrey-policyd
CLEAN_EXTRA	+= shim/postfix/mxgrey-policyd

$(POLICYD_OBJS): $(wildcard $(srcdir)/shim/postfix/*.h)

shim/postfix/mxgrey-policyd: $(POLICYD_OBJS) $(LIBMXGREY_A)
	$(CC) -o $@ $(POLICYD_OBJS) $(ALL_LDFLAGS) $(ENGINE_LIBS)

# Unit tests of the protocol code (tests/unit/build.mk builds them).
tests/unit/test_policy_attr.t: shim/postfix/policy_attr.o
tests/unit/test_policy_attr.t: UNIT_EXTRA = shim/postfix/policy_attr.o
tests/unit/test_policy_answer.t: shim/postfix/policy_answer.o
tests/unit/test_policy_answer.t: UNIT_EXTRA = shim/postfix/policy_answer.o

# Golden request/answer files (tests/golden/policy/), run by check-unit.
CHECK_SCRIPTS	+= tests/golden/policy/run.sh

# Against the real Postfix 3.7 (unpacked .deb) and on the socket.
INTEGRATION	+= tests/integration/postfix_policy.sh \
		   tests/integration/postfix_policyd_sock.sh \
		   tests/integration/postfix_policyd_limits.sh \
		   tests/integration/postfix_policyd_dns.sh

# Benchmark against postgrey: `make bench-policy` (not part of check).
CLEAN_EXTRA	+= tests/bench/policy_bench
tests/bench/policy_bench: tests/bench/policy_bench.c
	$(CC) $(ALL_CFLAGS) -pthread -o $@ $< $(ALL_LDFLAGS) -pthread

bench-policy: build tests/bench/policy_bench
	sh $(srcdir)/tests/bench/policy_bench.sh

INSTALL_EXTRA	+= ; $(INSTALL) -m 755 shim/postfix/mxgrey-policyd $(DESTDIR)$(sbindir)/
