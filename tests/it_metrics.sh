#!/bin/bash
# it_metrics.sh — /debug/metrics/prometheus and /status.json on a real
# daemon (127.0.0.1):
#   - the exposition passes `promtool check metrics` (Debian's prometheus
#     package, in make deps), before and after traffic;
#   - the gateway's request counter and latency histogram move by exactly
#     the number of gateway requests made, the API's by at least its own;
#   - blocks and pins follow adds, GC runs follow `repo gc`, the process_*
#     figures are there;
#   - the API's origin rules hold for these GETs (a foreign Origin or
#     Referer, a cross-site browser request: 403), a browser opening the
#     page by its URL is served, a POST gets 405;
#   - /status.json agrees with the API (PeerID, pins, blocks) and /status
#     is the page.
if [ -z "${IT_METRICS_TIMED:-}" ]; then
  IT_METRICS_TIMED=1 exec timeout -k 5 120 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || fail "promtool missing: run 'make deps' (package prometheus)"
t init >/dev/null
start_daemon
checked_stop 20
API=http://127.0.0.1:$APORT
GW=http://127.0.0.1:$GPORT
M=/debug/metrics/prometheus

scrape() { curl -sf "$API$M" -o "$1" || fail "scrape failed"; }
# val FILE SAMPLE: the value of the sample written exactly so ("name" or
# 'name{labels}'), or "none".
val() { awk -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print "none" }' "$1"; }
int() { printf '%.0f' "$1"; }

# 1. Before any traffic: valid, and the families are there.
scrape "$WORK/m0"
promtool check metrics <"$WORK/m0" || fail "promtool rejects the exposition"
for f in trove_blocks trove_http_request_duration_seconds trove_http_responses_total \
  trove_libp2p_stream_bytes_total trove_bitswap_blocks_received_total \
  trove_dht_routing_table_peers process_resident_memory_bytes process_open_fds \
  trove_gc_runs_total ipfs_p2p_peers_total; do
  grep -q "^# TYPE $f " "$WORK/m0" || fail "no family $f"
done
CT=$(curl -sf -o /dev/null -w '%{content_type}' "$API$M")
eq "$CT" "text/plain; version=0.0.4; charset=utf-8"
[ "$(int "$(val "$WORK/m0" process_resident_memory_bytes)")" -gt 1000000 ] || fail "RSS"
[ "$(int "$(val "$WORK/m0" process_open_fds)")" -gt 3 ] || fail "open fds"

# 2. Traffic: adds through the API, then gateway fetches.
B0=$(val "$WORK/m0" trove_blocks)
head -c 2600000 /dev/urandom >"$WORK/big"   # chunks and a root
echo "small one" >"$WORK/small"
CID1=$(t add -Q "$WORK/big")
CID2=$(t add -Q "$WORK/small")
N=7
for i in $(seq $N); do
  c=$CID1; [ $((i % 2)) = 0 ] && c=$CID2
  curl -sf -o /dev/null "$GW/ipfs/$c" || fail "gateway fetch $i"
done
curl -s -o /dev/null "$GW/ipfs/not-a-cid"   # a 400: one more answer, class 4xx
GW_REQS=$((N + 1))

# The store's bytes and pins are a cache at most OBS_STAT_TTL_MS (5 s)
# old: scrape until the pins show (bounded), then check everything.
for _ in $(seq 40); do
  scrape "$WORK/m1"
  [ "$(val "$WORK/m1" 'trove_pins{type="recursive"}')" = 2 ] && break
  sleep 0.25
done
promtool check metrics <"$WORK/m1" || fail "promtool rejects the exposition after traffic"
eq "$(val "$WORK/m1" 'trove_pins{type="recursive"}')" 2 "(recursive pins)"
eq "$(val "$WORK/m1" 'trove_pins{type="direct"}')" 0 "(direct pins)"
NB=$(( $(t refs -r "$CID1" | sort -u | wc -l) + 2 ))   # big's blocks, its root, small
[ "$NB" -ge 4 ] || fail "big has $NB blocks"
eq "$(( $(val "$WORK/m1" trove_blocks) - B0 ))" "$NB" "(blocks added)"
[ "$(int "$(val "$WORK/m1" trove_block_bytes)")" -ge 2600010 ] || fail "block bytes $(val "$WORK/m1" trove_block_bytes)"

