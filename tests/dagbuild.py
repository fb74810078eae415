"""dagbuild.py — blocks and CARs built by hand for the tests (stdlib only):
protobuf varints and fields, CIDv1 with sha2-256, UnixFS Data, dag-pb nodes
(Links before Data, as the spec writes them) and a CARv1 writer.  The tests
use it to make DAGs no importer would: bombs, deep chains, lies.
"""
import base64
import hashlib


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, wire, payload):
    tag = varint(num << 3 | wire)
    if wire == 0:
        return tag + varint(payload)
    return tag + varint(len(payload)) + payload


def cid_v1(codec, data):
    return varint(1) + varint(codec) + b"\x12\x20" + hashlib.sha256(data).digest()


def cid_str(c):
    return "b" + base64.b32encode(c).decode().lower().rstrip("=")


def unixfs(typ, data=None, filesize=None, blocksizes=(), fanout=None):
    out = field(1, 0, typ)
    if data is not None:
        out += field(2, 2, data)
    if filesize is not None:
        out += field(3, 0, filesize)
    for b in blocksizes:
        out += field(4, 0, b)
    if fanout is not None:
        out += field(5, 0, 0x22) + field(6, 0, fanout)
    return out


def pbnode(links, data):
    """links: (cid bytes, name str, tsize) in order; Links before Data."""
    out = bytearray()
    for c, name, tsize in links:
        lk = field(1, 2, c) + field(2, 2, name.encode()) + field(3, 0, tsize)
        out += field(2, 2, lk)
    out += field(1, 2, data)
    return bytes(out)


class Car:
    def __init__(self):
        self.blocks = []

    def add(self, codec, data):
        c = cid_v1(codec, data)
        self.blocks.append((c, data))
        return c

    def pb(self, links, data):
        return self.add(0x70, pbnode(links, data))

    def write(self, path, root):
        # dag-cbor {"roots": [root], "version": 1}, keys in canonical order
        croot = b"\x00" + root
        hdr = (b"\xa2\x65roots\x81\xd8\x2a" + b"\x58" + bytes([len(croot)])
               + croot + b"\x67version\x01")
        with open(path, "wb") as f:
            f.write(varint(len(hdr)) + hdr)
            seen = set()
            for c, d in self.blocks:
                if c in seen:
                    continue
                seen.add(c)
                f.write(varint(len(c) + len(d)) + c + d)
        print(cid_str(root))
