#!/bin/bash
# it_p2p_mount.sh — libp2p stream mounting (`p2p`, node/p2pmount.c)
# between two trove daemons, for what Kubo cannot show
# (interop/p2p_mount_kubo.sh has Kubo on one side):
#   1. a half-close carried both ways: the client sends 4 MiB and shuts
#      its side down, the server reads to EOF and then answers their
#      SHA-256, which comes back (Kubo closes both ways at the first end);
#   2. --report-peer-id: the target reads the forwarding peer's ID first;
#   3. backpressure: a target that reads nothing for 4 s while the client
#      pushes 64 MiB; neither daemon's RSS grows by the push (each holds at
#      most a window), and every byte arrives afterwards (SHA-256);
#   4. a stream whose target port is closed is reset; past the bound
#      (TROVE_P2P_STREAMS_MAX) connections are reset, the rest served;
#   5. a client's RST ends the stream on both sides; listeners are bounded;
#   6. both daemons stop cleanly (exit 0, no sanitizer report) with
#      listeners, forwards and a stream open.
if [ -z "${IT_P2PM_TIMED:-}" ]; then
  IT_P2PM_TIMED=1 exec timeout -k 5 150 bash "$0" "$@"
fi
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/dht_net_lib.sh
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $* (${SECONDS}s)"; }
dn_init
PIDS=()
trap 'rc=$?; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; dn_stop_all || rc=1; exit $rc' EXIT
TOOL="python3 tests/interop/lib/p2pm_tool.py"
port() { python3 tests/free_port.py "$DN_WORK/.ports"; }
rss() { awk '/^VmRSS/{print int($2/1024)}' "/proc/${DN_DPID[$1]}/status"; }

for n in 0 1; do
  dn_new $n && dn_tr $n config Routing.Type none >/dev/null &&
    dn_tr $n config --json Experimental.Libp2pStreamMounting true >/dev/null ||
    fail "init node $n"
done
TROVE_P2P_STREAMS_MAX=4 dn_start 0 || fail "node 0 did not start"
dn_start 1 || fail "node 1 did not start"
out=$(dn_tr 1 swarm connect "${DN_ADDR[0]}") || fail "connect: $out"

HC=$(port) SLOW=$(port) LINE=$(port) ECHO=$(port) DEAD=$(port)
mkdir -p "$DN_WORK/slow" "$DN_WORK/line"
$TOOL serve hcreply "$HC" & PIDS+=($!)
$TOOL serve slow "$SLOW" "$DN_WORK/slow" & PIDS+=($!)
$TOOL serve line "$LINE" "$DN_WORK/line" & PIDS+=($!)
$TOOL serve echo "$ECHO" & PIDS+=($!)
F_HC=$(port) F_SLOW=$(port) F_LINE=$(port) F_ECHO=$(port) F_DEAD=$(port)
listen() { dn_tr 0 p2p listen "$@" || fail "p2p listen $*"; }
forward() { dn_tr 1 p2p forward "$1" "/ip4/127.0.0.1/tcp/$2" "/p2p/${DN_ID[0]}" || fail "p2p forward $*"; }
listen /x/hc "/ip4/127.0.0.1/tcp/$HC"
listen /x/slow "/ip4/127.0.0.1/tcp/$SLOW"
listen -r /x/line "/ip4/127.0.0.1/tcp/$LINE"
listen /x/echo "/ip4/127.0.0.1/tcp/$ECHO"
listen /x/dead "/ip4/127.0.0.1/tcp/$DEAD"
forward /x/hc "$F_HC"; forward /x/slow "$F_SLOW"; forward /x/line "$F_LINE"
forward /x/echo "$F_ECHO"; forward /x/dead "$F_DEAD"
sleep 0.5 # the servers' listens

# 1. half-close, an answer after it
for _ in 1 2; do
  out=$($TOOL hc "$F_HC" $((4 << 20)))
  [ "$out" = ok ] || fail "half-close: $out"
done
ok "a half-close carried through; the answer after it came back"

# 2. --report-peer-id
out=$($TOOL probe "$F_LINE")
for _ in $(seq 50); do [ -s "$DN_WORK/line/line" ] && break; sleep 0.1; done
[ "$(cat "$DN_WORK/line/line")" = "${DN_ID[1]}" ] || fail "report-peer-id: $(cat "$DN_WORK/line/line")"
ok "--report-peer-id: the peer's ID first"

