#!/bin/bash
# gateway_ab.sh — two trove binaries, A and B, serving the same file to
# wrk in pairs of short runs, the order alternating: each pair's B/A
# req/s ratio, their median, and each side's daemon CPU per request.
#
# The 2-core machine's speed moves a run's req/s by +-15% from one minute
# to the next (bench/README.md, "The 1 KiB row's CPU"), more than most
# changes to the gateway do: a pair's two runs are seconds apart, so their
# ratio drops what the machine does between pairs, and the median of
# several pairs drops the odd pair.  With only TROVE_BIN it compares the
# binary with itself (an A/A run): the spread it prints is the noise a
# ratio of two single runs would carry.
#
# Each run: a fresh repo, Gateway.RateLimit 0 (see gateway.sh), the
# daemon with Gateway.Threads auto, `wrk -t2 -c64` for BENCH_AB_SECONDS
# (3); the daemon's CPU from /proc/PID/stat over the run.
#
# Environment: TROVE_BIN (A), TROVE_BIN_B (B; default A), BENCH_AB_PAIRS
# (8), BENCH_AB_SIZE (bytes of the file, 1024), BENCH_AB_SECONDS (3),
# BENCH_TMP.
set -euo pipefail
. "$(dirname "$0")/lib/daemon.sh"
A=${TROVE_BIN:-$PWD/bin/trove}
B=${TROVE_BIN_B:-$A}
PAIRS=${BENCH_AB_PAIRS:-8}
SIZE=${BENCH_AB_SIZE:-1024}
SECS=${BENCH_AB_SECONDS:-3}
T=${BENCH_TMP:-$(mktemp -d /tmp/trove-bench-ab.XXXXXX)}
for x in wrk python3; do
  command -v $x >/dev/null || { echo "$x missing: run 'make deps'" >&2; exit 1; }
done
DPID=""
cleanup() {
  [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null || true
}
trap cleanup EXIT
mkdir -p "$T"
head -c "$SIZE" /dev/urandom >"$T/ab.bin"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run BIN -> "req/s us_per_request" (the daemon's CPU per request)
run() {
  local repo=$T/repo-ab cid port out t0 t1 rps
  rm -rf "$repo"
  TROVE_PATH=$repo "$1" init >/dev/null
  TROVE_PATH=$repo "$1" config --json Gateway.RateLimit 0
  cid=$(TROVE_PATH=$repo "$1" add -Q "$T/ab.bin")
  daemon_start "$1" "$repo" "$T/ab.log" 0
  port=$GWPORT
  curl -s "http://127.0.0.1:$port/ipfs/$cid" | cmp -s - "$T/ab.bin" ||
    { echo "$1 does not serve the file" >&2; exit 1; }
  t0=$(ticks "$DPID")
  out=$(wrk -t2 -c64 -d"${SECS}s" "http://127.0.0.1:$port/ipfs/$cid")
  t1=$(ticks "$DPID")
  kill "$DPID"
  wait "$DPID" 2>/dev/null || true
  DPID=""
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  awk -v r="$rps" -v d=$((t1 - t0)) -v s="$SECS" -v hz="$(getconf CLK_TCK)" \
    'BEGIN{printf "%s %.2f\n", r, d / hz / (r * s) * 1e6}'
}

echo "gateway_ab: A $A"
echo "gateway_ab: B $B$([ "$B" = "$A" ] && echo " (the same: an A/A run, the noise)")"
echo "gateway_ab: $PAIRS pairs, a $SIZE-byte file, wrk -t2 -c64 -d${SECS}s each, load $(cut -d' ' -f1-3 /proc/loadavg)"
ratios=()
for i in $(seq "$PAIRS"); do
  if [ $((i % 2)) = 1 ]; then
    a=$(run "$A"); b=$(run "$B")
  else
    b=$(run "$B"); a=$(run "$A")
  fi
  r=$(awk -v a="${a% *}" -v b="${b% *}" 'BEGIN{printf "%.3f", b / a}')
  ratios+=("$r")
  printf 'pair %2d: A %10.0f req/s %6s us/req   B %10.0f req/s %6s us/req   B/A %s\n' \
    "$i" "${a% *}" "${a#* }" "${b% *}" "${b#* }" "$r"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk -v load="$(cut -d' ' -f1-3 /proc/loadavg)" '
  {v[NR] = $1}
  END {
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "gateway_ab: B/A median %.3f (min %.3f, max %.3f over %d pairs); load after %s\n",
      m, v[1], v[NR], NR, load
  }'
