#!/bin/bash
# it_ws.sh — the WebSocket transport (net/ws.h) between real daemons on
# 127.0.0.1, and a raw client that breaks its rules:
#   - B (listening on /ws only) connects to A's /ws address: both list the
#     other at a /ws address; ping both ways; a 3 MB file each way over
#     bitswap, byte for byte;
#   - B dials A by its ID alone (A's addresses, TCP and /ws, known from
#     identify): it takes the TCP one, as go-libp2p's dial ranker does;
#   - a private network over /ws: P2 (TCP) reaches P1 (/ws) with the same
#     swarm.key and pings it; P3, without the key, cannot connect;
#   - Swarm.Transports.Network.Websocket false: no /ws listener, and a /ws
#     dial fails;
#   - a raw client (python): a plain GET without Upgrade, a head over 8 KiB,
#     a version 8 handshake are cut; a right one gets a 101 with RFC 6455's
#     Sec-WebSocket-Accept, and then: a masked ping gets its unmasked pong
#     with the same payload, an unmasked frame (a client must mask) and a
#     frame with a reserved bit set are cut, a close frame is answered by
#     the connection's end; and A still serves B after all of it.
source "$(dirname "$0")/lib.sh"
trap nodes_cleanup EXIT

# node NAME SWARM-ADDRS-JSON [KEYFILE]: a daemon on its own repo.
node() {
  local n=$1 r=$WORK/$1
  TROVE_PATH=$r t init >/dev/null
  TROVE_PATH=$r t config --json Bootstrap '[]' >/dev/null
  TROVE_PATH=$r t config --json Addresses.Swarm "$2" >/dev/null
  [ -z "${3:-}" ] || cp "$3" "$r/swarm.key"
  [ -z "${NODE_CFG:-}" ] || TROVE_PATH=$r t config --json $NODE_CFG >/dev/null
  TROVE_PATH=$r timeout --foreground 300 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/$(port) \
    --gateway=/ip4/127.0.0.1/tcp/$(port) >"$WORK/$n.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 300); do grep -q "Daemon is ready" "$WORK/$n.log" 2>/dev/null && break; sleep 0.1; done
  grep -q "Daemon is ready" "$WORK/$n.log" || fail "$n did not start"
}
on() { local n=$1; shift; TROVE_PATH=$WORK/$n "$TROVE_BIN" "$@"; }
id_of() { sed -n 's/.*peer identity: //p' "$WORK/$1.log"; }
addr_of() { sed -n 's/^Swarm listening on //p' "$WORK/$1.log" | grep -E "$2" | head -1; }

node A "[\"/ip4/127.0.0.1/tcp/$(port)\",\"/ip4/127.0.0.1/tcp/$(port)/ws\"]"
node B "[\"/ip4/127.0.0.1/tcp/$(port)/ws\"]"
IA=$(id_of A); IB=$(id_of B)
WA=$(addr_of A '/ws$'); TA=$(addr_of A '/tcp/[0-9]+$'); WB=$(addr_of B '/ws$')
[ -n "$WA" ] && [ -n "$TA" ] && [ -n "$WB" ] || fail "listen addresses: $(cat "$WORK/A.log" "$WORK/B.log")"

