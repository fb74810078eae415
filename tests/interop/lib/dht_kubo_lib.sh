# dht_kubo_lib.sh — source me.  Runs Kubo (v0.43.1) nodes on 127.0.0.1
# whose only routing is Kubo's LAN DHT (/ipfs/lan/kad/1.0.0), for the
# trove DHT interop tests.  See docs/notes-kubo-dht.md for why each config
# key is set.
#
#   source tests/interop/lib/dht_kubo_lib.sh
#   kubo_lib_init                 # temp dir $KUBO_WORK, trap-able kubo_stop_all
#   trap kubo_stop_all EXIT
#   kubo_new 0; kubo_new 1        # init + configure repo N (free ports)
#   kubo_start 0; kubo_start 1    # daemon, waits for "Daemon is ready"
#   kubo_connect 1 0              # node 1 dials node 0 (ipfs swarm connect)
#   kubo_wait_rt 0 1 30           # node 0's LAN table holds >= 1 peer (30 s)
#   kubo 1 routing findprovs CID  # any ipfs command against node 1
#   kubo_stop 1                   # stop one daemon
#
# Bounded waits (return 1 and say why on stderr): kubo_wait_rt,
# kubo_wait_rt_has, kubo_wait_findprovs, kubo_wait_resolve.  One-shot:
# kubo_rt_peers (LAN table), kubo_provider_addrs (a provider's addresses).
#
# Per node N after kubo_start: KUBO_ID[N] (peer ID), KUBO_ADDR[N]
# (/ip4/127.0.0.1/tcp/P/p2p/ID), KUBO_PID[N]; repo in $KUBO_WORK/kN, daemon
# log in $KUBO_WORK/kN.log.  kubo_stop_all kills only the PIDs in KUBO_PID
# (and removes $KUBO_WORK unless KUBO_KEEP=1).
#
# Env: IPFS_BIN (default $(go env GOPATH)/bin/ipfs), KUBO_SWEEP (true|false,
# default true = Kubo's default sweep provider), KUBO_ROUTING (Routing.Type,
# default dht; dhtclient gives a Kubo that only queries), KUBO_LOOPBACK_ON_LAN
# (default true; false shows why it is needed), KUBO_CMD_TIMEOUT (60 s per
# ipfs command), KUBO_LIFETIME (600 s cap on each daemon), KUBO_KEEP=1
# (keep $KUBO_WORK for a post-mortem).

KUBO_BIN=${IPFS_BIN:-$(go env GOPATH 2>/dev/null || echo /root/go)/bin/ipfs}
KUBO_WORK=
declare -a KUBO_PID=() KUBO_ID=() KUBO_ADDR=() KUBO_SWARM_PORT=()

# Whether Kubo is installed; callers skip (exit 0) when not.
kubo_available() { [ -x "$KUBO_BIN" ]; }

# tests/lib.sh's port() when the script has it (outside the ephemeral
# range, never the same twice), else the kernel's pick.
kubo_port() {
  if declare -F port >/dev/null; then
    port
  else
    python3 "$(dirname "${BASH_SOURCE[0]}")/../../free_port.py"
  fi
}

kubo_lib_init() {
  KUBO_WORK=$(mktemp -d /tmp/trove-dht-kubo.XXXXXX)
}

# kubo N ARGS... — run `ipfs ARGS` against node N's repo (its daemon when
# it runs).  Every call is bounded by KUBO_CMD_TIMEOUT (default 60 s).
kubo() {
  local n=$1; shift
  IPFS_PATH="$KUBO_WORK/k$n" timeout "${KUBO_CMD_TIMEOUT:-60}" "$KUBO_BIN" "$@"
}

