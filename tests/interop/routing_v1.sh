#!/bin/bash
# routing_v1.sh — trove's Delegated Routing V1 HTTP API (/routing/v1/ on
# the gateway, Kubo's Gateway.ExposeRoutingAPI) against Helia's client and
# against Kubo's own /routing/v1, on 127.0.0.1:
#
#   1. Kubo A (the hub) and trove T start, T dials A (LAN DHT, as in
#      dht_kubo.sh); Kubo C joins through A, adds a file (announcing it) and
#      publishes its IPNS name.
#   2. Helia's @helia/delegated-routing-v1-http-api-client against T's
#      gateway (routing_v1.mjs): getProviders finds C with its address,
#      getPeers gives C's address, getIPNS returns C's record and it
#      validates, putIPNS of a new record is taken and read back, a broken
#      one refused.
#   3. The record T took with putIPNS reached the DHT: Kubo A gets the same
#      bytes with `ipfs routing get`.
#   4. curl: NDJSON streaming (C's record a line), JSON with the results'
#      cache time, the IPNS record's content type and Expires; T answers
#      what Kubo's own /routing/v1 (boxo's server) answers — status and
#      content type, and the body of empty lists — for an unknown CID, a bad
#      CID, an unknown peer and name, a name that is not a libp2p-key CID,
#      an Accept nothing matches, a PUT without its content type, an unknown
#      path.
#   5. Gateway.ExposeRoutingAPI false: /routing/v1/ is not served (404).
# Every wait is bounded; every process is stopped by the traps.  Skipped
# (passes) when Kubo or node is not installed.
INTEROP_TIMEOUT=600 INTEROP_DHT_KUBO=1
source "$(dirname "$0")/lib/trove_lib.sh"
command -v node >/dev/null || { echo "skip: no node"; exit 0; }
[ -d node_modules/@helia/delegated-routing-v1-http-api-client ] ||
  { echo "skip: run make deps (tests/interop/node_modules)"; exit 0; }
trv() { timeout 60 "$TROVE" "$@"; }
start_trove() {
  # The last run's "Daemon is ready" is not ours.
  [ -e "$WORK/daemon.log" ] && mv "$WORK/daemon.log" "$WORK/daemon.prev.log"
  interop_daemon
  GW=http://127.0.0.1:$GPORT
}
# probe URL [curl args]: "STATUS CONTENT-TYPE" (the type without parameters).
probe() {
  local u=$1; shift
  curl -s -o /dev/null -m 60 -w '%{http_code} %{content_type}' "$@" "$u" |
    sed 's/;.*//'
}

# --- 1. the hub, trove, and C with content and a name
kubo_new 0
kubo_start 0
KGW=http://$(kubo 0 config Addresses.Gateway | sed -n 's#^/ip4/\([^/]*\)/tcp/\([0-9]*\)$#\1:\2#p')
trove_p2p_init
trv config --json Bootstrap "[\"${KUBO_ADDR[0]}\"]" >/dev/null
trv config --json Routing.LoopbackAddressesOnLanDHT true >/dev/null
start_trove
kubo_wait_rt_has 0 "$TID" 30 || fail "the hub's LAN table never held trove"
kubo_new 2
kubo_start 2
kubo_connect 2 0
kubo_wait_rt 2 1 30 || fail "C's table stayed empty"
C=${KUBO_ID[2]}
echo "content of C $RANDOM $(date +%s%N)" >"$KUBO_WORK/c.txt"
KCID=$(kubo 2 add -Q --cid-version=1 "$KUBO_WORK/c.txt")
kubo 2 routing provide "$KCID" >/dev/null 2>&1 || true
NAME=$(kubo 2 name publish --allow-offline --quieter "/ipfs/$KCID")
kubo_wait_resolve 0 "$C" "/ipfs/$KCID" 30 || fail "the hub does not resolve C's name"
# Until T's lookups see C's provider record (C announces in the background).
found=
for _ in $(seq 60); do
  curl -s -m 20 "$GW/routing/v1/providers/$KCID" | grep "\"$C\"" >/dev/null && { found=1; break; }
  sleep 0.5
done
[ -n "$found" ] || fail "trove's /routing/v1/providers never listed C"
echo "ok 1: trove's /routing/v1 lists C as provider of $KCID"

# --- 2. Helia's client
(timeout 120 node routing_v1.mjs "$GW/" "$KCID" "$C" \
  "${KUBO_SWARM_PORT[2]}" "$NAME" "/ipfs/$KCID" "$KUBO_WORK") ||
  fail "Helia's delegated routing client against trove"
