# tests/fuzz/build.mk: fuzz targets, replayed in `make check-unit`, run
# for real with `make fuzz` (clang, libFuzzer).
#
# Adding a target: write tests/fuzz/<name>.c defining
#   int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
# put seed inputs in tests/fuzz/corpus/<name>/, and add (in your own
# build.mk, or here) the name and the objects it needs besides the engine:
#   FUZZ_TARGETS          += <name>
#   FUZZ_OBJS_<name>      = shim/x/a.o shim/x/b.o
# Then:
#   make check-unit        builds tests/fuzz/replay_<name> (normal compiler,
#                          SAN=1 honoured) and replays every corpus file
#   make fuzz              builds tests/fuzz/<name> with clang
#                          -fsanitize=fuzzer,address,undefined (engine and
#                          FUZZ_OBJS sources instrumented too)
#   tests/fuzz/<name> -max_total_time=600 tests/fuzz/corpus/<name>
#                          (new inputs land in the corpus directory)
FUZZ_TARGETS		+= fuzz_rules fuzz_policy_attr fuzz_store_record
FUZZ_OBJS_fuzz_policy_attr ?= shim/postfix/policy_attr.o \
			   shim/postfix/policy_answer.o
FUZZ_CC			= clang
FUZZ_CFLAGS		= -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
			  -fno-omit-frame-pointer -include config.h \
			  -I$(srcdir)/module $(PATHS) $(DEP_CFLAGS) $(CPPFLAGS)
FUZZ_LIST		= $(sort $(FUZZ_TARGETS))
FUZZ_REPLAYS		= $(foreach t,$(FUZZ_LIST),tests/fuzz/replay_$(t))
FUZZ_BINS		= $(foreach t,$(FUZZ_LIST),tests/fuzz/$(t))
CHECK_SCRIPTS		+= tests/fuzz/replay.sh
CLEAN_EXTRA		+= $(FUZZ_REPLAYS) $(FUZZ_BINS) tests/fuzz/*.o

define FUZZ_template
tests/fuzz/replay_$(1): tests/fuzz/replay.o tests/fuzz/$(1).o \
    $$(FUZZ_OBJS_$(1)) $$(LIBMXGREY_A)
	$$(CC) -o $$@ tests/fuzz/replay.o tests/fuzz/$(1).o \
	    $$(FUZZ_OBJS_$(1)) $$(ALL_LDFLAGS) $$(ENGINE_LIBS)

tests/fuzz/$(1): tests/fuzz/$(1).c $$(MODULE_SRCS) \
    $$(patsubst %.o,$$(srcdir)/%.c,$$(FUZZ_OBJS_$(1)))
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -o $$@ $$^ $$(DEP_LIBS) -lm
endef
$(foreach t,$(FUZZ_LIST),$(eval $(call FUZZ_template,$(t))))

check-unit: $(FUZZ_REPLAYS)

fuzz: $(FUZZ_BINS)
