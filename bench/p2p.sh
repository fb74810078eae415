#!/bin/bash
# p2p.sh — trove's libp2p host (net/, driven by build/tests/p2p_peer) beside
# references measured in the same run:
#
#   throughput  one yamux stream over Noise between two p2p_peer processes
#               on 127.0.0.1 (BENCH_P2P_BYTES, default 1 GiB, on
#               /trove/test/sink/1.0.0), best of BENCH_P2P_ROUNDS; beside
#               ChaCha20-Poly1305 (IETF) sealing 65,519-byte frames in a
#               loop with OpenSSL's EVP calls, as net/noise_core.c seals
#               (build/bench/p2p_ref; libsodium's loop printed too), target
#               >= 0.60 of it;
#               the same over a WebSocket (/ws: HTTP upgrade, every write
#               one frame, the sender masking as a client must), beside
#               TCP's figure of the same run, target >= 0.90;
#               and beside the same transfer between two js-libp2p nodes
#               (tests/interop/p2p_js.mjs).  The CPU seconds each side spent
#               per GiB are printed too: on a shared 2-core machine the
#               processes compete with each other (and with everything
#               else), so the wall-clock figure is the lower bound, and the
#               CPU figure says what one side costs beside the seal loop.
#   connections BENCH_P2P_CONNS (default 1000) connections held to one
#               p2p_peer, each from its own host (own key, so the per-peer
#               cap is not what is measured) in one client process; the
#               server's VmRSS, target < 64 MiB.
#   handshakes  TCP connect + multistream + Noise XX + multistream + yamux,
#               BENCH_P2P_HANDSHAKES (default 2000) one after the other and
#               then 16 at once; beside the public-key work of a handshake
#               (two X25519 base multiplications, three X25519, one Ed25519
#               sign and one verify per side, both sides: p2p_ref) on one
#               core (sequential: the two sides take turns) and on two
#               (parallel).  No target: the ratio says how much the rest
#               (syscalls, hashing, protobuf, identify) costs.
#
# The limits p2p_peer raises are the benchmark's, not trove's defaults:
# --conns-max, --pending-max and --conns-per-peer for the connection and
# handshake runs.  Environment: BENCH_TMP, BENCH_DIR (where p2p_ref is),
# BENCH_P2P_BYTES, BENCH_P2P_ROUNDS (3), BENCH_P2P_CONNS,
# BENCH_P2P_HANDSHAKES, BENCH_P2P_JS=0 (skip the js-libp2p reference),
# BENCH_STRICT=1 (a missed target fails the run).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib/cpu.sh
BENCH_DIR=${BENCH_DIR:-build/bench}
T=${BENCH_TMP:-$(mktemp -d /tmp/trove-bench-p2p.XXXXXX)}
PEER=${P2P_PEER_BIN:-build/tests/p2p_peer}
REF=$BENCH_DIR/p2p_ref
BYTES=${BENCH_P2P_BYTES:-1073741824}
ROUNDS=${BENCH_P2P_ROUNDS:-3}
CONNS=${BENCH_P2P_CONNS:-1000}
HS=${BENCH_P2P_HANDSHAKES:-2000}
for x in "$PEER" "$REF"; do
  [ -x "$x" ] || { echo "$x missing: run 'make bench'" >&2; exit 1; }
