# bsw_net_lib.sh — source me.  trove daemons for the bitswap network tests
# (tests/it_bitswap_multi.sh, it_bitswap_stream.sh, bench/bitswap.sh):
# providers each in a network namespace of its own behind a veth pair whose
# provider side is throttled with a tbf qdisc (so each provider's upload is
# its own link at its own rate), and fetching nodes in the root namespace.
#
#   source tests/bsw_net_lib.sh
#   bn_need_netns || exit 0   # prints "skip: ..." when not root / no netns
#   bn_init                   # $BN_WORK (in $BN_TMPDIR, default /tmp),
#                             # trap bn_cleanup EXIT
#   bn_provider 1 40mbit      # ns + veth + tbf + repo + daemon (ready)
#   bn_tr 1 add -Q FILE       # trove ARGS against node 1 (in its ns)
#   bn_local f                # a daemon in the root ns, 127.0.0.1
#   bn_tr f swarm connect "${BN_ADDR[1]}"
#   bn_tx 1                   # bytes node 1's link has sent
#   bn_kill 1                 # SIGKILL node 1's daemon
#
# Per node N: BN_ID[N], BN_ADDR[N] (/ip4/A/tcp/4001/p2p/ID), BN_DPID[N]
# (the daemon itself), BN_GW[N] and BN_API[N] (http://..., reachable from
# the root namespace only for root-namespace nodes), BN_NS[N] (its
# namespace, empty in the root one).  bn_cleanup kills only the daemons
# started here (SIGTERM, then SIGKILL after 10 s), deletes the namespaces
# (and with them the veth pairs), fails when a log holds a sanitizer
# report, and removes $BN_WORK unless BN_KEEP=1.
# Names carry this shell's PID, so that two runs do not collide; the
# provider links use 10.X.N.0/24 with X from the PID.
BN_TROVE=${TROVE_BIN:-$PWD/bin/trove}
BN_WORK=
BN_NET=10.$(( $$ % 150 + 100 ))
declare -A BN_ID=() BN_ADDR=() BN_DPID=() BN_TPID=() BN_GW=() BN_API=() BN_NS=() BN_DEV=()
BN_NSES=()

# bn_need_netns — 0 when this shell may create namespaces and qdiscs.
bn_need_netns() {
  if [ "$(id -u)" != 0 ]; then echo "skip: needs root (ip netns, tc)"; return 1; fi
  for x in ip tc; do
    command -v $x >/dev/null || { echo "skip: no $x"; return 1; }
  done
  local ns=tbsp$$
  if ! ip netns add $ns 2>/dev/null; then echo "skip: ip netns add refused"; return 1; fi
  ip netns del $ns
}

bn_init() {
  BN_WORK=$(mktemp -d "${BN_TMPDIR:-/tmp}/trove-bsw.XXXXXX")
  trap bn_cleanup EXIT
}

# bn_tr N ARGS... — trove ARGS against node N's repo, inside its namespace.
bn_tr() {
  local n=$1; shift
  if [ -n "${BN_NS[$n]:-}" ]; then
    TROVE_PATH=$BN_WORK/$n timeout "${BN_CMD_TIMEOUT:-120}" ip netns exec "${BN_NS[$n]}" "$BN_TROVE" "$@"
  else
    TROVE_PATH=$BN_WORK/$n timeout "${BN_CMD_TIMEOUT:-120}" "$BN_TROVE" "$@"
  fi
}

