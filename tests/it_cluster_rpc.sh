#!/bin/bash
# it_cluster_rpc.sh — the requests IPFS Cluster's ipfshttp connector
# (ipfs-cluster v1.1.0, ipfsconn/ipfshttp/ipfshttp.go) sends to its node,
# replayed with curl against two `trove daemon`s, each answer checked the
# way the connector parses it (so this holds where the real cluster,
# tests/interop/cluster_trove.sh, is not installed):
#   id                                   ID, Addresses (multiaddrs)
#   pin/ls?stream=true&arg=C&type=T      500 "... not pinned" when not
#                                        (ipfsUnpinnedError), else one
#                                        {"Cid","Type"} value
#   pin/add?arg=C&recursive=true&progress=true   NDJSON {"Progress"} ...
#                                        {"Pins"}, fetched over bitswap
#   pin/update?arg=F&arg=T&unpin=false   both pinned after
#   pin/ls?stream=true&type=recursive|direct    one value per pin
#   pin/rm?arg=C                         again: 500 "not pinned or pinned
#                                        indirectly" (ErrNotPinned, which
#                                        the connector treats as done)
#   repo/stat?size-only=true             RepoSize, StorageMax numbers
#   repo/gc?stream-errors=true           {"Key":{"/":cid}} values
#   resolve?arg=/ipfs/C/sub              {"Path":"/ipfs/<cid>"}
#   swarm/connect, swarm/peers           {"Peers":[{"Peer"}]}
#   block/put?cid-codec&mhtype&mhlen&pin=false&allow-big-block  several
#                                        parts: one {"Key","Size"} each
#   block/get?arg=C                      the bytes
#   config/show                          Datastore.StorageMax
# Every request is a POST with an empty Content-Type, as the connector's.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }
PIDS=()
cleanup() {
  local rc=$? bad=0
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for l in "$WORK"/*.log; do
    if grep -q -E 'Sanitizer|runtime error' "$l" 2>/dev/null; then
      echo "sanitizer report in $l:"; cat "$l"; bad=1
    fi
  done
  rm -rf "$WORK"
  [ $bad = 0 ] || exit 1
  exit $rc
}
trap cleanup EXIT
start() {
  local repo=$1
  TROVE_PATH=$repo t init >/dev/null
  TROVE_PATH=$repo t config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$(port)\"]" >/dev/null
  TROVE_PATH=$repo t config --json Bootstrap '[]' >/dev/null
  TROVE_PATH=$repo "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >"$repo.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do grep -q "Daemon is ready" "$repo.log" 2>/dev/null && break; sleep 0.05; done
  [ -s "$repo/api" ] || fail "daemon did not start: $(cat "$repo.log")"
  API="http://127.0.0.1:$(sed 's|.*/tcp/||' "$repo/api")/api/v0"
}
# post URL [curl args]: the connector's request; body to stdout, status
# to $WORK/code.  Without a body, an empty Content-Type (Go sends the
# header the connector sets to ""); with -F, curl's multipart one.
post() {
  local u=$1 ct=(-H 'Content-Type;'); shift
  [[ " $* " == *" -F "* ]] && ct=()
  curl -sS -X POST "${ct[@]}" -o "$WORK/body" -w '%{http_code}' "$@" "$u" >"$WORK/code"
  cat "$WORK/body"
}
code() { cat "$WORK/code"; }
js() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# Go's json.Decoder over a stream of values: each on its own, as NDJSON.
jl() { python3 -c "import json,sys; [print($1) for d in map(json.loads, filter(None, sys.stdin.read().split('\n')))]"; }

start "$WORK/a"; A=$API
start "$WORK/b"; B=$API

