#!/bin/bash
# it_gwthreads.sh — the gateway on several loops (Gateway.Threads 4):
#   1. blocks the node lacks are fetched over bitswap from a second node
#      for requests that land on loops other than the main one (each
#      request a new connection; the kernel spreads them over the loops,
#      and the per-loop counters say where they went): the fetcher and
#      its answer cross between the loops;
#   2. the per-loop counters (trove_gateway_loop_requests_total) add up
#      to the requests made;
#   3. a SIGTERM with requests in flight on the loops (slow downloads, and
#      requests waiting for a block nobody has) stops the daemon cleanly
#      (the time it took is printed, not judged; a hang is the script's
#      timeout).
# Two daemons in temporary repos on free ports of 127.0.0.1, stopped by
# the trap (only the PIDs started here).  A sanitizer build of bin/trove
# is checked the same way (nodes_cleanup fails on a report).
if [ -z "${IT_GWTHREADS_TIMED:-}" ]; then
  IT_GWTHREADS_TIMED=1 exec timeout -k 5 300 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }
PIDS=()
trap nodes_cleanup EXIT
N=${IT_GWTHREADS_N:-4}
REQS=24

# start NAME [config...]: a daemon on free ports; sets API_, GW_, MA_,
# PID_NAME.
start() {
  local name=$1 repo=$WORK/$1 p
  shift
  p=$(port)
  TROVE_PATH=$repo t init >/dev/null
  TROVE_PATH=$repo t config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$p\"]" >/dev/null
  TROVE_PATH=$repo t config --json Bootstrap '[]' >/dev/null
  TROVE_PATH=$repo t config --json Gateway.RateLimit 0 >/dev/null
  while [ $# -gt 0 ]; do TROVE_PATH=$repo t config --json "$1" "$2" >/dev/null; shift 2; done
  TROVE_PATH=$repo TROVE_GATEWAY_THREADS= "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >"$repo.log" 2>&1 &
  PIDS+=($!)
  printf -v "PID_$name" '%s' $!
  for _ in $(seq 200); do grep -q "Daemon is ready" "$repo.log" && break; sleep 0.05; done
  grep -q "Daemon is ready" "$repo.log" || fail "daemon $name did not start: $(cat "$repo.log")"
  printf -v "API_$name" '%s' "http://127.0.0.1:$(sed 's|.*/tcp/||' "$repo/api")/api/v0"
  printf -v "GW_$name" '%s' "$(sed -n 's|.*Gateway server listening on .* (\(http://[^)]*\)/ipfs/).*|\1|p' "$repo.log")"
  printf -v "MA_$name" '%s' "/ip4/127.0.0.1/tcp/$p/p2p/$(sed -n 's/.*peer identity: //p' "$repo.log")"
}
start a Gateway.Threads 1
start b Gateway.Threads "$N"
grep -q "gateway: $N loops" "$WORK/b.log" || fail "b does not say it serves on $N loops: $(grep -i gateway "$WORK/b.log")"
ta() { TROVE_PATH=$WORK/a t "$@"; }
tb() { TROVE_PATH=$WORK/b t "$@"; }

# Content on a only: one small file per request, and a big one.
mkdir -p "$WORK/f"
for i in $(seq 1 $REQS); do echo "file $i $RANDOM$RANDOM" >"$WORK/f/$i"; done
head -c $((8 << 20)) /dev/urandom >"$WORK/big"
CIDS=()
for i in $(seq 1 $REQS); do CIDS+=("$(ta add -Q "$WORK/f/$i")"); done
BIG=$(ta add -Q "$WORK/big")
tb block stat "${CIDS[0]}" >/dev/null 2>&1 && fail "b has a's block before any fetch"
curl -sf -m 20 -X POST "$API_b/swarm/connect?arg=$MA_a" >/dev/null || fail "b cannot connect to a"

# 1. Each file on a connection of its own: spread over the loops, each
# fetched from a through the main loop's bitswap.
metric() { # loop -> b's count of answers on that loop
  curl -sf -m 10 "${API_b%/api/v0}/debug/metrics/prometheus" |
    sed -n "s/^trove_gateway_loop_requests_total{loop=\"$1\"} //p"
}
for i in $(seq 0 $((N - 1))); do before[$i]=$(metric $i); done
[ -n "${before[0]}" ] || fail "no trove_gateway_loop_requests_total in b's metrics"
for i in $(seq 1 $REQS); do
  got=$(curl -sf -m 30 "$GW_b/ipfs/${CIDS[$((i - 1))]}") || fail "b: file $i not served"
  eq "$got" "$(cat "$WORK/f/$i")"
done
ok "$REQS files a alone had, each on a new connection to b's $N loops"
sum=0 others=0
for i in $(seq 0 $((N - 1))); do
  d=$(( $(metric $i) - before[i] ))
  echo "   loop $i answered $d"
  sum=$((sum + d))
  [ "$i" -gt 0 ] && others=$((others + d))
done
eq "$sum" "$REQS"
# 24 connections all hashed to the main loop's socket: 4^-24.
[ "$others" -gt 0 ] || fail "no request landed on a loop other than the main one"
ok "the loops' counters add up ($sum), $others answered off the main loop"
tb block stat "${CIDS[0]}" >/dev/null || fail "b did not keep the fetched block"

# 2. The big file, several times at once, from several loops.
GETS=()
for i in 1 2 3 4 5 6; do
  curl -sf -m 60 "$GW_b/ipfs/$BIG" -o "$WORK/big.$i" &
  GETS+=($!)
done
for p in "${GETS[@]}"; do wait "$p" || fail "a download of the big file failed"; done
for i in 1 2 3 4 5 6; do cmp -s "$WORK/big" "$WORK/big.$i" || fail "big file $i differs"; done
ok "an 8 MiB file fetched and served to 6 clients at once"

# 3. Shut down with requests in flight: slow readers of the big file and
# requests that wait for a block no node has (a fetch relayed to the main
# loop, until the retrieval timeout).
NOBODY=bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy
CURLS=()
# The slow readers: sockets with a small receive buffer that read the
# head and then nothing.  (curl --limit-rate was not slow: curl 7.88 lets
# a transfer run at full speed until its first rate check, and a server
# that sends 8 MiB in 20 ms is done by then.)
python3 - "${GW_b##*:}" "$BIG" <<'EOF2' &
import socket, sys, time
socks = []
for _ in range(16):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", int(sys.argv[1])))
    s.sendall(("GET /ipfs/%s HTTP/1.1\r\nHost: x\r\n\r\n" % sys.argv[2]).encode())
    s.recv(1024)
    socks.append(s)
time.sleep(60)
EOF2
CURLS+=($!)
for i in $(seq 1 16); do
  curl -s -m 60 "$GW_b/ipfs/$NOBODY" -o /dev/null &
  CURLS+=($!)
done
# 17 processes take a while to start on a loaded machine (once 30 of 32
# were connected after a fixed 2 s): wait up to 10 s for them all.
for _ in $(seq 50); do
  sleep 0.2
  busy=$(ss -tn state established "( sport = :${GW_b##*:} )" | tail -n +2 | wc -l)
  [ "$busy" -lt 32 ] || break
done
[ "$busy" -ge 32 ] || fail "only $busy connections open before the stop"
t0=$(date +%s%N)
kill "$PID_b"
wait "$PID_b" || fail "b did not stop cleanly with $busy requests in flight"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# Slow readers may still drain what the kernel buffered: not ours to wait.
for p in "${CURLS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
ok "b stopped cleanly in $ms ms with $busy requests in flight on its loops"
exit 0
