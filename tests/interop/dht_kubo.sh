#!/bin/bash
# dht_kubo.sh — trove's DHT against Kubo (v0.43.1) over the LAN DHT
# (/ipfs/lan/kad/1.0.0) on 127.0.0.1, both directions:
#
#   1. Kubo A (the hub) and trove T start, T dials A; each enters the
#      other's LAN routing table (identify lists the protocol; Kubo checks
#      T with a FIND_NODE before admitting it).
#   2. trove provides: `trove routing provide CID` sends ADD_PROVIDER to A.
#      A fresh Kubo C that knows only A finds T as provider, with T's
#      127.0.0.1 address (A answered C's GET_PROVIDERS from what T stored).
#      2b: `trove add` announces its root by itself; 2c: twelve CIDs in
#      one `routing provide` (a one-shot sweep): C finds each; 2d: Kubo's
#      own CLI runs `provide once -r` and `routing provide -r` against
#      trove's API: C finds the DAG's leaves.
#   3. Kubo provides: C adds a file (Kubo announces it); `trove routing
#      findprovs` finds C — T never met C: its lookup went through A.
#   4. `trove routing findpeer C` gives C's address; `trove dht query`
#      lists the hub.
#   5. IPNS: C publishes its name; `trove routing get /ipns/C` returns a
#      record that is C's (same bytes as `ipfs routing get` on A).
#   6. Hostile answers do not crash or stall: an unknown CID gives no
#      provider, a bad CID is refused.
# Every wait is bounded; every process is stopped by the traps.  Skipped
# (passes) when Kubo is not installed.
INTEROP_TIMEOUT=600 INTEROP_DHT_KUBO=1
source "$(dirname "$0")/lib/trove_lib.sh"
tr() { timeout 60 "$TROVE" "$@"; }

# --- 1. the hub and trove
kubo_new 0
kubo_start 0
trove_p2p_init
tr config --json Bootstrap "[\"${KUBO_ADDR[0]}\"]" >/dev/null
tr config --json Routing.LoopbackAddressesOnLanDHT true >/dev/null
tr config Ipns.RepublishPeriod 3s >/dev/null
interop_daemon
GWP=$GPORT TP=$TPORT
[ -n "$TID" ] || fail "no trove peer identity"
# The Bootstrap entry dialled the hub; both tables must now hold the other.
kubo_wait_rt_has 0 "$TID" 30 || fail "the hub's LAN table never held trove"
for _ in $(seq 100); do
  tr stats dht | grep "${KUBO_ID[0]}" >/dev/null && break
  sleep 0.2
done
tr stats dht | sed -n '/DHT lan/,$p' | grep "${KUBO_ID[0]}" >/dev/null ||
  fail "trove's LAN table does not hold the hub: $(tr stats dht)"
tr stats dht | sed -n '/DHT wan/,/DHT lan/p' | grep "${KUBO_ID[0]}" >/dev/null &&
  fail "the hub (loopback only) entered trove's WAN table"
echo "ok 1: trove and the hub are in each other's LAN tables"

# --- 2. trove provides; a Kubo that never met trove finds it
echo "trove's block $RANDOM $(date +%s%N)" >"$KUBO_WORK/t.txt"
TCID=$(tr add -Q "$KUBO_WORK/t.txt")
tr routing provide "$TCID" || fail "trove routing provide"
kubo_new 2
kubo_start 2
kubo_connect 2 0
kubo_wait_rt 2 1 30 || fail "C's table stayed empty"
kubo_wait_findprovs 2 "$TCID" "$TID" 30 ||
  fail "Kubo C does not find trove as provider of $TCID"
addrs=$(kubo_provider_addrs 2 "$TCID" "$TID")
grep -q "/ip4/127.0.0.1/tcp/$TP" <<<"$addrs" ||
  fail "trove's provider record lacks its address: $addrs"
echo "ok 2: Kubo finds trove's provider record (with $TP) through the hub"

# --- 2b. a plain `trove add` announces its root by itself
echo "announced by add $RANDOM $(date +%s%N)" >"$KUBO_WORK/t2.txt"
T2=$(tr add -Q "$KUBO_WORK/t2.txt")
kubo_wait_findprovs 2 "$T2" "$TID" 30 ||
  fail "Kubo C does not find trove for $T2 (added, not provided by hand)"
echo "ok 2b: trove add announces the new root"

