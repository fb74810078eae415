#!/bin/bash
# kubo.sh — issue 15: the same work done by trove and by Kubo v0.43.1 in
# the same run, each on a fresh repo with its default settings, each row
# with both peak RSS figures:
#
#   add FILE         `add -Q` of a BENCH_KUBO_MB MiB random file, each with
#                    its default import settings (trove unixfs-v1-2025:
#                    1 MiB raw leaves, CIDv1; Kubo: 256 KiB dag-pb leaves,
#                    CIDv0)
#   add FILE, v0     the same with trove on --profile unixfs-v0-2015, which
#                    builds Kubo's default DAG: the two root CIDs must match
#   add FILE, blake3 the same with --hash blake3, Kubo given trove's
#                    unixfs-v1-2025 settings: the root CIDs must match
#   add TREE         `add -r -Q` of BENCH_KUBO_FILES files (1 B - 4 KiB, 1000
#                    a directory)
#   cat FILE         `cat CID | dd of=/dev/null bs=4M` of the added file
#   dag import       `dag import` (roots pinned: the default) of a CAR of
#                    BENCH_KUBO_BLOCKS blocks: two UnixFS files of
#                    BENCH_KUBO_LEAF-byte raw leaves (CIDv1, 1024 links a
#                    node), 90% of the blocks in the first, 10% in the
#                    second, both CARs exported by trove into one CARv1
#                    with two roots
#   gc               on that repo, the second file unpinned (not timed),
#                    then `repo gc`: BENCH_KUBO_BLOCKS blocks, 10% garbage
#                    (the shape of bench_gc's row, with leaves of
#                    one size)
#   gateway 1 KiB,   each daemon serving a file it added, `wrk -t2 -c64`
#   gateway 1 MiB    for BENCH_DURATION s; requests/s and MB/s (10^6 B)
#
# Kubo: `ipfs init` (default profile: flatfs blocks, leveldb), Bootstrap
# emptied, CLI commands without a daemon (Kubo runs them offline in the
# process), the daemon with --offline on free ports of 127.0.0.1.  trove:
# `trove init`; its daemon gets Gateway.RateLimit 0 (wrk is one address
# making thousands of requests a second: the default per-address limit
# would answer 429), as bench/gateway.sh does.  Both daemons' gateways are
# otherwise as shipped.
#
# Peak RSS: GNU time's "Maximum resident set size" (%M, the largest
# process of the command's tree) for CLI work, the daemon's VmHWM from
# /proc/PID/status for gateway work.  Times are wall seconds.  The cheap
# rows (add, cat) run BENCH_KUBO_ROUNDS times (default 2), trove and Kubo
# alternating, each add on a fresh repo; the best time counts, the RSS is
# the largest seen.  The dag import and gc rows run once.  Every row prints
# the 1-minute load average (/proc/loadavg) read when it ends: the machine
# is shared.
#
# ratio = trove's time / Kubo's (for the gateway rows Kubo's throughput /
# trove's): below 1.00 trove is ahead.
#
# Environment: TROVE_BIN, IPFS_BIN (default $(go env GOPATH)/bin/ipfs), BENCH_TMP,
# BENCH_KUBO_MB (1024), BENCH_KUBO_FILES (50000), BENCH_KUBO_BLOCKS
# (1000000), BENCH_KUBO_LEAF (512), BENCH_KUBO_ROUNDS (2), BENCH_DURATION
# (10), BENCH_KUBO_ONLY (a regex over add|tree|cat|import|gc|gateway).
# Quick run: BENCH_KUBO_MB=64 BENCH_KUBO_FILES=5000 BENCH_KUBO_BLOCKS=100000
# BENCH_DURATION=5 bash bench/kubo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
TROVE=${TROVE_BIN:-$PWD/bin/trove}
# Where scripts/kubo.sh (make deps) puts Kubo.
IPFS=${IPFS_BIN:-$( (go env GOPATH 2>/dev/null || echo "$HOME/go") | cut -d: -f1)/bin/ipfs}
OWN_TMP=; [ -n "${BENCH_TMP:-}" ] || OWN_TMP=$(mktemp -d)
T=${BENCH_TMP:-$OWN_TMP}
MB=${BENCH_KUBO_MB:-1024}
FILES=${BENCH_KUBO_FILES:-50000}
BLOCKS=${BENCH_KUBO_BLOCKS:-1000000}
LEAF=${BENCH_KUBO_LEAF:-512}
ROUNDS=${BENCH_KUBO_ROUNDS:-2}
DUR=${BENCH_DURATION:-10}
ONLY=${BENCH_KUBO_ONLY:-.}
DPIDS=()
cleanup() {
  for p in "${DPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${DPIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -z "$OWN_TMP" ] || rm -rf "$OWN_TMP"
  true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ -x "$IPFS" ] || { echo "kubo: Kubo not found at $IPFS (make deps): skipped"; exit 0; }