g0=$(val "$WORK/m0" 'trove_http_request_duration_seconds_count{handler="gateway"}')
g1=$(val "$WORK/m1" 'trove_http_request_duration_seconds_count{handler="gateway"}')
eq "$((g1 - g0))" "$GW_REQS" "(gateway requests in the histogram)"
ok0=$(val "$WORK/m0" 'trove_http_responses_total{handler="gateway",code="2xx"}')
ok1=$(val "$WORK/m1" 'trove_http_responses_total{handler="gateway",code="2xx"}')
eq "$((ok1 - ok0))" "$N" "(gateway 2xx answers)"
eq "$(val "$WORK/m1" 'trove_http_responses_total{handler="gateway",code="4xx"}')" 1 "(gateway 4xx)"
inf=$(val "$WORK/m1" 'trove_http_request_duration_seconds_bucket{handler="gateway",le="+Inf"}')
eq "$inf" "$g1" "(+Inf bucket is the count)"
a0=$(val "$WORK/m0" 'trove_http_request_duration_seconds_count{handler="api"}')
a1=$(val "$WORK/m1" 'trove_http_request_duration_seconds_count{handler="api"}')
# Two adds (the CLI may ask more: id, version) and the first scrape.
[ $((a1 - a0)) -ge 3 ] || fail "API requests counted: $((a1 - a0))"

# 3. GC: one run counted.
t repo gc >/dev/null 2>&1
scrape "$WORK/m2"
eq "$(val "$WORK/m2" trove_gc_runs_total)" 1 "(GC runs)"

# 4. Origin rules: those of the API, less the POST and user-agent ones.
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
eq "$(code -H 'Origin: http://evil.example' "$API$M")" 403 "(foreign Origin)"
eq "$(code -H 'Referer: http://evil.example/x' "$API/status.json")" 403 "(foreign Referer)"
eq "$(code -A 'Mozilla/5.0' -H 'Sec-Fetch-Site: cross-site' "$API/status")" 403 "(cross-site browser)"
eq "$(code -A 'Mozilla/5.0' -H 'Sec-Fetch-Site: none' "$API/status")" 200 "(browser opening the page)"
eq "$(code -H "Origin: http://127.0.0.1:$APORT" "$API/status.json")" 200 "(own origin)"
eq "$(code -X POST "$API$M")" 405 "(POST)"
eq "$(code -I "$API$M")" 200 "(HEAD)"
# The /api/v0 rules are unchanged: a browser GET there is still refused.
eq "$(code -A 'Mozilla/5.0' -X POST "$API/api/v0/version")" 403 "(api/v0 from a browser)"

# 5. The status object agrees with the API; the page is the page.
curl -sf "$API/status.json" -o "$WORK/status.json"
ID=$(t id -f '<id>' 2>/dev/null || t id | python3 -c 'import json,sys; print(json.load(sys.stdin)["ID"])')
python3 - "$WORK/status.json" "$ID" "$CID1" "$CID2" <<'EOF' || fail "status.json"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["peer_id"] == sys.argv[2], s["peer_id"]
assert s["pins"]["recursive"] == 2, s["pins"]
cids = {p["cid"] for p in s["pins"]["list"]}
assert cids == {sys.argv[3], sys.argv[4]}, cids
assert s["store"]["blocks"] >= 5
assert s["http"]["gateway"]["requests"] >= 8, s["http"]
assert s["gc"]["runs"] == 1
assert isinstance(s["transfer"]["samples"], list) and s["transfer"]["interval_ms"] == 5000
for k in ("scrub", "repairs", "mirrors"):
    assert k in s, k
EOF
curl -sf "$API/status" -o "$WORK/status.html" || fail "status page"
grep -q '<svg id="chart"' "$WORK/status.html" || fail "status page: no chart"
grep -qiE '<(script|link|img|iframe)[^>]+(src|href)=' "$WORK/status.html" &&
  fail "status page loads an external asset"
echo "ok: metrics and status"
