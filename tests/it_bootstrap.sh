#!/bin/bash
# it_bootstrap.sh — the Bootstrap list as Kubo's bootstrap uses it
# (node/bootstrap.h):
#
#   1. Rounds: node b bootstraps from a, which is down when b starts; b's
#      first dial fails (logged once), a comes up, and a later round
#      connects b to a without a restart.
#   2. /dnsaddr (in a network namespace of ours, whose resolv.conf points
#      at a DNS server of the test's own): b's entries are
#        /dnsaddr/boot.test/p2p/A — TXT records for A (a dead address
#          first, then a nested /dnsaddr/a.boot.test), one for D, junk
#          (not dnsaddr=, not a multiaddr, no address, an empty name):
#          b connects to A and never to D (not the entry's peer);
#        /dnsaddr/all.boot.test — no /p2p: every record's peer (C);
#        /dnsaddr/loop.boot.test/p2p/D — a name that names itself: followed
#          DNS_DNSADDR_DEPTH (4) deep, then given up, logged;
#        /dnsaddr/none.boot.test/p2p/A — NXDOMAIN, logged.
#      swarm connect /dnsaddr/... resolves the same way, and says why when
#      a name gives no address.
#      And a node whose only entry's name gets no answer stops cleanly
#      while its lookup waits (cancelled: no leak, exit 0; the loop ends
#      when the lookup's worker thread is back, DNS_DNSADDR_MS later).
#
# Every daemon runs under `timeout`; the trap stops only those, with
# SIGTERM, and fails the test when one does not exit 0 or its log holds a
# sanitizer report.
if [ -z "${IT_BOOT_TIMED:-}" ]; then
  IT_BOOT_TIMED=1 exec timeout -k 5 150 bash "$0" "$@"
fi
set -uo pipefail
cd "$(dirname "$0")/.."
TROVE_BIN=${TROVE_BIN:-$PWD/bin/trove}
WORK=$(mktemp -d /tmp/trove-boot.XXXXXX)
NS= DNSPID=
declare -A PID=() ID=() PORT=()
NSX=()

