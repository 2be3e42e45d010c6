# rpol: the policy compiler (rpolc) and its runtime (librpol).
#
#   make            build/rpolc, build/librpol.a, build/librpol.so
#   make demo       decide sample return requests with an example bundle
#   make test       the whole suite (ends with "N passed, N failed")
#   make deps       install missing Debian packages (as root), else say how
#
# BUILD=dir puts every generated file in another directory, so that several
# builds (a sanitizer build, say) can live side by side.

BUILD    ?= build
CC       ?= cc
CLANG    ?= clang
LLVM_CONFIG ?= llvm-config
VERSION  := 0.1.0

# Debian packages the build needs, with the file or command that proves
# each one is installed.
DEPS := flex:flex bison:bison llvm-config:llvm-dev clang:clang \
        /usr/include/json-c/json.h:libjson-c-dev \
        /usr/include/cmocka.h:libcmocka-dev \
        /usr/include/x86_64-linux-gnu/ffi.h:libffi-dev \
        /usr/include/nettle/sha2.h:nettle-dev \
        xxd:xxd pkg-config:pkg-config valgrind:valgrind jq:jq python3:python3
missing_pkgs = $(strip $(foreach d,$(DEPS),$(if $(or $(wildcard $(word 1,$(subst :, ,$(d)))),$(shell command -v $(word 1,$(subst :, ,$(d))) 2>/dev/null)),,$(word 2,$(subst :, ,$(d))))))
MISSING := $(missing_pkgs)

ifneq ($(MISSING),)
ifeq ($(filter deps clean,$(MAKECMDGOALS)),)
$(info rpol: missing Debian packages: $(MISSING))
$(shell $(MAKE) --no-print-directory deps >&2)
endif
endif

LLVM_CFLAGS := $(shell $(LLVM_CONFIG) --cflags 2>/dev/null | sed 's/-std=[^ ]*//; s/-Werror[^ ]*//g')
LLVM_LIBS   := $(shell $(LLVM_CONFIG) --ldflags --libs core orcjit native passes bitreader linker target analysis 2>/dev/null) \
               $(shell $(LLVM_CONFIG) --system-libs 2>/dev/null)
DEP_LIBS    := -ljson-c -lffi -lnettle -ldl -lpthread -lm

WARN     := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(EXTRA_CFLAGS) -fPIC \
             -I. -Iruntime -Iruntime/include -Icompiler -I$(BUILD)/gen \
             -DRPOL_VERSION_TEXT='"$(VERSION)"' -DRPOL_SCHEMA_HASH='"$(SCHEMA_HASH)"' \
             $(LLVM_CFLAGS)
LDFLAGS  ?=
# Artifacts record the hash of the standard schema they were built against;
# the runtime refuses one built against another schema.
SCHEMA_HASH := $(shell sha256sum stdlib/schema.rpol 2>/dev/null | cut -c1-64)

