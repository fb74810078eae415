"""Ported from ipfs/gateway-conformance v0.13.2 tests/path_gateway_unixfs_test.go:
every test: TestUnixFSDirectoryListing, TestGatewayCache (with its dynamic
DirIndex ETag steps A and B), TestGatewayCacheWithIPNS, TestGatewaySymlink,
TestGatewayUnixFSFileRanges, TestPathGatewayMiscellaneous."""
from dsl import Case, Req, Expect, AnyOf, AllOf, H, body_all, body_contains, body_not_contains
from common import fx, ipfs_uri
from cases_trustless import ipns_fixture

DIR_RAW = bytes([
    0x12, 0x34, 0x0a, 0x24, 0x01, 0x55, 0x12, 0x20, 0x58, 0x91, 0xb5, 0xb5,
    0x22, 0xd5, 0xdf, 0x08, 0x6d, 0x0f, 0xf0, 0xb1, 0x10, 0xfb, 0xd9, 0xd2,
    0x1b, 0xb4, 0xfc, 0x71, 0x63, 0xaf, 0x34, 0xd0, 0x82, 0x86, 0xa2, 0xe8,
    0x46, 0xf6, 0xbe, 0x03, 0x12, 0x0a, 0x69, 0x6e, 0x64, 0x65, 0x78, 0x2e,
    0x68, 0x74, 0x6d, 0x6c, 0x18, 0x06, 0x0a, 0x02, 0x08, 0x01])

# Values a case learns from an answer, read by later cases (the suite's
# etagDir between TestGatewayCache's steps A and B).
STATE = {}


