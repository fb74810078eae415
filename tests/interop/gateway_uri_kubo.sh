#!/bin/bash
# gateway_uri_kubo.sh — IPIP-0548 beside Kubo v0.43.1: the same URLs asked
# of trove's gateway and of Kubo's, on the same content, get the same
# Ipfs-Uri header (or none on both), no X-Ipfs-Path by default, the same
# Access-Control-Expose-Headers (as a set), and with
# Gateway.DeprecatedXIpfsPath on both the same X-Ipfs-Path (or none).
#
# The URLs cover what the header's canonical form is about: a CIDv0 root
# (sent as base32 CIDv1), file names with spaces, '&', '=', '+', '%',
# '?', '#', '~', non-ASCII and a control byte (each percent-encoded but for
# RFC 3986's unreserved bytes; X-Ipfs-Path left out where a byte cannot be
# in a header), trailing slashes, a 404, a 412 (only-if-cached), 400s
# (Accept types Go's mime.ParseMediaType refuses, as boxo answers them),
# a DNSLink name in mixed case, an IPNS key as base36 and as base32
# (redirected to base36), a DNSLink site by its Host, and CID.ipfs /
# NAME.ipns / inlined DNSLink subdomains of a gateway host.  The statuses
# must match too, but where a name is resolved (compare(), below).
# Both nodes: Routing.Type none, the DNSLink names from IPFS_NS_MAP.
# Skipped (passes) without Kubo.
INTEROP_TIMEOUT=150
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need

D=$WORK/site
mkdir -p "$D/sub"
echo a >"$D/a.txt"
echo b >"$D/sub/b.txt"
for n in 'łódź.txt' 'a b&c=d+e;f.txt' 'x%y.txt' 'q?.txt' 'h#.txt' \
  't~_-.txt' '日本.txt' $'ctl\x01.txt' "quote'(x).txt"; do
  printf '%s\n' "$n" >"$D/sub/$n"
done

PUBGW='{"example.com": {"UseSubdomains": true, "InlineDNSLink": true, "Paths": ["/ipfs", "/ipns"]}}'
kubo_init
"$IPFS" config profile apply unixfs-v1-2025 >/dev/null # trove's default: the same CIDs
"$IPFS" config --json Gateway.PublicGateways "$PUBGW"
K0=$("$IPFS" add -Q -r --cid-version=0 "$D") || fail "Kubo's add"
K1=$("$IPFS" add -Q -r --cid-version=1 "$D") || fail "Kubo's add (CIDv1)"
trove_p2p_init
"$TROVE" config Routing.Type none >/dev/null
"$TROVE" config --json Gateway.PublicGateways "$PUBGW" >/dev/null
T0=$("$TROVE" add -Q -r --cid-version=0 "$D") || fail "trove add"
T1=$("$TROVE" add -Q -r --cid-version=1 "$D") || fail "trove add (CIDv1)"
eq "$T0" "$K0" "CIDv0 of the directory"
eq "$T1" "$K1" "CIDv1 of the directory"
case $T0 in Qm*) ;; *) fail "not a CIDv0: $T0" ;; esac
export IPFS_NS_MAP="site.example.org:/ipfs/$T1"