# kubo_new N — init repo N with the test profile and a loopback-only DHT
# setup.  Extra `ipfs config` edits can follow before kubo_start.
kubo_new() {
  local n=$1 sp
  sp=$(kubo_port)
  KUBO_SWARM_PORT[$n]=$sp
  kubo "$n" init --profile=test >/dev/null 2>&1 || return 1
  # test profile: API/Gateway/Swarm on 127.0.0.1, Bootstrap [], MDNS off,
  # AutoConf off, DelegatedRouters [], Ipns.DelegatedPublishers [],
  # Routing.LoopbackAddressesOnLanDHT true.  Restated here so the setup
  # does not depend on the profile's contents.
  kubo "$n" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$sp\"]" &&
  kubo "$n" config Addresses.API "/ip4/127.0.0.1/tcp/$(kubo_port)" &&
  kubo "$n" config Addresses.Gateway "/ip4/127.0.0.1/tcp/$(kubo_port)" &&
  kubo "$n" config --json Bootstrap '[]' &&
  kubo "$n" config --json Peering.Peers '[]' &&
  kubo "$n" config --json Discovery.MDNS.Enabled false &&
  kubo "$n" config --json AutoConf.Enabled false &&
  kubo "$n" config --json AutoTLS.Enabled false &&
  kubo "$n" config --json Routing.DelegatedRouters '[]' &&
  kubo "$n" config --json Ipns.DelegatedPublishers '[]' &&
  kubo "$n" config --json Ipns.UsePubsub false &&
  kubo "$n" config --json Pubsub.Enabled false &&
  kubo "$n" config --json Swarm.DisableNatPortMap true &&
  kubo "$n" config --json Swarm.RelayClient.Enabled false &&
  kubo "$n" config --json Swarm.RelayService.Enabled false &&
  kubo "$n" config --json Swarm.Transports.Network.Websocket false &&
  kubo "$n" config --json Swarm.Transports.Network.QUIC false &&
  kubo "$n" config --json Swarm.Transports.Network.WebTransport false &&
  kubo "$n" config --json Swarm.Transports.Network.WebRTCDirect false &&
  # Routing.Type dht: the dual (WAN+LAN) DHT and nothing else -- no HTTP
  # routers (those come with "auto").  The LAN DHT runs in server mode
  # whenever the WAN DHT is not forced to client mode (dual.New).
  kubo "$n" config Routing.Type "${KUBO_ROUTING:-dht}" &&
  # Without this the LAN DHT drops 127.0.0.1 addresses: its own provider
  # records would carry no address ("no known addresses for self") and
  # closer-peer addresses learnt from others would be filtered.
  kubo "$n" config --json Routing.LoopbackAddressesOnLanDHT "${KUBO_LOOPBACK_ON_LAN:-true}" &&
  kubo "$n" config --json Provide.DHT.SweepEnabled "${KUBO_SWEEP:-true}" &&
  # No HTTP retrieval: findprovs answers come from the DHT only.
  kubo "$n" config --json HTTPRetrieval.Enabled false
}

# kubo_start N — start node N's daemon; wait (<= 30 s) for it to be ready.
kubo_start() {
  local n=$1 i
  # timeout: a daemon outlives no test by more than KUBO_LIFETIME seconds
  # even when the trap never runs (SIGKILL); TERM to timeout reaches ipfs.
  IPFS_PATH="$KUBO_WORK/k$n" timeout "${KUBO_LIFETIME:-600}" "$KUBO_BIN" daemon \
    >"$KUBO_WORK/k$n.log" 2>&1 &
  KUBO_PID[$n]=$!
  for i in $(seq 150); do
    grep -q "Daemon is ready" "$KUBO_WORK/k$n.log" 2>/dev/null && break
    kill -0 "${KUBO_PID[$n]}" 2>/dev/null || break
    sleep 0.2
  done
  if ! grep -q "Daemon is ready" "$KUBO_WORK/k$n.log"; then
    echo "kubo $n did not start:" >&2; cat "$KUBO_WORK/k$n.log" >&2; return 1
  fi
  KUBO_ID[$n]=$(kubo "$n" config Identity.PeerID)
  KUBO_ADDR[$n]="/ip4/127.0.0.1/tcp/${KUBO_SWARM_PORT[$n]}/p2p/${KUBO_ID[$n]}"
}

# kubo_stop_all — stop every daemon this library started (trap-able).
kubo_stop_all() {
  local p
  for p in "${KUBO_PID[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${KUBO_PID[@]}"; do wait "$p" 2>/dev/null || true; done
  KUBO_PID=()
  if [ -n "$KUBO_WORK" ] && [ "${KUBO_KEEP:-0}" != 1 ]; then rm -rf "$KUBO_WORK"; fi
}

