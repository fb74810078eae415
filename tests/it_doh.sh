#!/bin/bash
# it_doh.sh — DNSLink through DNS-over-HTTPS (Kubo's DNS.Resolvers and
# DNS.MaxCacheTTL): a TLS DoH server of the test's own (tests/doh/
# doh_server.py, a self-signed certificate made here, trusted by the daemon
# through SSL_CERT_FILE) for names under "test.", a plain http:// one for
# "plain.", the longest suffix winning ("deep.plain." back on TLS); then
# resolvers that misbehave (garbage, a huge answer, HTTP 500, an answer to
# another question, a stall, a certificate for another name) answered 502
# or 504 with the daemon alive; the cache (TTL, MaxCacheTTL) by counting
# the server's hits.
if [ -z "${IT_DOH_TIMED:-}" ]; then
  IT_DOH_TIMED=1 exec timeout -k 5 120 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
SPIDS=()
cleanup_servers() { for p in "${SPIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
checked_stop 5
trap 'cleanup_servers; checked_stop_exit' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost" \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null || fail "openssl req"

t init >/dev/null
echo "hello over doh" >"$WORK/a.txt"
CID=$(t add -Q "$WORK/a.txt")
echo "plain site" >"$WORK/b.txt"
CID2=$(t add -Q "$WORK/b.txt")

# start_doh PORTFILE ARGS...: a DoH server, its port in $PORT once it
# listens.
start_doh() {
  local pf=$1; shift
  python3 "$HERE/doh/doh_server.py" "$pf" "$@" >>"$WORK/doh.log" 2>&1 &
  SPIDS+=($!)
  for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
  [ -s "$pf" ] || { cat "$WORK/doh.log"; fail "the DoH server did not start"; }
  PORT=$(cat "$pf")
}
start_doh "$WORK/p1" --cert "$WORK/cert.pem" --key "$WORK/key.pem" \
  "_dnslink.example.test=300:v=spf1 -all" \
  "_dnslink.example.test=300:dnslink=/ipfs/$CID" \
  "_dnslink.ttl.test=1:dnslink=/ipfs/$CID" \
  "_dnslink.long.test=3600:dnslink=/ipfs/$CID" \
  "_dnslink.x.deep.plain=60:dnslink=/ipfs/$CID" \
  "_dnslink.nolink.test=60:v=spf1 -all"
TLS=$PORT
start_doh "$WORK/p2" "_dnslink.site.plain=60:dnslink=/ipfs/$CID2"
PLAIN=$PORT

t config --json DNS.Resolvers "{\".\": \"none\",
  \"test.\": \"https://localhost:$TLS/dns-query\",
  \"plain\": \"http://127.0.0.1:$PLAIN/dns-query\",
  \"deep.plain.\": \"https://localhost:$TLS/dns-query\",
  \"wrongname.\": \"https://127.0.0.1:$TLS/dns-query\"}" >/dev/null
t config DNS.MaxCacheTTL 2s >/dev/null
SSL_CERT_FILE="$WORK/cert.pem" start_daemon
G="http://127.0.0.1:$GPORT"
hits() { # hits NAME [tls|plain]
  if [ "${2:-tls}" = tls ]; then
    curl -s --cacert "$WORK/cert.pem" "https://localhost:$TLS/hits?name=$1"
  else
    curl -s "http://127.0.0.1:$PLAIN/hits?name=$1"
  fi
}
code() { curl -s -o "$WORK/body" -w '%{http_code}' "$@"; }

# The names, each through its resolver.
eq "$(curl -s "$G/ipns/example.test/")" "hello over doh" "/ipns/example.test over https"
eq "$(hits _dnslink.example.test)" 1 "one DoH query"
eq "$(curl -s "$G/ipns/example.test/")" "hello over doh" "again"
eq "$(hits _dnslink.example.test)" 1 "the second from the cache"
eq "$(curl -s "$G/ipns/site.plain/")" "plain site" "/ipns/site.plain over http"
eq "$(hits _dnslink.site.plain plain)" 1 "one query to the plain server"
eq "$(curl -s "$G/ipns/x.deep.plain/")" "hello over doh" "the longest suffix wins"
eq "$(hits _dnslink.x.deep.plain plain)" 0 "not asked of the shorter suffix's server"
eq "$(code "$G/ipns/nolink.test/")" 500 "TXT records without a DNSLink"
eq "$(code "$G/ipns/nobody.test/")" 500 "NXDOMAIN"
eq "$(code "$G/ipns/elsewhere.example.org/")" 500 "a name no resolver covers (. is none)"
ok "DNSLink over DoH: https:// (SSL_CERT_FILE), http://, the longest suffix, no record, NXDOMAIN"

# Resolvers that misbehave: 502 (504 for the stall), with a clear message.
eq "$(code "$G/ipns/garbage.test/")" 502 "garbage answer"
grep -q "DNSLink lookup failed" "$WORK/body" || fail "no clear error: $(cat "$WORK/body")"
eq "$(code "$G/ipns/huge.test/")" 502 "huge answer"
eq "$(code "$G/ipns/status.test/")" 502 "HTTP 500 from the resolver"
eq "$(code "$G/ipns/idmix.test/")" 502 "an answer to another question"
eq "$(code "$G/ipns/a.wrongname/")" 502 "a certificate for another name"
grep -q "certificate verify failed" "$WORK/daemon.log" || fail "the TLS failure is not logged"
eq "$(code "$G/ipns/stall.test/")" 504 "a resolver that never answers"
grep -q "timed out" "$WORK/body" || fail "504 without a reason: $(cat "$WORK/body")"
kill -0 "$DPID" || fail "the daemon died"
eq "$(curl -s "$G/ipns/example.test/")" "hello over doh" "still serving"
ok "misbehaving resolvers: garbage, huge, 500, wrong question, wrong certificate -> 502; stall -> 504"

# The cache: TTL 1 s expires, TTL 3600 s is cut to MaxCacheTTL (2 s);
# the answer says as much downstream (Cache-Control, boxo 0.43: what is
# left of it when it came from the cache).
cc() { curl -s -o /dev/null -w '%{header_json}' "$@" |
  python3 -c 'import json,sys; print(json.load(sys.stdin).get("cache-control", ["none"])[0])'; }
eq "$(cc "$G/ipns/ttl.test/")" "public, max-age=1" "Cache-Control: the TXT record's TTL"
curl -s "$G/ipns/ttl.test/" >/dev/null
eq "$(hits _dnslink.ttl.test)" 1 "TTL 1 s: the second request from the cache"
eq "$(cc "$G/ipns/long.test/")" "public, max-age=2" "Cache-Control: a TTL of 3600 s capped by MaxCacheTTL"
case $(cc "$G/ipns/long.test/") in
  "public, max-age="[12] | none) ;; # what is left, whole seconds (0: none)
  *) fail "Cache-Control of a cached answer: $(cc "$G/ipns/long.test/")" ;;
