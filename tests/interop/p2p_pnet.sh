#!/bin/bash
# p2p_pnet.sh — libp2p private networks (swarm.key, PSK v1) between `trove
# daemon` and Kubo v0.43.1 on 127.0.0.1.  One key, written as /base64/ with
# CRLF line ends for trove and as /base16/ for Kubo:
#   - both print Kubo's two lines, with the same fingerprint;
#   - Kubo with that key connects to trove (`ipfs swarm connect`) and
#     pings it; trove connects to Kubo (`trove swarm connect`) and pings it;
#   - a Kubo with another key connects neither way, and neither does a
#     Kubo without a key; trove logs each as a failed handshake and keeps
#     serving its peer (a last ping);
#   - LIBP2P_FORCE_PNET=1 without a swarm.key stops trove with Kubo's
#     error, and a malformed swarm.key stops it with a clear one.
# Kubo runs with the test profile (no bootstrap: Kubo refuses a private
# network with the public bootstrap list) and Routing.Type none.  Every
# process is stopped by the trap; a run takes ~10 s.  Skipped (passes)
# when Kubo is not installed.
INTEROP_TIMEOUT=120
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
# Commands, each bounded (a dial that hangs shows as exit status 124).
kubo() { local d=$1; shift; IPFS_PATH=$WORK/$d timeout 30 "$IPFS" "$@"; }
trv() { timeout 30 "$TROVE" "$@"; }
# Kubo logs an error about its shared TCP listener under a private network
# unless told not to share it.
export LIBP2P_TCP_MUX=false

KEY=$(python3 -c 'import os; print(os.urandom(32).hex())')
OTHER=$(python3 -c 'import os; print(os.urandom(32).hex())')
B64=$(python3 -c "import base64,sys; print(base64.b64encode(bytes.fromhex('$KEY')).decode())")
hexkey() { printf '/key/swarm/psk/1.0.0/\n/base16/\n%s\n' "$1"; }

# ---- trove, with the key as base64 and CRLF line ends
trove_p2p_init
TP=$TPORT
printf '/key/swarm/psk/1.0.0/\r\n/base64/\r\n%s\r\n' "$B64" >"$TROVE_PATH/swarm.key"
# Debug logs: failed handshakes are logged there.
TROVE_LOG=debug interop_daemon

# ---- Kubo: k1 with the key, k2 with another, k3 with none (k4: for
# LIBP2P_FORCE_PNET below)
declare -A KP
for k in k1 k2 k3 k4; do
  kubo $k init --profile=test >/dev/null 2>&1
  KP[$k]=$(port)
  kubo $k config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/${KP[$k]}\"]"
  # Port 0: a port picked here and bound later by Kubo was taken meanwhile
  # once (CI, make check: "bind: address already in use"); the CLI finds
  # the API in the repo's api file, and the gateway is not used.
  kubo $k config Addresses.API /ip4/127.0.0.1/tcp/0
  kubo $k config Addresses.Gateway /ip4/127.0.0.1/tcp/0
  kubo $k config Routing.Type none
  kubo $k config --json Bootstrap '[]'
done
hexkey "$KEY" >"$WORK/k1/swarm.key"
hexkey "$OTHER" >"$WORK/k2/swarm.key"
for k in k1 k2 k3; do
  IPFS_PATH=$WORK/$k timeout 60 "$IPFS" daemon >"$WORK/$k.log" 2>&1 &
  PIDS+=($!)
done
for _ in $(seq 150); do
  ready=1
  for l in k1 k2 k3; do grep -q "Daemon is ready" "$WORK/$l.log" 2>/dev/null || ready=0; done
  [ $ready = 1 ] && break
  sleep 0.1
done
[ $ready = 1 ] || fail "a daemon did not start"
[ -n "$TID" ] || fail "no trove peer identity"
declare -A KID
for k in k1 k2 k3; do KID[$k]=$(kubo $k id -f '<id>'); done

# ---- the same lines, the same fingerprint
for l in daemon k1; do
  grep -qx "Swarm is limited to private network of peers with the swarm key" "$WORK/$l.log" ||
    fail "$l does not say it is in a private network"
done
fp_trove=$(sed -n 's/^Swarm key fingerprint: //p' "$WORK/daemon.log")
fp_kubo=$(sed -n 's/^Swarm key fingerprint: //p' "$WORK/k1.log")
echo "fingerprint: trove $fp_trove, Kubo $fp_kubo"
[[ "$fp_trove" =~ ^[0-9a-f]{32}$ ]] || fail "trove's fingerprint: '$fp_trove'"
[ "$fp_trove" = "$fp_kubo" ] || fail "fingerprints differ"
grep -q "Swarm key fingerprint" "$WORK/k3.log" && fail "k3 has no key"

# ---- Kubo with the key -> trove, and trove -> Kubo
out=$(kubo k1 swarm connect "/ip4/127.0.0.1/tcp/$TP/p2p/$TID")
echo "$out"
[ "$out" = "connect $TID success" ] || fail "k1 swarm connect: $out"
out=$(kubo k1 ping -n 3 "$TID")
[ "$(grep -c 'Pong received' <<<"$out")" = 3 ] || fail "k1 ping: $out"
echo "ok Kubo (same key) -> trove, ping"
out=$(timeout 20 "$TROVE" swarm disconnect "/p2p/${KID[k1]}")
[ "$out" = "disconnect ${KID[k1]} success" ] || fail "trove swarm disconnect: $out"
for _ in $(seq 50); do
  timeout 10 "$TROVE" swarm peers | grep "${KID[k1]}" >/dev/null || break
  sleep 0.1
