#!/bin/bash
# peering_kubo.sh — Peering.Peers between trove and Kubo (v0.43.1), both
# ways, on 127.0.0.1 (Kubo with the test profile, Routing.Type none, no
# Bootstrap: only peering connects them):
#
#   1. Each names the other in Peering.Peers: they connect, and Kubo's CLI
#      reads trove's `swarm peering ls` (ipfs --api=<trove>): Kubo's
#      decoder takes trove's JSON, and prints Kubo's ID and address.
#   2. Kubo restarts (on the same port) without trove in its own
#      Peering.Peers: trove alone dials it again, after its back-off.
#   3. trove restarts: Kubo's peering (boxo/peering, its own back-off of
#      7.5-12.5 s) dials trove again — trove is a peer Kubo keeps.
#   4. Kubo's CLI through trove's API: `swarm peering rm` and `add` print
#      Kubo's text for trove's answers.
#
# trove runs with TROVE_PEERING_INITIAL_MS=300 (its first delays 0.45-0.75
# s); Kubo with its own (5 s).  Skipped (passes) without Kubo.
INTEROP_TIMEOUT=200
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
export TROVE_PEERING_INITIAL_MS=300

trove_p2p_init
TP=$TPORT
TID=$("$TROVE" config Identity.PeerID)
kubo_init
KP=$KPORT
KID=$("$IPFS" config Identity.PeerID)
"$TROVE" config --json Peering.Peers \
  "[{\"ID\":\"$KID\",\"Addrs\":[\"/ip4/127.0.0.1/tcp/$KP\"]}]" >/dev/null
"$IPFS" config --json Peering.Peers \
  "[{\"ID\":\"$TID\",\"Addrs\":[\"/ip4/127.0.0.1/tcp/$TP\"]}]"

# wait_has WHAT SECS CMD...: CMD's output holds WHAT within SECS.
wait_has() {
  local what=$1 secs=$2 i; shift 2
  for i in $(seq $((secs * 10))); do
    "$@" 2>/dev/null | grep "$what" >/dev/null && return 0
    sleep 0.1
  done
  return 1
}
trove_peers() { timeout 10 "$TROVE" swarm peers; }
kubo_peers() { timeout 10 "$IPFS" swarm peers; }
via_trove() { timeout 30 "$IPFS" --api="/ip4/127.0.0.1/tcp/$APORT" "$@"; }
kubo_stop() {
  kill "$KPID"; wait "$KPID" 2>/dev/null || true
}
kubo_start() {
  kubo_daemon
  KPID=${PIDS[-1]}
}

interop_daemon
kubo_start
wait_has "$KID" 30 trove_peers || fail "trove never connected to Kubo"
wait_has "$TID" 30 kubo_peers || fail "Kubo never connected to trove"
out=$(via_trove swarm peering ls) || fail "ipfs --api=trove swarm peering ls: $out"
echo "$out"
[ "$out" = "$KID"$'\n'$'\t'"/ip4/127.0.0.1/tcp/$KP" ] ||
  fail "ipfs --api=trove swarm peering ls printed: $out"
grep -x "$TID" <<<"$(timeout 10 "$IPFS" swarm peering ls)" >/dev/null ||
  fail "Kubo's own peering ls lacks trove"
echo "ok - trove and Kubo peer with each other; Kubo's CLI reads trove's list"

kubo_stop
"$IPFS" config --json Peering.Peers '[]'
for _ in $(seq 50); do
  trove_peers | grep "$KID" >/dev/null || break
  sleep 0.1
done
trove_peers | grep "$KID" >/dev/null && fail "trove still connected to a stopped Kubo"
sleep 1 # trove's dials fail meanwhile: its back-off grows
kubo_start
wait_has "$KID" 30 trove_peers || fail "trove did not dial Kubo again"
echo "ok - trove alone reconnects to a restarted Kubo"

kubo_stop
"$IPFS" config --json Peering.Peers \
  "[{\"ID\":\"$TID\",\"Addrs\":[\"/ip4/127.0.0.1/tcp/$TP\"]}]"
"$TROVE" config --json Peering.Peers '[]' >/dev/null
kubo_start
wait_has "$TID" 30 kubo_peers || fail "Kubo did not peer with trove"
interop_daemon_stop
for _ in $(seq 50); do
  kubo_peers | grep "$TID" >/dev/null || break
  sleep 0.1
done
interop_daemon
wait_has "$TID" 45 kubo_peers || fail "Kubo's peering did not dial trove again"
echo "ok - Kubo's peering reconnects to a restarted trove"

out=$(via_trove swarm peering add "/ip4/127.0.0.1/tcp/$KP/p2p/$KID") ||
  fail "ipfs --api=trove swarm peering add: $out"
[ "$out" = "add $KID success" ] || fail "peering add printed: $out"
out=$(via_trove swarm peering rm "$KID") || fail "peering rm: $out"
[ "$out" = "remove $KID success" ] || fail "peering rm printed: $out"
out=$(via_trove swarm peering ls) || fail "peering ls: $out"
[ -z "$out" ] || fail "peering ls after rm: $out"
echo "ok - Kubo's CLI adds and removes trove's peers"
