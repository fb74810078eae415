#!/bin/bash
# it_mdns.sh — mDNS discovery on a link (Discovery.MDNS.Enabled), in two
# network namespaces joined by a veth pair and nothing else: two trove
# daemons that know nothing of each other find and connect to each other;
# then Kubo v0.43.1 (when installed) in the second namespace and trove in
# the first find each other both ways (Kubo's zeroconf answers trove's
# question, trove's answer passes Kubo's browser).  A daemon without the
# setting sends nothing and stays alone.  Needs root (ip netns); skips
# otherwise.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "skip: needs root (ip netns)"; exit 0; }
NA=tmdA$$ NB=tmdB$$
ip netns add $NA 2>/dev/null || { echo "skip: ip netns add refused"; exit 0; }
ip netns add $NB
KPID=
cleanup_mdns() {
  local rc=$?
  set +e # a kill of a daemon gone already must not end the cleanup
  for p in "${PIDS[@]}" $KPID; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}" $KPID; do wait "$p" 2>/dev/null; done
  [ $rc = 0 ] || tail -n 20 "$WORK"/*.log
  ip netns del $NA 2>/dev/null
  ip netns del $NB 2>/dev/null
  rm -rf "$WORK"
  exit $rc
}
trap cleanup_mdns EXIT
ip link add vma$$ type veth peer name vmb$$
ip link set vma$$ netns $NA
ip link set vmb$$ netns $NB
ip -n $NA addr add 10.88.0.1/24 dev vma$$
ip -n $NB addr add 10.88.0.2/24 dev vmb$$
for ns in $NA $NB; do ip -n $ns link set lo up; done
ip -n $NA link set vma$$ up
ip -n $NB link set vmb$$ up

# up NAME NS [MDNS]: a trove daemon in NS on 0.0.0.0:4001, mDNS on unless
# MDNS is "off"; sets ID_NAME.
up() {
  local n=$1 ns=$2 repo=$WORK/$1
  TROVE_PATH=$repo t init >/dev/null
  TROVE_PATH=$repo t config --json Addresses.Swarm '["/ip4/0.0.0.0/tcp/4001"]' >/dev/null
  TROVE_PATH=$repo t config --json Bootstrap '[]' >/dev/null
  [ "${3:-on}" = off ] || TROVE_PATH=$repo t config --json Discovery.MDNS.Enabled true >/dev/null
  TROVE_LOG=debug TROVE_PATH=$repo timeout --foreground 120 ip netns exec "$ns" "$TROVE_BIN" daemon \
    --api=/ip4/127.0.0.1/tcp/0 --gateway=/ip4/127.0.0.1/tcp/0 >"$repo.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 200); do grep -q "Daemon is ready" "$repo.log" && break; sleep 0.05; done
  grep -q "Daemon is ready" "$repo.log" || fail "daemon $n: $(cat "$repo.log")"
  printf -v "ID_$n" '%s' "$(sed -n 's/.*peer identity: //p' "$repo.log")"
}
in_ns() { local ns=$1 n=$2; shift 2; TROVE_PATH=$WORK/$n ip netns exec "$ns" "$TROVE_BIN" "$@"; }
# wait_peer NS NAME ID: NAME's swarm lists ID within 20 s
wait_peer() {
  for _ in $(seq 200); do
    in_ns "$1" "$2" swarm peers | grep -q "$3" && return 0
    sleep 0.1
  done
  return 1
}

up a $NA
up b $NB
wait_peer $NA a "$ID_b" || fail "a did not find b: $(in_ns $NA a swarm peers)"
wait_peer $NB b "$ID_a" || fail "b did not find a"
in_ns $NA a swarm peers | grep -q "/ip4/10.88.0.2/tcp/4001" || fail "a's connection to b is not on the link"
ok "two trove daemons on a link find each other over mDNS"

node_pid() { echo "${PIDS[$1]}"; }
kill "$(node_pid 1)"; wait "$(node_pid 1)" 2>/dev/null || true
up c $NB off
sleep 3
eq "$(in_ns $NB c swarm peers)" "" "c (mDNS off) found someone"
in_ns $NA a swarm peers | grep -q "$ID_c" && fail "a found c, which is silent"
ok "without Discovery.MDNS.Enabled: neither asks nor answers"
kill "$(node_pid 2)"; wait "$(node_pid 2)" 2>/dev/null || true

IPFS=${IPFS_BIN:-$(go env GOPATH 2>/dev/null || echo /root/go)/bin/ipfs}
if [ -x "$IPFS" ]; then
  export IPFS_PATH=$WORK/kubo
  "$IPFS" init --profile=test >/dev/null 2>&1
  "$IPFS" config --json Addresses.Swarm '["/ip4/0.0.0.0/tcp/4001"]'
  "$IPFS" config --json Discovery.MDNS.Enabled true
  "$IPFS" config Routing.Type none
  GOLOG_LOG_LEVEL=p2pnode=info ip netns exec $NB "$IPFS" daemon >"$WORK/kubo.log" 2>&1 &
  KPID=$!
  for _ in $(seq 300); do grep -q "Daemon is ready" "$WORK/kubo.log" && break; sleep 0.1; done
  grep -q "Daemon is ready" "$WORK/kubo.log" || fail "Kubo: $(cat "$WORK/kubo.log")"
  KID=$(ip netns exec $NB "$IPFS" id -f '<id>')
  wait_peer $NA a "$KID" || fail "trove and Kubo did not find each other: $(in_ns $NA a swarm peers)"
  for _ in $(seq 100); do
    ip netns exec $NB "$IPFS" swarm peers | grep -q "$ID_a" && break; sleep 0.1
  done
  ip netns exec $NB "$IPFS" swarm peers | grep -q "$ID_a" || fail "Kubo does not list trove"
  # Each read the other's answer: Kubo's handler logs every peer its
  # browser hands it, trove logs every answer that names a peer.
  for _ in $(seq 150); do
    grep -q "connecting to discovered peer.*$ID_a" "$WORK/kubo.log" &&
      grep -q "mdns: $KID answered" "$WORK/a.log" && break
    sleep 0.1
  done
  grep -q "connecting to discovered peer.*$ID_a" "$WORK/kubo.log" || fail "Kubo's browser did not take trove's answer"
  grep -q "mdns: $KID answered" "$WORK/a.log" || fail "trove did not read Kubo's answer"
  ok "trove and Kubo on a link find each other over mDNS (each reads the other's answer)"
fi
