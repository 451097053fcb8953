# Reliability: crash safety of the store (SIGKILL mid-update). The quick
# run is part of `make check-unit`; `make reliability` runs the long one.
RELIABILITY	= tests/reliability/crash_kill
CHECK_SCRIPTS	+= tests/reliability/crash_quick.sh
CLEAN_EXTRA	+= $(RELIABILITY)

tests/reliability/crash_kill: tests/reliability/crash_kill.c $(LIBMXGREY_A)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ENGINE_LIBS) $(ALL_LDFLAGS)

reliability: build $(RELIABILITY)
	sh $(srcdir)/tests/reliability/run.sh
CHECK_SCRIPTS	+= tests/reliability/store_faults.sh
RELIABILITY	+= tests/reliability/soak
CHECK_SCRIPTS	+= tests/reliability/soak_quick.sh

tests/reliability/soak: tests/reliability/soak.c $(LIBMXGREY_A)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ENGINE_LIBS) $(ALL_LDFLAGS)

check-unit: $(RELIABILITY)

# Several MX hosts on one Redis, migrate tdb <-> redis.
INTEGRATION	+= tests/integration/redis_migrate.sh
