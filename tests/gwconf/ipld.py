"""ipld.py -- just enough IPLD to read the conformance fixtures (stdlib only).

CARv1 files, CIDs (v0 and v1, printed as the suite prints them: base58btc
for v0, base32 for v1), dag-pb nodes, UnixFS data, and a DAG-CBOR decoder
for pathing through links.  The Fixture class answers the questions the
suite's cases ask of a fixture (the CID or the raw block at a path, a
node's descendants, the shards a HAMT lookup visits) from the CAR alone, so
expectations never come from the gateway under test.
"""
import base64
import hashlib
import struct

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

DAG_PB, RAW, DAG_CBOR, DAG_JSON, LIBP2P_KEY = 0x70, 0x55, 0x71, 0x0129, 0x72


def uvarint(buf, i=0):
    """Decode an unsigned varint at buf[i]: (value, next index)."""
    v = shift = 0
    while True:
        b = buf[i]
        i += 1
        v |= (b & 0x7F) << shift
        if b < 0x80:
            return v, i
        shift += 7


def put_uvarint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def b58encode(b):
    n = int.from_bytes(b, "big")
    s = ""
    while n:
        n, r = divmod(n, 58)
        s = B58[r] + s
    return "1" * (len(b) - len(b.lstrip(b"\0"))) + s


def b58decode(s):
    n = 0
    for c in s:
        n = n * 58 + B58.index(c)
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return b"\0" * (len(s) - len(s.lstrip("1"))) + raw


class Cid:
    """A CID: version, codec and multihash bytes."""

    def __init__(self, version, codec, mh):
        self.version, self.codec, self.mh = version, codec, mh

    @classmethod
    def read(cls, buf, i=0):
        """Parse a binary CID at buf[i]: (Cid, next index)."""
        if buf[i] == 0x12 and buf[i + 1] == 0x20:
            return cls(0, DAG_PB, bytes(buf[i:i + 34])), i + 34
        ver, j = uvarint(buf, i)
        codec, j = uvarint(buf, j)
        start = j
        _, j = uvarint(buf, j)
        ln, j = uvarint(buf, j)
        return cls(ver, codec, bytes(buf[start:j + ln])), j + ln

    @classmethod
    def parse(cls, s):
        if s.startswith("Qm"):
            return cls.read(b58decode(s))[0]
        if s[0] != "b":
            raise ValueError("only base32 CIDv1 strings: " + s)
        t = s[1:].upper()
        return cls.read(base64.b32decode(t + "=" * (-len(t) % 8)))[0]

    def bytes(self):
        if self.version == 0:
            return self.mh
        return put_uvarint(1) + put_uvarint(self.codec) + self.mh

    def is_identity(self):
        return self.mh[0] == 0x00

    def digest(self):
        _, j = uvarint(self.mh)
        ln, j = uvarint(self.mh, j)
        return self.mh[j:j + ln]

    def __str__(self):
        if self.version == 0:
            return b58encode(self.mh)
        return "b" + base64.b32encode(self.bytes()).decode().lower().rstrip("=")

    def __eq__(self, o):
        return isinstance(o, Cid) and self.bytes() == o.bytes()

    def __hash__(self):
        return hash(self.bytes())

    __repr__ = __str__


def read_car(data):
    """A CARv1 (or the CARv1 inside a CARv2): (roots, [(Cid, block)])."""
    if data[:11] == bytes.fromhex("0aa16776657273696f6e02"):  # CARv2 pragma
        off, size = struct.unpack_from("<QQ", data, 11 + 16)
        data = data[off:off + size]
    hlen, i = uvarint(data)
    header = cbor_decode(data[i:i + hlen])
    i += hlen
    blocks = []
    while i < len(data):
        ln, i = uvarint(data, i)
        end = i + ln
        c, j = Cid.read(data, i)
        blocks.append((c, bytes(data[j:end])))
        i = end
    return header.get("roots", []), blocks


# ------------------------------------------------------------- protobuf

def pb_fields(buf):
    """The fields of a protobuf message: [(number, wiretype, value)]."""
    i, out = 0, []
    while i < len(buf):
        key, i = uvarint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = uvarint(buf, i)
        elif wt == 2:
            ln, i = uvarint(buf, i)
            v = bytes(buf[i:i + ln])
            i += ln
        elif wt == 1:
            v = bytes(buf[i:i + 8]); i += 8
        elif wt == 5:
            v = bytes(buf[i:i + 4]); i += 4
        else:
            raise ValueError("wire type %d" % wt)
        out.append((num, wt, v))
    return out


class PBNode:
    def __init__(self, raw):
        self.links, self.data = [], None
        for num, _, v in pb_fields(raw):
            if num == 2:
                h = name = None
                tsize = 0
                for n2, _, v2 in pb_fields(v):
                    if n2 == 1:
                        h = Cid.read(v2)[0]
                    elif n2 == 2:
                        name = v2.decode()
                    elif n2 == 3:
                        tsize = v2
                self.links.append((name, h, tsize))
            elif num == 1:
                self.data = v


class UnixFS:
    RAW, DIR, FILE, META, SYMLINK, HAMT = 0, 1, 2, 3, 4, 5

    def __init__(self, raw):
        self.type, self.data, self.filesize, self.blocksizes = None, b"", None, []
        self.fanout = None
        for num, _, v in pb_fields(raw or b""):
            if num == 1:
                self.type = v
            elif num == 2:
                self.data = v
            elif num == 3:
                self.filesize = v
            elif num == 4:
                self.blocksizes.append(v)
            elif num == 6:
                self.fanout = v


# ------------------------------------------------------------- DAG-CBOR

class Tag42(Cid):
    pass