echo "ok 2: Helia's client: providers, peers, getIPNS (valid), putIPNS"

# --- 3. the record T took went into the DHT
PUTNAME=$(cat "$KUBO_WORK/put.name")
kubo 0 routing get "/ipns/$PUTNAME" >"$KUBO_WORK/kubo.rec" ||
  fail "Kubo does not find the record trove took with PUT"
cmp -s "$KUBO_WORK/kubo.rec" "$KUBO_WORK/put.rec" ||
  fail "Kubo's copy of the PUT record differs"
echo "ok 3: the PUT record reached Kubo through the DHT"

# --- 4. curl: formats and status codes
out=$(curl -s -m 60 -H 'Accept: application/x-ndjson' "$GW/routing/v1/providers/$KCID")
grep -qx "{\"Addrs\":\[.*\],\"ID\":\"$C\",\"Schema\":\"peer\"}" <<<"$out" ||
  fail "NDJSON providers: $out"
[ "$(probe "$GW/routing/v1/providers/$KCID" -H 'Accept: application/x-ndjson')" = "200 application/x-ndjson" ] ||
  fail "NDJSON content type"
hdr=$(curl -s -m 60 -D - -o /dev/null "$GW/routing/v1/providers/$KCID" | tr -d '\r')
grep -qi '^content-type: application/json$' <<<"$hdr" || fail "JSON providers: $hdr"
grep -qi '^cache-control: public, max-age=300,' <<<"$hdr" || fail "providers' cache time: $hdr"
hdr=$(curl -s -m 60 -D - -o "$KUBO_WORK/t.rec" "$GW/routing/v1/ipns/$NAME" | tr -d '\r')
grep -qi '^content-type: application/vnd.ipfs.ipns-record$' <<<"$hdr" || fail "IPNS: $hdr"
grep -qi '^expires: ' <<<"$hdr" || fail "IPNS: no Expires: $hdr"
kubo 0 routing get "/ipns/$C" >"$KUBO_WORK/k.rec"
cmp -s "$KUBO_WORK/t.rec" "$KUBO_WORK/k.rec" || fail "trove's record for C differs from the hub's"
curl -s -m 10 -i -X OPTIONS "$GW/routing/v1/ipns/$NAME" | tr -d '\r' |
  grep -qi '^access-control-allow-methods: .*PUT' || fail "OPTIONS: no PUT allowed"
UNKNOWN=bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy
NOBODY=12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA
NONAME=k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8
same() { # PATH [curl args]: T and Kubo answer alike
  local p=$1; shift
  local t k
  t=$(probe "$GW$p" "$@"); k=$(probe "$KGW$p" "$@")
  [ "$t" = "$k" ] || fail "$p $*: trove says '$t', Kubo '$k'"
  echo "  $p $*: $t"
}
same "/routing/v1/providers/$UNKNOWN"
same "/routing/v1/providers/$UNKNOWN" -H 'Accept: application/x-ndjson'
same "/routing/v1/providers/not-a-cid"
same "/routing/v1/providers/$UNKNOWN" -H 'Accept: text/html'
same "/routing/v1/peers/$NOBODY"
same "/routing/v1/peers/not-a-peer"
same "/routing/v1/ipns/$NONAME"
same "/routing/v1/ipns/$UNKNOWN"
same "/routing/v1/ipns/$NAME" -H 'Accept: application/json'
same "/routing/v1/ipns/$NAME" -X PUT --data-binary @"$KUBO_WORK/t.rec"
same "/routing/v1/nothing/here"
for p in "/routing/v1/providers/$UNKNOWN" "/routing/v1/peers/$NOBODY"; do
  t=$(curl -s -m 60 "$GW$p"); k=$(curl -s -m 60 "$KGW$p")
  [ "$t" = "$k" ] || fail "$p: trove says '$t', Kubo '$k'"
done
[ "$(probe "$GW/routing/v1/ipns/$NAME" -X PUT -H 'Content-Type: application/vnd.ipfs.ipns-record' \
  --data-binary @"$KUBO_WORK/c.txt")" = "400 text/plain" ] || fail "PUT of a non-record"
kill -0 "$DPID" || fail "trove died"
echo "ok 4: formats, and status codes as Kubo's"

# --- 5. switched off
interop_daemon_stop
trv config --json Gateway.ExposeRoutingAPI false >/dev/null
start_trove
got=$(probe "$GW/routing/v1/providers/$KCID")
[ "${got%% *}" = 404 ] ||
  fail "ExposeRoutingAPI false still serves /routing/v1: $got"
echo "ok 5: Gateway.ExposeRoutingAPI false turns it off"
echo "routing_v1: all ok"
