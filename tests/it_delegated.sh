#!/bin/bash
# it_delegated.sh — delegated routing as a client (node/delegated.h):
# trove daemons on 127.0.0.1, one of them the router.
#
#   1. R serves /routing/v1 (Gateway.ExposeRoutingAPI, the default); A
#      connects to R and adds a file, which puts A's provider record into
#      R's DHT table: R's /routing/v1/providers lists A.
#   2. C has no DHT (Routing.Type delegated), no bootstrap peer, no
#      connection to A, and Routing.DelegatedRouters [R's gateway, Kubo's
#      "auto"]: "auto" (AutoConf) is skipped with a warning; C's gateway
#      serves A's file byte for byte (C finds A through R, dials it,
#      bitswap), and C's own /routing/v1/providers answers A (NDJSON too),
#      /routing/v1/peers A's address.
#      Before that, C's CLI (the RPC API) asks R too: routing findprovs
#      lists A, routing findpeer gives A's address, routing get /ipns/A
#      gives the record A published (the bytes A holds), name resolve A
#      its path; `ping A` by its ID alone reaches A (the host's router
#      asks R).
#   3. D's routers are down or speak garbage: its lookups still end
#      (providers: an empty list; peers: 404; the CLI's findprovs: nothing,
#      findpeer: not found) and D stays up.
#   4. E's router (the test's own) lists A with a dead address first: E
#      fetches A's file from its second address.
# Daemons in temporary repos on free ports, stopped by the trap (only the
# PIDs started here).
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }
PIDS=()
trap nodes_cleanup EXIT
ok() { echo "ok - $*"; }

# start NAME [config...]: a daemon on free ports; sets GW_NAME, MA_NAME,
# ID_NAME.
start() {
  local name=$1 repo=$WORK/$1 p
  shift
  p=$(port)
  TROVE_PATH=$repo t init >/dev/null
  TROVE_PATH=$repo t config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$p\"]" >/dev/null
  TROVE_PATH=$repo t config --json Bootstrap '[]' >/dev/null
  TROVE_PATH=$repo t config --json Routing.LoopbackAddressesOnLanDHT true >/dev/null
  while [ $# -gt 0 ]; do TROVE_PATH=$repo t config --json "$1" "$2" >/dev/null; shift 2; done
  TROVE_PATH=$repo timeout --foreground 300 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >"$repo.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 200); do grep -q "Daemon is ready" "$repo.log" && break; sleep 0.05; done
  grep -q "Daemon is ready" "$repo.log" || fail "daemon $name did not start: $(cat "$repo.log")"
  printf -v "GW_$name" '%s' "$(sed -n 's|.*Gateway server listening on .* (\(http://[^)]*\)/ipfs/)|\1|p' "$repo.log")"
  printf -v "ID_$name" '%s' "$(sed -n 's/.*peer identity: //p' "$repo.log")"
  printf -v "MA_$name" '%s' "/ip4/127.0.0.1/tcp/$p/p2p/$(sed -n 's/.*peer identity: //p' "$repo.log")"
}

# --- 1. R knows A as a provider
start r
start a
ta() { TROVE_PATH=$WORK/a t "$@"; }
ta swarm connect "$MA_r" >/dev/null || fail "A cannot connect to R"
head -c $((3 << 20)) /dev/urandom >"$WORK/file"
CID=$(ta add -Q "$WORK/file")
found=
for _ in $(seq 60); do
  curl -s -m 20 "$GW_r/routing/v1/providers/$CID" | grep "\"$ID_a\"" >/dev/null && { found=1; break; }
  sleep 0.5
done
[ -n "$found" ] || fail "R's /routing/v1/providers never listed A"
ok "R's /routing/v1/providers lists A for $CID"
KA=$(ta name publish -Q "$CID") || fail "A's name publish"
ta routing get "/ipns/$ID_a" >"$WORK/a.rec" || fail "A's routing get"
found=
for _ in $(seq 60); do
  curl -sf -m 20 -o "$WORK/r.rec" "$GW_r/routing/v1/ipns/$KA" &&
    cmp -s "$WORK/r.rec" "$WORK/a.rec" && { found=1; break; }
  sleep 0.5
done
[ -n "$found" ] || fail "R's /routing/v1/ipns never had A's record"

# --- 2. C finds A through R alone
start c Routing.Type '"delegated"' \
  Routing.DelegatedRouters "[\"$GW_r/\", \"auto\"]"
grep -q "Routing.DelegatedRouters: 1 of 2 entries skipped: only http://" "$WORK/c.log" ||
  fail "no warning for the \"auto\" router: $(cat "$WORK/c.log")"
grep -q "delegated router: $GW_r\$" "$WORK/c.log" || fail "C does not use R"
tc() { TROVE_PATH=$WORK/c t "$@"; }
out=$(tc routing findprovs "$CID") || fail "C's routing findprovs: $out"
[ "$out" = "$ID_a" ] || fail "C's routing findprovs printed '$out'"
out=$(tc routing findpeer "$ID_a") || fail "C's routing findpeer: $out"
grep -q "^/ip4/127.0.0.1/tcp/" <<<"$out" || fail "C's routing findpeer: $out"
tc routing get "/ipns/$ID_a" >"$WORK/c.rec" || fail "C's routing get /ipns/A"
cmp -s "$WORK/c.rec" "$WORK/a.rec" || fail "C's record for A differs from A's"
out=$(tc name resolve "$ID_a") || fail "C's name resolve: $out"
[ "$out" = "/ipfs/$CID" ] || fail "C's name resolve printed '$out'"
ok "C's routing findprovs|findpeer|get and name resolve ask R (no DHT)"
# A peer by its ID alone: the host's router asks R (go's routed host).
TROVE_PATH=$WORK/c t swarm peers | grep "$ID_a" >/dev/null &&
  fail "C is connected to A before it pings it"
out=$(tc ping -n 1 "$ID_a" 2>&1) || fail "C's ping of A by ID: $out"
grep -q "Pong received" <<<"$out" || fail "C's ping of A said: $out"
tc swarm disconnect "/p2p/$ID_a" >/dev/null || fail "C's disconnect from A"
ok "C pings A by its ID alone, its address from R"
curl -sf -m 60 -o "$WORK/got" "$GW_c/ipfs/$CID" || fail "C's gateway could not fetch $CID"
cmp -s "$WORK/got" "$WORK/file" || fail "C served other bytes"
TROVE_PATH=$WORK/c t swarm peers | grep "$ID_a" >/dev/null || fail "C is not connected to A"
ok "C (no DHT) fetched A's file found through R"
out=$(curl -s -m 30 "$GW_c/routing/v1/providers/$CID")
grep -q "\"ID\":\"$ID_a\"" <<<"$out" || fail "C's /routing/v1/providers: $out"
out=$(curl -s -m 30 -H 'Accept: application/x-ndjson' "$GW_c/routing/v1/providers/$CID")
eq "$(grep -c "\"$ID_a\"" <<<"$out")" 1 "(A once in C's NDJSON answer: $out)"
out=$(curl -s -m 30 "$GW_c/routing/v1/peers/$ID_a")
grep -q "/ip4/127.0.0.1/tcp/" <<<"$out" || fail "C's /routing/v1/peers: $out"
ok "C's own /routing/v1 answers A (providers JSON and NDJSON, peers)"

# --- 3. routers that are down or speak garbage
DEAD=$(port)
GARB=$(port)
python3 - "$GARB" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
while True:
    c, _ = s.accept()
    try:
        c.recv(65536)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                  b"Connection: close\r\n\r\n{{{garbage\n\x00\xff[1,2]\n"
                  b'{"Schema":"peer","ID":7}\n')
    finally:
        c.close()
