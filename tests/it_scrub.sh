#!/bin/bash
# it_scrub.sh — scrub and repair between two trove daemons on 127.0.0.1:
# the same archive (a 4 MiB file and a HAMT directory of 2000 files) is
# pinned on both; node A is stopped, one block of the file has a byte
# flipped inside A's data.mdb and a HAMT shard is removed (its bytes
# damaged, then `repo verify --drop`); A restarts, connects to B, and its
# scrubber (`trove mirror scrub start`) finds both, logs them by CID and
# fetches them again from B with no other step.  At the end every block
# of the DAG is on A and hashes right (`repo verify`, `pin verify`, the
# same `refs -r` as B), and the status counts 1 corrupt, 1 missing, 2
# repaired.  Daemons in temporary repos on free ports; the trap stops only
# the PIDs started here.
source "$(dirname "$0")/lib.sh"
trap nodes_cleanup EXIT
ta() { TROVE_PATH=$WORK/a t "$@"; }
tb() { TROVE_PATH=$WORK/b t "$@"; }

# init NAME [key json]...: a repo with a swarm port of its own.
init() {
  local name=$1 repo=$WORK/$1 p
  shift
  p=$(port)
  TROVE_PATH=$repo t init >/dev/null
  TROVE_PATH=$repo t config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$p\"]" >/dev/null
  TROVE_PATH=$repo t config --json Bootstrap '[]' >/dev/null
  TROVE_PATH=$repo t config Routing.Type none >/dev/null
  while [ $# -gt 0 ]; do TROVE_PATH=$repo t config --json "$1" "$2" >/dev/null; shift 2; done
  printf -v "PORT_$name" '%s' "$p"
}
# start NAME: its daemon; sets PID_NAME and MA_NAME.
start() {
  local name=$1 repo=$WORK/$1 p
  TROVE_PATH=$repo timeout --foreground 300 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >>"$repo.log" 2>&1 &
  PIDS+=($!)
  printf -v "PID_$name" '%s' "$!"
  for _ in $(seq 200); do grep -q "Daemon is ready" "$repo.log" && break; sleep 0.05; done
  grep -q "Daemon is ready" "$repo.log" || fail "daemon $name did not start: $(cat "$repo.log")"
  p=PORT_$name
  printf -v "MA_$name" '%s' "/ip4/127.0.0.1/tcp/${!p}/p2p/$(sed -n 's/.*peer identity: //p' "$repo.log" | tail -1)"
}

# Scrubbing on A, as fast as the machine goes; passes only on request;
# quick retries.  B keeps the archive and serves it.
init a Mirror.Scrub.Rate '"1GiB"' Mirror.Scrub.Interval '"0"' \
  Mirror.Scrub.RetryDelay '"1s"' Mirror.Scrub.FetchTimeout '"20s"'
init b

mkdir -p "$WORK/arch/hamt"
head -c $((4 << 20)) /dev/urandom >"$WORK/arch/big.bin"
# Long names, so that the directory passes the 256 KiB threshold and
# shards (the CLI has no option to lower the threshold).
pad=$(printf 'n%.0s' $(seq 1 90))
for i in $(seq 1 2000); do echo "entry $i" >"$WORK/arch/hamt/f$i-$pad.txt"; done
ROOT=$(ta add -Q -r "$WORK/arch")
eq "$(tb add -Q -r "$WORK/arch")" "$ROOT" "(the same archive on B)"
BIG=$(ta add -Q "$WORK/arch/big.bin")
HAMT=$(ta ls "$ROOT" | awk '$3 == "hamt/" || $NF == "hamt/" || $NF == "hamt" {print $1}')
[ -n "$HAMT" ] || fail "no hamt in $(ta ls "$ROOT")"
LEAF=$(ta refs "$BIG" | sed -n 3p)
SHARD=$(ta refs "$HAMT" | sed -n 2p)
[ -n "$LEAF" ] && [ -n "$SHARD" ] || fail "no leaf or shard"
ta block get "$LEAF" >"$WORK/leaf.bin"
ta block get "$SHARD" >"$WORK/shard.bin"
[ "$(head -c 2 "$WORK/shard.bin" | od -An -tx1 | tr -d ' ')" != "" ] || fail "empty shard"
ok "archive $ROOT on both; leaf $LEAF, shard $SHARD"

# The damage, with A stopped: the shard removed, then the leaf corrupted.
flip "$WORK/a" "$WORK/shard.bin"
ta repo verify --drop >/dev/null 2>&1 && fail "verify --drop saw no damage"
if ta block stat "$SHARD" >/dev/null 2>&1; then fail "shard still there"; fi
flip "$WORK/a" "$WORK/leaf.bin"
out=$(ta repo verify 2>&1) && fail "verify missed the corrupt leaf: $out"
grep -q "$LEAF" <<<"$out" || fail "verify: $out"
ok "one block corrupt, one missing on A"

start a
start b
tb swarm connect "$MA_a" >/dev/null || fail "b cannot connect to a"
ta mirror scrub status | grep "^pass: 0$" >/dev/null || fail "a pass before start: $(ta mirror scrub status)"
ta mirror scrub start | grep started >/dev/null || fail "scrub start"

for _ in $(seq 600); do
  st=$(ta mirror scrub status)
  if grep -q "^repaired: 2$" <<<"$st" && grep -q "^phase: idle$" <<<"$st" &&
     grep -q "^repairs pending: 0$" <<<"$st"; then break; fi
  sleep 0.1
done
grep -q "^repaired: 2$" <<<"$st" || fail "not repaired: $st"
grep -q "^corrupt found: 1$" <<<"$st" || fail "corrupt count: $st"
grep -q "^missing found: 1$" <<<"$st" || fail "missing count: $st"
grep -q "^pass: 1$" <<<"$st" || fail "pass: $st"
grep -q "^cursor: 100.0%$" <<<"$st" || fail "cursor: $st"
ok "A's scrubber found and repaired both: $(echo "$st" | tr '\n' ';')"

# Logged by CID: the corrupt leaf (as raw, the store's key), the missing
# shard, the repairs.
grep -q "scrub: corrupt block $LEAF" "$WORK/a.log" || fail "no log of the corrupt leaf"
grep -q "scrub: block $SHARD of the pinned DAG .* is missing" "$WORK/a.log" || fail "no log of the missing shard"
grep -q "scrub: repaired missing block $SHARD" "$WORK/a.log" || fail "no log of the shard's repair"
grep -q "scrub: repaired corrupt block $LEAF" "$WORK/a.log" || fail "no log of the leaf's repair"
ok "findings and repairs logged"

# The API answers the same figures in JSON.
API_a="http://127.0.0.1:$(sed 's|.*/tcp/||' "$WORK/a/api")/api/v0"
j=$(curl -sf -m 10 -X POST "$API_a/mirror/scrub/status") || fail "status API"
echo "$j" | python3 -c 'import json,sys; o=json.load(sys.stdin); t=o["Totals"]; assert o["Enabled"] and t["Repaired"]==2 and t["Corrupt"]==1 and t["Missing"]==1 and o["Phase"]=="idle", o' \
  || fail "status JSON: $j"
ok "status API"

# The metrics and the status page say the same (node/obs_mirror.c).
base="http://127.0.0.1:$(sed 's|.*/tcp/||' "$WORK/a/api")"
m=$(curl -sf -m 10 "$base/debug/metrics/prometheus") || fail "metrics"
for want in "trove_scrub_corrupt_total 1" "trove_scrub_missing_total 1" \
            "trove_scrub_repaired_total 2" "trove_scrub_repairs_pending 0"; do
  grep -qx "$want" <<<"$m" || fail "metrics lack '$want': $(grep trove_scrub <<<"$m")"
done
curl -sf -m 10 "$base/status.json" | python3 -c '
import json, sys
o = json.load(sys.stdin); leaf, shard = sys.argv[1:3]
assert o["scrub"]["Totals"]["Repaired"] == 2, o["scrub"]
r = {(x["cid"], x["what"]) for x in o["repairs"]}
assert r == {(leaf, "corrupt"), (shard, "missing")}, o["repairs"]
' "$LEAF" "$SHARD" || fail "status.json's scrub and repairs"
ok "metrics and status page"

# Everything verified on A: every block present and intact, and the same
# DAG as B's.
out=$(ta repo verify 2>&1) || fail "repo verify after repair: $out"
grep -q "all intact" <<<"$out" || fail "repo verify: $out"
ta pin verify >/dev/null 2>&1 || fail "pin verify: $(ta pin verify 2>&1)"
diff <(ta refs -r "$ROOT" --offline | sort) <(tb refs -r "$ROOT" | sort) >/dev/null \
  || fail "A's DAG differs from B's"
n=$(ta refs -r -u "$ROOT" --offline | wc -l)
[ "$n" -gt 2000 ] || fail "only $n blocks in the DAG"
cmp <(ta cat --offline "$ROOT/big.bin") "$WORK/arch/big.bin" || fail "big.bin differs"
ok "all $n blocks of the DAG present and verified on A"
node_stop a
node_stop b
echo ok
