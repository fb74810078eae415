#!/bin/bash
# dht_js.sh — trove's DHT against js-libp2p's @libp2p/kad-dht (dht_js.mjs:
# js nodes on the LAN DHT, /ipfs/lan/kad/1.0.0, server mode, loopback
# addresses kept) on 127.0.0.1, both directions:
#
#   1. js B dials only js A (the hub), dht.provides a CID and dht.puts an
#      IPNS record it signed (both land on A alone); then A dials trove T
#      and each enters the other's LAN table.
#   2. js -> trove through js's answers: `trove routing findprovs` lists B,
#      `trove routing get /ipns/B` returns the bytes B put, `trove name
#      resolve` their value, `trove routing findpeer B` B's address.
#   3. trove provides (`trove add`, `trove routing provide`): A stored T's
#      ADD_PROVIDER with T's 127.0.0.1 address; a fresh js C that dialled
#      only A finds T as provider, with that address (dht.findProviders
#      and contentRouting.findProviders).
#      3b: ten CIDs in one `routing provide` (a one-shot sweep): C finds
#      T for them too.
#   4. js -> trove directly: B provides another CID and puts a newer record
#      (sequence 2); T echoes the PUT_VALUE (js checks the echo) and keeps
#      it, and keeps it against an older one (sequence 1 again).  A js D
#      that dialled only T gets both from T's answers (GET_PROVIDERS with
#      B's address -- bare, though B sent it with /p2p/B on the end, as
#      `trove`'s RPC prints it too -- and GET_VALUE).
#   5. IPNS, trove -> js: `trove name publish`; C's dht.get (validated by
#      @helia/ipns's validator and selector) returns the bytes `trove
#      routing get /ipns/T` gives, and A holds them (it accepted T's
#      PUT_VALUE); a second publish (higher sequence) wins in C's get.
#   6. Peer routing: a fresh js E that dialled only A; `trove routing
#      findpeer E` gives E's address (through A), `trove dht query E` lists
#      E, then E's peerRouting.findPeer(T) gives T's.
#
# Every process is started here and killed by PID in the trap; every step
# has a timeout (the whole test takes 10-20 s).
INTEROP_TIMEOUT=240
source "$(dirname "$0")/lib/trove_lib.sh"
interop_need_modules @libp2p/kad-dht
# DHT_JS_KEEP=DIR keeps the logs and the repo there (for a look after).
INTEROP_KEEP=${DHT_JS_KEEP:-}
# A CIDv1 (raw, sha2-256) of fresh random bytes: nobody has it yet.
newcid() {
  python3 -c 'import base64, hashlib, os
d = b"\x01\x55\x12\x20" + hashlib.sha256(os.urandom(32)).digest()
print("b" + base64.b32encode(d).decode().lower().rstrip("="))'
}

# ---- the js nodes, driven through a pipe: one command, one JSON line back
coproc JS { exec node dht_js.mjs 2>"$WORK/js.log"; }
PIDS+=("$JS_PID")
tr() { timeout 60 "$TROVE" "$@"; }

# ---- 1. trove, the hub A, and B behind A
trove_p2p_init
TP=$TPORT
tr config --json Routing.LoopbackAddressesOnLanDHT true >/dev/null
interop_daemon
[ -n "$TID" ] || fail "no trove peer identity"
TMA=/ip4/127.0.0.1/tcp/$TP/p2p/$TID

# B provides and puts its name while only A knows it: the records live on
# js nodes alone, so trove can only learn them from js's answers.
out=$(js start A); AID=$(field "$out" '["id"]'); AMA=$(field "$out" '["addrs"][0]')
out=$(js start B); BID=$(field "$out" '["id"]')
BP=$(field "$out" '["addrs"][0]' | sed 's#.*/tcp/\([0-9]*\)/.*#\1#')
echo "trove $TID on $TP, js A $AID, js B $BID"
js dial B "$AMA" >/dev/null
js waitrt B "$AID" 40 >/dev/null
BCID=$(newcid)
out=$(js provide B "$BCID")
check "$out" 'd["to"] == [a[0]] and not d["errors"]' "$AID"
out=$(js putipns B "/ipfs/$BCID" 1)
check "$out" 'd["acked"] == [a[0]] and not d["errors"]' "$AID"
REC1=$(field "$out" '["record_b64"]')
out=$(js dial A "$TMA"); check "$out" 'd["peer"] == a[0]' "$TID"
js waitrt A "$TID" 40 >/dev/null
lan_has() { tr stats dht | sed -n '/DHT lan/,$p' | grep "$1" >/dev/null; }
for _ in $(seq 100); do lan_has "$AID" && break; sleep 0.2; done
lan_has "$AID" || fail "trove's LAN table lacks A: $(tr stats dht)"
echo "ok 1: trove and js A in each other's LAN tables"

