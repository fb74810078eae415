#!/bin/bash
# p2p_autonat.sh — AutoNAT v2 between trove and real Kubo (v0.43.1) in
# network namespaces with public-looking addresses (go-libp2p never dials
# back loopback or RFC 1918 addresses, so 127.0.0.1 cannot show it):
#
#   k1 11.0.0.1, k2 11.0.0.2   Kubo, AutoNAT.ServiceMode enabled, test
#                              profile, no bootstrap, Routing none
#   tp 11.0.0.3                trove listening on 11.0.0.3: reachable
#   tr 11.0.0.5                trove knowing only tp and tq
#   tq 11.0.0.4 (+12.0.0.4)    trove listening only on 12.0.0.4, an
#                              address on its loopback interface that no
#                              other namespace has a route to: it dials out
#                              from 11.0.0.4, but nobody can dial it back
#
# all on one bridge.  Checked:
#   1. tp and tq connect to k1 and k2 only (Kubo's servers alone): tp ends
#      Public (`trove swarm addrs autonat` lists /ip4/11.0.0.3/tcp/4001
#      reachable; /api/v0/swarm/addrs/autonat in Kubo's JSON shape), tq
#      Private (/ip4/12.0.0.4/tcp/4001 unreachable: Kubo asked it for dial
#      data first, the address's IP not being the one it sees, then could
#      not dial), and both daemons log the change;
#   2. tr connects to tp and tq only (trove's servers alone): it ends Public;
#   3. Kubo k1, an AutoNAT v2 client whose only servers are tp and tq,
#      lists /ip4/11.0.0.1/tcp/4001 as reachable in `ipfs swarm addrs
#      autonat` (go-libp2p needs two servers to agree).
# Needs root and `ip netns`; otherwise prints a skip: line and passes.
# Bounded (timeout on every wait, < 90 s), and the trap kills the daemons
# it started and deletes the namespaces.
set -euo pipefail
TROVE=${TROVE_BIN:-$PWD/bin/trove}
IPFS=${IPFS_BIN:-$(go env GOPATH 2>/dev/null || echo /root/go)/bin/ipfs}
[ -x "$IPFS" ] || { echo "skip: no Kubo at $IPFS (make deps)"; exit 0; }
[ "$(id -u)" = 0 ] || { echo "skip: p2p_autonat.sh needs root (network namespaces)"; exit 0; }
N=an$(( $$ % 100000 ))
ip netns add "${N}br" 2>/dev/null || { echo "skip: ip netns unavailable"; exit 0; }
WORK=$(mktemp -d /tmp/trove-p2p-autonat.XXXXXX)
PIDS=()
NODES=(k1 k2 tp tq tr)
cleanup() {
  # `ip netns exec` forks: the daemons' own wrappers wrote their PIDs.
  for f in "$WORK"/*.pid; do [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for n in "${NODES[@]}" br; do ip netns del "$N$n" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
logs() { for f in "$WORK"/*.log; do echo "--- $f"; tail -n 30 "$f"; done; }
fail() { echo "FAIL: $*" >&2; logs; exit 1; }
nsx() { local n=$1; shift; ip netns exec "$N$n" "$@"; }
# Start a daemon in namespace $1, output to $WORK/$1.log, in the
# background: the PID of its timeout wrapper goes to $WORK/$1.pid (what
# the trap kills), that of `ip netns exec` to PIDS.
bg() {
  local n=$1; shift
  ip netns exec "$N$n" sh -c 'echo $$ >"$0"; exec "$@"' "$WORK/$n.pid" \
    timeout 85 "$@" >"$WORK/$n.log" 2>&1 &
  PIDS+=($!)
}

# ---- the network: one bridge, one veth per node
nsx br ip link add br0 type bridge
nsx br ip link set br0 up
i=1
for n in "${NODES[@]}"; do
  ip netns add "$N$n"
  ip link add "$N${n}a" type veth peer name "$N${n}b"
  ip link set "$N${n}a" netns "$N$n"
  ip link set "$N${n}b" netns "${N}br"
  nsx br ip link set "$N${n}b" master br0 up
  nsx "$n" ip link set lo up
  nsx "$n" ip addr add "11.0.0.$i/24" dev "$N${n}a"
  nsx "$n" ip link set "$N${n}a" up
  i=$((i + 1))
done
# On tq's loopback (the kernel here has no dummy links): tq can listen on
# it, and no other namespace has a route to 12.0.0.0/8.
nsx tq ip addr add 12.0.0.4/32 dev lo

# ---- Kubo in k1, k2
kubo() { # node ip
  local n=$1 ip=$2
  export IPFS_PATH=$WORK/$n
  "$IPFS" init --profile=test >/dev/null 2>&1
  "$IPFS" config --json Addresses.Swarm "[\"/ip4/$ip/tcp/4001\"]"
  "$IPFS" config Addresses.API /ip4/127.0.0.1/tcp/5001
  "$IPFS" config Addresses.Gateway /ip4/127.0.0.1/tcp/8080
  "$IPFS" config Routing.Type none
  "$IPFS" config --json Bootstrap '[]'
  "$IPFS" config AutoNAT.ServiceMode enabled
  "$IPFS" config --json AutoTLS.Enabled false
  "$IPFS" config --json Swarm.RelayClient.Enabled false
  "$IPFS" config --json Swarm.RelayService.Enabled false
  bg "$n" env IPFS_PATH="$IPFS_PATH" GOLOG_LOG_LEVEL=error "$IPFS" daemon
}
# ---- trove in tp, tq
trove() { # node listen-ip
  local n=$1 ip=$2
  export TROVE_PATH=$WORK/$n
  "$TROVE" init >/dev/null
  "$TROVE" config --json Addresses.Swarm "[\"/ip4/$ip/tcp/4001\"]" >/dev/null
  "$TROVE" config AutoNAT.ServiceMode enabled >/dev/null
  bg "$n" env TROVE_PATH="$TROVE_PATH" "$TROVE" daemon \
    --api=/ip4/127.0.0.1/tcp/5001 --gateway=/ip4/127.0.0.1/tcp/8080
}
kubo k1 11.0.0.1
kubo k2 11.0.0.2
trove tp 11.0.0.3
trove tq 12.0.0.4
trove tr 11.0.0.5
for _ in $(seq 150); do
  ok=1
  for n in "${NODES[@]}"; do grep -q "Daemon is ready" "$WORK/$n.log" 2>/dev/null || ok=0; done
  [ $ok = 1 ] && break
  sleep 0.2
done
[ $ok = 1 ] || fail "a daemon did not start"
id_of() { sed -n 's/.*peer identity: //p; s/^PeerID: //p' "$WORK/$1.log" | head -1; }
kid() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Identity"]["PeerID"])' "$WORK/$1/config"; }
K1=$(kid k1)
K2=$(kid k2)
TP=$(id_of tp)
[ -n "$K1" ] && [ -n "$K2" ] && [ -n "$TP" ] || fail "no peer IDs"
tv() { local n=$1; shift; nsx "$n" env TROVE_PATH="$WORK/$n" timeout 20 "$TROVE" "$@"; }
ipfs_in() { local n=$1; shift; nsx "$n" env IPFS_PATH="$WORK/$n" timeout 20 "$IPFS" "$@"; }
# ---- 1. trove's client against Kubo's servers alone
for n in tp tq; do
  tv $n swarm connect "/ip4/11.0.0.1/tcp/4001/p2p/$K1" >/dev/null || fail "$n -> k1"
  tv $n swarm connect "/ip4/11.0.0.2/tcp/4001/p2p/$K2" >/dev/null || fail "$n -> k2"
done
reach() { tv "$1" swarm addrs autonat 2>/dev/null | sed -n 's/^  Reachability: //p'; }
for _ in $(seq 90); do
  [ "$(reach tp)" = Public ] && [ "$(reach tq)" = Private ] && break
  sleep 0.5
done
echo "--- tp"; tv tp swarm addrs autonat
echo "--- tq"; tv tq swarm addrs autonat
[ "$(reach tp)" = Public ] || fail "tp is not Public"
[ "$(reach tq)" = Private ] || fail "tq is not Private"
tv tp swarm addrs autonat | grep -A1 '^  Reachable:' | grep -x '    /ip4/11.0.0.3/tcp/4001' >/dev/null ||
  fail "tp: 11.0.0.3 not listed reachable"
tv tq swarm addrs autonat | grep -A1 '^  Unreachable:' | grep -x '    /ip4/12.0.0.4/tcp/4001' >/dev/null ||
  fail "tq: 12.0.0.4 not listed unreachable"
# The API's JSON is Kubo's shape.
api=$(nsx tp curl -s -X POST http://127.0.0.1:5001/api/v0/swarm/addrs/autonat)
python3 - "$api" <<'P' || fail "swarm/addrs/autonat JSON: $api"
import json, sys
d = json.loads(sys.argv[1])
assert d["reachability"] == "Public", d
assert d["reachable"] == ["/ip4/11.0.0.3/tcp/4001"], d
assert "unreachable" not in d and "unknown" not in d, d
P
grep -q "autonat: reachability Unknown -> Public" "$WORK/tp.log" || fail "tp did not log its change"
grep -q "autonat: reachability Unknown -> Private" "$WORK/tq.log" || fail "tq did not log its change"

# Kubo's auto mode: the WAN DHT serves once the node is Public (tp), not
# while it is Private (tq), and identify push tells the connected peers.
for _ in $(seq 20); do tv tp id | grep '"/ipfs/kad/1.0.0"' >/dev/null && break; sleep 0.5; done
tv tp id | grep '"/ipfs/kad/1.0.0"' >/dev/null || fail "tp (Public) does not serve the WAN DHT"
tv tq id | grep '"/ipfs/kad/1.0.0"' >/dev/null && fail "tq (Private) serves the WAN DHT"
grep -q "dht: /ipfs/kad/1.0.0 in server mode" "$WORK/tp.log" ||
  fail "tp did not log the switch to server mode"

# ---- 2. trove's client against trove's servers alone: tr knows tp, tq
TQ=$(id_of tq)
tv tr swarm connect "/ip4/11.0.0.3/tcp/4001/p2p/$TP" >/dev/null || fail "tr -> tp"
tv tq swarm connect "/ip4/11.0.0.3/tcp/4001/p2p/$TP" >/dev/null || fail "tq -> tp"
tv tq swarm connect "/ip4/11.0.0.5/tcp/4001/p2p/$(id_of tr)" >/dev/null || fail "tq -> tr"
for _ in $(seq 60); do [ "$(reach tr)" = Public ] && break; sleep 0.5; done
echo "--- tr"; tv tr swarm addrs autonat
[ "$(reach tr)" = Public ] || fail "tr is not Public through tp and tq"
[ -n "$TQ" ] || fail "no tq id"

# ---- Kubo as the client of trove's servers
for _ in $(seq 60); do
  out=$(ipfs_in k1 swarm addrs autonat --enc=json 2>/dev/null || true)
  grep -q '"reachable":\["/ip4/11.0.0.1/tcp/4001"\]' <<<"$out" && break
  sleep 0.5
done
echo "--- k1: $out"
grep -q '"reachable":\["/ip4/11.0.0.1/tcp/4001"\]' <<<"$out" ||
  fail "Kubo k1 did not confirm its address through trove's servers"
# Kubo heard the switch by identify push: tp's WAN DHT is listed.
for _ in $(seq 20); do
  ipfs_in k1 id "$TP" 2>/dev/null | grep '"/ipfs/kad/1.0.0"' >/dev/null && break
  sleep 0.5
done
ipfs_in k1 id "$TP" | grep '"/ipfs/kad/1.0.0"' >/dev/null ||
  fail "Kubo k1 does not see tp's WAN DHT: $(ipfs_in k1 id "$TP")"
echo "p2p_autonat: ok (tp Public, tq Private, Kubo confirmed by trove, tp's WAN DHT serves)"
