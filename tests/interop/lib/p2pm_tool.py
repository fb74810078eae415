#!/usr/bin/env python3
"""p2pm_tool.py — TCP ends for tests/interop/p2p_mount_kubo.sh.

  serve echo PORT            echo each connection's bytes until its EOF
  serve sink PORT DIR        read each connection to EOF, then write the
                             SHA-256 of what came to DIR/<n>.sha and close
  serve hcreply PORT         read each connection to EOF, then answer the
                             SHA-256 of what came (hex) and close
  serve slow PORT DIR        a sink that waits 4 s before it reads
  serve line PORT DIR        write each connection's first line to
                             DIR/line, then close
  hc PORT SIZE               send SIZE bytes, half-close, read the answer:
                             "ok" when it is their SHA-256
  echo PORT SIZE             send SIZE random bytes while reading them
                             back; then half-close and expect EOF; prints
                             "ok <sha256>" when the echo is byte-exact
  sink PORT SIZE             send SIZE random bytes, half-close, wait for
                             EOF; prints "sent <sha256>"
  hold PORT N SECS           open N connections, send a line on each and
                             print how many got it echoed within 5 s, then
                             keep them open SECS seconds
  rst PORT                   connect, get a line echoed, then close with
                             an RST (SO_LINGER 0); prints "ok"
  probe PORT                 connect, send a byte: prints "eof" when the
                             other side closed without answering, "data"
                             when it answered
Every socket has a timeout: the tool never hangs a test."""
import hashlib, os, socket, sys, threading, time

T = 30


def conn(port):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=T)
    s.settimeout(T)
    return s


def serve(mode, port, out=None):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", int(port)))
    srv.listen(64)
    n = [0]

    def one(c, k):
        c.settimeout(120)
        h = hashlib.sha256()
        if mode == "slow":
            time.sleep(4)
        if mode == "line":
            f = c.makefile("rb")
            with open(os.path.join(out, "line"), "wb") as o:
                o.write(f.readline())
            c.close()
            return
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                if mode == "echo":
                    c.sendall(b)
                else:
                    h.update(b)
            if mode == "hcreply":
                c.sendall(h.hexdigest().encode())
            if mode in ("sink", "slow"):
                with open(os.path.join(out, "%d.sha" % k), "w") as f:
                    f.write(h.hexdigest() + "\n")
        except OSError:
            pass
        c.close()

    while True:
        c, _ = srv.accept()
        n[0] += 1
        threading.Thread(target=one, args=(c, n[0]), daemon=True).start()


def echo(port, size):
    size = int(size)
    data = os.urandom(size)
    s = conn(port)
    got = bytearray()

    def rd():
        while len(got) < size:
            b = s.recv(65536)
            if not b:
                break
            got.extend(b)

    t = threading.Thread(target=rd)
    t.start()
    s.sendall(data)
    t.join(T)
    if bytes(got) != data:
        print("mismatch: sent %d got %d" % (size, len(got)))
        return 1
    s.shutdown(socket.SHUT_WR)
    try:  # the end: an EOF, or a reset (Kubo closes both ways at once)
        rest = s.recv(1)
        end = "eof" if not rest else "no EOF"
    except ConnectionResetError:
        end = "reset"
    print("ok %s %s" % (hashlib.sha256(data).hexdigest(), end))
    return 0


def hc(port, size):
    data = os.urandom(int(size))
    s = conn(port)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    want = hashlib.sha256(data).hexdigest().encode()
    print("ok" if got == want else "bad answer %r" % got[:80])
    return 0


def sink(port, size):
    data = os.urandom(int(size))
    s = conn(port)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    try:
        while s.recv(65536):
            pass
    except OSError:
        pass
    print("sent %s" % hashlib.sha256(data).hexdigest())
    return 0


def hold(port, n, secs):
    socks, ok = [], 0
    for i in range(int(n)):
        try:
            socks.append(conn(port))
        except ConnectionResetError:  # refused past a bound
            pass
    for s in socks:
        s.settimeout(5)
        try:
            s.sendall(b"hello\n")
            if s.recv(16) == b"hello\n":
                ok += 1
        except OSError:
            pass
    print(ok, flush=True)
    time.sleep(float(secs))
    return 0


def rst(port):
    import struct
    s = conn(port)
    s.sendall(b"hello\n")
    if s.recv(16) != b"hello\n":
        print("no echo")
        return 1
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    print("ok")
    return 0


def probe(port):
    try:  # a reset can beat connect() itself on loopback
        s = conn(port)
    except ConnectionResetError:
        print("eof")
        return 0
    s.settimeout(10)
    try:
        s.sendall(b"x")
        b = s.recv(1)
    except OSError:
        b = b""
    print("data" if b else "eof")
    return 0


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "serve":
        serve(*a[1:])
    else:
        sys.exit({"echo": echo, "sink": sink, "hc": hc, "rst": rst, "hold": hold,
                  "probe": probe}[a[0]](*a[1:]))
