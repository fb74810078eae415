#!/bin/bash
# bench/dht_provide.sh — the time to provide BENCH_PROVIDE_CIDS (default
# 10,000) CIDs into a network of BENCH_PROVIDE_NODES (default 30) nodes on
# 127.0.0.1 over the LAN DHT: trove's provider beside Kubo's (v0.43.1),
# the same CIDs into the same network, one provider after the other:
#
#   - the network: BENCH_PROVIDE_NODES - 1 trove daemons
#     (tests/dht_net_lib.sh, each bootstrapping from 1-3 earlier ones);
#   - the CIDs: BENCH_PROVIDE_CIDS small distinct files, added (CIDv1, raw
#     leaves: the same CIDs on both sides) before the provider's daemon
#     starts and unpinned (trove's Provide.Strategy is set to roots -
#     its default is Kubo's "all" -, Kubo's to pinned), so that nothing
#     announces them but the command measured;
#   - trove: a trove daemon joins (bootstrapping from 3 nodes), its table
#     fills, then one `trove routing provide` with every CID on stdin, as
#     Kubo's below (the CLI sends them in the request's body); or, with
#     BENCH_PROVIDE_BATCH=N, calls of N CIDs as arguments, one after the
#     other.  A call is a one-shot sweep (rpc/rpc_provide.c): the
#     keyspace regions holding its CIDs explored, a few lookups each, then
#     each CID's ADD_PROVIDERs to the 20 closest of the peers found (until
#     2026-12-05 a lookup per CID: 0.56-0.61 of Kubo's speed, the servers
#     burning 2.5x Kubo's CPU answering FIND_NODEs).  BENCH_PROVIDE_PAR
#     (default 1) such calls at once, with BENCH_PROVIDE_BATCH.
#     Then it stops;
#   - Kubo: a Kubo daemon (tests/interop/lib/dht_kubo_lib.sh's setup,
#     Provide.Strategy pinned and the files unpinned so that it announces
#     nothing by itself) connects to the same 3 nodes, its table fills,
#     then one `ipfs routing provide` with every CID on stdin.  Kubo
#     0.43 does not look each CID up: counted at the servers (2,000 CIDs,
#     2026-12-05), its run sent each server 21 FIND_NODEs in all (one
#     exploration of the keyspace, its sweep provider's) and ~1.3
#     ADD_PROVIDERs a CID, about 39 a CID over the network (its sweep's
#     and the command's own); trove's lookup per CID sent each server 0.78
#     FIND_NODE and 0.67 ADD_PROVIDER a CID (~22 requests and 20
#     ADD_PROVIDERs for each CID), its sweep about 20 messages a CID;
#   - a check: for BENCH_PROVIDE_SAMPLE (20) CIDs spread over the list, a
#     trove node's `routing findprovs` lists both providers.
#
# Prints both times, CIDs/s, the CPU seconds each provider and the
# servers (all of them, together) used during its run, and the ratio Kubo
# time / trove time (> 1: trove is faster); no target.  Skipped (passes) when Kubo is not
# installed.  Env: BENCH_PROVIDE_CIDS, BENCH_PROVIDE_NODES,
# BENCH_PROVIDE_BATCH, BENCH_PROVIDE_SAMPLE, BENCH_PROVIDE_PAR, TROVE_BIN,
# IPFS_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/dht_net_lib.sh
source tests/interop/lib/dht_kubo_lib.sh
source bench/lib/cpu.sh
kubo_available || { echo "skip: no Kubo at $KUBO_BIN"; exit 0; }
M=${BENCH_PROVIDE_CIDS:-10000}
NODES=${BENCH_PROVIDE_NODES:-30}
BATCH=${BENCH_PROVIDE_BATCH:-0}
SAMPLE=${BENCH_PROVIDE_SAMPLE:-20}
PAR=${BENCH_PROVIDE_PAR:-1}
NET=$((NODES - 1)) # trove nodes 0..NET-1; node NET is trove's provider
DN_LIFETIME=3600 KUBO_LIFETIME=3600
cleanup() {
  kubo_stop_all
  dn_stop_all || true
}
trap cleanup EXIT
now() { date +%s.%N; }
servers() { local i; for i in $(seq 0 $((NET - 1))); do echo "${DN_DPID[$i]}"; done; }
cpu_diff() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b - a}'; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }

dn_init "$NODES"
kubo_lib_init
t=$(now)
dn_chain "$NET"
# Where both providers enter the network.
ENTRY=(0 $((NET / 2)) $((NET - 1)))
echo "network: $NET trove nodes up in $(since "$t")s"

# The CIDs: M files of distinct bytes, added to trove's provider repo and
# to Kubo's repo, offline (no daemon yet).
t=$(now)
dn_files "$DN_WORK/files" "$M" "dht bench block"
dn_new $NET "${ENTRY[@]}"
dn_tr $NET config Provide.Strategy roots >/dev/null
# -q: each file's CID, then the directory's (dropped).
dn_tr $NET add -r -q --pin=false "$DN_WORK/files" >"$DN_WORK/added"
head -n "$M" "$DN_WORK/added" >"$DN_WORK/cids"
[ "$(wc -l <"$DN_WORK/cids")" = "$M" ] || { echo "trove add gave too few CIDs"; exit 1; }
kubo_new 0
kubo 0 config Provide.Strategy pinned
kubo 0 add -r -q --pin=false --cid-version=1 "$DN_WORK/files" >"$KUBO_WORK/added"
head -n "$M" "$KUBO_WORK/added" >"$KUBO_WORK/cids"
sort "$DN_WORK/cids" | cmp -s - <(sort "$KUBO_WORK/cids") ||
  { echo "trove and Kubo added different CIDs"; exit 1; }
