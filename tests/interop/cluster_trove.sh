#!/bin/bash
# cluster_trove.sh — IPFS Cluster (ipfs-cluster-service / ipfs-cluster-ctl,
# scripts/cluster.sh) driving trove nodes through the Kubo RPC API, on
# 127.0.0.1: 3 `trove daemon`s (separate repos, free ports, no bootstrap,
# connected to each other by the cluster's swarm/connect), 3 cluster peers
# (crdt consensus, one shared secret, each other's addresses as bootstrap,
# no mDNS, no QUIC, no relay), each peer's ipfshttp connector on its own
# trove's API.  Then:
#   - content added to trove 1 and `ipfs-cluster-ctl pin add
#     --replication 2` (rmin = rmax = 2): `ipfs-cluster-ctl status` must
#     come to PINNED on exactly 2 peers and REMOTE on the third, and trove's
#     own `pin ls` must show the pin on exactly those 2 troves (the pinning
#     peers fetched the DAG over bitswap where they lacked it);
#   - `ipfs-cluster-ctl pin rm` unpins it on both troves;
#   - `ipfs-cluster-ctl add --rmin 2 --rmax 2` (the cluster's adder: the DAG
#     built by the cluster peer, streamed to the allocated troves as
#     block/put multipart, then pinned there): 2 troves hold the pin and
#     every block, the CID is the one `trove add` gives;
#   - an add through the cluster's IPFS proxy (Kubo's /api/v0/add, taken
#     over by the cluster) lands on all 3 troves; cat, pin/ls and
#     repo/stat through the proxy answer as Kubo's;
#   - `ipfs-cluster-ctl ipfs gc` (repo/gc through the connector) answers
#     for every peer.
# Figures (seconds to PINNED, to unpinned, the add) are printed.  Bounded
# in time; the trap stops every process this script started, by PID.
# Skipped (exit 0, "SKIP" line) when the cluster binaries are absent.
INTEROP_TIMEOUT=600
source "$(dirname "$0")/lib/trove_lib.sh"
GOBIN=$(go env GOPATH 2>/dev/null || echo /root/go)/bin
SVC=${CLUSTER_SERVICE_BIN:-$GOBIN/ipfs-cluster-service}
CTL=${CLUSTER_CTL_BIN:-$GOBIN/ipfs-cluster-ctl}
if [ ! -x "$SVC" ] || [ ! -x "$CTL" ]; then
  echo "SKIP: cluster_trove: no ipfs-cluster-service/ctl in $GOBIN (make deps)"
  exit 0
fi
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
N=3

# ---------------------------------------------------------------- troves
declare -a TAPI TID
for i in $(seq $N); do
  r=$WORK/t$i
  TROVE_PATH=$r "$TROVE" init >/dev/null
  TROVE_PATH=$r "$TROVE" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$(port)\"]" >/dev/null
  TROVE_PATH=$r "$TROVE" config --json Bootstrap '[]' >/dev/null
  TAPI[$i]=$(port)
  TROVE_PATH=$r timeout --foreground 600 "$TROVE" daemon --api=/ip4/127.0.0.1/tcp/${TAPI[$i]} \
    --gateway=/ip4/127.0.0.1/tcp/$(port) >"$WORK/trove$i.log" 2>&1 &
  PIDS+=($!)
done
for i in $(seq $N); do
  for _ in $(seq 100); do grep -q "Daemon is ready" "$WORK/trove$i.log" 2>/dev/null && break; sleep 0.1; done
  grep -q "Daemon is ready" "$WORK/trove$i.log" || fail "trove $i did not start"
  TID[$i]=$(sed -n 's/.*peer identity: //p' "$WORK/trove$i.log")
done
tr_() { local i=$1; shift; TROVE_PATH=$WORK/t$i "$TROVE" "$@"; }
# No bootstrap, no discovery: only the cluster can join them.
for i in $(seq $N); do
  [ -z "$(tr_ "$i" swarm peers)" ] || fail "trove $i has peers before the cluster runs"
done

