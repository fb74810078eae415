#!/bin/bash
# it_bitswap_rpc.sh — Kubo's bitswap and bandwidth commands on trove
# daemons on 127.0.0.1: b fetches a file only a has, then both sides'
# counters must agree (bitswap/stat: BlocksReceived on b = the blocks of
# the file = BlocksSent on a, DataReceived on b = DataSent on a >= the
# file's size; bitswap/ledger on each side names the other with Sent/Recv
# and Exchanged matching; stats/bw: wire bytes at least the file, per peer
# and per protocol); the wantlists are empty after, and while b waits for
# a block nobody has, it is on b's wantlist, on a's view of b's wantlist,
# and b is among a's partners.  Errors: a bad peer ID, a missing argument,
# peer and proto together, a bad interval, a node without bitswap (Kubo's
# offline answers), the CLI without a daemon.  The CLI's text is Kubo's.
# Key sets are Kubo v0.43.1's (pinned below from its answers); when Kubo
# is installed, a Kubo node also fetches from a and its own answers are
# compared with trove's: same keys, and its ledger of a mirrors a's of it.
# Daemons in temporary repos on free ports, stopped by the trap (only the
# PIDs started here).
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }
IPFS=${IPFS_BIN:-/root/go/bin/ipfs}
PIDS=()
trap nodes_cleanup EXIT

