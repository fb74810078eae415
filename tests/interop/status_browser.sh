#!/bin/bash
# status_browser.sh — the node's status page (/status on the API listener)
# in headless Chromium: after two adds and a few gateway fetches, the page
# loads, draws its chart, and shows the PeerID, pins and blocks the API
# reports (status_browser.mjs).  The screenshot is kept as an artifact in
# tests/artifacts/status.png (the path is printed).
#
# Needs node, tests/interop/node_modules and /usr/bin/chromium (make
# deps).  Bounded in time; the daemon is killed on exit.
if [ -z "${STATUS_BROWSER_TIMED:-}" ]; then
  STATUS_BROWSER_TIMED=1 exec timeout -k 5 180 bash "$0" "$@"
fi
set -euo pipefail
cd "$(dirname "$0")"
TROVE=${TROVE_BIN:-$PWD/../../bin/trove}
ART=$(cd ../.. && pwd)/tests/artifacts
for x in /usr/bin/chromium node; do
  command -v $x >/dev/null || { echo "$x missing: run 'make deps'" >&2; exit 1; }
done
[ -d node_modules/playwright-core ] || { echo "node_modules missing: run 'make deps'" >&2; exit 1; }
WORK=$(mktemp -d /tmp/trove-status.XXXXXX)
export TROVE_PATH=$WORK/repo
DPID=""
cleanup() {
  local rc=$?
  [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
mkdir -p "$ART"
"$TROVE" init >/dev/null
"$TROVE" daemon --gateway=/ip4/127.0.0.1/tcp/0 --api=/ip4/127.0.0.1/tcp/0 >"$WORK/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do
  grep -q "Daemon is ready" "$WORK/daemon.log" && break
  kill -0 $DPID 2>/dev/null || { cat "$WORK/daemon.log"; exit 1; }
  sleep 0.1
done
GPORT=$(sed -n 's#.*Gateway server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$WORK/daemon.log")
APORT=$(sed -n 's#.*RPC API server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$WORK/daemon.log")
[ -n "$GPORT" ] && [ -n "$APORT" ] || { cat "$WORK/daemon.log"; exit 1; }
head -c 3000000 /dev/urandom >"$WORK/a"
echo "a small file" >"$WORK/b"
A=$("$TROVE" add -Q "$WORK/a")
B=$("$TROVE" add -Q "$WORK/b")
for _ in 1 2 3; do curl -sf -o /dev/null "http://127.0.0.1:$GPORT/ipfs/$A"; done
ID=$("$TROVE" id | python3 -c 'import json,sys; print(json.load(sys.stdin)["ID"])')
BLOCKS=$("$TROVE" refs local | wc -l)
EXPECT=$(printf '{"peer_id":"%s","recursive":2,"blocks":%d,"cids":["%s","%s"],"gw_requests":3}' \
  "$ID" "$BLOCKS" "$A" "$B")
echo "api http://127.0.0.1:$APORT, $BLOCKS blocks"
node status_browser.mjs "http://127.0.0.1:$APORT" "$ART" "$EXPECT"
