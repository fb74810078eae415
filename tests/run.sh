#!/bin/bash
# The test runner: every cmocka binary in $TEST_DIR, then every integration
# script tests/it_*.sh, then the interop scripts tests/interop/*.sh.  Prints
# one line per test program and the summary line "N passed, N failed".
# Names as arguments (test_cid, it_dag, interop/car_js) run only those.
set -u
only=" $* "
want() { [ "$only" = "  " ] || [[ "$only" == *" $1 "* ]]; }
TEST_DIR=${TEST_DIR:-build/tests}
export TROVE_BIN=${TROVE_BIN:-$PWD/bin/trove}
pass=0; fail=0; failed=""
logdir=$(mktemp -d /tmp/trove-tests.XXXXXX)
run() { # name cmd...
  local name=$1; shift
  want "$name" || return 0
  local start log
  start=$(date +%s.%N)
  log=$logdir/${name//\//_}.log
  if "$@" >"$log" 2>&1; then
    pass=$((pass+1)); printf 'ok    %-28s %5.1fs\n' "$name" "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')"
  else
    fail=$((fail+1)); failed="$failed $name"
    printf 'FAIL  %-28s (log: %s)\n' "$name" "$log"
    # The reason first: a script's logs' tails that follow can push its
    # FAIL line out of the 30 lines CI shows.
    grep -m 5 -E '^(FAIL: |not ok)' "$log" | sed 's/^/      /'
    tail -30 "$log" | sed 's/^/      /'
  fi
}
for t in "$TEST_DIR"/test_*; do
  [ -x "$t" ] && run "$(basename "$t")" "$t"
done
[ "${TROVE_UNIT_ONLY:-0}" = 1 ] || for t in tests/it_*.sh; do
  [ -f "$t" ] && run "$(basename "$t" .sh)" bash "$t"
done
if [ "${TROVE_SKIP_INTEROP:-0}" != 1 ] && [ "${TROVE_UNIT_ONLY:-0}" != 1 ]; then
  for t in tests/interop/*.sh; do
    [ -f "$t" ] && run "interop/$(basename "$t" .sh)" bash "$t"
  done
fi
[ "$only" != "  " ] && [ $((pass + fail)) = 0 ] && { echo "no test named:$only" >&2; exit 1; }
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