# start NAME [config...]: a daemon on free ports; sets API_, ID_, MA_NAME.
start() {
  local name=$1 repo=$WORK/$1 p
  shift
  p=$(port)
  TROVE_PATH=$repo t init >/dev/null
  TROVE_PATH=$repo t config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$p\"]" >/dev/null
  TROVE_PATH=$repo t config --json Bootstrap '[]' >/dev/null
  while [ $# -gt 0 ]; do TROVE_PATH=$repo t config --json "$1" "$2" >/dev/null; shift 2; done
  TROVE_PATH=$repo timeout --foreground 300 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >"$repo.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 200); do grep -q "Daemon is ready" "$repo.log" && break; sleep 0.05; done
  grep -q "Daemon is ready" "$repo.log" || fail "daemon $name did not start: $(cat "$repo.log")"
  printf -v "API_$name" '%s' "http://127.0.0.1:$(sed 's|.*/tcp/||' "$repo/api")/api/v0"
  printf -v "ID_$name" '%s' "$(sed -n 's/.*peer identity: //p' "$repo.log")"
  printf -v "MA_$name" '%s' "/ip4/127.0.0.1/tcp/$p/p2p/$(sed -n 's/.*peer identity: //p' "$repo.log")"
}
start a
start b
start off Bitswap.Libp2pEnabled false
ok() { echo "ok - $*"; }
api() { curl -s -m 30 -X POST "$1"; }
# py EXPR JSON...: evaluate EXPR over the parsed documents j[0], j[1]...
py() { python3 -c 'import json,sys; j=[json.loads(x) for x in sys.argv[2:]]; r=eval(sys.argv[1]); print(r)' "$@"; }
check() { [ "$(py "$@")" = True ] || fail "not true: $1 over ${*:2}"; }

# ---- a has a file, b fetches it
head -c 3000000 /dev/urandom >"$WORK/f"
SIZE=3000000
CID=$(TROVE_PATH=$WORK/a t add -Q "$WORK/f")
NBLK=$(( $(api "$API_a/refs?arg=$CID&recursive=true&unique=true" | grep -c Ref) + 1 ))
[ "$NBLK" -gt 1 ] || fail "the file should span several blocks: $NBLK"
sb0=$(api "$API_b/bitswap/stat")
check 'j[0]["BlocksReceived"]==0 and j[0]["Wantlist"]==[] and j[0]["Peers"]==[]' "$sb0"
api "$API_b/swarm/connect?arg=$MA_a" | grep success >/dev/null || fail "b cannot connect to a"
api "$API_b/cat?arg=$CID" | cmp -s - "$WORK/f" || fail "b did not fetch the file"

sa=$(api "$API_a/bitswap/stat"); sb=$(api "$API_b/bitswap/stat")
# Kubo v0.43.1's key sets, in its order (boxo's Stat, Receipt; metrics.Stats).
STAT_KEYS='["Wantlist","Peers","BlocksReceived","DataReceived","DupBlksReceived","DupDataReceived","MessagesReceived","BlocksSent","DataSent"]'
LEDGER_KEYS='["Peer","Value","Sent","Recv","Exchanged"]'
BW_KEYS='["TotalIn","TotalOut","RateIn","RateOut"]'
check 'list(j[0])==j[2] and list(j[1])==j[2]' "$sa" "$sb" "$STAT_KEYS"
check 'j[1]["BlocksReceived"]=='"$NBLK"' and j[0]["BlocksSent"]=='"$NBLK" "$sa" "$sb"
check 'j[1]["DataReceived"]==j[0]["DataSent"]>='"$SIZE" "$sa" "$sb"
check 'j[1]["DupBlksReceived"]==0 and j[1]["DupDataReceived"]==0 and j[1]["MessagesReceived"]>0' "$sa" "$sb"
check 'j[0]["BlocksReceived"]==0 and j[1]["BlocksSent"]==0 and j[0]["MessagesReceived"]>0' "$sa" "$sb"
check 'j[0]["Wantlist"]==[] and j[1]["Wantlist"]==[]' "$sa" "$sb"
eq "$(api "$API_b/stats/bitswap")" "$sb" "(stats/bitswap is bitswap/stat)"
ok "bitswap/stat: $NBLK blocks, $(py 'j[0]["DataSent"]' "$sa") bytes, the same on both sides"

la=$(api "$API_a/bitswap/ledger?arg=$ID_b"); lb=$(api "$API_b/bitswap/ledger?arg=$ID_a")
check 'list(j[0])==j[2] and list(j[1])==j[2]' "$la" "$lb" "$LEDGER_KEYS"
check 'j[0]["Peer"]=="'"$ID_b"'" and j[1]["Peer"]=="'"$ID_a"'"' "$la" "$lb"
check 'j[0]["Sent"]==j[1]["Recv"]==j[2]["DataSent"] and j[0]["Recv"]==j[1]["Sent"]==0' "$la" "$lb" "$sa"
check 'j[0]["Exchanged"]==j[1]["Exchanged"]=='"$NBLK" "$la" "$lb"
check 'j[0]["Value"]==j[0]["Sent"] and j[1]["Value"]==0' "$la" "$lb"
# A peer we have no ledger of: zeros, as Kubo answers.
check 'j[0]=={"Peer":"'"$ID_off"'","Value":0,"Sent":0,"Recv":0,"Exchanged":0}' "$(api "$API_a/bitswap/ledger?arg=$ID_off")"
ok "bitswap/ledger: a sent b what b received from a"

eq "$(api "$API_b/bitswap/wantlist")" '{"Keys":[]}'
eq "$(api "$API_b/bitswap/wantlist?peer=$ID_b")" '{"Keys":[]}'
eq "$(api "$API_b/bitswap/wantlist?peer=$ID_a")" '{"Keys":null}'
eq "$(api "$API_a/bitswap/wantlist?peer=$ID_b")" '{"Keys":null}'
ok "bitswap/wantlist: empty after the fetch (null for a peer's, as Kubo)"

hdr=$(curl -s -m 10 -D - -o "$WORK/bw" -X POST "$API_b/stats/bw")
grep -qi '^X-Chunked-Output: 1' <<<"$hdr" || fail "stats/bw is not chunked output: $hdr"
bb=$(cat "$WORK/bw"); ba=$(api "$API_a/stats/bw")
bp=$(api "$API_b/stats/bw?peer=$ID_a"); bt=$(api "$API_b/stats/bw?proto=/ipfs/bitswap/1.2.0")
check 'all(list(x)==j[4] for x in j[:4])' "$bb" "$ba" "$bp" "$bt" "$BW_KEYS"
check 'j[0]["TotalIn"]>='"$SIZE"' and j[1]["TotalOut"]>='"$SIZE" "$bb" "$ba"
# b talks to a alone: its per-peer count is its total; bitswap is most of it.
check 'j[1]["TotalIn"]==j[0]["TotalIn"] and j[1]["TotalOut"]==j[0]["TotalOut"]' "$bb" "$bp"
check ''"$SIZE"'<=j[1]["TotalIn"]<=j[0]["TotalIn"] and 0<j[1]["TotalOut"]<=j[0]["TotalOut"]' "$bb" "$bt"
check 'j[0]["TotalIn"]==0 and j[0]["TotalOut"]==0' "$(api "$API_b/stats/bw?proto=/no/such/1.0.0")"
n=$(curl -s -N -m 3 -X POST "$API_b/stats/bw?poll=true&interval=200ms" | grep -c TotalIn || true)
[ "$n" -ge 2 ] || fail "stats/bw poll gave $n values"
ok "stats/bw: totals, per peer, per protocol, poll ($n values)"

# ---- errors, in Kubo's words and statuses
code() { curl -s -m 10 -o "$WORK/err" -w '%{http_code}' -X POST "$1"; }
eq "$(code "$API_a/bitswap/ledger?arg=foo")" 500
grep -q '"Message":"failed to parse peer ID: ' "$WORK/err" || fail "ledger bad peer: $(cat "$WORK/err")"
eq "$(code "$API_a/bitswap/ledger")" 400
grep -q 'argument \\"peer\\" is required' "$WORK/err" || fail "ledger no arg: $(cat "$WORK/err")"
eq "$(code "$API_a/bitswap/wantlist?peer=foo")" 500
grep -q 'failed to parse peer ID' "$WORK/err" || fail "wantlist bad peer: $(cat "$WORK/err")"
eq "$(code "$API_a/stats/bw?peer=foo")" 500
eq "$(code "$API_a/stats/bw?peer=$ID_b&proto=/ipfs/bitswap/1.2.0")" 400
eq "$(cat "$WORK/err")" '{"Message":"please only specify peer OR protocol","Code":1,"Type":"error"}'
eq "$(code "$API_a/stats/bw?interval=x")" 500
grep -q 'time: invalid duration' "$WORK/err" || fail "bad interval: $(cat "$WORK/err")"
eq "$(code "$API_off/bitswap/stat")" 400
eq "$(cat "$WORK/err")" '{"Message":"unable to run offline: this command must be run in online mode","Code":1,"Type":"error"}'
eq "$(code "$API_off/bitswap/wantlist")" 500
eq "$(cat "$WORK/err")" '{"Message":"this command must be run in online mode","Code":0,"Type":"error"}'
eq "$(code "$API_off/bitswap/ledger?arg=$ID_a")" 500
eq "$(code "$API_off/stats/bitswap")" 400
eq "$(code "$API_a/bitswap/reprovide")" 500
# Kubo's deprecated names: routing reprovide (the sweep provider's error)
# and stats provide (provide stat), in the CLI too.
err=$(TROVE_PATH=$WORK/a t routing reprovide 2>&1) && fail "routing reprovide ran"
grep -q "manual reprovide is not available with the sweep provider" <<<"$err" ||
  fail "routing reprovide said: $err"
eq "$(TROVE_PATH=$WORK/a t stats provide | sed -n 1p)" \
  "$(TROVE_PATH=$WORK/a t provide stat | sed -n 1p)"
ok "errors: bad peer IDs, a missing argument, peer with proto, offline"

# ---- the CLI prints Kubo's text
out=$(TROVE_PATH=$WORK/b t bitswap stat --human)
eq "$(sed -n 1,3p <<<"$out")" "$(printf 'bitswap status\n\tblocks received: %d\n\tblocks sent: 0' "$NBLK")"
eq "$(sed -n 4p <<<"$out")" "$(printf '\tdata received: 3.0 MB')"
eq "$(sed -n '$p' <<<"$out")" "$(printf '\tpartners [0]')"
out=$(TROVE_PATH=$WORK/a t bitswap ledger "$ID_b")
eq "$(sed -n 1,2p <<<"$out")" "$(printf 'Ledger for %s\nDebt ratio:\t%d.000000' "$ID_b" "$(py 'j[0]["Sent"]' "$la")")"
eq "$(sed -n 3p <<<"$out")" "$(printf 'Exchanges:\t%d' "$NBLK")"
eq "$(TROVE_PATH=$WORK/b t stats bw | sed -n 1,2p)" "$(printf 'Bandwidth\nTotalIn: 3.0 MB')"
eq "$(TROVE_PATH=$WORK/b t bitswap wantlist)" ""
expect_fail env TROVE_PATH=$WORK/b "$TROVE_BIN" bitswap ledger foo
# No daemon on this repo: Kubo's "online mode" error.
TROVE_PATH=$WORK/cold t init >/dev/null
err=$(TROVE_PATH=$WORK/cold t bitswap stat 2>&1 >/dev/null || true)
grep -q "must be run in online mode" <<<"$err" || fail "offline CLI: $err"
ok "CLI: bitswap stat, ledger, wantlist, stats bw in Kubo's text"

# ---- a want in flight: on b's wantlist and on a's view of it
MISSING=bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy
curl -s -m 20 -X POST "$API_b/cat?arg=$MISSING&timeout=8s" >/dev/null &
WPID=$!
PIDS+=($WPID)
for _ in $(seq 100); do
  api "$API_a/bitswap/wantlist?peer=$ID_b" | grep "$MISSING" >/dev/null && break
  sleep 0.1
done
eq "$(api "$API_b/bitswap/wantlist")" "{\"Keys\":[{\"/\":\"$MISSING\"}]}"
eq "$(api "$API_a/bitswap/wantlist?peer=$ID_b")" "{\"Keys\":[{\"/\":\"$MISSING\"}]}"
check 'j[0]["Peers"]==["'"$ID_b"'"] and j[1]["Wantlist"]==[{"/":"'"$MISSING"'"}]' \
  "$(api "$API_a/bitswap/stat")" "$(api "$API_b/bitswap/stat")"
eq "$(TROVE_PATH=$WORK/b t bitswap wantlist)" "$MISSING"
out=$(TROVE_PATH=$WORK/a t bitswap stat -v)
grep -q "$(printf '\tpartners \[1\]')" <<<"$out" && grep -q "$(printf '\t\t%s' "$ID_b")" <<<"$out" ||
  fail "stat -v does not list b: $out"
ok "a want in flight: b's wantlist, a's view of it, a's partners"
kill $WPID 2>/dev/null || true

# ---- Kubo fetches from a: its answers have the same keys, its ledger
# of a mirrors a's ledger of it.
if [ -x "$IPFS" ]; then
  export IPFS_PATH=$WORK/kubo
  "$IPFS" init --profile=test >/dev/null 2>&1
  "$IPFS" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$(port)\"]"
  "$IPFS" config Addresses.API /ip4/127.0.0.1/tcp/$(port)
  "$IPFS" config Addresses.Gateway /ip4/127.0.0.1/tcp/$(port)
  "$IPFS" config Routing.Type none
  "$IPFS" config --json Bootstrap '[]'
  timeout 120 "$IPFS" daemon >"$WORK/kubo.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 150); do grep -q "Daemon is ready" "$WORK/kubo.log" && break; sleep 0.2; done
  grep -q "Daemon is ready" "$WORK/kubo.log" || fail "Kubo did not start"
  KAPI="http://127.0.0.1:$(sed 's|.*/tcp/||' "$IPFS_PATH/api")/api/v0"
  KID=$("$IPFS" id -f '<id>')
  api "$KAPI/swarm/connect?arg=$MA_a" | grep success >/dev/null || fail "Kubo cannot connect to a"
  api "$KAPI/cat?arg=$CID" | cmp -s - "$WORK/f" || fail "Kubo did not fetch from a"
  ks=$(api "$KAPI/bitswap/stat"); kl=$(api "$KAPI/bitswap/ledger?arg=$ID_a")
  kw=$(api "$KAPI/bitswap/wantlist"); kb=$(api "$KAPI/stats/bw")
  ts=$(api "$API_a/bitswap/stat"); tl=$(api "$API_a/bitswap/ledger?arg=$KID")
  check 'list(j[0])==list(j[1])==j[2]' "$ks" "$ts" "$STAT_KEYS"
  check 'list(j[0])==list(j[1])==j[2]' "$kl" "$tl" "$LEDGER_KEYS"
  check 'list(j[0])==list(j[1])==j[2]' "$kb" "$(api "$API_a/stats/bw")" "$BW_KEYS"
  check 'j[0]==j[1]=={"Keys":[]}' "$kw" "$(api "$API_a/bitswap/wantlist")"
  check 'j[0]["Recv"]==j[1]["Sent"]==j[2]["DataReceived"] and j[0]["Exchanged"]==j[1]["Exchanged"]==j[2]["BlocksReceived"]' "$kl" "$tl" "$ks"
  check 'type(j[0]["Value"])==type(j[1]["Value"])==int' "$kl" "$tl"
  ok "Kubo: same keys; its ledger of a ($(py 'j[0]["Recv"]' "$kl") bytes) is a's of it"
else
  echo "skip: no Kubo at $IPFS (the key sets above are Kubo v0.43.1's)"
fi