# --------------------------------------------------------- cluster peers
SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
declare -a CPORT REST PROXY CID_
for i in $(seq $N); do
  CPORT[$i]=$(port); REST[$i]=$(port); PROXY[$i]=$(port)
  CLUSTER_SECRET=$SECRET "$SVC" -c "$WORK/c$i" init --consensus crdt >"$WORK/init$i.log" 2>&1 ||
    fail "ipfs-cluster-service init: $(cat "$WORK/init$i.log")"
  CID_[$i]=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$WORK/c$i/identity.json")
done
for i in $(seq $N); do
  peers=""
  for j in $(seq $N); do
    [ "$j" = "$i" ] || peers="$peers /ip4/127.0.0.1/tcp/${CPORT[$j]}/p2p/${CID_[$j]}"
  done
  python3 - "$WORK/c$i/service.json" "$i" "${CPORT[$i]}" "${REST[$i]}" \
    "${PROXY[$i]}" "${TAPI[$i]}" "$SECRET" $peers <<'PY'
import json, sys
f, i, cport, rest, proxy, tapi, secret = sys.argv[1:8]
peers = sys.argv[8:]
d = json.load(open(f))
c = d["cluster"]
c["peername"] = "peer" + i
c["secret"] = secret
c["listen_multiaddress"] = ["/ip4/127.0.0.1/tcp/" + cport]
c["peer_addresses"] = peers
c["enable_relay_hop"] = False
c["mdns_interval"] = "0s"            # no multicast off the machine
c["monitor_ping_interval"] = "2s"
c["peer_watch_interval"] = "2s"
c["replication_factor_min"] = -1
c["replication_factor_max"] = -1
node = "/ip4/127.0.0.1/tcp/" + tapi
d["api"] = {k: v for k, v in d["api"].items() if k in ("restapi", "ipfsproxy")}
d["api"]["restapi"]["http_listen_multiaddress"] = "/ip4/127.0.0.1/tcp/" + rest
d["api"]["ipfsproxy"]["listen_multiaddress"] = "/ip4/127.0.0.1/tcp/" + proxy
d["api"]["ipfsproxy"]["node_multiaddress"] = node
h = d["ipfs_connector"]["ipfshttp"]
h["node_multiaddress"] = node
h["connect_swarms_delay"] = "1s"      # troves find each other at once
# The cluster's default (2m): a CI run under ASan once saw a trove's pin
# cancelled at 30 s ("context canceled", a 1.5 MB tree; 0.3-0.7 s in the
# runs around it), and the cluster retries a failed pin only minutes later.
h["pin_timeout"] = "2m"
d["monitor"]["pubsubmon"]["check_interval"] = "2s"
for inf in d["informer"].values():
    inf["metric_ttl"] = "4s"
d["observations"]["metrics"]["enable_stats"] = False
d["observations"]["tracing"]["enable_tracing"] = False
json.dump(d, open(f, "w"), indent=2)
PY
  CLUSTER_SECRET=$SECRET timeout 600 "$SVC" -c "$WORK/c$i" daemon >"$WORK/cluster$i.log" 2>&1 &
  PIDS+=($!)
done
ctl() { local i=$1; shift; timeout 60 "$CTL" --host "/ip4/127.0.0.1/tcp/${REST[$i]}" "$@"; }

t0=$(now)
for _ in $(seq 600); do
  n=$(ctl 1 --enc=json peers ls 2>/dev/null | python3 -c '
import json, sys
txt = sys.stdin.read()
dec, i, ok = json.JSONDecoder(), 0, 0
while i < len(txt):
    while i < len(txt) and txt[i].isspace(): i += 1
    if i >= len(txt): break
    o, i = dec.raw_decode(txt, i)
    for p in (o if isinstance(o, list) else [o]):
        ok += not p.get("error") and not (p.get("ipfs") or {}).get("error")
print(ok)' 2>/dev/null || echo 0)
  [ "$n" = $N ] && break
  sleep 0.1
done
[ "$n" = $N ] || fail "the cluster did not form: $n of $N peers"
echo "cluster of $N peers formed, each with its trove, in $(since "$t0") s"
# The connector's swarm/connect (ConnectSwarms) joins the troves.
t0=$(now)
for _ in $(seq 300); do
  ok=1
  for i in $(seq $N); do
    [ "$(tr_ "$i" swarm peers | wc -l)" -ge $((N - 1)) ] || ok=0
  done
  [ $ok = 1 ] && break
  sleep 0.1
done
[ $ok = 1 ] || fail "troves not connected by the cluster: $(tr_ 1 swarm peers)"
echo "troves connected through the connector's swarm/connect in $(since "$t0") s"

# status CID: "pinned remote ..." per peer, sorted, from ipfs-cluster-ctl.
statuses() {
  ctl 1 --enc=json status "$1" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(sorted(v["status"] for v in d["peer_map"].values())))' 2>/dev/null || true
}
# why CID: the cluster's own status of CID on one line, each peer's error
# included, for a failure's message (which CI shows; the logs' tails may
# not reach back to it).
why() { ctl 1 status "$1" 2>&1 | tr -s '\n\t' '  ' | cut -c1-900; }
# holders CID: the troves whose own `pin ls` has CID as a recursive pin.
holders() {
  local h=""
  for i in $(seq $N); do
    if tr_ "$i" pin ls --type=recursive 2>/dev/null | grep "^$1 " >/dev/null; then h="$h $i"; fi
  done
  echo "${h# }"
}