done
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
ulimit -n $((CONNS * 2 + 1024)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
missed=0
verdict() { # ok? -> ok | MISSED
  if awk "BEGIN{exit !($1)}"; then echo ok; else missed=1; echo MISSED; fi
}
kv() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; } # key line
# serve NAME ARGS...: a p2p_peer listening on 127.0.0.1; sets SPID, SMA.
serve() {
  local name=$1; shift
  "$PEER" --listen "${LISTEN:-/ip4/127.0.0.1/tcp/0}" "$@" >"$T/$name.out" 2>"$T/$name.err" &
  SPID=$!
  PIDS+=($SPID)
  for _ in $(seq 50); do grep -q '^id ' "$T/$name.out" && break; sleep 0.1; done
  SMA=$(awk '/^listen /{print $2; exit}' "$T/$name.out")
  [ -n "$SMA" ] || { cat "$T/$name.err"; echo "p2p_peer did not start" >&2; exit 1; }
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

ref=$("$REF" 1)
SEAL=$(kv MBps "$(grep '^seal ' <<<"$ref")")
SEAL_SODIUM=$(kv MBps "$(grep '^seal_sodium ' <<<"$ref")")
HS_US=$(kv us "$(grep '^hs_side' <<<"$ref")")
echo "references: $ref" | tr '\n' ' '; echo
printf '%-44s %12s %12s %7s\n' "" trove reference ratio

# ------------------------------------------------------------- throughput
serve sink
best=0 best_cl="" best_sv=""
for r in $(seq "$ROUNDS"); do
  s0=$(cpu_secs "$SPID")
  TIMEFORMAT='%U %S'
  { time "$PEER" --dial "$SMA" --proto sink --bytes "$BYTES" --timeout 300 >"$T/sink.res" 2>>"$T/sink.err"; } 2>"$T/sink.time"
  s1=$(cpu_secs "$SPID")
  res=$(cat "$T/sink.res")
  [ "$(kv ok "$res")" = 1 ] || { echo "sink transfer failed: $res" >&2; cat "$T/sink.err" >&2; exit 1; }
  mb=$(kv MBps "$res")
  cl=$(awk '{print $1 + $2}' "$T/sink.time")
  sv=$(awk -v a="$s0" -v b="$s1" 'BEGIN{print b - a}')
  echo "  round $r: $mb MB/s, CPU s: sender $cl, receiver $sv"
  if awk -v a="$mb" -v b="$best" 'BEGIN{exit !(a > b)}'; then best=$mb best_cl=$cl best_sv=$sv; fi
done
stop "$SPID"
gib=$(awk -v b="$BYTES" 'BEGIN{print b / 1073741824}')
r1=$(awk -v a="$best" -v b="$SEAL" 'BEGIN{printf "%.2f", a / b}')
printf '%-44s %12s %12s %7s  (target >= 0.60: %s)\n' "1 stream, Noise+yamux, MB/s (vs seal loop)" \
  "$best" "$SEAL" "$r1" "$(verdict "$r1 >= 0.60")"
printf '%-44s %12s %12s %7s\n' "  the same, vs libsodium's seal loop" "$best" "$SEAL_SODIUM" \
  "$(awk -v a="$best" -v b="$SEAL_SODIUM" 'BEGIN{printf "%.2f", a / b}')"
seal_cpu=$(awk -v s="$SEAL" 'BEGIN{printf "%.2f", 1073741824 / (s * 1e6)}')
for side in sender:$best_cl receiver:$best_sv; do
  c=$(awk -v c="${side#*:}" -v g="$gib" 'BEGIN{printf "%.2f", c / g}')
  printf '%-44s %12s %12s %7s\n' "  CPU s per GiB, ${side%%:*} (vs seal loop)" "$c" "$seal_cpu" \
    "$(awk -v a="$seal_cpu" -v b="$c" 'BEGIN{printf "%.2f", a / b}')"
done

# The same stream over /ws.
LISTEN=/ip4/127.0.0.1/tcp/0/ws serve wsink
wbest=0
for r in $(seq "$ROUNDS"); do
  res=$("$PEER" --dial "$SMA" --proto sink --bytes "$BYTES" --timeout 300 2>>"$T/wsink.err")
  [ "$(kv ok "$res")" = 1 ] || { echo "/ws sink transfer failed: $res" >&2; exit 1; }
  mb=$(kv MBps "$res")
  echo "  /ws round $r: $mb MB/s"
  if awk -v a="$mb" -v b="$wbest" 'BEGIN{exit !(a > b)}'; then wbest=$mb; fi
done
stop "$SPID"
rw=$(awk -v a="$wbest" -v b="$best" 'BEGIN{printf "%.2f", a / b}')
printf '%-44s %12s %12s %7s  (target >= 0.90: %s)\n' "1 stream over /ws, MB/s (vs the same on TCP)" \
  "$wbest" "$best" "$rw" "$(verdict "$rw >= 0.90")"

if [ "${BENCH_P2P_JS:-1}" = 1 ] && [ -d tests/interop/node_modules/libp2p ]; then
  # Two js-libp2p nodes: A listens (its commands through a FIFO), B sends.
  mkfifo "$T/ja.in"
  node tests/interop/p2p_js.mjs <"$T/ja.in" >"$T/ja.out" 2>"$T/ja.err" &
  JA=$!
  PIDS+=($JA)
  exec {jafd}>"$T/ja.in"
  echo addr >&$jafd
  for _ in $(seq 300); do [ -s "$T/ja.out" ] && break; sleep 0.1; done
  jma=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["addrs"][0])' "$T/ja.out")
  coproc JB { exec node tests/interop/p2p_js.mjs 2>"$T/jb.err"; }
  PIDS+=("$JB_PID")
  echo "sink $jma 1 $BYTES" >&"${JB[1]}"
  IFS= read -r -t 600 out <&"${JB[0]}"
  js=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["ok"] == 1, d; print("%.1f" % d["MBps"])' "$out")
  r=$(awk -v a="$best" -v b="$js" 'BEGIN{printf "%.2f", a / b}')
  printf '%-44s %12s %12s %7s\n' "1 stream, MB/s (vs two js-libp2p nodes)" "$best" "$js" "$r"
  exec {jafd}>&-
  stop "$JA"; stop "$JB_PID"
