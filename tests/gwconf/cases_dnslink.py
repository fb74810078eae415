"""Ported from ipfs/gateway-conformance v0.13.2 tests/dnslink_gateway_test.go
(TestDNSLinkGatewayUnixFSDirectoryListing, TestDNSLinkGatewayWithSubpath)
and tests/dnslink_gateway_ipns_test.go (TestDNSLinkGatewayIPNS): a DNSLink
site served by its Host header.  The names come from the fixtures'
dnslink.yml files, handed to the daemon as Kubo's CI does (IPFS_NS_MAP,
built by dnslink_map() for tests/it_gwconf.sh)."""
import glob
import os
import re

from dsl import Case, Req, Expect, H, body_all, body_contains, body_not_contains
from common import fx, FIXTURES


def dnslinks(rel):
    """name -> (domain, path) of a fixture dnslink.yml (the suite's simple
    two-level YAML: no YAML parser needed)."""
    out, name = {}, None
    with open(os.path.join(FIXTURES, rel), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].rstrip()
            m = re.match(r"^  (\S[^:]*):\s*$", line)
            if m:
                name = m.group(1)
                out[name] = [None, None]
                continue
            m = re.match(r"^    (domain|path):\s*(\S+)\s*$", line)
            if m and name:
                out[name][0 if m.group(1) == "domain" else 1] = m.group(2)
    return {k: tuple(v) for k, v in out.items()}


def dnslink_map():
    """Every fixture's DNSLink names as IPFS_NS_MAP ("domain:path,...")."""
    pairs = []
    for p in sorted(glob.glob(os.path.join(FIXTURES, "**", "dnslink.yml"), recursive=True)):
        for dom, path in dnslinks(os.path.relpath(p, FIXTURES)).values():
            pairs.append("%s:%s" % (dom, path))
    return ",".join(pairs)


def cases():
    out = []
    f = fx("dir_listing/fixtures.car")
    file_cid = f.cid("ą", "ę", "file-źł.txt")
    host = dnslinks("dir_listing/dnslink.yml")["dir-listing-website"][0]
    G = "TestDNSLinkGatewayUnixFSDirectoryListing/"
    out += [
        Case(G + "Backlink on root CID should be hidden (TODO: cleanup Kubo-specifics)",
             Req("/", headers=[("Host", host)]),
             Expect(body=body_all(body_contains("Index of"), body_not_contains('<a href="/">..</a>')))),
        Case(G + "Redirect dir listing to URL with trailing slash",
             Req("/ą/ę", headers=[("Host", host)]),
             Expect(301, [H("Location", "/%C4%85/%C4%99/")])),
        Case(G + "Regular dir listing (TODO: cleanup Kubo-specifics)",
             Req("/ą/ę/", headers=[("Host", host)]),
             Expect(None, [H("Etag").contains('"DirIndex-')], body_all(
                 body_contains("Index of"),
                 body_contains('<a href="/%C4%85/%C4%99/..">..</a>'),
                 body_contains('/ipns/<a href="//{h}/">{h}</a>/<a href="//{h}/%C4%85">ą</a>/'
                               '<a href="//{h}/%C4%85/%C4%99">ę</a>'.format(h=host)),
                 body_contains('<a href="/%C4%85/%C4%99/file-%C5%BA%C5%82.txt">file-źł.txt</a>'),
                 body_contains('<a class="ipfs-hash" translate="no" href="https://cid.ipfs.tech/#%s" '
                               'target="_blank" rel="noreferrer noopener">' % file_cid)))),
    ]
    host = dnslinks("gateway-cache/dnslink.yml")["dnslink-with-subpath"][0]
    out.append(Case("TestDNSLinkGatewayWithSubpath/GET for DNSLink with dnslink=/ipfs/<cid>/sub-path returns file at sub-path",
                    Req("/root3/root4/index.html", headers=[("Host", host)]), Expect(200, body="hello\n")))
    d = dnslinks("dnslink_ipns/dnslink.yml")
    payload = fx("subdomain_gateway/fixtures.car").raw("hello-CIDv1")
    G = "TestDNSLinkGatewayIPNS/"
    out += [
        Case(G + "GET for DNSLink with dnslink=/ipns/{peer-id} returns expected payload",
             Req("/", headers=[("Host", d["dnslink-over-ipns"][0])]), Expect(200, body=payload)),
        Case(G + "GET for DNSLink with dnslink=/ipns/{cidv1-libp2p-key} returns expected payload",
             Req("/", headers=[("Host", d["dnslink-over-ipns-cidv1"][0])]), Expect(200, body=payload)),
    ]
    return out


if __name__ == "__main__":  # tests/it_gwconf.sh: the daemon's IPFS_NS_MAP
    print(dnslink_map())
