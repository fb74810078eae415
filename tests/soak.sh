#!/bin/bash
# soak.sh — the soak test of the hardening issue (#8): one daemon on free
# 127.0.0.1 ports serves honest clients (gateway over HTTP/1.1 and h2, RPC
# add/cat/pin) for a phase alone (A), then for a phase beside attackers (B):
# slowloris, HTTP/2 zero-window and rapid reset, HAMT-bomb listings, range
# floods, gc storms with a slow upload.  tests/soak/soak.py runs the phases
# and prints A beside B (honest requests, failures, p50/p99, peak RSS, each
# attacker's figures, every failure with the attackers then running); this
# script fills the repo, starts and stops the daemon, and verifies the repo.
#
# Fails (exit 1) if any honest request failed, the daemon died or was killed
# at the RSS cap, SIGTERM did not stop it within 10 s, or `repo verify` /
# `pin verify` is not clean.  Latency is printed, never asserted.  Ends with
# "soak: ok" or "soak: FAIL" and the reasons.
#
# Standalone: TROVE_BIN=$PWD/bin/trove bash tests/soak.sh (make soak; make
# check runs it after the sanitizer tests).  About 3 minutes on 2 cores.
# Environment: SOAK_A_SECS (45), SOAK_B_SECS (75), SOAK_STAGGER (8),
# SOAK_ATTACKS (all: slowloris,range-flood,rapid-reset,zero-window,gc-storm,
# hamt-bomb), SOAK_RSS_CAP_MB (2048), SOAK_KEEP=1 keeps the work dir.
# Needs python3 (stdlib only) and curl.
if [ -z "${SOAK_TIMED:-}" ]; then
  SOAK_TIMED=1 exec timeout -k 10 600 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
