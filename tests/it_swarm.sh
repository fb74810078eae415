#!/bin/bash
# it_swarm.sh — the swarm commands (`trove swarm peers|connect|disconnect|
# addrs`, `trove ping`, /api/v0/swarm/*, /api/v0/ping, id's Addresses and
# Protocols) between two trove daemons on 127.0.0.1, and their error
# answers in Kubo's shape ({"Message","Code","Type":"error"}, 400 for a
# missing argument, 500 for the rest): a malformed multiaddr, a refused
# dial, disconnecting or pinging a peer not connected, pinging oneself, a
# bad count; a client that leaves while a dial is pending does not hurt
# the daemon.  Daemons in temporary repos on free ports, stopped by the
# trap (only the PIDs started here).
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }
PIDS=()
cleanup() {
  local rc=$? bad=0
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for l in "$WORK"/*.log; do
    if grep -q -E 'Sanitizer|runtime error' "$l" 2>/dev/null; then
      echo "sanitizer report in $l:"; cat "$l"; bad=1
    fi
  done
  rm -rf "$WORK"
  [ $bad = 0 ] || exit 1
  exit $rc
}
trap cleanup EXIT

# start NAME: a daemon whose swarm listens on a free port; sets API_NAME,
# PORT_NAME, ID_NAME.
start() {
  local repo=$WORK/$1 p
  p=$(port)
  TROVE_PATH=$repo t init >/dev/null
  TROVE_PATH=$repo t config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$p\"]" >/dev/null
  : >"$repo.log" # here: a restart must not read the last run's "ready"
  TROVE_PATH=$repo timeout --foreground 120 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >>"$repo.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 200); do grep -q "Daemon is ready" "$repo.log" && break; sleep 0.05; done
  grep -q "Daemon is ready" "$repo.log" || fail "daemon $1 did not start: $(cat "$repo.log")"
  printf -v "API_$1" '%s' "http://127.0.0.1:$(sed 's|.*/tcp/||' "$repo/api")/api/v0"
  printf -v "PORT_$1" '%s' "$p"
  printf -v "ID_$1" '%s' "$(sed -n 's/.*peer identity: //p' "$repo.log")"
}
start a
start b
ta() { TROVE_PATH=$WORK/a t "$@"; }
# call URL -> "STATUS BODY"
call() { curl -s -m 30 -X POST -w ' %{http_code}' "$1"; }
# kubo_err CODE MESSAGE-PREFIX URL: a Kubo error answer.
kubo_err() {
  local out
  out=$(call "$3")
  python3 - "$out" "$1" "$2" <<'P' || fail "$3: $out"
import json, sys
out, code, msg = sys.argv[1:]
body, status = out.rsplit(" ", 1)
d = json.loads(body)
assert status == code, (status, code)
assert d["Type"] == "error" and d["Code"] == (1 if code == "400" else 0), d
assert d["Message"].startswith(msg), (d["Message"], msg)
P
}

# ---- errors
kubo_err 400 'argument "address" is required' "$API_a/swarm/connect"
kubo_err 500 'failed to parse multiaddr "foo": ' "$API_a/swarm/connect?arg=foo"
kubo_err 500 'failed to parse multiaddr "/ip4/1.2.3/tcp/1"' "$API_a/swarm/connect?arg=/ip4/1.2.3/tcp/1"
closed=$(port)
kubo_err 500 "connect $ID_b failure: " "$API_a/swarm/connect?arg=/ip4/127.0.0.1/tcp/$closed/p2p/$ID_b"
kubo_err 500 "disconnect $ID_b failure: not connected" "$API_a/swarm/disconnect?arg=/p2p/$ID_b"
kubo_err 500 "failed to parse peer address 'nope'" "$API_a/ping?arg=nope"
kubo_err 500 "error: can't ping self" "$API_a/ping?arg=$ID_a"
kubo_err 500 "peer lookup failed" "$API_a/ping?arg=$ID_b"
kubo_err 500 "ping count must be greater than 0" "$API_a/ping?arg=$ID_b&count=0"
kubo_err 400 "invalid value for count" "$API_a/ping?arg=$ID_b&count=x"
eq "$(curl -s -m 10 -X POST "$API_a/swarm/peers")" '{"Peers":null}'
# The CLI: one line, "trove: ...".
expect_fail ta swarm connect foo
err=$(ta swarm connect foo 2>&1 || true)
[[ "$err" == 'trove: swarm connect: failed to parse multiaddr "foo"'* ]] || fail "cli: $err"
expect_fail ta ping nope
TROVE_OFFLINE=1 expect_fail ta swarm peers

# ---- a client that leaves while the dial hangs (a peer that accepts and
# never speaks): the daemon answers the next calls and stops cleanly.
python3 - "$WORK/silent.port" <<'P' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
end = time.time() + 60
while time.time() < end:
    s.settimeout(1)
    try: conns.append(s.accept()[0])
    except socket.timeout: pass
P
PIDS+=($!)
for _ in $(seq 100); do [ -s "$WORK/silent.port" ] && break; sleep 0.05; done
SP=$(cat "$WORK/silent.port")
curl -s -m 1 -X POST "$API_a/swarm/connect?arg=/ip4/127.0.0.1/tcp/$SP/p2p/$ID_b" >/dev/null && fail "a hanging dial answered"
curl -s -m 1 -X POST "$API_a/ping?arg=/ip4/127.0.0.1/tcp/$SP/p2p/$ID_b&count=1" >/dev/null || true
eq "$(curl -s -m 10 -X POST "$API_a/swarm/peers")" '{"Peers":null}'

# ---- a -> b
out=$(ta swarm connect "/ip4/127.0.0.1/tcp/$PORT_b/p2p/$ID_b")
eq "$out" "connect $ID_b success"
out=$(ta swarm peers)
eq "$out" "/ip4/127.0.0.1/tcp/$PORT_b/p2p/$ID_b"
out=$(ta ping -n 2 "$ID_b")
[ "$(grep -c 'Pong received' <<<"$out")" = 2 ] || fail "ping: $out"
out=$(ta swarm addrs)
grep -q "^$ID_b (" <<<"$out" || fail "swarm addrs: $out"
grep -q "^	/ip4/127.0.0.1/tcp/$PORT_b\$" <<<"$out" || fail "swarm addrs: $out"
eq "$(ta swarm addrs local)" "/ip4/127.0.0.1/tcp/$PORT_a"
curl -s -m 10 -X POST "$API_b/id" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert "/ipfs/ping/1.0.0" in d["Protocols"], d
assert any(a.endswith("/p2p/" + d["ID"]) for a in d["Addresses"]), d' || fail "id"
out=$(ta swarm disconnect "/ip4/127.0.0.1/tcp/$PORT_b/p2p/$ID_b")
eq "$out" "disconnect $ID_b success"
eq "$(curl -s -m 10 -X POST "$API_a/swarm/peers")" '{"Peers":null}'
# ping MADDR/p2p/ID dials first, as Kubo's does.
out=$(ta ping -n 1 "/ip4/127.0.0.1/tcp/$PORT_b/p2p/$ID_b")
grep -q 'Pong received' <<<"$out" || fail "ping maddr: $out"
for p in "${PIDS[@]:0:2}"; do kill -0 "$p" || fail "a daemon died"; done
echo "ok it_swarm"
