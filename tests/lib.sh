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
# start_daemon [ARGS...]: a daemon on the repo, on free ports of 127.0.0.1,
# its log in $WORK/daemon.log.  Returns once it is ready, with DPID (the
# daemon itself, so that the caller can signal and wait for it), GPORT and
# APORT set; fails if it dies or names no ports.
start_daemon() {
  "$TROVE_BIN" daemon --gateway=/ip4/127.0.0.1/tcp/0 \
    --api=/ip4/127.0.0.1/tcp/0 "$@" >"$WORK/daemon.log" 2>&1 &
  DPID=$!
  for _ in $(seq 100); do
    grep -q "Daemon is ready" "$WORK/daemon.log" && break
    kill -0 $DPID 2>/dev/null || { cat "$WORK/daemon.log"; fail "daemon died"; }
    sleep 0.1
  done
  GPORT=$(sed -n 's#.*Gateway server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$WORK/daemon.log")
  APORT=$(sed -n 's#.*RPC API server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$WORK/daemon.log")
  [ -n "$GPORT" ] && [ -n "$APORT" ] || { cat "$WORK/daemon.log"; fail "no ports in the daemon's log"; }
}

# checked_stop SECS: make the EXIT trap stop the daemon of start_daemon
# (DPID) with SIGTERM, and fail the test when it has not stopped within
# SECS or exits non-zero: a clean shutdown is part of what is tested.
checked_stop() {
  STOP_SECS=$1
  DPID=""
  trap checked_stop_exit EXIT
}
checked_stop_exit() {
  local rc=$?
  if [ -n "$DPID" ] && kill "$DPID" 2>/dev/null; then
    for _ in $(seq $((STOP_SECS * 10))); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$DPID" 2>/dev/null; then
      echo "FAIL: daemon did not stop on SIGTERM" >&2
      kill -9 "$DPID" 2>/dev/null
      rc=1
    fi
    wait "$DPID" 2>/dev/null
    local drc=$?
    if [ $drc != 0 ]; then
      echo "FAIL: daemon exited with status $drc after SIGTERM" >&2
      tail -5 "$WORK/daemon.log" >&2
      rc=1
    fi
  fi
  rm -rf "$WORK"
  exit $rc
}