# ---- 2. js provides (and puts), trove finds it through the js nodes
out=$(tr routing findprovs "$BCID" 2>&1) || fail "trove findprovs: $out"
grep -qx "$BID" <<<"$out" || fail "trove does not find js B as provider of $BCID: $out"
tr routing get "/ipns/$BID" >"$WORK/b.rec" || fail "trove routing get /ipns/B"
[ "$(base64 -w0 "$WORK/b.rec")" = "$REC1" ] || fail "trove got another record for B than B put"
out=$(tr name resolve "/ipns/$BID") || fail "trove name resolve B: $out"
[ "$out" = "/ipfs/$BCID" ] || fail "trove resolves B's name to '$out'"
out=$(tr routing findpeer "$BID") || fail "trove findpeer B: $out"
grep -q "^/ip4/127.0.0.1/tcp/$BP\$" <<<"$out" || fail "trove findpeer B: $out"
echo "ok 2: trove finds js B's provider record and IPNS record in the js nodes' answers"

# ---- 3. trove provides, a js node that knows only A finds it
echo "trove's block $RANDOM $(date +%s%N)" >"$WORK/t.txt"
TCID=$(tr add -Q --cid-version=1 --raw-leaves "$WORK/t.txt")
tr routing provide "$TCID" || fail "trove routing provide"
js start C >/dev/null
js dial C "$AMA" >/dev/null
js waitrt C "$AID" 40 >/dev/null
# A stored T's ADD_PROVIDER, with T's address: its own store answers.
out=$(js findprovs A "$TCID" 20)
check "$out" 'a[1] in d["from"].get(a[0], []) and f"/ip4/127.0.0.1/tcp/{a[2]}" in [x.split("/p2p/")[0] for x in d["providers"][a[0]]]' "$TID" "$AID" "$TP"
out=$(js findprovs C "$TCID" 20)
echo "C findprovs: $out"
check "$out" 'a[0] in d["providers"] and f"/ip4/127.0.0.1/tcp/{a[1]}" in [x.split("/p2p/")[0] for x in d["providers"][a[0]]]' "$TID" "$TP"
check "$out" 'a[0] in d["routing"]' "$TID"
echo "ok 3: js A stores trove's provider record, js C finds it"

# ---- 3b. ten CIDs in one `routing provide` (trove's one-shot sweep)
mkdir -p "$WORK/ten"
for k in $(seq 10); do echo "ten $k $RANDOM $(date +%s%N)" >"$WORK/ten/$k"; done
mapfile -t TEN < <(tr block put "$WORK"/ten/*) || fail "block put"
tr routing provide "${TEN[@]}" || fail "trove routing provide of ten CIDs"
for c in "${TEN[0]}" "${TEN[9]}"; do
  out=$(js findprovs C "$c" 20)
  check "$out" 'a[0] in d["providers"] and f"/ip4/127.0.0.1/tcp/{a[1]}" in [x.split("/p2p/")[0] for x in d["providers"][a[0]]]' "$TID" "$TP"
done
echo "ok 3b: js C finds trove for CIDs it provided ten at once"

# ---- 4. IPNS js -> trove: B's update goes to T too (T now in B's view)
out=$(js putipns B "/ipfs/$TCID" 2)
echo "B put: $(head -c 400 <<<"$out")"
check "$out" 'a[0] in d["acked"] and not [e for e in d["errors"] if e.startswith(a[0])]' "$TID"
REC=$(field "$out" '["record_b64"]')
tr routing get "/ipns/$BID" >"$WORK/b.rec" || fail "trove routing get /ipns/B (2)"
[ "$(base64 -w0 "$WORK/b.rec")" = "$REC" ] || fail "trove did not take B's update"
# An older record (sequence 1 again) must not replace it: trove keeps the
# best record, as the IPNS selector says.
js putipns B "/ipfs/$BCID" 1 >/dev/null
tr routing get "/ipns/$BID" >"$WORK/b.rec" || fail "trove routing get /ipns/B (3)"
[ "$(base64 -w0 "$WORK/b.rec")" = "$REC" ] || fail "an older record replaced B's update in trove"
# B provides another CID, now that T is in its view: T stores the record
# with B's address and serves it to a js D that dialled only T.
BCID2=$(newcid)
out=$(js provide B "$BCID2")
check "$out" 'a[0] in d["to"] and not d["errors"]' "$TID"
out=$(js start D)
js dial D "$TMA" >/dev/null
js waitrt D "$TID" 40 >/dev/null
# js B sends its addresses with /p2p/B on the end; trove keeps them bare,
# as go does (it appends /p2p/ID itself when dialling).
out=$(js ask D "$TID" GET_PROVIDERS "$BCID2")
echo "T's GET_PROVIDERS answer to D: $out"
check "$out" 'd["providers"] == {a[0]: [f"/ip4/127.0.0.1/tcp/{a[1]}"]}' "$BID" "$BP"
out=$(js findprovs D "$BCID2" 20)
check "$out" 'f"/ip4/127.0.0.1/tcp/{a[1]}" in d["providers"][a[0]]' "$BID" "$BP"
API=$(cat "$TROVE_PATH/api")
out=$(curl -sS -m 30 -X POST "http://127.0.0.1:${API##*/tcp/}/api/v0/routing/findprovs?arg=$BCID2") ||
  fail "RPC routing/findprovs: $out"
