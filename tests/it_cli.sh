#!/bin/bash
# The CLI end to end on a real repo: init, identity, config, blocks, pins,
# GC and the error format.
source "$(dirname "$0")/lib.sh"
out=$(t init); grep -q "peer identity: 12D3KooW" <<<"$out" || fail "init: $out"
expect_fail t init                          # twice: refused
pid=$(t id | grep '"ID"' | cut -d'"' -f4)
[[ "$pid" == 12D3KooW* ]] || fail "id: $pid"
eq "$(t config Addresses.Gateway)" "/ip4/127.0.0.1/tcp/8080"
eq "$(t config Addresses.API)" "/ip4/127.0.0.1/tcp/5001"
t config Addresses.Gateway /ip4/127.0.0.1/tcp/8181
eq "$(t config Addresses.Gateway)" "/ip4/127.0.0.1/tcp/8181"
t config --json Swarm.ConnMgr.HighWater 96
eq "$(t config Swarm.ConnMgr.HighWater)" "96"
t config show | grep PrivKey >/dev/null && fail "config show leaks the private key"
expect_fail t config No.Such.Key

# Published CIDs: "hello\n" as raw CIDv1 (sha2-256), and as a v0 dag-pb
# block the empty UnixFS directory.
eq "$(echo hello | t block put)" bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am
eq "$(printf '\x0a\x02\x08\x01' | t block put --format v0)" QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn
eq "$(t block stat bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am | tail -1)" "Size: 6"
eq "$(t block get bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am)" hello
# The same bytes by v1 CID of the v0 block.
t block stat bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354 >/dev/null
expect_fail t block put --format v0 <<< "not dag-pb"
expect_fail t block get QmNotACid
expect_fail t block get bafkreiaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
expect_fail t block get bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzd

# multibase and cid commands need no repo (the vectors are Kubo's).
eq "$(printf hello | t multibase encode -b base16)" f68656c6c6f
eq "$(printf f68656c6c6f | t multibase decode)" hello
eq "$(printf 'bnbswy3dp\n' | t multibase transcode -b base58btc)" zCn8eVZg
eq "$(printf hello | t multibase encode -b 🚀)" "🚀😴✋🍀🍀😓"
expect_fail t multibase encode -b base8 /dev/null
expect_fail t multibase decode /dev/null
eq "$(t multibase list | wc -l)" 21
eq "$(t cid inspect QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n | sed -n 3p)" \
  "Multibase:  base58btc (implicit)"
expect_fail t cid inspect foo

# A two-level DAG built from blocks: a dag-pb node over two raw leaves.
a=$(printf 'leaf-a' | t block put); b=$(printf 'leaf-b' | t block put)
node() { # hex of a dag-pb node linking the given CIDs (via the test tool)
  python3 - "$@" <<'PY'
import sys,base64
def b32(s): s=s[1:].upper(); return base64.b32decode(s+'='*(-len(s)%8))
def v(n):
    o=b''
    while n>=0x80: o+=bytes([n&0x7f|0x80]); n>>=7
    return o+bytes([n])
out=b''
for c in sys.argv[1:]:
    h=b32(c); body=b'\x0a'+v(len(h))+h+b'\x12\x00\x18'+v(6)
    out+=b'\x12'+v(len(body))+body
out+=b'\x0a\x02\x08\x01'
sys.stdout.buffer.write(out)
PY
}
root=$(node "$a" "$b" | t block put --cid-codec dag-pb)
loose=$(printf 'loose' | t block put)
gone=$(printf 'gone' | t block put); t block rm -q "$gone"
partial=$(node "$a" "$gone" | t block put --cid-codec dag-pb)
err=$(t pin add "$partial" 2>&1) && fail "pinned an incomplete DAG"
[[ "$err" == *"block $gone is missing"* ]] || fail "missing block not named: $err"
t pin ls | grep "$partial" >/dev/null && fail "incomplete DAG got pinned"
t block rm -q "$partial"
eq "$(t pin add --name arch "$root")" "pinned $root recursively"
t pin ls --type=recursive | grep "^$root recursive$" >/dev/null || fail "pin ls recursive"
t pin ls --type=indirect | grep "^$a indirect$" >/dev/null || fail "pin ls indirect"
eq "$(t pin ls "$a")" "$a indirect through $root"
t pin ls --names | grep "$root recursive arch" >/dev/null || fail "names"
expect_fail t pin rm "$a"                    # indirect
expect_fail t pin rm --recursive=false "$root"
expect_fail t block rm "$a"                  # pinned via root
t pin verify >/dev/null
# A path below a pinned root names the block at that path, never the root:
# `pin rm ROOT/sub` unpinned ROOT (a GC then deleted the archive), and
# `block rm ROOT/sub` would have deleted ROOT.
mkdir -p "$WORK/pt/sub"; printf x >"$WORK/pt/sub/f"
pr=$(t add -Q -r "$WORK/pt")
err=$(t pin rm "$pr/sub" 2>&1) && fail "pin rm of a path inside a pin"
[[ "$err" == *"pinned indirectly"* ]] || fail "pin rm ROOT/sub said: $err"
t pin ls --type=recursive | grep -q "^$pr recursive" || fail "pin rm ROOT/sub unpinned ROOT"
[[ "$(t pin ls "$pr/sub/f")" == *" indirect through $pr" ]] || fail "pin ls of a path"
expect_fail t block rm "$pr/sub"
[ "$(t block stat "$pr/sub" | sed -n 's/^Key: //p')" != "$pr" ] || fail "block stat ROOT/sub"
eq "$(t pin add -r=false "$pr/sub/f" | awk '{print $1}')" pinned
t pin rm --recursive=false "$pr/sub/f" >/dev/null
t pin rm "$pr" >/dev/null
# pin update (Kubo's): the new DAG takes the old pin's place and name;
# refused from a CID not pinned recursively, or onto one that is; an
# incomplete new DAG changes nothing.
root2=$(node "$a" | t block put --cid-codec dag-pb)
eq "$(t pin update "$root" "$root2")" "updated $root to $root2"
t pin ls --names --type=recursive | grep -q "^$root2 recursive arch$" || fail "pin update: name"
t pin ls --type=recursive | grep -q "^$root " && fail "pin update: the old pin stayed"
expect_fail t pin update "$root" "$root2"
eq "$(t pin update --unpin=false "$root2" "$root")" "updated $root2 to $root"
expect_fail t pin update "$root2" "$root"
partial=$(node "$a" "$gone" | t block put --cid-codec dag-pb)
err=$(t pin update "$root" "$partial" 2>&1) && fail "pin update onto an incomplete DAG"
[[ "$err" == *"block $gone is missing"* ]] || fail "pin update: $err"
t pin ls --type=recursive | grep -q "^$partial " && fail "pin update pinned an incomplete DAG"
t block rm -q "$partial"
t pin rm "$root2" >/dev/null
out=$(t repo gc 2>/dev/null)
grep -q "removed $loose" <<<"$out" || fail "gc did not remove loose block: $out"
grep -q "$a" <<<"$out" && fail "gc removed a pinned leaf"
t block get "$a" >/dev/null
eq "$(t pin rm "$root")" "unpinned $root"
t repo gc -q
expect_fail t block get "$a"
eq "$(t repo stat | awk '/NumObjects/{print $2}')" 0   # nothing pinned: all collected
echo ok