esac
eq "$(hits _dnslink.long.test)" 1 "TTL 3600 s: from the cache"
sleep 2.5
curl -s "$G/ipns/ttl.test/" >/dev/null
eq "$(hits _dnslink.ttl.test)" 2 "TTL 1 s: asked again after it expired"
curl -s "$G/ipns/long.test/" >/dev/null
eq "$(hits _dnslink.long.test)" 2 "MaxCacheTTL 2 s caps a TTL of 3600 s"
curl -s "$G/ipns/garbage.test/" >/dev/null
eq "$(hits _dnslink.garbage.test)" 2 "failures are not cached"
ok "DoH cache: record TTL, DNS.MaxCacheTTL, failures not kept"

# Bad settings are refused at start, with the key named.
# Shut down with a lookup under way (its client waiting): a clean exit.
curl -s -m 20 "$G/ipns/stall.test/" >/dev/null 2>&1 &
CURL=$!
for _ in $(seq 50); do [ "$(hits _dnslink.stall.test)" = 2 ] && break; sleep 0.1; done
eq "$(hits _dnslink.stall.test)" 2 "the second stall under way"
kill "$DPID"; drc=0; wait "$DPID" 2>/dev/null || drc=$?; DPID=""
eq "$drc" 0 "the daemon's exit status after SIGTERM (a stall under way)"
if grep -E -q 'Sanitizer|runtime error' "$WORK/daemon.log"; then cat "$WORK/daemon.log"; fail "sanitizer report"; fi
wait "$CURL" 2>/dev/null || true
t config --json DNS.Resolvers '{"eth.": "udp://1.1.1.1"}' >/dev/null
if t daemon --gateway=/ip4/127.0.0.1/tcp/0 --api=/ip4/127.0.0.1/tcp/0 >"$WORK/bad.log" 2>&1; then
  fail "a udp:// resolver was accepted"
fi
grep -q 'DNS.Resolvers\["eth."\]' "$WORK/bad.log" || fail "no message naming the key: $(cat "$WORK/bad.log")"
ok "DNS.Resolvers with an unsupported URL refused at start"
