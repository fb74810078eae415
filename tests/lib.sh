# lib.sh — helpers for the integration scripts (sourced).
set -euo pipefail
TROVE_BIN=${TROVE_BIN:-$PWD/bin/trove}
WORK=$(mktemp -d /tmp/trove-it.XXXXXX)
export TROVE_PATH=$WORK/repo
trap 'rm -rf "$WORK"' EXIT
t() { "$TROVE_BIN" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_fail CMD...: the command must exit non-zero with one line on stderr
# starting "trove: ".
expect_fail() {
  local err
  if err=$("$@" 2>&1 >/dev/null); then fail "expected failure: $*"; fi
  [[ "$err" == trove:* ]] || fail "error not in 'trove: ...' form: $err"
  [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "error is not one line: $err"
}
eq() { [ "$1" = "$2" ] || fail "expected '$2', got '$1' ${3:-}"; }
