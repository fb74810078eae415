#!/bin/bash
# it_dnslink.sh — DNSLink on the gateway: names from the offline map
# (IPFS_NS_MAP, Kubo's format) on /ipns/<domain>/ and as sites by their
# Host header, a DNSLink to an IPNS key and to another DNSLink, unknown and
# malformed names, Gateway.NoDNSLink, a malformed map refused at start; then
# _dnslink TXT records through the system resolver: a DNS server of the
# test's own (python) in a network namespace whose /etc/resolv.conf
# (ip netns' /etc/netns/NS/resolv.conf) points at it.
if [ -z "${IT_DNSLINK_TIMED:-}" ]; then
  IT_DNSLINK_TIMED=1 exec timeout -k 5 180 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
checked_stop 5

t init >/dev/null
t config --json DNS.Resolvers '{".": "none"}' >/dev/null
mkdir -p "$WORK/d/sub"
echo "file a" >"$WORK/d/a.txt"
echo "inner" >"$WORK/d/sub/in.txt"
ROOT=$(t add -r -Q "$WORK/d")
ID=$(t id -f '<id>' 2>/dev/null || t config Identity.PeerID)
export IPFS_NS_MAP="site.example.org:/ipfs/$ROOT,sub.example.org:/ipfs/$ROOT/sub,chain.example.org:/ipns/site.example.org,name.example.org:/ipns/$ID,,"
start_daemon
G="http://127.0.0.1:$GPORT"
grep -q 'DNSLink: 4 names from IPFS_NS_MAP' "$WORK/daemon.log" || fail "the map was not read"

# /ipns/<domain>/ on the path gateway.
eq "$(curl -s "$G/ipns/site.example.org/a.txt")" "file a" "/ipns/site/a.txt"
eq "$(curl -s "$G/ipns/SITE.Example.org./a.txt")" "file a" "case and a final dot"
eq "$(curl -s "$G/ipns/sub.example.org/in.txt")" "inner" "a value with a sub-path"
eq "$(curl -s "$G/ipns/chain.example.org/sub/in.txt")" "inner" "a DNSLink to a DNSLink"
eq "$(curl -s -o /dev/null -w '%{http_code}' "$G/ipns/site.example.org/sub")" 301 "directory redirect"
curl -s -D "$WORK/h" -o "$WORK/b" "$G/ipns/site.example.org/sub/"
grep -q '<a href="/ipns/site.example.org/sub/in.txt">in.txt</a>' "$WORK/b" || fail "listing under /ipns/<domain>"
eq "$(curl -s -o /dev/null -w '%{http_code}' "$G/ipns/nobody.example.org/")" 500 "an unknown domain (DNS off)"
eq "$(curl -s -o /dev/null -w '%{http_code}' "$G/ipns/not_a_domain/")" 400 "not a name"
t name publish --allow-offline "/ipfs/$ROOT/sub" >/dev/null
eq "$(curl -s "$G/ipns/name.example.org/in.txt")" "inner" "a DNSLink to an IPNS key"
# A DNSLink name from the map has no TTL: it takes nothing away from the
# IPNS record's behind it (5 min), as Kubo 0.43 answers (boxo's
# minNonZeroTTL; checked against Kubo 0.43.1); alone it gives no
# Cache-Control, not the immutable one of /ipfs/.
cc() { curl -s -o /dev/null -w '%{header_json}' "$@" |
  python3 -c 'import json,sys; print(json.load(sys.stdin).get("cache-control", ["none"])[0])'; }
eq "$(cc "$G/ipns/name.example.org/in.txt")" "public, max-age=300" "Cache-Control of a DNSLink to an IPNS name"
eq "$(cc "$G/ipns/sub.example.org/in.txt")" "none" "Cache-Control of a DNSLink from the map"
curl -sI "$G/ipns/site.example.org/sub/" | grep -i '^cache-control:' >/dev/null && fail "Cache-Control on a DNSLink listing"
ok "DNSLink names on /ipns/: the map, case, sub-path, chains, an IPNS key, unknown names"

# The same as sites, by the Host header.
eq "$(curl -s -H 'Host: site.example.org' "$G/a.txt")" "file a" "site /a.txt"
eq "$(curl -s -H "Host: Site.Example.Org:$GPORT" "$G/sub/in.txt")" "inner" "site with a port"
curl -s -H 'Host: site.example.org' -o "$WORK/b" "$G/sub/"
grep -q '<a href="/sub/in.txt">in.txt</a>' "$WORK/b" || fail "site listing links"
grep -q '<a href="/sub/..">..</a>' "$WORK/b" || fail "site listing backlink"
grep -q 'href="https://cid.ipfs.tech/#' "$WORK/b" || fail "site listing CID links"
eq "$(curl -s -o /dev/null -w '%{header_json}' -H 'Host: site.example.org' "$G/sub" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["location"][0])')" "/sub/" "site redirect"
# A Host the map lacks is the plain gateway.
eq "$(curl -s -H 'Host: other.example.org' "$G/ipfs/$ROOT/a.txt")" "file a" "other Host"
ok "DNSLink sites by Host: files, listings (site links, cid.ipfs.tech), redirect; other hosts untouched"

