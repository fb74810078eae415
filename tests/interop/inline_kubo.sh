#!/bin/bash
# inline_kubo.sh — `add --inline [--inline-limit N]` (go-cidutil's
# InlineBuilder: a block of at most N bytes, default 32, gets a CIDv1
# identity CID of its codec) beside Kubo v0.43.1, as its
# test/cli/identity_cid_test.go and sharness t0046 use it:
#
#   1. The same roots as Kubo's `add -n -r` for 12 option sets (CID
#      version, raw or dag-pb leaves, limits 0, 32, 100, 128 and -1,
#      trickle, tiny chunks, few links, rabin, -w) over 7 inputs: an empty
#      file, 13 and 100 bytes, 5000 bytes, a tree of small files, a HAMT
#      directory (sharded over 1 KiB: its inner shards are small enough to
#      inline at 128), 300 KB.  A limit over 128 is refused in Kubo's
#      words, as is an option given twice; --inline-limit alone inlines
#      nothing.
#   2. A stored add: every "added" line as Kubo's; the identity blocks are
#      not stored (refs local), the root is pinned, and cat (a file of 250
#      inlined leaves through a pipe too), ls, refs and the gateway read
#      them back from the CIDs alone.
#   3. Through trove's daemon, with its CLI and with Kubo's CLI against
#      trove's API: the same lines.
# Skipped without Kubo.
INTEROP_TIMEOUT=300
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
kubo_init
trove_p2p_init

D=$WORK/data
mkdir -p "$D/tree/sub" "$D/hamt"
: >"$D/empty"
printf 'hello inline\n' >"$D/tiny"
head -c 100 /dev/urandom >"$D/hundred"
head -c 5000 /dev/urandom >"$D/five"
head -c 300000 /dev/urandom >"$D/big"
printf 'a' >"$D/tree/a"
head -c 70 /dev/urandom >"$D/tree/sub/b"
head -c 3000 /dev/urandom >"$D/tree/sub/c"
for i in $(seq 60); do printf '%s' "$i" >"$D/hamt/entry-$i"; done
# Kubo's defaults without a profile, on both (trove's init applies
# unixfs-v1-2025), and a HAMT from 1 KiB on.
"$IPFS" config profile apply unixfs-v0-2015 >/dev/null
"$TROVE" config profile apply unixfs-v0-2015 >/dev/null
for r in "$IPFS" "$TROVE"; do
  "$r" config --json Import.UnixFSRawLeaves null >/dev/null
  "$r" config --json Import.UnixFSHAMTDirectorySizeThreshold '"1KiB"' >/dev/null
done

n=0
for base in "" "--cid-version=1" "--cid-version=1 --raw-leaves=false" \
  "--raw-leaves"; do
  for opts in "--inline" "--inline --inline-limit=128" \
    "--inline --inline-limit=0" "--inline --inline-limit=-1" \
    "--inline --inline-limit=100" "--inline --trickle --chunker=size-10" \
    "--inline --chunker=size-20" "--inline --chunker=size-4 --max-file-links=3" \
    "--inline --chunker=rabin-16-32-64" "--inline -w" "--inline-limit=128" \
    "--inline --inline-limit=128 --hash=sha2-512 --cid-version=1"; do
    case "$base $opts" in *cid-version=1*cid-version=1*) continue ;; esac
    for x in empty tiny hundred five tree hamt big; do
      # shellcheck disable=SC2086 # the option sets are words
      k=$("$IPFS" add -Q -n -r $base $opts "$D/$x" 2>&1) ||
        fail "Kubo: $base $opts $x: $k"
      # shellcheck disable=SC2086
      t=$("$TROVE" add -Q -n -r $base $opts "$D/$x" 2>&1) ||
        fail "trove: $base $opts $x: $t"
      eq "$t" "$k" "add -n -r $base $opts $x"
      n=$((n + 1))
    done
  done
done
[ "$("$TROVE" add -Q -n --inline "$D/tiny")" = bafyaafikcmeaeeqnnbswy3dpebuw43djnzsqugan ] ||
  fail "tiny inlined as $("$TROVE" add -Q -n --inline "$D/tiny")"
err=$("$TROVE" add --inline --inline-limit=129 "$D/tiny" 2>&1) &&
  fail "--inline-limit=129 taken: $err"
grep -q "inline-limit 129 exceeds maximum allowed size of 128 bytes" <<<"$err" ||
  fail "--inline-limit=129 said: $err"
