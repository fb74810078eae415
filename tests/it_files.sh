#!/bin/bash
# it_files.sh — add, cat, get, ls and refs end to end on a real repo and real
# files, in both import profiles: every file read back byte for byte (whole
# and in ranges), trees written back and compared with the originals
# (symlinks included, dot files left out as `add -r` leaves them), Kubo's
# output shapes, pins, --pin=false, -n, -w, stdin, errors; then hostile
# DAGs put as raw dag-pb blocks (links named "..", ".", "", "a/b", "/abs",
# in a directory and in a HAMT shard, and a duplicate name) that `get` must
# refuse without writing anything outside its output path.
source "$(dirname "$0")/lib.sh"
t init >/dev/null
cd "$WORK"

mkdir -p src/sub/deeper src/empty
head -c 3000000 /dev/urandom >src/big.bin      # 3 v1 chunks, 12 v0 chunks
head -c 262145 /dev/urandom >src/sub/v0edge     # one byte over a v0 chunk
: >src/zero
printf 'hello\n' >src/sub/hello.txt
printf 'unicode\n' >"src/sub/é 日本"
printf 'deep\n' >src/sub/deeper/d.txt
ln -s hello.txt src/sub/link
ln -s /absolute/nowhere src/dangling
echo hidden >src/.dot

for p in unixfs-v1-2025 unixfs-v0-2015; do
  out=$(t add -r --profile $p src)
  # files first in walk order, then directories children first, like Kubo
  eq "$(echo "$out" | cut -d' ' -f3- | tr '\n' ' ')" \
    "src/big.bin src/dangling src/sub/deeper/d.txt src/sub/hello.txt src/sub/link src/sub/v0edge src/sub/é 日本 src/zero src/empty src/sub/deeper src/sub src " "add order ($p)"
  root=$(echo "$out" | tail -1 | awk '{print $2}')
  [ "$p" = unixfs-v0-2015 ] && [[ "$root" != Qm* ]] && fail "v0 root $root"
  [ "$p" = unixfs-v1-2025 ] && [[ "$root" != bafybei* ]] && fail "v1 root $root"
  eq "$(t add -Q -r --profile $p src)" "$root" "-Q"
  eq "$(t add -q -r --profile $p src | tail -1)" "$root" "-q"
  eq "$(t add -n -Q -r --profile $p src)" "$root" "-n"

  # cat: whole files, ranges, paths with unicode and spaces
  t cat "$root/big.bin" | cmp - src/big.bin || fail "cat big ($p)"
  t cat "/ipfs/$root/sub/v0edge" | cmp - src/sub/v0edge || fail "cat v0edge"
  eq "$(t cat "$root/zero" | wc -c)" 0
  t cat "$root/sub/é 日本" | cmp - "src/sub/é 日本" || fail "cat unicode"
  t cat -o 1000000 -l 1500000 "$root/big.bin" |
    cmp - <(tail -c +1000001 src/big.bin | head -c 1500000) || fail "range"
  t cat --offset=2999990 "$root/big.bin" | cmp - <(tail -c 10 src/big.bin) ||
    fail "tail range"
  eq "$(t cat --offset=5000000 "$root/big.bin" | wc -c)" 0
  t cat --length=1 "$root/sub/hello.txt" | cmp - <(printf h) || fail "length"
  # Native URIs as paths (Kubo 0.43): ipfs://CID/path, ipfs:CID, any case.
  t cat "ipfs://$root/sub/hello.txt" | cmp - src/sub/hello.txt || fail "cat ipfs://"
  t cat "IPFS:$root/sub/hello.txt" | cmp - src/sub/hello.txt || fail "cat IPFS:"
  eq "$(t get "ipfs://$root/sub/hello.txt" -o "u-$p.txt")" "Saving file(s) to u-$p.txt"
  t pin add "ipfs://$root" >/dev/null || fail "pin add ipfs://"

  # get: the tree, one file, one symlink
  t get "$root" -o "out-$p" >/dev/null
  diff -r --no-dereference --exclude=.dot src "out-$p" || fail "get tree ($p)"
  [ -e "out-$p/.dot" ] && fail "dot file was added"
  eq "$(readlink "out-$p/sub/link")" hello.txt
  eq "$(readlink "out-$p/dangling")" /absolute/nowhere
  [ -d "out-$p/empty" ] || fail "empty dir lost"
  eq "$(t get "$root/sub/hello.txt" -o "h-$p.txt")" "Saving file(s) to h-$p.txt"
  cmp "h-$p.txt" src/sub/hello.txt || fail "get file"
  t get "$root/sub/link" -o "l-$p" >/dev/null
  eq "$(readlink "l-$p")" hello.txt
  (cd "out-$p" && t get "$root/sub/deeper" >/dev/null && [ -f deeper/d.txt ]) ||
    fail "get with the default name"

  # ls: <cid> <size> <name>, directories with '-' and a trailing '/'
  ls_out=$(t ls "$root/sub")
  grep -Eq "^[a-zA-Z0-9]+ +- +deeper/$" <<<"$ls_out" || fail "ls dir: $ls_out"
  grep -Eq "^[a-zA-Z0-9]+ +6 +hello.txt$" <<<"$ls_out" || fail "ls file: $ls_out"
  grep -Eq "^[a-zA-Z0-9]+ +9 +link$" <<<"$ls_out" || fail "ls symlink: $ls_out"
  grep -Eq " 262145 +v0edge$" <<<"$ls_out" || fail "ls size: $ls_out"
  eq "$(echo "$ls_out" | wc -l)" 5
  eq "$(t ls -v "$root/sub" | head -1 | awk '{print $1, $2, $3}')" "Hash Size Name"
  hello_cid=$(echo "$ls_out" | awk '$3 == "hello.txt" {print $1}')
  eq "$hello_cid" "$(t add -Q --profile $p src/sub/hello.txt)" "ls cid"

  # refs: direct children, the whole DAG, each once with --unique
  eq "$(t refs "$root" | wc -l)" 5
  all=$(t refs -r "$root" | wc -l)
  uniq=$(t refs -r --unique "$root" | wc -l)
  [ "$uniq" -le "$all" ] && [ "$uniq" -ge 10 ] || fail "refs -r $all/$uniq"
  for c in $(t refs -r --unique "$root"); do t block stat "$c" >/dev/null; done
  t pin ls --type=recursive | grep "^$root " >/dev/null || fail "not pinned: $root"
