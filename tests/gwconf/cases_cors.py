"""Ported from ipfs/gateway-conformance v0.13.2 tests/path_gateway_cors_test.go
(TestCors): the CORS headers of a GET and of an OPTIONS, as Kubo sends them."""
from dsl import Case, Req, Expect, H


def cors_headers():
    return [H("Access-Control-Allow-Origin", "*"),
            H("Access-Control-Allow-Methods").has("GET", "HEAD", "OPTIONS"),
            H("Access-Control-Allow-Headers").has("Content-Type", "Range", "User-Agent", "X-Requested-With"),
            H("Access-Control-Expose-Headers").has("Content-Range", "Content-Length", "Ipfs-Uri",
                                                   "X-Ipfs-Roots", "X-Chunked-Output", "X-Stream-Output")]


def cases():
    hello = "bafkqabtimvwgy3yk"  # "hello", an identity CID
    G = "TestCors/"
    return [
        Case(G + "GET Responses from Gateway should include CORS headers allowing JS from other origins to read the data cross-origin.",
             Req("/ipfs/%s/" % hello), Expect(None, cors_headers())),
        Case(G + "OPTIONS to Gateway succeeds",
             Req("/ipfs/%s/" % hello, method="OPTIONS"), Expect(None, cors_headers())),
    ]