done
out=$(timeout 20 "$TROVE" swarm connect "/ip4/127.0.0.1/tcp/${KP[k1]}/p2p/${KID[k1]}")
echo "$out"
[ "$out" = "connect ${KID[k1]} success" ] || fail "trove swarm connect k1: $out"
out=$(timeout 20 "$TROVE" ping -n 3 "${KID[k1]}")
[ "$(grep -c 'Pong received' <<<"$out")" = 3 ] || fail "trove ping k1: $out"
timeout 10 "$TROVE" swarm peers | grep "^/ip4/127.0.0.1/tcp/${KP[k1]}/p2p/${KID[k1]}\$" >/dev/null ||
  fail "trove swarm peers: no k1"
echo "ok trove -> Kubo (same key), ping"

# ---- another key, and none: refused both ways, by both
before=$(grep -c "handshake with .* failed (private network)" "$WORK/daemon.log" || true)
refused() { # what, then the command that must fail
  local what=$1 rc=0; shift
  out=$("$@" 2>&1) || rc=$?
  [ $rc != 0 ] || fail "$what connected: $out"
  [ $rc != 124 ] || fail "$what: still waiting after 30 s"
  echo "ok refused: $what ($(tail -n 1 <<<"$out" | cut -c1-120))"
}
refused "Kubo (other key) -> trove" kubo k2 swarm connect "/ip4/127.0.0.1/tcp/$TP/p2p/$TID"
refused "trove -> Kubo (other key)" trv swarm connect "/ip4/127.0.0.1/tcp/${KP[k2]}/p2p/${KID[k2]}"
refused "Kubo (no key) -> trove" kubo k3 swarm connect "/ip4/127.0.0.1/tcp/$TP/p2p/$TID"
refused "trove -> Kubo (no key)" trv swarm connect "/ip4/127.0.0.1/tcp/${KP[k3]}/p2p/${KID[k3]}"
peers=$(timeout 10 "$TROVE" swarm peers)
for k in k2 k3; do
  grep -q "${KID[$k]}" <<<"$peers" && fail "trove lists $k: $peers"
  kubo $k swarm peers | grep "$TID" >/dev/null && fail "$k lists trove"
done
# Each refusal is a failed handshake on trove's side (trove may see a
# dial from Kubo more than once: Kubo retries).
for _ in $(seq 50); do
  after=$(grep -c "handshake with .* failed (private network)" "$WORK/daemon.log" || true)
  [ $((after - before)) -ge 4 ] && break
  sleep 0.1
done
[ $((after - before)) -ge 4 ] || fail "trove logged $((after - before)) failed handshakes, not 4"
grep -q "inbound handshake with /ip4/127.0.0.1/tcp/.* failed (private network)" "$WORK/daemon.log" ||
  fail "no inbound failure logged"
grep -q "outbound handshake with /ip4/127.0.0.1/tcp/${KP[k2]} failed (private network)" "$WORK/daemon.log" ||
  fail "no outbound failure logged"
# trove keeps serving its private network.
out=$(timeout 20 "$TROVE" ping -n 1 "${KID[k1]}")
grep -q 'Pong received' <<<"$out" || fail "trove ping k1 after the refusals: $out"
kill -0 "$DPID" || fail "trove died"
echo "ok trove still serves k1"

# ---- LIBP2P_FORCE_PNET=1 without a key; a malformed key
export TROVE_PATH=$WORK/plain
"$TROVE" init >/dev/null
"$TROVE" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$(port)\"]" >/dev/null
daemon_err() { # the daemon must stop at once with an error: its output
  local rc=0
  out=$(timeout --foreground 20 "$TROVE" daemon --api=/ip4/127.0.0.1/tcp/$(port) \
    --gateway=/ip4/127.0.0.1/tcp/$(port) 2>&1) || rc=$?
  [ $rc != 0 ] && [ $rc != 124 ] || fail "daemon started (rc $rc): $out"
  grep -q "Daemon is ready" <<<"$out" && fail "daemon was ready: $out"
  echo "$out"
}
LIBP2P_FORCE_PNET=1 daemon_err
[ "$out" = "trove: daemon: privnet: private network was not configured but is enforced by the environment" ] ||
  fail "LIBP2P_FORCE_PNET=1: $out"
# Kubo says the same.
kout=$(LIBP2P_FORCE_PNET=1 kubo k4 daemon 2>&1 || true)
grep -q "^Error: .*privnet: private network was not configured but is enforced by the environment\$" <<<"$kout" ||
  fail "Kubo with LIBP2P_FORCE_PNET=1: $kout"
printf '/key/swarm/psk/1.0.0/\n/base58/\n%s\n' "$KEY" >"$TROVE_PATH/swarm.key"
daemon_err
grep -q "^trove: daemon: failed to configure private network: .*/swarm.key: unknown encoding" <<<"$out" ||
  fail "malformed swarm.key: $out"
hexkey "${KEY:0:62}" >"$TROVE_PATH/swarm.key"
daemon_err
grep -q "swarm.key: .*shorter than 32 bytes" <<<"$out" || fail "short swarm.key: $out"
# With a good key (and the variable) it starts.
hexkey "$KEY" >"$TROVE_PATH/swarm.key"
LIBP2P_FORCE_PNET=1 timeout --foreground 60 "$TROVE" daemon --api=/ip4/127.0.0.1/tcp/$(port) \
  --gateway=/ip4/127.0.0.1/tcp/$(port) >"$WORK/forced.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -qs "Daemon is ready" "$WORK/forced.log" && break; sleep 0.1; done
grep -q "^Swarm key fingerprint: $fp_trove\$" "$WORK/forced.log" || fail "forced daemon with a key"
echo "ok LIBP2P_FORCE_PNET and malformed keys"
echo "ok"
