# p2p_js_lib.sh — what p2p_js.sh and ws_js.sh share (sourced after
# trove_lib.sh, with the js coprocess JS running p2p_js.mjs): many
# concurrent yamux streams with large transfers between js-libp2p and
# build/tests/p2p_peer (net/ alone), both ways.
#
#   js_peer_transfers LISTEN JSMA
# starts p2p_peer listening on LISTEN (a TCP or /ws multiaddr of
# 127.0.0.1), has js open 32 streams x 2 MiB of echo and send 64 MiB to
# sink, checks p2p_peer's counts; then p2p_peer dials JSMA (js's address
# of the same transport) and does the same to js.  Every echoed byte is
# checked against its per-stream pattern on the side that sent it.
js_peer_transfers() {
  local listen=$1 jsma=$2 out pid pma
  local N=32 SZ=$((2 * 1024 * 1024)) SINK=$((64 * 1024 * 1024))
  "$PEER" --listen "$listen" >"$WORK/peer.log" 2>"$WORK/peer_err.log" &
  pid=$!
  PIDS+=($pid)
  for _ in $(seq 50); do grep -q '^id ' "$WORK/peer.log" && break; sleep 0.1; done
  pma=$(awk '/^listen /{print $2; exit}' "$WORK/peer.log")
  [ -n "$pma" ] || fail "p2p_peer printed no address"
  echo "p2p_peer at $pma"
  out=$(js echo "$pma" $N $SZ)
  echo "js -> p2p_peer echo: $out"
  check "$out" 'd["ok"] == int(a[0]) and d["failed"] == 0 and d["verified"] == int(a[0]) * int(a[1])' $N $SZ
  out=$(js sink "$pma" 1 $SINK)
  echo "js -> p2p_peer sink: $out"
  check "$out" 'd["ok"] == 1'
  kill -USR1 $pid
  for _ in $(seq 50); do grep -q '^stats ' "$WORK/peer.log" && break; sleep 0.1; done
  grep -q "^stats .* echoed=$((N * SZ)) sunk=$SINK\$" "$WORK/peer.log" ||
    fail "p2p_peer's counts: $(grep '^stats' "$WORK/peer.log")"
  out=$(timeout 30 "$PEER" --dial "$jsma" --proto echo --streams $N --bytes $SZ --timeout 25 2>>"$WORK/peer_err.log") ||
    fail "p2p_peer -> js echo: $out"
  echo "p2p_peer -> js echo: $out"
  grep -q "^result .* ok=$N failed=0 verified=$((N * SZ)) " <<<"$out" || fail "p2p_peer -> js echo: $out"
  out=$(timeout 30 "$PEER" --dial "$jsma" --proto sink --streams 1 --bytes $SINK --timeout 25 2>>"$WORK/peer_err.log") ||
    fail "p2p_peer -> js sink: $out"
  echo "p2p_peer -> js sink: $out"
  out=$(js stats)
  check "$out" 'd["echoed"] == int(a[0]) and d["sunk"] == int(a[1])' $((N * SZ)) $SINK
  echo "ok js <-> p2p_peer: $N streams x $SZ bytes echoed and checked each way"
}
