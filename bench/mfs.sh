#!/bin/bash
# mfs.sh — the MFS (`ipfs files`) beside Kubo's: the same sequence of API
# calls, one keep-alive connection, sent to a trove daemon and to a Kubo
# v0.43.1 daemon ($IPFS_BIN; fresh repos, offline):
#   small  BENCH_MFS_SMALL (default 1000) pairs of `files cp /ipfs/<file>
#          /fN` and `files rm /fN` in the root;
#   big    BENCH_MFS_N (default 6000) `files cp` into one directory, names
#          of 60 bytes: flat up to 2,788 entries, then a HAMT (boxo's
#          threshold), then BENCH_MFS_N/10 `files rm`.  Not 20000 by
#          default: Kubo, at over 60 ms a call there, had not finished
#          after 23 minutes, and `make bench` waited that long for it;
#          at 6000, about 20 ms a call (bench/README.md);
# both must end with the same root CID.  Printed: each side's time per
# call and the ratio (Kubo's time / trove's: above 1, trove is faster),
# and each daemon's peak RSS (trove's counts LMDB's mapped pages: every
# change of a flat directory of 2,788 entries writes a 262 KB block) and
# anonymous RSS.  Without Kubo, trove's figures alone.
set -euo pipefail
cd "$(dirname "$0")/.."
TROVE=${TROVE_BIN:-$PWD/bin/trove}
IPFS=${IPFS_BIN:-$(go env GOPATH 2>/dev/null || echo /root/go)/bin/ipfs}
SMALL=${BENCH_MFS_SMALL:-1000}
N=${BENCH_MFS_N:-6000}
W=$(mktemp -d "${BENCH_TMP:-/tmp}/mfs.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "load: $(cut -d' ' -f1-3 /proc/loadavg); $SMALL small pairs, $N entries"
printf 'hello\n' >"$W/hello.txt"

export TROVE_PATH=$W/trove
"$TROVE" init >/dev/null
# The MFS takes Import.CidVersion as Kubo's does, and trove init sets it
# to 1 (README): 0 here, Kubo's default, so that the roots can match.
"$TROVE" config --json Import.CidVersion 0 >/dev/null
"$TROVE" config --json Bootstrap '[]' >/dev/null
"$TROVE" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$(port)\"]" >/dev/null
H=$("$TROVE" add -Q --profile=unixfs-v0-2015 "$W/hello.txt")
TAPI=$(port)
"$TROVE" daemon --api=/ip4/127.0.0.1/tcp/$TAPI \
  --gateway=/ip4/127.0.0.1/tcp/$(port) >"$W/trove.log" 2>&1 &
TPID=$!
PIDS+=($TPID)
for _ in $(seq 100); do grep -q "Daemon is ready" "$W/trove.log" 2>/dev/null && break; sleep 0.1; done

KAPI="" KPID=""
if [ -x "$IPFS" ]; then
  export IPFS_PATH=$W/kubo
  "$IPFS" init --profile test >/dev/null 2>&1
  KAPI=$(port)
  "$IPFS" config Addresses.API /ip4/127.0.0.1/tcp/$KAPI
  "$IPFS" config Addresses.Gateway /ip4/127.0.0.1/tcp/$(port)
  "$IPFS" config --json Addresses.Swarm '[]'
  KH=$("$IPFS" add -Q "$W/hello.txt")
  [ "$KH" = "$H" ] || { echo "CID mismatch: trove $H, Kubo $KH"; exit 1; }
  "$IPFS" daemon --offline >"$W/kubo.log" 2>&1 &
  KPID=$!
  PIDS+=($KPID)
  for _ in $(seq 150); do grep -q "Daemon is ready" "$W/kubo.log" 2>/dev/null && break; sleep 0.2; done
fi

# run PORT: the sequence; prints "small_ms big_ms root"
run() {
  python3 - "$1" "$H" "$SMALL" "$N" <<'P'
import http.client, json, sys, time
port, h, small, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
def call(p):
    c.request("POST", "/api/v0/" + p)
    r = c.getresponse(); b = r.read()
    if r.status != 200:
        sys.exit("%s: %d %s" % (p, r.status, b[:200]))
    return b
t = time.time()
for i in range(small):
    call("files/cp?arg=/ipfs/%s&arg=/f%d" % (h, i))
    call("files/rm?arg=/f%d" % i)
small_ms = (time.time() - t) / (2 * small) * 1000
call("files/mkdir?arg=/big")
name = lambda i: ("entry-%06d-" % i).ljust(60, "x")
t = time.time()
for i in range(n):
    call("files/cp?arg=/ipfs/%s&arg=/big/%s" % (h, name(i)))
for i in range(0, n, 10):
    call("files/rm?arg=/big/%s" % name(i))
big_ms = (time.time() - t) / (n + n // 10) * 1000
root = json.loads(call("files/stat?arg=/"))["Hash"]
print("%.3f %.3f %s" % (small_ms, big_ms, root))
P
}
# Peak RSS (VmHWM: LMDB's mapped pages count in it) and the anonymous RSS
# at the end, MiB.
rss() { awk '/VmHWM/ {p = $2 / 1024} /RssAnon/ {a = $2 / 1024}
             END {printf "peak RSS %.1f MiB, anonymous %.1f MiB", p, a}' \
          "/proc/$1/status" 2>/dev/null || echo "RSS ?"; }

read -r ts tb troot < <(run "$TAPI")
printf 'trove: small %.3f ms/call, big directory %.3f ms/call, %s\n' \
  "$ts" "$tb" "$(rss "$TPID")"
if [ -n "$KAPI" ]; then
  read -r ks kb kroot < <(run "$KAPI")
  printf 'kubo:  small %.3f ms/call, big directory %.3f ms/call, %s\n' \
    "$ks" "$kb" "$(rss "$KPID")"
  [ "$troot" = "$kroot" ] || { echo "root mismatch: trove $troot, Kubo $kroot"; exit 1; }
  awk -v a="$ks" -v b="$ts" -v c="$kb" -v d="$tb" 'BEGIN {
    printf "ratio (kubo/trove): small %.2f, big directory %.2f\n", a / b, c / d }'
  echo "same root: $troot"
fi
