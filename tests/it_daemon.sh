#!/bin/bash
# it_daemon.sh — the daemon's start-up failures and its shutdown, with the
# real binary on 127.0.0.1:
#   - the gateway's (or the API's) port already taken: one line
#     "trove: daemon: ..." on stderr, a non-zero exit that is not a crash
#     (was: a segfault, the server freed while libuv held its handle), and
#     no api file or api.sock left behind;
#   - --repo on a directory with no repo, or no directory: "no repo ...
#     run 'trove init'", and nothing created there (was: "another daemon is
#     running ... already exists" and a daemon.lock left behind);
#   - a malformed timeout setting is refused at start-up;
#   - daemon --init makes a repo (with --init-profile) only where there is
#     none; log level changes the running daemon's level;
#   - SIGTERM stops a daemon that has stalled clients: a slowloris header,
#     an HTTP/1.1 download that is never read, HTTP/2 streams whose window
#     is never opened, an upload that stopped sending.
if [ -z "${IT_DAEMON_TIMED:-}" ]; then
  IT_DAEMON_TIMED=1 exec timeout -k 5 120 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
DPID=""
PYPID=""
cleanup() {
  local rc=$?
  [ -n "$PYPID" ] && kill "$PYPID" 2>/dev/null
  [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

# expect_start_fail WANT_SUBSTRING CMD...: the daemon must refuse to start
# with one "trove: " line on stderr and a status that is not a signal's.
expect_start_fail() {
  local want=$1 rc=0; shift
  "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
  [ $rc != 0 ] || fail "expected a failure: $*"
  [ $rc -lt 128 ] || fail "crashed with status $rc: $* ($(cat "$WORK/err"))"
  [ "$(wc -l <"$WORK/err")" = 1 ] || fail "not one line on stderr: $(cat "$WORK/err")"
  grep -q '^trove: daemon: ' "$WORK/err" || fail "not 'trove: daemon: ...': $(cat "$WORK/err")"
  grep -q -- "$want" "$WORK/err" || fail "expected '$want' in: $(cat "$WORK/err")"
}

t init >/dev/null

# ------------------------------------------------------ a port is taken
# A listener held by python for the length of each check.
python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$WORK/port" &
PYPID=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
TAKEN=$(cat "$WORK/port")
[ -n "$TAKEN" ] || fail "no port from python"
expect_start_fail "gateway: cannot listen on /ip4/127.0.0.1/tcp/$TAKEN: address already in use" \
  "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 --gateway=/ip4/127.0.0.1/tcp/$TAKEN
[ ! -e "$TROVE_PATH/api" ] || fail "api file left behind"
[ ! -e "$TROVE_PATH/api.sock" ] || fail "api.sock left behind"
expect_start_fail "API: cannot listen" \
  "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/$TAKEN --gateway=/ip4/127.0.0.1/tcp/0
expect_start_fail "not a TCP multiaddr" "$TROVE_BIN" daemon --gateway=/dns/x/tcp/1
kill $PYPID; wait $PYPID 2>/dev/null || true; PYPID=""
echo "ok port taken: one line, no crash, no api file"

# ------------------------------------------------------------ no repo
mkdir "$WORK/empty"
expect_start_fail "no repo at $WORK/empty (run 'trove init')" \
  "$TROVE_BIN" --repo "$WORK/empty" daemon
[ -z "$(ls -A "$WORK/empty")" ] || fail "left in an empty dir: $(ls -A "$WORK/empty")"
expect_start_fail "no repo at $WORK/nowhere" "$TROVE_BIN" --repo "$WORK/nowhere" daemon
[ ! -e "$WORK/nowhere" ] || fail "a missing repo dir was created"
echo "ok no repo: says so, leaves nothing"

# ---------------------------------------------------- bad timeout setting
cp "$TROVE_PATH/config" "$WORK/config.bak"
python3 - "$TROVE_PATH/config" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c.setdefault("Gateway", {})["SendTimeout"] = "soon"
json.dump(c, open(sys.argv[1], "w"))
EOF
expect_start_fail "Gateway.SendTimeout" "$TROVE_BIN" daemon \
  --api=/ip4/127.0.0.1/tcp/0 --gateway=/ip4/127.0.0.1/tcp/0
cp "$WORK/config.bak" "$TROVE_PATH/config"
echo "ok malformed duration refused"

# ------------------------------------------ SIGTERM with stalled clients
head -c $((24 << 20)) /dev/urandom >"$WORK/big.bin"
BIG=$(t add -Q "$WORK/big.bin")
start_daemon
python3 "$HERE/it_http_limits.py" stall "$GPORT" "$APORT" "/ipfs/$BIG" >"$WORK/stall.log" 2>&1 &
PYPID=$!
for _ in $(seq 100); do grep -q stalled "$WORK/stall.log" && break; sleep 0.1; done
grep -q stalled "$WORK/stall.log" || { cat "$WORK/stall.log"; fail "stall clients did not start"; }
kill -TERM $DPID
for _ in $(seq 100); do kill -0 $DPID 2>/dev/null || break; sleep 0.1; done
kill -0 $DPID 2>/dev/null && fail "SIGTERM did not stop a daemon with stalled clients"
rc=0; wait $DPID || rc=$?
DPID=""
[ $rc = 0 ] || { tail -5 "$WORK/daemon.log"; fail "daemon exited $rc after SIGTERM"; }
[ ! -e "$TROVE_PATH/api" ] || fail "api file left after a clean stop"
kill "$PYPID" 2>/dev/null; wait "$PYPID" 2>/dev/null || true
PYPID=""
echo "ok SIGTERM stops a daemon with stalled clients"

# ------------------------------------------ memory back after an upload
# An add's batches, queue and slabs go back to the system once its upload
# is gone: an idle daemon held ~35 MiB more anonymous memory after a
# 64 MiB add (malloc's arenas keep freed pages; rpc_upload.c trims them).
# (Not under ASan, whose quarantine keeps freed memory on purpose.)
if ! grep -qa __asan_init "$TROVE_BIN"; then
  head -c $((64 << 20)) /dev/urandom >"$WORK/64m.bin"
  start_daemon
  t add -Q "$WORK/64m.bin" >/dev/null
  for _ in $(seq 50); do
    anon=$(awk '/RssAnon/{print $2}' /proc/$DPID/status)
    [ "$anon" -lt $((16 << 10)) ] && break
    sleep 0.1
  done
  [ "$anon" -lt $((16 << 10)) ] || fail "idle daemon after a 64 MiB add: RssAnon $anon kB"
  kill -TERM $DPID; wait $DPID || true; DPID=""
  echo "ok an idle daemon gives an upload's memory back ($anon kB anonymous)"
fi

# ------------------------------------------ a second SIGTERM mid-shutdown
# `timeout` relays a SIGTERM to the process and to its group: the second
# one came while the daemon was shutting down and killed it (status 143).
# SIGTERMs keep coming for as long as the daemon lives: whichever arrive
# after the shutdown began must find the handler still there.
start_daemon
n=$(python3 -c '
import os, signal, sys, time
pid, n, end = int(sys.argv[1]), 0, time.time() + 10
try:
    while time.time() < end:
        os.kill(pid, signal.SIGTERM); n += 1
        time.sleep(0.0005)
        with open("/proc/%d/stat" % pid) as f:
            if f.read().split(") ")[1][0] == "Z":
                break
except (ProcessLookupError, FileNotFoundError):
    pass
print(n)' $DPID)
for _ in $(seq 100); do kill -0 $DPID 2>/dev/null || break; sleep 0.1; done
rc=0; wait $DPID || rc=$?
DPID=""
[ $rc = 0 ] || { tail -5 "$WORK/daemon.log"; fail "daemon exited $rc under repeated SIGTERMs ($n sent)"; }
echo "ok repeated SIGTERMs during the shutdown are ignored ($n sent)"

# --init (Kubo's, what containers run): a repo made with --init-profile
# when there is none, a repo kept when there is one; --init-profile alone
# is refused.
R=$WORK/initrepo
TROVE_PATH=$R timeout --foreground 20 "$TROVE_BIN" daemon --init --init-profile=test,lowpower \
  --api=/ip4/127.0.0.1/tcp/0 --gateway=/ip4/127.0.0.1/tcp/0 >"$WORK/init.log" 2>&1 &
IPID=$!
for _ in $(seq 100); do grep -q "Daemon is ready" "$WORK/init.log" && break; sleep 0.1; done
grep -q "Daemon is ready" "$WORK/init.log" || fail "daemon --init: $(cat "$WORK/init.log")"
ID1=$(TROVE_PATH=$R "$TROVE_BIN" config Identity.PeerID)
[ "$(TROVE_PATH=$R "$TROVE_BIN" config Swarm.ConnMgr.HighWater)" = 40 ] || fail "--init-profile lowpower not applied"
kill $IPID; wait $IPID || fail "daemon --init did not stop cleanly"
TROVE_PATH=$R timeout --foreground 20 "$TROVE_BIN" daemon --init --api=/ip4/127.0.0.1/tcp/0 \
  --gateway=/ip4/127.0.0.1/tcp/0 >"$WORK/init.log" 2>&1 &
IPID=$!
for _ in $(seq 100); do grep -q "Daemon is ready" "$WORK/init.log" && break; sleep 0.1; done
grep -q "Daemon is ready" "$WORK/init.log" || fail "daemon --init on a repo: $(cat "$WORK/init.log")"
[ "$(TROVE_PATH=$R "$TROVE_BIN" config Identity.PeerID)" = "$ID1" ] || fail "--init replaced the repo"
kill $IPID; wait $IPID || fail "daemon --init (repo kept) did not stop cleanly"
out=$(TROVE_PATH=$WORK/none "$TROVE_BIN" daemon --init-profile=test 2>&1) && fail "--init-profile alone ran"
case $out in *"needs --init"*) ;; *) fail "--init-profile without --init: $out" ;; esac
[ ! -e "$WORK/none" ] || fail "--init-profile alone made something"
echo "ok daemon --init makes a repo (with --init-profile) only when there is none"

# log level on the running daemon (Kubo's command on trove's one log):
# debug lines appear once it is set, and stop again at "default".
R=$WORK/logrepo
TROVE_PATH=$R "$TROVE_BIN" init >/dev/null
TROVE_PATH=$R "$TROVE_BIN" config --json Addresses.Swarm '[]' >/dev/null
TROVE_PATH=$R timeout --foreground 30 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
  --gateway=/ip4/127.0.0.1/tcp/0 >"$WORK/log.log" 2>&1 &
LPID=$!
for _ in $(seq 100); do grep -q "Daemon is ready" "$WORK/log.log" && break; sleep 0.1; done
lt() { TROVE_PATH=$R "$TROVE_BIN" "$@"; }
[ "$(lt log level)" = info ] || fail "log level: $(lt log level)"
[ "$(lt log level all debug)" = "Changed log level of '*' to 'debug'" ] || fail "log level all debug"
[ "$(lt log level trove)" = debug ] || fail "log level trove"
grep -q "Changed log level of '\*' to 'debug'" "$WORK/log.log" || fail "the change is not logged"
lt log level all default >/dev/null
[ "$(lt log level)" = info ] || fail "log level back to default"
out=$(lt log level nosuch info 2>&1) && fail "an unknown subsystem taken: $out"
lt log level all error >/dev/null
kill $LPID; wait $LPID || fail "the log level daemon did not stop cleanly"
grep -q "received signal" "$WORK/log.log" && fail "an INFO line logged at level error"
echo "ok log level shows and changes the running daemon's level"