# ---------------------------------------------------------------- id
out=$(post "$A/id"); eq "$(code)" 200 "id"
AID=$(echo "$out" | js 'd["ID"]')
AADDR=$(echo "$out" | js 'd["Addresses"][0]')
[[ "$AID" == 12D3KooW* ]] || fail "id: ID $AID"
[[ "$AADDR" == /ip4/127.0.0.1/tcp/*/p2p/$AID ]] || fail "id: address $AADDR"

# ------------------------------------------------- content on A only
D=$WORK/data; mkdir -p "$D/tree/sub"
head -c 900000 /dev/urandom >"$D/tree/big.bin"
printf 'x\n' >"$D/tree/sub/x.txt"
C=$(TROVE_PATH=$WORK/a t add -Q -r "$D/tree")
SUB=$(TROVE_PATH=$WORK/a t add -n -Q -r "$D/tree/sub")
F=$(printf 'from\n' | TROVE_PATH=$WORK/a t add -Q)

# ---------------------------------------- swarm/connect, swarm/peers
post "$B/swarm/connect?arg=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$AADDR")" >/dev/null
eq "$(code)" 200 "swarm/connect"
eq "$(post "$B/swarm/peers" | js '[p["Peer"] for p in d["Peers"]]')" "['$AID']" "swarm/peers"

# ------------------------------------- PinLsCid of what is not pinned
out=$(post "$B/pin/ls?stream=true&arg=$C&type=recursive")
eq "$(code)" 500 "pin/ls of an unpinned CID"
[[ "$(echo "$out" | js 'd["Message"]')" == *"not pinned" ]] || fail "pin/ls message: $out"

# ------------------------------------------- pin/add with progress
out=$(post "$B/pin/add?arg=$C&recursive=true&progress=true")
eq "$(code)" 200 "pin/add"
# Every line a JSON value of ipfsPinsResp {Pins []string, Progress int}.
echo "$out" | jl 'd' >/dev/null || fail "pin/add stream: $out"
echo "$out" | jl '(d.get("Progress",0) >= 0) and isinstance(d.get("Progress",0), int) and isinstance(d.get("Pins",[]), list) or exit(1)' >/dev/null ||
  fail "pin/add values: $out"
eq "$(echo "$out" | tail -n 1 | js 'd["Pins"]')" "['$C']" "pin/add last value"
out=$(post "$B/pin/ls?stream=true&arg=$C&type=recursive")
eq "$(code)" 200 "PinLsCid"
eq "$(echo "$out" | js 'd["Cid"]+" "+d["Type"]')" "$C recursive" "PinLsCid"

# ------------------------------------------------------ pin/update
post "$A/pin/add?arg=$F&recursive=true" >/dev/null   # from, pinned on A
post "$B/pin/add?arg=$F&recursive=true" >/dev/null
out=$(post "$B/pin/update?arg=$F&arg=$SUB&unpin=false")
eq "$(code)" 200 "pin/update: $out"
eq "$(echo "$out" | js 'd["Pins"]')" "['$F', '$SUB']" "pin/update answer"
post "$B/pin/update?arg=$F&arg=$SUB&unpin=false" >/dev/null
eq "$(code)" 500 "pin/update onto a recursive pin"
post "$B/pin/update?arg=$C&arg=$F" >/dev/null   # C on B is pinned: from ok
eq "$(code)" 500 "pin/update onto F (pinned recursively)"
post "$B/pin/update?arg=$SUB" >/dev/null
eq "$(code)" 400 "pin/update with one argument"

# ------------------------------------------------ PinLs by type
ls=$(post "$B/pin/ls?stream=true&type=recursive" | jl 'd["Cid"]+" "+d["Type"]' | sort)
eq "$ls" "$(printf '%s recursive\n' "$C" "$F" "$SUB" | sort)" "PinLs recursive"
eq "$(post "$B/pin/ls?stream=true&type=direct")" "" "PinLs direct (none)"
eq "$(code)" 200 "PinLs direct"

# ----------------------------------------------------------- pin/rm
post "$B/pin/rm?arg=$F" >/dev/null; eq "$(code)" 200 "pin/rm"
out=$(post "$B/pin/rm?arg=$F"); eq "$(code)" 500 "pin/rm twice"
eq "$(echo "$out" | js 'd["Message"]')" "not pinned or pinned indirectly" "ErrNotPinned"

# --------------------------------------------------------- repo/stat
out=$(post "$B/repo/stat?size-only=true"); eq "$(code)" 200 "repo/stat"
echo "$out" | js 'isinstance(d["RepoSize"], int) and d["RepoSize"] > 900000 and isinstance(d["StorageMax"], int) or exit(1)' >/dev/null ||
  fail "repo/stat: $out"

# ----------------------------------------------------------- repo/gc
out=$(post "$B/repo/gc?stream-errors=true"); eq "$(code)" 200 "repo/gc"
eq "$(echo "$out" | jl 'd["Key"]["/"]')" "$F" "repo/gc removed F only"

# ----------------------------------------------------------- resolve
out=$(post "$B/resolve?arg=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1], safe=""))' "/ipfs/$C/sub")")
eq "$(code)" 200 "resolve"
eq "$(echo "$out" | js 'd["Path"]')" "/ipfs/$SUB" "resolve"
post "$B/resolve?arg=/ipfs/$C/nope" >/dev/null; eq "$(code)" 500 "resolve of a missing link"

# ------------------------------------------------ block/put (stream)
printf 'one' >"$WORK/b1"; printf 'two' >"$WORK/b2"
out=$(post "$B/block/put?cid-codec=raw&mhlen=32&mhtype=sha2-256&pin=false&allow-big-block=true" \
  -F "file=@$WORK/b1;filename=x1" -F "file=@$WORK/b2;filename=x2")
eq "$(code)" 200 "block/put"
k1=$(TROVE_PATH=$WORK/a t add -n -Q --raw-leaves --cid-version=1 "$WORK/b1")
k2=$(TROVE_PATH=$WORK/a t add -n -Q --raw-leaves --cid-version=1 "$WORK/b2")
eq "$(echo "$out" | jl 'd["Key"]+" "+str(d["Size"])')" "$(printf '%s 3\n%s 3' "$k1" "$k2")" "block/put values"
eq "$(post "$B/block/get?arg=$k2")" two "block/get"

# ------------------------------------------------------- config/show
out=$(post "$B/config/show"); eq "$(code)" 200 "config/show"
echo "$out" | js 'd["Datastore"]["StorageMax"]' >/dev/null || fail "config/show: no Datastore.StorageMax"
echo "it_cluster_rpc: ok"
