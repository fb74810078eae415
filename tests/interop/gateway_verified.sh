#!/bin/bash
# gateway_verified.sh — trove's trustless gateway for verifying clients:
# @helia/verified-fetch, with trove's gateway as its only source and no
# other network, fetches files (one block, many blocks, in a subdirectory,
# inside a HAMT-sharded directory), directories and CARs from a daemon on a
# free loopback port and checks they verify and match the imported bytes;
# @ipld/car's CarReader checks ?format=car answers (root, every block
# hashing to its CID, scopes, dups).  See gateway_verified.mjs.
#
# Needs node and tests/interop/node_modules (make deps).  Bounded in time;
# the daemon is killed on exit.
if [ -z "${GW_VERIFIED_TIMED:-}" ]; then
  GW_VERIFIED_TIMED=1 exec timeout -k 5 300 bash "$0" "$@"
fi
set -euo pipefail
cd "$(dirname "$0")"
TROVE=${TROVE_BIN:-$PWD/../../bin/trove}
[ -d node_modules/@helia/verified-fetch ] || { echo "node_modules missing: run 'make deps'" >&2; exit 1; }
WORK=$(mktemp -d /tmp/trove-gwv.XXXXXX)
export TROVE_PATH=$WORK/repo
DPID=""
cleanup() {
  local rc=$?
  [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

D=$WORK/data
mkdir -p "$D/sub" "$D/site" "$D/hamt" "$D/dups"
echo hello >"$D/a.txt"
head -c $((3 * 1048576 + 7)) /dev/urandom >"$D/big.bin"
echo 'deep file' >"$D/sub/deep.txt"
echo '<!doctype html><title>site</title><p>index page</p>' >"$D/site/index.html"
head -c 2000 /dev/urandom >"$D/dups/one"
cp "$D/dups/one" "$D/dups/two"
for i in $(seq 0 5999); do printf '%d\n' $i >"$D/hamt/$(printf 'f%05d.txt' $i)"; done
"$TROVE" init >/dev/null
ROOT=$("$TROVE" add -r -Q "$D")
HAMT=$("$TROVE" add -n -r -Q "$D/hamt")

"$TROVE" daemon --gateway=/ip4/127.0.0.1/tcp/0 --api=/ip4/127.0.0.1/tcp/0 >"$WORK/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do
  grep -q "Daemon is ready" "$WORK/daemon.log" && break
  kill -0 $DPID 2>/dev/null || { cat "$WORK/daemon.log"; exit 1; }
  sleep 0.1
done
PORT=$(sed -n 's#.*Gateway server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$WORK/daemon.log")
[ -n "$PORT" ] || { cat "$WORK/daemon.log"; exit 1; }
echo "gateway http://127.0.0.1:$PORT, root $ROOT, HAMT $HAMT"
node gateway_verified.mjs "http://127.0.0.1:$PORT" "$D" "$ROOT" "$HAMT"
