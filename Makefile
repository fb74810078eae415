# trove — see README.md.  Plain make; flags from pkg-config.
#
#   make deps    install missing Debian packages (and npm packages for interop)
#   make         build bin/trove
#   make test    deps + build + every test, ending with the runner's summary
#   make unit    the cmocka unit tests only (no root, network or npm)
#   make check   the tests again under ASan+UBSan, the soak test, then each fuzz target briefly
#   make soak    the soak test alone: honest load beside attackers (~3 min)
#   make bench   benchmarks, each printing trove's figure, a reference, a ratio
#   make run     deps + build + init a repo if there is none + start the node

CC      ?= cc
PKGS    := lmdb libsodium libssl libcrypto jansson libuv libnghttp2 libprotobuf-c zlib
# A pkg-config failure stops the build here rather than as a missing header
# later.  (`make deps` does not need them.)
ifeq ($(filter deps clean,$(MAKECMDGOALS)),)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) || echo PKGFAIL)
PKG_LIBS   := $(shell pkg-config --libs $(filter-out lmdb,$(PKGS)) || echo PKGFAIL)
ifneq ($(filter PKGFAIL,$(PKG_CFLAGS) $(PKG_LIBS)),)
$(error pkg-config cannot find some of: $(PKGS) (run make deps))
endif
endif
CFLAGS  ?= -O2 -g
# override: `make CFLAGS=-O0` changes the optimisation, never the warnings.
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -fno-strict-aliasing
override CFLAGS += $(PKG_CFLAGS)
# LMDB is linked statically so that the linker can send its writes of
# data.mdb through blockstore/lmdb_io.c (--wrap; -u pulls that object out of
# libtrove.a before liblmdb.a asks for it), which cuts them into calls of
# 64 KiB: see that file for why.
LMDB_LIBS := -Wl,-Bstatic -llmdb -Wl,-Bdynamic
override LDFLAGS += -Wl,--wrap=writev,--wrap=pwrite -Wl,-u,__wrap_writev,-u,__wrap_pwrite
LDLIBS  += $(LMDB_LIBS) $(PKG_LIBS) -lhttp_parser -lresolv -lpthread -lm
B       ?= build
FUZZ_SECONDS ?= 20

ifeq ($(SAN),1)
B       := build-san
override CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
override LDFLAGS += -fsanitize=address,undefined
endif

# protobuf-c: net/proto/X.proto -> $(GEN)/net/proto/X.pb-c.[ch] (and so
# for dht/proto), one copy shared by every build flavour; code includes
# "net/proto/X.pb-c.h".
GEN      := build/gen
PROTO_C  := $(patsubst %.proto,$(GEN)/%.pb-c.c,$(wildcard net/proto/*.proto dht/proto/*.proto bitswap/proto/*.proto))
override CFLAGS += -I$(GEN)

# Library sources: every module below cli/.
# rpc/status.html (the node's status page) compiled in as a C string.
STATUS_C := $(GEN)/rpc/status_html.c
LIB_SRC  := $(wildcard common/*.c dag/*.c blockstore/*.c config/*.c http/*.c dns/*.c net/*.c dht/*.c bitswap/*.c pubsub/*.c gateway/*.c rpc/*.c mirror/*.c node/*.c) $(PROTO_C) $(STATUS_C)
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
CLI_SRC  := $(wildcard cli/*.c)
CLI_OBJ  := $(CLI_SRC:%.c=$(B)/obj/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TESTS    := $(TEST_SRC:tests/%.c=$(B)/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS  := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
# bench/bench_util.c is not a program: it is linked into each of them.
BENCH_UTIL := bench/bench_util.c
BENCH_SRC := $(filter-out $(BENCH_UTIL),$(wildcard bench/*.c))
BENCHES  := $(BENCH_SRC:bench/%.c=$(B)/bench/%)
# Helper programs the tests run, built beside the unit tests and not run by
# themselves: tests/evil_peer.c (a hostile libp2p peer for it_p2p_hostile.sh
# and it_p2p_connmgr.sh) and tests/p2p_peer.c (a libp2p peer on net/ alone
# for p2p_js.sh and bench/p2p.sh).
TOOLS    := $(B)/tests/evil_peer $(B)/tests/p2p_peer

BIN := $(if $(filter 1,$(SAN)),$(B)/bin/trove,bin/trove)

.PHONY: all deps test unit check soak fuzz bench run clean tests
all: $(BIN)

deps:
	@scripts/deps.sh

$(GEN)/%.pb-c.c $(GEN)/%.pb-c.h: %.proto
	@mkdir -p $(GEN)
	protoc-c --c_out=$(GEN) $<

$(STATUS_C): rpc/status.html
	@mkdir -p $(dir $@)
	@{ echo '/* Generated from rpc/status.html by the Makefile. */'; \
	  echo 'const char rpc__status_html[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } >$@

# The library and the CLI are -Wconversion clean (the tests, with cmocka's
# macros, and protobuf-c's generated code are not held to it).
WCONV    := -Wconversion
$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(if $(filter $(GEN)/%,$<),,$(WCONV)) -MMD -MP -c $< -o $@

$(B)/libtrove.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(B)/libtrove.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(B)/libtrove.a $(LDLIBS)

$(B)/tests/%: tests/%.c $(B)/libtrove.a $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) $(LDFLAGS) -o $@ $< $(B)/libtrove.a $(shell pkg-config --libs cmocka) $(LDLIBS)

$(B)/bench/%: bench/%.c $(BENCH_UTIL) bench/bench_util.h $(B)/libtrove.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BENCH_UTIL) $(B)/libtrove.a $(LDLIBS)

