# tests/golden/build.mk: rules golden tests (tests/golden/rules/).
#   x.conf + x.in  -> verdict lines, compared with x.ref
#   x.conf alone   -> load messages ("ok" or the errors), compared with x.ref
# Every rules/*.conf must load too. The driver is tests/golden/golden;
# tests/golden/run.sh runs it all (in check-unit and check-golden);
# UPDATE=1 sh tests/golden/run.sh rewrites the .ref files.
GOLDEN		= tests/golden/golden
CHECK_SCRIPTS	+= tests/golden/run.sh tests/golden/doc-keywords.sh
CLEAN_EXTRA	+= $(GOLDEN)

$(GOLDEN): tests/golden/golden.c $(LIBMXGREY_A)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ENGINE_LIBS) $(ALL_LDFLAGS)

check-unit: $(GOLDEN)

check-golden: build $(GOLDEN)
	@sh $(srcdir)/tests/run-tests.sh golden tests/golden/run.sh

# Rules evaluation cost per decision, seed config vs an empty ruleset
# (lookups answered by the fake provider, as from a per-request cache).
bench-rules: $(GOLDEN)
	./$(GOLDEN) --bench $(srcdir)/tests/golden/rules/seed.conf 2000000
