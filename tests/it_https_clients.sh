#!/bin/bash
# it_https_clients.sh — trove's HTTP clients over https:// (http/tls.h): a
# TLS-terminating proxy (Python's ssl module, a certificate made here and
# trusted through SSL_CERT_FILE) in front of node A's gateway and API.
# Node B, which has no libp2p peer:
#   - fetches A's file over HTTP retrieval (HTTPRetrieval.Gateways =
#     https://...), byte for byte;
#   - resolves A's IPNS name through A's /routing/v1 as its delegated
#     router (Routing.DelegatedRouters = https://...);
#   - pins on A through A's Pinning Service API (`pin remote service add
#     NAME https://...`);
# and a proxy whose certificate names another host is refused ("certificate
# verify failed"), nothing taken from it.
if [ -z "${IT_HTTPS_TIMED:-}" ]; then
  IT_HTTPS_TIMED=1 exec timeout -k 5 240 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
trap nodes_cleanup EXIT
command -v openssl >/dev/null || fail "openssl missing (make deps)"

cert() { # NAME SAN
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
    -addext "subjectAltName=$2" -keyout "$WORK/$1.key" -out "$WORK/$1.pem" \
    2>/dev/null || fail "openssl req"
}
cert good "DNS:localhost,IP:127.0.0.1"
cert bad "DNS:other.example"

# tls_proxy PORT UPSTREAM_PORT NAME: TLS on PORT, plain TCP to UPSTREAM.
tls_proxy() {
  python3 - "$1" "$2" "$WORK/$3.pem" "$WORK/$3.key" >"$WORK/proxy-$3-$1.log" 2>&1 <<'P' &
import socket, ssl, sys, threading
port, up, crt, key = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(crt, key)
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port)); ls.listen(64)
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d: break
            b.sendall(d)
    except OSError: pass
    for s in (a, b):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
def serve(c):
    try:
        t = ctx.wrap_socket(c, server_side=True)
    except (ssl.SSLError, OSError) as e:
        print("handshake refused:", e, flush=True); c.close(); return
    print("tls connection", flush=True)
    u = socket.create_connection(("127.0.0.1", up))
    threading.Thread(target=pump, args=(u, t), daemon=True).start()
    pump(t, u)
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
P
  PIDS+=($!)
}
# daemon_on REPO LOG: a daemon without peers on free ports.
daemon_on() {
  TROVE_PATH=$1 SSL_CERT_FILE="$WORK/good.pem" "$TROVE_BIN" daemon \
    --api=/ip4/127.0.0.1/tcp/0 --gateway=/ip4/127.0.0.1/tcp/0 >"$2" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do grep -q "Daemon is ready" "$2" && break; sleep 0.1; done
  grep -q "Daemon is ready" "$2" || fail "daemon did not start: $(cat "$2")"
}
gw_port() { sed -n 's#.*Gateway server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$1"; }

# --- node A: a file, an IPNS name, a Pinning Service API token
export TROVE_PATH=$WORK/a
t init >/dev/null
t config --json Bootstrap '[]' >/dev/null
t config --json Addresses.Swarm '[]' >/dev/null
head -c $((3 << 20)) /dev/urandom >"$WORK/f"
F=$(t add -Q "$WORK/f")
echo "to be pinned remotely" >"$WORK/g"
G=$(t add -Q "$WORK/g")
TOK=$(t mirror token add b 2>/dev/null)
daemon_on "$WORK/a" "$WORK/a.log"
AID=$(t id -f '<id>' 2>/dev/null || t id | python3 -c 'import json,sys; print(json.load(sys.stdin)["ID"])')
t name publish "/ipfs/$F" >/dev/null || fail "name publish on A"
GA=$(gw_port "$WORK/a.log")
AA=$(sed 's|.*/tcp/||' "$WORK/a/api")
PG=$(port) PA=$(port) PBAD=$(port)
tls_proxy "$PG" "$GA" good
tls_proxy "$PA" "$AA" good
tls_proxy "$PBAD" "$GA" bad
for p in $PG $PA $PBAD; do
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
done

# --- node B: no peers; A only through the proxies
export TROVE_PATH=$WORK/b
t init >/dev/null
t config --json Bootstrap '[]' >/dev/null
t config --json Addresses.Swarm '[]' >/dev/null
t config --json HTTPRetrieval.Gateways "[\"https://127.0.0.1:$PG\"]" >/dev/null
t config --json Routing.DelegatedRouters "[\"https://127.0.0.1:$PG\"]" >/dev/null
t config Routing.Type delegated >/dev/null
daemon_on "$WORK/b" "$WORK/b.log"
[ "$(t swarm peers | wc -l)" = 0 ] || fail "B has libp2p peers"

got=$(timeout 60 "$TROVE_BIN" cat "$F" | sha256sum | cut -d' ' -f1)
eq "$got" "$(sha256sum <"$WORK/f" | cut -d' ' -f1)" "B's copy of A's file over https"
grep -q "tls connection" "$WORK/proxy-good-$PG.log" || fail "nothing went through the TLS proxy"
ok "HTTP retrieval over https://: 3 MiB from A's gateway through TLS"

eq "$(timeout 60 "$TROVE_BIN" name resolve "/ipns/$AID")" "/ipfs/$F" "A's name resolved by B"
ok "delegated router over https://: A's IPNS name resolved through /routing/v1"

SSL_CERT_FILE="$WORK/good.pem" t pin remote service add a "https://127.0.0.1:$PA" "$TOK" >/dev/null \
  || fail "pin remote service add"
SSL_CERT_FILE="$WORK/good.pem" timeout 60 "$TROVE_BIN" pin remote add --service=a --name=g "$G" >/dev/null \
  || fail "pin remote add over https"
TROVE_PATH=$WORK/a t pin ls --type=recursive | grep "$G" >/dev/null || fail "A did not pin $G"
SSL_CERT_FILE="$WORK/good.pem" t pin remote ls --service=a | grep "$G" >/dev/null || fail "pin remote ls over https"
ok "Pinning Service API over https://: B pinned on A"

# --- a certificate for another name: refused, nothing taken
t pin remote service add bad "https://127.0.0.1:$PBAD" "$TOK" >/dev/null || fail "service add bad"
if SSL_CERT_FILE="$WORK/good.pem" timeout 30 "$TROVE_BIN" pin remote ls --service=bad >"$WORK/bad.out" 2>&1; then
  fail "a service with a certificate for another host answered: $(cat "$WORK/bad.out")"
fi
grep -q -i "tls\|certificate" "$WORK/bad.out" || fail "the refusal does not say why: $(cat "$WORK/bad.out")"
grep -q "tls connection" "$WORK/proxy-bad-$PBAD.log" && fail "a TLS session was made with the wrong certificate"
ok "a certificate for another host refused ($(head -c 120 "$WORK/bad.out"))"
