#!/bin/bash
# it_passfd.sh — passed files (rpc/opts.h, RPC_UP_FD_TYPE) with the real
# binary: over the daemon's Unix socket the CLI's uploads send a regular
# file's descriptor instead of its bytes, and the daemon reads the file.
#   - /api/v0/passfd: true on the socket, false over TCP;
#   - add (one large file, a tree with an empty file, a symlink and files
#     across the daemon's 4 MiB slabs, stdin redirected from a file, other
#     chunkers), dag import and block put through the daemon give the CIDs
#     and bytes the local commands give, and strace sees the descriptors go
#     (sendmsg with SCM_RIGHTS) and no file byte (no sendfile);
#   - TROVE_PASS_FDS=0 sends the bytes again (sendfile), same CIDs;
#   - hostile clients of the socket (passfd_client.py): a passed-file part
#     without a descriptor, a pipe's, a directory's, a write-only one, a
#     part with a body besides, 20 descriptors at once, descriptors sent
#     with a request that takes none; each answered or cut off, nothing
#     stored, no descriptor left open in the daemon, and it serves on;
#   - over TCP such a part gets a 400 (no descriptor can come there).
if [ -z "${IT_PASSFD_TIMED:-}" ]; then
  IT_PASSFD_TIMED=1 exec timeout -k 5 180 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || fail "strace missing (make deps)"
checked_stop 20
S=$TROVE_PATH/api.sock
EVIL="python3 $(dirname "$0")/passfd_client.py"
# LeakSanitizer cannot run under ptrace (it_api_sock.sh).
traced() { ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f "$@"; }
local_t() { TROVE_OFFLINE=1 t "$@"; }
# Descriptors of the kinds the hostile clients pass (files of $WORK, the
# root directory, pipes): the daemon's sockets come and go with its peers.
nfds() { ls -l /proc/"$DPID"/fd | grep -cE -- "-> ($WORK/.*|/|pipe:.*)\$"; }

t init >/dev/null
F=$WORK/f.bin
head -c $((9 << 20)) /dev/urandom >"$F"
head -c 12345 /dev/urandom >>"$F" # not a whole number of slabs or leaves
mkdir -p "$WORK/tree/sub"
: >"$WORK/tree/empty"
echo hello >"$WORK/tree/a.txt"
head -c $((4 << 20)) /dev/urandom >"$WORK/tree/sub/slab.bin" # one slab exactly
head -c 5000000 /dev/urandom >"$WORK/tree/sub/b.bin"
ln -s a.txt "$WORK/tree/link"

# What the local commands give (before the daemon holds the repo).
want_f=$(local_t add -Q -n "$F")
want_tree=$(local_t add -r -Q -n "$WORK/tree")
want_rabin=$(local_t add -Q -n --chunker=rabin-16384-65536-131072 "$F")
want_small=$(local_t add -Q -n --chunker=size-1000 --raw-leaves=false "$F")
want_block=$(local_t block put "$WORK/tree/a.txt")
local_t add -Q -r "$WORK/tree" >/dev/null
local_t dag export "$want_tree" >"$WORK/tree.car"
local_t pin rm "$want_tree" >/dev/null
local_t repo gc >/dev/null 2>&1

start_daemon
api() { curl -s --unix-socket "$S" -X POST "http://127.0.0.1/api/v0/$1"; }
eq "$(api passfd)" '{"PassFd":true}' "passfd over the socket"
eq "$(curl -s -X POST "http://127.0.0.1:$APORT/api/v0/passfd")" '{"PassFd":false}' "passfd over TCP"

# ----------------------------------------------------------- the CLI
traced -o "$WORK/st1" -e trace=sendmsg,sendfile "$TROVE_BIN" add -Q "$F" >"$WORK/out"
eq "$(cat "$WORK/out")" "$want_f" "CID of a passed file"
grep -q "SCM_RIGHTS" "$WORK/st1" || fail "no descriptor went: $(cat "$WORK/st1")"
! grep -q "sendfile(" "$WORK/st1" || fail "file bytes went over the socket"
t cat "$want_f" | cmp - "$F" || fail "cat of the passed file"

