#!/usr/bin/env python3
"""free_port.py [STATEFILE] -- print a free TCP port of 127.0.0.1 for a
test's daemon to listen on.

Below the kernel's ephemeral range (ip_local_port_range): a port the kernel
hands to bind(0) is one it may hand to the next connect() as its local
port, so a daemon that binds it a moment later can find it taken by an
outgoing connection (a peer dialling out, curl).  Ports under the range
are never given to connect().  With STATEFILE, not a port listed there
(those this script picked before), and the pick is appended, so that two
daemons started together never get the same.  With no room below the
range, the kernel's pick.
"""
import random
import socket
import sys

path = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else None
with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    lo = int(f.read().split()[0])
used = set()
if path:
    try:
        with open(path) as f:
            used = set(f.read().split())
    except OSError:
        pass
port = 0
for _ in range(2000 if lo > 11024 else 0):
    p = random.randrange(10000, lo)
    if str(p) in used:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        port = p
    except OSError:
        continue
    finally:
        s.close()
    break
if not port:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
if path:
    with open(path, "a") as f:
        f.write("%d\n" % port)
print(port)
