#!/bin/bash
# p2p_js.sh — trove's libp2p host against js-libp2p (p2p_js.mjs: libp2p 3
# with @libp2p/tcp, noise, yamux, identify, ping) on 127.0.0.1, both ways:
#
#   js -> `trove daemon`: a dial that names trove's PeerID (js's Noise
#     checks it), identify (agent trove/..., /ipfs/id/1.0.0,
#     /ipfs/id/push/1.0.0, /ipfs/ping/1.0.0, the listen address), 5 pings;
#   trove -> js, through the daemon's API: `trove swarm disconnect`, then
#     `trove swarm connect .../p2p/JSID` (js sees an inbound connection from
#     trove's PeerID), `trove swarm peers`, `trove id JSID` (js's agent,
#     its protocols and its listen address, from identify), `trove ping`;
#   many concurrent yamux streams with large transfers, on
#     build/tests/p2p_peer (net/ alone): js opens 32 streams x 2 MiB on
#     p2p_peer's /trove/test/echo/1.0.0, and p2p_peer opens 32 x 2 MiB on
#     js's, every echoed byte checked against a per-stream pattern on the
#     side that sent it; then 64 MiB one way on /trove/test/sink/1.0.0 each
#     way, the receiver's count checked.
#
# Every process is started here and killed by PID in the trap; every step
# has a timeout (the whole test takes ~15 s).
INTEROP_TIMEOUT=150
source "$(dirname "$0")/lib/trove_lib.sh"
source "$INTEROP_DIR/lib/p2p_js_lib.sh"
# The runner's TEST_DIR (build/tests, or build-san/tests under make check)
# holds p2p_peer; P2P_PEER_BIN overrides it.
TD=${TEST_DIR:-build/tests}
[[ $TD = /* ]] || TD=$ROOT/$TD
PEER=${P2P_PEER_BIN:-$TD/p2p_peer}
interop_need_modules libp2p
[ -x "$PEER" ] || { echo "$PEER missing: run 'make tests'" >&2; exit 1; }

# ---- the js node, driven through a pipe: one command, one JSON line back
coproc JS { exec node p2p_js.mjs 2>"$WORK/js.log"; }
PIDS+=("$JS_PID")
JS_WAIT=40

# ---- trove daemon on free ports
trove_p2p_init
TP=$TPORT
interop_daemon
grep -q "Swarm listening on /ip4/127.0.0.1/tcp/$TP" "$WORK/daemon.log" ||
  fail "trove does not print its swarm address"
[ -n "$TID" ] || fail "no trove peer identity"

a=$(js addr)
JSID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$a")
JSMA=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["addrs"][0])' "$a")
JP=$(sed 's#.*/tcp/\([0-9]*\)/.*#\1#' <<<"$JSMA")
echo "js $JSMA, trove $TID on $TP"

# ---- js -> trove daemon
out=$(js dial "/ip4/127.0.0.1/tcp/$TP/p2p/$TID")
check "$out" 'd["peer"] == a[0]' "$TID"
out=$(js identify "$TID")
echo "identify: $out"
check "$out" 'd["agent"].startswith("trove/")'
check "$out" 'all(p in d["protocols"] for p in ("/ipfs/id/1.0.0", "/ipfs/id/push/1.0.0", "/ipfs/ping/1.0.0"))'
check "$out" 'f"/ip4/127.0.0.1/tcp/{a[0]}" in d["listenAddrs"]' "$TP"
out=$(js ping "$TID" 5)
echo "js ping: $out"
check "$out" 'len(d["rtts"]) == 5 and all(isinstance(r, (int, float)) and r >= 0 for r in d["rtts"])'
out=$(timeout 20 "$TROVE" swarm peers)
grep -q "/p2p/$JSID\$" <<<"$out" || fail "trove swarm peers (inbound): $out"
echo "ok js -> trove"

# ---- trove -> js, through the daemon's API
out=$(timeout 20 "$TROVE" swarm disconnect "/p2p/$JSID")
[ "$out" = "disconnect $JSID success" ] || fail "swarm disconnect: $out"
for _ in $(seq 50); do
  [ "$(js peers)" = "[]" ] && break
  sleep 0.1
done
[ "$(js peers)" = "[]" ] || fail "js still connected after trove's disconnect"
out=$(timeout 20 "$TROVE" swarm connect "/ip4/127.0.0.1/tcp/$JP/p2p/$JSID")
[ "$out" = "connect $JSID success" ] || fail "trove swarm connect: $out"
out=$(js peers)
check "$out" 'len(d) == 1 and d[0]["peer"] == a[0] and d[0]["direction"] == "inbound"' "$TID"
out=$(timeout 20 "$TROVE" swarm peers)
echo "$out"
grep -q "^/ip4/127.0.0.1/tcp/$JP/p2p/$JSID\$" <<<"$out" || fail "trove swarm peers: $out"
out=$(timeout 20 "$TROVE" id "$JSID" 2>&1) || fail "trove id $JSID: $out"
echo "trove id: $(head -c 300 <<<"$out")"
check "$out" 'd["ID"] == a[0] and d["AgentVersion"].startswith("js-libp2p/") and "/trove/test/echo/1.0.0" in d["Protocols"] and "/ipfs/ping/1.0.0" in d["Protocols"] and d["Protocols"] == sorted(d["Protocols"]) and any(x.startswith("/ip4/127.0.0.1/tcp/%s/p2p/" % a[1]) for x in d["Addresses"]) and d["PublicKey"]' "$JSID" "$JP"

out=$(timeout 20 "$TROVE" ping -n 3 "$JSID")
echo "$out"
[ "$(grep -c 'Pong received' <<<"$out")" = 3 ] || fail "trove ping: $out"
echo "ok trove -> js"

# ---- many concurrent streams, large transfers: js <-> p2p_peer
js_peer_transfers /ip4/127.0.0.1/tcp/0 "$JSMA"
echo quit >&"${JS[1]}"
echo "ok"