echo "CIDs: $M files added to both repos in $(since "$t")s"

# wait_table CMD SECS: until CMD prints a number >= 3 (the table of the
# provider-to-be holds more than its entry points).
wait_table() {
  local end=$((SECONDS + $2)) n
  while [ $SECONDS -lt $end ]; do
    n=$($1 2>/dev/null || echo 0)
    [ "${n:-0}" -ge $((NET / 2)) ] && { echo "$n"; return 0; }
    sleep 0.2
  done
  echo "table never filled" >&2
  return 1
}

# --- trove
dn_start $NET
n=$(wait_table "dn_lan_size $NET" 30)
echo "trove provider: $n peers in its LAN table"
S0=$(cpu_secs $(servers)) P0=$(cpu_secs "${DN_DPID[$NET]}")
t=$(now)
if [ "$BATCH" = 0 ]; then
  echo "$M" >"$DN_WORK/batch.all" # one call, every CID on stdin
else
  split -l "$BATCH" "$DN_WORK/cids" "$DN_WORK/batch."
fi
# PAR workers, each taking every PAR-th batch, its calls one after another.
pids=()
for w in $(seq 0 $((PAR - 1))); do
  (
    k=0
    for b in "$DN_WORK"/batch.*; do
      if [ "$BATCH" = 0 ]; then
        [ "$w" = 0 ] && DN_CMD_TIMEOUT=3600 dn_tr $NET routing provide <"$DN_WORK/cids" >/dev/null
      elif [ $((k++ % PAR)) = "$w" ]; then
        mapfile -t cids <"$b"
        DN_CMD_TIMEOUT=3600 dn_tr $NET routing provide "${cids[@]}" >/dev/null
      fi
    done
  ) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || { echo "trove routing provide failed"; exit 1; }; done
TROVE_S=$(since "$t")
TROVE_SRV=$(cpu_diff "$S0" "$(cpu_secs $(servers))")
TROVE_PRV=$(cpu_diff "$P0" "$(cpu_secs "${DN_DPID[$NET]}")")
echo "trove ($PAR call(s) at once): $M CIDs provided in ${TROVE_S}s ($(awk -v m="$M" -v s="$TROVE_S" 'BEGIN{printf "%.0f", m/s}') CIDs/s, $(awk -v m="$M" -v s="$TROVE_S" 'BEGIN{printf "%.1f", s*1000/m}') ms each)"
dn_rss
TROVE_ID=${DN_ID[$NET]}
kill "${DN_TPID[$NET]}"
wait "${DN_TPID[$NET]}" || { echo "trove's provider exited $?"; exit 1; }
DN_ALIVE[$NET]=

# --- Kubo
kubo_start 0
for e in "${ENTRY[@]}"; do kubo_connect 0 "${DN_ADDR[$e]}"; done
kubo_rt_count() { kubo_rt_peers 0 | wc -l; }
n=$(wait_table kubo_rt_count 30)
echo "Kubo provider: $n peers in its LAN table"
KPID=$(cut -d' ' -f1 "/proc/${KUBO_PID[0]}/task/${KUBO_PID[0]}/children" 2>/dev/null || true)
KPID=${KPID:-${KUBO_PID[0]}}
S0=$(cpu_secs $(servers)) P0=$(cpu_secs "$KPID")
t=$(now)
KUBO_CMD_TIMEOUT=7200 kubo 0 routing provide <"$KUBO_WORK/cids" >/dev/null
KUBO_S=$(since "$t")
KUBO_SRV=$(cpu_diff "$S0" "$(cpu_secs $(servers))")
KUBO_PRV=$(cpu_diff "$P0" "$(cpu_secs "$KPID")")
echo "Kubo:  $M CIDs provided in ${KUBO_S}s ($(awk -v m="$M" -v s="$KUBO_S" 'BEGIN{printf "%.0f", m/s}') CIDs/s, $(awk -v m="$M" -v s="$KUBO_S" 'BEGIN{printf "%.1f", s*1000/m}') ms each)"
echo "Kubo RSS: $(awk '/^VmRSS/{printf "%.1f MiB", $2/1024}' "/proc/$KPID/status" 2>/dev/null || echo "?")"

# --- both providers' records are there
step=$(( M / SAMPLE > 0 ? M / SAMPLE : 1 ))
bad=0
for k in $(seq 0 $((SAMPLE - 1))); do
  c=$(sed -n "$(( k * step % M + 1 ))p" "$DN_WORK/cids")
  out=$(dn_tr $(( k % NET )) routing findprovs "$c" || true)
  grep -qx "$TROVE_ID" <<<"$out" && grep -qx "${KUBO_ID[0]}" <<<"$out" ||
    { echo "findprovs $c on node $(( k % NET )): $out"; bad=1; }
done
[ $bad = 0 ] || { echo "FAIL: a provider record is missing"; exit 1; }
echo "check: $SAMPLE sampled CIDs list both providers"
echo "CPU seconds during each run: trove's provider $TROVE_PRV, the $NET servers $TROVE_SRV;" \
     "Kubo's provider $KUBO_PRV, the servers $KUBO_SRV"
echo "provide $M CIDs into $NODES nodes: trove ${TROVE_S}s, Kubo ${KUBO_S}s;" \
     "ratio Kubo/trove $(awk -v a="$KUBO_S" -v b="$TROVE_S" 'BEGIN{printf "%.2f", a/b}')" \
     "(> 1: trove faster)"
