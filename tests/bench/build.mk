# Benchmarks: `make bench` builds them and runs tests/bench/run.sh.
BENCH_PROGRAMS	= tests/bench/bench_engine
CLEAN_EXTRA	+= $(BENCH_PROGRAMS)

tests/bench/bench_engine: tests/bench/bench_engine.c $(LIBMXGREY_A)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(ENGINE_LIBS) $(ALL_LDFLAGS)

bench: build $(BENCH_PROGRAMS)
	sh $(srcdir)/tests/bench/run.sh
