"""Ported from ipfs/gateway-conformance v0.13.2 tests/path_gateway_dag_test.go:
TestGatewayJsonCbor, TestCodecMismatchReturns406, TestPlainCodec,
TestPathing, TestNativeDag, TestGatewayJSONCborAndIPNS (names, requests and
expectations as there; the range helpers expanded as cases_trustless's).

v0.13.2 follows IPIP-0524: no conversions between codecs (a codec the
block does not have is 406), the block's own bytes served under the
requested JSON/CBOR type, and the HTML preview kept."""
import json

from dsl import Case, Req, Expect, AnyOf, AllOf, H, body_contains
from common import fx, ipfs_uri
from cases_trustless import include_random_range_tests, only_random_range_tests

# The suite's car.RandomCID(): a CID no fixture has (sha256 of a sentence).
MISSING = "bafybeiam6fvvgbcniqqitx6dylphaemttoho4pkijw6dr6vs427k4vmfxu"


def json_eq(want_bytes):
    want = json.loads(want_bytes)

    def fn(resp):
        try:
            got = json.loads(resp.body)
        except ValueError:
            return "body is not JSON: %r" % resp.body[:80]
        return None if got == want else "JSON differs: want %r, got %r" % (want, got)
    return fn


def bytes_eq(want):
    def fn(resp):
        return None if resp.body == want else "body differs: want %r, got %r" % (want[:60], resp.body[:60])
    return fn