# An option given twice, under either name (go-ipfs-cmds' parse).
for twice in "-r --recursive" "--inline-limit=3 --inline-limit 4" "-rr"; do
  # shellcheck disable=SC2086
  k=$("$IPFS" add -n $twice "$D/tiny" 2>&1) && fail "Kubo took $twice"
  # shellcheck disable=SC2086
  t=$("$TROVE" add -n $twice "$D/tiny" 2>&1) && fail "trove took $twice"
  w=$(grep -o 'multiple values for option "[a-z-]*"' <<<"$k") ||
    fail "Kubo said: $k"
  grep -qF "$w" <<<"$t" || fail "$twice: trove said $t, Kubo $k"
done
echo "ok - $n roots as Kubo's, the limit's bound and an option twice refused in Kubo's words"

# A stored add: the lines, nothing stored for the identity blocks (Kubo's
# idstore keeps none either).
lines() { sed "s|$D/||"; }
K=$("$IPFS" add -r --inline --inline-limit=128 "$D/tree" | lines)
before=$("$TROVE" refs local | wc -l)
T=$("$TROVE" add -r --inline --inline-limit=128 "$D/tree" | lines)
eq "$T" "$K" "add -r --inline lines"
root=$(tail -n 1 <<<"$T" | awk '{print $2}')
tiny=$("$TROVE" add -Q --inline "$D/tiny")
after=$("$TROVE" refs local | wc -l)
# Stored: sub and c (3000 bytes), as in Kubo's repo; not a, b (70
# bytes), tiny, nor the tree's root (a and sub's links: 128 bytes or
# less).  (Kubo's repo also gets its adder's MFS directory holding tiny,
# 74 bytes: garbage of its implementation, not of the DAG.)
eq "$((after - before))" 2 "blocks stored by the inline adds"
"$TROVE" refs local | grep -q "$tiny" && fail "an identity block stored"
"$TROVE" pin ls --type=recursive | grep -q "^$tiny recursive" ||
  fail "the identity root is not pinned: $("$TROVE" pin ls --type=recursive)"
eq "$("$TROVE" cat "$tiny")" "hello inline" "cat of an identity root"
"$TROVE" cat "$root/sub/b" | cmp - "$D/tree/sub/b" || fail "cat of an inlined leaf"
eq "$("$TROVE" ls "$root/sub" | awk '{print $1, $2, $3}')" \
  "$("$IPFS" ls "$root/sub" | awk '{print $1, $2, $3}')" "ls of inlined entries"
eq "$("$TROVE" refs -r "$root")" "$("$IPFS" refs -r "$root")" "refs -r"
# 250 inlined leaves, read through a pipe (cat queues views before it
# writes them: each must outlive the CID it was read by).
five=$("$TROVE" add -Q --inline --raw-leaves --chunker=size-20 "$D/five")
"$TROVE" cat "$five" | cmp - "$D/five" || fail "cat of 250 inlined leaves"
eq "$("$TROVE" cat -o 4990 "$five" | od -An -tx1)" \
  "$(tail -c 10 "$D/five" | od -An -tx1)" "cat -o of inlined leaves"
echo "ok - a stored add: Kubo's lines, identity blocks not stored, read back"

interop_daemon
eq "$(curl -sf "http://127.0.0.1:$GPORT/ipfs/$tiny")" "hello inline" \
  "the gateway's identity root"
curl -sf "http://127.0.0.1:$GPORT/ipfs/$root/sub/b" | cmp - "$D/tree/sub/b" ||
  fail "the gateway's inlined leaf"
curl -sf "http://127.0.0.1:$GPORT/ipfs/$five" | cmp - "$D/five" ||
  fail "the gateway's 250 inlined leaves"
eq "$("$TROVE" add -r --inline --inline-limit=128 "$D/tree" | lines)" "$K" \
  "add --inline through the daemon"
eq "$("$IPFS" --api="/ip4/127.0.0.1/tcp/$APORT" add -r --inline \
  --inline-limit=128 "$D/tree" | lines)" "$K" "Kubo's CLI against trove's API"
K=$("$IPFS" add -Q -n --inline --raw-leaves --chunker=size-20 "$D/five")
eq "$("$IPFS" --api="/ip4/127.0.0.1/tcp/$APORT" add -Q --inline \
  --raw-leaves --chunker=size-20 "$D/five")" "$K" "small raw leaves through the API"
out=$("$IPFS" --api="/ip4/127.0.0.1/tcp/$APORT" add --inline \
  --inline-limit=200 "$D/tiny" 2>&1) && fail "the API took --inline-limit=200"
grep -q "inline-limit 200 exceeds maximum allowed size of 128 bytes" <<<"$out" ||
  fail "the API's refusal: $out"
echo "ok - through the daemon: the same lines, the gateway reads identity CIDs"