# 3. backpressure
r0=$(rss 0) r1=$(rss 1)
$TOOL sink "$F_SLOW" $((64 << 20)) >"$DN_WORK/push" & push=$!; PIDS+=($push)
sleep 3 # the target reads nothing for 4 s
g0=$(( $(rss 0) - r0 )) g1=$(( $(rss 1) - r1 ))
echo "RSS growth while the target does not read: node 0 ${g0} MiB, node 1 ${g1} MiB"
[ $g0 -lt 40 ] && [ $g1 -lt 40 ] || fail "a daemon buffered the push (${g0}, ${g1} MiB)"
wait $push || fail "the push failed"
want=$(sed 's/^sent //' "$DN_WORK/push")
for _ in $(seq 100); do [ -s "$DN_WORK/slow/1.sha" ] && break; sleep 0.1; done
[ "$(cat "$DN_WORK/slow/1.sha")" = "$want" ] || fail "the pushed bytes differ"
ok "backpressure: 64 MiB into a stalled target, memory bounded, bytes intact"

# 4. a closed target port; past the bound
for _ in 1 2 3; do
  out=$($TOOL probe "$F_DEAD")
  [ "$out" = eof ] || fail "a closed target port: $out"
done
$TOOL hold "$F_ECHO" 6 3 >"$DN_WORK/hold" & h=$!; PIDS+=($h)
for _ in $(seq 100); do [ -s "$DN_WORK/hold" ] && break; sleep 0.1; done
[ "$(cat "$DN_WORK/hold")" = 4 ] || fail "past the bound of 4: $(cat "$DN_WORK/hold") served"
[ "$(dn_tr 0 p2p stream ls | wc -l)" = 4 ] || fail "streams at the bound: $(dn_tr 0 p2p stream ls)"
wait $h
for _ in $(seq 50); do [ -z "$(dn_tr 0 p2p stream ls)" ] && break; sleep 0.1; done
[ -z "$(dn_tr 0 p2p stream ls)" ] || fail "streams left: $(dn_tr 0 p2p stream ls)"
ok "closed target ports and the bound: reset, nothing left"

# A reset carried: a client that leaves with an RST ends the stream on
# both daemons (the echo server's side is reset too).
out=$($TOOL rst "$F_ECHO")
[ "$out" = ok ] || fail "rst: $out"
for _ in $(seq 50); do
  [ -z "$(dn_tr 0 p2p stream ls)$(dn_tr 1 p2p stream ls)" ] && break
  sleep 0.1
done
[ -z "$(dn_tr 0 p2p stream ls)$(dn_tr 1 p2p stream ls)" ] || fail "a reset left streams"
ok "a client's reset ends the stream on both sides"

# The listeners' bound: listens until one is refused, with a reason.
i=0
while [ $i -lt 80 ]; do
  err=$(dn_tr 1 p2p listen /x/many$i "/ip4/127.0.0.1/tcp/$ECHO" 2>&1) || break
  i=$((i + 1))
done
[ $i -lt 80 ] || fail "80 listeners taken"
grep -q "too many" <<<"$err" || fail "listener $i refused: $err"
[ "$(dn_tr 1 p2p close -a)" = "Closed $((i + 5)) stream(s)" ] || fail "close -a after $i listeners"
ok "listeners are bounded ($i taken, then: ${err#*: })"
forward /x/echo "$F_ECHO"

# 5. stop with everything open
$TOOL hold "$F_ECHO" 1 30 >"$DN_WORK/hold_last" & PIDS+=($!)
for _ in $(seq 50); do [ -s "$DN_WORK/hold_last" ] && break; sleep 0.1; done
[ "$(cat "$DN_WORK/hold_last")" = 1 ] || fail "no stream held open for the stop"
# and a foreground listen's request open on each (its end at the stop)
dn_tr 0 p2p listen -f /x/fg0 "/ip4/127.0.0.1/tcp/$ECHO" >"$DN_WORK/fg0" 2>&1 & PIDS+=($!)
api() { sed -n 's|.*RPC API server listening on .* (\(http://[^)]*\)).*|\1|p' "$DN_WORK/n$1.log" | head -1; }
curl -s -N -m 60 -X POST "$(api 1)/p2p/forward?arg=/x/fg1&arg=/ip4/127.0.0.1/tcp/$(port)&arg=/p2p/${DN_ID[0]}&foreground=true" >"$DN_WORK/fg1" 2>&1 & PIDS+=($!)
for _ in $(seq 50); do [ -s "$DN_WORK/fg0" ] && [ -s "$DN_WORK/fg1" ] && break; sleep 0.1; done
grep -q "^Listening on /x/fg0, forwarding to /ip4/127.0.0.1/tcp/$ECHO, waiting for interrupt...$" "$DN_WORK/fg0" || fail "listen -f: $(cat "$DN_WORK/fg0")"
grep -q '^{"Status":"active","Protocol":"/x/fg1",' "$DN_WORK/fg1" || fail "forward -f: $(cat "$DN_WORK/fg1")"
DN_KEEP=1 dn_stop_all 2>"$DN_WORK/stop.err" || fail "a daemon did not stop cleanly: $(cat "$DN_WORK/stop.err")"
for n in 0 1; do
  grep -q "streams left at exit" "$DN_WORK/n$n.log" && fail "node $n: streams left at exit"
done
rm -rf "$DN_WORK"
ok "both daemons stopped cleanly with streams open"
