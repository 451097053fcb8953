# shim/exim: mxgrey_exim.so, loaded by Exim through ${dlfunc} (RCPT ACL)
# and local_scan_path (end of DATA). Links the static engine, so the .so
# stands alone; exports only the entry points (mxgrey_exim.map). Needs
# Exim's local_scan.h (Debian: exim4-dev); without it nothing is built
# and the Exim tests skip.
EXIM_INC	?= /usr/include/exim4
EXIM_CORE_OBJS	= shim/exim/mxg_exim_args.o shim/exim/mxg_exim_result.o \
		  shim/exim/mxg_exim_engine.o shim/exim/mxg_exim_rcpt.o \
		  shim/exim/mxg_exim_good.o
EXIM_GLUE_OBJS	= shim/exim/mxgrey_exim.o shim/exim/mxgrey_local_scan.o
EXIM_SO		= shim/exim/mxgrey_exim.so

$(EXIM_CORE_OBJS) $(EXIM_GLUE_OBJS): \
    $(srcdir)/shim/exim/mxg_exim.h
# Exim's header is not ours to warn about: -isystem.
$(EXIM_GLUE_OBJS): CPPFLAGS += -isystem $(EXIM_INC)

# For Exim builds with LOCAL_SCAN_SOURCE=shim/exim/mxgrey_local_scan.c:
# the shim's core and the engine in one static archive.
EXIM_A		= shim/exim/libmxgrey_exim.a
PROGRAMS	+= $(EXIM_A)
$(EXIM_A): $(EXIM_CORE_OBJS) $(MODULE_OBJS)
	rm -f $@
	ar rcs $@ $(EXIM_CORE_OBJS) $(MODULE_OBJS)
CLEAN_EXTRA	+= $(EXIM_A)

ifneq ($(wildcard $(EXIM_INC)/local_scan.h),)
PROGRAMS	+= $(EXIM_SO)
INSTALL_EXTRA	+= ; $(INSTALL) -d $(DESTDIR)$(libdir)/mxgrey && \
		  $(INSTALL) -m 644 $(EXIM_SO) $(DESTDIR)$(libdir)/mxgrey/
endif

# -z now: preloaded in Exim's daemon (mxgrey_preload), the object is bound
# there once; each per-connection child inherits the resolved GOT instead
# of resolving symbols lazily through Exim's long list of libraries.
$(EXIM_SO): $(EXIM_CORE_OBJS) $(EXIM_GLUE_OBJS) $(LIBMXGREY_A) \
    $(srcdir)/shim/exim/mxgrey_exim.map
	$(CC) -shared -Wl,-z,now \
	    -Wl,--version-script=$(srcdir)/shim/exim/mxgrey_exim.map \
	    -Wl,--exclude-libs,ALL -Wl,-z,relro -o $@ \
	    $(EXIM_CORE_OBJS) $(EXIM_GLUE_OBJS) $(ENGINE_LIBS) $(ALL_LDFLAGS)

# Unit test of the shim's plain-C core (no Exim needed).
CHECK_PROGRAMS	+= shim/exim/t_exim.t
shim/exim/t_exim.t: $(srcdir)/shim/exim/t_exim.c $(EXIM_CORE_OBJS) \
    $(LIBMXGREY_A) $(srcdir)/tests/unit/mxg_test.h
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -I$(srcdir)/tests/unit \
	    -Wno-pedantic -o $@ $< $(EXIM_CORE_OBJS) $(ENGINE_LIBS) \
	    $(CHECK_LIBS) $(ALL_LDFLAGS)

INTEGRATION	+= $(filter-out %/exim_lib.sh, \
		  $(sort $(wildcard $(srcdir)/tests/integration/exim_*.sh)))

# Fuzz target on the ${dlfunc} argument parser and the result formatter.
FUZZ_TARGETS	+= fuzz_exim_args
FUZZ_OBJS_fuzz_exim_args = shim/exim/mxg_exim_args.o \
		  shim/exim/mxg_exim_result.o