def cases():
    out = []
    G = "TestGatewayJsonCbor/"
    f = fx("path_gateway_dag/gateway-json-cbor.car")
    fj = f.cid("ą", "ę", "t.json")
    fjd = f.raw("ą", "ę", "t.json")
    out += [
        Case(G + "GET UnixFS file with JSON bytes is returned with application/json Content-Type - without headers",
             Req("/ipfs/" + fj), Expect(200, [H("Content-Type", "application/json")], fjd)),
        Case(G + "GET UnixFS file with JSON bytes is returned with application/json Content-Type - with headers",
             Req("/ipfs/" + fj, headers=[("Accept", "application/json")]),
             Expect(200, [H("Content-Type", "application/json")], fjd)),
        Case(G + "GET raw block with JSON bytes prefers format over Accept header",
             Req("/ipfs/%s?format=json" % fj, headers=[("Accept", "application/vnd.ipld.raw")]),
             Expect(200, [H("Content-Type", "application/json")], fjd)),
    ]

    G = "TestCodecMismatchReturns406/"
    ufile = f.cid("ą", "ę", "file-źł.txt")
    dj = fx("path_gateway_dag/dag-json-traversal.car").cid()
    dc = fx("path_gateway_dag/dag-cbor-traversal.car").cid()
    out += [
        Case(G + "GET UnixFS (dag-pb) file with format=dag-json returns 406 Not Acceptable",
             Req("/ipfs/" + ufile, [("format", "dag-json")]), Expect(406)),
        Case(G + "GET UnixFS (dag-pb) file with format=dag-cbor returns 406 Not Acceptable",
             Req("/ipfs/" + ufile, [("format", "dag-cbor")]), Expect(406)),
        Case(G + "GET UnixFS (dag-pb) file with Accept: application/vnd.ipld.dag-json returns 406 Not Acceptable",
             Req("/ipfs/" + ufile, headers=[("Accept", "application/vnd.ipld.dag-json")]), Expect(406)),
        Case(G + "GET DAG-JSON block with format=dag-cbor returns 406 Not Acceptable",
             Req("/ipfs/" + dj, [("format", "dag-cbor")]), Expect(406)),
        Case(G + "GET DAG-CBOR block with format=dag-json returns 406 Not Acceptable",
             Req("/ipfs/" + dc, [("format", "dag-json")]), Expect(406)),
        Case(G + "GET DAG-CBOR block with Accept: application/vnd.ipld.dag-json returns 406 Not Acceptable",
             Req("/ipfs/" + dc, headers=[("Accept", "application/vnd.ipld.dag-json")]), Expect(406)),
    ]

    G = "TestPlainCodec/"
    for name, fmt, disp in (("plain JSON codec", "json", "inline"), ("plain CBOR codec", "cbor", "attachment")):
        p = fx("path_gateway_dag/plain-%s.car" % fmt)
        pc, data, ct = p.cid(), p.raw(), "application/" + fmt
        cd = H("Content-Disposition").contains('%s; filename="%s.%s"' % (disp, pc, fmt))
        out += include_random_range_tests(
            G + 'GET %s without Accept or format= has expected "%s" Content-Type and body as-is' % (name, fmt),
            Req("/ipfs/" + pc), Expect(headers=[cd]), data, ct)
        out += include_random_range_tests(
            G + "GET %s with ?format= has expected %s Content-Type and body as-is" % (name, fmt),
            Req("/ipfs/" + pc, [("format", fmt)]), Expect(headers=[cd]), data, ct)
        out += include_random_range_tests(
            G + "GET %s with Accept has expected %s Content-Type and body as-is, with single range request" % (name, fmt),
            Req("/ipfs/" + pc, headers=[("Accept", ct)]), Expect(headers=[cd]), data, ct)

    G = "TestPathing/"
    out += [
        Case(G + "GET DAG-JSON traversal returns 501 if there is path remainder",
             Req("/ipfs/%s/foo" % dj, [("format", "dag-json")]), Expect(501)),
        Case(G + "GET DAG-JSON traverses multiple links",
             Req("/ipfs/%s/foo/link/bar" % dj, [("format", "dag-json")]),
             Expect(200, body=json_eq(b'{"hello": "this is not a link"}'))),
        Case(G + "GET DAG-JSON returns 404 on non-existing link",
             Req("/ipfs/%s/foo/i-do-not-exist" % dj), Expect(404)),
        Case(G + "GET DAG-CBOR traversal returns 501 if there is path remainder",
             Req("/ipfs/%s/foo" % dc, [("format", "dag-cbor")]), Expect(501)),
        Case(G + "GET DAG-CBOR traverses multiple links",
             Req("/ipfs/%s/foo/link/bar" % dc, [("format", "dag-cbor")]),
             Expect(200, body=bytes_eq(bytes([
                 0xa1, 0x65, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x72, 0x74, 0x68, 0x69, 0x73, 0x20, 0x69,
                 0x73, 0x20, 0x6e, 0x6f, 0x74, 0x20, 0x61, 0x20, 0x6c, 0x69, 0x6e, 0x6b])))),
        Case(G + "GET DAG-CBOR returns 404 on non-existing link",
             Req("/ipfs/%s/foo/i-do-not-exist" % dc), Expect(404)),
    ]

    G = "TestNativeDag/"
    imm = "public, max-age=29030400, immutable"
    for name, fmt, disp, checker in (("plain JSON codec", "json", "inline", json_eq),
                                     ("plain CBOR codec", "cbor", "attachment", bytes_eq)):
        d = fx("path_gateway_dag/dag-%s-traversal.car" % fmt)
        c, data = d.cid(), d.raw()
        dct, pct = "application/vnd.ipld.dag-" + fmt, "application/" + fmt
        out += [
            Case(G + "GET %s from /ipfs without explicit format returns the same payload as the raw block" % name,
                 Req("/ipfs/" + c), Expect(200, body=checker(data))),
            Case(G + "GET %s from /ipfs with format=dag-%s returns the same payload as the raw block" % (name, fmt),
                 Req("/ipfs/" + c, [("format", "dag-" + fmt)]), Expect(200, body=checker(data))),
            Case(G + "GET %s from /ipfs with application/vnd.ipld.dag-%s returns the same payload as the raw block" % (name, fmt),
                 Req("/ipfs/" + c, headers=[("Accept", dct)]), Expect(200, body=checker(data))),
            Case(G + "GET %s with format=%s returns same payload as format=dag-%s but with plain Content-Type" % (name, fmt, fmt),
                 Req("/ipfs/" + c, [("format", fmt)]), Expect(200, [H("Content-Type", pct)], checker(data))),
            Case(G + "GET %s with Accept: application/%s returns same payload as application/vnd.ipld.dag-%s but with plain Content-Type" % (name, fmt, fmt),
                 Req("/ipfs/" + c, headers=[("Accept", pct)]), Expect(200, [H("Content-Type", pct)], checker(data))),
            Case(G + "GET response for application/vnd.ipld.dag-%s has expected Content-Type" % fmt,
                 Req("/ipfs/" + c, headers=[("Accept", dct)]),
                 Expect(None, [H("Content-Type", dct), H("Content-Length", str(len(data))),
                               H("Content-Disposition").contains('%s; filename="%s.%s"' % (disp, c, fmt))])),
            Case(G + "GET for application/vnd.ipld.dag-%s with query filename includes Content-Disposition with custom filename" % fmt,
                 Req("/ipfs/" + c, [("filename", "foobar." + fmt)], headers=[("Accept", dct)]),
                 Expect(None, [H("Content-Disposition").contains('%s; filename="foobar.%s"' % (disp, fmt))])),
            Case(G + "GET for application/vnd.ipld.dag-%s with ?download=true forces Content-Disposition: attachment" % fmt,
                 Req("/ipfs/" + c, [("filename", "foobar." + fmt), ("download", "true")], headers=[("Accept", dct)]),
                 Expect(None, [H("Content-Disposition").contains('attachment; filename="foobar.%s"' % fmt)])),
            Case(G + "Cache control HTTP headers (%s)" % fmt,
                 Req("/ipfs/" + c, headers=[("Accept", dct)]),
                 Expect(None, [H("Etag").contains("%s.dag-%s" % (c, fmt)), H("Ipfs-Uri", ipfs_uri("/ipfs/" + c)),
                               H("X-Ipfs-Roots").exists(), H("Cache-Control").contains(imm)])),
            Case(G + "HEAD %s with no explicit format returns HTTP 200" % name,
                 Req("/ipfs/" + c, method="HEAD"),
                 Expect(200, [H("Content-Type").contains(dct), H("Content-Length").exists()])),
            Case(G + "HEAD %s with an explicit format returns HTTP 200" % name,
                 Req("/ipfs/" + c, [("format", "dag-" + fmt)], method="HEAD"),
                 Expect(200, [H("Etag").contains("%s.dag-%s" % (c, fmt)), H("Content-Type").contains(dct),
                              H("Content-Length").exists()])),
            Case(G + "HEAD %s with only-if-cached for missing block returns HTTP 412 Precondition Failed" % name,
                 Req("/ipfs/" + MISSING, headers=[("Cache-Control", "only-if-cached")], method="HEAD"),
                 Expect(412)),
            Case(G + "GET %s on /ipfs with Accept: text/html returns HTML (dag-index-html)" % name,
                 Req("/ipfs/%s/" % c, headers=[("Accept", "text/html")]),
                 AllOf(Expect(200, [H("Etag").contains("DagIndex-"), H("Content-Type").contains("text/html"),
                                    H("Content-Disposition").empty()], body_contains("</html>")),
                       AnyOf(Expect(headers=[H("Cache-Control").empty()]),
                             Expect(headers=[H("Cache-Control", "public, max-age=604800, stale-while-revalidate=2678400")])))),
        ]
        out += only_random_range_tests(G + "GET %s on /ipfs with no explicit header" % name,
                                       Req("/ipfs/%s/" % c), Expect(), data, dct)
        out += only_random_range_tests(G + "GET %s on /ipfs with dag content headers" % name,
                                       Req("/ipfs/%s/" % c, headers=[("Accept", dct)]), Expect(), data, dct)
        out += only_random_range_tests(G + "GET %s on /ipfs with non-dag content headers" % name,
                                       Req("/ipfs/%s/" % c, headers=[("Accept", pct)]), Expect(), data, pct)
    out.append(Case(G + "GET DAG-CBOR with Accept: text/html returns HTML preview",
                    Req("/ipfs/%s/" % dc, headers=[("Accept", "text/html")]),
                    Expect(None, body=body_contains("</html>"))))

    G = "TestGatewayJSONCborAndIPNS/"
    for name, fmt, key in (("plain JSON codec", "json", "k51qzi5uqu5dhjghbwdvbo6mi40htrq6e2z4pwgp15pgv3ho1azvidttzh8yy2"),
                           ("plain CBOR codec", "cbor", "k51qzi5uqu5dghjous0agrwavl8vzl64xckoqzwqeqwudfr74kfd11zcyk3b7l")):
        c = fx("path_gateway_dag/dag-%s-traversal.car" % fmt).cid()
        dct = "application/vnd.ipld.dag-" + fmt
        out += [
            Case(G + "GET %s from /ipns without explicit format returns the same payload as /ipfs" % name,
                 None, [None, None], reqs=[Req("/ipfs/" + c), Req("/ipns/" + key)], same_payload=True),
            Case(G + "GET %s from /ipns with explicit format returns the same payload as /ipfs" % name,
                 None, [None, None], reqs=[Req("/ipfs/" + c, [("format", "dag-" + fmt)]),
                                           Req("/ipns/" + key, [("format", "dag-" + fmt)])], same_payload=True),
            Case(G + "GET %s from /ipns with explicit application/vnd.ipld.dag-%s has expected headers" % (name, fmt),
                 Req("/ipns/" + key, headers=[("Accept", dct)]),
                 Expect(None, [H("Content-Type", dct), H("Etag", '"%s.dag-%s"' % (c, fmt)),
                               H("Ipfs-Uri", ipfs_uri("/ipns/" + key)), H("X-Ipfs-Roots").not_().empty()])),
            Case(G + "GET %s on /ipns with Accept: text/html returns HTML (dag-index-html)" % name,
                 Req("/ipns/%s/" % key, headers=[("Accept", "text/html")]),
                 AllOf(Expect(None, [H("Etag").contains("DagIndex-"), H("Content-Type").contains("text/html"),
                                     H("Content-Disposition").empty()], body_contains("</html>")),
                       AnyOf(Expect(headers=[H("Cache-Control").empty()]),
                             Expect(headers=[H("Cache-Control").matches("public, max-age=*")])))),
        ]
    return out