PY
PIDS+=($!)
start d Routing.Type '"delegated"' \
  Routing.DelegatedRouters "[\"http://127.0.0.1:$DEAD\", \"http://127.0.0.1:$GARB\"]"
out=$(curl -s -m 60 -w ' %{http_code}' "$GW_d/routing/v1/providers/$CID")
eq "$out" '{"Providers":[]} 200' "(D's providers with broken routers)"
code=$(curl -s -m 60 -o /dev/null -w '%{http_code}' "$GW_d/routing/v1/peers/$ID_a")
[ "$code" = 404 ] || [ "$code" = 200 ] || fail "D's peers answered $code"
out=$(TROVE_PATH=$WORK/d t routing findprovs "$CID") || fail "D's findprovs: $out"
[ -z "$out" ] || fail "D's findprovs printed '$out'"
if out=$(TROVE_PATH=$WORK/d t routing findpeer "$ID_a" 2>&1); then
  fail "D's findpeer found A: $out"
fi
grep -q "routing: not found" <<<"$out" || fail "D's findpeer: $out"
TROVE_PATH=$WORK/d t id >/dev/null || fail "D is gone"
ok "broken routers: lookups end empty, D stays up"

# --- 4. a provider whose first address is dead (a private or IPv6 one we
# cannot reach, as real records often list first): a router of the test's
# own lists A at 127.0.0.1:1, then at its real address; E (no DHT) must
# try the second when the first fails (it used to give the provider up).
ONE=$(port)
PA=${MA_a#/ip4/127.0.0.1/tcp/}; PA=${PA%%/*}
python3 - "$ONE" "$ID_a" "$PA" <<'PY' &
import http.server, json, sys
port, pid, pa = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rec = {"Schema": "peer", "ID": pid, "Protocols": ["transport-bitswap"],
       "Addrs": ["/ip4/127.0.0.1/tcp/1", "/ip4/127.0.0.1/tcp/" + pa]}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/routing/v1/providers/"):
            b = json.dumps({"Providers": [rec]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        else:
            b = b"not found"
            self.send_response(404)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
PIDS+=($!)
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$ONE/" && break; sleep 0.1; done
start e Routing.Type '"delegated"' \
  Routing.DelegatedRouters "[\"http://127.0.0.1:$ONE\"]"
TROVE_PATH=$WORK/e t swarm peers | grep "$ID_a" >/dev/null && fail "E is connected to A already"
T0=$(date +%s.%N)
TROVE_PATH=$WORK/e timeout 60 "$TROVE_BIN" cat "$CID" >"$WORK/e.got" ||
  fail "E could not fetch $CID from a provider whose first address is dead"
cmp -s "$WORK/e.got" "$WORK/file" || fail "E got other bytes"
took=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
# One provider search was enough: the second address was tried then (it
# used to take a second search, 40 s later, once the first address was in
# dial backoff).
API_e=$(sed -n 's|.*RPC API server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*|http://127.0.0.1:\1|p' "$WORK/e.log")
searches=$(curl -sf "$API_e/debug/metrics/prometheus" |
  sed -n 's/^trove_bitswap_provider_searches_total \([0-9]*\)$/\1/p')
eq "$searches" 1 "(E's provider searches)"
ok "E fetched from A at its second address (the first dead) after one provider search, in $took s"
