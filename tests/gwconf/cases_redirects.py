"""Ported from ipfs/gateway-conformance v0.13.2 tests/redirects_file_test.go:
TestRedirectsFileSupport, TestRedirectsFileSupportWithDNSLink and
TestRedirectsFileWithIfNoneMatchHeader -- `_redirects` files
(specs.ipfs.tech/http-gateways/web-redirects-file), which apply only where
a site has its own origin: on the subdomain gateway "example.com" (the
suite's default --subdomain-url, configured by tests/it_gwconf.sh) and on
DNSLink sites served by their Host (the names of
fixtures/redirects_file/dnslink.yml, in the daemon's IPFS_NS_MAP).  The
fixtures redirects.car and redirects-spa.car are imported with the
others."""
from dsl import Case, Req, Expect, H, body_all, body_contains, body_not_contains
from common import fx
from ipld import Cid
from cases_dnslink import dnslinks
from cases_subdomain import HOST, inline_dns

# The ETags learnt from the first answer of each If-None-Match pair.
STATE = {}


def dns_safe_v1(f, *names):
    """The suite's DNSSafeCidV1(): the node's CID as a base32 CIDv1."""
    c = f.node_cid(*names)
    return str(Cid(1, c.codec, c.mh))


def support_cases():
    f = fx("redirects_file/redirects.car")
    G = "TestRedirectsFileSupport/"
    sub = lambda c: [("Host", "%s.ipfs.%s" % (c, HOST))]  # noqa: E731
    ex = sub(dns_safe_v1(f, "examples"))

    def custom(status, name):
        return Expect(status, [H("Cache-Control", "public, max-age=29030400, immutable"),
                               H("Etag", '"%s"' % f.cid("examples", name))],
                      body_contains(f.file_bytes("examples", name)))
    out = [
        Case(G + "request for {cid}.ipfs.example.com/redirect-one redirects with default of 301, per _redirects file",
             Req("/redirect-one", headers=ex), Expect(301, [H("Location", "/one.html")])),
        Case(G + "request for {cid}.ipfs.example.com/301-redirect-one redirects with 301, per _redirects file",
             Req("/301-redirect-one", headers=ex), Expect(301, [H("Location", "/one.html")])),
        Case(G + "request for {cid}.ipfs.example.com/302-redirect-two redirects with 302, per _redirects file",
             Req("/302-redirect-two", headers=ex), Expect(302, [H("Location", "/two.html")])),
        Case(G + "request for {cid}.ipfs.example.com/200-index returns 200, per _redirects file",
             Req("/200-index", headers=ex), Expect(200, body=body_contains("my index"))),
        Case(G + "request for {cid}.ipfs.example.com/posts/:year/:month/:day/:title redirects with 301 and placeholders, per _redirects file",
             Req("/posts/2022/01/01/hello-world", headers=ex),
             Expect(301, [H("Location", "/articles/2022/01/01/hello-world")])),
        Case(G + "request for {cid}.ipfs.example.com/splat/one.html redirects with 301 and splat placeholder, per _redirects file",
             Req("/splat/one.html", headers=ex), Expect(301, [H("Location", "/redirected-splat/one.html")])),
        Case(G + "request for {cid}.ipfs.example.com/not-found/has-no-redirects-entry returns custom 404, per _redirects file",
             Req("/not-found/has-no-redirects-entry", headers=ex), custom(404, "404.html")),
        Case(G + "request for {cid}.ipfs.example.com/gone/has-no-redirects-entry returns custom 410, per _redirects file",
             Req("/gone/has-no-redirects-entry", headers=ex), custom(410, "410.html")),
        Case(G + "request for {cid}.ipfs.example.com/unavail/has-no-redirects-entry returns custom 451, per _redirects file",
             Req("/unavail/has-no-redirects-entry", headers=ex), custom(451, "451.html")),
        Case(G + "request for {cid}.ipfs.example.com/catch-all returns 200, per _redirects file",
             Req("/catch-all", headers=ex), Expect(200, body=body_contains("my index"))),
        # Invalid file, containing unsupported status code syntax ("301!").
        Case(G + "invalid file: request for $INVALID_REDIRECTS_DIR_HOSTNAME/not-found returns error about invalid redirects file",
             Req("/not-found", headers=sub(dns_safe_v1(f, "forced"))),
             Expect(500, body=body_contains("could not parse _redirects:"))),
        Case(G + "invalid file: request for $TOO_LARGE_REDIRECTS_DIR_HOSTNAME/not-found returns error about too large redirects file",
             Req("/not-found", headers=sub(dns_safe_v1(f, "too-large"))),
             Expect(500, body=body_contains("could not parse _redirects:",
                                            "redirects file size cannot exceed"))),
        # With CRLF line terminators; good and bad status codes.
        Case(G + "newline: request for $NEWLINE_REDIRECTS_DIR_HOSTNAME/redirect-one redirects with default of 301, per _redirects file",
             Req("/redirect-one", headers=sub(dns_safe_v1(f, "newlines"))),
             Expect(301, [H("Location", "/one.html")])),
        Case(G + "good codes: request for $GOOD_REDIRECTS_DIR_HOSTNAME/redirect-one redirects with default of 301, per _redirects file",
             Req("/a301", headers=sub(dns_safe_v1(f, "good-codes"))),
             Expect(301, [H("Location", "/b301")])),
        Case(G + "bad codes: request for $BAD_REDIRECTS_DIR_HOSTNAME/found.html doesn't return error about bad code",
             Req("/found.html", headers=sub(dns_safe_v1(f, "bad-codes"))),
             Expect(200, body=body_all(body_contains("my found"),
                                       body_not_contains("unsupported redirect status")))),
    ]
    return out


