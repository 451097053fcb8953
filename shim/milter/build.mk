# shim/milter/build.mk: mxgrey-milter (libmilter), a drop-in for
# milter-greylist. Built only when configure found libmilter/mfapi.h.
# Shares shim/postfix/daemon.o (log sink, detach, pid file, privileges).

MILTER_OBJS	= shim/milter/milter_main.o shim/milter/milter_cb.o \
		  shim/milter/milter_text.o shim/postfix/daemon.o
CLEAN_EXTRA	+= shim/milter/mxgrey-milter

$(MILTER_OBJS): $(wildcard $(srcdir)/shim/milter/*.h) \
    $(srcdir)/shim/postfix/daemon.h

ifeq ($(HAVE_MILTER),yes)
PROGRAMS	+= shim/milter/mxgrey-milter
endif

shim/milter/mxgrey-milter: $(MILTER_OBJS) $(LIBMXGREY_A)
	$(CC) -o $@ $(MILTER_OBJS) $(ALL_LDFLAGS) -pthread -lmilter \
	    $(ENGINE_LIBS)

# Against the real Postfix 3.7 (skips without libmilter or Postfix).
INTEGRATION	+= tests/integration/postfix_milter.sh \
		   tests/integration/postfix_milter_edge.sh \
		   tests/integration/postfix_milter_dns.sh

# Unit test of the header and reply texts.
tests/unit/test_milter_text.t: shim/milter/milter_text.o
tests/unit/test_milter_text.t: UNIT_EXTRA = shim/milter/milter_text.o

# The dump import (module/mxg_import.c) behind `mxgreyctl import-dump`:
# fuzz target, replayed by check-unit (tests/fuzz/build.mk).
FUZZ_TARGETS	+= fuzz_import
FUZZ_OBJS_fuzz_import =

ifeq ($(HAVE_MILTER),yes)
INSTALL_EXTRA	+= ; $(INSTALL) -m 755 shim/milter/mxgrey-milter $(DESTDIR)$(sbindir)/
endif