done

# --hidden, -w, stdin, --pin=false, -n
eq "$(t add -r -q --hidden src | grep -c .)" 13
hr=$(t add -Q -r --hidden src)
eq "$(t cat "$hr/.dot")" hidden
w=$(t add -Q -w src/sub/hello.txt src/big.bin)
t cat "$w/hello.txt" | cmp - src/sub/hello.txt || fail "-w"
eq "$(t ls "$w" | awk '{print $3}' | tr '\n' ' ')" "big.bin hello.txt "
eq "$(printf 'hello world' | t add -Q --profile unixfs-v0-2015)" \
  Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD
eq "$(printf 'hello world' | t add)" \
  "added bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
before=$(t refs local | wc -l)
head -c 100000 /dev/urandom >nohash.bin
nh=$(t add -n -Q nohash.bin)
eq "$(t refs local | wc -l)" "$before" "-n stored blocks"
expect_fail t cat "$nh"
np=$(t add -Q --pin=false nohash.bin)
eq "$np" "$nh"
t cat "$np" | cmp - nohash.bin || fail "--pin=false content"
t pin ls | grep "$np" >/dev/null && fail "--pin=false pinned"
t repo gc >/dev/null 2>&1
expect_fail t cat "$np"

# errors
root=$(t add -Q -r src)
expect_fail t cat "$root"
expect_fail t cat "$root/nope"
expect_fail t cat "$root/big.bin/x"
expect_fail t add src
expect_fail t add does-not-exist
expect_fail t add --chunker=size-0 src/zero
expect_fail t add --cid-version=0 --hash=identity src/zero
mkdir exists
expect_fail t get "$root" -o exists

