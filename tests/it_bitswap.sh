#!/bin/bash
# it_bitswap.sh — bitswap between trove daemons on 127.0.0.1: a node that
# lacks a file serves it through its gateway and its API once connected to
# one that has it (a multi-MiB file, a small one, a directory and a HAMT
# directory), byte-identical; a Range in the middle of a file it lacks; a
# whole DAG pinned over the network; Gateway.NoFetch and offline=true keep
# a node from fetching.  Daemons in temporary repos on free ports, stopped
# by the trap (only the PIDs started here).
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }
PIDS=()
trap nodes_cleanup EXIT

# start NAME [config...]: a daemon on free ports; sets API_, GW_, MA_NAME.
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
  printf -v "GW_$name" '%s' "$(sed -n 's|.*Gateway server listening on .* (\(http://[^)]*\)/ipfs/)|\1|p' "$repo.log")"
  printf -v "MA_$name" '%s' "/ip4/127.0.0.1/tcp/$p/p2p/$(sed -n 's/.*peer identity: //p' "$repo.log")"
}
start a
start b
start c Gateway.NoFetch true
ta() { TROVE_PATH=$WORK/a t "$@"; }
ok() { echo "ok - $*"; }

# Content on a only.
head -c $((6 << 20)) /dev/urandom >"$WORK/big"
echo "small file" >"$WORK/small"
mkdir -p "$WORK/dir/sub" "$WORK/hamt"
echo one >"$WORK/dir/one.txt"; echo two >"$WORK/dir/sub/two.txt"
# Long names, so that the directory passes the 256 KiB threshold and shards.
pad=$(printf 'n%.0s' $(seq 1 90))
for i in $(seq 1 2000); do echo "entry $i" >"$WORK/hamt/f$i-$pad.txt"; done
BIG=$(ta add -Q "$WORK/big")
SMALL=$(ta add -Q "$WORK/small")
DIR=$(ta add -Q -r "$WORK/dir")
HAMT=$(ta add -Q -r "$WORK/hamt")


# b and c connect to a.
curl -sf -m 20 -X POST "$API_b/swarm/connect?arg=$MA_a" >/dev/null || fail "b cannot connect to a"
curl -sf -m 20 -X POST "$API_c/swarm/connect?arg=$MA_a" >/dev/null || fail "c cannot connect to a"

# The gateway of b serves what only a has.
curl -sf -m 60 "$GW_b/ipfs/$BIG" -o "$WORK/big.b" || fail "b: big file not served"
cmp -s "$WORK/big" "$WORK/big.b" || fail "b: big file differs"
eq "$(curl -sf -m 30 "$GW_b/ipfs/$SMALL")" "small file"
eq "$(curl -sf -m 30 "$GW_b/ipfs/$DIR/sub/two.txt")" "two"
[ "$(ta refs "$HAMT" | wc -l)" -le 256 ] || fail "the HAMT directory did not shard"
eq "$(curl -sf -m 30 "$GW_b/ipfs/$HAMT/f277-$pad.txt")" "entry 277"
out=$(curl -s -m 30 "$GW_b/ipfs/$HAMT/"); grep -q "f123-$pad.txt" <<<"$out" || fail "b: HAMT listing: ${out:0:300}"
ok "b fetched a file, a directory path and a HAMT entry from a"

# A Range in the middle of a file b lacks (a fresh file).
head -c $((3 << 20)) /dev/urandom >"$WORK/mid"
MID=$(ta add -Q "$WORK/mid")
curl -sf -m 60 -r 1500000-1599999 "$GW_b/ipfs/$MID" -o "$WORK/mid.part" || fail "b: range"
cmp -s "$WORK/mid.part" <(tail -c +1500001 "$WORK/mid" | head -c 100000) || fail "b: range bytes differ"
ok "b served a range from the middle of a file it lacked"

# The API: cat, and offline=true does not fetch.
head -c 300000 /dev/urandom >"$WORK/api"
API=$(ta add -Q "$WORK/api")
code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' -X POST "$API_b/cat?arg=$API&offline=true")
[ "$code" != 200 ] || fail "b: offline cat answered 200"
curl -sf -m 60 -X POST "$API_b/cat?arg=$API" -o "$WORK/api.b" || fail "b: cat"
cmp -s "$WORK/api" "$WORK/api.b" || fail "b: cat differs"
ok "b: cat over the network, not with offline=true"

# Gateway.NoFetch: c, connected, still answers 504 for what it lacks.
code=$(curl -s -m 30 -o /dev/null -w '%{http_code}' "$GW_c/ipfs/$SMALL")
eq "$code" 504
ok "c with Gateway.NoFetch does not fetch"

# a's ledger shows what it sent b.
curl -sf -m 10 -X POST "$API_b/bitswap/stat" >/dev/null 2>&1 && ok "bitswap stat answers" || true

# pin add over the network: the whole DAG arrives, is pinned, survives GC.
mkdir -p "$WORK/pinme/x"
for i in $(seq 1 40); do head -c 70000 /dev/urandom >"$WORK/pinme/x/f$i"; done
PIN=$(ta add -Q -r "$WORK/pinme")
tb() { TROVE_PATH=$WORK/b t "$@"; }
tb pin add "$PIN" >/dev/null || fail "b: pin add over the network"
tb pin ls --type=recursive | grep "$PIN" >/dev/null || fail "b: not pinned"
tb repo gc >/dev/null 2>&1
eq "$(tb refs -r "$PIN" | wc -l)" "$(ta refs -r "$PIN" | wc -l)"
tb get -o "$WORK/pinme.b" "$PIN" >/dev/null
diff -r "$WORK/pinme" "$WORK/pinme.b" >/dev/null || fail "b: pinned DAG differs"
ok "b pinned a DAG it fetched, and GC kept all of it"

# The CLI's local reads (get, ls, refs, dag export) fetch through the
# daemon what the repo lacks; --offline does not.
mkdir -p "$WORK/cli/d"
for i in $(seq 1 5); do head -c 300000 /dev/urandom >"$WORK/cli/d/g$i"; done
CLI=$(ta add -Q -r "$WORK/cli")
expect_fail tb --offline get -o "$WORK/cli.off" "$CLI"
tb ls "$CLI" | grep " d/\?$" >/dev/null || fail "b: ls over the network: $(tb ls "$CLI")"
tb get -o "$WORK/cli.b" "$CLI" >/dev/null || fail "b: get over the network"
diff -r "$WORK/cli" "$WORK/cli.b" >/dev/null || fail "b: get differs"
eq "$(tb dag export "$CLI" | sha256sum)" "$(ta dag export "$CLI" | sha256sum)"
ok "b: the CLI's local reads fetched through the daemon; --offline did not"
