#!/bin/bash
# api_csrf_browser.sh — the hardening issue's "web page as attacker": a page
# served from trove's own gateway origin sends no-cors POSTs (and a form
# POST) to the RPC API in headless Chromium, trying to unpin a pin and to
# set Addresses.API to 0.0.0.0.  Kubo refuses such requests (403: their
# Origin is not an allowed one); afterwards the pin must still be there and
# the config unchanged.  See api_csrf_browser.mjs.
#
# Needs node, tests/interop/node_modules and /usr/bin/chromium (make deps).
# Bounded in time; the daemon is killed on exit.
INTEROP_TIMEOUT=180
source "$(dirname "$0")/lib/trove_lib.sh"
interop_need /usr/bin/chromium node curl
interop_need_modules playwright-core

mkdir -p "$WORK/site"
cat >"$WORK/site/attack.html" <<'HTML'
<!doctype html><title>hostile page</title>
<iframe name="sink" style="display:none"></iframe>
<form id="f" method="POST" target="sink"></form>
<script>
const [api, cid] = location.hash.slice(1).split('|')
const report = {}
const shot = (name, url) => fetch(url, { method: 'POST', mode: 'no-cors' })
  .then(r => { report[name] = r.type }, e => { report[name] = 'error ' + e })
Promise.all([
  shot('pin/rm', `${api}/pin/rm?arg=${cid}`),
  shot('config', `${api}/config?arg=Addresses.API&arg=/ip4/0.0.0.0/tcp/5001`),
]).then(() => {
  const f = document.getElementById('f')
  f.action = `${api}/pin/rm?arg=${cid}&form=1`
  f.submit()
  window.attackReport = report
  window.attackDone = true
})
</script>
HTML
"$TROVE" init >/dev/null
SITE=$("$TROVE" add -r -Q "$WORK/site")
VICTIM=$(echo "keep me" | "$TROVE" add -Q)
interop_daemon
API=http://127.0.0.1:$APORT/api/v0
before=$(curl -sS -X POST "$API/config?arg=Addresses.API")
node api_csrf_browser.mjs "http://127.0.0.1:$GPORT/ipfs/$SITE/attack.html#$API|$VICTIM"
out=$(curl -sS -X POST "$API/pin/ls?arg=$VICTIM")
[[ "$out" == *"$VICTIM"*recursive* ]] || fail "the hostile page unpinned $VICTIM: $out"
echo "ok the pin survived"
eq_after=$(curl -sS -X POST "$API/config?arg=Addresses.API")
[ "$eq_after" = "$before" ] || fail "the hostile page changed Addresses.API: $eq_after"
grep -q '0.0.0.0/tcp/5001' "$TROVE_PATH/config" && fail "config file holds 0.0.0.0/tcp/5001"
echo "ok the config is unchanged"
n=$(grep -c 'possible CSRF' "$WORK/daemon.log" || true)
[ "$n" -ge 3 ] || fail "the daemon logged $n blocked requests, expected 3"
echo "ok $n requests blocked"