# --- 2c. many CIDs in one `routing provide` (trove's one-shot sweep)
mkdir -p "$KUBO_WORK/batch"
for k in $(seq 12); do echo "batch $k $RANDOM $(date +%s%N)" >"$KUBO_WORK/batch/$k"; done
mapfile -t BC < <(tr block put "$KUBO_WORK"/batch/*) || fail "block put"
[ ${#BC[@]} = 12 ] || fail "block put gave ${#BC[@]} CIDs"
tr routing provide "${BC[@]}" || fail "trove routing provide of 12 CIDs"
for c in "${BC[@]}"; do
  kubo_wait_findprovs 2 "$c" "$TID" 30 ||
    fail "Kubo C does not find trove for $c (one of 12 provided at once)"
done
echo "ok 2c: Kubo finds each of 12 CIDs trove provided in one call"

# --- 2d. Kubo's own CLI against trove's API: provide once -r, routing
# provide -r (Kubo 0.43's commands and flags); C finds the DAG's leaves
head -c 12288 /dev/urandom >"$KUBO_WORK/dag.bin"
DR=$(tr add -Q --pin=false --chunker=size-1024 "$KUBO_WORK/dag.bin") || fail "add"
mapfile -t DL < <(tr refs -r "$DR") || fail "refs -r"
kcli() { IPFS_PATH=$KUBO_WORK/k0 timeout 60 "$KUBO_BIN" --api="/ip4/127.0.0.1/tcp/$APORT" "$@"; }
out=$(kcli provide once -r "$DR" 2>&1) || fail "ipfs --api=trove provide once -r: $out"
[ "$out" = "queued $(( ${#DL[@]} + 1 )) CID(s) for immediate provide" ] ||
  fail "ipfs --api=trove provide once -r printed: $out"
out=$(kcli routing provide -r "$DR" 2>&1) || fail "ipfs --api=trove routing provide -r: $out"
for c in "${DL[0]}" "${DL[$(( ${#DL[@]} - 1 ))]}"; do
  kubo_wait_findprovs 2 "$c" "$TID" 30 || fail "Kubo C does not find trove for leaf $c"
done
echo "ok 2d: Kubo's CLI runs provide once -r and routing provide -r on trove; C finds the leaves"

# --- 3. Kubo provides; trove finds it through the hub
echo "kubo's block $RANDOM $(date +%s%N)" >"$KUBO_WORK/k.txt"
KCID=$(kubo 2 add -Q "$KUBO_WORK/k.txt")
kubo 2 routing provide "$KCID" >/dev/null 2>&1 || true
found=
for _ in $(seq 30); do
  out=$(tr routing findprovs "$KCID" 2>&1 || true)
  grep -qx "${KUBO_ID[2]}" <<<"$out" && { found=1; break; }
  sleep 1
done
[ -n "$found" ] || fail "trove does not find Kubo C for $KCID: $out"
echo "ok 3: trove finds Kubo's provider record"

# --- 4. findpeer, dht query
out=$(tr routing findpeer "${KUBO_ID[2]}") || fail "findpeer: $out"
grep -q "/ip4/127.0.0.1/tcp/${KUBO_SWARM_PORT[2]}" <<<"$out" ||
  fail "findpeer C: $out"
out=$(tr dht query "${KUBO_ID[2]}") || fail "dht query: $out"
grep -qx "${KUBO_ID[0]}" <<<"$out" || grep -x "${KUBO_ID[2]}" >/dev/null <<<"$out" ||
  fail "dht query: $out"
echo "ok 4: findpeer and dht query"

# --- 5. IPNS: Kubo's name, read by trove from the DHT
kubo 2 name publish --allow-offline "/ipfs/$KCID" >/dev/null
kubo_wait_resolve 0 "${KUBO_ID[2]}" "/ipfs/$KCID" 30 ||
  fail "the hub does not resolve C's name"
tr routing get "/ipns/${KUBO_ID[2]}" >"$KUBO_WORK/t.rec" ||
  fail "trove routing get /ipns/C"
kubo 0 routing get "/ipns/${KUBO_ID[2]}" >"$KUBO_WORK/k.rec"
cmp -s "$KUBO_WORK/t.rec" "$KUBO_WORK/k.rec" ||
  fail "trove's record for C differs from the hub's"
out=$(tr name resolve "/ipns/${KUBO_ID[2]}") || fail "trove name resolve C: $out"
[ "$out" = "/ipfs/$KCID" ] || fail "trove resolves C's name to '$out'"
# The gateway's /ipns/ resolves C's name through the DHT (base58 and
# base36 forms: the base58 one is redirected to the other), and fetches the block it points at from C over bitswap.
body=$(curl -sL -m 60 "http://127.0.0.1:$GWP/ipns/${KUBO_ID[2]}")
[ "$body" = "$(cat "$KUBO_WORK/k.txt")" ] ||
  fail "gateway /ipns/C: $body"
CK=$(kubo 2 name publish --allow-offline -Q "/ipfs/$KCID")
body=$(curl -s -m 60 "http://127.0.0.1:$GWP/ipns/$CK")
[ "$body" = "$(cat "$KUBO_WORK/k.txt")" ] || fail "gateway /ipns/$CK: $body"
code=$(curl -s -m 60 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GWP/ipns/example.com/")
[ "$code" = 500 ] || fail "a DNSLink name without a DNSLink answered $code"
nobody=k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GWP/ipns/$nobody")
[ "$code" = 500 ] || fail "a name nobody published answered $code (boxo: 500)"
echo "ok 5: trove gets and resolves Kubo's IPNS record from the DHT; the gateway serves /ipns/"

# --- 5b. IPNS: trove's name, resolved by Kubo (C asks the network)
out=$(tr name publish "$TCID") || fail "trove name publish: $out"
TNAME=$(tr name publish -Q "/ipfs/$TCID") || fail "name publish -Q"
grep -q "^Published to $TNAME: /ipfs/$TCID\$" <<<"$out" ||
  fail "name publish printed '$out' (name $TNAME)"
kubo_wait_resolve 2 "$TNAME" "/ipfs/$TCID" 30 ||
  fail "Kubo C does not resolve trove's name $TNAME"
out=$(tr name resolve) || fail "trove name resolve (self): $out"
[ "$out" = "/ipfs/$TCID" ] || fail "trove resolves its own name to '$out'"
# A second publish has a higher sequence: Kubo follows it.
out=$(tr name publish "$KCID") || fail "second publish: $out"
kubo_wait_resolve 2 "$TNAME" "/ipfs/$KCID" 30 ||
  fail "Kubo C does not follow trove's second record"
# The republisher (Ipns.RepublishPeriod 3s here) re-signs the record with
# the next sequence, and Kubo validates what the DHT holds.
ipns_seq() { tr routing get "/ipns/$TID" | kubo 0 name inspect --enc=json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["Entry"]["Sequence"])'; }
s1=$(ipns_seq) || fail "name inspect of trove's record"
sleep 7
s2=$(ipns_seq)
[ "$s2" -gt "$s1" ] || fail "no republish: sequence $s1 then $s2"
tr routing get "/ipns/$TID" >"$KUBO_WORK/t2.rec" || fail "routing get of trove's name"
out=$(kubo 0 name inspect --verify "$TNAME" <"$KUBO_WORK/t2.rec" 2>&1)
grep -q "Valid: true" <<<"$out" ||
  fail "Kubo does not verify trove's republished record: $out"
# trove's name, back on trove's own file: the gateway serves it through
# /ipns/, by the record the DHT gives back.
tr name publish "$TCID" >/dev/null || fail "third publish"
body=$(curl -sfL "http://127.0.0.1:$GWP/ipns/$TNAME") || fail "gateway /ipns/TNAME"
[ "$body" = "$(cat "$KUBO_WORK/t.txt")" ] || fail "gateway /ipns/TNAME served '$body'"
echo "ok 5b: Kubo resolves trove's IPNS name, its update and its republication ($s1 -> $s2)"

# --- 6. refusals
unknown=bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy
out=$(tr routing findprovs "$unknown" 2>&1) || fail "findprovs unknown: $out"
[ -z "$out" ] || fail "a provider for a CID nobody has: $out"
if tr routing findprovs not-a-cid >/dev/null 2>&1; then
  fail "findprovs accepted a bad CID"
fi
kill -0 "$DPID" || fail "trove died"
echo "ok 6: refusals"

# --- 7. a restart keeps the table (and records) from the repo: with no
# Bootstrap left, trove still knows the hub and finds C's record.
interop_daemon_stop
mv "$WORK/daemon.log" "$WORK/daemon1.log"
tr config --json Bootstrap '[]' >/dev/null
# Added while the daemon is down: nobody announced it.  The reprovider's
# first sweep (Provide.DHT.Interval 20s, Provide.Strategy all: the
# default) must.
echo "swept $RANDOM $(date +%s%N)" >"$KUBO_WORK/t3.txt"
T3=$(tr add -Q "$KUBO_WORK/t3.txt")
tr config Provide.DHT.Interval 20s >/dev/null
interop_daemon
grep -q "restored" "$WORK/daemon.log" || { cat "$WORK/daemon.log"; fail "nothing restored at start"; }
tr stats dht | sed -n '/DHT lan/,$p' | grep "${KUBO_ID[0]}" >/dev/null ||
  fail "the hub is not in the restored table"
found=
for _ in $(seq 20); do
  out=$(tr routing findprovs "$KCID" 2>&1 || true)
  grep -qx "${KUBO_ID[2]}" <<<"$out" && { found=1; break; }
  sleep 1
done
[ -n "$found" ] || fail "after the restart, no provider for $KCID: $out"
echo "ok 7: the table and records survive a restart"

# --- 8. the reprovider announced what was added offline
kubo_wait_findprovs 2 "$T3" "$TID" 40 ||
  fail "the reprovider did not announce $T3: $(tr provide stat)"
st=$(tr provide stat)
grep -qE "Keys +[1-9]" <<<"$st" || fail "provide stat: $st"
echo "ok 8: the sweep reprovider announced a root added offline"
# Under ASan (make check), the first daemon's shutdown ran the leak check.
if grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$WORK"/daemon*.log; then
  fail "sanitizer report in trove's log"
fi
echo "dht_kubo: all ok"