# ------------------------------------------------- pin --replication 2
D=$WORK/data; mkdir -p "$D/tree/sub"
head -c 1500000 /dev/urandom >"$D/tree/big.bin"
printf 'cluster\n' >"$D/tree/sub/a.txt"
C=$(tr_ 1 add -Q -r "$D/tree")
tr_ 1 pin rm "$C" >/dev/null   # only the cluster pins it
t0=$(now)
for _ in $(seq 100); do
  out=$(ctl 1 pin add --replication 2 --no-status "$C" 2>&1) && break
  sleep 0.2   # allocation needs every peer's metrics first
done
grep -q "$C" <<<"$out" || fail "pin add: $out"
end=$(($(date +%s) + 150)) # past the pin_timeout above
# A CI run under ASan once saw a peer's pin fail after 60 s with
# "unexpected EOF" from its trove (cause not found; 1 run in 5 then), and
# the cluster retries a failed pin only minutes later: recover it, as an
# operator would, at most twice, and say so in the log.
recovered=0
while [ "$(date +%s)" -lt $end ]; do
  s=$(statuses "$C")
  [ "$s" = "pinned pinned remote" ] && break
  if [[ $s == *pin_error* ]] && [ $recovered -lt 2 ]; then
    echo "note: pin_error, recovering: $(why "$C")"
    # What each trove saw, for the next one to read: whom it is
    # connected to, what its bitswap waits for, whom it asked.
    for i in $(seq $N); do
      echo "note: trove $i: peers: $(tr_ "$i" swarm peers 2>&1 | tr '\n' ' ')"
      echo "note: trove $i: $(tr_ "$i" bitswap stat 2>&1 | tr -s '\n\t ' ' ')"
      grep -E 'WARN|ERROR' "$WORK/trove$i.log" | tail -5 | sed "s/^/note: trove $i: /" || true
    done
    ctl 1 recover "$C" >/dev/null 2>&1 || true
    recovered=$((recovered + 1))
  fi
  sleep 0.1
