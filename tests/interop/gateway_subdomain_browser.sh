#!/bin/bash
# gateway_subdomain_browser.sh — headless Chromium against trove's
# subdomain gateway (Gateway.PublicGateways' implicit "localhost" entry):
# two archives on different subdomains cannot read each other's storage,
# and a DNSLink site (IPFS_NS_MAP, Chromium told the name is 127.0.0.1)
# loads at its own origin.  See gateway_subdomain_browser.mjs.
#
# Needs node, tests/interop/node_modules and /usr/bin/chromium (make
# deps).  Bounded in time; the daemon is killed on exit.
INTEROP_TIMEOUT=180
source "$(dirname "$0")/lib/trove_lib.sh"
interop_need /usr/bin/chromium node
interop_need_modules playwright-core

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
IPFS_NS_MAP="$SITE:/ipfs/$C" interop_daemon --offline
# A's subdomain label: the gateway's own redirect says it.
A1=$(curl -s -o /dev/null -w '%{redirect_url}' --max-time 5 -H "Host: localhost:$GPORT" \
  "http://127.0.0.1:$GPORT/ipfs/$A/" | sed -n 's#^http://\([a-z0-9]*\)\.ipfs\.localhost:.*#\1#p')
[ -n "$A1" ] || { echo "FAIL: no subdomain redirect for $A" >&2; exit 1; }
[ "$A1" != "$A" ] || { echo "FAIL: CIDv0 not converted" >&2; exit 1; }
echo "gateway port $GPORT, A $A -> $A1, B $B"
node gateway_subdomain_browser.mjs "$GPORT" "$A1" "$B" "$SITE"
