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
#   (or INTEROP_DHT_KUBO=1 before sourcing: dht_kubo_lib.sh's Kubo nodes,
#   in $WORK, skipped (exit 0) without Kubo; the trap stops its KUBO_PID)
#   coproc JS { exec node X.mjs 2>"$WORK/js.log"; }; PIDS+=("$JS_PID")
#   out=$(js CMD ARGS); check "$out" 'd["x"] == a[0]' "$X"; field "$out" '["y"]'
#
# With INTEROP_TIMEOUT set, the script runs again under `timeout` before
# anything is made: timeout signals its whole process group, so every
# daemon the script starts is bounded too.  Then the working directory is
# tests/interop (the node scripts' home); ROOT (the checkout), TROVE (the
# binary, absolute) and IPFS (Kubo) are set; and the EXIT trap stops the
# PIDs in PIDS and DPID only, fails the run on a sanitizer report in any
# $WORK/*.log, prints the logs' tails on failure and removes $WORK
# (tests/lib.sh's nodes_cleanup), after copying it to $INTEROP_KEEP when
# that is set (a look after).

if [ -n "${INTEROP_TIMEOUT:-}" ] && [ "${INTEROP_TIMED:-}" != "$0" ]; then
  INTEROP_TIMED=$0 exec timeout -k 5 "$INTEROP_TIMEOUT" bash "$0" "$@"
fi
INTEROP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=$(cd "$INTEROP_DIR/../.." && pwd)
TROVE_BIN=${TROVE_BIN:-$ROOT/bin/trove}
[[ $TROVE_BIN = /* ]] || TROVE_BIN=$PWD/$TROVE_BIN
source "$ROOT/tests/lib.sh"
TROVE=$TROVE_BIN
IPFS=${IPFS_BIN:-$(go env GOPATH 2>/dev/null || echo /root/go)/bin/ipfs}
cd "$INTEROP_DIR"
interop_cleanup() {
  local rc=$? p
  set +e  # a kill or wait that fails must not cut the cleanup short
  [ -z "${DPID:-}" ] || PIDS+=("$DPID")
  # dht_kubo_lib.sh's daemons, when a script uses it.
  if declare -p KUBO_PID >/dev/null 2>&1; then PIDS+=("${KUBO_PID[@]}"); fi
  if [ -n "${INTEROP_KEEP:-}" ]; then
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    cp -r "$WORK" "$INTEROP_KEEP"
  fi
  (exit $rc)  # nodes_cleanup reads the status from $?
  nodes_cleanup
}
trap interop_cleanup EXIT
if [ -n "${INTEROP_DHT_KUBO:-}" ]; then
  source "$INTEROP_DIR/lib/dht_kubo_lib.sh"
  kubo_available || { echo "skip: no Kubo at $KUBO_BIN"; exit 0; }
  KUBO_WORK=$WORK
fi

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

# interop_daemon_stop: SIGTERM to the daemon of interop_daemon, and wait
# for it (a sanitizer build's leak check runs at its exit).
interop_daemon_stop() {
  kill "$DPID"
  wait "$DPID" || true
  DPID=
}

# kubo_need: exit 0 (skip) when Kubo is not installed.
kubo_need() {
  [ -x "$IPFS" ] || { echo "skip: no Kubo at $IPFS (make deps)"; exit 0; }
}
# kubo_init: a Kubo repo in $IPFS_PATH ($WORK/kubo) with the test profile,
# everything on free ports of 127.0.0.1 (swarm on KPORT, gateway on
# KGPORT), no bootstrap
# peers and Routing.Type none: it finds trove only by a direct connection.
kubo_init() {
  export IPFS_PATH=$WORK/kubo
  KPORT=$(port)
  "$IPFS" init --profile=test >/dev/null 2>&1
  "$IPFS" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$KPORT\"]"
  "$IPFS" config Addresses.API /ip4/127.0.0.1/tcp/$(port)
  KGPORT=$(port)
  "$IPFS" config Addresses.Gateway /ip4/127.0.0.1/tcp/$KGPORT
  "$IPFS" config Routing.Type none
  "$IPFS" config --json Bootstrap '[]'
}
# kubo_daemon: Kubo's daemon on $IPFS_PATH (log $WORK/kubo.log, PID in
# PIDS); returns once it is ready (30 s at most), with KUBO_ID set.
kubo_daemon() {
  # Emptied here, not by the child's redirection: a restart that polled
  # before the child had run read the last daemon's "ready" (a CI failure:
  # "not ready after 30 s" a few seconds in, peering_kubo's third start).
  : >"$WORK/kubo.log"
  "$IPFS" daemon >>"$WORK/kubo.log" 2>&1 &
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

# js CMD [ARGS...]: one command line to the node script that runs as the
# coprocess JS, one JSON line back within JS_WAIT seconds (default 60); no
# answer, or an {"error": ...} one, fails the test.
js() {
  echo "$*" >&"${JS[1]}"
  local line
  IFS= read -r -t "${JS_WAIT:-60}" line <&"${JS[0]}" || fail "js: no answer to '$*'"
  case $line in '{"error"'*) fail "js: $* -> $line" ;; esac
  printf '%s\n' "$line"
}
# check JSON PYTHON-EXPR [ARGS...]: assert the expression over d (the
# parsed JSON) and a (the arguments) holds.  JSON or an argument written
# @FILE is FILE's text (a listing may be longer than an argument may be).
check() {
  local json=$1 expr=$2; shift 2
  python3 -c 'import json, sys
t = lambda x: open(x[1:]).read() if x.startswith("@") else x
d = json.loads(t(sys.argv[1])); a = [t(x) for x in sys.argv[3:]]
ok = eval(sys.argv[2])
if not ok: print("not:", sys.argv[2], "in", t(sys.argv[1])[:800]); sys.exit(1)' "$json" "$expr" "$@" ||
    fail "check failed"
}
# field JSON EXPR: d EXPR of the parsed JSON (@FILE: FILE's text).
field() {
  python3 -c 'import json, sys
t = sys.argv[1]; t = open(t[1:]).read() if t.startswith("@") else t
print(eval("d" + sys.argv[2], {"d": json.loads(t)}))' "$@"
}
