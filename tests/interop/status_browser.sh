#!/bin/bash
# status_browser.sh — the node's status page (/status on the API listener)
# in headless Chromium: after two adds and a few gateway fetches, the page
# loads, draws its chart, and shows the PeerID, pins and blocks the API
# reports (status_browser.mjs).  The screenshot is kept as an artifact in
# tests/artifacts/status.png (the path is printed).
#
# Needs node, tests/interop/node_modules and /usr/bin/chromium (make
# deps).  Bounded in time; the daemon is killed on exit.
INTEROP_TIMEOUT=180
source "$(dirname "$0")/lib/trove_lib.sh"
ART=$(cd ../.. && pwd)/tests/artifacts
interop_need /usr/bin/chromium node
interop_need_modules playwright-core
mkdir -p "$ART"
"$TROVE" init >/dev/null
interop_daemon
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
