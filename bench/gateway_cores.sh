#!/bin/bash
# gateway_cores.sh — how the gateway scales with cores, beside nginx
# (issue 15's row "gateway on a 16-core machine vs nginx, wrk -t16 -c512"):
#
#   for N in BENCH_CORES (default 1 2 4 8 16): trove with Gateway.Threads N
#   and nginx with worker_processes N serve the same 1 KiB and 1 MiB files
#   to wrk -t16 -c512 (BENCH_WRK); req/s and MB/s (10^6 bytes of body), the
#   ratio, and the CPU each server used (cores busy, from /proc)
#   then, for each size in BENCH_POOLS (default "4 32"), trove with the
#   most loops and UV_THREADPOOL_SIZE that size (the daemon's own default
#   is its pool of 4 or one worker per loop, whichever is more)
#
# wrk runs on the same machine, so both servers share the cores with it;
# the ratio at 16 is the figure, and "req/s growing with cores" the shape.
# On a machine with fewer than 16 cores the script says so and measures
# nothing unless BENCH_CORES is set (the 2-core rows are bench/gateway.sh's).
#
# Environment: TROVE_BIN, NGINX_BIN, WRK_BIN (commands, so a device run can
# pass wrappers that bring their own libraries), BENCH_TMP, BENCH_CORES,
# BENCH_POOLS, BENCH_DURATION (wrk seconds, default 5), BENCH_WRK.
set -euo pipefail
. "$(dirname "$0")/lib/daemon.sh"
TROVE=${TROVE_BIN:-$PWD/bin/trove}
NGINX=${NGINX_BIN:-nginx}
WRK=${WRK_BIN:-wrk}
DUR=${BENCH_DURATION:-5}
WRKARGS=${BENCH_WRK:--t16 -c512}
CPUS=$(nproc)
if [ -z "${BENCH_CORES:-}" ] && [ "$CPUS" -lt 16 ]; then
  echo "gateway on 16 cores: not measured ($CPUS cores here; BENCH_CORES=\"1 2\" measures what there is)"
  exit 0
fi
CORES=${BENCH_CORES:-1 2 4 8 16}
POOLS=${BENCH_POOLS-4 32}
T=${BENCH_TMP:-$(mktemp -d /tmp/trove-bench-gwc.XXXXXX)}
DPID="" NPID=""
stop_trove() { [ -z "$DPID" ] || { kill "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null || true; DPID=""; }; }
stop_nginx() { [ -z "$NPID" ] || { kill "$NPID" 2>/dev/null; wait "$NPID" 2>/dev/null || true; NPID=""; }; }
trap 'stop_trove; stop_nginx' EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

mkdir -p "$T/www" "$T/nginx"
head -c 1024 /dev/urandom >"$T/www/1k.bin"
head -c 1048576 /dev/urandom >"$T/www/1m.bin"
export TROVE_PATH=$T/repo
$TROVE init >/dev/null
# wrk is one address making a great many requests: no per-address limit.
$TROVE config --json Gateway.RateLimit 0
CID1K=$($TROVE add -Q "$T/www/1k.bin")
CID1M=$($TROVE add -Q "$T/www/1m.bin")

# CPU seconds * 100 (clock ticks) used so far by PID and its children
# processes (nginx's workers), from /proc.  Through cat, which goes on past
# a process that exits while the list is read (awk stopped there: the one
# 0.00 of the first 16-core run).
ticks() {
  cat /proc/[0-9]*/stat 2>/dev/null |
    awk -v p="$1" '{ pid = $1; sub(/^.*\) /, "")
                     if ($2 == p || pid == p) t += $12 + $13 }
                   END { print t + 0 }'
}
# run URL PID -> "req/s cores-busy"; socket errors or non-2xx answers are
# printed on stderr (they make the figure suspect).
run() {
  local out t0 t1 non err
  t0=$(ticks "$2")
  out=$($WRK $WRKARGS -d"${DUR}s" "$1")
  t1=$(ticks "$2")
  non=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
  err=$(grep 'Socket errors' <<<"$out" || true)
  [ -z "$non$err" ] || echo "  $1: non-2xx $non $err" >&2
  awk -v c=$((t1 - t0)) -v d="$DUR" '/^Requests\/sec:/ {printf "%s %.2f\n", $2, c / 100 / d}' <<<"$out"
}
start_trove() { # loops [pool]
  stop_trove
  if [ -n "${2:-}" ]; then
    UV_THREADPOOL_SIZE=$2 daemon_start "$TROVE" "$TROVE_PATH" "$T/daemon.log" "$1"
  else
    daemon_start "$TROVE" "$TROVE_PATH" "$T/daemon.log" "$1"
  fi
  TPORT=$GWPORT
}
NPORT=$((20000 + RANDOM % 20000))
start_nginx() { # workers
  stop_nginx
  # reuseport: nginx's own way to spread connections over its workers
  # (Debian's config leaves it off; the 16-core figures were taken so).
  nginx_conf "$T/nginx" "$NPORT" "$1" "$T/www" reuseport
  $NGINX -e "$T/nginx/error.log" -c "$T/nginx/nginx.conf" -g 'daemon off;' &
  NPID=$!
  sleep 0.5
}
mbs() { awk -v a="$1" 'BEGIN{printf "%.0f", a*1048576/1e6}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

echo "gateway scaling: $CPUS cores, wrk $WRKARGS -d${DUR}s, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %10s %10s %6s %6s %6s | %9s %9s %6s %6s %6s\n' cores \
  "trove 1K" "nginx 1K" ratio cpu-t cpu-n "trove 1M" "nginx 1M" ratio cpu-t cpu-n
row() { # label a1k n1k a1m n1m (each "rate cpu")
  set -- "$1" $2 $3 $4 $5
  printf '%-10s %10.0f %10.0f %6s %6s %6s | %9s %9s %6s %6s %6s\n' "$1" \
    "$2" "$4" "$(ratio "$2" "$4")" "$3" "$5" \
    "$(mbs "$6")" "$(mbs "$8")" "$(ratio "$6" "$8")" "$7" "$9"
}
for n in $CORES; do
  start_trove "$n"
  a=$(run "http://127.0.0.1:$TPORT/ipfs/$CID1K" "$DPID")
  b=$(run "http://127.0.0.1:$TPORT/ipfs/$CID1M" "$DPID")
  stop_trove
  start_nginx "$n"
  c=$(run "http://127.0.0.1:$NPORT/1k.bin" "$NPID")
  d=$(run "http://127.0.0.1:$NPORT/1m.bin" "$NPID")
  stop_nginx
  row "$n" "$a" "$c" "$b" "$d"
  last="$c|$d"
done
n=${CORES##* }
for p in $POOLS; do
  start_trove "$n" "$p"
  a=$(run "http://127.0.0.1:$TPORT/ipfs/$CID1K" "$DPID")
  b=$(run "http://127.0.0.1:$TPORT/ipfs/$CID1M" "$DPID")
  stop_trove
  row "$n pool $p" "$a" "${last%|*}" "$b" "${last#*|}"
done
echo "(ratio: trove / nginx; cpu: cores busy in the server during the run; pool rows beside the last nginx row)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
