#!/bin/bash
# it_add_options.sh — `trove add`'s option matrix run twice, on the repo
# directly and through a running daemon's API, with the same CIDs, output,
# errors and exit status asked of both (regression: options were resolved
# twice and drifted - `add --profile unixfs-v0-2015 --hash identity` failed
# without a daemon and succeeded with one; `--cid-version=x` was 0).  Then
# the daemon's own resolution, with curl, for the cases the CLI refuses
# before sending.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }
PID=
cleanup() {
  local rc=$?
  [ -n "$PID" ] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
  [ -n "${KEEP:-}" ] && cp "$WORK"/local "$KEEP"; rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

t init >/dev/null
D=$WORK/data; mkdir -p "$D/tree/sub" "$D/tree/.dot"
head -c 300000 /dev/urandom >"$D/big.bin"
printf 'hello\n' >"$D/hello.txt"
printf 'a' >"$D/tree/a.txt"; printf 'b\n' >"$D/tree/sub/b.txt"
printf 'hidden' >"$D/tree/.dot/h.txt"; printf 'x' >"$D/tree/.x"
ln -s a.txt "$D/tree/link"

# One case per line: the options, then the paths (relative to $D).
CASES=$(cat <<'EOF'
| big.bin
--profile unixfs-v0-2015 | big.bin
--profile=legacy-cid-v0 | hello.txt
--profile unixfs-v0-2015 --hash identity | hello.txt
--profile unixfs-v0-2015 --cid-version 1 --hash identity | hello.txt
--profile nope | hello.txt
--hash identity | hello.txt
--hash=SHA2-256 | hello.txt
--hash md5-nope | hello.txt
--cid-version 0 | big.bin
--cid-version=0 --hash=identity | hello.txt
--cid-version=x | hello.txt
--cid-version= | hello.txt
--cid-version=7 | hello.txt
--cid-version=-1 | hello.txt
--cid-version 1 --raw-leaves=false | big.bin
--cid-version=0 --raw-leaves | big.bin
--raw-leaves=maybe | hello.txt
--chunker size-1000 | big.bin
-s size-4096 --max-file-links 3 | big.bin
--chunker=rabin-2048-4096-8192 | big.bin
--chunker buzhash | big.bin
--chunker bogus | big.bin
--max-file-links 1 | big.bin
--max-file-links=abc | big.bin
-r | tree
-r --hidden | tree
-rH -w | tree
-rw --cid-version=0 | tree
-w | hello.txt big.bin
| tree
-q | hello.txt big.bin
-Q -r | tree
--quieter=false -q -r | tree
--pin=false | hello.txt
--pin=false --pin-name=x | hello.txt
--pin-name=named | hello.txt
--pin=nope | hello.txt
--silent | hello.txt
--trickle | hello.txt
-t | hello.txt
--inline | hello.txt
--nocopy=false | hello.txt
--no-such-option | hello.txt
-Z | hello.txt
--chunker | 
EOF
)

# run_all OUT: every case, its exit status, stdout and stderr, into OUT.
run_all() {
  local out=$1 opts paths
  : >"$out"
  while IFS='|' read -r opts paths; do
    local args=() p
    read -r -a args <<<"$opts"
    local ps=()
    for p in $paths; do ps+=("$D/$p"); done
    local so se rc=0
    so=$(cd "$D" && timeout 60 "$TROVE_BIN" add "${args[@]}" "${ps[@]}" 2>"$WORK/err") || rc=$?
    se=$(sed "s|$D|D|g" "$WORK/err")
    { echo "== add ${opts% } |${paths}"; echo "rc=$rc"; echo "$so" | sed "s|$D|D|g"; echo "err: $se"; } >>"$out"
  done <<<"$CASES"
}

run_all "$WORK/local"
grep -q 'CIDv0 only supports sha2-256' "$WORK/local" || fail "legacy profile + identity hash not refused"
# Each error names what is wrong.
grep -A3 -- '--cid-version=x |' "$WORK/local" | grep 'option --cid-version: expected an integer, got "x"' >/dev/null \
  || fail "cid-version=x: $(grep -A3 -- '--cid-version=x |' "$WORK/local")"
grep -A3 -- '--cid-version=7 |' "$WORK/local" | grep 'out of range' >/dev/null || fail "cid-version=7 accepted"

"$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 --gateway=/ip4/127.0.0.1/tcp/0 \
  >"$WORK/daemon.log" 2>&1 &
PID=$!
for _ in $(seq 100); do [ -s "$TROVE_PATH/api" ] && break; sleep 0.05; done
[ -s "$TROVE_PATH/api" ] || fail "daemon did not start: $(cat "$WORK/daemon.log")"
API="http://127.0.0.1:$(sed 's|.*/tcp/||' "$TROVE_PATH/api")/api/v0"

run_all "$WORK/remote"
if ! diff -u "$WORK/local" "$WORK/remote"; then
  fail "add answers differently with and without a daemon"
fi
# The daemon did the remote adds: the named pin is there.
t pin ls --name named | grep ' recursive named$' >/dev/null || fail "pin-name through the daemon"

# The daemon resolves the same way when a client does not check first.
code() { curl -s -o "$WORK/body" -w '%{http_code}' -X POST -F "file=@$D/hello.txt" "$API/add?$1"; }
eq "$(code 'profile=unixfs-v0-2015&hash=identity')" 500 "api legacy+identity"
grep -q 'CIDv0 only supports sha2-256' "$WORK/body" || fail "api: $(cat "$WORK/body")"
eq "$(code 'cid-version=x')" 400 "api cid-version=x"
grep -q 'cid-version' "$WORK/body" || fail "api: $(cat "$WORK/body")"
eq "$(code 'cid-version=2')" 400 "api cid-version=2"
eq "$(code 'max-file-links=1')" 400 "api max-file-links=1"
eq "$(code 'raw-leaves=maybe')" 400 "api raw-leaves=maybe"
eq "$(code 'chunker=bogus')" 500 "api chunker=bogus"
eq "$(code 'pin=false&pin-name=x')" 500 "api pin-name without pin"
eq "$(code 'trickle=true')" 200 "api trickle"
eq "$(code 'profile=unixfs-v0-2015&cid-version=1&hash=identity')" 200 "api v0 profile, cid-version 1, identity"
echo ok
