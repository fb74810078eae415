#!/bin/bash
# The benchmark driver `make bench` calls:
#   TROVE_BIN=... BENCH_DIR=build/bench bench/run.sh [NAME...]
# Runs every benchmark there is: each script bench/*.sh (but this one), then
# each compiled program $BENCH_DIR/bench_*.  Every benchmark prints trove's
# figure, a reference measured in the same run and their ratio; this driver
# only prints a header per benchmark, its time and exit status, and a summary
# line.  Names given as arguments (e.g. "blockstore", "import") select
# benchmarks by substring.
#
# Scratch data goes to $BENCH_TMP (default $BENCH_DIR/tmp), which must be on a
# real disk: some benchmarks write gigabytes.  Each benchmark gets its own
# subdirectory, removed afterwards even when the benchmark fails or is
# interrupted.  Every BENCH_* variable passes through to the benchmarks (see
# bench/README.md).
set -u
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-build/bench}
export TROVE_BIN=${TROVE_BIN:-$PWD/bin/trove}
export BENCH_TMP=${BENCH_TMP:-$BENCH_DIR/tmp}
mkdir -p "$BENCH_TMP"
BENCH_TMP=$(cd "$BENCH_TMP" && pwd)

scratch=""
trap '[ -n "$scratch" ] && rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM

ARGS=("$@")
wanted() { # name: selected by the arguments (all when there are none)
  [ ${#ARGS[@]} -eq 0 ] && return 0
  for a in "${ARGS[@]}"; do case $1 in *"$a"*) return 0 ;; esac; done
  return 1
}

pass=0; fail=0; failed=""
run() { # name cmd...
  local name=$1; shift
  wanted "$name" || return 0
  scratch=$(mktemp -d "$BENCH_TMP/$name.XXXXXX")
  printf '\n=== %s  (%s)\n' "$name" "$(date '+%Y-%m-%d %H:%M:%S')"
  local start=$(date +%s.%N) rc=0
  BENCH_TMP=$scratch "$@" || rc=$?
  local secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
  rm -rf "$scratch"; scratch=""
  if [ $rc = 0 ]; then
    pass=$((pass+1)); printf '=== %s: done in %ss\n' "$name" "$secs"
  else
    fail=$((fail+1)); failed="$failed $name"
    printf '=== %s: FAILED (exit %d) after %ss\n' "$name" "$rc" "$secs"
  fi
}

printf 'bench: %s, %s cores, %s free on %s\n' "$(uname -sr)" "$(nproc)" \
  "$(df -h --output=avail "$BENCH_TMP" | tail -1 | tr -d ' ')" "$BENCH_TMP"
for s in bench/*.sh; do
  [ -f "$s" ] || continue
  [ "$(basename "$s")" = run.sh ] && continue
  run "$(basename "$s" .sh)" bash "$s"
done
for b in "$BENCH_DIR"/bench_*; do
  [ -f "$b" ] && [ -x "$b" ] || continue
  run "$(basename "$b")" "$b"
done
echo
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass benchmarks run, $fail failed"
[ "$fail" = 0 ]
