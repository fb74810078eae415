#!/bin/bash
# listing.sh — the gateway's HTML listing of a big HAMT directory, beside
# Kubo's (issue 14: "a 50,000-entry HAMT listing starts arriving in under
# 100 ms").  The same files (BENCH_LIST_N, default 50000) are added to a
# fresh trove repo and a fresh Kubo repo (Kubo v0.43.1, $IPFS_BIN, the
# unixfs-v1-2025 profile that trove's defaults match, offline); both must
# give the same CID.  Each gateway is asked for the listing BENCH_LIST_ROUNDS times (default 5), alternating; printed:
# the best first-byte time and whole-page time of each, the entries each
# page lists, and the ratios (Kubo's time / trove's: above 1, trove is
# faster).  Without Kubo, trove's figures alone.
set -euo pipefail
cd "$(dirname "$0")/.."
TROVE=${TROVE_BIN:-$PWD/bin/trove}
IPFS=${IPFS_BIN:-$(go env GOPATH 2>/dev/null || echo /root/go)/bin/ipfs}
N=${BENCH_LIST_N:-50000}
ROUNDS=${BENCH_LIST_ROUNDS:-5}
W=$(mktemp -d "${BENCH_TMP:-/tmp}/listing.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "load: $(cut -d' ' -f1-3 /proc/loadavg); $N files"
python3 - "$W/d" "$N" <<'P'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d)
for i in range(n):
    with open(os.path.join(d, "file-%06d.txt" % i), "wb") as f:
        f.write(b"%d\n" % i)
P

export TROVE_PATH=$W/trove
"$TROVE" init >/dev/null
C=$("$TROVE" add -r -Q "$W/d")
TGP=$(port)
"$TROVE" daemon --api=/ip4/127.0.0.1/tcp/$(port) --gateway=/ip4/127.0.0.1/tcp/$TGP \
  >"$W/trove.log" 2>&1 &
PIDS+=($!)

KGP=""
if [ -x "$IPFS" ]; then
  export IPFS_PATH=$W/kubo
  "$IPFS" init >/dev/null 2>&1
  "$IPFS" config --json Bootstrap '[]'
  "$IPFS" config profile apply unixfs-v1-2025 >/dev/null # trove's defaults: same CIDs
  "$IPFS" config --json Addresses.Swarm '[]'
  "$IPFS" config Addresses.API /ip4/127.0.0.1/tcp/$(port)
  KGP=$(port)
  "$IPFS" config Addresses.Gateway /ip4/127.0.0.1/tcp/$KGP
  KC=$("$IPFS" add -r -Q "$W/d")
  [ "$KC" = "$C" ] || { echo "CID mismatch: trove $C, Kubo $KC"; exit 1; }
  "$IPFS" daemon --offline >"$W/kubo.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 150); do grep -q "Daemon is ready" "$W/kubo.log" && break; sleep 0.2; done
else
  echo "Kubo not installed at $IPFS (make deps): trove's figures only"
fi
for _ in $(seq 100); do grep -q "Daemon is ready" "$W/trove.log" && break; sleep 0.1; done

best() { sort -g | head -1; }
ask() { # PORT -> "first total entries" of one request
  local t
  t=$(curl -s -o "$W/page" -w '%{time_starttransfer} %{time_total}' \
    "http://127.0.0.1:$1/ipfs/$C/")
  echo "$t $(grep -c 'file-[0-9]*\.txt</a>' "$W/page")"
}
: >"$W/t"; : >"$W/k"
for _ in $(seq "$ROUNDS"); do
  ask "$TGP" >>"$W/t"
  [ -n "$KGP" ] && ask "$KGP" >>"$W/k"
done
tf=$(cut -d' ' -f1 "$W/t" | best); tt=$(cut -d' ' -f2 "$W/t" | best)
te=$(tail -1 "$W/t" | cut -d' ' -f3)
ms() { awk -v s="$1" 'BEGIN{printf "%.1f ms", s * 1000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b <= 0) b = 0.0001; printf "%.2f", a / b }'; }
mark() { awk -v v="$1" -v t="$2" 'BEGIN{ if (v <= t) print "  [met]"; else print "  [MISSED]" }'; }
echo "trove: first byte $(ms "$tf") (target < 100 ms)$(mark "$tf" 0.1)"
echo "trove: whole page $(ms "$tt"), $te entries listed"
if [ -n "$KGP" ]; then
  kf=$(cut -d' ' -f1 "$W/k" | best); kt=$(cut -d' ' -f2 "$W/k" | best)
  ke=$(tail -1 "$W/k" | cut -d' ' -f3)
  echo "Kubo:  first byte $(ms "$kf"), whole page $(ms "$kt"), $ke entries listed"
  echo "ratio (Kubo's time / trove's): first byte $(ratio "$kf" "$tf")x, whole page $(ratio "$kt" "$tt")x"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
