#!/bin/bash
# hash_kubo.sh — every hash function Kubo v0.43.1 takes (those of boxo's
# verifcid list that go-multihash computes: sha1, sha2-256/512,
# dbl-sha2-256, sha3-*, keccak-256/512, shake-256, blake3, blake2b-160..512
# and blake2s-256, by go-multihash's names), hashed by trove as Kubo
# hashes it:
#   - `block put --mhtype H` of inputs around the functions' block sizes
#     (0, 1, 63-65, 135-137, 1023-1025, 100,000 bytes): the same CID;
#   - `add --hash H -n` of a 600 KiB file (three chunks under a dag-pb
#     root hashed with H): the same root CID;
#   - a function Kubo refuses (md5, blake2b-152, ...) is refused by both.
# Then over bitswap: trove's daemon fetches files Kubo added with
# blake2b-256, sha3-256, keccak-256, sha1 and blake3, byte-identical, and
# Kubo fetches a blake2b-256 and a blake3 file trove added (before, trove
# could compute neither, and refused such blocks).
# Skipped (passes) without Kubo.
INTEROP_TIMEOUT=240
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
sha() { sha256sum | cut -d' ' -f1; }

kubo_init
"$IPFS" config profile apply unixfs-v1-2025 >/dev/null # trove's default
trove_p2p_init

fns="sha1 sha2-256 sha2-512 dbl-sha2-256 sha3-224 sha3-256 sha3-384 sha3-512
keccak-256 keccak-512 shake-256 blake3 blake2s-256"
for b in $(seq 160 8 512); do fns="$fns blake2b-$b"; done

sizes="0 1 63 64 65 135 136 137 1023 1024 1025 100000"
for s in $sizes; do head -c "$s" /dev/urandom >"$WORK/in$s"; done
n=0
for h in $fns; do
  for s in $sizes; do
    want=$("$IPFS" block put --mhtype "$h" <"$WORK/in$s") || fail "Kubo block put $h"
    got=$("$TROVE" block put --mhtype "$h" <"$WORK/in$s") || fail "trove block put $h"
    [ "$got" = "$want" ] || fail "$h of $s bytes: trove $got, Kubo $want"
    n=$((n + 1))
  done
done
echo "ok - block put: $n CIDs, $(wc -w <<<"$fns") functions, Kubo's every time"

head -c $((600 << 10)) /dev/urandom >"$WORK/file"
for h in $fns; do
  want=$("$IPFS" add -Q -n --hash "$h" "$WORK/file") || fail "Kubo add $h"
  got=$("$TROVE" add -Q -n --hash "$h" "$WORK/file") || fail "trove add $h"
  [ "$got" = "$want" ] || fail "add --hash $h: trove $got, Kubo $want"
done
echo "ok - add --hash: the same root CID for each function"

for h in md5 blake2b-152 blake2b-8 sha2-384 x11 keccak-224 blake2s-160; do
  "$IPFS" block put --mhtype "$h" <"$WORK/in1" >/dev/null 2>&1 &&
    fail "Kubo took $h"
  "$TROVE" block put --mhtype "$h" <"$WORK/in1" >/dev/null 2>&1 &&
    fail "trove took $h"
done
echo "ok - functions outside verifcid's list are refused"

# ---- over bitswap, both ways
interop_daemon
kubo_daemon
[ -n "$TID" ] && [ -n "$KUBO_ID" ] || fail "daemons did not start"
timeout 30 "$IPFS" swarm connect "/ip4/127.0.0.1/tcp/$TPORT/p2p/$TID" >/dev/null ||
  fail "Kubo cannot connect to trove"
for h in blake2b-256 sha3-256 keccak-256 sha1 blake3; do
  head -c $((700 << 10)) /dev/urandom >"$WORK/k-$h"
  c=$("$IPFS" add -Q --hash "$h" "$WORK/k-$h") || fail "Kubo add $h"
  got=$(timeout 60 "$TROVE" cat "$c" | sha) || fail "trove cat $c ($h)"
  [ "$got" = "$(sha <"$WORK/k-$h")" ] || fail "trove got other bytes of $c ($h)"
done
echo "ok - trove fetched Kubo's files hashed with blake2b-256, sha3-256, keccak-256, sha1, blake3"
for h in blake2b-256 blake3; do
  head -c $((700 << 10)) /dev/urandom >"$WORK/t-$h"
  c=$("$TROVE" add -Q --hash "$h" "$WORK/t-$h") || fail "trove add $h"
  got=$(timeout 60 "$IPFS" cat "$c" | sha) || fail "Kubo cat $c ($h)"
  [ "$got" = "$(sha <"$WORK/t-$h")" ] || fail "Kubo got other bytes of $c ($h)"
done
echo "ok - Kubo fetched trove's files hashed with blake2b-256 and blake3"
