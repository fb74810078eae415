# lib.sh — helpers for the integration scripts (sourced).
set -euo pipefail
TROVE_BIN=${TROVE_BIN:-$PWD/bin/trove}
TESTS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$TESTS_LIB_DIR/stuck_lib.sh"
WORK=$(mktemp -d /tmp/trove-it.XXXXXX)
export TROVE_PATH=$WORK/repo
# WORK_SHM: a second scratch directory (in /dev/shm) a script may set; it
# goes with WORK.
WORK_SHM=""
trap 'rm -rf "$WORK" ${WORK_SHM:+"$WORK_SHM"}' EXIT
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
  # Emptied here, not by the child's redirection: a restart that polled
  # before the child had run would read the last daemon's "ready" and ports.
  : >"$WORK/daemon.log"
  "$TROVE_BIN" daemon --gateway=/ip4/127.0.0.1/tcp/0 \
    --api=/ip4/127.0.0.1/tcp/0 "$@" >>"$WORK/daemon.log" 2>&1 &
  DPID=$!
  # 30 s: a sanitizer build on a loaded machine is slow to start, and
  # when it does not start the state of the process says where it waits.
  for _ in $(seq 300); do
    grep -q "Daemon is ready" "$WORK/daemon.log" && break
    kill -0 $DPID 2>/dev/null || { cat "$WORK/daemon.log"; fail "daemon died"; }
    sleep 0.1
  done
  if ! grep -q "Daemon is ready" "$WORK/daemon.log"; then
    stuck_report "$DPID" "daemon $DPID not ready after 30 s"
    cat "$WORK/daemon.log"
  fi
  GPORT=$(sed -n 's#.*Gateway server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$WORK/daemon.log")
  APORT=$(sed -n 's#.*RPC API server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$WORK/daemon.log")
  [ -n "$GPORT" ] && [ -n "$APORT" ] || { cat "$WORK/daemon.log"; fail "no ports in the daemon's log"; }
}

# checked_stop SECS: make the EXIT trap stop the daemon of start_daemon
# (DPID) with SIGTERM, and fail the test when it has not stopped within
# SECS or exits non-zero: a clean shutdown is part of what is tested.
checked_stop() {
  STOP_SECS=$1
  DPID=${DPID:-} # kept when start_daemon came first (it_dag, it_metrics)
  trap checked_stop_exit EXIT
}
checked_stop_exit() {
  local rc=$?
  if [ -n "$DPID" ] && kill "$DPID" 2>/dev/null; then
    for _ in $(seq $((STOP_SECS * 10))); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$DPID" 2>/dev/null; then
      stuck_report "$DPID" "FAIL: daemon did not stop on SIGTERM"
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
  rm -rf "$WORK" ${WORK_SHM:+"$WORK_SHM"}
  exit $rc
}

# --- Multi-daemon helpers (it_mirror.sh, it_mirror_follow.sh, it_scrub.sh,
# and the interop scripts through tests/interop/lib/trove_lib.sh).
# A script keeps the PIDs it starts in PIDS and installs nodes_cleanup as
# its EXIT trap: it stops those PIDs only, fails the test on a sanitizer
# report in any $WORK/*.log, prints the logs' tails on failure.
PIDS=()
nodes_cleanup() {
  local rc=$? bad=0
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for l in "$WORK"/*.log; do
    if grep -q -E 'Sanitizer|runtime error' "$l" 2>/dev/null; then
      echo "sanitizer report in $l:"; cat "$l"; bad=1
    fi
  done
  [ $rc = 0 ] || tail -n 30 "$WORK"/*.log
  rm -rf "$WORK"
  [ $bad = 0 ] || exit 1
  exit $rc
}
# port: a free TCP port of 127.0.0.1 for a daemon to listen on
# (tests/free_port.py: below the kernel's ephemeral range, never the same
# twice in a script).
port() { python3 "$TESTS_LIB_DIR/free_port.py" "$WORK/.ports"; }
ok() { echo "ok - $*"; }
# node_stop NAME: SIGTERM to PID_NAME; fails unless it exits cleanly.
node_stop() {
  local p=PID_$1
  kill "${!p}"
  local rc=0
  wait "${!p}" 2>/dev/null || rc=$?
  [ $rc = 0 ] || fail "daemon $1 did not stop cleanly (exit status $rc)"
}
# flip REPO FILE: change one byte in the middle of every copy of FILE's
# bytes inside REPO/data.mdb (LMDB keeps a value contiguous; stale copies
# in free pages are harmless to flip).  The daemon must be stopped.
flip() {
  python3 - "$1/data.mdb" "$2" <<'PYEOF'
import sys
db, blk = sys.argv[1], open(sys.argv[2], 'rb').read()
data = bytearray(open(db, 'rb').read())
n, i = 0, data.find(blk)
while i >= 0:
    data[i + len(blk) // 2] ^= 0x55
    n += 1
    i = data.find(blk, i + 1)
if not n:
    sys.exit("block bytes not found in " + db)
open(db, 'r+b').write(data)
PYEOF
}
# flip_at FILE OFFSET: invert the byte at OFFSET of FILE.  (Writing a fixed
# byte there is no change at all when the byte was that already: 1 run in
# 256 over random data, as it_dag's corrupt CAR once was under CI.)
flip_at() {
  python3 - "$1" "$2" <<'PYEOF'
import sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(int(sys.argv[2])); b = f.read(1)
    if len(b) != 1:
        sys.exit("flip_at: offset past the end")
    f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0xff]))
PYEOF
}
# hamt_dir DIR N: N files with long names in DIR, enough (N >= 2000) for
# the directory to pass the 256 KiB threshold and shard (the CLI has no
# option to lower the threshold).
hamt_dir() {
  local pad i
  pad=$(printf 'n%.0s' $(seq 1 90))
  mkdir -p "$1"
  for i in $(seq 1 "$2"); do echo "entry $i of $1" >"$1/f$i-$pad.txt"; done
}

# meta_tree DIR: a tree whose entries carry what UnixFS 1.5 metadata can
# and cannot keep (it_add_meta, interop/add_meta_kubo): modes 0600 and
# 0755, setuid, a sticky directory, a file of mode 0, nanosecond and
# negative mtimes, a symlink's own mtime, an empty file, a file of three
# 256 KiB leaves.
meta_tree() {
  local T=$1
  mkdir -p "$T/sub/deep" "$T/sticky"
  printf 'hello\n' >"$T/a.txt"
  : >"$T/empty"
  head -c 600000 /dev/urandom >"$T/sub/three-leaves.bin"
  printf 'x\n' >"$T/suid"
  printf 'z\n' >"$T/sub/deep/zero"
  ln -s a.txt "$T/link"
  chmod 0600 "$T/a.txt"
  chmod 4755 "$T/suid"
  chmod 1777 "$T/sticky"
  chmod 0 "$T/sub/deep/zero"
  touch -d @1700000000.123456789 "$T/a.txt"
  touch -d @-100 "$T/empty"
  touch -d @1600000000.5 "$T/sub/three-leaves.bin"
  touch -h -d @1234567890.25 "$T/link"
  touch -d @1500000000 "$T/sub/deep" "$T/sub" "$T/sticky"
  touch -d @1400000000 "$T"
}
