#!/bin/bash
# it_mirror.sh — issue 13's acceptance test, on 127.0.0.1: an origin and
# three mirrors following its Pinning Service API (`trove mirror follow URL
# --token T`, Mirror.Follow.Interval 1s).
#  - 50 archives (40 small files, 6 files of 1-4 MiB, 2 nested directories,
#    2 HAMT-sharded directories of 2000 entries) pinned on the origin
#    through POST /pins appear pinned on every mirror (`mirror status`,
#    `pin ls`);
#  - a publisher's IPNS name (the origin's), followed by every mirror
#    (`mirror follow /ipns/NAME --keep 1`), moves to the new version after
#    `name publish`;
#  - the origin is killed (SIGKILL) and every archive is fetched through
#    each mirror's gateway and compared byte for byte (directories as
#    ?format=tar, extracted and diffed against the source tree);
#  - mirrors 1 and 2 stopped: a leaf of a 4 MiB file corrupted in mirror
#    1's data.mdb, a block of a HAMT directory removed from mirror 2
#    (damaged, then `repo verify --drop`); restarted with Mirror.Scrub.Rate
#    set, `mirror scrub start`: each scrubber finds its damage and fetches
#    the block again from the other mirrors (the origin is gone) with no
#    other step;
#  - at the end every CID is verified on every mirror: `pin verify`,
#    `repo verify` all intact, `refs -r` the same as the origin's.
# Daemons in temporary repos on free ports; the trap stops only the PIDs
# started here.
source "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || { echo "curl missing"; exit 1; }
trap nodes_cleanup EXIT
on() { local n=$1; shift; TROVE_PATH=$WORK/$n t "$@"; }
MIRRORS=(m1 m2 m3)
declare -A STARTS # daemon starts per node: each start logs to NODE.N.log

init() {
  local name=$1 repo=$WORK/$1
  printf -v "PORT_$name" '%s' "$(port)"
  local p=PORT_$name
  TROVE_PATH=$repo t init >/dev/null
  TROVE_PATH=$repo t config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/${!p}\"]" >/dev/null
  TROVE_PATH=$repo t config --json Bootstrap '[]' >/dev/null
  TROVE_PATH=$repo t config --json Routing.LoopbackAddressesOnLanDHT true >/dev/null
  TROVE_PATH=$repo t config Mirror.Follow.Interval 1s >/dev/null
}
# start NAME: its daemon; sets PID_NAME, API_NAME, GW_NAME, MA_NAME.
start() {
  local name=$1 repo=$WORK/$1 p=PORT_$1 cur
  STARTS[$1]=$(( ${STARTS[$1]:-0} + 1 ))
  cur=$WORK/$1.${STARTS[$1]}.log
  TROVE_PATH=$repo timeout --foreground 600 "$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 \
    --gateway=/ip4/127.0.0.1/tcp/0 >"$cur" 2>&1 &
  PIDS+=($!)
  printf -v "PID_$name" '%s' "$!"
  for _ in $(seq 400); do grep -q "Daemon is ready" "$cur" && break; sleep 0.05; done
  grep -q "Daemon is ready" "$cur" || fail "daemon $name did not start"
  printf -v "API_$name" '%s' "$(sed -n 's#.*RPC API server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$cur")"
  printf -v "GW_$name" '%s' "$(sed -n 's#.*Gateway server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$cur")"
  printf -v "MA_$name" '%s' "/ip4/127.0.0.1/tcp/${!p}/p2p/$(sed -n 's/.*peer identity: //p' "$cur" | tail -1)"
}
# field NODE ID NAME: a figure of `mirror status` for follow ID.
field() {
  on "$1" mirror status | awk -v id="follow $2" -v k="$3: " '
    $0 == id {f = 1; next} /^follow / {f = 0}
    f && index($0, k) == 1 {print substr($0, length(k) + 1)}'
}
# wait_field NODE ID NAME VALUE SECS: until it shows, SECS at most.
wait_field() {
  local end=$((SECONDS + $5))
  while [ $SECONDS -lt $end ]; do
    [ "$(field "$1" "$2" "$3")" = "$4" ] && return 0
    sleep 0.2
  done
  on "$1" mirror status >&2
  fail "$1: follow $2 $3 is not $4 after $5 s"
}
connect_all() { # every mirror up connected to the others
  local a b
  for a in "$@"; do for b in "$@"; do
    [[ "$a" < "$b" ]] || continue
    local ma=MA_$b
    on "$a" swarm connect "${!ma}" >/dev/null || fail "$a cannot connect to $b"
  done; done
}

