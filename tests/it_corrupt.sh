#!/bin/bash
# Corruption on disk: a block's bytes altered inside data.mdb are found by
# `repo verify` (reported by CID, non-zero exit), `--drop` removes exactly
# that block and names the pin it broke, and everything else stays.
source "$(dirname "$0")/lib.sh"
t init >/dev/null
# Three blocks with recognisable contents, all pinned directly.
for i in 1 2 3; do
  head -c 20000 /dev/zero | tr '\0' "$i" > "$WORK/b$i"
  printf 'MARKER-%s-' "$i" | dd of="$WORK/b$i" conv=notrunc status=none
  cid=$(t block put "$WORK/b$i")
  t pin add --recursive=false "$cid" >/dev/null
  eval "cid$i=$cid"
done
out=$(t repo verify); grep -q "all intact" <<<"$out" || fail "clean repo: $out"

# Flip one byte in the middle of block 2's value, found by its marker.
off=$(grep -obaF 'MARKER-2-' "$TROVE_PATH/data.mdb" | head -1 | cut -d: -f1)
[ -n "$off" ] || fail "marker not found in data.mdb"
printf 'X' | dd of="$TROVE_PATH/data.mdb" bs=1 seek=$((off + 5000)) conv=notrunc status=none

if out=$(t repo verify 2>&1); then fail "verify missed the corruption: $out"; fi
grep -q "block $cid2 was corrupt" <<<"$out" || fail "corrupt CID not reported: $out"
grep -q "$cid1" <<<"$out" && fail "intact block reported: $out"
# pin verify sees it too.
if out=$(t pin verify 2>&1); then fail "pin verify missed it"; fi
grep -q "$cid2 broken" <<<"$out" || fail "pin verify: $out"

# --drop removes just that block and says which pin is now incomplete.
if out=$(t repo verify --drop 2>&1); then fail "verify --drop should exit non-zero"; fi
grep -q "pin $cid2 is now incomplete" <<<"$out" || fail "incomplete pin not named: $out"
expect_fail t block stat "$cid2"
t block get "$cid1" | cmp - "$WORK/b1" || fail "block 1 changed"
t block get "$cid3" | cmp - "$WORK/b3" || fail "block 3 changed"
out=$(t repo verify); grep -q "verified 2 blocks: all intact" <<<"$out" || fail "after drop: $out"
echo ok
