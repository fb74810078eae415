# dns_server.py — a DNS server for the tests (UDP, 127.0.0.1:53, so in a
# network namespace of the test's own): TXT answers from argv
# ("name=txt"; a name given again adds a record; a "|" splits a record
# into character-strings; "name=@silent": no answer at all), NXDOMAIN for
# other names.  Prints "ready", then "query <name>" for each question.
import socket, struct, sys
recs = {}
for a in sys.argv[1:]:
    k, v = a.split("=", 1)
    recs.setdefault(k.lower(), []).append([p.encode() for p in v.split("|")])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
while True:
    q, addr = s.recvfrom(512)
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode()); i += 1 + q[i]
    qtype, = struct.unpack(">H", q[i + 1:i + 3])
    qend = i + 5
    name = ".".join(labels).lower()
    print("query", name, flush=True)
    rs = recs.get(name, []) if qtype == 16 else []
    if rs == [[b"@silent"]]:
        continue
    flags = 0x8180 if name in recs else 0x8183
    hdr = q[:2] + struct.pack(">HHHHH", flags, 1, len(rs), 0, 0)
    ans = b""
    for parts in rs:
        rd = b"".join(bytes([len(p)]) + p for p in parts)
        ans += b"\xc0\x0c" + struct.pack(">HHIH", 16, 1, 60, len(rd)) + rd
    s.sendto(hdr + q[12:qend] + ans, addr)