# kubo_stop N — stop node N's daemon (its repo stays; kubo_start N again
# restarts it on the same port).
kubo_stop() {
  local n=$1
  [ -n "${KUBO_PID[$n]:-}" ] || return 0
  kill "${KUBO_PID[$n]}" 2>/dev/null || true
  wait "${KUBO_PID[$n]}" 2>/dev/null || true
  unset "KUBO_PID[$n]"
}

# kubo_connect N ADDR|M — node N dials a multiaddr, or node M's address.
kubo_connect() {
  local n=$1 to=$2
  case "$to" in /*) ;; *) to=${KUBO_ADDR[$to]} ;; esac
  kubo "$n" swarm connect "$to" >/dev/null
}

# kubo_rt_peers N — the peer IDs in node N's LAN DHT routing table.
kubo_rt_peers() {
  kubo "$1" stats dht lan --enc=json | python3 -c '
import json, sys
for b in json.load(sys.stdin).get("Buckets") or []:
    for p in b.get("Peers") or []:
        print(p["ID"])'
}

# kubo_wait_rt N COUNT [SECS] — wait until node N's LAN routing table has at
# least COUNT peers; 1 (and the table on stderr) after SECS (default 30).
kubo_wait_rt() {
  local n=$1 want=$2 secs=${3:-30} end
  end=$((SECONDS + secs))
  while [ $SECONDS -lt $end ]; do
    [ "$(kubo_rt_peers "$n" | wc -l)" -ge "$want" ] && return 0
    sleep 0.2
  done
  echo "kubo $n: LAN routing table below $want after ${secs}s:" >&2
  kubo "$n" stats dht lan >&2 || true
  return 1
}

# kubo_wait_rt_has N PEERID [SECS] — wait until PEERID is in node N's LAN table.
kubo_wait_rt_has() {
  local n=$1 id=$2 secs=${3:-30} end
  end=$((SECONDS + secs))
  while [ $SECONDS -lt $end ]; do
    kubo_rt_peers "$n" | grep -qx "$id" && return 0
    sleep 0.2
  done
  echo "kubo $n: $id not in the LAN routing table after ${secs}s" >&2
  return 1
}

# kubo_wait_findprovs N CID PEERID [SECS] — poll `routing findprovs` on node
# N until PEERID is listed as a provider of CID (each query bounded by 10 s).
kubo_wait_findprovs() {
  local n=$1 cid=$2 id=$3 secs=${4:-30} end
  end=$((SECONDS + secs))
  while [ $SECONDS -lt $end ]; do
    KUBO_CMD_TIMEOUT=15 kubo "$n" routing findprovs --num-providers=1 "$cid" 2>/dev/null |
      grep -qx "$id" && return 0
    sleep 0.5
  done
  echo "kubo $n: findprovs $cid did not list $id after ${secs}s" >&2
  return 1
}

# kubo_provider_addrs N CID PEERID — one `routing findprovs -v` on node N:
# the addresses it lists for provider PEERID (one a line); 1 when PEERID is
# not among the providers.
kubo_provider_addrs() {
  local n=$1 cid=$2 id=$3 out
  out=$(KUBO_CMD_TIMEOUT=15 kubo "$n" routing findprovs -v "$cid") || return 1
  python3 - "$out" "$id" <<'P'
import sys
lines, pid = sys.argv[1].splitlines(), sys.argv[2]
# -v prints "TIME: provider: ID", then its addresses tab-indented.
idx = [i for i, l in enumerate(lines) if l.endswith("provider: " + pid)]
if not idx:
    sys.exit(1)
for l in lines[idx[0] + 1:]:
    if not l.startswith("\t"):
        break
    print(l.strip())
P
}

# kubo_wait_resolve N NAME WANT [SECS] — poll `name resolve` on node N until
# NAME resolves to WANT (e.g. /ipfs/CID); the cache is bypassed.
kubo_wait_resolve() {
  local n=$1 name=$2 want=$3 secs=${4:-30} end got=
  end=$((SECONDS + secs))
  while [ $SECONDS -lt $end ]; do
    got=$(KUBO_CMD_TIMEOUT=15 kubo "$n" name resolve --nocache --dht-timeout=10s "$name" 2>/dev/null) &&
      [ "$got" = "$want" ] && return 0
    sleep 0.5
  done
  echo "kubo $n: name resolve $name gave '$got', want '$want' after ${secs}s" >&2
  return 1
}
