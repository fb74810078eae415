#!/bin/bash
# verify_heal_kubo.sh — Kubo 0.43's `repo verify --heal` both ways: trove
# and Kubo hold the same file, each with a different leaf damaged on disk
# (trove's in data.mdb, Kubo's in its flatfs), both daemons up and
# connected; each heals from the other: "block C was corrupt (...),
# removed, healed", the summary "verify complete, 1 blocks corrupt, 1
# removed, 1 healed", exit 0, and a plain verify is clean after.  A
# damaged block no peer has: "failed to heal", the summary an error (exit
# 1) within --heal-timeout.  Without drop or heal a corrupt block is an
# error; --heal without a daemon is refused.
# Skipped (passes) without Kubo.
INTEROP_TIMEOUT=150
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
kubo_init
export TROVE_PATH=$WORK/trove
trove_p2p_init
D=$WORK/d
mkdir -p "$D"
head -c 786432 /dev/urandom >"$D/f"          # three 256 KiB leaves
head -c 262144 "$D/f" >"$D/leaf0"
tail -c 262144 "$D/f" >"$D/leaf2"
head -c 1000 /dev/urandom >"$D/only"          # trove's alone
A=(add -Q --cid-version 1 --raw-leaves --chunker=size-262144)
F=$("$TROVE" "${A[@]}" "$D/f")
eq "$("$IPFS" "${A[@]}" "$D/f")" "$F" "the same CID"
"$TROVE" add -Q --cid-version 1 "$D/only" >/dev/null

# damage: trove's first leaf, Kubo's last
flip "$TROVE_PATH" "$D/leaf0"
python3 - "$IPFS_PATH/blocks" "$D/leaf2" <<'PY'
import os, sys
root, blk = sys.argv[1], open(sys.argv[2], 'rb').read()
for d, _, fs in os.walk(root):
    for f in fs:
        p = os.path.join(d, f)
        if f.endswith('.data') and open(p, 'rb').read() == blk:
            b = bytearray(blk); b[len(b) // 2] ^= 0x55
            open(p, 'wb').write(b)
            sys.exit(0)
sys.exit("Kubo's block of the last leaf not found")
PY
if "$TROVE" repo verify --heal 2>"$WORK/err"; then fail "--heal without a daemon"; fi
grep -q "online mode" "$WORK/err" || fail "--heal offline: $(cat "$WORK/err")"

kubo_daemon
interop_daemon
"$TROVE" swarm connect "/ip4/127.0.0.1/tcp/$KPORT/p2p/$KUBO_ID" >/dev/null

# trove heals from Kubo
out=$("$TROVE" repo verify --heal) || fail "trove's heal: $out"
grep -qE '^block bafkrei[a-z2-7]+ was corrupt \(block in storage has different hash than requested\), removed, healed$' <<<"$out" ||
  fail "trove's heal line: $out"
eq "$(echo "$out" | tail -1)" "verify complete, 1 blocks corrupt, 1 removed, 1 healed" "trove's summary"
out=$("$TROVE" repo verify) || fail "trove after healing: $out"
"$TROVE" cat "$F" | cmp - "$D/f" || fail "trove's file after healing"
ok "trove heals from Kubo"

# Kubo heals from trove, through trove's bitswap
out=$("$IPFS" repo verify --heal 2>&1) || fail "Kubo's heal: $out"
grep -q "removed, healed" <<<"$out" || fail "Kubo's heal line: $out"
out=$("$IPFS" repo verify 2>&1) || fail "Kubo after healing: $out"
ok "Kubo heals from trove"

# a block no one else has: removed, not healed, an error
interop_daemon_stop
flip "$TROVE_PATH" "$D/only"
out=$("$TROVE" repo verify 2>&1) && fail "verify missed the damage: $out"
interop_daemon
"$TROVE" swarm connect "/ip4/127.0.0.1/tcp/$KPORT/p2p/$KUBO_ID" >/dev/null
out=$(curl -s -X POST "http://127.0.0.1:$APORT/api/v0/repo/verify")
grep -q 'was corrupt (block in storage has different hash than requested)"' <<<"$out" ||
  fail "the API's verify line: $out"
start=$SECONDS
if out=$("$TROVE" repo verify --heal --heal-timeout 2s 2>"$WORK/err"); then
  fail "a heal that failed exited 0: $out"
fi
[ $((SECONDS - start)) -lt 20 ] || fail "--heal-timeout 2s took $((SECONDS - start)) s"
grep -q "removed, failed to heal (" <<<"$out" || fail "the failed heal's line: $out"
grep -q "verify complete, 1 blocks corrupt, 1 removed, 1 failed to heal" "$WORK/err" ||
  fail "the failed heal's summary: $(cat "$WORK/err")"
out=$("$TROVE" repo verify 2>&1) || fail "after the drop the store is clean: $out"
ok "a heal no peer can serve fails, the block removed"
