# mxgreyctl: the command-line tool (links the engine statically).
PROGRAMS	+= shim/cli/mxgreyctl
MXGREYCTL_OBJS	= $(patsubst %.c,%.o,$(wildcard $(srcdir)/shim/cli/*.c))

shim/cli/mxgreyctl: $(MXGREYCTL_OBJS) $(LIBMXGREY_A)
	$(CC) -o $@ $(MXGREYCTL_OBJS) $(ENGINE_LIBS) $(ALL_LDFLAGS)

INSTALL_EXTRA	+= ; $(INSTALL) -m 755 shim/cli/mxgreyctl $(DESTDIR)$(sbindir)/