stop() { # stop NAME: SIGTERM its daemon, 1 unless it exits 0
  local rc=0
  kill "${PID[$1]}" 2>/dev/null
  wait "${PID[$1]}" || rc=$?
  unset "PID[$1]"
  [ $rc = 0 ] || { echo "daemon $1 exited $rc after SIGTERM" >&2; return 1; }
}
cleanup() {
  local rc=$? n
  for n in "${!PID[@]}"; do stop "$n" || rc=1; done
  if grep -l -E 'Sanitizer|runtime error' "$WORK"/*.log 2>/dev/null; then
    cat "$WORK"/*.log >&2; rc=1
  fi
  [ -n "$DNSPID" ] && kill "$DNSPID" 2>/dev/null
  if [ -n "$NS" ]; then ip netns del "$NS"; rm -rf "/etc/netns/$NS"; fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
# trove against node N (in the namespace when NSX is set: the CLI reaches
# the daemon's API by TCP too).
tr_() {
  local n=$1; shift
  "${NSX[@]}" env TROVE_PATH="$WORK/$n" timeout 30 "$TROVE_BIN" "$@"
}

# mk NAME BOOTSTRAP-JSON [PORT] — a repo listening on 127.0.0.1:PORT (0).
mk() {
  tr_ "$1" init >/dev/null || fail "init $1"
  tr_ "$1" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/${3:-0}\"]" &&
  tr_ "$1" config --json Bootstrap "$2" || fail "config $1"
  ID[$1]=$(tr_ "$1" config Identity.PeerID)
}
# start NAME [VAR=VALUE...] — its daemon (in the namespace when NSX is
# set); PORT[NAME] is where it listens.
start() {
  local n=$1; shift
  : >"$WORK/$n.log" # here: a restart must not read the last run's "ready"
  "${NSX[@]}" env "$@" TROVE_PATH="$WORK/$n" timeout --foreground 140 "$TROVE_BIN" daemon \
    --api=/ip4/127.0.0.1/tcp/0 --gateway=/ip4/127.0.0.1/tcp/0 \
    >>"$WORK/$n.log" 2>&1 &
  PID[$n]=$!
  for _ in $(seq 300); do
    grep -q "Daemon is ready" "$WORK/$n.log" && break
    kill -0 "${PID[$n]}" 2>/dev/null || break
    sleep 0.05
  done
  grep -q "Daemon is ready" "$WORK/$n.log" || { cat "$WORK/$n.log"; fail "daemon $n"; }
  PORT[$n]=$(sed -n 's|^Swarm listening on /ip4/127.0.0.1/tcp/\([0-9]*\)$|\1|p' \
    "$WORK/$n.log" | head -1)
  [ -n "${PORT[$n]}" ] || { cat "$WORK/$n.log"; fail "daemon $n does not listen"; }
}
connected() { tr_ "$1" swarm peers | grep "/p2p/${ID[$2]}$" >/dev/null; }
wait_connected() { # wait_connected A B SECONDS
  for _ in $(seq $(( $3 * 10 ))); do connected "$1" "$2" && return 0; sleep 0.1; done
  return 1
}

# --- 1. rounds: a is down at b's start
# Below the ephemeral range: b's dials meanwhile cannot take it.
P=$(python3 tests/free_port.py)
mk a '[]' "$P"
mk b "[\"/ip4/127.0.0.1/tcp/$P/p2p/${ID[a]}\"]"
start b TROVE_BOOTSTRAP_PERIOD_MS=300
sleep 1
connected b a && fail "b connected to a, which is down"
grep -q "bootstrap: cannot reach /ip4/127.0.0.1/tcp/$P" "$WORK/b.log" ||
  { cat "$WORK/b.log"; fail "b did not log its failed dial"; }
start a
wait_connected b a 10 || { cat "$WORK/b.log"; fail "no later round connected b to a"; }
eq_n=$(grep -c "bootstrap: cannot reach" "$WORK/b.log")
[ "$eq_n" = 1 ] || fail "a failing entry logged $eq_n times at INFO (want once)"
stop b && stop a || fail "a daemon did not stop cleanly"
ok "a Bootstrap peer down at start is dialled again by a later round (its failure logged once)"

# --- 2. /dnsaddr through the system resolver, in a namespace of ours
if ! ip netns add "trove-boot-$$" 2>/dev/null; then
  echo "skip: no network namespaces here (the /dnsaddr part)"; exit 0
fi
NS="trove-boot-$$"
mkdir -p "/etc/netns/$NS"
echo "nameserver 127.0.0.1" >"/etc/netns/$NS/resolv.conf"
ip netns exec "$NS" ip link set lo up
NSX=(ip netns exec "$NS")
for n in A C D; do mk "$n" '[]'; start "$n"; done
"${NSX[@]}" python3 tests/dns_server.py \
  "_dnsaddr.boot.test=dnsaddr=/ip4/127.0.0.1/tcp/1/p2p/${ID[A]}" \
  "_dnsaddr.boot.test=dnsaddr=/dnsaddr/a.boot.test/p2p/${ID[A]}" \
  "_dnsaddr.boot.test=dnsaddr=/ip4/127.0.0.1/tcp/${PORT[D]}/p2p/${ID[D]}" \
  "_dnsaddr.boot.test=v=spf1 -all" \
  "_dnsaddr.boot.test=dnsaddr=/ip4/999.0.0.1/tcp/1/p2p/${ID[A]}" \
  "_dnsaddr.boot.test=dnsaddr=/p2p/${ID[A]}" \
  "_dnsaddr.boot.test=dnsaddr=/dnsaddr//p2p/${ID[A]}" \
  "_dnsaddr.a.boot.test=dnsaddr=/ip4/127.0.0.1/tcp/${PORT[A]}/p2p/${ID[A]}" \
  "_dnsaddr.all.boot.test=dnsaddr=/ip4/127.0.0.1/tcp/${PORT[C]}/p2p/${ID[C]}" \
  "_dnsaddr.loop.boot.test=dnsaddr=/dnsaddr/loop.boot.test/p2p/${ID[D]}" \
  "_dnsaddr.silent.boot.test=@silent" \
  >"$WORK/dns.out" 2>&1 &
DNSPID=$!
for _ in $(seq 50); do grep -q ready "$WORK/dns.out" && break; sleep 0.1; done
grep -q ready "$WORK/dns.out" || fail "the DNS server did not start"
mk B "[\"/dnsaddr/boot.test/p2p/${ID[A]}\", \"/dnsaddr/all.boot.test\",
       \"/dnsaddr/loop.boot.test/p2p/${ID[D]}\", \"/dnsaddr/none.boot.test/p2p/${ID[A]}\"]"
start B
wait_connected B A 10 || { cat "$WORK/B.log" "$WORK/dns.out"; fail "B did not reach A through /dnsaddr/boot.test (nested)"; }
wait_connected B C 10 || { cat "$WORK/B.log"; fail "B did not reach C through /dnsaddr/all.boot.test"; }
for _ in $(seq 50); do
  grep -q "bootstrap: cannot resolve /dnsaddr/loop.boot.test" "$WORK/B.log" && break
  sleep 0.1
done
sleep 0.5
connected B D && fail "B connected to D: a record for another peer was dialled"
grep -q "bootstrap: cannot resolve /dnsaddr/loop.boot.test/p2p/${ID[D]}: no address" \
  "$WORK/B.log" || { cat "$WORK/B.log"; fail "the self-naming name was not given up"; }
loops=$(grep -c "^query _dnsaddr.loop.boot.test$" "$WORK/dns.out")
[ "$loops" = 4 ] || fail "the self-naming name was asked $loops times (want DNS_DNSADDR_DEPTH, 4)"
grep -q "bootstrap: cannot resolve /dnsaddr/none.boot.test/p2p/${ID[A]}: no address" "$WORK/B.log" ||
  { cat "$WORK/B.log"; fail "NXDOMAIN not logged"; }
ok "/dnsaddr entries: nested names, records of other peers skipped, an entry without /p2p, a loop given up after 4 names, NXDOMAIN"

# swarm connect resolves /dnsaddr too (Kubo's), from D (connected to
# nobody: no Bootstrap).
out=$(tr_ D swarm connect "/dnsaddr/boot.test/p2p/${ID[A]}" 2>&1) ||
  fail "swarm connect /dnsaddr: $out"
[ "$out" = "connect ${ID[A]} success" ] || fail "swarm connect /dnsaddr said: $out"
connected D A || fail "D not connected to A after swarm connect /dnsaddr"
out=$(tr_ D swarm connect "/dnsaddr/none.boot.test/p2p/${ID[A]}" 2>&1) &&
  fail "swarm connect to a name with no records succeeded: $out"
grep -q "no address found for it" <<<"$out" || fail "swarm connect NXDOMAIN said: $out"
connected D C && fail "D connected to C"
ok "swarm connect /dnsaddr/...: resolved and dialled; a name with no records fails with a clear error"

mk E '["/dnsaddr/silent.boot.test"]'
start E
for _ in $(seq 50); do grep -q "^query _dnsaddr.silent.boot.test$" "$WORK/dns.out" && break; sleep 0.1; done
grep -q "^query _dnsaddr.silent.boot.test$" "$WORK/dns.out" || fail "E did not ask for its name"
T0=$(date +%s%N)
stop E || fail "E did not stop cleanly with its lookup under way"
ms=$(( ($(date +%s%N) - T0) / 1000000 ))
[ $ms -lt 15000 ] || fail "E took $ms ms to stop"
ok "a daemon stops cleanly while its /dnsaddr lookup waits for an answer ($ms ms)"