# bn_daemon N ADDR — start node N's daemon (swarm on ADDR:PORT); ready on
# return (<= 20 s).
bn_daemon() {
  local n=$1 ip=$2 port=$3 repo=$BN_WORK/$1 pid c
  bn_tr "$n" init >/dev/null || return 1
  bn_tr "$n" config --json Addresses.Swarm "[\"/ip4/$ip/tcp/$port\"]" >/dev/null
  bn_tr "$n" config --json Bootstrap '[]' >/dev/null
  local pre=()
  [ -n "${BN_NS[$n]:-}" ] && pre=(ip netns exec "${BN_NS[$n]}")
  TROVE_PATH=$repo "${pre[@]}" timeout --foreground "${BN_LIFETIME:-600}" "$BN_TROVE" daemon \
    --api=/ip4/127.0.0.1/tcp/0 --gateway=/ip4/127.0.0.1/tcp/0 >"$repo.log" 2>&1 &
  pid=$!
  # ip netns exec and timeout exec/fork: the daemon is timeout's child.
  for _ in $(seq 200); do
    c=$(cat /proc/$pid/task/*/children 2>/dev/null | tr ' ' '\n' | grep . | head -1 || true)
    [ -n "$c" ] && break
    sleep 0.01
  done
  BN_DPID[$n]=${c:-$pid}
  BN_TPID[$n]=$pid
  for _ in $(seq 400); do
    grep -q "Daemon is ready" "$repo.log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  grep -q "Daemon is ready" "$repo.log" || { echo "node $n did not start:" >&2; cat "$repo.log" >&2; return 1; }
  BN_ID[$n]=$(sed -n 's/.*peer identity: //p' "$repo.log")
  BN_ADDR[$n]=/ip4/$ip/tcp/$port/p2p/${BN_ID[$n]}
  BN_API[$n]=http://127.0.0.1:$(sed 's|.*/tcp/||' "$repo/api")/api/v0
  BN_GW[$n]=$(sed -n 's|.*Gateway server listening on .* (\(http://[^)]*\)/ipfs/)|\1|p' "$repo.log")
}

# bn_provider N RATE [DELAY] — node N in namespace tbs<pid>n<N>, reached
# from the root namespace at $BN_NET.N.2 through a veth pair; what it
# sends is shaped to RATE (tc tbf: "40mbit"; "none": unshaped), and
# delayed by DELAY (netem, e.g. "5ms") when given.
bn_provider() {
  local n=$1 rate=$2 delay=${3:-} ns=tbs$$n$1 host=tb$$h$1 peer=tb$$p$1
  ip netns add "$ns" || return 1
  BN_NSES+=("$ns")
  BN_NS[$n]=$ns
  BN_DEV[$n]=$peer
  ip link add "$host" type veth peer name "$peer" || return 1
  ip link set "$peer" netns "$ns"
  ip addr add "$BN_NET.$n.1/24" dev "$host"
  ip link set "$host" up
  ip netns exec "$ns" ip addr add "$BN_NET.$n.2/24" dev "$peer"
  ip netns exec "$ns" ip link set "$peer" up
  ip netns exec "$ns" ip link set lo up
  if [ -n "$delay" ]; then
    ip netns exec "$ns" tc qdisc add dev "$peer" root handle 1: netem delay "$delay" limit 10000
    [ "$rate" = none ] || ip netns exec "$ns" tc qdisc add dev "$peer" parent 1:1 handle 10: \
      tbf rate "$rate" burst 64kb latency 200ms
  elif [ "$rate" != none ]; then
    ip netns exec "$ns" tc qdisc add dev "$peer" root tbf rate "$rate" burst 64kb latency 200ms
  fi
  bn_daemon "$n" "$BN_NET.$n.2" 4001
}

# bn_local N — node N in the root namespace on a free port of 127.0.0.1.
bn_local() {
  local p
  p=$(python3 "$(dirname "${BASH_SOURCE[0]}")/free_port.py" "${BN_WORK:+$BN_WORK/.ports}")
  bn_daemon "$1" 127.0.0.1 "$p"
}

# bn_tx N — bytes node N's link has sent (its side of the veth).
bn_tx() {
  ip netns exec "${BN_NS[$1]}" cat "/sys/class/net/${BN_DEV[$1]}/statistics/tx_bytes"
}

# bn_hwm N — node N's daemon's peak RSS (VmHWM), KiB.
bn_hwm() { awk '/^VmHWM/ {print $2}' "/proc/${BN_DPID[$1]}/status"; }

bn_kill() {
  kill -9 "${BN_DPID[$1]}" 2>/dev/null || true
  wait "${BN_TPID[$1]}" 2>/dev/null || true
  unset "BN_TPID[$1]"
}

# bn_stop N — SIGTERM node N, wait for it (10 s, then SIGKILL).
bn_stop() {
  local n=$1
  [ -n "${BN_TPID[$n]:-}" ] || return 0
  kill "${BN_DPID[$n]}" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "${BN_DPID[$n]}" 2>/dev/null || break; sleep 0.1; done
  kill -9 "${BN_DPID[$n]}" 2>/dev/null || true
  wait "${BN_TPID[$n]}" 2>/dev/null || true
  unset "BN_TPID[$n]"
}

bn_cleanup() {
  local rc=$? n bad=0
  for n in "${!BN_TPID[@]}"; do kill "${BN_DPID[$n]}" 2>/dev/null || true; done
  for n in "${!BN_TPID[@]}"; do bn_stop "$n"; done
  for n in "${BN_NSES[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  if [ -n "$BN_WORK" ]; then
    for l in "$BN_WORK"/*.log; do
      [ -f "$l" ] || continue
      if grep -q -E 'Sanitizer|runtime error' "$l"; then
        echo "sanitizer report in $l:" >&2; cat "$l" >&2; bad=1
      fi
    done
    [ $rc = 0 ] || for l in "$BN_WORK"/*.log; do echo "--- $l" >&2; tail -n 15 "$l" >&2; done
    if [ "${BN_KEEP:-0}" = 1 ]; then echo "kept $BN_WORK" >&2; else rm -rf "$BN_WORK"; fi
  fi
  [ $bad = 0 ] || rc=1
  exit $rc
}