for x in wrk python3 curl; do
  command -v $x >/dev/null || { echo "kubo: $x missing (make deps)" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "kubo: /usr/bin/time missing (make deps)" >&2; exit 1; }
want() { [[ $1 =~ $ONLY ]]; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# A fresh repo for each: tr_fresh DIR / ku_fresh DIR (not timed).  sync:
# with online discard, removing the last repo trims the disk under the
# next command's syncs (bench/import.sh saw an add vary 1.0-3.2 s).
tr_fresh() { rm -rf "$1"; TROVE_PATH=$1 "$TROVE" init >/dev/null; sync; }
ku_fresh() {
  rm -rf "$1"
  IPFS_PATH=$1 "$IPFS" init >/dev/null
  IPFS_PATH=$1 "$IPFS" config --json Bootstrap '[]'
  sync
}
# tr REPO ARGS... / ku REPO ARGS...: the CLI on a repo.
tr() { local r=$1; shift; TROVE_PATH=$r "$TROVE" "$@"; }
ku() { local r=$1; shift; IPFS_PATH=$r "$IPFS" "$@"; }

# timed VAR CMD...: wall seconds into VAR, peak RSS (KiB) into VAR_rss, the
# first line of stdout into VAR_out.
timed() {
  local var=$1; shift
  local tf=$T/time.out of=$T/cmd.out
  /usr/bin/time -f '%e %M' -o "$tf" "$@" >"$of"
  read -r s m <"$tf"
  printf -v "$var" '%s' "$s"
  printf -v "${var}_rss" '%s' "$m"
  printf -v "${var}_out" '%s' "$(head -n1 "$of")"
}
# keep BEST VAR: BEST = min time of VAR, BEST_rss = max RSS seen.
keep() {
  local b=$1 v=$2 br=${1}_rss vr=${2}_rss
  if [ -z "${!b:-}" ] || awk -v a="${!v}" -v c="${!b}" 'BEGIN{exit !(a < c)}'; then
    printf -v "$b" '%s' "${!v}"
  fi
  if [ -z "${!br:-}" ] || [ "${!vr}" -gt "${!br}" ]; then printf -v "$br" '%s' "${!vr}"; fi
}
mib() { awk -v k="$1" 'BEGIN{printf "%.0f MiB", k/1024}'; }
FMT='%-26s %11s %11s %7s %10s %10s %6s\n'
header() { printf "$FMT" row trove Kubo ratio "trove RSS" "Kubo RSS" load; }
# row NAME TROVE_TIME KUBO_TIME TROVE_RSS KUBO_RSS: a row of seconds.
row() {
  printf "$FMT" "$1" "$2 s" "$3 s" "$(awk -v a="$2" -v b="$3" 'BEGIN{if (b <= 0) b = 0.001; printf "%.2f", a/b}')" \
    "$(mib "$4")" "$(mib "$5")" "$(load1)"
}

echo "kubo: trove vs Kubo $("$IPFS" version --number); ratio = trove time / Kubo time (gateway: Kubo / trove throughput), < 1.00: trove ahead"
echo "kubo: RSS counts file-backed pages too: the pages of trove's LMDB map (data.mdb) a command touched are in it"
echo "kubo: sizes: file $MB MiB, tree $FILES files, CAR $BLOCKS blocks of $LEAF B leaves; $ROUNDS round(s) of the cheap rows; load at start $(cut -d' ' -f1-3 /proc/loadavg)"
header

# ------------------------------------------------------------ add and cat
F=$T/file.bin
if want add || want cat; then
  head -c $((MB << 20)) /dev/urandom >"$F"
  cat "$F" >/dev/null
  ta= ka= tv= kv=
  for _ in $(seq "$ROUNDS"); do
    tr_fresh "$T/tr"; timed t env TROVE_PATH="$T/tr" "$TROVE" add -Q "$F"; keep ta t; tcid=$t_out
    ku_fresh "$T/ku"; timed k env IPFS_PATH="$T/ku" "$IPFS" add -Q "$F"; keep ka k; kcid=$k_out
  done
  want add && row "add ${MB} MiB file" "$ta" "$ka" "$ta_rss" "$ka_rss"
  if want add; then
    for _ in $(seq "$ROUNDS"); do
      tr_fresh "$T/tr0"; timed t env TROVE_PATH="$T/tr0" "$TROVE" add -Q --profile unixfs-v0-2015 "$F"; keep tv t
      [ "$t_out" = "$kcid" ] || { echo "kubo: v0-2015 CID $t_out differs from Kubo's $kcid" >&2; exit 1; }
      ku_fresh "$T/ku0"; timed k env IPFS_PATH="$T/ku0" "$IPFS" add -Q "$F"; keep kv k
    done
    rm -rf "$T/tr0" "$T/ku0"
    row "add ${MB} MiB, same DAG (v0)" "$tv" "$kv" "$tv_rss" "$kv_rss"
    # blake3 (trove: AVX2 where the CPU has it; Kubo: lukechampine's
    # assembly), both building unixfs-v1-2025's DAG: the CIDs must match.
    for _ in $(seq "$ROUNDS"); do
      tr_fresh "$T/tr3"; timed t env TROVE_PATH="$T/tr3" "$TROVE" add -Q --hash blake3 "$F"; keep tb t
      tb_cid=$t_out
      ku_fresh "$T/ku3"; timed k env IPFS_PATH="$T/ku3" "$IPFS" add -Q --hash blake3 \
        --cid-version 1 --raw-leaves --chunker size-1048576 --max-file-links 1024 "$F"; keep kb k
      [ "$tb_cid" = "$k_out" ] || { echo "kubo: blake3 CID $tb_cid differs from Kubo's $k_out" >&2; exit 1; }
    done
    rm -rf "$T/tr3" "$T/ku3"
    row "add ${MB} MiB, blake3" "$tb" "$kb" "$tb_rss" "$kb_rss"
  fi
  if want cat; then
    tc= kc=
    for _ in $(seq "$ROUNDS"); do
      timed t sh -c "TROVE_PATH='$T/tr' '$TROVE' cat '$tcid' | dd of=/dev/null bs=4M status=none"; keep tc t
      timed k sh -c "IPFS_PATH='$T/ku' '$IPFS' cat '$kcid' | dd of=/dev/null bs=4M status=none"; keep kc k
    done
    row "cat ${MB} MiB file" "$tc" "$kc" "$tc_rss" "$kc_rss"
  fi
  rm -rf "$T/tr" "$T/ku" "$F"
fi

# ------------------------------------------------------------------- tree
if want tree; then
  python3 - "$T/tree" "$FILES" <<'PY'
import os, random, sys
d, n = sys.argv[1], int(sys.argv[2])
r = random.Random(15)
pool = os.urandom(1 << 20)
for i in range(n):
    sub = "%s/d%03d" % (d, i // 1000)
    if i % 1000 == 0:
        os.makedirs(sub)
    sz = r.randint(1, 4096)
    o = r.randrange(len(pool) - sz)
    with open("%s/f%05d.bin" % (sub, i), "wb") as f:
        f.write(b"%d " % i + pool[o:o + sz])
PY
  tt= kt=
  for _ in $(seq "$ROUNDS"); do
    tr_fresh "$T/tr"; timed t env TROVE_PATH="$T/tr" "$TROVE" add -r -Q "$T/tree"; keep tt t
    ku_fresh "$T/ku"; timed k env IPFS_PATH="$T/ku" "$IPFS" add -r -Q "$T/tree"; keep kt k
  done
  row "add tree of $FILES files" "$tt" "$kt" "$tt_rss" "$kt_rss"
  rm -rf "$T/tr" "$T/ku" "$T/tree"
fi

# ------------------------------------------------------ dag import and gc
if want import || want gc; then
  # Blocks of a file of L leaves, 1024 links a node: L + ceil(L/1024) + ...
  nblocks() { python3 -c "
import sys
l = int(sys.argv[1]); n = l
while l > 1:
    l = (l + 1023) // 1024; n += l
print(n)" "$1"; }
  # Leaves for about N blocks: N * 1024 / 1025.
  GB=$((BLOCKS / 10)); LB=$((BLOCKS - GB))
  gl=$((GB * 1024 / 1025)); ll=$((LB * 1024 / 1025))
  gen=$T/gen
  tr_fresh "$gen"
  head -c $((ll * LEAF)) /dev/urandom >"$T/live.bin"
  head -c $((gl * LEAF)) /dev/urandom >"$T/garbage.bin"
  LIVE=$(tr "$gen" add -Q --pin=false --chunker="size-$LEAF" "$T/live.bin")
  GARB=$(tr "$gen" add -Q --pin=false --chunker="size-$LEAF" "$T/garbage.bin")
  rm -f "$T/live.bin" "$T/garbage.bin"
  tr "$gen" dag export "$LIVE" >"$T/live.car"
  tr "$gen" dag export "$GARB" >"$T/garbage.car"
  rm -rf "$gen"
  # One CARv1 with both roots: a new header, then both CARs' block sections.
  total=$(python3 - "$T/live.car" "$T/garbage.car" "$T/all.car" "$LIVE" "$GARB" <<'PY'
import sys
def uvarint(b, i):
    n = s = 0
    while True:
        c = b[i]; i += 1; n |= (c & 0x7f) << s; s += 7
        if c < 0x80: return n, i
def enc(n):
    out = bytearray()
    while True:
        c = n & 0x7f; n >>= 7
        out.append(c | (0x80 if n else 0))
        if not n: return bytes(out)
def cidbytes(s):  # base32 lower "b..." CIDv1
    import base64
    t = s[1:].upper(); t += "=" * (-len(t) % 8)
    return base64.b32decode(t)
roots = [cidbytes(c) for c in sys.argv[4:6]]
# dag-cbor {"roots": [tag42(0x00+cid)...], "version": 1}
def bstr(b):
    n = len(b)
    return (bytes([0x40 + n]) if n < 24 else bytes([0x58, n])) + b
hdr = b"\xa2" + b"\x65roots" + bytes([0x80 + len(roots)]) + b"".join(b"\xd8\x2a" + bstr(b"\x00" + r) for r in roots) + b"\x67version\x01"
count = 0
with open(sys.argv[3], "wb") as out:
    out.write(enc(len(hdr)) + hdr)
    for p in sys.argv[1:3]:
        b = open(p, "rb").read()
        n, i = uvarint(b, 0); i += n
        out.write(b[i:])
        while i < len(b):
            n, i = uvarint(b, i); i += n; count += 1
print(count)
PY
)
  rm -f "$T/live.car" "$T/garbage.car"
  echo "kubo: CAR of $total blocks ($(du -m "$T/all.car" | cut -f1) MiB): live $LIVE ($(nblocks "$ll") blocks), garbage $GARB ($(nblocks "$gl") blocks)"
  tr_fresh "$T/tr"; ku_fresh "$T/ku"
  timed ti env TROVE_PATH="$T/tr" "$TROVE" dag import "$T/all.car"
  timed ki env IPFS_PATH="$T/ku" "$IPFS" dag import "$T/all.car"
  want import && row "dag import $total blocks" "$ti" "$ki" "$ti_rss" "$ki_rss"
  rm -f "$T/all.car"
  if want gc; then
    tr "$T/tr" pin rm "$GARB" >/dev/null
    ku "$T/ku" pin rm "$GARB" >/dev/null
    sync
    timed tg env TROVE_PATH="$T/tr" "$TROVE" repo gc -q
    timed kg env IPFS_PATH="$T/ku" "$IPFS" repo gc --silent
    # What is left: the live DAG, whole; the garbage, gone.
    tn=$(tr "$T/tr" refs local | wc -l); kn=$(ku "$T/ku" refs local | wc -l)
    row "gc $total blocks, 10% garbage" "$tg" "$kg" "$tg_rss" "$kg_rss"
    echo "kubo: blocks left after gc: trove $tn, Kubo $kn (live DAG: $(nblocks "$ll"))"
  fi
  rm -rf "$T/tr" "$T/ku"
fi

# ---------------------------------------------------------------- gateway
if want gateway; then
  head -c 1024 /dev/urandom >"$T/1k.bin"
  head -c 1048576 /dev/urandom >"$T/1m.bin"
  tr_fresh "$T/trg"; ku_fresh "$T/kug"
  tr "$T/trg" config --json Gateway.RateLimit 0
  T1K=$(tr "$T/trg" add -Q "$T/1k.bin"); T1M=$(tr "$T/trg" add -Q "$T/1m.bin")
  K1K=$(ku "$T/kug" add -Q "$T/1k.bin"); K1M=$(ku "$T/kug" add -Q "$T/1m.bin")
  KGP=$(port)
  ku "$T/kug" config Addresses.Gateway "/ip4/127.0.0.1/tcp/$KGP"
  ku "$T/kug" config Addresses.API "/ip4/127.0.0.1/tcp/$(port)"
  ku "$T/kug" config --json Addresses.Swarm '[]'
  TROVE_PATH=$T/trg "$TROVE" daemon --gateway=/ip4/127.0.0.1/tcp/0 --api=/ip4/127.0.0.1/tcp/0 >"$T/trd.log" 2>&1 &
  TPID=$!; DPIDS+=($TPID)
  IPFS_PATH=$T/kug "$IPFS" daemon --offline >"$T/kud.log" 2>&1 &
  KPID=$!; DPIDS+=($KPID)
  for _ in $(seq 300); do
    grep -q "Daemon is ready" "$T/trd.log" && grep -q "Daemon is ready" "$T/kud.log" && break
    sleep 0.1
  done
  grep -q "Daemon is ready" "$T/trd.log" || { cat "$T/trd.log"; echo "kubo: trove daemon did not start" >&2; exit 1; }
  grep -q "Daemon is ready" "$T/kud.log" || { cat "$T/kud.log"; echo "kubo: Kubo daemon did not start" >&2; exit 1; }
  TGP=$(sed -n 's#.*Gateway server listening on /ip4/127.0.0.1/tcp/\([0-9]*\).*#\1#p' "$T/trd.log")
  TG=http://127.0.0.1:$TGP/ipfs KG=http://127.0.0.1:$KGP/ipfs
  for pair in "$TG/$T1K 1k" "$TG/$T1M 1m" "$KG/$K1K 1k" "$KG/$K1M 1m"; do
    set -- $pair
    curl -s "$1" | cmp -s - "$T/$2.bin" || { echo "kubo: $1 does not serve $2.bin" >&2; exit 1; }
  done
  wrk_rps() { # URL -> requests/s; fails on any non-2xx answer
    local out non
    out=$(wrk -t2 -c64 -d"${DUR}s" "$1")
    non=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
    [ -z "$non" ] || { echo "kubo: $non non-2xx answers from $1: figures invalid" >&2; return 1; }
    awk '/^Requests\/sec:/ {print $2}' <<<"$out"
  }
  hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
  max() { awk -v a="${1:-0}" -v b="$2" 'BEGIN{print (a > b ? a : b)}'; }
  t1= k1= t2= k2=
  for _ in $(seq "$ROUNDS"); do
    t1=$(max "$t1" "$(wrk_rps "$TG/$T1K")"); k1=$(max "$k1" "$(wrk_rps "$KG/$K1K")")
  done
  printf "$FMT" "gateway 1 KiB, req/s" "$(printf %.0f "$t1")" "$(printf %.0f "$k1")" \
    "$(awk -v a="$k1" -v b="$t1" 'BEGIN{printf "%.2f", a/b}')" \
    "$(mib "$(hwm $TPID)")" "$(mib "$(hwm $KPID)")" "$(load1)"
  for _ in $(seq "$ROUNDS"); do
    t2=$(max "$t2" "$(wrk_rps "$TG/$T1M")"); k2=$(max "$k2" "$(wrk_rps "$KG/$K1M")")
  done
  printf "$FMT" "gateway 1 MiB, MB/s" "$(awk -v a="$t2" 'BEGIN{printf "%.0f", a*1.048576}')" \
    "$(awk -v a="$k2" 'BEGIN{printf "%.0f", a*1.048576}')" \
    "$(awk -v a="$k2" -v b="$t2" 'BEGIN{printf "%.2f", a/b}')" \
    "$(mib "$(hwm $TPID)")" "$(mib "$(hwm $KPID)")" "$(load1)"
  echo "kubo: gateway RSS is each daemon's VmHWM after both sizes' runs so far (1 KiB row: after the 1 KiB runs)"
fi
echo "kubo: load at end $(cut -d' ' -f1-3 /proc/loadavg)"
