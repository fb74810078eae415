#!/bin/bash
# it_bwlimit.sh — Swarm.MaxRecvRate on 127.0.0.1: trove a holds an 8 MiB
# random file; trove b, limited to 1 MiB/s, pins it over bitswap (`pin
# add`, fetching from a).  While it fetches, b's own counters are sampled:
# every RateIn of `stats/bw` (the node's bytes over its last second) stays
# under 2x the limit, and the bytes b metered from its sockets
# (trove_libp2p_recv_metered_bytes_total, wire bytes: Noise and yamux
# included) over the whole fetch, divided by the fetch's time, too: a
# loose bound that a slow machine only makes easier (a lower bound on
# time, not an upper one).  The limiter did work (recv_throttled > 0) and
# the content arrived whole (`pin verify`, and the bytes compared).  Then
# trove c, without the limit, pins the same file: not throttled (its
# counters are 0), and its time is printed next to b's.  Daemons in
# temporary repos on free ports; the trap stops only the PIDs started here.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }
trap nodes_cleanup EXIT
LIMIT=1048576
SIZE=$((8 * 1048576))

# start NAME [KEY JSON]...: a daemon on free ports; sets API_, MA_NAME.
start() {
  local name=$1 repo=$WORK/$1 p
  shift
  p=$(port)
  TROVE_PATH=$repo t init >/dev/null
  TROVE_PATH=$repo t config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$p\"]" >/dev/null
  TROVE_PATH=$repo t config --json Bootstrap '[]' >/dev/null
  while [ $# -gt 0 ]; do TROVE_PATH=$repo t config "$1" "$2" >/dev/null; shift 2; done
  TROVE_PATH=$repo timeout --foreground 300 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >"$repo.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 200); do grep -q "Daemon is ready" "$repo.log" && break; sleep 0.05; done
  grep -q "Daemon is ready" "$repo.log" || fail "daemon $name did not start: $(cat "$repo.log")"
  printf -v "API_$name" '%s' "http://127.0.0.1:$(sed 's|.*/tcp/||' "$repo/api")/api/v0"
  printf -v "MA_$name" '%s' "/ip4/127.0.0.1/tcp/$p/p2p/$(sed -n 's/.*peer identity: //p' "$repo.log")"
}
on() { local n=$1; shift; TROVE_PATH=$WORK/$n t "$@"; }
# metric NODE NAME: a sample of the node's Prometheus metrics.
metric() {
  local a=API_$1
  curl -sf "${!a%/api/v0}/debug/metrics/prometheus" | awk -v k="$2" '$1 == k {printf "%d\n", $2}'
}
# rate_in NODE: stats/bw's RateIn (bytes/s over the node's last second).
rate_in() {
  local a=API_$1
  curl -sf -X POST "${!a}/stats/bw" | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["RateIn"]))'
}
now_ms() { date +%s%3N; }

# A bad value stops the daemon with a message naming the key.
TROVE_PATH=$WORK/bad t init >/dev/null
TROVE_PATH=$WORK/bad t config Swarm.MaxRecvRate "fast" >/dev/null
if TROVE_PATH=$WORK/bad timeout --foreground 20 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >"$WORK/bad.log" 2>&1; then
  fail "a daemon started with Swarm.MaxRecvRate \"fast\""
fi
grep -q "Swarm.MaxRecvRate" "$WORK/bad.log" || fail "no message: $(cat "$WORK/bad.log")"
ok "a malformed Swarm.MaxRecvRate stops the daemon"

start a
start b Swarm.MaxRecvRate 1MiB
start c
grep -q "receiving at most $LIMIT bytes/s" "$WORK/b.log" || fail "b: no limit in its log"
head -c $SIZE /dev/urandom >"$WORK/file"
CID=$(on a add -Q "$WORK/file")
on b swarm connect "$MA_a" >/dev/null
on c swarm connect "$MA_a" >/dev/null
ok "a holds $SIZE bytes as $CID; b (1 MiB/s) and c (unlimited) connected"

# ---- b: limited
m0=$(metric b trove_libp2p_recv_metered_bytes_total)
t0=$(now_ms)
on b pin add "$CID" >"$WORK/b.pin" 2>&1 &
PIN=$!
maxrate=0 samples=0
while kill -0 $PIN 2>/dev/null; do
  r=$(rate_in b)
  [ "$r" -gt "$maxrate" ] && maxrate=$r
  samples=$((samples + 1))
  [ $samples -lt 600 ] || fail "b's pin add still running after ~5 min"
  sleep 0.5
done
wait $PIN || fail "b: pin add failed: $(cat "$WORK/b.pin")"
t1=$(now_ms)
m1=$(metric b trove_libp2p_recv_metered_bytes_total)
thr=$(metric b trove_libp2p_recv_throttled_total)
bytes=$((m1 - m0)) ms=$((t1 - t0))
avg=$((bytes * 1000 / ms))
echo "# b: $bytes wire bytes in $ms ms = $avg B/s (limit $LIMIT); max RateIn $maxrate over $samples samples; throttled $thr times"
[ "$bytes" -ge "$SIZE" ] || fail "b metered $bytes bytes, under the file's $SIZE"
[ "$avg" -le $((2 * LIMIT)) ] || fail "b took in $avg B/s on average, over 2x the limit"
[ "$maxrate" -le $((2 * LIMIT)) ] || fail "b's RateIn reached $maxrate, over 2x the limit"
[ "$thr" -gt 0 ] || fail "b was never throttled"
on b pin verify -q >"$WORK/b.verify" || fail "b: pin verify: $(cat "$WORK/b.verify")"
[ ! -s "$WORK/b.verify" ] || fail "b: broken pins: $(cat "$WORK/b.verify")"
on b cat "$CID" --offline 2>/dev/null | cmp -s - "$WORK/file" ||
  on b cat "$CID" | cmp -s - "$WORK/file" || fail "b: the bytes differ"
ok "b pinned it under the limit and whole"

# ---- c: unlimited
t0=$(now_ms)
on c pin add "$CID" >"$WORK/c.pin" 2>&1 || fail "c: pin add failed: $(cat "$WORK/c.pin")"
t1=$(now_ms)
echo "# c: unlimited, $((t1 - t0)) ms for the same fetch"
eq "$(metric c trove_libp2p_recv_throttled_total)" 0 "(c throttled)"
eq "$(metric c trove_libp2p_recv_metered_bytes_total)" 0 "(c metered)"
on c pin verify -q >"$WORK/c.verify" || fail "c: pin verify"
[ ! -s "$WORK/c.verify" ] || fail "c: broken pins: $(cat "$WORK/c.verify")"
ok "c, without the limit, is not throttled and pinned it whole"