def cbor_decode(buf):
    v, i = _cbor(buf, 0)
    return v


def _cbor(b, i):
    ib = b[i]
    i += 1
    major, info = ib >> 5, ib & 31
    if info < 24:
        arg = info
    elif info == 24:
        arg = b[i]; i += 1
    elif info == 25:
        arg = struct.unpack_from(">H", b, i)[0]; i += 2
    elif info == 26:
        arg = struct.unpack_from(">I", b, i)[0]; i += 4
    elif info == 27:
        arg = struct.unpack_from(">Q", b, i)[0]; i += 8
    else:
        raise ValueError("indefinite CBOR")
    if major == 0:
        return arg, i
    if major == 1:
        return -1 - arg, i
    if major == 2:
        return bytes(b[i:i + arg]), i + arg
    if major == 3:
        return bytes(b[i:i + arg]).decode(), i + arg
    if major == 4:
        out = []
        for _ in range(arg):
            v, i = _cbor(b, i)
            out.append(v)
        return out, i
    if major == 5:
        out = {}
        for _ in range(arg):
            k, i = _cbor(b, i)
            v, i = _cbor(b, i)
            out[k] = v
        return out, i
    if major == 6:
        v, i = _cbor(b, i)
        if arg == 42:
            return Cid.read(v, 1)[0], i
        return v, i
    if major == 7:
        if info == 20:
            return False, i
        if info == 21:
            return True, i
        if info == 22:
            return None, i
        if info == 25:
            return _half(arg), i
        if info == 26:
            return struct.unpack(">f", struct.pack(">I", arg))[0], i
        if info == 27:
            return struct.unpack(">d", struct.pack(">Q", arg))[0], i
    raise ValueError("CBOR major %d info %d" % (major, info))


def _half(h):
    return struct.unpack(">e", struct.pack(">H", h))[0]


# ------------------------------------------------------------- fixtures

class Fixture:
    """A fixture CAR: its blocks, and UnixFS / IPLD pathing over them."""

    def __init__(self, path):
        with open(path, "rb") as f:
            roots, blocks = read_car(f.read())
        self.path = path
        self.roots = roots
        self.blocks = {c: b for c, b in blocks}
        self.order = [c for c, _ in blocks]

    def block(self, c):
        if c.is_identity():
            return c.digest()
        return self.blocks[c]

    def _children(self, c):
        """Name -> CID of a directory (plain or HAMT), or None."""
        if c.codec != DAG_PB:
            return None
        n = PBNode(self.block(c))
        fs = UnixFS(n.data)
        if fs.type == UnixFS.DIR:
            return {name: h for name, h, _ in n.links}
        if fs.type == UnixFS.HAMT:
            out = {}
            for name, h, _ in n.links:
                if len(name) > 2:
                    out[name[2:]] = h
                else:
                    out.update(self._children(h))
            return out
        return None

    def node_cid(self, *names):
        c = self.roots[0]
        for i, name in enumerate(names):
            kids = self._children(c)
            if kids is None:  # an IPLD link inside DAG-CBOR/DAG-JSON
                v = cbor_decode(self.block(c)) if c.codec == DAG_CBOR else None
                for n in names[i:]:
                    v = v[n]
                    if isinstance(v, Cid):
                        break
                return v
            c = kids[name]
        return c

    def cid(self, *names, codec=None):
        c = self.node_cid(*names)
        if codec is not None and c.codec != codec:
            raise ValueError("%s: codec 0x%x, not 0x%x" % (c, c.codec, codec))
        return str(c)

    def raw(self, *names):
        return self.block(self.node_cid(*names))

    def links(self, c):
        if c.codec == DAG_PB:
            return [h for _, h, _ in PBNode(self.block(c)).links]
        if c.codec == DAG_CBOR:
            out = []

            def walk(v):
                if isinstance(v, Cid):
                    out.append(v)
                elif isinstance(v, list):
                    for x in v:
                        walk(x)
                elif isinstance(v, dict):
                    for x in v.values():
                        walk(x)
            walk(cbor_decode(self.block(c)))
            return out
        return []

    def descendants(self, *names):
        """CIDs of every node below the one at names, depth first, links in
        order (the suite's MustGetDescendantsCids)."""
        out = []

        def rec(c):
            for h in self.links(c):
                out.append(str(h))
                rec(h)
        rec(self.node_cid(*names))
        return out

    def children(self, *names):
        return [str(h) for h in self.links(self.node_cid(*names))]

    def hamt_shards(self, *names):
        """The HAMT's inner shard nodes, root excluded (MustGetCidsInHAMT)."""
        out = []

        def rec(c):
            for name, h, _ in PBNode(self.block(c)).links:
                if len(name) == 2:
                    out.append(str(h))
                    rec(h)
        rec(self.node_cid(*names))
        return out

    def hamt_traversal(self, path, child):
        """The shards a lookup of child visits below the HAMT at path."""
        def rec(c, trail):
            for name, h, _ in PBNode(self.block(c)).links:
                if len(name) == 2:
                    r = rec(h, trail + [str(h)])
                    if r is not None:
                        return r
                elif name[2:] == child:
                    return trail
            return None
        return rec(self.node_cid(*path), [])

    def file_bytes(self, *names):
        """A UnixFS file's contents (or a raw block's)."""
        def rec(c):
            if c.codec == RAW:
                return self.block(c)
            n = PBNode(self.block(c))
            fs = UnixFS(n.data)
            return fs.data + b"".join(rec(h) for _, h, _ in n.links)
        return rec(self.node_cid(*names))


def sha256_cid(codec, data):
    return Cid(1, codec, b"\x12\x20" + hashlib.sha256(data).digest())