def cases():
    out = []
    f = fx("dir_listing/fixtures.car")
    root = f.cid()
    G = "TestUnixFSDirectoryListing/"
    out += [
        Case(G + "path gw: backlink on root CID should be hidden (TODO: cleanup Kubo-specifics)",
             Req("/ipfs/%s/" % root),
             Expect(body=body_all(body_contains("Index of"),
                                  body_not_contains('<a href="/ipfs/%s/">..</a>' % root)))),
        Case(G + "path gw: redirect dir listing to URL with trailing slash",
             Req("/ipfs/%s/ą/ę" % root),
             Expect(301, [H("Location", "/ipfs/%s/%%C4%%85/%%C4%%99/" % root)])),
        Case(G + "path gw: dir listing HTML response (TODO: cleanup Kubo-specifics)",
             Req("/ipfs/%s/ą/ę/" % root),
             Expect(None, [H("Etag").contains('"DirIndex-')], body_all(
                 body_contains("Index of"),
                 body_contains('/ipfs/<a href="/ipfs/{c}">{c}</a>/<a href="/ipfs/{c}/%C4%85">ą</a>/'
                               '<a href="/ipfs/{c}/%C4%85/%C4%99">ę</a>'.format(c=root)),
                 body_contains('<a href="/ipfs/%s/%%C4%%85/%%C4%%99/..">..</a>' % root),
                 body_contains('<a href="/ipfs/%s/%%C4%%85/%%C4%%99/file-%%C5%%BA%%C5%%82.txt">file-źł.txt</a>' % root),
                 body_contains('<a class="ipfs-hash" translate="no" href="/ipfs/%s?filename=file-%%25C5%%25BA%%25C5%%2582.txt">'
                               % f.cid("ą", "ę", "file-źł.txt"))))),
        Case(G + "GET for /ipfs/cid/file UnixFS file that does not exist returns 404",
             Req("/ipfs/%s/i-do-not-exist" % root), Expect(404)),
    ]

    f = fx("gateway-cache/fixtures.car")
    c = f.cid()
    c2, c3, c4 = f.cid("root2"), f.cid("root2", "root3"), f.cid("root2", "root3", "root4")
    c5 = f.cid("root2", "root3", "root4", "index.html")
    imm = "public, max-age=29030400, immutable"
    G = "TestGatewayCache/"
    missing = "/ipfs/QmYzfKSE55XCjD1MW128RfciAf2DViABhEiXfgVFMabSjN"
    out += [
        Case(G + "GET for /ipfs/ unixfs dir listing succeeds",
             Req("/ipfs/%s/root2/root3/" % c),
             AllOf(Expect(200, [H("Ipfs-Uri", ipfs_uri("/ipfs/%s/root2/root3/" % c)),
                                H("X-Ipfs-Roots", ",".join([c, c2, c3])),
                                H("Etag").matches("DirIndex-.*_CID-" + c3)]),
                   AnyOf(Expect(headers=[H("Cache-Control").empty()]),
                         Expect(headers=[H("Cache-Control", "public, max-age=604800, stale-while-revalidate=2678400")])))),
        Case(G + "GET for /ipfs/ unixfs dir with index.html succeeds",
             Req("/ipfs/%s/root2/root3/root4/" % c),
             Expect(200, [H("Cache-Control", imm),
                          H("Ipfs-Uri", ipfs_uri("/ipfs/%s/root2/root3/root4/" % c)),
                          H("X-Ipfs-Roots", ",".join([c, c2, c3, c4])),
                          H("Etag", '"%s"' % c4)])),
        Case(G + "GET for /ipfs/ unixfs file succeeds",
             Req("/ipfs/%s/root2/root3/root4/index.html" % c),
             Expect(200, [H("Cache-Control", imm),
                          H("Ipfs-Uri", ipfs_uri("/ipfs/%s/root2/root3/root4/index.html" % c)),
                          H("X-Ipfs-Roots", ",".join([c, c2, c3, c4, c5])),
                          H("Etag", '"%s"' % c5)])),
        Case(G + "GET for /ipfs/ unixfs dir as raw block succeeds",
             Req("/ipfs/%s/root2/root3/root4/?format=raw" % c),
             Expect(200, [H("Cache-Control", imm)], DIR_RAW)),
        Case(G + "HEAD for /ipfs/ with only-if-cached succeeds when in local datastore",
             Req("/ipfs/%s/root2/root3/root4/?format=raw" % c, headers=[("Cache-Control", "only-if-cached")],
                 method="HEAD"), Expect(200)),
        Case(G + "HEAD for /ipfs/ with only-if-cached fails when not in local datastore",
             Req(missing, headers=[("Cache-Control", "only-if-cached")], method="HEAD"), Expect(412)),
        Case(G + "GET for /ipfs/ with only-if-cached succeeds when in local datastore",
             Req("/ipfs/%s/root2/root3/root4/?format=raw" % c, headers=[("Cache-Control", "only-if-cached")]),
             Expect(200)),
        Case(G + "GET for /ipfs/ with only-if-cached fails when not in local datastore",
             Req(missing, headers=[("Cache-Control", "only-if-cached")]), Expect(412)),
        Case(G + "GET for /ipfs/ file with matching Etag in If-None-Match returns 304 Not Modified",
             Req("/ipfs/%s/root2/root3/root4/index.html" % c, headers=[("If-None-Match", '"%s"' % c5)]), Expect(304)),
        Case(G + "GET for /ipfs/ dir with index.html file with matching Etag in If-None-Match returns 304 Not Modified",
             Req("/ipfs/%s/root2/root3/root4/" % c, headers=[("If-None-Match", '"%s"' % c4)]), Expect(304)),
        Case(G + "GET for /ipfs/ file with matching third Etag in If-None-Match returns 304 Not Modified",
             Req("/ipfs/%s/root2/root3/root4/index.html" % c,
                 headers=[("If-None-Match", '"fakeEtag1", "fakeEtag2", "%s"' % c5)]), Expect(304)),
        Case(G + "GET for /ipfs/ file with matching weak Etag in If-None-Match returns 304 Not Modified",
             Req("/ipfs/%s/root2/root3/root4/index.html" % c, headers=[("If-None-Match", 'W/"%s"' % c5)]), Expect(304)),
        Case(G + "GET for /ipfs/ file with wildcard Etag in If-None-Match returns 304 Not Modified",
             Req("/ipfs/%s/root2/root3/root4/index.html" % c, headers=[("If-None-Match", "*")]), Expect(304)),
    ]

    def keep_etag(v):
        STATE["etagDir"] = v.strip('"')
        return v != ""
    out += [
        Case(G + "DirIndex etag is based on xxhash(./assets/dir-index-html), so we need to fetch it dynamically",
             Req("/ipfs/%s/root2/root3/" % c), Expect(200, [H("Etag").checks("is set (kept for the next cases)", keep_etag)])),
        Case(G + "GET for /ipfs/ dir listing with matching strong Etag in If-None-Match returns 304 Not Modified",
             Req("/ipfs/%s/root2/root3/" % c, headers=[("If-None-Match", lambda: '"%s"' % STATE.get("etagDir", ""))]),
             Expect(304)),
        Case(G + "GET for /ipfs/ dir listing with matching weak Etag in If-None-Match returns 304 Not Modified",
             Req("/ipfs/%s/root2/root3/" % c, headers=[("If-None-Match", lambda: 'W/"%s"' % STATE.get("etagDir", ""))]),
             Expect(304)),
    ]

    key = ipns_fixture("gateway-cache/k51qzi5uqu5dlxdsdu5fpuu7h69wu4ohp32iwm9pdt9nq3y5rpn3ln9j12zfhe.ipns-record").key
    G = "TestGatewayCacheWithIPNS/"
    cc_any = AnyOf(Expect(headers=[H("Cache-Control").empty()]),
                   Expect(headers=[H("Cache-Control").matches("public, max-age=*")]))
    out += [
        Case(G + "GET for /ipns/ unixfs dir listing succeeds",
             Req("/ipns/%s/root2/root3/" % key),
             AllOf(Expect(200, [H("Ipfs-Uri", ipfs_uri("/ipns/%s/root2/root3/" % key)),
                                H("X-Ipfs-Roots", ",".join([c, c2, c3])),
                                H("Etag").matches("DirIndex-.*_CID-" + c3)]), cc_any)),
        Case(G + "GET for /ipns/ unixfs dir with index.html succeeds",
             Req("/ipns/%s/root2/root3/root4/" % key),
             AllOf(Expect(200, [H("Ipfs-Uri", ipfs_uri("/ipns/%s/root2/root3/root4/" % key)),
                                H("X-Ipfs-Roots", ",".join([c, c2, c3, c4])),
                                H("Etag").matches('"%s"' % c4)]), cc_any)),
        Case(G + "GET for /ipns/ unixfs file succeeds",
             Req("/ipns/%s/root2/root3/root4/index.html" % key),
             AllOf(Expect(200, [H("Ipfs-Uri", ipfs_uri("/ipns/%s/root2/root3/root4/index.html" % key)),
                                H("X-Ipfs-Roots", ",".join([c, c2, c3, c4, c5])),
                                H("Etag", '"%s"' % c5)]), cc_any)),
        Case(G + "GET for /ipns/ unixfs dir as raw block succeeds",
             Req("/ipns/%s/root2/root3/root4/" % key, [("format", "raw")]),
             AllOf(Expect(200, body=DIR_RAW), cc_any)),
        Case(G + "GET for /ipns/ file with matching Etag in If-None-Match returns 304 Not Modified",
             Req("/ipns/%s/root2/root3/root4/index.html" % key, headers=[("If-None-Match", '"%s"' % c5)]),
             Expect(304)),
    ]

    f = fx("path_gateway_unixfs/symlink.car")
    c = f.cid()
    G = "TestGatewaySymlink/"
    out += [
        Case(G + "Test the directory listing", Req("/ipfs/%s/" % c),
             Expect(body=body_contains(">foo<", ">bar<"))),
        Case(G + "Test the directory raw query", Req("/ipfs/%s" % c, [("format", "raw")]),
             Expect(200, body=f.raw())),
        Case(G + "Test the symlink", Req("/ipfs/%s/bar" % c), Expect(200, body=b"foo")),
    ]

    f = fx("path_gateway_unixfs/dir-with-files.car")
    c = f.cid()
    ascii_ = f.file_bytes("ascii.txt")
    G = "TestGatewayUnixFSFileRanges/"
    p = "/ipfs/%s/ascii.txt" % c
    out += [
        Case(G + "GET for /ipfs/ file includes Accept-Ranges header", Req(p),
             Expect(200, [H("Accept-Ranges", "bytes")], ascii_)),
        Case(G + "GET for /ipfs/ file with single range request includes correct bytes",
             Req(p, headers=[("Range", "bytes=6-16")]),
             Expect(206, [H("Content-Range", "bytes 6-16/31")], ascii_[6:17])),
        Case(G + "GET for /ipfs/ file with suffix range request includes correct bytes from the end of file",
             Req(p, headers=[("Range", "bytes=-3")]),
             Expect(206, [H("Content-Range", "bytes 28-30/31")], ascii_[28:31])),
        Case(G + "GET for /ipfs/ file with multiple range request returns correct bytes",
             Req(p, headers=[("Range", "bytes=6-16,0-4")]),
             AnyOf(Expect(206, [H("Content-Range", "bytes 6-16/31")], ascii_[6:17]),
                   Expect(206, [H("Content-Type").contains("multipart/byteranges")],
                          body_contains("Content-Range: bytes 6-16/31", ascii_[6:17],
                                        "Content-Range: bytes 0-4/31", ascii_[0:5])))),
    ]
    m = fx("trustless_gateway_car/file-3k-and-3-blocks-missing-block.car").cid(codec=0x70)
    out += [
        Case(G + "GET Range of file succeeds even if the gateway is missing a block AFTER the requested range",
             Req("/ipfs/" + m, headers=[("Range", "bytes=997-1000")]),
             Expect(206, [H("Content-Range", "bytes 997-1000/3072")])),
        Case(G + "GET Range of file succeeds even if the gateway is missing a block BEFORE the requested range",
             Req("/ipfs/" + m, headers=[("Range", "bytes=2200-2201")]),
             Expect(206, [H("Content-Range", "bytes 2200-2201/3072")])),
    ]

    f = fx("path_gateway_unixfs/dir-with-percent-encoded-filename.car")
    out.append(Case("TestPathGatewayMiscellaneous/GET for /ipfs/ file whose filename contains percentage-encoded characters works",
                    Req("/ipfs/%s/Portugal%%252C+España=Peninsula%%20Ibérica.txt" % f.cid()),
                    Expect(body=f.file_bytes("Portugal%2C+España=Peninsula Ibérica.txt"))))
    return out