init o
for m in "${MIRRORS[@]}"; do init $m; done
start o
for m in "${MIRRORS[@]}"; do start $m; done
TOK=$(on o mirror token add mirrors 2>/dev/null)
[[ "$TOK" == trove_* ]] || fail "no token: $TOK"
for m in "${MIRRORS[@]}"; do on $m swarm connect "$MA_o" >/dev/null; done
connect_all "${MIRRORS[@]}"
ok "origin and 3 mirrors up, connected"

# The 50 archives: KIND[i] is file or dir, SRC[i] its source.
S=$WORK/src
mkdir -p "$S"
SRC=()
for i in $(seq 0 39); do # small files, 1 byte to 200 KiB
  head -c $(( (RANDOM * 7 + i) % 204800 + 1 )) /dev/urandom >"$S/small$i"
  SRC+=("$S/small$i")
done
for k in 1 2 3 4 5 6; do # 1 to 4 MiB, not on a chunk boundary
  head -c $(( (k * 3 << 19) / 2 + 1048576 + k * 777 )) /dev/urandom >"$S/big$k"
  SRC+=("$S/big$k")
done
for d in 1 2; do # nested directories
  mkdir -p "$S/tree$d/sub/deeper"
  for f in $(seq 20); do echo "tree $d file $f $RANDOM" >"$S/tree$d/f$f"; done
  head -c 300000 /dev/urandom >"$S/tree$d/sub/mid.bin"
  head -c 1500000 /dev/urandom >"$S/tree$d/sub/deeper/large.bin"
  SRC+=("$S/tree$d")