GEN      := $(BUILD)/gen
# Compile lines are long; `make V=1` shows them.
ifeq ($(V),1)
Q :=
else
Q = @echo "  CC      $<";
endif
LIB_SRCS := $(wildcard compiler/*.c) $(wildcard runtime/*.c)
CLI_SRCS := compiler/rpolc.c $(wildcard compiler/cmd_*.c)
LIB_SRCS := $(filter-out $(CLI_SRCS),$(LIB_SRCS))
CLI_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRCS))
GEN_SRCS := $(GEN)/lexer.c $(GEN)/parser.c $(GEN)/prelude.c $(GEN)/value_bc.c \
            $(GEN)/build_id.c
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS)) \
            $(patsubst $(GEN)/%.c,$(BUILD)/obj/gen/%.o,$(GEN_SRCS))

.PHONY: all deps demo test test-unit test-sanitize test-valgrind test-tsan bench clean bless \
        install uninstall
all: $(BUILD)/rpolc $(BUILD)/librpol.a $(BUILD)/librpol.so

deps:
	@missing="$(missing_pkgs)"; \
	if [ -z "$$missing" ]; then echo "rpol: all build dependencies are installed"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "rpol: installing $$missing"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || \
	  { echo "rpol: apt-get failed; run: apt-get install -y $$missing"; exit 1; }; \
	else echo "rpol: missing packages; run as root: apt-get install -y $$missing"; exit 1; fi

# --- generated sources -------------------------------------------------------

$(GEN)/lexer.c $(GEN)/lexer.h &: grammar/rpol.l | $(GEN)
	flex --header-file=$(GEN)/lexer.h -o $(GEN)/lexer.c $<

$(GEN)/parser.c $(GEN)/parser.h &: grammar/rpol.y | $(GEN)
	bison -Wall -Werror --defines=$(GEN)/parser.h -o $(GEN)/parser.c $<

$(BUILD)/obj/gen/lexer.o: $(GEN)/parser.h
$(BUILD)/obj/gen/parser.o: $(GEN)/lexer.h

# The prelude is embedded so that rpolc works from any directory.
STDLIB := $(sort $(wildcard stdlib/*.rpol))
$(GEN)/prelude.c: $(STDLIB) Makefile | $(GEN)
	@{ echo '#include "session.h"'; i=0; \
	  for f in $(STDLIB); do echo "static const char p$$i[] = {"; xxd -i < $$f; echo ', 0};'; i=$$((i+1)); done; \
	  echo 'const struct prelude_source prelude_sources[] = {'; i=0; \
	  for f in $(STDLIB); do echo "  {\"$$(basename $$f)\", p$$i, sizeof p$$i - 1},"; i=$$((i+1)); done; \
	  echo '  {0, 0, 0}};'; echo "const int prelude_nsources = $$i;"; } > $@.tmp && mv $@.tmp $@

# runtime/value.c as LLVM bitcode, linked into every evaluator.
$(BUILD)/value.bc: runtime/value.c runtime/value.h runtime/rpol_abi.h | $(GEN)
	$(CLANG) -O2 -fPIC -Iruntime -emit-llvm -c $< -o $@
$(GEN)/value_bc.c: $(BUILD)/value.bc
	@{ echo '#include <stddef.h>'; echo 'const unsigned char rpol_value_bc[] = {'; xxd -i < $<; \
	  echo '};'; echo 'const size_t rpol_value_bc_len = sizeof rpol_value_bc;'; } > $@.tmp && mv $@.tmp $@

# The compiler's build identity: a hash of everything that makes the code
# it generates (its sources, the grammar, the prelude, value.bc), so that
# the JIT's code cache (compiler/jit_cache.c) never reuses an object that
# another build compiled.
BUILD_ID_SRCS := $(sort $(wildcard compiler/*.c compiler/*.h runtime/*.c runtime/*.h \
                 grammar/*)) $(STDLIB)
$(GEN)/build_id.c: $(BUILD_ID_SRCS) $(BUILD)/value.bc Makefile | $(GEN)
	@{ printf 'const char rpol_build_id[] = "'; cat $(BUILD_ID_SRCS) $(BUILD)/value.bc Makefile | \
	  sha256sum | cut -c1-64 | tr -d '\n'; echo '";'; } > $@.tmp && mv $@.tmp $@

$(GEN):
	@mkdir -p $@

# --- objects and products ----------------------------------------------------

$(BUILD)/obj/%.o: %.c $(GEN)/parser.h $(GEN)/lexer.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/gen/%.o: $(GEN)/%.c $(GEN)/parser.h $(GEN)/lexer.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-sign-compare -Wno-unused-function -MMD -MP -c $< -o $@

$(BUILD)/librpol.a: $(LIB_OBJS)
	@rm -f $@
	@echo "  AR      $@"; ar rcs $@ $^

$(BUILD)/librpol.so: $(LIB_OBJS) runtime/librpol.map
	@echo "  LD      $@"
	$(if $(Q),@)$(CC) -shared -Wl,-soname,librpol.so.0 -Wl,--version-script=runtime/librpol.map \
	  -o $@ $(LIB_OBJS) $(LDFLAGS) $(LLVM_LIBS) $(DEP_LIBS)

$(BUILD)/rpolc: $(CLI_OBJS) $(BUILD)/librpol.a
	@echo "  LD      $@"
	$(if $(Q),@)$(CC) -rdynamic -o $@ $(CLI_OBJS) $(BUILD)/librpol.a $(LDFLAGS) $(LLVM_LIBS) $(DEP_LIBS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# --- tests ---------------------------------------------------------------------

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/librpol.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(if $(Q),@)$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/librpol.a -lcmocka $(LDFLAGS) $(LLVM_LIBS) $(DEP_LIBS)

test: all $(UNIT_BINS)
	@BUILD=$(BUILD) bash tests/run.sh

# Rewrites the golden files from the current output (review the diff!).
bless: all
	@BUILD=$(BUILD) BLESS=1 bash tests/run.sh

# --- sanitizers (issue 7) ---------------------------------------------------
# test-sanitize: the whole suite built with clang under ASan and UBSan, in
# $(SAN_BUILD) (so that several builds can sanitize side by side).  Any
# finding aborts the program that made it, which fails its test.  The two
# volume tests run smaller (difftest 500 lines per policy and 12 random
# policies, a 50,000-line stream), and the evaluation goldens on the
# interpreter and the JIT in its default, tiered mode (its optimising
# thread under the sanitizers; a built .so runs generated code, which is
# not sanitized; difftest still loads one per policy), so that CI stays
# within its budget.
# The objects also carry libFuzzer's coverage instrumentation
# (fuzzer-no-link; the ASan runtime answers its hooks in plain programs),
# so that `make fuzz` links its targets from this same build instead of
# compiling everything a third time.
SAN_BUILD   ?= $(BUILD)-san
SAN_CFLAGS  := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined
SAN_LDFLAGS := -fsanitize=address,undefined
SAN_ENV   := DIFFTEST_N=500 DIFFTEST_R=12 HARDEN_LINES=50000 ENGINES="interp jit-tiered" \
             RPOL_SAN_FLAGS="-fsanitize=address,undefined" \
             ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_odr_violation=0 \
             UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
             LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
test-sanitize:
	$(SAN_ENV) $(MAKE) BUILD=$(SAN_BUILD) CC=$(CLANG) EXTRA_CFLAGS="$(SAN_CFLAGS)" \
	  LDFLAGS="$(SAN_LDFLAGS)" test

# test-tsan: the hot-reload stress test (tests/stress/reload.c) at full
# size, 8 threads x 1,000,000 lines while versions swap 1,000 times, built
# with ThreadSanitizer in $(TSAN_BUILD); the artifacts are built with
# $(BUILD)/rpolc.  Then the code generator's tests, whose tiered-JIT cases
# decide while the optimising thread swaps the evaluators and fork.
TSAN_BUILD ?= $(BUILD)-tsan
TSAN_ARGS  ?= -t 8 -n 1000000 -s 1000
test-tsan: all
	$(MAKE) BUILD=$(TSAN_BUILD) CC=$(CLANG) EXTRA_CFLAGS="-fsanitize=thread" \
	  LDFLAGS="-fsanitize=thread" $(TSAN_BUILD)/stress-reload \
	  $(TSAN_BUILD)/tests/test_cg
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  bash tests/stress/tsan.sh $(BUILD)/rpolc $(TSAN_BUILD)/stress-reload $(TSAN_ARGS)
	TSAN_OPTIONS=halt_on_error=1 $(TSAN_BUILD)/tests/test_cg

# test-valgrind: the end-to-end tests under valgrind memcheck, no error and
# no definite or indirect leak (tests/stress/valgrind.sh; VG_ALL=1 for
# every test, VG_JIT=1 to add the JIT).
test-valgrind: all
	BUILD=$(BUILD) bash tests/stress/valgrind.sh

demo: all
	@sh tests/demo.sh $(BUILD)

# --- install -------------------------------------------------------------------

PREFIX  ?= /usr/local
DESTDIR ?=
SOVERSION := 0
bindir  := $(DESTDIR)$(PREFIX)/bin
libdir  := $(DESTDIR)$(PREFIX)/lib
incdir  := $(DESTDIR)$(PREFIX)/include
pcdir   := $(libdir)/pkgconfig
man1dir := $(DESTDIR)$(PREFIX)/share/man/man1
man5dir := $(DESTDIR)$(PREFIX)/share/man/man5
compdir := $(DESTDIR)$(PREFIX)/share/bash-completion/completions

install: all
	install -d $(bindir) $(libdir) $(incdir) $(pcdir) $(man1dir) $(man5dir) $(compdir)
	install -m 755 $(BUILD)/rpolc $(bindir)/rpolc
	install -m 755 $(BUILD)/librpol.so $(libdir)/librpol.so.$(VERSION)
	ln -sf librpol.so.$(VERSION) $(libdir)/librpol.so.$(SOVERSION)
	ln -sf librpol.so.$(SOVERSION) $(libdir)/librpol.so
	install -m 644 $(BUILD)/librpol.a $(libdir)/librpol.a
	install -m 644 runtime/include/rpol.h $(incdir)/rpol.h
	sed 's|@PREFIX@|$(PREFIX)|; s|@VERSION@|$(VERSION)|' runtime/rpol.pc.in > $(pcdir)/rpol.pc
	install -m 644 man/rpolc.1 $(man1dir)/rpolc.1
	install -m 644 man/rpol.5 $(man5dir)/rpol.5
	install -m 644 completions/rpolc.bash $(compdir)/rpolc

uninstall:
	rm -f $(bindir)/rpolc $(libdir)/librpol.so.$(VERSION) $(libdir)/librpol.so.$(SOVERSION) \
	  $(libdir)/librpol.so $(libdir)/librpol.a $(incdir)/rpol.h $(pcdir)/rpol.pc \
	  $(man1dir)/rpolc.1 $(man5dir)/rpol.5 $(compdir)/rpolc

clean:
	rm -rf $(BUILD) build-san $(BUILD)-san $(BUILD)-tsan $(BUILD)-fuzz

# --- differential testing (tests/difftest, owned by the difftest suite) ------
# $(BUILD)/difftest decides generated return lines with the interpreter, the
# JIT and a built .so and compares the records (docs/testing.md).  `make
# test` runs it through tests/suites/difftest.sh at its default size;
# `make difftest` runs a longer campaign:
#   make difftest N=50000 R=1000 RI=2000 SEED=123
# N lines per corpus policy, R random policies of RI lines each; SEED
# defaults to a fresh one (printed, so that a failure can be replayed).

DIFFTEST_SRCS := $(wildcard tests/difftest/*.c)
DIFFTEST_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(DIFFTEST_SRCS))

$(BUILD)/difftest: $(DIFFTEST_OBJS) $(BUILD)/librpol.a
	$(CC) -o $@ $(DIFFTEST_OBJS) $(BUILD)/librpol.a $(LDFLAGS) $(LLVM_LIBS) $(DEP_LIBS)

$(DIFFTEST_OBJS): $(wildcard tests/difftest/*.h)

test: $(BUILD)/difftest

.PHONY: difftest
difftest: all $(BUILD)/difftest
	@BUILD=$(BUILD) DIFFTEST_N=$(or $(N),50000) DIFFTEST_R=$(or $(R),1000) \
	  DIFFTEST_RI=$(or $(RI),1000) DIFFTEST_SEED=$(or $(SEED),$(shell date +%s)) \
	  bash tests/suites/difftest.sh

# --- hardening (issue 7; tests/stress, tests/fuzz, tests/suites/hardening.sh) --
# $(BUILD)/stress-reload: 8 threads decide through one rpol_handle while
# another swaps versions.  `make test` runs it small (hardening.sh);
# `make test-tsan` runs it full size under ThreadSanitizer.

$(BUILD)/stress-reload: tests/stress/reload.c $(BUILD)/librpol.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/librpol.a $(LDFLAGS) $(LLVM_LIBS) $(DEP_LIBS)

test: $(BUILD)/stress-reload

# --- fuzzing (issue 7; tests/fuzz) ---------------------------------------------
#   make fuzz T=frontend|json|diff|decode_diff|fmt S=seconds
#   make fuzz-all S=seconds     every target in turn (what CI runs)
# builds the target with libFuzzer, ASan and UBSan in $(FUZZ_BUILD) (the
# sanitizer build, see test-sanitize) and runs
# it for S seconds on its seeds (tests/fuzz/seeds.sh) and a corpus kept in
# $(FUZZ_BUILD)/corpus-T; a finding is written to $(FUZZ_BUILD)/crash-T-*
# (copy it to tests/fuzz/regress/T/ once fixed).  `make test` builds each
# target with a plain main instead ($(BUILD)/fuzz-T) and replays the seeds
# and tests/fuzz/regress/T/ (tests/suites/hardening.sh).
FUZZ_TARGETS := frontend json diff decode_diff fmt
FUZZ_BUILD   ?= $(SAN_BUILD)
FUZZ_DT_OBJS := $(BUILD)/obj/tests/difftest/gen_input.o $(BUILD)/obj/tests/difftest/util.o
FUZZ_FLAGS   := -Itests/fuzz -Itests/difftest
T ?= frontend
S ?= 60

$(BUILD)/fuzz-%: tests/fuzz/fuzz_%.c tests/fuzz/standalone.c tests/fuzz/fuzz.h \
                 $(FUZZ_DT_OBJS) $(BUILD)/librpol.a
	$(CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -o $@ $< tests/fuzz/standalone.c $(FUZZ_DT_OBJS) \
	  $(BUILD)/librpol.a $(LDFLAGS) $(LLVM_LIBS) $(DEP_LIBS)

$(BUILD)/libfuzzer-%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_DT_OBJS) $(BUILD)/librpol.a
	$(CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_DT_OBJS) \
	  $(BUILD)/librpol.a $(LDFLAGS) $(LLVM_LIBS) $(DEP_LIBS)

test: $(patsubst %,$(BUILD)/fuzz-%,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-all
fuzz:
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=$(CLANG) EXTRA_CFLAGS="$(SAN_CFLAGS)" \
	  LDFLAGS="$(SAN_LDFLAGS)" $(FUZZ_BUILD)/libfuzzer-$(T)
	@rm -rf $(FUZZ_BUILD)/seeds-$(T) && mkdir -p $(FUZZ_BUILD)/corpus-$(T)
	bash tests/fuzz/seeds.sh $(T) $(FUZZ_BUILD)/seeds-$(T)
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
	  $(FUZZ_BUILD)/libfuzzer-$(T) -max_total_time=$(S) -timeout=60 -rss_limit_mb=4096 \
	  -max_len=65536 -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/crash-$(T)- \
	  $(FUZZ_BUILD)/corpus-$(T) $(FUZZ_BUILD)/seeds-$(T)

# One line per target, "ok fuzz T: N executions in S s" or "not ok fuzz T"
# with the end of its log ($(FUZZ_BUILD)/fuzz-T.log); fails if any target
# found something.  libFuzzer runs every seed before it mutates.
fuzz-all:
	@mkdir -p $(FUZZ_BUILD); fail=0; for t in $(FUZZ_TARGETS); do \
	  log=$(FUZZ_BUILD)/fuzz-$$t.log; \
	  if $(MAKE) --no-print-directory fuzz T=$$t S=$(S) >$$log 2>&1; then \
	    echo "ok fuzz $$t: $$(sed -n 's/^stat::number_of_executed_units: *//p' $$log | tail -n 1) executions in $(S) s"; \
	  else echo "not ok fuzz $$t (log: $$log)"; tail -n 40 $$log | sed 's/^/# /'; fail=1; fi; \
	done; exit $$fail

# --- benchmarks (issue 6; bench/, docs/performance.md) -----------------------
# `make bench` prints figures against the hand-written C baseline measured
# in the same run (never part of `make test`: figures, not assertions).
#   make bench EVAL_LINES=1000 E2E_LINES=1000000 SCALE="10 100 1000 10000"
# `make bench-peers` times the same policy in Node.js rules engines
# (bench/peers/, installed from npm on first use; skipped without node).

BENCH_CFLAGS := -std=gnu11 $(WARN) -O2 -fPIC -Iruntime -Iruntime/include

$(BUILD)/bench/handwritten.so: bench/handwritten.c bench/handwritten.h runtime/rpol_abi.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -shared -o $@ $<

$(BUILD)/bench/e2e-handwritten: bench/e2e_handwritten.c bench/handwritten.c bench/handwritten.h
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -DBENCH_STANDALONE -o $@ bench/e2e_handwritten.c bench/handwritten.c -ljson-c

.PHONY: bench-peers
bench: all $(BUILD)/bench/handwritten.so $(BUILD)/bench/e2e-handwritten
	@BUILD=$(BUILD) EVAL_LINES=$(or $(EVAL_LINES),1000) E2E_LINES=$(or $(E2E_LINES),200000) \
	  SCALE="$(or $(SCALE),10 100 1000)" bash bench/run.sh

bench-peers: all
	@BUILD=$(BUILD) bash bench/peers/run.sh