traced -o "$WORK/st2" -e trace=sendmsg,sendfile "$TROVE_BIN" add -r -Q "$WORK/tree" >"$WORK/out"
eq "$(cat "$WORK/out")" "$want_tree" "CID of a tree of passed files"
eq "$(grep -c SCM_RIGHTS "$WORK/st2")" 4 "descriptors passed for the tree's 4 regular files"
t cat "$want_tree/sub/b.bin" | cmp - "$WORK/tree/sub/b.bin" || fail "cat of a file of the tree"
t cat "$want_tree/sub/slab.bin" | cmp - "$WORK/tree/sub/slab.bin" || fail "cat of the slab-sized file"
eq "$(t cat "$want_tree/empty" | wc -c)" 0 "the empty file"
eq "$(t add -r "$WORK/tree" | tr '\n' ' ')" "$(local_t add -r -n "$WORK/tree" | tr '\n' ' ')" "add's lines through the daemon"

eq "$(t add -Q <"$F")" "$want_f" "stdin redirected from a file"
eq "$(t add -Q --chunker=rabin-16384-65536-131072 "$F")" "$want_rabin" "rabin chunker"
eq "$(t add -Q --chunker=size-1000 --raw-leaves=false "$F")" "$want_small" "1000-byte dag-pb leaves"
eq "$(cat "$F" | t add -Q)" "$want_f" "stdin from a pipe (its bytes, not passed)"

traced -o "$WORK/st3" -e trace=sendmsg "$TROVE_BIN" dag import "$WORK/tree.car" >"$WORK/out"
grep -q "Pinned root.$want_tree.success" "$WORK/out" || fail "dag import: $(cat "$WORK/out")"
grep -q "SCM_RIGHTS" "$WORK/st3" || fail "dag import passed no descriptor"
eq "$(t block put "$WORK/tree/a.txt")" "$want_block" "block put"

TROVE_PASS_FDS=0 traced -o "$WORK/st4" -e trace=sendmsg,sendfile "$TROVE_BIN" add -Q "$F" >"$WORK/out"
eq "$(cat "$WORK/out")" "$want_f" "CID with TROVE_PASS_FDS=0"
grep -q "sendfile(" "$WORK/st4" || fail "TROVE_PASS_FDS=0 still passed the file"
! grep -q "SCM_RIGHTS" "$WORK/st4" || fail "TROVE_PASS_FDS=0 passed a descriptor"
ok "the CLI passes files, and the daemon reads them"

# ---------------------------------------------------- hostile clients
G=$WORK/g.bin # in no add: what a failed upload would store of it shows
head -c $(((1 << 20) + 7)) /dev/urandom >"$G"
want_g=$(local_t add -Q -n "$G")
blocks0=$(t refs local | wc -l)
fds0=$(nfds)
evil() { timeout 30 $EVIL "$S" "$@"; }
r=$(evil nofd); echo "$r" | head -1 | grep -q " 400 " || fail "nofd: $r"
echo "$r" | grep -q "no descriptor came" || fail "nofd message: $r"
r=$(evil pipe); echo "$r" | grep -q "not a regular file" || fail "pipe: $r"
r=$(evil dir); echo "$r" | grep -q "not a regular file" || fail "dir: $r"
r=$(evil wronly "$G"); echo "$r" | grep -q "reading a passed file" || fail "write-only: $r"
r=$(evil body "$G"); echo "$r" | grep -q "has a body" || fail "body: $r"
r=$(evil flood "$G"); eq "$r" closed "20 descriptors at once"
r=$(evil idle "$G"); echo "$r" | grep -q '"ID":"12D3KooW' || fail "id with a descriptor: $r"
eq "$(t refs local | wc -l)" "$blocks0" "blocks after the hostile clients"
r=$(evil ok "$G"); echo "$r" | grep -q "\"Hash\":\"$want_g\"" || fail "a well-formed passed file: $r"
for _ in $(seq 50); do [ "$(nfds)" = "$fds0" ] && break; sleep 0.1; done
eq "$(nfds)" "$fds0" "descriptors open in the daemon after the hostile clients"
eq "$(api passfd)" '{"PassFd":true}' "the daemon serves on"

# Over TCP no descriptor can come: such a part is refused.
printf -- '--b\r\nContent-Disposition: form-data; name="file"; filename="x"\r\nContent-Type: application/vnd.trove.passed-fd\r\n\r\n\r\n--b--\r\n' >"$WORK/body"
code=$(curl -s -o "$WORK/resp" -w '%{http_code}' -X POST -H "Content-Type: multipart/form-data; boundary=b" \
  --data-binary @"$WORK/body" "http://127.0.0.1:$APORT/api/v0/add")
eq "$code" 400 "a passed-file part over TCP"
grep -q "no descriptor came" "$WORK/resp" || fail "TCP message: $(cat "$WORK/resp")"
ok "hostile clients are answered or cut off, nothing stored, nothing leaked"
echo "ok"
