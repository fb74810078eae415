#!/usr/bin/env python3
"""passfd_client.py - a hostile (or just odd) client of the daemon's
api.sock for it_passfd.sh: it sends an upload whose parts are passed
files (rpc/opts.h, RPC_UP_FD_TYPE) with descriptors of its choosing, and
prints the status and body of the answer ("closed" when the daemon hung
up without one).

usage: passfd_client.py SOCK CASE [FILE]
  nofd      a passed-file part, no descriptor sent
  pipe      the descriptor of a pipe
  dir       the descriptor of a directory
  wronly    FILE opened write-only
  body      FILE's descriptor, and bytes in the part's body
  flood     20 descriptors of FILE in one message (more than wait)
  idle      FILE's descriptor sent with a request that takes none (id)
  ok        FILE's descriptor, as the CLI sends it
"""
import os
import socket
import sys

TYPE = "application/vnd.trove.passed-fd"
B = "trove-evil-boundary"


def chunk(data):
    return b"%x\r\n" % len(data) + data + b"\r\n"


def part_head(first=True):
    return ((b"" if first else b"\r\n") + b"--" + B.encode() +
            b"\r\nContent-Disposition: form-data; name=\"file\"; "
            b"filename=\"f.bin\"\r\nContent-Type: " + TYPE.encode() +
            b"\r\n\r\n")


def answer(s):
    s.settimeout(20)
    data = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    except (ConnectionResetError, socket.timeout):
        pass
    if not data:
        return "closed"
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n")[0].decode(errors="replace")
    return status + "\n" + body.decode(errors="replace")


def main():
    sock, case = sys.argv[1], sys.argv[2]
    path = sys.argv[3] if len(sys.argv) > 3 else None
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    if case == "idle":
        fd = os.open(path, os.O_RDONLY)
        req = (b"POST /api/v0/id HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               b"Content-Length: 0\r\n\r\n")
        socket.send_fds(s, [req], [fd])
        os.close(fd)
        print(answer(s))
        return
    s.sendall(b"POST /api/v0/add?pin=false HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
              b"Content-Type: multipart/form-data; boundary=" + B.encode() +
              b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    fds = []
    if case == "pipe":
        r, w = os.pipe()
        fds = [r]
    elif case == "dir":
        fds = [os.open("/", os.O_RDONLY | os.O_DIRECTORY)]
    elif case == "wronly":
        fds = [os.open(path, os.O_WRONLY)]
    elif case in ("body", "ok"):
        fds = [os.open(path, os.O_RDONLY)]
    elif case == "flood":
        fds = [os.open(path, os.O_RDONLY) for _ in range(20)]
    head = chunk(part_head())
    if fds:
        socket.send_fds(s, [head], fds)
        for fd in fds:
            os.close(fd)
    else:
        s.sendall(head)
    if case == "body":
        s.sendall(chunk(b"bytes where none belong"))
    try:
        s.sendall(chunk(b"\r\n--" + B.encode() + b"--\r\n") + b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    print(answer(s))


main()
