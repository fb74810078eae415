"""Ported from ipfs/gateway-conformance v0.13.2 tests/subdomain_gateway_ipfs_test.go
(TestUnixFSDirectoryListingOnSubdomainGateway, TestGatewaySubdomains) and
tests/subdomain_gateway_ipns_test.go (TestGatewaySubdomainAndIPNS,
TestSubdomainGatewayDNSLinkInlining),
against the subdomain gateway "example.com" (the suite's default
--subdomain-url http://example.com; tests/it_gwconf.sh configures it in
Gateway.PublicGateways with UseSubdomains, as Kubo's CI does).  The
requests go to the daemon's address with the Host (or X-Forwarded-Host)
the suite sends."""
from dsl import Case, Req, Expect, H, body_all, body_contains, body_not_contains
from common import fx

SCHEME, HOST = "http", "example.com"


def cases():
    out = []
    f = fx("dir_listing/fixtures.car")
    root = f.cid()
    file_cid = f.cid("ą", "ę", "file-źł.txt")
    sub = "%s.ipfs.%s" % (root, HOST)
    G = "TestUnixFSDirectoryListingOnSubdomainGateway/"
    out += [
        Case(G + "backlink on root CID should be hidden (TODO: cleanup Kubo-specifics)",
             Req("/", headers=[("Host", sub)]),
             Expect(body=body_all(body_contains("Index of"), body_not_contains('<a href="/">..</a>')))),
        Case(G + "redirect dir listing to URL with trailing slash",
             Req("/ą/ę", headers=[("Host", sub)]),
             Expect(301, [H("Location", "/%C4%85/%C4%99/")])),
        Case(G + "Regular dir listing HTML (TODO: cleanup Kubo-specifics)",
             Req("/ą/ę/", headers=[("Host", sub)]),
             Expect(None, [H("Etag").contains('"DirIndex-')], body_all(
                 body_contains("Index of"),
                 body_contains('<a href="/%C4%85/%C4%99/..">..</a>'),
                 body_contains('/ipfs/<a href="//{h}/ipfs/{c}">{c}</a>/<a href="//{h}/ipfs/{c}/%C4%85">ą</a>/'
                               '<a href="//{h}/ipfs/{c}/%C4%85/%C4%99">ę</a>'.format(h=HOST, c=root)),
                 body_contains('<a href="/%C4%85/%C4%99/file-%C5%BA%C5%82.txt">file-źł.txt</a>'),
                 body_contains('<a class="ipfs-hash" translate="no" href="//%s/ipfs/%s?filename=file-%%25C5%%25BA%%25C5%%2582.txt">'
                               % (HOST, file_cid))))),
    ]
    out += ipns_cases()

    f = fx("subdomain_gateway/fixtures.car")
    val = f.raw("hello-CIDv1")
    dir_cid = f.cid("testdirlisting")
    v1, v0, v0to1 = f.cid("hello-CIDv1"), f.cid("hello-CIDv0"), f.cid("hello-CIDv0to1")
    too_long = f.cid("hello-CIDv1_TOO_LONG")
    wiki = "QmXoypizjW3WknFiJnKLwHCnL72vedxjQkDDP1mXWo6uco"
    pct = fx("path_gateway_unixfs/dir-with-percent-encoded-filename.car").cid()
    hh = [("Host", HOST)]
    sd = lambda c: [("Host", "%s.ipfs.%s" % (c, HOST))]  # noqa: E731
    G = "TestGatewaySubdomains/"
    out += [
        Case(G + "request for example.com/ipfs/{cid} redirects to {cid}.ipfs.example.com",
             Req("/ipfs/%s/" % v1, headers=hh),
             Expect(301, [H("Location").contains("%s://%s.ipfs.%s/" % (SCHEME, v1, HOST))])),
        Case(G + "request for example.com/ipfs/{CIDv1}/{filename with percent encoding} redirects to subdomain",
             Req("/ipfs/%s/Portugal%%252C+España=Peninsula%%20Ibérica.txt" % pct, headers=hh),
             Expect(301, [H("Location", "%s://%s.ipfs.%s/Portugal%%252C+Espa%%C3%%B1a=Peninsula%%20Ib%%C3%%A9rica.txt"
                            % (SCHEME, pct, HOST))])),
        Case(G + "request for example.com/ipfs/{DirCID}/ redirects to subdomain",
             Req("/ipfs/%s/" % dir_cid, headers=hh),
             Expect(301, [H("Location").contains("%s://%s.ipfs.%s/" % (SCHEME, dir_cid, HOST))])),
        Case(G + "request for example.com/ipfs/{CIDv0} redirects to {CIDv1}.ipfs.example.com",
             Req("/ipfs/%s/" % v0, headers=hh),
             Expect(301, [H("Location").contains("%s://%s.ipfs.%s/" % (SCHEME, v0to1, HOST))])),
        Case(G + "request for {CID}.ipfs.example.com should return expected payload",
             Req("/", headers=sd(v1)), Expect(200, body=body_contains(val))),
        Case(G + "request for {CID}.ipfs.example.com/ipfs/{CID} should return HTTP 404",
             Req("/ipfs/%s/" % v1, headers=sd(v1)), Expect(404)),
        Case(G + "request for {CID}.ipfs.example.com/ipfs/file.txt should return data from a file in CID content root",
             Req("/ipfs/file.txt", headers=sd(dir_cid)), Expect(200, body=body_contains("I am a txt file"))),
        Case(G + "valid file and subdirectory paths in directory listing at {cid}.ipfs.example.com",
             Req("/", headers=sd(dir_cid)),
             Expect(200, body=body_contains('<a href="/hello">hello</a>', '<a href="/ipfs">ipfs</a>'))),
        Case(G + "valid parent directory path in directory listing at {cid}.ipfs.example.com/sub/dir",
             Req("/ipfs/ipns/", headers=sd(dir_cid)),
             Expect(200, body=body_contains('<a href="/ipfs/ipns/..">..</a>', '<a href="/ipfs/ipns/bar">bar</a>'))),
        Case(G + "request for deep path resource at {cid}.ipfs.example.com/sub/dir/file",
             Req("/ipfs/ipns/bar", headers=sd(dir_cid)), Expect(200, body=body_contains("text-file-content"))),
        Case(G + "valid breadcrumb links in the header of directory listing at {cid}.ipfs.example.com/sub/dir (TODO: cleanup Kubo-specifics)",
             Req("/ipfs/ipns/", headers=sd(dir_cid)),
             Expect(200, body=body_contains(
                 "Index of",
                 '/ipfs/<a href="//{h}/ipfs/{c}">{c}</a>/<a href="//{h}/ipfs/{c}/ipfs">ipfs</a>/'
                 '<a href="//{h}/ipfs/{c}/ipfs/ipns">ipns</a>'.format(h=HOST, c=dir_cid)))),
        Case(G + "request for example.com/ipfs/{InvalidCID} produces useful error before redirect",
             Req("/ipfs/QmInvalidCID", headers=hh), Expect(body=body_contains('invalid path "/ipfs/QmInvalidCID"'))),
        Case(G + "request for example.com/ipfs/{CID} with X-Forwarded-Proto: https produces redirect to HTTPS URL",
             Req("/ipfs/%s/" % v1, headers=hh + [("X-Forwarded-Proto", "https")]),
             Expect(301, [H("Location", "https://%s.ipfs.%s/" % (v1, HOST))])),
        Case(G + "request for example.com/ipfs/{CID} with X-Forwarded-Proto: http produces redirect to HTTP URL",
             Req("/ipfs/%s/" % v1, headers=hh + [("X-Forwarded-Proto", "http")]),
             Expect(301, [H("Location", "http://%s.ipfs.%s/" % (v1, HOST))])),
        Case(G + "request for example.com/ipfs/?uri=ipfs%3A%2F%2F.. produces redirect to /ipfs/.. content path",
             Req("/ipfs/", [("uri", "ipfs://%s/wiki/Diego_Maradona.html" % wiki)], headers=hh),
             Expect(301, [H("Location", "/ipfs/%s/wiki/Diego_Maradona.html" % wiki)])),
        Case(G + "request for a too long CID at example.com/ipfs/{CIDv1} returns human readable error",
             Req("/ipfs/%s/" % too_long, headers=hh),
             Expect(400, body=body_contains("CID incompatible with DNS label length limit of 63"))),
        Case(G + "request for a too long CID at {CIDv1}.ipfs.example.com returns expected payload",
             Req("/", headers=sd(too_long)),
             Expect(400, body=body_contains("CID incompatible with DNS label length limit of 63"))),
        Case(G + "request for fake.domain.com/ipfs/{CID} doesn't match the example.com gateway",
             Req("/ipfs/" + v1, headers=[("Host", "fake.domain.com")]), Expect(200)),
        Case(G + "request for fake.domain.com/ipfs/{CID} with X-Forwarded-Host: example.com match the example.com gateway",
             Req("/ipfs/" + v1, headers=[("Host", "fake.domain.com"), ("X-Forwarded-Host", HOST)]),
             Expect(301, [H("Location", "%s://%s.ipfs.%s/" % (SCHEME, v1, HOST))])),
        Case(G + "request for fake.domain.com/ipfs/{CID} with X-Forwarded-Host: example.com and X-Forwarded-Proto: https match the example.com gateway, redirect with https",
             Req("/ipfs/" + v1, headers=[("Host", "fake.domain.com"), ("X-Forwarded-Host", HOST),
                                         ("X-Forwarded-Proto", "https")]),
             Expect(301, [H("Location", "https://%s.ipfs.%s/" % (v1, HOST))])),
        Case(G + "request for fake.domain.com/ipfs/{CID} with X-Forwarded-Host: example.com and X-Forwarded-Proto: http match the example.com gateway, redirect with http",
             Req("/ipfs/" + v1, headers=[("Host", "fake.domain.com"), ("X-Forwarded-Host", HOST),
                                         ("X-Forwarded-Proto", "http")]),
             Expect(301, [H("Location", "http://%s.ipfs.%s/" % (v1, HOST))])),
    ]
    return out


