#!/bin/bash
# bench/filestore.sh — `add --nocopy` (the filestore, blockstore/bs.h) on
# one file of BENCH_FS_MB MiB (default 1024), each row beside its
# reference measured in the same run, warm page cache:
#   add --nocopy vs add -n (hashing alone): the references cost little
#     beyond the hash                                          target <= 1.15x
#   add --nocopy vs Kubo's add --nocopy (same DAG: CIDv1, raw leaves, 1 MiB
#     chunks), when Kubo is installed                          target < 1 (trove ahead)
#   the repo's growth after the nocopy add vs the file         target < 1%
#   cat of the referenced file vs cat of the same file stored: each read of
#     a reference rereads its file and rehashes it
#   the same cat vs Kubo's cat of its referenced file          target < 1
#   filestore verify vs openssl dgst -sha256 of the file       target <= 1.5x
# Scratch in BENCH_TMP (default a new directory): the repo lives there and
# the file beside it, below the repo's parent (the filestore's root).
set -euo pipefail
cd "$(dirname "$0")/.."
TROVE=${TROVE_BIN:-$PWD/bin/trove}
IPFS=${IPFS_BIN:-$(command -v ipfs || echo /root/go/bin/ipfs)}
TMP=${BENCH_TMP:-$(mktemp -d)}
mkdir -p "$TMP"
TMP=$(cd "$TMP" && pwd)
MB=${BENCH_FS_MB:-1024}
F=$TMP/fs.bin
trap '[ -z "${BENCH_TMP:-}" ] && rm -rf "$TMP"' EXIT

run_timed() { # OUTVAR CMD...: wall seconds into OUTVAR, stdout's head into OUTVAR_out
  local var=$1; shift
  /usr/bin/time -f '%e' -o "$TMP/time" "$@" >"$TMP/out"
  printf -v "$var" '%s' "$(cat "$TMP/time")"
  printf -v "${var}_out" '%s' "$(head -c 200 "$TMP/out")"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b <= 0) b = 0.001; printf "%.2f", a / b }'; }
mbps() { awk -v mb="$MB" -v s="$1" 'BEGIN{ if (s <= 0) s = 0.001; printf "%.0f", mb * 1.048576 / s }'; }
mark() { awk -v v="$1" -v t="$2" -v dir="$3" 'BEGIN{ ok = dir == "le" ? v <= t : dir == "lt" ? v < t : v >= t; print ok ? "" : "  MISSED" }'; }
best() { awk -v a="$1" -v b="$2" 'BEGIN{print (a == "" || b < a) ? b : a}'; }

echo "generating $MB MiB of random data"
head -c $((MB << 20)) /dev/urandom >"$F"
cat "$F" >/dev/null
fresh() {
  rm -rf "$TMP/repo"; sync
  TROVE_PATH=$TMP/repo "$TROVE" init >/dev/null
  TROVE_PATH=$TMP/repo "$TROVE" config --json Experimental.FilestoreEnabled true >/dev/null
}
export TROVE_PATH=$TMP/repo

hn= nc= cid=
for r in 1 2 3; do
  run_timed t "$TROVE" add -n -Q "$F"; hn=$(best "$hn" "$t"); cid=$t_out
  fresh
  before=$(du -sk "$TMP/repo" | cut -f1)
  run_timed t "$TROVE" add --nocopy -Q "$F"; nc=$(best "$nc" "$t")
  [ "$t_out" = "$cid" ] || { echo "CID mismatch: nocopy $t_out, add -n $cid"; exit 1; }
  after=$(du -sk "$TMP/repo" | cut -f1)
done
echo "add --nocopy vs add -n ($MB MiB, best of 3): nocopy ${nc}s ($(mbps "$nc") MB/s), hash alone ${hn}s: ratio $(ratio "$nc" "$hn")x (target <= 1.15)$(mark "$(ratio "$nc" "$hn")" 1.15 le)"
grow=$(awk -v a="$after" -v b="$before" -v mb="$MB" 'BEGIN{printf "%.3f", (a - b) / (mb * 1024) * 100}')
echo "repo growth after the nocopy add: $((after - before)) KiB, ${grow}% of the file (target < 1%)$(mark "$grow" 1 lt)"

run_timed ossl openssl dgst -sha256 "$F"
run_timed ossl openssl dgst -sha256 "$F"
vf=
for r in 1 2; do run_timed t "$TROVE" filestore verify; vf=$(best "$vf" "$t"); done
grep -q '^ok ' "$TMP/out" || { echo "verify: $(head -3 "$TMP/out")"; exit 1; }
echo "filestore verify vs openssl dgst -sha256: verify ${vf}s ($(mbps "$vf") MB/s), openssl ${ossl}s: ratio $(ratio "$vf" "$ossl")x (target <= 1.5)$(mark "$(ratio "$vf" "$ossl")" 1.5 le)"

cr= cs=
# Into a pipe: a write to /dev/null would not even touch the stored
# file's pages.
for r in 1 2; do run_timed t sh -c "'$TROVE' cat '$cid' | cat >/dev/null"; cr=$(best "$cr" "$t"); done
TROVE_PATH=$TMP/stored "$TROVE" init >/dev/null
TROVE_PATH=$TMP/stored "$TROVE" add -Q "$F" >/dev/null
for r in 1 2; do run_timed t env TROVE_PATH="$TMP/stored" sh -c "'$TROVE' cat '$cid' | cat >/dev/null"; cs=$(best "$cs" "$t"); done
rm -rf "$TMP/stored"
echo "cat of the referenced file vs of it stored: referenced ${cr}s ($(mbps "$cr") MB/s, read and rehashed), stored ${cs}s ($(mbps "$cs") MB/s): ratio $(ratio "$cr" "$cs")x"

if [ -x "$IPFS" ]; then
  export IPFS_PATH=$TMP/kubo
  kn=
  for r in 1 2 3; do
    rm -rf "$IPFS_PATH"; sync
    "$IPFS" init -e --profile test >/dev/null 2>&1
    "$IPFS" config --json Experimental.FilestoreEnabled true
    run_timed t "$IPFS" add --nocopy -Q --cid-version 1 --raw-leaves \
      --chunker size-1048576 --max-file-links 1024 "$F"
    kn=$(best "$kn" "$t")
    [ "$t_out" = "$cid" ] || { echo "Kubo's CID $t_out, trove's $cid"; exit 1; }
  done
  kc=
  for r in 1 2; do run_timed t sh -c "'$IPFS' cat '$cid' | cat >/dev/null"; kc=$(best "$kc" "$t"); done
  rm -rf "$IPFS_PATH"
  echo "add --nocopy vs Kubo's ($MB MiB, best of 3, same root): trove ${nc}s, Kubo ${kn}s: ratio $(ratio "$nc" "$kn")x (target < 1)$(mark "$(ratio "$nc" "$kn")" 1 lt)"
  echo "cat of the referenced file vs Kubo's: trove ${cr}s, Kubo ${kc}s: ratio $(ratio "$cr" "$kc")x (target < 1)$(mark "$(ratio "$cr" "$kc")" 1 lt)"
else
  echo "add --nocopy vs Kubo's: skipped (no Kubo; make deps)"
fi
echo "load while measuring: $(cut -d' ' -f1-3 /proc/loadavg)"
