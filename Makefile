# trove — see README.md.  Plain make; flags from pkg-config.
#
#   make deps    install missing Debian packages (and npm packages for interop)
#   make         build bin/trove
#   make test    deps + build + every test, ending with the runner's summary
#   make check   the tests again under ASan+UBSan, the soak test, then each fuzz target briefly
#   make soak    the soak test alone: honest load beside attackers (~3 min)
#   make bench   benchmarks, each printing trove's figure, a reference, a ratio
#   make run     deps + build + init a repo if there is none + start the node

CC      ?= cc
PKGS    := lmdb libsodium libcrypto jansson libuv libnghttp2
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -fno-strict-aliasing
CFLAGS  += $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhttp_parser -lpthread -lm
B       ?= build
FUZZ_SECONDS ?= 20

ifeq ($(SAN),1)
B       := build-san
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

# Library sources: every module below cli/.
LIB_SRC  := $(wildcard common/*.c dag/*.c blockstore/*.c node/*.c gateway/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_SRC  := $(wildcard cli/*.c)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/obj/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TESTS    := $(TEST_SRC:tests/%.c=$(B)/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS  := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCHES  := $(BENCH_SRC:bench/%.c=$(B)/bench/%)

BIN := $(if $(filter 1,$(SAN)),$(B)/bin/trove,bin/trove)

.PHONY: all deps test check soak fuzz bench run clean tests
all: $(BIN)

deps:
	@scripts/deps.sh

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/libtrove.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(B)/libtrove.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libtrove.a $(LDLIBS)

$(B)/tests/%: tests/%.c $(B)/libtrove.a $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) $(LDFLAGS) -o $@ $< $(B)/libtrove.a $(shell pkg-config --libs cmocka) $(LDLIBS)

$(B)/bench/%: bench/%.c $(B)/libtrove.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(B)/libtrove.a $(LDLIBS)

tests: $(BIN) $(TESTS)

test: deps
	@$(MAKE) --no-print-directory tests
	@TROVE_BIN=$(abspath $(BIN)) TEST_DIR=$(B)/tests tests/run.sh

check: deps
	@$(MAKE) --no-print-directory SAN=1 tests
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  TROVE_BIN=$(abspath build-san/bin/trove) TEST_DIR=build-san/tests tests/run.sh
	@$(MAKE) --no-print-directory soak
	@$(MAKE) --no-print-directory fuzz

# The soak test runs the release build: its figures are for what ships.
soak: $(BIN)
	@TROVE_BIN=$(abspath $(BIN)) bash tests/soak.sh

# libFuzzer targets: clang only.  Each runs FUZZ_SECONDS over its seed corpus.
build-fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p build-fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	  $(shell pkg-config --cflags $(PKGS)) -o $@ $< $(LIB_SRC) $(LDLIBS)

fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do n=$$(basename $$f); \
	  mkdir -p build-fuzz/corpus-$$n; \
	  echo "fuzz $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 build-fuzz/corpus-$$n tests/fuzz/corpus/$$n 2>build-fuzz/$$n.log \
	    || { tail -40 build-fuzz/$$n.log; exit 1; }; \
	  grep -E '^Done|stat::number_of_executed_units' build-fuzz/$$n.log | tail -1; \
	done

bench: deps $(BIN) $(BENCHES)
	@TROVE_BIN=$(abspath $(BIN)) BENCH_DIR=$(B)/bench bench/run.sh

run: deps $(BIN)
	@scripts/run.sh $(abspath $(BIN))

clean:
	rm -rf build build-san build-fuzz bin

-include $(shell find $(B) -name '*.d' 2>/dev/null)
