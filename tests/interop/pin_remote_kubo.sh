#!/bin/bash
# pin_remote_kubo.sh — Kubo (v0.43.1) as a client of trove's Pinning
# Service API: `ipfs pin remote service add trove http://127.0.0.1:PORT
# TOKEN` (a token from `trove mirror token add`), Kubo adds a 1 MiB file
# and `ipfs pin remote add` waits until trove has pinned it (Kubo sends its
# own multiaddrs as origins; trove dials them and fetches the DAG over
# bitswap), then 12 small files in the background; `ipfs pin remote ls`
# pages through them with before= (the server's default limit is 10: a
# pin skipped at a page boundary would show), trove's `pin ls` holds the
# DAG, and `ipfs pin remote rm --cid` removes it (trove unpins).  trove's
# own client (`trove pin remote ls` through its daemon) lists the same
# pins.  Both nodes in temporary repos on free ports, Kubo with the test
# profile, no bootstrap and Routing.Type none.  Skipped (passes) when Kubo
# is not installed.
INTEROP_TIMEOUT=300
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need

trove_p2p_init
TOK=$("$TROVE" mirror token add kubo 2>/dev/null)
"$TROVE" config Mirror.FetchTimeout 30s >/dev/null
interop_daemon
kubo_init
kubo_daemon
EP="http://127.0.0.1:$APORT"

"$IPFS" pin remote service add trove "$EP" "$TOK"
eq "$("$IPFS" pin remote service ls --stat)" "trove $EP 0/0/0/0"

# A 1 MiB DAG only Kubo has: trove fetches it from the origins Kubo sends.
head -c 1048576 /dev/urandom >"$WORK/big"
CID=$("$IPFS" add -Q "$WORK/big")
out=$(timeout 120 "$IPFS" pin remote add --service=trove --name=big "$CID") ||
  fail "pin remote add: $out"
eq "$out" "CID:    $CID
Name:   big
Status: pinned"
"$TROVE" pin ls --type=recursive | grep "^$CID recursive" >/dev/null || fail "trove pin ls lacks $CID"
eq "$("$TROVE" cat "$CID" | sha256sum)" "$(sha256sum <"$WORK/big" | sed "s|$WORK/big|-|")"

# 12 more, in the background; listing pages through 13 (limit 10).
SMALL=()
for i in $(seq 12); do
  c=$(echo "small $i $RANDOM" | "$IPFS" add -Q)
  SMALL+=("$c")
  "$IPFS" pin remote add --service=trove --background --name="s$i" "$c" >/dev/null
done
for _ in $(seq 100); do
  [ "$("$IPFS" pin remote ls --service=trove --status=pinned | wc -l)" = 13 ] && break
  sleep 0.2
done
LS=$("$IPFS" pin remote ls --service=trove --status=pinned)
eq "$(echo "$LS" | wc -l)" 13 "(pins listed by Kubo: $LS)"
eq "$(echo "$LS" | cut -f1 | sort -u | wc -l)" 13 "(no pin twice)"
for c in "$CID" "${SMALL[@]}"; do
  grep -q "^$c	pinned	" <<<"$LS" || fail "Kubo's ls lacks $c (it lists: $LS)"
done
eq "$("$IPFS" pin remote service ls --stat)" "trove $EP 0/0/13/0"
eq "$("$IPFS" pin remote ls --service=trove --name=big)" "$CID	pinned	big"

# trove's own client, through its daemon, lists the same (its pages too).
"$TROVE" pin remote service add self "$EP" "$TOK"
eq "$("$TROVE" pin remote ls --service=self | sort)" "$(echo "$LS" | sort)"

# rm by CID: gone from the service, unpinned on trove.
"$IPFS" pin remote rm --service=trove --cid="$CID"
eq "$("$IPFS" pin remote ls --service=trove --cid="$CID" --status=queued,pinning,pinned,failed)" ""
for _ in $(seq 50); do
  "$TROVE" pin ls --type=recursive | grep "^$CID " >/dev/null || break; sleep 0.1
done
"$TROVE" pin ls --type=recursive | grep "^$CID " >/dev/null && fail "trove still pins $CID"
eq "$("$IPFS" pin remote ls --service=trove | wc -l)" 12
"$IPFS" pin remote rm --service=trove --force
eq "$("$IPFS" pin remote ls --service=trove --status=queued,pinning,pinned,failed)" ""
echo "ok pin_remote_kubo"
