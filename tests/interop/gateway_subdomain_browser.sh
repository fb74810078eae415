#!/bin/bash
# gateway_subdomain_browser.sh — headless Chromium against trove's
# subdomain gateway (Gateway.PublicGateways' implicit "localhost" entry):
# two archives on different subdomains cannot read each other's storage,
# and a DNSLink site (IPFS_NS_MAP, Chromium told the name is 127.0.0.1)
# loads at its own origin.  See gateway_subdomain_browser.mjs.
#
# Needs node, tests/interop/node_modules and /usr/bin/chromium (make
# deps).  Bounded in time; the daemon is killed on exit.
if [ -z "${GW_SUB_BROWSER_TIMED:-}" ]; then
  GW_SUB_BROWSER_TIMED=1 exec timeout -k 5 180 bash "$0" "$@"
fi
set -euo pipefail
cd "$(dirname "$0")"
TROVE=${TROVE_BIN:-$PWD/../../bin/trove}
for x in /usr/bin/chromium node; do
  command -v $x >/dev/null || { echo "$x missing: run 'make deps'" >&2; exit 1; }
done
[ -d node_modules/playwright-core ] || { echo "node_modules missing: run 'make deps'" >&2; exit 1; }
WORK=$(mktemp -d /tmp/trove-gwsub.XXXXXX)
export TROVE_PATH=$WORK/repo
DPID=""
cleanup() {
  local rc=$?
  [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

mkdir -p "$WORK/a" "$WORK/b" "$WORK/c/sub"
echo '<!doctype html><title>A</title><p>site A</p>' >"$WORK/a/index.html"
echo '<!doctype html><title>B</title><p>site B</p>' >"$WORK/b/index.html"
cat >"$WORK/c/index.html" <<'H'
<!doctype html><title>C</title><link rel="stylesheet" href="/style.css">
<p id="p">site C</p><a href="sub/page.html">next</a>
H
echo 'p#p { color: rgb(1, 2, 3); }' >"$WORK/c/style.css"
echo '<!doctype html><title>C2</title><p>site C, page 2</p>' >"$WORK/c/sub/page.html"
"$TROVE" init >/dev/null
# CIDv0 for A: the redirect must turn it into base32 CIDv1.
A=$("$TROVE" add -r -Q --cid-version=0 "$WORK/a")
B=$("$TROVE" add -r -Q --cid-version=1 "$WORK/b")
C=$("$TROVE" add -r -Q "$WORK/c")
SITE=archive.example
IPFS_NS_MAP="$SITE:/ipfs/$C" "$TROVE" daemon --offline --gateway=/ip4/127.0.0.1/tcp/0 --api=/ip4/127.0.0.1/tcp/0 >"$WORK/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do
  grep -q "Daemon is ready" "$WORK/daemon.log" && break
  kill -0 $DPID 2>/dev/null || { cat "$WORK/daemon.log"; exit 1; }
  sleep 0.1
done
PORT=$(sed -n 's#.*Gateway server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$WORK/daemon.log")
[ -n "$PORT" ] || { cat "$WORK/daemon.log"; exit 1; }
# A's subdomain label: the gateway's own redirect says it.
A1=$(curl -s -o /dev/null -w '%{redirect_url}' --max-time 5 -H "Host: localhost:$PORT" \
  "http://127.0.0.1:$PORT/ipfs/$A/" | sed -n 's#^http://\([a-z0-9]*\)\.ipfs\.localhost:.*#\1#p')
[ -n "$A1" ] || { echo "FAIL: no subdomain redirect for $A" >&2; exit 1; }
[ "$A1" != "$A" ] || { echo "FAIL: CIDv0 not converted" >&2; exit 1; }
echo "gateway port $PORT, A $A -> $A1, B $B"
node gateway_subdomain_browser.mjs "$PORT" "$A1" "$B" "$SITE"
