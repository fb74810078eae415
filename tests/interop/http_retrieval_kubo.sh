#!/bin/bash
# http_retrieval_kubo.sh — trove fetches a DAG from Kubo's gateway over HTTP
# retrieval (trustless ?format=raw, verified block by block), with no
# libp2p connection between them: trove's HTTPRetrieval.Gateways names
# Kubo's gateway; an 8 MiB file and a directory through trove's gateway
# and `trove cat`, byte-identical.  A gateway that answers with other
# bytes is cut off and nothing it sent is stored: a tiny Python gateway
# serving corrupted blocks, beside Kubo.  Skipped (passes) when Kubo is
# not installed.
INTEROP_TIMEOUT=300
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
sha() { sha256sum | cut -d' ' -f1; }

kubo_init
KGP=$KGPORT EVP=$(port)
"$IPFS" config profile apply unixfs-v1-2025 >/dev/null
kubo_daemon

# The liar: a trustless gateway whose every block is flipped in one byte.
python3 - "$EVP" "$KGP" >"$WORK/evil.log" 2>&1 <<'P' &
import http.server, sys, urllib.request
port, kubo = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{kubo}{self.path}") as r:
                b = bytearray(r.read())
        except Exception:
            self.send_response(404); self.end_headers(); return
        if b: b[len(b) // 2] ^= 0xff
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.ipld.raw")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers(); self.wfile.write(b)
    def do_HEAD(self):
        self.send_response(200); self.end_headers()
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
P
PIDS+=($!)

trove_p2p_init
"$TROVE" config --json HTTPRetrieval.Gateways \
  "[\"http://127.0.0.1:$EVP\", \"http://127.0.0.1:$KGP\"]" >/dev/null
head -c $((8 << 20)) /dev/urandom >"$WORK/f"
mkdir -p "$WORK/d/sub"; echo hello >"$WORK/d/sub/a.txt"; echo world >"$WORK/d/b.txt"
F=$("$IPFS" add -Q "$WORK/f")
D=$("$IPFS" add -Q -r "$WORK/d")
interop_daemon
GP=$GPORT
[ "$("$TROVE" swarm peers | wc -l)" = 0 ] || fail "trove has libp2p peers"

got=$(curl -sf -m 120 "http://127.0.0.1:$GP/ipfs/$F" | sha) || fail "trove gateway $F"
[ "$got" = "$(sha <"$WORK/f")" ] || fail "trove served other bytes of $F"
echo "ok - trove fetched an 8 MiB file from Kubo's gateway over HTTP"
[ "$(curl -sf -m 60 "http://127.0.0.1:$GP/ipfs/$D/sub/a.txt")" = hello ] || fail "directory path"
[ "$("$TROVE" cat "$D/b.txt")" = world ] || fail "trove cat"
echo "ok - a directory and cat over HTTP retrieval"
"$TROVE" repo verify >/dev/null || fail "repo verify: a corrupted block was stored"

# The liar alone: with Kubo's gateway beside it, the session may send every
# want to Kubo (it answered faster) and never ask the liar, so the liar is
# proven on a restart where it is the only gateway trove knows.
interop_daemon_stop
mv "$WORK/daemon.log" "$WORK/daemon1.log"
"$TROVE" config --json HTTPRetrieval.Gateways "[\"http://127.0.0.1:$EVP\"]" >/dev/null
head -c 200000 /dev/urandom >"$WORK/g"
G=$("$IPFS" add -Q "$WORK/g")
interop_daemon
GP=$GPORT
if curl -sf -m 15 -o /dev/null "http://127.0.0.1:$GP/ipfs/$G"; then
  fail "trove served $G from a gateway that only lies"
fi
for _ in $(seq 50); do grep -q "cutting off" "$WORK/daemon.log" && break; sleep 0.1; done
grep -q "cutting off.*HTTP gateway" "$WORK/daemon.log" || fail "the lying gateway was not cut off"
interop_daemon_stop
"$TROVE" repo verify >/dev/null || fail "repo verify: a corrupted block was stored"
"$TROVE" block stat "$G" >/dev/null 2>&1 && fail "the liar's block of $G was stored"
"$TROVE" block stat "$F" >/dev/null || fail "block stat of a stored block"
echo "ok - the lying gateway was cut off, and nothing it sent was stored"