# The requests: "PATH[ HOST[ HEADER: VALUE]]" (HOST - for none).
KEY=k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8
KEY32=$(python3 - "$KEY" <<'P'
import base64, sys
s = sys.argv[1][1:]; n = 0
for ch in s: n = n * 36 + "0123456789abcdefghijklmnopqrstuvwxyz".index(ch)
b = n.to_bytes((n.bit_length() + 7) // 8, "big")
print("b" + base64.b32encode(b).decode().lower().rstrip("="))
P
)
MISSING=bafkreicm2cerwpdtah2rd7rxg5jcaqsj52blfuaprkurromr5y6p3a5zlu
cat >"$WORK/reqs" <<EOF
/ipfs/$T0
/ipfs/$T0/
/ipfs/$T0/a.txt
/ipfs/$T1/sub/
/ipfs/$T1/sub/%C5%82%C3%B3d%C5%BA.txt
/ipfs/$T1/sub/a%20b%26c%3Dd%2Be%3Bf.txt
/ipfs/$T1/sub/x%25y.txt
/ipfs/$T1/sub/q%3F.txt
/ipfs/$T1/sub/h%23.txt
/ipfs/$T1/sub/t~_-.txt
/ipfs/$T1/sub/%E6%97%A5%E6%9C%AC.txt
/ipfs/$T1/sub/ctl%01.txt
/ipfs/$T1/sub/quote'(x).txt
/ipfs/$T1/nope/
/ipfs/$MISSING - Cache-Control: only-if-cached
/ipfs/$T1/a.txt - Accept: application/vnd.ipld.car; version=1; version=2
/ipfs/$T1/a.txt?format=raw
/ipfs/$T1/a.txt?format=raw - Accept: text/html, application/vnd.ipld.raw;x
/ipfs/$T1/a.txt - Accept: application/vnd.ipld.raw; =1
/ipfs/$T1/a.txt - Accept: application/vnd.ipld.raw;
/ipfs/$T1/a.txt - Accept: application/vnd.ipld.raw ; q=0.5 ; v="a;\\"b"
/ipfs/$T1/a.txt - Accept: application/json;Q=1;q=2, application/vnd.ipld.raw
/ipfs/$T1/ - Accept: application/x-tar/x
/ipns/Site.Example.ORG/sub/b.txt
/ipns/site.example.org./a.txt
/ipns/$KEY/x
/ipns/$KEY32/
/a.txt site.example.org
/sub/ site.example.org
/sub/b.txt $T1.ipfs.example.com
/a.txt site-example-org.ipns.example.com
/ $KEY.ipns.example.com
EOF

# ask GATEWAY_PORT: one JSON line per request: the status and the three
# headers (absent: null; Access-Control-Expose-Headers as a sorted set).
ask() {
  python3 - "$1" "$WORK/reqs" <<'P'
import http.client, json, sys
port, reqs = int(sys.argv[1]), sys.argv[2]
for line in open(reqs, encoding="utf-8"):
    parts = line.rstrip("\n").split(" ", 2)
    path, host = parts[0], parts[1] if len(parts) > 1 else "-"
    hdrs = {"Host": "127.0.0.1" if host == "-" else host}
    if len(parts) > 2:
        k, v = parts[2].split(": ", 1)
        hdrs[k] = v
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.request("GET", path, headers=hdrs)
    r = c.getresponse()
    r.read()
    ex = r.getheader("Access-Control-Expose-Headers")
    print(json.dumps({"req": line.rstrip("\n"), "status": r.status,
                      "Ipfs-Uri": r.getheader("Ipfs-Uri"),
                      "X-Ipfs-Path": r.getheader("X-Ipfs-Path"),
                      "Expose": sorted(h.strip() for h in ",".join(r.headers.get_all("Access-Control-Expose-Headers") or []).split(",") if h.strip()) if ex else None},
                     ensure_ascii=False))
    c.close()
P
}

# compare NAME: trove's answers ($WORK/t.NAME) against Kubo's ($WORK/k.NAME);
# the Ipfs-Uri values trove sends must be what Kubo sends, line by line.
compare() {
  python3 - "$WORK/t.$1" "$WORK/k.$1" "$1" <<'P' || fail "trove's headers differ from Kubo's ($1)"
import json, sys
t = [json.loads(l) for l in open(sys.argv[1])]
k = [json.loads(l) for l in open(sys.argv[2])]
bad = 0
for a, b in zip(t, k):
    for h in ("Ipfs-Uri", "X-Ipfs-Path", "Expose"):
        if a[h] != b[h]:
            bad += 1
            print("DIFF %s %s: trove %r (status %d), Kubo %r (status %d)"
                  % (a["req"], h, a[h], a["status"], b[h], b["status"]))
    # The status too, but where a name is resolved: Kubo's IPFS_NS_MAP
    # is case-sensitive and takes no final dot (trove's map takes both, as
    # DNS does), and without routing Kubo answers an IPNS key 500 where
    # trove answers 501.
    if a["status"] != b["status"] and not (a["Ipfs-Uri"] or "").startswith("ipns://"):
        bad += 1
        print("DIFF %s status: trove %d, Kubo %d" % (a["req"], a["status"], b["status"]))
sent = sum(1 for a in t if a["Ipfs-Uri"])
print("%s: %d requests, Ipfs-Uri on %d, %d differences" % (sys.argv[3], len(t), sent, bad))
if len(t) != len(k) or bad or sent < len(t) - 2:
    sys.exit(1)
P
}

run_both() {
  kubo_daemon
  interop_daemon
  ask "$KGPORT" >"$WORK/k.$1"
  ask "$GPORT" >"$WORK/t.$1"
  interop_daemon_stop
  kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
  unset 'PIDS[-1]'
  compare "$1"
}

run_both default
python3 -c 'import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["X-Ipfs-Path"] is not None or "X-Ipfs-Path" in (d["Expose"] or []):
        sys.exit("X-Ipfs-Path sent by default: " + l)' "$WORK/t.default" || fail "X-Ipfs-Path by default"
grep -F "\"ipfs://$T1/sub/a%20b%26c%3Dd%2Be%3Bf.txt\"" "$WORK/t.default" >/dev/null ||
  fail "a name's bytes not percent-encoded as boxo encodes them"
grep -F "\"ipfs://$("$IPFS" cid base32 "$T0")/\"" "$WORK/t.default" >/dev/null ||
  fail "the CIDv0 root not sent as a base32 CIDv1"
echo "ok - Ipfs-Uri as Kubo sends it, no X-Ipfs-Path by default"

"$IPFS" config --json Gateway.DeprecatedXIpfsPath true
"$TROVE" config --json Gateway.DeprecatedXIpfsPath true >/dev/null
run_both xpath
grep -F "\"X-Ipfs-Path\": \"/ipfs/$T0/a.txt\"" "$WORK/t.xpath" >/dev/null || fail "no X-Ipfs-Path with the flag"
echo "ok - Gateway.DeprecatedXIpfsPath: X-Ipfs-Path as Kubo sends it (none where a byte cannot be in a header)"
