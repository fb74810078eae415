# trove_lib.sh — the start-up the interop scripts share (sourced), on top
# of tests/lib.sh (WORK, fail, eq, port, start_daemon, nodes_cleanup):
#
#   INTEROP_TIMEOUT=180                       # optional: the whole run's bound
#   source "$(dirname "$0")/lib/trove_lib.sh"
#   interop_need node /usr/bin/chromium       # commands, else exit 1
#   interop_need_modules playwright-core      # npm packages, else exit 1
#   trove_p2p_init                            # trove init, swarm on TPORT
#   interop_daemon [ARGS...]                  # start_daemon, its PID in PIDS
#   kubo_need; kubo_init; kubo_daemon         # a Kubo beside it (KUBO_ID)
#
# With INTEROP_TIMEOUT set, the script runs again under `timeout` before
# anything is made: timeout signals its whole process group, so every
# daemon the script starts is bounded too.  Then the working directory is
# tests/interop (the node scripts' home), TROVE (the binary, absolute) and
# IPFS (Kubo) are set, and the EXIT trap stops the PIDs in PIDS and DPID
# only, fails the run on a sanitizer report in any $WORK/*.log, prints the
# logs' tails on failure and removes $WORK (tests/lib.sh's nodes_cleanup).

if [ -n "${INTEROP_TIMEOUT:-}" ] && [ "${INTEROP_TIMED:-}" != "$0" ]; then
  INTEROP_TIMED=$0 exec timeout -k 5 "$INTEROP_TIMEOUT" bash "$0" "$@"
fi
INTEROP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TROVE_BIN=${TROVE_BIN:-$INTEROP_DIR/../../bin/trove}
[[ $TROVE_BIN = /* ]] || TROVE_BIN=$PWD/$TROVE_BIN
source "$INTEROP_DIR/../lib.sh"
TROVE=$TROVE_BIN
IPFS=${IPFS_BIN:-$(go env GOPATH 2>/dev/null || echo /root/go)/bin/ipfs}
cd "$INTEROP_DIR"
interop_cleanup() {
  local rc=$?
  [ -z "${DPID:-}" ] || PIDS+=("$DPID")
  set +e  # nodes_cleanup reads the status from $?
  (exit $rc)
  nodes_cleanup
}
trap interop_cleanup EXIT

interop_need() {
  local x
  for x in "$@"; do
    command -v "$x" >/dev/null || { echo "$x missing: run 'make deps'" >&2; exit 1; }
  done
}
interop_need_modules() {
  local m
  for m in "$@"; do
    [ -d "node_modules/$m" ] || { echo "node_modules missing ($m): run 'make deps'" >&2; exit 1; }
  done
}

# trove_p2p_init: trove init in $TROVE_PATH, its swarm on 127.0.0.1:TPORT
# (a free port), no bootstrap peers.
trove_p2p_init() {
  TPORT=$(port)
  "$TROVE" init >/dev/null
  "$TROVE" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$TPORT\"]" >/dev/null
  "$TROVE" config --json Bootstrap '[]' >/dev/null
}

# interop_daemon [ARGS...]: start_daemon (DPID, GPORT, APORT; log
# $WORK/daemon.log), with TID, trove's peer ID, when it prints one.
interop_daemon() {
  start_daemon "$@"
  TID=$(sed -n 's/.*peer identity: //p' "$WORK/daemon.log")
}

# kubo_need: exit 0 (skip) when Kubo is not installed.
kubo_need() {
  [ -x "$IPFS" ] || { echo "skip: no Kubo at $IPFS (make deps)"; exit 0; }
}
# kubo_init: a Kubo repo in $IPFS_PATH ($WORK/kubo) with the test profile,
# everything on free ports of 127.0.0.1 (swarm on KPORT), no bootstrap
# peers and Routing.Type none: it finds trove only by a direct connection.
kubo_init() {
  export IPFS_PATH=$WORK/kubo
  KPORT=$(port)
  "$IPFS" init --profile=test >/dev/null 2>&1
  "$IPFS" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$KPORT\"]"
  "$IPFS" config Addresses.API /ip4/127.0.0.1/tcp/$(port)
  "$IPFS" config Addresses.Gateway /ip4/127.0.0.1/tcp/$(port)
  "$IPFS" config Routing.Type none
  "$IPFS" config --json Bootstrap '[]'
}
# kubo_daemon: Kubo's daemon on $IPFS_PATH (log $WORK/kubo.log, PID in
# PIDS); returns once it is ready (30 s at most), with KUBO_ID set.
kubo_daemon() {
  "$IPFS" daemon >"$WORK/kubo.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 300); do
    grep -q "Daemon is ready" "$WORK/kubo.log" && break
    kill -0 "$pid" 2>/dev/null || fail "Kubo's daemon died"
    sleep 0.1
  done
  grep -q "Daemon is ready" "$WORK/kubo.log" || fail "Kubo's daemon not ready after 30 s"
  KUBO_ID=$("$IPFS" id -f '<id>')
}