# ------------------------------------------------------------ B -> A over /ws
on B swarm connect "$WA/p2p/$IA" >/dev/null
eq "$(on B swarm peers)" "$WA/p2p/$IA" "B's peers"
pa=$(on A swarm peers)
[[ $pa == /ip4/127.0.0.1/tcp/*/ws/p2p/$IB ]] || fail "A sees B at '$pa'"
on B ping -n 2 "$IA" | grep -q "Average latency" || fail "B pings A"
on A ping -n 2 "$IB" | grep -q "Average latency" || fail "A pings B"
ok "B connected to A over /ws, both list /ws addresses, ping both ways"
head -c 3000000 /dev/urandom >"$WORK/fa"; head -c 3000000 /dev/urandom >"$WORK/fb"
CA=$(on A add -Q "$WORK/fa"); CB=$(on B add -Q "$WORK/fb")
on B cat "$CA" | cmp - "$WORK/fa" || fail "B fetched A's file"
on A cat "$CB" | cmp - "$WORK/fb" || fail "A fetched B's file"
ok "3 MB each way over bitswap on a WebSocket"

# ------------------------------------------------------------ TCP first
on B swarm disconnect "/p2p/$IA" >/dev/null
for _ in $(seq 50); do [ -z "$(on B swarm peers)" ] && break; sleep 0.1; done
on B swarm connect "/p2p/$IA" >/dev/null
eq "$(on B swarm peers)" "$TA/p2p/$IA" "B's dial of A by ID"
ok "dialled by ID, A's TCP address comes before its /ws one"

# ------------------------------------------------------------ private network
python3 -c 'import os; print("/key/swarm/psk/1.0.0/\n/base16/\n" + os.urandom(32).hex())' >"$WORK/k"
node P1 "[\"/ip4/127.0.0.1/tcp/$(port)/ws\"]" "$WORK/k"
node P2 "[\"/ip4/127.0.0.1/tcp/$(port)\"]" "$WORK/k"
node P3 "[\"/ip4/127.0.0.1/tcp/$(port)\"]"
WP1=$(addr_of P1 '/ws$'); IP1=$(id_of P1)
on P2 swarm connect "$WP1/p2p/$IP1" >/dev/null
on P2 ping -n 1 "$IP1" | grep -q "Average latency" || fail "P2 pings P1 over /ws in the private network"
if on P3 swarm connect "$WP1/p2p/$IP1" >/dev/null 2>&1; then fail "P3, without the key, connected to P1"; fi
ok "private network over /ws: the key holder connects, another peer cannot"

# ------------------------------------------------------------ Websocket off
NODE_CFG="Swarm.Transports.Network.Websocket false" node F \
  "[\"/ip4/127.0.0.1/tcp/$(port)\",\"/ip4/127.0.0.1/tcp/$(port)/ws\"]"
[ -z "$(addr_of F '/ws$')" ] || fail "F listens on /ws with Websocket false"
if on F swarm connect "$WA/p2p/$IA" >/dev/null 2>&1; then fail "F dialled /ws with Websocket false"; fi
ok "Swarm.Transports.Network.Websocket false: no /ws listener, no /ws dial"

# ------------------------------------------------------------ a raw client
PORT_A=$(sed 's#.*/tcp/\([0-9]*\)/ws#\1#' <<<"$WA")
python3 - "$PORT_A" <<'PYEOF' || fail "raw WebSocket client"
import base64, hashlib, os, socket, struct, sys
port = int(sys.argv[1])
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s

def closed(s, what):
    """The server must end the connection (EOF or reset) within 10 s."""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return
    except ConnectionResetError:
        return
    except socket.timeout:
        sys.exit("not cut: " + what)

def head(s):
    b = b""
    while b"\r\n\r\n" not in b:
        d = s.recv(4096)
        if not d:
            sys.exit("no response head")
        b += d
    h, rest = b.split(b"\r\n\r\n", 1)
    return h.decode(), rest

def upgrade(s, version=b"13"):
    key = base64.b64encode(os.urandom(16))
    s.sendall(b"GET /anything HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: WebSocket\r\n"
              b"Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: " + key +
              b"\r\nSec-WebSocket-Version: " + version + b"\r\n\r\n")
    return key

def frame(op, payload, mask=True, rsv=0):
    b = bytes([0x80 | rsv | op])
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        b += bytes([m | n])
    else:
        b += bytes([m | 126]) + struct.pack(">H", n)
    if mask:
        k = os.urandom(4)
        b += k + bytes(c ^ k[i % 4] for i, c in enumerate(payload))
    else:
        b += payload
    return b

s = conn(); s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"); closed(s, "GET without Upgrade")
s = conn(); s.sendall(b"GET / HTTP/1.1\r\n" + b"X-Pad: " + b"a" * 9000 + b"\r\n"); closed(s, "head over 8 KiB")
s = conn(); upgrade(s, b"8"); closed(s, "version 8")

def good():
    s = conn()
    key = upgrade(s)
    h, rest = head(s)
    want = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
    if not h.startswith("HTTP/1.1 101") or ("Sec-WebSocket-Accept: " + want) not in h:
        sys.exit("bad 101: " + h)
    return s, rest

s, rest = good()
s.sendall(frame(0x9, b"are you there"))
buf = rest
# The server's first frames carry multistream-select; the pong is the
# control frame among them.
deadline = 0
while True:
    while len(buf) < 2:
        d = s.recv(65536)
        if not d:
            sys.exit("closed before the pong")
        buf += d
    op, ln = buf[0] & 0x0f, buf[1]
    if buf[1] & 0x80:
        sys.exit("the server masked a frame")
    hl = 2
    if ln == 126:
        while len(buf) < 4: buf += s.recv(65536)
        ln = struct.unpack(">H", buf[2:4])[0]; hl = 4
    while len(buf) < hl + ln:
        buf += s.recv(65536)
    payload, buf = buf[hl:hl + ln], buf[hl + ln:]
    if op == 0xA:
        if payload != b"are you there":
            sys.exit("pong payload %r" % payload)
        break
s.sendall(frame(0x2, b"/multistream/1.0.0\n", mask=False)); closed(s, "an unmasked client frame")
s, _ = good(); s.sendall(frame(0x2, b"x", rsv=0x40)); closed(s, "RSV1 set")
s, _ = good(); s.sendall(frame(0x8, struct.pack(">H", 1000))); closed(s, "a close frame")
print("raw client: all cut or answered as RFC 6455 says")
PYEOF
ok "a raw client's bad handshakes and frames are cut; ping answered; close ends it"
on B ping -n 1 "$IA" | grep -q "Average latency" || fail "A no longer serves B"
echo "it_ws: all passed"