# ------------------------------------------------------- hostile DAGs
# A directory linking the empty file under a hostile name (and "ok").
empty=$(printf '\x0a\x04\x08\x02\x18\x00' | t block put --format v0)
eq "$empty" QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH
dagpb() { # dagpb TYPE NAME... : a UnixFS TYPE node linking $empty by NAMEs
  python3 - "$@" <<'PY'
import sys, hashlib
def vi(n):
    o = b''
    while n >= 0x80: o += bytes([n & 0x7f | 0x80]); n >>= 7
    return o + bytes([n])
def ld(tag, b): return bytes([tag]) + vi(len(b)) + b
child = bytes([0x12, 0x20]) + hashlib.sha256(bytes.fromhex('0a0408021800')).digest()
kind, names = sys.argv[1], sys.argv[2:]
links = b''.join(ld(0x12, ld(0x0a, child) + ld(0x12, n.encode()) + b'\x18\x06')
                 for n in names)
data = b'\x08\x01' if kind == 'dir' else b'\x08\x05\x12\x01\x01\x28\x22\x30\x80\x02'
sys.stdout.buffer.write(links + ld(0x0a, data))
PY
}
n=0
for bad in .. . "" "a/b" "/tmp/trove-escape" "../escape"; do
  for kind in dir hamt; do
    n=$((n + 1))
    names=(ok "$bad")
    [ $kind = hamt ] && names=("00ok" "00$bad")
    cid=$(dagpb $kind "${names[@]}" | t block put --format v0)
    mkdir "h$n"
    err=$(cd "h$n" && t get "$cid" -o out 2>&1 >/dev/null) &&
      fail "get accepted the name '$bad' ($kind)"
    # "00" alone names a child shard in a HAMT: malformed, not unsafe
    [[ "$err" == *"unsafe name"* ]] ||
      { [ "$kind$bad" = hamt ] && [[ "$err" == *"malformed UnixFS"* ]]; } ||
      fail "unclear error for '$bad': $err"
    eq "$(ls -A "h$n")" out "nothing but the output path ($kind '$bad')"
    [ -z "$(ls -A "h$n/out" | grep -v '^ok$')" ] || fail "wrote '$bad'"
  done
done
[ -e /tmp/trove-escape ] || [ -e "$WORK/escape" ] && fail "escaped"
# the same name twice: the second one must not replace or follow the first
cid=$(dagpb dir same same | t block put --format v0)
expect_fail t get "$cid" -o dup

# cat into a pipe splices the map's pages (cli/pipe_out.c); the last
# pipe-size bytes must be copies, so that bytes still in the pipe when cat
# has exited stay the file's even after GC frees its pages and new writes
# reuse them (caught: a variant that splices the last leaf but one
# delivered the new bytes).  The reader takes all but the last ~1 MiB,
# waits for cat to exit and for the GC and the adds, then reads the rest.
head -c $((15 << 19)) /dev/urandom >reuse.bin   # 7.5 MiB: 7 leaves + 512 KiB
rcid=$(t add -Q reuse.bin)
mkfifo reuse.fifo
{ dd bs=64K count=$(((13 << 19) / 65536 + 1)) iflag=fullblock status=none >r1
  for _ in $(seq 600); do [ -e reuse.go ] && break; sleep 0.05; done
  cat >r2; } <reuse.fifo &
rpid=$!
timeout 60 "$TROVE_BIN" cat "$rcid" >reuse.fifo || fail "cat into the fifo"
t pin rm "$rcid" >/dev/null
t repo gc -q
for i in 1 2 3; do head -c $((8 << 20)) /dev/urandom | t add -Q >/dev/null; done
touch reuse.go
wait $rpid
cat r1 r2 | cmp - reuse.bin || fail "bytes in the pipe changed after cat"
echo "it_files: ok"
