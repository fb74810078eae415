#!/bin/bash
# mirror_converge.sh — issue 13: the time for 3 mirrors to converge on N
# pins of an origin's Pinning Service API, and pins/s per mirror.
#
# Data: BENCH_MIRROR_BIG DAGs of BENCH_MIRROR_BIG_KIB KiB each (random
# bytes) and the rest of BENCH_MIRROR_N as small files of 1 byte to
# BENCH_MIRROR_SMALL_MAX bytes; default the issue's mix, 10,000 pins: 1,000
# DAGs of 1 MiB and 9,000 small files (~1 GiB).  Added on the origin with
# `add -r --pin=false`, each file's CID pinned through POST /pins (not
# timed), the origin's engine left to pin them all.
#
# Measured: 3 mirrors on 127.0.0.1, each connected to the origin (and to
# each other), run `trove mirror follow URL --token T` at once
# (Mirror.Follow.Interval 1s); the clock runs from the follows until each
# mirror's `mirror status` shows N pinned; printed: each mirror's time and
# pins/s, and the time until all 3 have converged.
#
# Reference: one Kubo (v0.43.1, $IPFS_BIN) connected to the origin pins the
# same N CIDs with `ipfs pin add` (batches of up to 200 CIDs, 4 at once), timed
# the same way: Kubo's pins/s from one trove provider, beside one trove
# mirror's.  The mirrors share the origin and the 2 cores with each other,
# Kubo has them to itself: the ratio printed is per mirror / Kubo, not a
# like-for-like race.  Skipped (and said so) when Kubo is not installed or
# BENCH_MIRROR_KUBO=0.
#
# Environment: BENCH_TMP (scratch dir), TROVE_BIN, IPFS_BIN, BENCH_MIRROR_N,
# BENCH_MIRROR_BIG, BENCH_MIRROR_BIG_KIB, BENCH_MIRROR_SMALL_MAX,
# BENCH_MIRROR_KUBO, BENCH_MIRROR_DEADLINE (seconds, default 3600).
set -euo pipefail
N=${BENCH_MIRROR_N:-10000}
BIG=${BENCH_MIRROR_BIG:-$((N / 10))}
BIG_KIB=${BENCH_MIRROR_BIG_KIB:-1024}
SMALL_MAX=${BENCH_MIRROR_SMALL_MAX:-4096}
DEADLINE=${BENCH_MIRROR_DEADLINE:-3600}
TROVE_BIN=${TROVE_BIN:-$PWD/bin/trove}
IPFS=${IPFS_BIN:-/root/go/bin/ipfs}
KUBO=${BENCH_MIRROR_KUBO:-1}
OWN_TMP=; [ -n "${BENCH_TMP:-}" ] || OWN_TMP=$(mktemp -d)
TMP=${BENCH_TMP:-$OWN_TMP}
[ "$BIG" -le "$N" ] || { echo "mirror_converge: BENCH_MIRROR_BIG > BENCH_MIRROR_N"; exit 1; }
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; [ -z "$OWN_TMP" ] || rm -rf "$OWN_TMP"; true' EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
on() { local n=$1; shift; TROVE_PATH=$TMP/$n "$TROVE_BIN" "$@"; }
say() { echo "mirror_converge: $*"; }

init() {
  local p
  p=$(port)
  on "$1" init >/dev/null
  on "$1" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$p\"]" >/dev/null
  on "$1" config --json Bootstrap '[]' >/dev/null
  on "$1" config Routing.Type none >/dev/null
  on "$1" config Mirror.Follow.Interval 1s >/dev/null
  printf -v "PORT_$1" '%s' "$p"
}
start() {
  local log=$TMP/$1.log p=PORT_$1
  TROVE_PATH=$TMP/$1 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >"$log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 400); do grep -q "Daemon is ready" "$log" && break; sleep 0.05; done
  grep -q "Daemon is ready" "$log" || { cat "$log"; exit 1; }
  printf -v "API_$1" '%s' "$(sed -n 's#.*RPC API server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$log")"
  printf -v "MA_$1" '%s' "/ip4/127.0.0.1/tcp/${!p}/p2p/$(sed -n 's/.*peer identity: //p' "$log" | tail -1)"
}

# The data: BIG files of BIG_KIB KiB, N - BIG small ones.
say "$N pins: $BIG DAGs of $BIG_KIB KiB, $((N - BIG)) small files (1 B - $SMALL_MAX B)"
python3 - "$TMP/data" "$N" "$BIG" "$BIG_KIB" "$SMALL_MAX" <<'PY'
import os, random, sys
d, n, big, kib, smax = sys.argv[1], *map(int, sys.argv[2:])
os.makedirs(d + "/big"); os.makedirs(d + "/small")
pool = os.urandom(4 << 20)
r = random.Random(13)
for i in range(big):  # random 1 MiB: a fresh pool slice, stamped
    sz = kib << 10; o = r.randrange(len(pool) - sz) if sz < len(pool) else 0
    b = bytearray(os.urandom(sz)) if sz >= len(pool) else bytearray(pool[o:o + sz])
    b[:16] = b"%016d" % i
    open(f"{d}/big/b{i}", "wb").write(b)
for i in range(n - big):
    open(f"{d}/small/s{i}", "wb").write(b"small %d " % i + os.urandom(r.randrange(smax)))
