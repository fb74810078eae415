# bench/lib/daemon.sh — sourced by the gateway benchmarks (gateway.sh,
# gateway_ab.sh); not a benchmark itself (bench/run.sh runs bench/*.sh).
#
# daemon_start BIN REPO LOG THREADS: `BIN daemon` on the repo REPO with
# Gateway.Threads THREADS (0: a loop per core), gateway and API on
# 127.0.0.1 at ports the kernel picks, its output in LOG.  Sets DPID (its
# PID, for the caller to stop) and GWPORT; exits the script, with the
# log on stderr, when the daemon does not come up in 10 s.
daemon_start() {
  TROVE_PATH=$2 TROVE_GATEWAY_THREADS=$4 "$1" daemon \
    --gateway=/ip4/127.0.0.1/tcp/0 --api=/ip4/127.0.0.1/tcp/0 >"$3" 2>&1 &
  DPID=$!
  for _ in $(seq 100); do
    grep -q "Daemon is ready" "$3" && break
    sleep 0.1
  done
  GWPORT=$(sed -n 's#.*Gateway server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$3")
  [ -n "$GWPORT" ] || { cat "$3" >&2; exit 1; }
}