# Subdomains on "localhost" (Kubo's default PublicGateways): the path form
# redirects (a CIDv0 as base32 CIDv1), the subdomain serves; a DNSLink
# name's subdomain too.
HERE=$(cd "$(dirname "$0")" && pwd)
t dag import --pin-roots=false "$HERE/gwconf/fixtures/subdomain_gateway/fixtures.car" >/dev/null
V0=QmYiPNLU7Hc739sqcBH5DgVmk5mKTQVzKSqvJJeNGWTgrE # its root, a CIDv0 directory
V1=$(cd "$HERE/gwconf" && python3 -c 'import sys; from ipld import Cid; c = Cid.parse(sys.argv[1]); print(Cid(1, c.codec, c.mh))' "$V0")
eq "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: localhost:$GPORT" "$G/ipfs/$V0?x=1")" \
  "301 http://$V1.ipfs.localhost:$GPORT/?x=1" "localhost path -> subdomain"
eq "$(curl -s -H "Host: $V1.ipfs.localhost:$GPORT" "$G/hello-CIDv1")" "hello" "CID.ipfs.localhost"
eq "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: $V0.ipfs.localhost" "$G/")" \
  "301 http://$V1.ipfs.localhost/" "CIDv0 subdomain -> base32"
curl -s -H "Host: $ROOT.ipfs.localhost" -o "$WORK/b" "$G/sub/"
grep -q '<a href="/sub/in.txt">in.txt</a>' "$WORK/b" || fail "subdomain listing links"
grep -q "href=\"//localhost/ipfs/$ROOT/sub\">sub</a>" "$WORK/b" || fail "subdomain listing crumbs"
eq "$(curl -s -H "Host: site.example.org.ipns.localhost" "$G/a.txt")" "file a" "DNSLink subdomain"
# Ipfs-Uri names the /ipns/ path asked, not the /ipfs/ path it resolved
# to (boxo): on the path gateway, for a site by its Host and for a
# NAME.ipns subdomain (a DNSLink name, inlined or not; a key).
uri_of() { curl -s -o /dev/null -w '%{header_json}' "$@" |
  python3 -c 'import json,sys; print(json.load(sys.stdin).get("ipfs-uri", ["none"])[0])'; }
eq "$(uri_of "$G/ipns/site.example.org/sub/")" "ipns://site.example.org/sub/" "Ipfs-Uri /ipns/<domain>/"
eq "$(uri_of -H 'Host: site.example.org' "$G/a.txt")" "ipns://site.example.org/a.txt" "Ipfs-Uri of a site"
eq "$(uri_of -H 'Host: site.example.org' "$G/sub/")" "ipns://site.example.org/sub/" "Ipfs-Uri of a site's directory"
eq "$(uri_of -H 'Host: site-example-org.ipns.localhost' "$G/sub/in.txt")" "ipns://site.example.org/sub/in.txt" \
  "Ipfs-Uri of an inlined DNSLink subdomain"
eq "$(uri_of -H 'Host: site.example.org.ipns.localhost' "$G/a.txt")" "ipns://site.example.org/a.txt" \
  "Ipfs-Uri of a DNSLink subdomain"
# What a name points at changes: never "immutable" (boxo: max-age=TTL when
# known, else no Cache-Control); an /ipfs/ path is.
for u in "$G/ipns/site.example.org/a.txt" "$G/ipns/site.example.org/sub/"; do
  case "$(cc "$u")" in *immutable*) fail "$u is served as immutable" ;; esac
