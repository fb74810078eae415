#!/bin/bash
# dht_kubo_probe.sh — Kubo <-> Kubo over Kubo's LAN DHT on 127.0.0.1 only
# (no bitswap lookups, no HTTP routers, no pubsub): the reference the trove
# DHT interop tests are built on (tests/interop/lib/dht_kubo_lib.sh,
# docs/notes-kubo-dht.md).  Not part of `make test`.
#
#   1. A (hub, node 0) and B (node 1, Provide.Strategy=pinned) start; B
#      dials A; each enters the other's LAN routing table, and B sees A
#      speak /ipfs/lan/kad/1.0.0 (not the WAN /ipfs/kad/1.0.0).
#   2. B announces four ways: `ipfs add` (fast-provide + sweep), `block put`
#      + `pin add` (sweep provider only), `routing provide` (synchronous) and
#      `provide once` (sweep burst queue); one more block is added unpinned
#      and never announced.  B publishes IPNS names for its own key and for
#      a generated key.  A's findprovs lists B for the four, with B's
#      127.0.0.1 address, and not for the fifth.
#   3. B stops.  C (node 2) starts and dials only A.  C's findprovs and
#      name resolve must now be answered from the records A stored
#      (ADD_PROVIDER / PUT_VALUE from B): B is gone and C never met it.
# Every wait is bounded; every process is stopped by the trap.  Skipped
# (passes) when Kubo is not installed.
set -euo pipefail
cd "$(dirname "$0")/../../.."
source tests/interop/lib/dht_kubo_lib.sh
kubo_available || { echo "skip: no Kubo at $KUBO_BIN"; exit 0; }
kubo_lib_init
trap kubo_stop_all EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$KUBO_WORK"/k*.log; do echo "--- $f" >&2; tail -n 20 "$f" >&2; done
  exit 1
}
now() { date +%s%N; }
ms() { echo $(( ($(now) - $1) / 1000000 )); }

kubo_new 0 || fail "init A"
kubo_new 1 || fail "init B"
kubo_new 2 || fail "init C"
# B announces only what is pinned, so an unpinned block stays unannounced
# unless a command announces it.
kubo 1 config Provide.Strategy pinned
kubo_start 0 || fail "start A"
kubo_start 1 || fail "start B"
A=${KUBO_ID[0]} B=${KUBO_ID[1]}
BPORT=${KUBO_SWARM_PORT[1]}

# ---- 1. routing tables
t=$(now)
kubo_connect 1 0 || fail "B: swarm connect A"
kubo_wait_rt_has 0 "$B" 30 || fail "B never entered A's LAN table"
echo "B in A's LAN table $(ms "$t") ms after connect"
kubo_wait_rt_has 1 "$A" 30 || fail "A never entered B's LAN table"
echo "A in B's LAN table $(ms "$t") ms after connect"
protos=$(kubo 1 id "$A" | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["Protocols"]))')
grep -qx /ipfs/lan/kad/1.0.0 <<<"$protos" || fail "A does not speak /ipfs/lan/kad/1.0.0: $protos"
grep -qx /ipfs/kad/1.0.0 <<<"$protos" && fail "A speaks the WAN /ipfs/kad/1.0.0 on loopback: $protos"
[ "$(kubo_rt_peers 0 | wc -l)" = 1 ] || fail "A's LAN table: $(kubo_rt_peers 0)"
[ -z "$(kubo 0 stats dht wan --enc=json | python3 -c 'import json,sys; print("".join(p["ID"] for b in json.load(sys.stdin).get("Buckets") or [] for p in b.get("Peers") or []))')" ] ||
  fail "A's WAN table is not empty on loopback"

# ---- 2. B announces; A finds
tag="$$-$(now)"
C_ADD=$(echo "add $tag" | kubo 1 add -q --cid-version=1)
# `block put --pin` announces nothing under the pinned strategy (Kubo
# 0.43); a later `pin add` hands the CID to the sweep provider.
C_PUT=$(echo "put $tag" | kubo 1 block put --cid-codec=raw)
kubo 1 pin add "$C_PUT" >/dev/null
C_ROUTING=$(echo "routing $tag" | kubo 1 add -q --pin=false --cid-version=1)
C_ONCE=$(echo "once $tag" | kubo 1 add -q --pin=false --cid-version=1)
C_NONE=$(echo "none $tag" | kubo 1 add -q --pin=false --cid-version=1)
t=$(now)
kubo 1 routing provide "$C_ROUTING" || fail "routing provide"
echo "routing provide returned after $(ms "$t") ms"
kubo 1 provide once "$C_ONCE" >/dev/null || fail "provide once"
for c in "$C_ADD" "$C_PUT" "$C_ROUTING" "$C_ONCE"; do
  t=$(now)
  kubo_wait_findprovs 0 "$c" "$B" 30 || fail "A does not find B providing $c"
  echo "A finds B for $c after $(ms "$t") ms"
done
out=$(kubo 0 routing findprovs "$C_NONE")
[ -z "$out" ] || fail "findprovs of a never-announced block: $out"
kubo 1 key gen k1 >/dev/null
K1=$(kubo 1 key list -l | awk '$2=="k1"{print $1}')
kubo 1 name publish --key=k1 "/ipfs/$C_ADD" >/dev/null || fail "name publish k1"
kubo 1 name publish "/ipfs/$C_PUT" >/dev/null || fail "name publish self"
t=$(now)
kubo_wait_resolve 0 "/ipns/$K1" "/ipfs/$C_ADD" 30 || fail "A: resolve k1"
echo "A resolves B's k1 after $(ms "$t") ms"

# ---- 3. B leaves; C (never met B) asks A
kubo_stop 1
kubo_start 2 || fail "start C"
C=${KUBO_ID[2]}
kubo_connect 2 0 || fail "C: swarm connect A"
kubo_wait_rt_has 2 "$A" 30 || fail "A never entered C's LAN table"
kubo 2 swarm peers | grep -q "$B" && fail "C is connected to B"
for c in "$C_ADD" "$C_PUT" "$C_ROUTING" "$C_ONCE"; do
  # B's ADD_PROVIDER carried its 127.0.0.1 listen address; A kept it.
  addrs=$(kubo_provider_addrs 2 "$c" "$B") || fail "C: findprovs $c does not list B"
  grep -qx "/ip4/127.0.0.1/tcp/$BPORT" <<<"$addrs" || fail "C: B's addresses for $c: $addrs"
done
out=$(kubo 2 routing findprovs "$C_NONE")
[ -z "$out" ] || fail "C: findprovs of a never-announced block: $out"
got=$(kubo 2 name resolve --nocache --dht-timeout=10s "/ipns/$K1") || fail "C: resolve k1"
[ "$got" = "/ipfs/$C_ADD" ] || fail "C: /ipns/$K1 -> $got"
got=$(kubo 2 name resolve --nocache --dht-timeout=10s "/ipns/$B") || fail "C: resolve B"
[ "$got" = "/ipfs/$C_PUT" ] || fail "C: /ipns/$B -> $got"
# C's own repo never held these blocks: the answers were DHT answers.
kubo 2 block stat --offline "$C_ADD" >/dev/null 2>&1 && fail "C holds $C_ADD"
echo "ok: Kubo<->Kubo provide/findprovs and IPNS publish/resolve over the LAN DHT on 127.0.0.1"
