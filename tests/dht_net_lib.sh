# dht_net_lib.sh — source me.  A network of trove daemons on 127.0.0.1
# whose only routing is the LAN DHT (/ipfs/lan/kad/1.0.0, loopback
# addresses allowed: Routing.LoopbackAddressesOnLanDHT), for
# tests/it_dht_net.sh, bench/dht_provide.sh and bench/dht_sweep.sh.
#
#   source tests/dht_net_lib.sh
#   dn_init 30            # work dir $DN_WORK
#   trap dn_stop_all EXIT # or call it from the caller's own trap
#   dn_new 0; dn_start 0  # repo + config, then the daemon (ready on return)
#   dn_new 1 0; dn_start 1   # node 1 bootstraps from node 0
#   dn_chain 29           # or nodes 0..28, each from 1-3 before it
#   dn_tr 1 routing findprovs CID   # any trove command against node 1
#   dn_kill 1             # SIGKILL node 1's daemon
#
# Per node N: DN_ID[N] (peer ID), DN_ADDR[N] (/ip4/127.0.0.1/tcp/P/p2p/ID),
# DN_DPID[N] (the daemon), DN_TPID[N] (the `timeout` above it, which caps
# its life at DN_LIFETIME seconds, default 300), DN_ALIVE[N] (1 while it
# runs); repo $DN_WORK/nN, log $DN_WORK/nN.log.  dn_stop_all stops only
# the daemons started here, with SIGTERM (a sanitizer build then prints
# its leak report), returns 1 when a log holds a sanitizer report or a
# live daemon did not exit 0, and removes $DN_WORK unless DN_KEEP=1.
# Env: TROVE_BIN (default bin/trove).

source "$(dirname "${BASH_SOURCE[0]}")/stuck_lib.sh"
DN_TROVE=${TROVE_BIN:-$PWD/bin/trove}
DN_WORK=
declare -a DN_PORT=() DN_ID=() DN_ADDR=() DN_DPID=() DN_TPID=() DN_ALIVE=()

# dn_init N — the work dir for N nodes.  Each daemon listens on port 0
# and dn_start reads the port it got from its log: a port picked here and
# bound later could be taken meanwhile (any socket's ephemeral port), and
# a node that cannot listen is unreachable: the nodes that bootstrap only
# from it stay alone.
dn_init() {
  DN_WORK=$(mktemp -d /tmp/trove-dhtnet.XXXXXX)
}

# dn_tr N ARGS... — trove ARGS against node N (bounded: 60 s, or
# DN_CMD_TIMEOUT).
dn_tr() {
  local n=$1; shift
  TROVE_PATH=$DN_WORK/n$n timeout "${DN_CMD_TIMEOUT:-60}" "$DN_TROVE" "$@"
}

# dn_chain N — nodes 0..N-1, started one after another, each (but node 0)
# bootstrapping from 1-3 of those before it, picked at random from a
# fixed seed: the same topology every run.  1 when a node fails to start.
dn_chain() {
  local i nb boot
  RANDOM=7
  for i in $(seq 0 $(($1 - 1))); do
    boot=()
    if [ $i -gt 0 ]; then
      nb=$(( 1 + RANDOM % 3 ))
      [ $nb -gt $i ] && nb=$i
      mapfile -t boot < <(shuf -i 0-$((i - 1)) -n $nb --random-source=<(yes $i))
    fi
    dn_new $i "${boot[@]}" || return 1
    dn_start $i || return 1
  done
}

# dn_files DIR M TAG — M small files of distinct bytes in DIR (made here):
# M distinct CIDs to provide.
dn_files() {
  mkdir "$1"
  python3 - "$1" "$2" "$3" <<'P'
import os, sys
d, m, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for i in range(m):
    with open(os.path.join(d, "f%06d" % i), "w") as f:
        f.write("%s %d %s\n" % (tag, i, os.urandom(8).hex()))
P
}

# dn_new N [B...] — init node N's repo: swarm on its port, Bootstrap the
# nodes B... (started before it), the LAN DHT on loopback.
dn_new() {
  local n=$1 b boot=; shift
  dn_tr "$n" init >/dev/null || return 1
  DN_ID[$n]=$(dn_tr "$n" config Identity.PeerID) || return 1
  for b in "$@"; do boot+=${boot:+,}\"${DN_ADDR[$b]}\"; done
  dn_tr "$n" config --json Addresses.Swarm '["/ip4/127.0.0.1/tcp/0"]' >/dev/null &&
  dn_tr "$n" config --json Bootstrap "[$boot]" >/dev/null &&
  dn_tr "$n" config --json Routing.LoopbackAddressesOnLanDHT true >/dev/null
}