tests: $(BIN) $(TESTS) $(TOOLS)

test: deps
	@$(MAKE) --no-print-directory tests
	@TROVE_BIN=$(abspath $(BIN)) TEST_DIR=$(B)/tests tests/run.sh

# The cmocka unit tests alone: no daemon, no network, no root, no npm.
unit: $(TESTS)
	@TROVE_BIN=$(abspath $(BIN)) TEST_DIR=$(B)/tests TROVE_UNIT_ONLY=1 tests/run.sh

check: deps
	@$(MAKE) --no-print-directory SAN=1 tests
	@python3 scripts/layering.py --obj build-san/obj
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  TROVE_BIN=$(abspath build-san/bin/trove) TEST_DIR=build-san/tests tests/run.sh
	@$(MAKE) --no-print-directory soak
	@$(MAKE) --no-print-directory fuzz

# The soak test runs the release build: its figures are for what ships.
soak: $(BIN)
	@TROVE_BIN=$(abspath $(BIN)) bash tests/soak.sh

# libFuzzer targets: clang only.  The library is compiled once with the
# fuzzer's coverage instrumentation (fuzzer-no-link) and every target links
# it.
FZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer-no-link,address,undefined $(PKG_CFLAGS) -I$(GEN)
FZ_OBJ    := $(LIB_SRC:%.c=build-fuzz/obj/%.o)

# Every generated header exists before anything that may include it builds
# (tests and fuzzers come after their library).
$(LIB_OBJ) $(FZ_OBJ) $(CLI_OBJ): | $(PROTO_C:.c=.h)

build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FZ_CFLAGS) -MMD -MP -c $< -o $@

build-fuzz/libtrove.a: $(FZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

build-fuzz/%: tests/fuzz/%.c build-fuzz/libtrove.a
	@mkdir -p build-fuzz
	clang $(FZ_CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< build-fuzz/libtrove.a $(LDLIBS)

fuzz: $(FUZZERS)
	@for f in $(FUZZERS); do n=$$(basename $$f); \
	  mkdir -p build-fuzz/corpus-$$n; \
	  echo "fuzz $$n for $(FUZZ_SECONDS)s"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 build-fuzz/corpus-$$n tests/fuzz/corpus/$$n 2>build-fuzz/$$n.log \
	    || { tail -40 build-fuzz/$$n.log; exit 1; }; \
	  grep -E '^Done|stat::number_of_executed_units' build-fuzz/$$n.log | tail -1; \
	done

bench: deps $(BIN) $(BENCHES) $(TOOLS)
	@TROVE_BIN=$(abspath $(BIN)) BENCH_DIR=$(B)/bench bench/run.sh

run: deps $(BIN)
	@scripts/run.sh $(abspath $(BIN))

clean:
	rm -rf build build-san build-fuzz bin

-include $(shell find $(B) build-fuzz/obj -name '*.d' 2>/dev/null)