done
case "$(cc -H 'Host: site.example.org' "$G/a.txt")" in *immutable*) fail "a DNSLink site's file is served as immutable" ;; esac
case "$(cc "$G/ipfs/$ROOT/a.txt")" in *immutable*) ;; *) fail "an /ipfs/ file is not immutable" ;; esac
K36=$(cd "$HERE/gwconf" && python3 -c '
import sys
from ipld import b58decode
n = int.from_bytes(b"\x01\x72" + b58decode(sys.argv[1]), "big")
s = ""
while n:
    n, r = divmod(n, 36)
    s = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + s
print("k" + s)' "$ID")
eq "$(curl -s -H "Host: $K36.ipns.localhost" "$G/in.txt")" "inner" "NAME.ipns.localhost"
eq "$(uri_of -H "Host: $K36.ipns.localhost" "$G/in.txt")" "ipns://$K36/in.txt" "Ipfs-Uri of NAME.ipns"
eq "$(uri_of -H "Host: $ROOT.ipfs.localhost" "$G/sub/")" "ipfs://$ROOT/sub/" "Ipfs-Uri of CID.ipfs"
# A Host that is not host[:digits] is no gateway host: no redirect from it
# (its rest would end up in Location: http://CID.ipfs.localhost:@evil/).
eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: localhost:@evil.example" "$G/ipfs/$V0/hello-CIDv1")" 200 "odd port"
eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: localhost" "$G/ipns/a%22b/")" 400 "odd name"
ok "subdomains on localhost: redirects (CIDv0 to base32 v1), content at the origin root, listings, DNSLink names"
kill "$DPID"; wait "$DPID" || fail "daemon exit status"; DPID=""

# Gateway.NoDNSLink: no sites (the path form stays).
t config --json Gateway.NoDNSLink true >/dev/null
start_daemon
G="http://127.0.0.1:$GPORT"
eq "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: site.example.org' "$G/a.txt")" 404 "NoDNSLink site"
eq "$(curl -s "$G/ipns/site.example.org/a.txt")" "file a" "NoDNSLink /ipns/"
kill "$DPID"; wait "$DPID" || fail "daemon exit status"; DPID=""
t config --json Gateway.NoDNSLink false >/dev/null
ok "Gateway.NoDNSLink turns sites off, not /ipns/<domain>"

# A malformed map stops the start, with a message.
for bad in "site.example.org" "x:/ipfs/$ROOT" "site.example.org:bafy" "a b.org:/ipfs/$ROOT"; do
  if IPFS_NS_MAP="$bad" t daemon --gateway=/ip4/127.0.0.1/tcp/0 --api=/ip4/127.0.0.1/tcp/0 \
      >"$WORK/bad.log" 2>&1; then
    fail "daemon started with IPFS_NS_MAP=$bad"
  fi
  grep -q 'IPFS_NS_MAP' "$WORK/bad.log" || fail "no message for IPFS_NS_MAP=$bad"
done
ok "malformed IPFS_NS_MAP refused at start"
unset IPFS_NS_MAP

# _dnslink TXT records through the system resolver, in a namespace of ours.
if ! ip netns add "trove-dl-$$" 2>/dev/null; then
  echo "skip: no network namespaces here (the TXT part)"; exit 0
fi
NS="trove-dl-$$"
mkdir -p "/etc/netns/$NS"
trap 'kill $DNSPID 2>/dev/null; ip netns del "$NS"; rm -rf "/etc/netns/$NS"; checked_stop_exit' EXIT
echo "nameserver 127.0.0.1" >"/etc/netns/$NS/resolv.conf"
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" python3 "$HERE/dns_server.py" "_dnslink.txt.example.org=dnslink=/ipfs/$ROOT|/sub" \
  "bare.example.org=v=spf1 -all" "bare.example.org=dnslink=/ipfs/$ROOT" \
  "_dnslink.junk.example.org=dnslink=not-a-path" >"$WORK/dns.log" 2>&1 &
DNSPID=$!
for _ in $(seq 50); do grep -q ready "$WORK/dns.log" && break; sleep 0.1; done
t config --json DNS.Resolvers '{}' >/dev/null
ip netns exec "$NS" "$TROVE_BIN" daemon --gateway=/ip4/127.0.0.1/tcp/0 \
  --api=/ip4/127.0.0.1/tcp/0 >"$WORK/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 300); do
  grep -q "Daemon is ready" "$WORK/daemon.log" && break
  kill -0 $DPID 2>/dev/null || break
  sleep 0.1
done
GPORT=$(sed -n 's#.*Gateway server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$WORK/daemon.log")
[ -n "$GPORT" ] || { cat "$WORK/daemon.log"; fail "daemon in the namespace"; }
nc() { ip netns exec "$NS" curl -s -m 20 "$@"; }
G="http://127.0.0.1:$GPORT"
eq "$(nc "$G/ipns/txt.example.org/in.txt")" "inner" "TXT in two strings at _dnslink."
eq "$(nc "$G/ipns/bare.example.org/a.txt")" "file a" "TXT on the domain itself"
eq "$(nc -o /dev/null -w '%{http_code}' "$G/ipns/junk.example.org/")" 500 "a TXT that is no path"
eq "$(nc -o /dev/null -w '%{http_code}' "$G/ipns/none.example.org/")" 500 "NXDOMAIN"
# The TXT record's TTL (60 s) is how long the answer may be cached (boxo
# 0.43 for DoH; the system resolver's answers carry it too), a listing
# stale for as long as boxo lets it.
ccn() { nc -o /dev/null -w '%{header_json}' "$@" |
  python3 -c 'import json,sys; print(json.load(sys.stdin).get("cache-control", ["none"])[0])'; }
eq "$(ccn "$G/ipns/txt.example.org/in.txt")" "public, max-age=60" "Cache-Control from the TXT record's TTL"
eq "$(ccn "$G/ipns/txt.example.org/")" "public, max-age=60, stale-while-revalidate=2678400" \
  "a listing's Cache-Control from the TXT record's TTL"
ok "_dnslink TXT records through the system resolver (joined strings, the bare-domain form, junk, NXDOMAIN, TTL)"