fi

# ------------------------------------------------------------ connections
serve conns --conns-max $((CONNS + 64)) --pending-max "$CONNS"
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
before=$(rss "$SPID")
"$PEER" --dial "$SMA" --hosts "$CONNS" --hold --timeout 120 >"$T/hosts.out" 2>"$T/hosts.err" &
CPID=$!
PIDS+=($CPID)
for _ in $(seq 1200); do grep -q '^result' "$T/hosts.out" && break; sleep 0.1; done
res=$(grep '^result' "$T/hosts.out" || true)
sleep 1 # identify's exchanges settle
kill -USR1 "$SPID"
for _ in $(seq 50); do grep -q '^stats' "$T/conns.out" && break; sleep 0.1; done
held=$(kv conns "$(grep '^stats' "$T/conns.out" | tail -1)")
during=$(rss "$SPID")
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$SPID/status")
stop "$CPID"; stop "$SPID"
mib=$(awk -v k="$during" 'BEGIN{printf "%.1f", k / 1024}')
printf '%-44s %12s\n' "connections held (server's count)" "${held:-?} of $CONNS (client: ok=$(kv ok "$res") in $(kv secs "$res") s)"
printf '%-44s %12s %12s %7s  (target < 64: %s)\n' "server VmRSS holding them, MiB" "$mib" \
  "$(awk -v k="$before" 'BEGIN{printf "%.1f", k / 1024}') idle" \
  "" "$(verdict "${held:-0} == $CONNS && $mib < 64")"
printf '%-44s %12s\n' "  peak (VmHWM), MiB; per connection, KiB" \
  "$(awk -v h="$hwm" -v d="$during" -v b="$before" -v n="$CONNS" 'BEGIN{printf "%.1f; %.1f", h / 1024, (d - b) / n}')"

# ------------------------------------------------------------- handshakes
serve hs --conns-max 100000 --pending-max 1024 --conns-per-peer 100000
ref1=$(awk -v u="$HS_US" 'BEGIN{printf "%.0f", 1e6 / (2 * u)}') # one core
ncores=$(( $(nproc) < 2 ? $(nproc) : 2 ))
for par in 1 16; do
  s0=$(cpu_secs "$SPID")
  TIMEFORMAT='%U %S'
  { time "$PEER" --dial "$SMA" --handshakes "$HS" --parallel $par --conns-per-peer 100000 --timeout 300 >"$T/hs.res" 2>>"$T/hs.err"; } 2>"$T/hs.time" || true
  s1=$(cpu_secs "$SPID")
  res=$(cat "$T/hs.res")
  [ "$(kv ok "$res")" = "$HS" ] || { echo "handshakes failed: $res" >&2; tail -3 "$T/hs.err" >&2; exit 1; }
  rate=$(kv per_sec "$res")
  refn=$(( par == 1 ? ref1 : ref1 * ncores ))
  what=$([ $par = 1 ] && echo "sequential (vs 1 core)" || echo "16 at once (vs $ncores cores)")
  printf '%-44s %12s %12s %7s\n' "handshakes/s, $what" "$rate" "$refn" \
    "$(awk -v a="$rate" -v b="$refn" 'BEGIN{printf "%.2f", a / b}')"
  us=$(awk -v a="$s0" -v b="$s1" -v n="$HS" '{printf "%.0f", ($1 + $2 + b - a) * 1e6 / n}' "$T/hs.time")
  printf '%-44s %12s %12s %7s\n' "  CPU us per handshake, both sides" "$us" \
    "$(awk -v u="$HS_US" 'BEGIN{printf "%.0f", 2 * u}')" "$(awk -v a="$us" -v u="$HS_US" 'BEGIN{printf "%.2f", 2 * u / a}')"
done
stop "$SPID"

if [ "$missed" = 1 ] && [ "${BENCH_STRICT:-0}" = 1 ]; then exit 1; fi
exit 0
