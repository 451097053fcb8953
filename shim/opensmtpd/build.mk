# filter-mxgrey: the OpenSMTPD filter (smtpd-filters protocol 0.5-0.7).
# The protocol parser, the session table and the filter state machine are
# separate objects so that unit tests and the fuzz target link them alone.
PROGRAMS	+= shim/opensmtpd/filter-mxgrey
SMTPD_CORE	= shim/opensmtpd/smtpd_proto.o shim/opensmtpd/smtpd_session.o \
		  shim/opensmtpd/smtpd_filter.o
SMTPD_OBJS	= $(SMTPD_CORE) shim/opensmtpd/smtpd_loop.o \
		  shim/opensmtpd/filter-mxgrey.o

$(SMTPD_OBJS): $(wildcard $(srcdir)/shim/opensmtpd/*.h)

shim/opensmtpd/filter-mxgrey: $(SMTPD_OBJS) $(LIBMXGREY_A)
	$(CC) -o $@ $(SMTPD_OBJS) $(ENGINE_LIBS) $(ALL_LDFLAGS)

# Unit tests that need the shim's objects (see tests/unit/build.mk).
tests/unit/test_smtpd_proto.t: shim/opensmtpd/smtpd_proto.o
tests/unit/test_smtpd_proto.t: UNIT_EXTRA = shim/opensmtpd/smtpd_proto.o \
		  -I$(srcdir)/shim/opensmtpd
tests/unit/test_smtpd_session.t: shim/opensmtpd/smtpd_session.o
tests/unit/test_smtpd_session.t: UNIT_EXTRA = shim/opensmtpd/smtpd_session.o \
		  -I$(srcdir)/shim/opensmtpd
tests/unit/test_smtpd_filter.t: $(SMTPD_CORE)
tests/unit/test_smtpd_filter.t: UNIT_EXTRA = $(SMTPD_CORE) \
		  -I$(srcdir)/shim/opensmtpd

# Transcripts through the real binary and engine, time travel included.
CHECK_SCRIPTS	+= tests/golden/smtpd/run-engine.sh

INSTALL_EXTRA	+= ; $(INSTALL) -m 755 shim/opensmtpd/filter-mxgrey \
		  $(DESTDIR)$(libexecdir)/mxgrey/

# Against Debian's real OpenSMTPD 6.8.0p2 (fetched by the tests).
INTEGRATION	+= tests/integration/opensmtpd_greylist.sh \
		  tests/integration/opensmtpd_reload.sh \
		  tests/integration/opensmtpd_concurrent.sh \
		  tests/integration/opensmtpd_data.sh \
		  tests/integration/opensmtpd_dns.sh

# Fuzz target on the line parser and state machine (tests/fuzz/build.mk).
FUZZ_TARGETS	+= fuzz_smtpd_line
FUZZ_OBJS_fuzz_smtpd_line = $(SMTPD_CORE)
tests/unit/test_smtpd_proto.t tests/unit/test_smtpd_filter.t \
tests/unit/test_smtpd_session.t tests/fuzz/fuzz_smtpd_line.o: $(wildcard $(srcdir)/shim/opensmtpd/*.h)