PY
init o; init m1; init m2; init m3
on o add -r --pin=false "$TMP/data" | awk '$3 ~ /\/(big|small)\/[bs][0-9]+$/ {print $2}' >"$TMP/cids"
[ "$(sort -u "$TMP/cids" | wc -l)" = "$N" ] || { say "expected $N distinct CIDs, got $(sort -u "$TMP/cids" | wc -l)"; exit 1; }
start o
TOK=$(on o mirror token add bench 2>/dev/null)
B=http://127.0.0.1:$API_o
python3 - "$B" "$TOK" "$TMP/cids" <<'PY'
import http.client, json, sys, time, urllib.parse
base, tok, f = sys.argv[1], sys.argv[2], sys.argv[3]
u = urllib.parse.urlparse(base)
c = http.client.HTTPConnection(u.hostname, u.port)
h = {"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
for cid in open(f).read().split():
    c.request("POST", "/pins", json.dumps({"cid": cid}), h)
    r = c.getresponse(); r.read()
    assert r.status == 202, r.status
PY
n=0
for _ in $(seq 3000); do
  n=$(curl -s -H "Authorization: Bearer $TOK" "$B/pins?status=pinned&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
  [ "$n" = "$N" ] && break; sleep 0.2
done
[ "$n" = "$N" ] || { say "origin pinned only $n of $N"; exit 1; }
say "origin: $N pins through POST /pins, all pinned"

MS=(m1 m2 m3)
for m in "${MS[@]}"; do start $m; on $m swarm connect "$MA_o" >/dev/null; done
on m1 swarm connect "$MA_m2" >/dev/null; on m1 swarm connect "$MA_m3" >/dev/null
on m2 swarm connect "$MA_m3" >/dev/null
t0=$(date +%s.%N)
for m in "${MS[@]}"; do on $m mirror follow "$B" --token "$TOK" >/dev/null; done
declare -A DONE=([none]=)
ndone=0
end=$((SECONDS + DEADLINE))
while [ $ndone -lt 3 ] && [ $SECONDS -lt $end ]; do
  for m in "${MS[@]}"; do
    [ -n "${DONE[$m]:-}" ] && continue
    p=$(on $m mirror status | awk '/^pinned: / {print $2; exit}')
    if [ "$p" = "$N" ]; then DONE[$m]=$(date +%s.%N); ndone=$((ndone + 1)); fi
  done
  sleep 0.2
done
[ $ndone = 3 ] || { for m in "${MS[@]}"; do on $m mirror status; done; say "not converged after $DEADLINE s"; exit 1; }
slow=0
for m in "${MS[@]}"; do
  s=$(awk -v a="$t0" -v b="${DONE[$m]}" 'BEGIN{printf "%.2f", b-a}')
  say "$m: $N pins in $s s, $(awk -v n="$N" -v s="$s" 'BEGIN{printf "%.0f", n/s}') pins/s"
  slow=$(awk -v a="$slow" -v b="$s" 'BEGIN{print (b>a)?b:a}')
done
say "3 mirrors converged on $N pins in $slow s ($(awk -v n="$N" -v s="$slow" 'BEGIN{printf "%.0f", 3*n/s}') pins/s all together)"
for m in "${MS[@]}"; do
  f=$(on $m mirror status | awk '/^failed: / {print $2; exit}')
  [ "$f" = 0 ] || { say "$m: $f pins failed"; exit 1; }
done

# The reference: Kubo pinning the same CIDs from the origin.
if [ "$KUBO" = 0 ] || [ ! -x "$IPFS" ]; then
  say "reference: not measured ($( [ "$KUBO" = 0 ] && echo BENCH_MIRROR_KUBO=0 || echo "no Kubo at $IPFS"))"
  exit 0
fi
export IPFS_PATH=$TMP/kubo
"$IPFS" init --profile=test >/dev/null 2>&1
"$IPFS" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$(port)\"]"
"$IPFS" config Addresses.API "/ip4/127.0.0.1/tcp/$(port)"
"$IPFS" config Addresses.Gateway "/ip4/127.0.0.1/tcp/$(port)"
"$IPFS" config Routing.Type none
"$IPFS" config --json Bootstrap '[]'
"$IPFS" daemon >"$TMP/kubo.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 300); do grep -q "Daemon is ready" "$TMP/kubo.log" && break; sleep 0.1; done
grep -q "Daemon is ready" "$TMP/kubo.log" || { cat "$TMP/kubo.log"; exit 1; }
"$IPFS" swarm connect "$MA_o" >/dev/null
k0=$(date +%s.%N)
KB=$(( (N + 3) / 4 )); [ $KB -le 200 ] || KB=200
xargs -n $KB -P 4 "$IPFS" pin add --progress=false <"$TMP/cids" >/dev/null
k1=$(date +%s.%N)
kn=$("$IPFS" pin ls --type=recursive -q | sort -u | comm -12 - <(sort -u "$TMP/cids") | wc -l)
[ "$kn" = "$N" ] || { say "Kubo pinned $kn of $N"; exit 1; }
ks=$(awk -v a="$k0" -v b="$k1" 'BEGIN{printf "%.2f", b-a}')
kr=$(awk -v n="$N" -v s="$ks" 'BEGIN{printf "%.0f", n/s}')
say "reference: Kubo ipfs pin add ($KB CIDs a call, 4 at once) from the origin: $N pins in $ks s, $kr pins/s"
for m in "${MS[@]}"; do
  s=$(awk -v a="$t0" -v b="${DONE[$m]}" 'BEGIN{print b-a}')
  say "ratio $m / Kubo (pins/s): $(awk -v s="$s" -v k="$ks" 'BEGIN{printf "%.2f", k/s}')"
done