def dnslink_cases():
    host = dnslinks("redirects_file/dnslink.yml")["redirects-examples"][0]
    G = "TestRedirectsFileSupportWithDNSLink/"
    return [
        Case(G + "request for //{dnslink} redirects with default of 301, per _redirects file",
             Req("/redirect-one", headers=[("Host", host)]), Expect(301, [H("Location", "/one.html")])),
        Case(G + "request for //{dnslink}/en/has-no-redirects-entry returns custom 404, per _redirects file",
             Req("/not-found/has-no-redirects-entry", headers=[("Host", host)]),
             Expect(404, [H("Etag", '"Qmd9GD7Bauh6N2ZLfNnYS3b7QVAijbud83b8GE8LPMNBBP"'),
                          H("Cache-Control").contains("public, max-age=29030400, immutable").not_(),
                          H("Cache-Control").contains("immutable").not_(),
                          H("Date").exists()],
                    body_contains("my 404"))),
    ]


def if_none_match_cases():
    f = fx("redirects_file/redirects-spa.car")
    index = f.raw("index.html")
    spa = dnslinks("redirects_file/dnslink.yml")["redirects-spa"][0]
    G = "TestRedirectsFileWithIfNoneMatchHeader/"
    out = []
    for sub, host, what in (
            ("SubdomainIPFS", "%s.ipfs.%s" % (dns_safe_v1(f), HOST), "{cid}.ipfs.{subdomain-gateway}"),
            ("SubdomainIPNS", "%s.ipns.%s" % (inline_dns(spa), HOST), "{dnslink}.ipns.{subdomain-gateway}"),
            ("DNSLinkGateway", spa, "{dnslink}")):
        hh = [("Host", host), ("Accept", "text/html")]

        def keep(v, sub=sub):
            STATE[sub] = v
            return v != ""
        out += [
            Case(G + "%s/request for //%s/missing-page returns body of index.html as per _redirects" % (sub, what),
                 Req("/missing-page", headers=hh),
                 Expect(200, [H("Etag").checks("is set (kept for the next case)", keep)], index)),
            Case(G + "%s/request for //%s/missing-page with If-None-Match returns 304" % (sub, what),
                 Req("/missing-page", headers=hh + [("If-None-Match", lambda sub=sub: STATE.get(sub, ""))]),
                 Expect(304)),
        ]
    return out


def cases():
    return support_cases() + dnslink_cases() + if_none_match_cases()
