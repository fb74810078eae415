#!/bin/bash
# http_retrieval_kubo.sh — trove fetches a DAG from Kubo's gateway over HTTP
# retrieval (trustless ?format=raw, verified block by block), with no
# libp2p connection between them: trove's HTTPRetrieval.Gateways names
# Kubo's gateway; an 8 MiB file and a directory through trove's gateway
# and `trove cat`, byte-identical.  A gateway that answers with other
# bytes is cut off and nothing it sent is stored: a tiny Python gateway
# serving corrupted blocks, beside Kubo.  Skipped (passes) when Kubo is
# not installed.
set -euo pipefail
TROVE=${TROVE_BIN:-$PWD/bin/trove}
IPFS=${IPFS_BIN:-$(go env GOPATH 2>/dev/null || echo /root/go)/bin/ipfs}
[ -x "$IPFS" ] || { echo "skip: no Kubo at $IPFS (make deps)"; exit 0; }
WORK=$(mktemp -d /tmp/trove-httpret.XXXXXX)
PIDS=()
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  # A sanitizer build reports at exit (leaks) or on the error.
  if cat "$WORK"/trove*.log 2>/dev/null | grep -q -E 'Sanitizer|runtime error'; then
    echo "FAIL: sanitizer report:"; cat "$WORK"/trove*.log; rc=1
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- trove logs"; tail -n 40 "$WORK"/trove*.log; exit 1; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sha() { sha256sum | cut -d' ' -f1; }

export IPFS_PATH=$WORK/kubo TROVE_PATH=$WORK/trove
KGP=$(port) EVP=$(port)
"$IPFS" init --profile=test >/dev/null 2>&1
"$IPFS" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$(port)\"]"
"$IPFS" config Addresses.API /ip4/127.0.0.1/tcp/$(port)
"$IPFS" config Addresses.Gateway /ip4/127.0.0.1/tcp/$KGP
"$IPFS" config Routing.Type none
"$IPFS" config --json Bootstrap '[]'
"$IPFS" config profile apply unixfs-v1-2025 >/dev/null
timeout 300 "$IPFS" daemon >"$WORK/kubo.log" 2>&1 &
PIDS+=($!)

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

"$TROVE" init >/dev/null
"$TROVE" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$(port)\"]" >/dev/null
"$TROVE" config --json Bootstrap '[]' >/dev/null
"$TROVE" config --json HTTPRetrieval.Gateways \
  "[\"http://127.0.0.1:$EVP\", \"http://127.0.0.1:$KGP\"]" >/dev/null
for _ in $(seq 150); do grep -q "Daemon is ready" "$WORK/kubo.log" 2>/dev/null && break; sleep 0.2; done
grep -q "Daemon is ready" "$WORK/kubo.log" || fail "Kubo did not start"
head -c $((8 << 20)) /dev/urandom >"$WORK/f"
mkdir -p "$WORK/d/sub"; echo hello >"$WORK/d/sub/a.txt"; echo world >"$WORK/d/b.txt"
F=$("$IPFS" add -Q "$WORK/f")
D=$("$IPFS" add -Q -r "$WORK/d")
GP=$(port)
timeout 300 "$TROVE" daemon --api=/ip4/127.0.0.1/tcp/$(port) \
  --gateway=/ip4/127.0.0.1/tcp/$GP >"$WORK/trove.log" 2>&1 &
TPID=$!; PIDS+=($TPID)
for _ in $(seq 150); do grep -q "Daemon is ready" "$WORK/trove.log" 2>/dev/null && break; sleep 0.1; done
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
kill "$TPID"; wait "$TPID" 2>/dev/null || true
"$TROVE" config --json HTTPRetrieval.Gateways "[\"http://127.0.0.1:$EVP\"]" >/dev/null
head -c 200000 /dev/urandom >"$WORK/g"
G=$("$IPFS" add -Q "$WORK/g")
timeout 300 "$TROVE" daemon --api=/ip4/127.0.0.1/tcp/$(port) \
  --gateway=/ip4/127.0.0.1/tcp/$GP >"$WORK/trove2.log" 2>&1 &
TPID=$!; PIDS+=($TPID)
for _ in $(seq 150); do grep -q "Daemon is ready" "$WORK/trove2.log" 2>/dev/null && break; sleep 0.1; done
if curl -sf -m 15 -o /dev/null "http://127.0.0.1:$GP/ipfs/$G"; then
  fail "trove served $G from a gateway that only lies"
fi
for _ in $(seq 50); do grep -q "cutting off" "$WORK/trove2.log" && break; sleep 0.1; done
grep -q "cutting off.*HTTP gateway" "$WORK/trove2.log" || fail "the lying gateway was not cut off"
kill "$TPID"; wait "$TPID" 2>/dev/null || true
"$TROVE" repo verify >/dev/null || fail "repo verify: a corrupted block was stored"
"$TROVE" block stat "$G" >/dev/null 2>&1 && fail "the liar's block of $G was stored"
"$TROVE" block stat "$F" >/dev/null || fail "block stat of a stored block"
echo "ok - the lying gateway was cut off, and nothing it sent was stored"