done
[ "$s" = "pinned pinned remote" ] || fail "status of $C: '$s': $(why "$C")"
echo "pin add --replication 2: PINNED on 2 peers, REMOTE on 1, in $(since "$t0") s"
ctl 1 status "$C"
h=$(holders "$C")
[ "$(wc -w <<<"$h")" = 2 ] || fail "troves pinning $C: '$h' (want exactly 2)"
echo "troves holding the pin (trove pin ls): $h"
# The status the cluster reports is what each allocated trove says.
alloc=$(ctl 1 --enc=json pin ls "$C" | python3 -c '
import json, sys; print(" ".join(sorted(json.load(sys.stdin)["allocations"])))')
want=""
for i in $h; do want="$want ${CID_[$i]}"; done
[ "$alloc" = "$(tr ' ' '\n' <<<"${want# }" | sort | tr '\n' ' ' | sed 's/ $//')" ] ||
  fail "allocations $alloc are not the pinning troves' peers ($want)"
for i in $h; do
  tr_ "$i" pin verify --verbose | grep "$C" >/dev/null || fail "trove $i: pin of $C not verified"
done

# ------------------------------------------------------------- pin rm
t0=$(now)
ctl 1 pin rm --no-status "$C" >/dev/null
for _ in $(seq 600); do
  [ -z "$(holders "$C")" ] && break
  sleep 0.1
done
[ -z "$(holders "$C")" ] || fail "pin rm: troves still pinning: $(holders "$C"): $(why "$C")"
echo "pin rm: unpinned on both troves in $(since "$t0") s"

# --------------------------------------------- the cluster's own adder
head -c 700000 /dev/urandom >"$D/added.bin"
want=$(tr_ 1 add -n -Q --cid-version=1 --raw-leaves --chunker=size-262144 "$D/added.bin")
t0=$(now)
out=$(ctl 2 add --rmin 2 --rmax 2 --cid-version 1 --raw-leaves -Q "$D/added.bin" 2>&1) ||
  fail "ipfs-cluster-ctl add: $out"
[ "$out" = "$want" ] || fail "cluster add gave '$out', trove add -n '$want'"
for _ in $(seq 600); do
  s=$(statuses "$want")
  [ "$s" = "pinned pinned remote" ] && break
  sleep 0.1
done
[ "$s" = "pinned pinned remote" ] || fail "status of the added $want: '$s': $(why "$want")"
h=$(holders "$want")
[ "$(wc -w <<<"$h")" = 2 ] || fail "troves pinning the added $want: '$h'"
for i in $h; do
  cmp <(tr_ "$i" cat "$want") "$D/added.bin" ||
    fail "trove $i: added content differs"
done
echo "ipfs-cluster-ctl add --rmin 2 --rmax 2: $want on troves $h in $(since "$t0") s"
ADDED=$want

# ------------------------------------------- the cluster's IPFS proxy
# A Kubo RPC client pointed at the cluster peer's proxy: add, pin/ls and
# repo/stat are the cluster's (add pins with the default replication, -1:
# every peer); the rest (cat here) passes through to the peer's trove.
P="http://127.0.0.1:${PROXY[3]}/api/v0"
printf 'through the proxy\n' >"$D/proxied.txt"
want=$(tr_ 1 add -n -Q --cid-version=1 --raw-leaves --chunker=size-262144 "$D/proxied.txt")
t0=$(now)
out=$(curl -sS -X POST -F "file=@$D/proxied.txt" "$P/add?cid-version=1&raw-leaves=true")
eq_() { [ "$1" = "$2" ] || fail "expected '$2', got '$1' ${3:-}"; }
eq_ "$(echo "$out" | tail -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["Hash"])')" "$want" "proxy add: $out"
for _ in $(seq 600); do
  s=$(statuses "$want")
  [ "$s" = "pinned pinned pinned" ] && break
  sleep 0.1
done
[ "$s" = "pinned pinned pinned" ] || fail "status of the proxy-added $want: '$s': $(why "$want")"
eq_ "$(holders "$want")" "1 2 3" "troves pinning the proxy-added $want"
echo "add through the cluster's IPFS proxy: pinned on all 3 troves in $(since "$t0") s"
eq_ "$(curl -sS -X POST "$P/cat?arg=$want")" "through the proxy" "cat through the proxy"
eq_ "$(curl -sS -X POST "$P/pin/ls?arg=$want&type=recursive" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Keys"]["'"$want"'"]["Type"])')" \
  recursive "pin/ls through the proxy"
curl -sS -X POST "$P/repo/stat?size-only=true" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["RepoSize"] > 0 and d["StorageMax"] > 0, d' || fail "repo/stat through the proxy"

# ---------------------------------------------------------- repo/gc
gc=$(ctl 1 --enc=json ipfs gc 2>&1) || fail "ipfs gc: $gc"
ng=$(python3 -c '
import json, sys
d = json.loads(sys.argv[1])
m = d["peer_map"]
assert all(not v.get("error") for v in m.values()), m
print(len(m))' "$gc") || fail "ipfs gc answer: $gc"
[ "$ng" = $N ] || fail "ipfs gc answered for $ng peers"
h=$(holders "$ADDED")
[ "$(wc -w <<<"$h")" = 2 ] || fail "gc took a pin: '$h'"
for i in $h; do
  cmp <(tr_ "$i" cat "$ADDED") "$D/added.bin" || fail "trove $i: gc took a pinned block"
done
echo "cluster_trove: ok"