set +e  # every step's failure is collected as a reason, not an exit
HERE=$(cd "$(dirname "$0")" && pwd)
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ in the tree
DPID="" REASONS=()
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
stop_daemon() { # SIGTERM, 10 s, then say so and SIGKILL
  [ -n "$DPID" ] || return 0
  local pid=$DPID rc; DPID=""
  if alive "$pid"; then
    kill "$pid"
    local i
    for i in $(seq 100); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      REASONS+=("daemon did not stop within 10 s of SIGTERM (shutdown hung)")
      kill -9 "$pid" 2>/dev/null
    else
      echo "soak: daemon stopped on SIGTERM within $((i / 10)).$((i % 10)) s"
    fi
  else
    echo "soak: daemon already gone: shutdown not tested"
  fi
  wait "$pid" 2>/dev/null
  rc=$?  # 137: killed, by the RSS cap or above, and said so already
  [ $rc = 0 ] || [ $rc = 137 ] || REASONS+=("daemon exited with status $rc")
}
cleanup() {
  stop_daemon
  if [ "${SOAK_KEEP:-0}" = 1 ]; then echo "soak: work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
for tool in curl python3; do
  command -v $tool >/dev/null || fail "$tool is missing (make deps)"
done
ulimit -n 4096 2>/dev/null || true

# ------------------------------------------------------------- the content
D=$WORK/data
mkdir -p "$D/sub"
head -c 1024 /dev/urandom >"$D/1k.bin"
head -c 1048576 /dev/urandom >"$D/1m.bin"
head -c 20000000 /dev/urandom >"$D/20m.bin"
for i in 1 2 3; do echo "sub file $i" >"$D/sub/f$i.txt"; done
t init >/dev/null || fail "init"
# One address is every client here: lift the gateway's per-address rate limit.
t config --json Gateway.RateLimit 0 || fail "config Gateway.RateLimit"
ROOT=$(t add -r -Q "$D") || fail "add -r"          # pinned recursively
SUB=$(t ls "$ROOT" | awk '$3 == "sub/" {print $1}')
BOMB=$(python3 "$HERE/soak/hamt_bomb.py" "$WORK/bomb.car") || fail "hamt_bomb.py"
t dag import "$WORK/bomb.car" >/dev/null || fail "dag import of the bomb"   # pinned
[ -n "$SUB" ] || fail "no sub directory in $ROOT"
cid_in_root() { t ls "$ROOT" | awk -v n="$1" '$3 == n {print $1}'; }

# ------------------------------------------------------------- the daemon
# Not through t(): $! must be the daemon itself, not a subshell.
"$TROVE_BIN" daemon --gateway=/ip4/127.0.0.1/tcp/0 --api=/ip4/127.0.0.1/tcp/0 \
  >"$WORK/daemon.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do
  grep -q "Daemon is ready" "$WORK/daemon.log" && break
  kill -0 $DPID 2>/dev/null || { cat "$WORK/daemon.log"; fail "daemon died"; }
  sleep 0.1
done
port_of() { sed -n "s#.*$1 server listening on /ip4/127.0.0.1/tcp/\\([0-9]*\\).*#\\1#p" "$WORK/daemon.log"; }
GW=$(port_of Gateway) API=$(port_of "RPC API")
[ -n "$GW" ] && [ -n "$API" ] || { cat "$WORK/daemon.log"; fail "no ports in the log"; }
echo "soak: daemon $DPID, gateway 127.0.0.1:$GW, API 127.0.0.1:$API, root $ROOT, bomb $BOMB"

python3 - "$WORK/manifest.json" "$D" "$GW" "$API" "$DPID" "$ROOT" "$SUB" "$BOMB" \
  "$(cid_in_root 1k.bin)" "$(cid_in_root 1m.bin)" "$(cid_in_root 20m.bin)" <<'EOF'
import hashlib, json, os, sys
out, data, gw, api, pid, root, sub, bomb = sys.argv[1:9]
files = {}
for key, cid in zip(["1k", "1m", "20m"], sys.argv[9:12]):
    with open(os.path.join(data, key + ".bin"), "rb") as fh:
        b = fh.read()
    files[key] = {"cid": cid, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
json.dump({"gw": int(gw), "api": int(api), "pid": int(pid), "root": root, "sub": sub,
           "bomb": bomb, "data": data, "files": files}, open(out, "w"))
EOF
[ $? = 0 ] || fail "manifest"

# ------------------------------------------------------------- the phases
mkdir -p "$WORK/out"
python3 "$HERE/soak/soak.py" "$WORK/manifest.json" "$WORK/out"
[ -s "$WORK/out/reasons" ] && mapfile -t -O ${#REASONS[@]} REASONS <"$WORK/out/reasons"
[ -f "$WORK/out/reasons" ] || REASONS+=("soak.py ended without a verdict")
for f in "$WORK"/out/attack-*.err; do
  [ -s "$f" ] && { echo "--- stderr of $(basename "$f" .err):"; tail -5 "$f"; }
done

# ------------------------------------------------- shutdown, then verify
stop_daemon
if grep -qiE "error|assert|sanitizer|fatal" "$WORK/daemon.log"; then
  echo "--- daemon log (errors):"; grep -iE "error|assert|sanitizer|fatal" "$WORK/daemon.log" | tail -10
fi
out=$(timeout 120 "$TROVE_BIN" repo verify 2>&1); rc=$?
echo "repo verify: $out" | tail -3
[ $rc = 0 ] && [[ "$out" == *"all intact"* ]] || REASONS+=("repo verify not clean (exit $rc): $(echo "$out" | tail -1)")
out=$(timeout 120 "$TROVE_BIN" pin verify 2>&1); rc=$?
echo "pin verify: exit $rc ${out:+$(echo "$out" | tail -3)}"
[ $rc = 0 ] || REASONS+=("pin verify not clean (exit $rc): $(echo "$out" | tail -1)")

if [ ${#REASONS[@]} = 0 ]; then
  echo "soak: ok"
  exit 0
fi
echo "soak: FAIL"
printf '  - %s\n' "${REASONS[@]}"
exit 1
