#!/bin/bash
# it_p2p_connmgr.sh — the connection manager and dial backoff of a real
# `trove daemon` on 127.0.0.1:
#   - Swarm.ConnMgr HighWater 4, LowWater 2, GracePeriod 1s: six peers
#     (tests/evil_peer.c `hold`: well-behaved, they answer pings) connect;
#     once their grace is over the daemon trims to LowWater (2) and stays
#     there; the peers see 4 of their 6 connections closed;
#   - Swarm.ConnMgr.Type "none": six peers stay connected;
#   - a bad Swarm.ConnMgr (LowWater over HighWater, an unknown Type, a
#     GracePeriod that is not a duration) stops the daemon at start-up;
#   - `trove swarm connect` to a port nobody listens on fails ("connection
#     refused"), and the same dial again fails at once with "dial backoff"
#     (Kubo's `swarm connect` clears the backoff first; trove reports it,
#     so that a user sees why nothing was tried), while the peer's real
#     address still connects.
if [ -z "${IT_CONNMGR_TIMED:-}" ]; then
  IT_CONNMGR_TIMED=1 exec timeout -k 5 180 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
EVIL=${EVIL_PEER:-${TEST_DIR:-build/tests}/evil_peer}
[ -x "$EVIL" ] || fail "no $EVIL (make tests)"
PIDS=()
cleanup() {
  local rc=$? bad=0
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for l in "$WORK"/*.log; do
    if grep -q -E 'Sanitizer|runtime error' "$l" 2>/dev/null; then
      echo "sanitizer report in $l:"; cat "$l"; bad=1
    fi
  done
  rm -rf "$WORK"
  [ $bad = 0 ] || exit 1
  exit $rc
}
trap cleanup EXIT

# init NAME CONNMGR-JSON: a repo whose swarm listens on a free port.
init() {
  local repo=$WORK/$1 p
  p=$(port)
  TROVE_PATH=$repo t init >/dev/null
  python3 - "$repo/config" "$p" "$2" <<'P'
import json, sys
path, port, cm = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
c = json.load(open(path))
c["Addresses"]["Swarm"] = [f"/ip4/127.0.0.1/tcp/{port}"]
c.setdefault("Swarm", {})["ConnMgr"] = cm
json.dump(c, open(path, "w"))
P
  printf -v "PORT_$1" '%s' "$p"
}
# start NAME: its daemon; sets ID_NAME.
start() {
  : >"$WORK/$1.log" # here: a restart must not read the last run's "ready"
  TROVE_PATH=$WORK/$1 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >>"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 200); do grep -q "Daemon is ready" "$WORK/$1.log" && break; sleep 0.05; done
  grep -q "Daemon is ready" "$WORK/$1.log" || fail "daemon $1 did not start: $(cat "$WORK/$1.log")"
  printf -v "ID_$1" '%s' "$(sed -n 's/.*peer identity: //p' "$WORK/$1.log")"
}
npeers() { TROVE_PATH=$WORK/$1 t swarm peers | grep -c /p2p/ || true; }

# ---- a bad config stops the daemon with a message.
for bad in '{"LowWater": 5, "HighWater": 4}' '{"Type": "fancy"}' \
           '{"GracePeriod": "soon"}' '{"HighWater": -1}'; do
  init bad "$bad"
  if TROVE_PATH=$WORK/bad timeout --foreground 20 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
      --gateway=/ip4/127.0.0.1/tcp/0 >"$WORK/bad.out" 2>&1; then
    fail "daemon started with Swarm.ConnMgr $bad"
  fi
  grep -q "Swarm.ConnMgr" "$WORK/bad.out" || fail "no message for $bad: $(cat "$WORK/bad.out")"
  rm -rf "$WORK/bad"
done
echo "ok bad Swarm.ConnMgr refused"

# ---- HighWater 4, LowWater 2, grace 1 s: six peers, trimmed to two.
init a '{"Type": "basic", "HighWater": 4, "LowWater": 2, "GracePeriod": "1s"}'
start a
mkfifo "$WORK/hold.in"
"$EVIL" hold 127.0.0.1 "$PORT_a" -s 127.0.0.20 -n 6 -t 60 <"$WORK/hold.in" >"$WORK/hold.out" 2>&1 &
HPID=$!
PIDS+=($HPID)
exec 3>"$WORK/hold.in"
for _ in $(seq 100); do grep -q ready "$WORK/hold.out" && break; sleep 0.05; done
grep -q ready "$WORK/hold.out" || fail "hold: $(cat "$WORK/hold.out")"
for _ in $(seq 150); do [ "$(npeers a)" -le 2 ] && break; sleep 0.1; done
eq "$(npeers a)" 2 "connections after the grace period"
sleep 1.5 # another trim period: nothing more goes below LowWater
eq "$(npeers a)" 2 "connections a trim period later"
exec 3>&-
wait $HPID || fail "hold: $(cat "$WORK/hold.out")"
grep -q "held 6 connections; the daemon closed 4" "$WORK/hold.out" || fail "hold: $(cat "$WORK/hold.out")"
cat "$WORK/hold.out"
echo "ok trimmed to LowWater"

# ---- Type none: nothing is trimmed.
init c '{"Type": "none", "HighWater": 4, "LowWater": 2, "GracePeriod": "1s"}'
start c
"$EVIL" hold 127.0.0.1 "$PORT_c" -s 127.0.0.21 -n 6 -t 4 >"$WORK/hold2.out" 2>&1 ||
  fail "hold: $(cat "$WORK/hold2.out")"
grep -q "held 6 connections; the daemon closed 0" "$WORK/hold2.out" || fail "Type none: $(cat "$WORK/hold2.out")"
echo "ok Type none keeps them"

# ---- dial backoff through `trove swarm connect`.
init b '{}'
start b
tb() { TROVE_PATH=$WORK/b t "$@"; }
dead=$(port)
err=$(tb swarm connect "/ip4/127.0.0.1/tcp/$dead/p2p/$ID_a" 2>&1) && fail "dial to a closed port: $err"
grep -qi "connection refused" <<<"$err" || fail "first dial: $err"
expect_fail tb swarm connect "/ip4/127.0.0.1/tcp/$dead/p2p/$ID_a"
err=$(tb swarm connect "/ip4/127.0.0.1/tcp/$dead/p2p/$ID_a" 2>&1 || true)
grep -q "dial backoff" <<<"$err" || fail "second dial: $err"
echo "ok backoff: $err"
eq "$(tb swarm connect "/ip4/127.0.0.1/tcp/$PORT_a/p2p/$ID_a")" "connect $ID_a success"
echo "ok it_p2p_connmgr"