python3 -c 'import json, sys
rs = [r for l in sys.argv[1].splitlines() if l.strip() for r in (json.loads(l).get("Responses") or [])]
want = {"ID": sys.argv[2], "Addrs": ["/ip4/127.0.0.1/tcp/" + sys.argv[3]]}
sys.exit(0 if want in rs else 1)' "$out" "$BID" "$BP" || fail "RPC findprovs of B: $out"
out=$(js ask D "$TID" GET_VALUE "/ipns/$BID")
check "$out" 'd["record_b64"] == a[0]' "$REC"
out=$(js get D "/ipns/$BID" 20)
echo "D get: $(head -c 300 <<<"$out")"
check "$out" 'd["from"].get(a[0]) == a[1] and d["best_b64"] == a[1]' "$TID" "$REC"
echo "ok 4: trove stores js B's provider and IPNS records and serves them to js D"

# ---- 5. IPNS trove -> js
TNAME=$(tr name publish -Q "/ipfs/$TCID") || fail "trove name publish"
tr routing get "/ipns/$TID" >"$WORK/t.rec" || fail "trove routing get /ipns/T"
TREC=$(base64 -w0 "$WORK/t.rec")
out=$(js get C "/ipns/$TID" 20)
echo "C get: $(head -c 300 <<<"$out")"
check "$out" 'd["value"] == "/ipfs/" + a[0] and d["best_b64"] == a[1]' "$TCID" "$TREC"
check "$out" 'd["from"].get(a[0]) == a[1]' "$AID" "$TREC"
tr name publish "/ipfs/$BCID" >/dev/null || fail "second publish"
tr routing get "/ipns/$TID" >"$WORK/t2.rec"
TREC2=$(base64 -w0 "$WORK/t2.rec")
[ "$TREC2" != "$TREC" ] || fail "the second publish did not change trove's record"
out=$(js get C "/ipns/$TID" 20)
check "$out" 'd["value"] == "/ipfs/" + a[0] and d["best_b64"] == a[1]' "$BCID" "$TREC2"
echo "ok 5: js validates and gets trove's IPNS record ($TNAME) and its update"

# ---- 6. peer routing
out=$(js start E); EID=$(field "$out" '["id"]')
EP=$(field "$out" '["addrs"][0]' | sed 's#.*/tcp/\([0-9]*\)/.*#\1#')
js dial E "$AMA" >/dev/null
js waitrt E "$AID" 40 >/dev/null
js waitrt A "$EID" 40 >/dev/null
out=$(tr routing findpeer "$EID") || fail "trove findpeer E: $out"
grep -q "^/ip4/127.0.0.1/tcp/$EP\$" <<<"$out" || fail "trove findpeer E: $out"
out=$(tr dht query "$EID") || fail "trove dht query E: $out"
grep -qx "$EID" <<<"$out" || fail "trove dht query E does not list E: $out"
out=$(js findpeer E "$TID" 20)
echo "E findpeer: $out"
check "$out" 'd["id"] == a[0] and f"/ip4/127.0.0.1/tcp/{a[1]}" in [x.split("/p2p/")[0] for x in d["addrs"]]' "$TID" "$TP"
echo "ok 6: trove finds js E through A, js E finds trove through A"

kill -0 "$DPID" || fail "trove died"
echo quit >&"${JS[1]}"
echo "dht_js: all ok"
