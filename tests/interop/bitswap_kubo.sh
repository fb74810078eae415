#!/bin/bash
# bitswap_kubo.sh — bitswap between `trove daemon` and Kubo (v0.43.1) on
# 127.0.0.1, both directions: Kubo fetches an 8 MiB file and a HAMT
# directory of 2000 entries that trove added (`ipfs cat`, `ipfs ls`,
# `ipfs pin add`), and trove fetches what Kubo added (its gateway, `trove
# cat`), byte-identical; the CIDs of the same bytes agree (both with the
# unixfs-v1-2025 import profile).  Both nodes in
# temporary repos on free ports, Kubo with the test profile, no bootstrap
# and Routing.Type none, so they find each other only by the direct
# connection.  Skipped (passes) when Kubo is not installed.
set -euo pipefail
TROVE=${TROVE_BIN:-$PWD/bin/trove}
IPFS=${IPFS_BIN:-$(go env GOPATH 2>/dev/null || echo /root/go)/bin/ipfs}
[ -x "$IPFS" ] || { echo "skip: no Kubo at $IPFS (make deps)"; exit 0; }
WORK=$(mktemp -d /tmp/trove-bsw-kubo.XXXXXX)
PIDS=()
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  # A sanitizer build reports at exit (leaks) or on the error.
  if grep -q -E 'Sanitizer|runtime error' "$WORK/trove.log" 2>/dev/null; then
    echo "FAIL: sanitizer report:"; cat "$WORK/trove.log"; rc=1
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- trove log"; tail -n 40 "$WORK/trove.log"; exit 1; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sha() { sha256sum | cut -d' ' -f1; }

export TROVE_PATH=$WORK/trove IPFS_PATH=$WORK/kubo
TP=$(port) GP=$(port)
"$TROVE" init >/dev/null
"$TROVE" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$TP\"]" >/dev/null
"$TROVE" config --json Bootstrap '[]' >/dev/null
timeout 300 "$TROVE" daemon --api=/ip4/127.0.0.1/tcp/$(port) \
  --gateway=/ip4/127.0.0.1/tcp/$GP >"$WORK/trove.log" 2>&1 &
PIDS+=($!)
KP=$(port)
"$IPFS" init --profile=test >/dev/null 2>&1
"$IPFS" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$KP\"]"
"$IPFS" config Addresses.API /ip4/127.0.0.1/tcp/$(port)
"$IPFS" config Addresses.Gateway /ip4/127.0.0.1/tcp/$(port)
"$IPFS" config Routing.Type none
"$IPFS" config --json Bootstrap '[]'
# trove imports with the unixfs-v1-2025 profile by default; so does Kubo here.
"$IPFS" config profile apply unixfs-v1-2025 >/dev/null
timeout 300 "$IPFS" daemon >"$WORK/kubo.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 150); do
  grep -q "Daemon is ready" "$WORK/trove.log" 2>/dev/null &&
    grep -q "Daemon is ready" "$WORK/kubo.log" 2>/dev/null && break
  sleep 0.2
done
TID=$(sed -n 's/.*peer identity: //p' "$WORK/trove.log")
KID=$("$IPFS" id -f '<id>')
[ -n "$TID" ] && [ -n "$KID" ] || fail "daemons did not start"
timeout 30 "$IPFS" swarm connect "/ip4/127.0.0.1/tcp/$TP/p2p/$TID" >/dev/null ||
  fail "Kubo cannot connect to trove"

# ---- Kubo fetches from trove
head -c $((8 << 20)) /dev/urandom >"$WORK/f1"
mkdir "$WORK/h1"
for i in $(seq 1 2000); do echo "trove entry $i" >"$WORK/h1/e$i.txt"; done
F1=$("$TROVE" add -Q "$WORK/f1")
H1=$("$TROVE" add -Q -r "$WORK/h1")
[ "$F1" = "$("$IPFS" add -Q -n "$WORK/f1")" ] || fail "file CIDs differ"
[ "$H1" = "$("$IPFS" add -Q -n -r "$WORK/h1")" ] || fail "HAMT CIDs differ"
got=$(timeout 120 "$IPFS" cat "$F1" | sha) || fail "Kubo cat $F1"
[ "$got" = "$(sha <"$WORK/f1")" ] || fail "Kubo got other bytes of $F1"
echo "ok - Kubo fetched an 8 MiB file from trove"
n=$(timeout 120 "$IPFS" ls "$H1" | wc -l) || fail "Kubo ls $H1"
[ "$n" = 2000 ] || fail "Kubo lists $n entries of the HAMT directory"
[ "$(timeout 60 "$IPFS" cat "$H1/e1234.txt")" = "trove entry 1234" ] || fail "HAMT entry"
timeout 120 "$IPFS" pin add "$H1" >/dev/null || fail "Kubo pin add $H1"
echo "ok - Kubo listed, read and pinned a 2000-entry HAMT directory from trove"

# ---- trove fetches from Kubo
head -c $((8 << 20)) /dev/urandom >"$WORK/f2"
mkdir "$WORK/h2"
for i in $(seq 1 2000); do echo "kubo entry $i" >"$WORK/h2/k$i.txt"; done
F2=$("$IPFS" add -Q "$WORK/f2")
H2=$("$IPFS" add -Q -r "$WORK/h2")
got=$(curl -sf -m 120 "http://127.0.0.1:$GP/ipfs/$F2" | sha) || fail "trove gateway $F2"
[ "$got" = "$(sha <"$WORK/f2")" ] || fail "trove got other bytes of $F2"
echo "ok - trove's gateway fetched an 8 MiB file from Kubo"
[ "$(curl -sf -m 60 "http://127.0.0.1:$GP/ipfs/$H2/k777.txt")" = "kubo entry 777" ] ||
  fail "trove gateway HAMT entry"
n=$(curl -sf -m 60 "http://127.0.0.1:$GP/ipfs/$H2/" | grep -c 'k[0-9]*\.txt</a>' || true)
[ "$n" -ge 2000 ] || fail "trove lists $n entries of Kubo's HAMT directory"
head -c 500000 /dev/urandom >"$WORK/f3"
F3=$("$IPFS" add -Q "$WORK/f3")
got=$(timeout 60 "$TROVE" cat "$F3" | sha) || fail "trove cat $F3"
[ "$got" = "$(sha <"$WORK/f3")" ] || fail "trove cat got other bytes"
echo "ok - trove fetched Kubo's HAMT directory and cat a file over bitswap"
