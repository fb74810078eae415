#!/bin/bash
# it_api_sock.sh — the daemon's API on <repo>/api.sock (node_daemon_sock),
# where trove's CLI talks to it, with the real binary:
#   - while the daemon runs the socket is there, a socket of mode 0600, and
#     the api file still names the TCP address (Kubo's clients read it);
#   - the API answers on it (curl --unix-socket), and refuses a web page's
#     Origin there as over TCP (403);
#   - the CLI's add goes over the socket (strace sees the connect) and
#     stores what a local add stores: the same CID, the bytes back by cat;
#   - another user cannot connect to it;
#   - SIGKILL leaves a stale socket: the CLI then works without a daemon,
#     and the next daemon starts and serves on a new socket;
#   - SIGTERM removes it; a repo path too long for a socket address gets
#     none, and the CLI uses the TCP API.
if [ -z "${IT_API_SOCK_TIMED:-}" ]; then
  IT_API_SOCK_TIMED=1 exec timeout -k 5 120 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || fail "strace missing (make deps)"
DPID=""
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null; rm -rf "$WORK"' EXIT
S=$TROVE_PATH/api.sock
api() { curl -s -o "$WORK/body" -w '%{http_code}' --unix-socket "$S" -X POST "$@"; }
# LeakSanitizer cannot run under ptrace: a sanitizer build's leak check is
# off for the commands strace watches (the other runs keep it).
traced() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f "$@"; }
stop_term() { kill "$DPID"; wait "$DPID" || fail "daemon exited with $? on SIGTERM"; DPID=""; }

t init >/dev/null
head -c $((3 << 20)) /dev/urandom >"$WORK/f.bin"
want=$(t add -Q -n "$WORK/f.bin")

# ----------------------------------------------------- while it runs
start_daemon
[ -S "$S" ] || fail "no socket at $S"
eq "$(stat -c %a "$S")" 600 "mode of api.sock"
grep -q "^/ip4/127.0.0.1/tcp/$APORT\$" "$TROVE_PATH/api" || fail "api file: $(cat "$TROVE_PATH/api")"
grep -q "RPC API server listening on /unix$S" "$WORK/daemon.log" || fail "socket not in the log"

eq "$(api http://127.0.0.1/api/v0/id)" 200 "id over the socket"
grep -q '"ID":"12D3KooW' "$WORK/body" || fail "id body: $(cat "$WORK/body")"
eq "$(api -H "Origin: http://evil.example" http://127.0.0.1/api/v0/version)" 403 "web page's Origin over the socket"

traced -o "$WORK/strace" -e trace=connect "$TROVE_BIN" add -Q "$WORK/f.bin" >"$WORK/cid"
eq "$(cat "$WORK/cid")" "$want" "CID of the add through the daemon"
grep -q "AF_UNIX, sun_path=\"$S\"}, [0-9]*) = 0" "$WORK/strace" || fail "the CLI did not use the socket: $(cat "$WORK/strace")"
t cat "$want" | cmp - "$WORK/f.bin" || fail "cat gave other bytes"

# Another user: the repo's directory and the socket's mode keep it out.
if [ "$(id -u)" = 0 ]; then
  chmod 0755 "$TROVE_PATH" "$WORK" # so only the socket's own mode is left
  if setpriv --reuid=65534 --regid=65534 --clear-groups \
     curl -s -o /dev/null --unix-socket "$S" -X POST http://127.0.0.1/api/v0/id; then
    fail "another user reached the API over the socket"
  fi
  chmod 0700 "$TROVE_PATH" "$WORK"
fi

# ---------------------------------------------- SIGKILL, then a restart
kill -9 "$DPID"; wait "$DPID" 2>/dev/null || true; DPID=""
[ -S "$S" ] || fail "expected a stale socket after SIGKILL"
t cat "$want" | cmp - "$WORK/f.bin" || fail "cat with a stale socket and no daemon"
start_daemon
[ -S "$S" ] || fail "no socket after a restart"
eq "$(api http://127.0.0.1/api/v0/id)" 200 "id after a restart"
stop_term
[ ! -e "$S" ] || fail "socket left behind after SIGTERM"
[ ! -e "$TROVE_PATH/api" ] || fail "api file left behind after SIGTERM"

# ------------------------------------------- a path too long for a socket
long=$WORK/$(printf 'd%.0s' $(seq 60))/$(printf 'e%.0s' $(seq 60))
mkdir -p "$long"
TROVE_PATH=$long/repo t init >/dev/null
TROVE_PATH=$long/repo start_daemon
[ ! -e "$long/repo/api.sock" ] || fail "a socket at a path too long for one"
grep -q "the path is too long for a socket" "$WORK/daemon.log" || fail "no word of the missing socket"
TROVE_PATH=$long/repo traced -o "$WORK/strace2" -e trace=connect "$TROVE_BIN" add -Q "$WORK/f.bin" >/dev/null
grep -q "AF_INET, sin_port=htons($APORT)" "$WORK/strace2" || fail "the CLI did not use TCP: $(cat "$WORK/strace2")"
stop_term
echo "ok"
