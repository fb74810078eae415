#!/bin/bash
# ws_kubo.sh — the WebSocket transport against Kubo v0.43.1 (go-libp2p's
# websocket transport, gorilla/websocket underneath), both nodes listening
# on /ws only, on 127.0.0.1:
#   - trove dials Kubo's /ws address: both list the other at /ws; trove
#     pings Kubo; trove cats a 2 MB file Kubo added and Kubo cats one
#     trove added (bitswap both ways, byte for byte);
#   - Kubo dials trove's /ws address after a disconnect: `ipfs ping` and
#     `ipfs id` over it (identify lists trove's /ws listen address);
#   - then a 16 MiB file Kubo fetches from trove over that connection
#     (frames of every size a Noise-sealed write makes).
# Skipped (passes) when Kubo is not installed.
INTEROP_TIMEOUT=180
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need

TP=$(port)
"$TROVE" init >/dev/null
"$TROVE" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$TP/ws\"]" >/dev/null
"$TROVE" config --json Bootstrap '[]' >/dev/null
interop_daemon
grep -q "Swarm listening on /ip4/127.0.0.1/tcp/$TP/ws" "$WORK/daemon.log" ||
  fail "trove does not print its /ws address: $(cat "$WORK/daemon.log")"
kubo_init
"$IPFS" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$KPORT/ws\"]"
kubo_daemon
KA=/ip4/127.0.0.1/tcp/$KPORT/ws

# ------------------------------------------------------- trove dials Kubo
out=$(timeout 30 "$TROVE" swarm connect "$KA/p2p/$KUBO_ID")
eq "$out" "connect $KUBO_ID success" "trove swarm connect"
eq "$("$TROVE" swarm peers)" "$KA/p2p/$KUBO_ID" "trove's peers"
kp=$("$IPFS" swarm peers)
[[ $kp == /ip4/127.0.0.1/tcp/*/ws/p2p/$TID ]] || fail "Kubo sees trove at '$kp'"
timeout 30 "$TROVE" ping -n 2 "$KUBO_ID" | grep -q "Average latency" || fail "trove pings Kubo"
ok "trove dialled Kubo's /ws address; ping"
head -c 2000000 /dev/urandom >"$WORK/k.bin"; head -c 2000000 /dev/urandom >"$WORK/t.bin"
CK=$("$IPFS" add -Q "$WORK/k.bin"); CT=$("$TROVE" add -Q "$WORK/t.bin")
timeout 60 "$TROVE" cat "$CK" | cmp - "$WORK/k.bin" || fail "trove fetched Kubo's file over /ws"
timeout 60 "$IPFS" cat "$CT" | cmp - "$WORK/t.bin" || fail "Kubo fetched trove's file over /ws"
ok "bitswap both ways over a WebSocket, byte for byte"

# ------------------------------------------------------- Kubo dials trove
"$TROVE" swarm disconnect "/p2p/$KUBO_ID" >/dev/null
for _ in $(seq 50); do [ -z "$("$TROVE" swarm peers)" ] && break; sleep 0.1; done
out=$(timeout 30 "$IPFS" swarm connect "/ip4/127.0.0.1/tcp/$TP/ws/p2p/$TID")
eq "$out" "connect $TID success" "Kubo's swarm connect"
eq "$("$IPFS" swarm peers)" "/ip4/127.0.0.1/tcp/$TP/ws/p2p/$TID" "Kubo's peers"
out=$(timeout 30 "$IPFS" ping -n 3 "$TID")
[ "$(grep -c 'Pong received' <<<"$out")" = 3 ] || fail "Kubo's ping: $out"
timeout 30 "$IPFS" id -f '<addrs>' "$TID" | grep -q "/ip4/127.0.0.1/tcp/$TP/ws" ||
  fail "Kubo's identify of trove lacks its /ws address: $("$IPFS" id "$TID")"
ok "Kubo dialled trove's /ws address; ping; identify lists /ws"
head -c 16777216 /dev/urandom >"$WORK/big.bin"
CB=$("$TROVE" add -Q "$WORK/big.bin")
t0=$(date +%s.%N)
timeout 120 "$IPFS" cat "$CB" | cmp - "$WORK/big.bin" || fail "Kubo fetched 16 MiB from trove over /ws"
echo "16 MiB, trove to Kubo over /ws: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}') s"
ok "16 MiB from trove to Kubo over its own /ws connection"
echo "ws_kubo: all passed"