done
for d in 1 2; do hamt_dir "$S/hamt$d" 2000; SRC+=("$S/hamt$d"); done
[ ${#SRC[@]} = 50 ] || fail "${#SRC[@]} archives"
CIDS=()
for s in "${SRC[@]}"; do
  if [ -d "$s" ]; then CIDS+=("$(on o add -Q -r --pin=false "$s")")
  else CIDS+=("$(on o add -Q --pin=false "$s")"); fi
done
for h in 48 49; do # the root's UnixFS type: 5, HAMTShard
  on o block get "${CIDS[$h]}" >"$WORK/root.blk"
  eq "$(python3 - "$WORK/root.blk" <<'PY'
import sys
b, i = open(sys.argv[1], 'rb').read(), 0
def varint():
    global i
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
        if c < 0x80: return v
while i < len(b):
    tag = varint(); n = varint()
    if tag == 0x0a: print(b[i + 1] if b[i] == 0x08 else -1); break
    i += n
PY
)" 5 "(archive $h's UnixFS type)"
done
ok "50 archives added on the origin (2 of them HAMT directories)"

B=http://127.0.0.1:$API_o
python3 - "$B" "$TOK" "${CIDS[@]}" <<'PY' || fail "POST /pins"
import json, sys, urllib.request
base, tok, cids = sys.argv[1], sys.argv[2], sys.argv[3:]
for i, c in enumerate(cids):
    body = json.dumps({"cid": c, "name": "archive-%d" % i}).encode()
    r = urllib.request.Request(base + "/pins", data=body, method="POST", headers={
        "Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    with urllib.request.urlopen(r) as f:
        assert f.status == 202, f.status
PY
for _ in $(seq 300); do
  n=$(curl -s -H "Authorization: Bearer $TOK" "$B/pins?status=pinned" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
  [ "$n" = 50 ] && break; sleep 0.1
done
[ "$n" = 50 ] || fail "origin: $n of 50 pinned"
# What every mirror must end up with: the origin's blocks of the 50.
on o refs -r -u "${CIDS[@]}" | sort -u >"$WORK/refs.want"
{ printf '%s\n' "${CIDS[@]}"; cat "$WORK/refs.want"; } | sort -u >"$WORK/blocks.want"
ok "50 archives pinned on the origin through POST /pins ($(wc -l <"$WORK/blocks.want") blocks)"

t0=$SECONDS
for m in "${MIRRORS[@]}"; do
  out=$(on $m mirror follow "$B" --token "$TOK")
  [[ "$out" == "following $B as 1 (psa)" ]] || fail "$m follow: $out"
done
for m in "${MIRRORS[@]}"; do
  wait_field $m 1 pinned 50 240
  eq "$(field $m 1 failed)" 0 "($m failed)"
  pins=$(on $m pin ls --type=recursive -q)
  for c in "${CIDS[@]}"; do grep -q "^$c\$" <<<"$pins" || fail "$m: $c not pinned"; done
done
ok "every archive pinned on every mirror ($((SECONDS - t0)) s)"

# The publisher's name (the origin's key) followed, then moved.
ID_o=${MA_o##*/}
head -c 600000 /dev/urandom >"$S/v1"; head -c 700000 /dev/urandom >"$S/v2"
V1=$(on o add -Q "$S/v1"); V2=$(on o add -Q "$S/v2")
on o name publish -Q "/ipfs/$V1" >/dev/null || fail "name publish"
for m in "${MIRRORS[@]}"; do
  on $m mirror follow "/ipns/$ID_o" --keep 1 | grep "as 2 (ipns)" >/dev/null || fail "$m: follow /ipns/"
done
for m in "${MIRRORS[@]}"; do wait_field $m 2 "version 0" "$V1" 60; done
on o name publish -Q "/ipfs/$V2" >/dev/null || fail "name publish 2"
for m in "${MIRRORS[@]}"; do on $m mirror sync 2 >/dev/null; done
for m in "${MIRRORS[@]}"; do
  wait_field $m 2 "version 0" "$V2" 60
  for _ in $(seq 100); do on $m pin ls --type=recursive -q | grep "^$V2\$" >/dev/null && break; sleep 0.1; done
  on $m pin ls --type=recursive -q | grep "^$V2\$" >/dev/null || fail "$m: new version not pinned"
done
ok "every mirror followed /ipns/$ID_o to its new version"

# The origin is killed; every archive is served by every mirror.
# (PID_o is timeout's: the daemon is its child.)
DAEMON_o=$(pgrep -P "$PID_o") || fail "no origin daemon under $PID_o"
kill -9 "$DAEMON_o"; wait "$PID_o" 2>/dev/null || true
kill -0 "$DAEMON_o" 2>/dev/null && fail "origin still running"
curl -s -m 2 "$B/pins" >/dev/null && fail "origin's API still answers"
for m in "${MIRRORS[@]}"; do
  g=GW_$m
  for i in "${!CIDS[@]}"; do
    u="http://127.0.0.1:${!g}/ipfs/${CIDS[$i]}"
    if [ -d "${SRC[$i]}" ]; then
      # Every file of the tree through the gateway (one curl, one
      # connection), then the tree compared with the source.
      rm -rf "$WORK/x"
      (cd "${SRC[$i]}" && find . -type f | sed 's|^\./||') |
        while read -r f; do printf 'url = "%s/%s"\noutput = "%s/x/%s"\n' "$u" "$f" "$WORK" "$f"; done >"$WORK/curl.cfg"
      curl -sf -m 120 --create-dirs -K "$WORK/curl.cfg" || fail "$m: archive $i not served"
      diff -r "$WORK/x" "${SRC[$i]}" >/dev/null || fail "$m: archive $i differs"
    else
      curl -sf -m 60 "$u" -o "$WORK/got" || fail "$m: archive $i not served"
      cmp -s "$WORK/got" "${SRC[$i]}" || fail "$m: archive $i differs"
    fi
  done
  curl -sf -m 60 "http://127.0.0.1:${!g}/ipfs/$V2" | cmp -s - "$S/v2" || fail "$m: IPNS version differs"
done
ok "origin killed; every archive served byte for byte by each mirror's gateway"

# The damage, with mirrors 1 and 2 stopped: on 1 a leaf of a 4 MiB file
# corrupted, on 2 a block of a HAMT directory removed.
BIG=${CIDS[45]}
LEAF=$(on m1 refs "$BIG" | sed -n 3p)
SHARD=$(on m2 refs "${CIDS[48]}" | sed -n 2p)
[ -n "$LEAF" ] && [ -n "$SHARD" ] || fail "no leaf or shard"
on m1 block get "$LEAF" >"$WORK/leaf.bin"
on m2 block get "$SHARD" >"$WORK/shard.bin"
node_stop m1; node_stop m2
for m in m1 m2; do
  on $m config Mirror.Scrub.Rate 1GiB >/dev/null
  on $m config Mirror.Scrub.Interval 0 >/dev/null
  on $m config Mirror.Scrub.RetryDelay 1s >/dev/null
  on $m config Mirror.Scrub.FetchTimeout 20s >/dev/null
done
flip "$WORK/m1" "$WORK/leaf.bin"
out=$(on m1 repo verify 2>&1) && fail "m1: verify missed the corrupt leaf: $out"
grep -q "$LEAF" <<<"$out" || fail "m1 verify: $out"
flip "$WORK/m2" "$WORK/shard.bin"
on m2 repo verify --drop >/dev/null 2>&1 && fail "m2: verify --drop saw no damage"
if on m2 block stat --offline "$SHARD" >/dev/null 2>&1; then fail "m2: shard still there"; fi
ok "leaf $LEAF corrupt on m1, block $SHARD missing on m2"

start m1; start m2
connect_all "${MIRRORS[@]}"
for m in m1 m2; do on $m mirror scrub start | grep started >/dev/null || fail "$m: scrub start"; done
declare -A KINDF=([m1]="corrupt found" [m2]="missing found")
for m in m1 m2; do
  end=$((SECONDS + 120))
  while [ $SECONDS -lt $end ]; do
    st=$(on $m mirror scrub status)
    if grep -q "^repaired: 1$" <<<"$st" && grep -q "^phase: idle$" <<<"$st" &&
       grep -q "^repairs pending: 0$" <<<"$st"; then break; fi
    sleep 0.2
  done
  grep -q "^repaired: 1$" <<<"$st" || fail "$m not repaired: $st"
  grep -q "^${KINDF[$m]}: 1$" <<<"$st" || fail "$m: ${KINDF[$m]}: $st"
done
grep -q "scrub: repaired corrupt block $LEAF" "$WORK"/m1.*.log || fail "m1: no log of the repair"
grep -q "scrub: repaired missing block $SHARD" "$WORK"/m2.*.log || fail "m2: no log of the repair"
ok "both scrubbers found their damage and repaired it from the other mirrors"

# Every CID verified on every mirror.
for m in "${MIRRORS[@]}"; do
  out=$(on $m repo verify 2>&1) || fail "$m: repo verify: $out"
  grep -q "all intact" <<<"$out" || fail "$m: repo verify: $out"
  on $m pin verify >/dev/null 2>&1 || fail "$m: pin verify: $(on $m pin verify 2>&1 | tail -3)"
  on $m refs -r -u --offline "${CIDS[@]}" | sort -u >"$WORK/refs.$m" || fail "$m: refs -r"
  cmp -s "$WORK/refs.$m" "$WORK/refs.want" || fail "$m: refs -r differs from the origin's"
  pins=$(on $m pin ls --type=recursive -q)
  for c in "${CIDS[@]}"; do grep -q "^$c\$" <<<"$pins" || fail "$m: $c no longer pinned"; done
  eq "$(field $m 1 pinned)" 50 "($m pinned after the origin went)"
done
ok "every CID verified on every mirror ($(wc -l <"$WORK/refs.want") blocks each)"
for m in "${MIRRORS[@]}"; do node_stop $m; done
echo ok
