# Unit tests: every tests/unit/test_*.c is a standalone Check program
# (its own main(), see mxg_test.h), linked with the static engine. A shim
# may give a test binary extra objects with a line in its own build.mk:
#   tests/unit/test_x.t: shim/x/proto.o
#   tests/unit/test_x.t: UNIT_EXTRA = shim/x/proto.o
UNIT_SRCS	= $(sort $(wildcard $(srcdir)/tests/unit/test_*.c))
UNIT_TESTS	= $(patsubst $(srcdir)/%.c,%.t,$(UNIT_SRCS))
CHECK_PROGRAMS	+= $(UNIT_TESTS)
UNIT_EXTRA	=

tests/unit/%.t: tests/unit/%.c tests/unit/mxg_test.h $(LIBMXGREY_A)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Wno-pedantic -o $@ $< \
	    $(UNIT_EXTRA) $(ENGINE_LIBS) $(CHECK_LIBS) $(ALL_LDFLAGS)

# The exported symbols of libmxgrey.so are exactly the public API.
CHECK_SCRIPTS	+= tests/unit/exports.sh
CHECK_SCRIPTS	+= tests/unit/cli.sh
# mxgrey-policyd and mxgrey-milter: --help, the pid file (no MTA needed).
CHECK_SCRIPTS	+= tests/unit/daemons.sh
# Relative -f/-s/-P/socket paths: the same files detached as with -D.
CHECK_SCRIPTS	+= tests/unit/daemons_paths.sh
CHECK_SCRIPTS	+= tests/unit/install.sh