# dn_start N — start node N's daemon; 0 once it is ready (<= 10 s) and
# listening: DN_PORT[N] and DN_ADDR[N] are then set.
dn_start() {
  local n=$1 c=
  # --foreground, here and wherever a test caps a trove daemon's life
  # with timeout: without it, timeout passes a SIGTERM on to its process
  # group and then sends SIGCONT to both.  A sanitizer build that has
  # shut down by then is in LeakSanitizer's stop-the-world, whose tracer
  # has just PTRACE_ATTACHed (a SIGSTOP) the main thread; the SIGCONT
  # discards that SIGSTOP, the tracer waits for a stop that never comes
  # and the main thread spins waiting for the tracer (it_peering in CI:
  # "still runs 30 s after SIGTERM", state R; a SIGSTOP by hand freed it).
  TROVE_PATH=$DN_WORK/n$n timeout --foreground "${DN_LIFETIME:-300}" "$DN_TROVE" daemon \
    --api=/ip4/127.0.0.1/tcp/0 --gateway=/ip4/127.0.0.1/tcp/0 \
    >"$DN_WORK/n$n.log" 2>&1 &
  DN_TPID[$n]=$!
  # The daemon is timeout's child: SIGKILL and RSS want it, not timeout.
  for _ in $(seq 100); do
    c=$(cat "/proc/${DN_TPID[$n]}/task/${DN_TPID[$n]}/children" 2>/dev/null || true)
    [ -n "$c" ] && break
    sleep 0.01
  done
  [ -n "$c" ] || { echo "node $n: no daemon process" >&2; return 1; }
  DN_DPID[$n]=${c%% *}
  for _ in $(seq 1000); do
    grep -q "Daemon is ready" "$DN_WORK/n$n.log" && break
    kill -0 "${DN_DPID[$n]}" 2>/dev/null || break
    sleep 0.01
  done
  if ! grep -q "Daemon is ready" "$DN_WORK/n$n.log"; then
    echo "node $n did not start:" >&2; cat "$DN_WORK/n$n.log" >&2; return 1
  fi
  DN_PORT[$n]=$(sed -n 's|^Swarm listening on /ip4/127.0.0.1/tcp/\([0-9]*\)$|\1|p' \
    "$DN_WORK/n$n.log" | head -1)
  if [ -z "${DN_PORT[$n]}" ]; then
    echo "node $n does not listen:" >&2; cat "$DN_WORK/n$n.log" >&2
    DN_ALIVE[$n]=1; return 1
  fi
  DN_ADDR[$n]=/ip4/127.0.0.1/tcp/${DN_PORT[$n]}/p2p/${DN_ID[$n]}
  DN_ALIVE[$n]=1
}

# dn_kill N — SIGKILL node N's daemon (no shutdown at all).
dn_kill() {
  kill -9 "${DN_DPID[$1]}" 2>/dev/null || true
  wait "${DN_TPID[$1]}" 2>/dev/null || true
  DN_ALIVE[$1]=
}

# dn_lan_size N — the number of peers in node N's LAN routing table.
dn_lan_size() {
  dn_tr "$1" stats dht | sed -n 's/^DHT lan (\([0-9]*\) peers):/\1/p'
}

# dn_requests_out N — node N's LAN DHT messages sent so far (stats/dht's
# RequestsOut: requests and ADD_PROVIDERs).
dn_requests_out() {
  local api
  api=$(sed -n 's|.*RPC API server listening on .* (\(http://[^)]*\)).*|\1|p' \
    "$DN_WORK/n$1.log" | head -1)
  curl -sf -X POST "$api/stats/dht" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["lan"]["Stats"]["RequestsOut"])'
}

# dn_rss — one line: the live daemons' VmRSS (min, max, total) and the
# highest VmHWM, MiB.
dn_rss() {
  local n out=
  for n in "${!DN_ALIVE[@]}"; do
    [ -n "${DN_ALIVE[$n]}" ] || continue
    out+=$(awk '/^VmRSS/{r=$2} /^VmHWM/{h=$2} END{print r, h}' \
      "/proc/${DN_DPID[$n]}/status" 2>/dev/null)$'\n'
  done
  awk 'NF{n++; s+=$1; if(!mn||$1<mn)mn=$1; if($1>mx)mx=$1; if($2>hw)hw=$2}
       END{printf "RSS of %d daemons: min %.1f, max %.1f, total %.1f MiB; highest VmHWM %.1f MiB\n",
           n, mn/1024, mx/1024, s/1024, hw/1024}' <<<"$out"
}

# dn_stop_all — SIGTERM every daemon started here (through its timeout),
# wait for them, check their logs and exit statuses (see above).
dn_stop_all() {
  local n bad=0 rc
  for n in "${!DN_TPID[@]}"; do
    [ -n "${DN_ALIVE[$n]:-}" ] && kill "${DN_TPID[$n]}" 2>/dev/null || true
  done
  for n in "${!DN_TPID[@]}"; do
    [ -n "${DN_ALIVE[$n]:-}" ] || continue
    # Say which daemon does not stop, and where it waits, before the
    # caller's own timeout kills everything without a word.
    for _ in $(seq 300); do
      kill -0 "${DN_DPID[$n]}" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "${DN_DPID[$n]}" 2>/dev/null; then
      stuck_report "${DN_DPID[$n]}" "node $n still runs 30 s after SIGTERM"
      tail -n 20 "$DN_WORK/n$n.log" >&2
      bad=1
    fi
    rc=0
    wait "${DN_TPID[$n]}" 2>/dev/null || rc=$?
    if [ $rc != 0 ]; then
      echo "node $n exited with status $rc after SIGTERM" >&2; bad=1
    fi
  done
  DN_TPID=() DN_ALIVE=()
  if [ -n "$DN_WORK" ]; then
    for l in "$DN_WORK"/n*.log; do
      [ -f "$l" ] || continue
      if grep -q -E 'Sanitizer|runtime error' "$l"; then
        echo "sanitizer report in $l:" >&2; cat "$l" >&2; bad=1
      fi
    done
    if [ "${DN_KEEP:-0}" = 1 ]; then echo "kept $DN_WORK" >&2; else rm -rf "$DN_WORK"; fi
  fi
  return $bad
}
