#!/bin/bash
# p2p_kubo.sh — Kubo (v0.43.1, scripts/kubo.sh) dials `trove daemon` over
# libp2p on 127.0.0.1: `ipfs swarm connect` (TCP, /noise, /yamux/1.0.0,
# PeerID check), `ipfs ping` (/ipfs/ping/1.0.0), 2 concurrent pings (2
# yamux streams at once), and `ipfs id TROVEID`, which shows what trove's
# identify said (agent, protocols, listen address).  Both nodes in temporary
# repos on free ports, Kubo with the test profile (no bootstrap) and
# Routing.Type none; every process stopped by the trap.  Then the other
# way: `trove swarm disconnect` and `trove swarm connect` to Kubo, `trove
# ping`, `trove swarm peers`, `trove id` (Addresses and Protocols from the
# host), and the swarm commands' error answers.  Skipped (passes)
# when Kubo is not installed.
INTEROP_TIMEOUT=180
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need

trove_p2p_init
TP=$TPORT
interop_daemon
kubo_init
kubo_daemon
grep -q "Swarm listening on /ip4/127.0.0.1/tcp/$TP" "$WORK/daemon.log" ||
  fail "trove does not print its swarm address"
[ -n "$TID" ] || fail "no trove peer identity"

out=$(timeout 30 "$IPFS" swarm connect "/ip4/127.0.0.1/tcp/$TP/p2p/$TID")
echo "$out"
[ "$out" = "connect $TID success" ] || fail "swarm connect: $out"
out=$(timeout 30 "$IPFS" ping -n 3 "$TID")
echo "$out"
[ "$(grep -c 'Pong received' <<<"$out")" = 3 ] || fail "ping: $out"
# Concurrent streams on one connection (two: Kubo's resource manager
# allows no more outbound ping streams per peer).
pp=()
for i in $(seq 2); do timeout 30 "$IPFS" ping -n 5 "$TID" >"$WORK/ping$i" 2>&1 & pp+=($!); done
for p in "${pp[@]}"; do wait "$p" || { for f in "$WORK"/ping*; do echo "$f"; tail -n 3 "$f"; done; fail "a concurrent ping failed"; }; done
for i in $(seq 2); do
  [ "$(grep -c 'Pong received' "$WORK/ping$i")" = 5 ] || fail "ping $i: $(cat "$WORK/ping$i")"
done
id=$(timeout 30 "$IPFS" id "$TID")
echo "$id"
python3 - "$id" "$TID" "$TP" <<'P'
import json, sys
d = json.loads(sys.argv[1]); tid, port = sys.argv[2], sys.argv[3]
assert d["ID"] == tid, d
assert d["AgentVersion"].startswith("trove/"), d
for p in ("/ipfs/id/1.0.0", "/ipfs/id/push/1.0.0", "/ipfs/ping/1.0.0"):
    assert p in d["Protocols"], d
assert f"/ip4/127.0.0.1/tcp/{port}/p2p/{tid}" in d["Addresses"], d
P
timeout 10 "$IPFS" swarm peers | grep "$TID" >/dev/null || fail "Kubo lost the connection"

# ---- trove -> Kubo, through trove's API and CLI
KID=$KUBO_ID KP=$KPORT
out=$(timeout 30 "$TROVE" swarm peers)
echo "$out"
grep -q "/p2p/$KID\$" <<<"$out" || fail "trove swarm peers (inbound): $out"
out=$(timeout 30 "$TROVE" swarm disconnect "/p2p/$KID")
[ "$out" = "disconnect $KID success" ] || fail "swarm disconnect: $out"
for _ in $(seq 50); do
  timeout 10 "$TROVE" swarm peers | grep "$KID" >/dev/null || break
  sleep 0.1
