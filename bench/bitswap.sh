#!/bin/bash
# bitswap.sh — bitswap fetch times, each beside a reference measured in
# the same run.  One random file of BENCH_BSW_MIB MiB (default 256), read
# whole through the fetching node's gateway (curl, output discarded, its
# size checked) from a node that holds none of it:
#
#   many providers  from 1 provider, then (another fetcher) from 4, each
#                   provider in a network namespace of its own whose link
#                   is throttled to BENCH_BSW_RATE (tc tbf, default
#                   40mbit); target: 4 providers >= 2.5x faster than 1.
#                   Needs root (ip netns, tc): skipped otherwise.
#   loopback        trove -> trove on 127.0.0.1, unthrottled, beside one
#                   Noise+yamux stream of as many bytes between two
#                   p2p_peer processes (bench/p2p.sh's throughput figure,
#                   one round); target >= 0.70 of it.
#   vs Kubo         the same file (the same CID: Kubo with the
#                   unixfs-v1-2025 profile) trove -> trove, Kubo -> Kubo,
#                   Kubo -> trove and trove -> Kubo on 127.0.0.1 (Kubo
#                   v0.43.1, $IPFS_BIN, its gateway), each pair of fresh
#                   processes but the provider of the same kind, reused;
#                   each process's peak RSS (VmHWM) after its transfer;
#                   target: trove -> trove >= 2x Kubo -> Kubo.
#
# Environment: BENCH_TMP, BENCH_BSW_MIB, BENCH_BSW_RATE, BENCH_STRICT=1 (a
# missed target fails the run), IPFS_BIN, P2P_PEER_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/bsw_net_lib.sh
BN_TMPDIR=${BENCH_TMP:-/tmp}
MIB=${BENCH_BSW_MIB:-256}
RATE=${BENCH_BSW_RATE:-40mbit}
SIZE=$((MIB << 20))
PEER=${P2P_PEER_BIN:-build/tests/p2p_peer}
IPFS=${IPFS_BIN:-$(go env GOPATH 2>/dev/null || echo /root/go)/bin/ipfs}
bn_init
KPIDS=()
cleanup_all() {
  local rc=$?
  set +e
  for p in "${KPIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${KPIDS[@]}"; do wait "$p" 2>/dev/null; done
  for l in "$BN_WORK"/k*.log; do
    [ $rc = 0 ] || { echo "--- $l" >&2; tail -n 15 "$l" >&2; }
  done 2>/dev/null
  (exit $rc)
  bn_cleanup
}
trap cleanup_all EXIT
missed=0
verdict() { # ok? -> ok | MISSED
  if awk "BEGIN{exit !($1)}"; then echo ok; else missed=1; echo MISSED; fi
}
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mbps() { awk -v s="$SIZE" -v t="$1" 'BEGIN{printf "%.1f", s / t / 1e6}'; }
# fetch URL: the whole file through a gateway; prints its seconds.
fetch() {
  local out
  out=$(curl -sf -m 600 -o /dev/null -w '%{size_download} %{time_total}' "$1") || { echo "fetch $1 failed" >&2; return 1; }
  [ "${out% *}" = "$SIZE" ] || { echo "fetch $1: ${out% *} bytes" >&2; return 1; }
  echo "${out#* }"
}
hwm() { awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
anon() { awk '/^RssAnon/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
rfile() { awk '/^RssFile/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

head -c $SIZE /dev/urandom >"$BN_WORK/file"
printf '%-46s %12s %12s %7s\n' "$MIB MiB file" trove reference ratio

# ------------------------------------------------------ many providers
if bn_need_netns >/dev/null; then
  for i in 1 2 3 4; do bn_provider $i "$RATE"; done
  CID=$(bn_tr 1 add -Q "$BN_WORK/file")
  for i in 2 3 4; do bn_tr $i add -Q "$BN_WORK/file" >/dev/null; done
  bn_local f1
  bn_local f4
  bn_tr f1 swarm connect "${BN_ADDR[1]}" >/dev/null
  for i in 1 2 3 4; do bn_tr f4 swarm connect "${BN_ADDR[$i]}" >/dev/null; done
  t1=$(fetch "${BN_GW[f1]}/ipfs/$CID")
  declare -A TX0=()
  for i in 1 2 3 4; do TX0[$i]=$(bn_tx $i); done
  t4=$(fetch "${BN_GW[f4]}/ipfs/$CID")
  shares=""
  for i in 1 2 3 4; do shares+=" $(( ($(bn_tx $i) - TX0[$i]) >> 20 ))"; done
  r=$(awk -v a="$t1" -v b="$t4" 'BEGIN{printf "%.2f", a / b}')
  printf '%-46s %12s %12s %7s  (target >= 2.5: %s)\n' \
    "4 vs 1 providers at $RATE each, s" "$t4" "$t1" "$r" "$(verdict "$r >= 2.5")"
  echo "  ($(mbps "$t4") MB/s from 4, $(mbps "$t1") MB/s from 1; fetcher VmHWM $(hwm "${BN_DPID[f4]}") / $(hwm "${BN_DPID[f1]}") MiB;"
  echo "   MiB sent by each provider's link to the fetcher of 4:$shares)"
  for n in 1 2 3 4 f1 f4; do bn_stop $n; done
else
  echo "(4 vs 1 throttled providers skipped: $(bn_need_netns))"
fi

# ------------------------------------------------------------ loopback
bn_local t1
CID=$(bn_tr t1 add -Q "$BN_WORK/file")
bn_local t2
bn_tr t2 swarm connect "${BN_ADDR[t1]}" >/dev/null
tt=$(fetch "${BN_GW[t2]}/ipfs/$CID")
TT_MB=$(mbps "$tt")
HWM_T1=$(hwm "${BN_DPID[t1]}") HWM_T2=$(hwm "${BN_DPID[t2]}")
if [ -x "$PEER" ]; then
  "$PEER" --listen /ip4/127.0.0.1/tcp/0 >"$BN_WORK/sink.out" 2>"$BN_WORK/sink.err" &
  SPID=$!
  KPIDS+=($SPID)
  for _ in $(seq 50); do grep -q '^listen ' "$BN_WORK/sink.out" && break; sleep 0.1; done
  SMA=$(awk '/^listen /{print $2; exit}' "$BN_WORK/sink.out")
  res=$("$PEER" --dial "$SMA" --proto sink --bytes "$SIZE" --timeout 300)
  NOISE=$(sed -n 's/.* MBps=\([^ ]*\).*/\1/p' <<<" $res")
  kill $SPID 2>/dev/null || true
  r=$(awk -v a="$TT_MB" -v b="$NOISE" 'BEGIN{printf "%.2f", a / b}')
  printf '%-46s %12s %12s %7s  (target >= 0.70: %s)\n' \
    "trove->trove loopback vs 1 Noise stream, MB/s" "$TT_MB" "$NOISE" "$r" "$(verdict "$r >= 0.70")"
else
  echo "(no $PEER: the Noise stream reference skipped; make tests)"
fi

# -------------------------------------------------------------- vs Kubo
kubo() { # NAME: a Kubo daemon on 127.0.0.1; sets KGW_, KMA_, KPID_NAME
  local n=$1 sp gp
  export IPFS_PATH=$BN_WORK/k$n
  sp=$(port) gp=$(port)
  "$IPFS" init --profile=test >/dev/null 2>&1
  "$IPFS" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$sp\"]"
  "$IPFS" config Addresses.API /ip4/127.0.0.1/tcp/$(port)
  "$IPFS" config Addresses.Gateway /ip4/127.0.0.1/tcp/$gp
  "$IPFS" config Routing.Type none
  "$IPFS" config --json Bootstrap '[]'
  "$IPFS" config profile apply unixfs-v1-2025 >/dev/null
  "$IPFS" daemon >"$BN_WORK/k$n.log" 2>&1 &
  KPIDS+=($!)
  printf -v "KPID_$n" '%s' "$!"
  for _ in $(seq 300); do grep -q "Daemon is ready" "$BN_WORK/k$n.log" && break; sleep 0.1; done
  grep -q "Daemon is ready" "$BN_WORK/k$n.log" || { cat "$BN_WORK/k$n.log" >&2; return 1; }
  printf -v "KGW_$n" '%s' "http://127.0.0.1:$gp"
  printf -v "KMA_$n" '%s' "/ip4/127.0.0.1/tcp/$sp/p2p/$("$IPFS" id -f '<id>')"
}
kipfs() { IPFS_PATH=$BN_WORK/k$1 timeout 120 "$IPFS" "${@:2}"; }
if [ -x "$IPFS" ]; then
  kubo 1
  KCID=$(kipfs 1 add -Q "$BN_WORK/file")
  [ "$KCID" = "$CID" ] || echo "(Kubo's CID $KCID differs from trove's $CID)"
  kubo 2
  kipfs 2 swarm connect "$KMA_1" >/dev/null
  kk=$(fetch "$KGW_2/ipfs/$KCID")
  HWM_K1=$(hwm "$KPID_1") HWM_K2=$(hwm "$KPID_2")
  # Kubo -> trove: a fresh trove fetcher.
  bn_local t3
  bn_tr t3 swarm connect "$KMA_1" >/dev/null
  kt=$(fetch "${BN_GW[t3]}/ipfs/$KCID")
  HWM_T3=$(hwm "${BN_DPID[t3]}") HWM_K1b=$(hwm "$KPID_1")
  # trove -> Kubo: a fresh Kubo fetcher.
  kubo 3
  kipfs 3 swarm connect "${BN_ADDR[t1]}" >/dev/null
  tk=$(fetch "$KGW_3/ipfs/$CID")
  HWM_K3=$(hwm "$KPID_3") HWM_T1b=$(hwm "${BN_DPID[t1]}")
  r=$(awk -v a="$kk" -v b="$tt" 'BEGIN{printf "%.2f", a / b}')
  printf '%-46s %12s %12s %7s  (target >= 2: %s)\n' \
    "trove->trove vs Kubo->Kubo, s" "$tt" "$kk" "$r" "$(verdict "$r >= 2")"
  printf '  %-16s %8s %8s   %s\n' "pair" "s" "MB/s" "peak RSS (VmHWM), provider / fetcher, MiB"
  printf '  %-16s %8s %8s   %s / %s\n' "trove->trove" "$tt" "$TT_MB" "$HWM_T1" "$HWM_T2"
  printf '  %-16s %8s %8s   %s / %s\n' "Kubo->Kubo" "$kk" "$(mbps "$kk")" "$HWM_K1" "$HWM_K2"
  printf '  %-16s %8s %8s   %s / %s\n' "Kubo->trove" "$kt" "$(mbps "$kt")" "$HWM_K1b" "$HWM_T3"
  printf '  %-16s %8s %8s   %s / %s\n' "trove->Kubo" "$tk" "$(mbps "$tk")" "$HWM_T1b" "$HWM_K3"
  echo "  (a provider reused across pairs shows its peak over all of them; VmHWM"
  echo "   counts the store's LMDB map pages read, file-backed: trove provider now"
  echo "   RssAnon $(anon "${BN_DPID[t1]}") MiB, RssFile $(rfile "${BN_DPID[t1]}") MiB)"
else
  echo "(no Kubo at $IPFS: the Kubo pairs skipped)"
fi
[ "${BENCH_STRICT:-0}" != 1 ] || [ $missed = 0 ]