# --------------------------------------------- subdomain_gateway_ipns_test.go

def base36(b):
    """Multibase base36 ('k'), lower case: leading zero bytes as '0'."""
    n = int.from_bytes(b, "big")
    s = ""
    while n:
        n, r = divmod(n, 36)
        s = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + s
    zeros = len(b) - len(b.lstrip(b"\0"))
    return "k" + "0" * zeros + s


def key_cid(b58, codec):
    """The PeerID b58 as a CIDv1 of codec (0x72 libp2p-key, 0x70 dag-pb), base36."""
    from ipld import b58decode, put_uvarint
    return base36(b"\x01" + put_uvarint(codec) + b58decode(b58))


def inline_dns(name):
    return name.replace("-", "--").replace(".", "-")


def ipns_cases():
    from cases_trustless import ipns_fixture
    from cases_dnslink import dnslinks
    out = []
    payload = fx("subdomain_gateway/fixtures.car").raw("hello-CIDv1")
    hh = [("Host", HOST)]
    G = "TestGatewaySubdomainAndIPNS/"
    recs = [ipns_fixture("subdomain_gateway/QmVujd5Vb7moysJj8itnGufN7MEtPRCNHkKpNuA4onsRa3.ipns-record"),
            ipns_fixture("subdomain_gateway/12D3KooWLQzUv2FHWGVPXTXSZpdHs7oHbXub2G5WC8Tx4NQhyd2d.ipns-record")]
    for i, r in enumerate(recs):
        sfx = "#%02d" % i if i else ""  # Go's names for a repeated subtest
        v1 = key_cid(r.key, 0x72)
        out += [
            Case(G + "request for /ipns/{CIDv0} redirects to CIDv1 with libp2p-key multicodec in subdomain" + sfx,
                 Req("/ipns/" + r.key, headers=hh),
                 Expect(301, [H("Location", "%s://%s.ipns.%s/" % (SCHEME, v1, HOST))])),
            Case(G + "request for /ipns/{CIDv1} redirects to same CIDv1 on subdomain" + sfx,
                 Req("/ipns/" + v1, headers=hh),
                 Expect(301, [H("Location", "%s://%s.ipns.%s/" % (SCHEME, v1, HOST))])),
            Case(G + "request for {CIDv1-base36-libp2p-key}.ipns.{gateway} returns expected payload" + sfx,
                 Req("/", headers=[("Host", "%s.ipns.%s" % (v1, HOST))]), Expect(200, body=payload)),
            Case(G + "request for {CIDv1-dag-pb}.ipns.{gateway} redirects to CID with libp2p-key multicodec" + sfx,
                 Req("/", headers=[("Host", "%s.ipns.%s" % (key_cid(r.key, 0x70), HOST))]),
                 Expect(301, [H("Location", "%s://%s.ipns.%s/" % (SCHEME, v1, HOST))])),
        ]
    out.append(Case(G + "request for a ED25519 libp2p-key at example.com/ipns/{b58mh} returns Location HTTP header for DNS-safe subdomain redirect in browsers",
                    Req("/ipns/" + recs[1].key, headers=hh),
                    Expect(None, [H("Location", "%s://%s.ipns.%s/" % (SCHEME, key_cid(recs[1].key, 0x72), HOST))])))

    d = dnslinks("subdomain_gateway/dnslink.yml")
    wiki, test = d["wikipedia"][0], d["test"][0]
    G = "TestSubdomainGatewayDNSLinkInlining/"
    out += [
        Case(G + "request for /ipns/{dnslink}/foo/ redirects to {inlined-dnslink}.ipns.example.com",
             Req("/ipns/%s/wiki/" % wiki, headers=hh),
             Expect(None, [H("Location", "%s://%s.ipns.%s/wiki/" % (SCHEME, inline_dns(wiki), HOST))])),
        Case(G + "request for {dnslink}.ipns.{gateway} returns expected payload",
             Req("/", headers=[("Host", "%s.ipns.%s" % (test, HOST))]), Expect(body="hello\n")),
        Case(G + "request for {inlineddnslink}.ipns.{gateway} returns expected payload",
             Req("/", headers=[("Host", "%s.ipns.%s" % (inline_dns(test), HOST))]), Expect(body="hello\n")),
        Case(G + "request for example.com/ipns/{fqdn} with X-Forwarded-Proto redirects to TLS-safe label in subdomain",
             Req("/ipns/%s/wiki/" % wiki, headers=hh + [("X-Forwarded-Proto", "https")]),
             Expect(None, [H("Location", "https://%s.ipns.%s/wiki/" % (inline_dns(wiki), HOST))])),
        Case(G + "request for example.com/ipns/?uri=ipns%3A%2F%2F.. produces redirect to /ipns/.. content path",
             Req("/ipns/", [("uri", "ipns://" + wiki)], headers=hh),
             Expect(None, [H("Location", "/ipns/" + wiki)])),
    ]
    d = dnslinks("dnslink_ipns/dnslink.yml")
    for nm, key in (("peer-id", "dnslink-over-ipns"), ("cidv1-libp2p-key", "dnslink-over-ipns-cidv1")):
        dom = d[key][0]
        out += [
            Case(G + "request for {dnslink}.ipns.{gateway} with dnslink=/ipns/{%s} returns expected payload" % nm,
                 Req("/", headers=[("Host", "%s.ipns.%s" % (dom, HOST))]), Expect(200, body=payload)),
            Case(G + "request for {inlined-dnslink}.ipns.{gateway} with dnslink=/ipns/{%s} returns expected payload" % nm,
                 Req("/", headers=[("Host", "%s.ipns.%s" % (inline_dns(dom), HOST))]), Expect(200, body=payload)),
        ]
    return out