done
timeout 10 "$TROVE" swarm peers | grep "$KID" >/dev/null && fail "still connected after disconnect"
out=$(timeout 30 "$TROVE" swarm connect "/ip4/127.0.0.1/tcp/$KP/p2p/$KID")
echo "$out"
[ "$out" = "connect $KID success" ] || fail "trove swarm connect: $out"
out=$(timeout 30 "$TROVE" ping -n 3 "$KID")
echo "$out"
[ "$(grep -c 'Pong received' <<<"$out")" = 3 ] || fail "trove ping: $out"
grep -q "^PING $KID.\$" <<<"$out" || fail "trove ping header: $out"
grep -q "^Average latency: " <<<"$out" || fail "trove ping average: $out"
out=$(timeout 30 "$TROVE" swarm peers)
echo "$out"
grep -q "^/ip4/127.0.0.1/tcp/$KP/p2p/$KID\$" <<<"$out" || fail "trove swarm peers: $out"
timeout 10 "$IPFS" swarm peers | grep "$TID" >/dev/null || fail "Kubo does not see trove's dial"
# Kubo's identify reached trove's peerstore.
timeout 10 "$TROVE" swarm addrs | grep "^$KID (" >/dev/null || fail "swarm addrs: no $KID"
id=$(timeout 30 "$TROVE" id)
echo "$id"
python3 - "$id" "$TID" "$TP" <<'P'
import json, sys
d = json.loads(sys.argv[1]); tid, port = sys.argv[2], sys.argv[3]
assert d["ID"] == tid, d
for p in ("/ipfs/id/1.0.0", "/ipfs/id/push/1.0.0", "/ipfs/ping/1.0.0"):
    assert p in d["Protocols"], d
assert f"/ip4/127.0.0.1/tcp/{port}/p2p/{tid}" in d["Addresses"], d
assert d["Protocols"] == sorted(d["Protocols"]) and d["Addresses"] == sorted(d["Addresses"]), d
P
# `trove id KUBOID`: what Kubo said in identify, as `ipfs id` prints it.
kself=$(timeout 30 "$IPFS" id)
kid=$(timeout 30 "$TROVE" id "$KID") || fail "trove id $KID: $kid"
echo "$kid"
python3 - "$kid" "$kself" "$KP" <<'P'
import json, sys
d, k, port = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
assert d["ID"] == k["ID"], (d, k)
assert d["PublicKey"] == k["PublicKey"], (d, k)
assert d["AgentVersion"] == k["AgentVersion"], (d, k)
assert f"/ip4/127.0.0.1/tcp/{port}/p2p/{k['ID']}" in d["Addresses"], d
assert d["Addresses"] == sorted(d["Addresses"]), d
# Kubo announces what its host handles; trove saw the same list.
assert set(d["Protocols"]) == set(k["Protocols"]), (d["Protocols"], k["Protocols"])
assert d["Protocols"] == sorted(d["Protocols"]), d
P
# Not connected: trove dials the addresses identify gave it.
timeout 30 "$TROVE" swarm disconnect "/p2p/$KID" >/dev/null
for _ in $(seq 50); do
  timeout 10 "$TROVE" swarm peers | grep "$KID" >/dev/null || break
  sleep 0.1
done
kid2=$(timeout 30 "$TROVE" id "$KID") || fail "trove id $KID after disconnect: $kid2"
[ "$(python3 -c "import json,sys; print(json.load(sys.stdin)[\"ID\"])" <<<"$kid2")" = "$KID" ] || fail "id after disconnect: $kid2"
timeout 10 "$TROVE" swarm peers | grep "$KID" >/dev/null || fail "id did not dial $KID"
# An unknown peer and a malformed ID: Kubo's errors.
out=$(timeout 30 "$TROVE" id 12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo 2>&1) && fail "id of an unknown peer: $out"
grep -q "failed to dial" <<<"$out" || fail "unknown peer error: $out"
out=$(timeout 30 "$TROVE" id notapeer 2>&1) && fail "id of a bad ID: $out"
grep -q "invalid peer id" <<<"$out" || fail "bad peer id error: $out"
echo "ok trove -> Kubo"
echo "ok"
