#!/bin/bash
# bitswap_browser.sh — Helia in a real browser (headless Chromium, Debian's
# /usr/bin/chromium driven by playwright-core) fetches from trove and trove
# from it, over bitswap on a WebSocket, the way a web page reaches an IPFS
# node: bitswap_browser_page.mjs (a light Helia node whose only transport
# is @libp2p/websockets, no router, no gateway) is bundled by esbuild,
# added to trove and opened from trove's own gateway; it dials trove's
# /ws address and:
#   - cats a 3 MB file trove added (12 blocks and their parent), and its
#     SHA-256, computed in the page, must be the file's;
#   - adds 1.5 MB of its own, which `trove cat` then fetches from the page
#     over the same connection (trove cannot dial a browser), byte for
#     byte;
#   - trove's `swarm peers` lists the page's peer at a /ws address.
# Needs node, tests/interop/node_modules (make deps) and /usr/bin/chromium;
# bounded in time, every process stopped by PID.
INTEROP_TIMEOUT=240
source "$(dirname "$0")/lib/trove_lib.sh"
interop_need node
interop_need_modules playwright-core esbuild helia @libp2p/websockets
[ -x /usr/bin/chromium ] || { echo "no /usr/bin/chromium: run 'make deps'" >&2; exit 1; }

P=$WORK/page
mkdir -p "$P"
node_modules/.bin/esbuild bitswap_browser_page.mjs --bundle --format=esm \
  --platform=browser --target=es2022 --log-level=warning --outfile="$P/bundle.js" ||
  fail "esbuild could not bundle the page"
cat >"$P/index.html" <<'EOF'
<!doctype html><meta charset="utf-8"><title>bitswap in a browser</title>
<script type="module" src="bundle.js"></script>
EOF

TP=$(port)
"$TROVE" init >/dev/null
"$TROVE" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$TP/ws\"]" >/dev/null
"$TROVE" config --json Bootstrap '[]' >/dev/null
PAGE=$("$TROVE" add -r -Q "$P")
head -c 3000000 /dev/urandom >"$WORK/file"
CID=$("$TROVE" add -Q "$WORK/file")
interop_daemon
MA=/ip4/127.0.0.1/tcp/$TP/ws/p2p/$TID

coproc BR { exec node bitswap_browser.mjs "http://127.0.0.1:$GPORT/ipfs/$PAGE/index.html" \
  "$MA" "$CID" 1500000 2>"$WORK/browser.log"; }
PIDS+=("$BR_PID")
report=""
while IFS= read -r -t 120 line <&"${BR[0]}"; do
  echo "browser: $line"
  case $line in
    report*) report=${line#report }; break ;;
    FAIL*) fail "browser: $line" ;;
  esac
done
[ -n "$report" ] || fail "no report from the page: $(cat "$WORK/browser.log")"
want=$(sha256sum "$WORK/file" | cut -d' ' -f1)
check "$report" 'd["size"] == 3000000 and d["sha256"] == a[0]' "$want"
check "$report" 'd["remote"].startswith("/ip4/127.0.0.1/tcp/%s/ws" % a[0])' "$TP"
echo "ok the page fetched trove's 3 MB file over bitswap on a WebSocket"
peer=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$report")
added=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["added"])' "$report")
sha=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["addedSha256"])' "$report")
"$TROVE" swarm peers | grep -q "^/ip4/127.0.0.1/tcp/[0-9]*/ws/p2p/$peer\$" ||
  fail "trove's peers lack the page: $("$TROVE" swarm peers)"
got=$(timeout 60 "$TROVE" cat "$added" | sha256sum | cut -d' ' -f1)
[ "$got" = "$sha" ] || fail "trove's cat of the page's file: sha256 $got, the page's $sha"
echo "ok trove fetched the page's 1.5 MB from the browser over the same connection"
echo done >&"${BR[1]}"
wait "$BR_PID" || fail "the browser driver failed: $(cat "$WORK/browser.log")"
echo "ok"
