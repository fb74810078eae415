#!/bin/bash
# bench/dht_sweep.sh — the sweep reprovider's first cycle over a real
# network: BENCH_SWEEP_NODES - 1 (default 29) trove daemons on 127.0.0.1
# (tests/dht_net_lib.sh, as bench/dht_provide.sh builds it) and a provider
# holding BENCH_SWEEP_FILES (default 3,000) small files, every block
# announced (Provide.Strategy all, Trove's and Kubo's default;
# Provide.DHT.Interval 100s, so that the first cycle starts a second after
# the daemon does).  The sweep hands a region's ADD_PROVIDERs to the swarm a
# page at a time (256 keys x 20 peers every 50 ms): hundreds to each peer
# at once, the burst the swarm's stream reuse and parking exist for.
#
# Prints the cycle's keys, the ADD_PROVIDERs the swarm took (`provide
# stat`: Messages), the requests that reached the 29 servers meanwhile
# (their `RequestsIn`, /api/v0/stats/dht, summed before the daemon starts
# and 5 s after the cycle ends: the sweep's lookups plus its
# ADD_PROVIDERs), the streams the provider opened (trove_dht_streams_total)
# and its CPU.  The reference is what a complete cycle sends: every key to
# its 20 closest (keys x 20); the ratio is the requests that arrived over
# it (>= 1: nothing lost; the lookups make it a little over).  No Kubo
# row: Kubo's sweep provider is not its default.  Env: BENCH_SWEEP_NODES,
# BENCH_SWEEP_FILES, TROVE_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/dht_net_lib.sh
source bench/lib/cpu.sh
M=${BENCH_SWEEP_FILES:-3000}
NODES=${BENCH_SWEEP_NODES:-30}
NET=$((NODES - 1))
DN_LIFETIME=900
trap 'dn_stop_all || true' EXIT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }

dn_init "$NODES"
t=$(now)
dn_chain "$NET"
echo "network: $NET trove nodes up in $(since "$t")s"

dn_files "$DN_WORK/files" "$M" "dht sweep block"
dn_new $NET 0 $((NET / 2)) $((NET - 1))
dn_tr $NET config Provide.DHT.Interval 100s >/dev/null
dn_tr $NET add -r -Q "$DN_WORK/files" >/dev/null

sum_in() {
  local tot=0 n i
  for i in $(seq 0 $((NET - 1))); do
    n=$(curl -sf -X POST --unix-socket "$DN_WORK/n$i/api.sock" \
          http://trove/api/v0/stats/dht |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["lan"]["Stats"]["RequestsIn"])')
    tot=$((tot + n))
  done
  echo "$tot"
}
# lan_stat KEY: the LAN DHT's KEY in `provide stat`.
lan_stat() {
  { dn_tr $NET provide stat 2>/dev/null || true; } |
    awk -v k="$1" '/^DHT lan/ { lan = 1 } lan && $1 == k { print $2; exit }' || true
}

IN0=$(sum_in)
dn_start $NET
t=$(now)
cycles=0
for _ in $(seq 600); do
  cycles=$(lan_stat Cycles)
  [ "${cycles:-0}" -ge 1 ] && break
  sleep 0.2
done
[ "${cycles:-0}" -ge 1 ] || { echo "no sweep cycle ended in 120 s"; exit 1; }
WALL=$(since "$t")
sleep 5
IN1=$(sum_in)
KEYS=$(lan_stat CycleKeys)
MSGS=$(lan_stat Messages)
PAUSES=$(lan_stat SendPauses)
CYC=$(lan_stat LastCycleMs)
STREAMS=$(curl -sf --unix-socket "$DN_WORK/n$NET/api.sock" \
            http://trove/debug/metrics/prometheus |
          awk '/^trove_dht_streams_total\{dht="lan"\}/ { print $2 }')
CPU=$(cpu_secs "${DN_DPID[$NET]}")
WANT=$((KEYS * 20))
GOT=$((IN1 - IN0))
echo "sweep: $KEYS keys in ${CYC} ms (first cycle over ${WALL}s after the start); ADD_PROVIDERs taken by the swarm: $MSGS (pages paused for a full swarm queue: ${PAUSES:-0})"
echo "sweep: streams in and out of the provider's LAN DHT: $STREAMS; its CPU over its life: ${CPU}s"
echo "sweep: requests that reached the $NET servers: $GOT; a complete cycle sends $WANT; ratio $(awk -v a="$GOT" -v b="$WANT" 'BEGIN{printf "%.2f", a/b}') (>= 1: nothing lost)"
