"""Ported from ipfs/gateway-conformance v0.13.2
tests/subdomain_gateway_proxy_test.go (TestProxyGatewaySubdomains,
TestProxyTunnelGatewaySubdomains): the gateway taken for an HTTP proxy
by a client of the subdomain gateway "example.com" (the suite's default
--subdomain-url).  The plain proxy cases send the full URL as the request
target ("GET http://{cid}.ipfs.example.com/ HTTP/1.1", RFC 9112 3.2.2:
the gateway takes the host from it); the tunnel cases first CONNECT to
the gateway's own address, then send the request on that connection, as
the suite's tooling/test/proxy.go does (Req(via=...), gwconf.py)."""
from dsl import Case, Req, Expect, H, body_contains
from common import fx

SCHEME, HOST = "http", "example.com"


def cases():
    f = fx("subdomain_gateway/fixtures.car")
    val = f.raw("hello-CIDv1")
    dir_cid = f.cid("testdirlisting")
    v1, v0, v0to1 = f.cid("hello-CIDv1"), f.cid("hello-CIDv0"), f.cid("hello-CIDv0to1")
    redirect = Expect(301, [H("Location").contains("%s://%s.ipfs.%s/" % (SCHEME, v0to1, HOST))])
    out = []
    G = "TestProxyGatewaySubdomains/"
    out += [
        Case(G + "request for {CID}.ipfs.example.com should return expected payload",
             Req("%s://%s.ipfs.%s" % (SCHEME, v1, HOST), via="proxy"),
             Expect(200, body=body_contains(val))),
        Case(G + "request for example.com/ipfs/{CIDv0} redirects to {CIDv1}.ipfs.example.com",
             Req("%s://%s/ipfs/%s/" % (SCHEME, HOST, v0), via="proxy"), redirect),
        Case(G + "request for {CID}.ipfs.example.com/ipfs/file.txt should return data from a file in CID content root",
             Req("%s://%s.ipfs.%s/ipfs/file.txt" % (SCHEME, dir_cid, HOST), via="proxy"),
             Expect(200, body=body_contains("I am a txt file"))),
    ]
    G = "TestProxyTunnelGatewaySubdomains/"
    out += [
        Case(G + "request for {CID}.ipfs.example.com should return expected payload",
             Req("/", headers=[("Host", "%s.ipfs.%s" % (v1, HOST))], via="tunnel"),
             Expect(200, body=body_contains(val))),
        Case(G + "request for example.com/ipfs/{CIDv0} redirects to {CIDv1}.ipfs.example.com",
             Req("/ipfs/%s/" % v0, headers=[("Host", HOST)], via="tunnel"), redirect),
        Case(G + "request for {CID}.ipfs.example.com/ipfs/file.txt should return data from a file in CID content root",
             Req("/ipfs/file.txt", headers=[("Host", "%s.ipfs.%s" % (dir_cid, HOST))], via="tunnel"),
             Expect(200, body=body_contains("I am a txt file"))),
    ]
    return out
