#!/bin/bash
# swarm_peers_kubo.sh — `trove swarm peers` with Kubo v0.43.1's options
# (core/commands/swarm.go): -v/--verbose, --streams, --latency,
# --direction, --identify, with Kubo's daemon connected to trove's.
# Kubo's CLI on trove's API re-encodes trove's JSON through its own
# connInfos type: its --enc=json output must equal trove's answer byte
# for byte (the fields, their order, the empty ones left out, Identify
# always there), and its text must equal trove's CLI's.  The latency is
# "n/a" until trove pings the peer (go-libp2p records it from pings
# alone), a Go duration after.  Kubo's own row for trove has the same
# fields as trove's row for Kubo (Streams aside: there only while one is
# open).  Skipped (passes) without Kubo.
INTEROP_TIMEOUT=120
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
kubo_init
kubo_daemon
export TROVE_PATH=$WORK/trove
trove_p2p_init
interop_daemon
K=("$IPFS" --api "/ip4/127.0.0.1/tcp/$APORT")
A=http://127.0.0.1:$APORT/api/v0

out=$(timeout 30 "$IPFS" swarm connect "/ip4/127.0.0.1/tcp/$TPORT/p2p/$TID")
eq "$out" "connect $TID success" "swarm connect"
# Kubo's and trove's opening streams (identify, bitswap) settle first.
sleep 2

# same OPTS...: Kubo's CLI on trove's API, JSON and text, beside trove's
# answer and trove's CLI.  Streams come and go: a difference is retried.
n=0
same() {
  local q="" o try
  for o in "$@"; do
    [ "$o" = -v ] && o=--verbose
    q="$q&${o#--}=true"
  done
  for try in 1 2 3 4 5; do
    "${K[@]}" swarm peers --enc=json "$@" >"$WORK/k.json"
    curl -sS -X POST "$A/swarm/peers?${q#&}" >"$WORK/t.json"
    "${K[@]}" swarm peers "$@" >"$WORK/k.txt"
    "$TROVE" swarm peers "$@" >"$WORK/t.txt"
    cmp -s "$WORK/k.json" "$WORK/t.json" && cmp -s "$WORK/k.txt" "$WORK/t.txt" && break
    [ $try = 5 ] && fail "swarm peers $*: $(diff "$WORK/t.json" "$WORK/k.json"; diff "$WORK/t.txt" "$WORK/k.txt")"
    sleep 0.5
  done
  n=$((n + 1))
}
same
out=$(cat "$WORK/t.txt")
eq "$out" "/ip4/127.0.0.1/tcp/$KPORT/p2p/$KUBO_ID" "swarm peers" || true
same --direction
grep -q '"Direction":1' "$WORK/t.json" || fail "inbound: $(cat "$WORK/t.json")"
grep -q " inbound\$" "$WORK/t.txt" || fail "inbound text: $(cat "$WORK/t.txt")"
same --latency
grep -q '"Latency":"n/a"' "$WORK/t.json" || fail "latency before a ping: $(cat "$WORK/t.json")"
same --identify
python3 - "$WORK/t.json" "$KUBO_ID" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["Peers"][0]["Identify"]
assert d["ID"] == sys.argv[2] and d["AgentVersion"].startswith("kubo/"), d
assert "/ipfs/bitswap/1.2.0" in d["Protocols"] and d["PublicKey"], d
PY
same --streams
same -v
same --streams --direction
timeout 30 "$TROVE" ping -n 3 "$KUBO_ID" >/dev/null || fail "trove ping"
same --latency
grep -qE '"Latency":"[0-9.]+(ns|µs|ms|s)"' "$WORK/t.json" || fail "latency after a ping: $(cat "$WORK/t.json")"
grep -qE "/p2p/$KUBO_ID [0-9.]+(ns|µs|ms|s)\$" "$WORK/t.txt" || fail "latency text: $(cat "$WORK/t.txt")"
same -v
# A stream open while a ping runs (one ping a second, on one stream).
timeout 30 "$TROVE" ping -n 4 "$KUBO_ID" >/dev/null &
PING=$!
PIDS+=("$PING")
sleep 1.5
same --streams
grep -q '"Streams":\[{"Protocol":"/ipfs/ping/1.0.0"}' "$WORK/t.json" || fail "the ping's stream: $(cat "$WORK/t.json")"
grep -qx "  /ipfs/ping/1.0.0" "$WORK/t.txt" || fail "the ping's stream (text): $(cat "$WORK/t.txt")"
wait "$PING" || fail "the ping"
same -v
ok "swarm peers: $n option sets, Kubo's CLI on trove's API and trove's alike"

# Kubo's own row for trove: the same fields as trove's row for Kubo.
"$IPFS" swarm peers -v --enc=json >"$WORK/kk.json"
python3 - "$WORK/kk.json" "$WORK/t.json" "$TID" <<'PY'
import json, sys
k = [p for p in json.load(open(sys.argv[1]))["Peers"] if p["Peer"] == sys.argv[3]][0]
t = json.load(open(sys.argv[2]))["Peers"][0]
# Streams: only while one is open (omitempty), on either side.
strip = lambda d: [f for f in d if f != "Streams"]
assert strip(k) == strip(t), (list(k), list(t))
assert list(k["Identify"]) == list(t["Identify"]), (k, t)
assert k["Direction"] == 2 and t["Direction"] == 1, (k, t)
PY
ok "swarm peers -v: Kubo's row for trove has trove's fields"
