#!/bin/bash
# ws_js.sh — the WebSocket transport against js-libp2p (p2p_js.mjs with
# @libp2p/websockets, listening on /ws; the `ws` package underneath) on
# 127.0.0.1, both ways:
#
#   js -> `trove daemon` (listening on /ws only): a dial that names
#     trove's PeerID, identify (trove's /ws listen address), 5 pings;
#   trove -> js, through the daemon's API: `trove swarm connect` to js's
#     /ws address, `trove swarm peers` lists it, `trove ping`;
#   many concurrent yamux streams with large transfers over /ws, on
#     build/tests/p2p_peer (net/ alone) listening on /ws: js opens 32
#     streams x 2 MiB of echo and sends 64 MiB to sink; then p2p_peer
#     dials js's /ws address and does the same; every echoed byte is
#     checked against its per-stream pattern on the side that sent it.
#
# Every process is started here and killed by PID in the trap; every step
# has a timeout.
INTEROP_TIMEOUT=150
source "$(dirname "$0")/lib/trove_lib.sh"
source "$INTEROP_DIR/lib/p2p_js_lib.sh"
TD=${TEST_DIR:-build/tests}
[[ $TD = /* ]] || TD=$ROOT/$TD
PEER=${P2P_PEER_BIN:-$TD/p2p_peer}
interop_need_modules libp2p @libp2p/websockets
[ -x "$PEER" ] || { echo "$PEER missing: run 'make tests'" >&2; exit 1; }

# @libp2p/websockets dials with the global WebSocket: Node 22 has it,
# Node 20 behind a flag.
NODEFLAGS=()
[ "$(node -e 'console.log(typeof WebSocket)')" = function ] || NODEFLAGS=(--experimental-websocket)
coproc JS { P2P_JS_LISTEN=/ip4/127.0.0.1/tcp/0/ws exec node "${NODEFLAGS[@]}" p2p_js.mjs 2>"$WORK/js.log"; }
PIDS+=("$JS_PID")
JS_WAIT=40

TP=$(port)
"$TROVE" init >/dev/null
"$TROVE" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$TP/ws\"]" >/dev/null
"$TROVE" config --json Bootstrap '[]' >/dev/null
interop_daemon
[ -n "$TID" ] || fail "no trove peer identity"

a=$(js addr)
JSID=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$a")
JSMA=$(python3 -c 'import json,sys; print([x for x in json.loads(sys.argv[1])["addrs"] if "/ws/" in x][0])' "$a")
JP=$(sed 's#.*/tcp/\([0-9]*\)/ws/.*#\1#' <<<"$JSMA")
echo "js $JSMA, trove $TID on $TP/ws"

# ---- js -> trove daemon
out=$(js dial "/ip4/127.0.0.1/tcp/$TP/ws/p2p/$TID")
check "$out" 'd["peer"] == a[0] and d["remoteAddr"].startswith("/ip4/127.0.0.1/tcp/%s/ws" % a[1])' "$TID" "$TP"
out=$(js identify "$TID")
echo "identify: $out"
check "$out" 'd["agent"].startswith("trove/")'
check "$out" 'f"/ip4/127.0.0.1/tcp/{a[0]}/ws" in d["listenAddrs"]' "$TP"
out=$(js ping "$TID" 5)
check "$out" 'len(d["rtts"]) == 5'
out=$(timeout 20 "$TROVE" swarm peers)
grep -q "/ws/p2p/$JSID\$" <<<"$out" || fail "trove swarm peers (inbound /ws): $out"
echo "ok js -> trove over /ws"

# ---- trove -> js
out=$(timeout 20 "$TROVE" swarm disconnect "/p2p/$JSID")
[ "$out" = "disconnect $JSID success" ] || fail "swarm disconnect: $out"
for _ in $(seq 50); do
  [ "$(js peers)" = "[]" ] && break
  sleep 0.1
done
out=$(timeout 20 "$TROVE" swarm connect "/ip4/127.0.0.1/tcp/$JP/ws/p2p/$JSID")
[ "$out" = "connect $JSID success" ] || fail "trove swarm connect: $out"
out=$(js peers)
check "$out" 'len(d) == 1 and d[0]["peer"] == a[0] and d[0]["direction"] == "inbound"' "$TID"
out=$(timeout 20 "$TROVE" swarm peers)
grep -q "^/ip4/127.0.0.1/tcp/$JP/ws/p2p/$JSID\$" <<<"$out" || fail "trove swarm peers: $out"
out=$(timeout 20 "$TROVE" ping -n 3 "$JSID")
[ "$(grep -c 'Pong received' <<<"$out")" = 3 ] || fail "trove ping: $out"
echo "ok trove -> js over /ws"

# ---- many concurrent streams, large transfers over /ws: js <-> p2p_peer
js_peer_transfers /ip4/127.0.0.1/tcp/0/ws "$JSMA"
echo quit >&"${JS[1]}"
echo "ok"
