"""Ported from ipfs/gateway-conformance v0.13.2 tests/path_gateway_ipns_test.go:
TestGatewayIPNSPath (IPIP-428: V1-only, V1/V2 value mismatch and a broken V2
signature are 5XX; a broken V1 signature next to a good V2 is fine),
TestRedirectCanonicalIPNS, TestGatewayIPNSRecordWithSubpath.  The records are
the fixtures' (ipns_records/, gateway-cache/), put as tests/it_gwconf.sh
puts them; an invalid one refused there is simply not found, which must
still be a 5XX."""
from dsl import Case, Req, Expect, H
from ipld import Cid
from cases_trustless import ipns_fixture

V1 = "k51qzi5uqu5dm4tm0wt8srkg9h9suud4wuiwjimndrkydqm81cqtlb5ak6p7ku"
V1V2_BROKEN_VALUE_V1 = "k51qzi5uqu5dlmit2tuwdvnx4sbnyqgmvbxftl0eo3f33wwtb9gr7yozae9kpw"
V1V2_BROKEN_SIG_V2 = "k51qzi5uqu5diamp7qnnvs1p1gzmku3eijkeijs3418j23j077zrkok63xdm8c"


def body_of(rec):
    """The record's value is /ipfs/<identity CID>: its digest is the body."""
    return Cid.parse(rec.value[len("/ipfs/"):]).digest()


def cases():
    broken_v1 = ipns_fixture("ipns_records/k51qzi5uqu5dilgf7gorsh9vcqqq4myo6jd4zmqkuy9pxyxi5fua3uf7axph4y_v1-v2-broken-signature-v1.ipns-record")
    v1v2 = ipns_fixture("ipns_records/k51qzi5uqu5dlkw8pxuw9qmqayfdeh4kfebhmreauqdc6a7c3y7d5i9fi8mk9w_v1-v2.ipns-record")
    v2 = ipns_fixture("ipns_records/k51qzi5uqu5dit2ku9mutlfgwyz8u730on38kd10m97m36bjt66my99hb6103f_v2.ipns-record")
    fail5xx = Expect(status_between=(500, 599))
    G = "TestGatewayIPNSPath/"
    out = [
        Case(G + "GET for /ipns/name with V1-only signature MUST fail with 5XX", Req("/ipns/" + V1), fail5xx),
        Case(G + "GET for /ipns/name with valid V1+V2 signatures with V1-vs-V2 value mismatch MUST fail with 5XX",
             Req("/ipns/" + V1V2_BROKEN_VALUE_V1), fail5xx),
        Case(G + "GET for /ipns/name with valid V2 and broken V1 signature succeeds",
             Req("/ipns/" + broken_v1.key), Expect(200, body=body_of(broken_v1))),
        Case(G + "GET for /ipns/name with valid V1+V2 signatures succeeds",
             Req("/ipns/" + v1v2.key), Expect(body=body_of(v1v2))),
        Case(G + "GET for /ipns/name with valid V2-only signature succeeds",
             Req("/ipns/" + v2.key), Expect(body=body_of(v2))),
        Case(G + "GET for /ipns/name with valid V1 and broken V2 signature MUST fail with 5XX",
             Req("/ipns/" + V1V2_BROKEN_SIG_V2), fail5xx),
    ]
    G = "TestRedirectCanonicalIPNS/"
    out += [
        Case(G + "GET for /ipns/{b58-multihash-of-ed25519-key} redirects to /ipns/{cidv1-libp2p-key-base36}",
             Req("/ipns/12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK/root2/"),
             Expect(302, [H("Location", "/ipns/k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8/root2/")])),
        Case(G + "GET for /ipns/{cidv0-like-b58-multihash-of-rsa-key} redirects to /ipns/{cidv1-libp2p-key-base36}",
             Req("/ipns/QmcJM7PRfkSbcM5cf1QugM5R37TLRKyJGgBEhXjLTB8uA2/root2/"),
             Expect(302, [H("Location", "/ipns/k2k4r8ol4m8kkcqz509c1rcjwunebj02gcnm5excpx842u736nja8ger/root2/")])),
    ]
    sub = ipns_fixture("gateway-cache/k51qzi5uqu5djokp3m1keo36hoxtd6u3a1d2rg1camf6al7p3huy63dojlm57c.ipns-record")
    out.append(Case("TestGatewayIPNSRecordWithSubpath/GET /ipns/{key}/root3/root4/index.html returns file when IPNS record Value has sub-path",
                    Req("/ipns/%s/root3/root4/index.html" % sub.key), Expect(200, body="hello\n")))
    return out
