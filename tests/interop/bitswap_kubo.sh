#!/bin/bash
# bitswap_kubo.sh — bitswap between `trove daemon` and Kubo (v0.43.1) on
# 127.0.0.1, both directions: Kubo fetches an 8 MiB file and a HAMT
# directory of 2000 entries that trove added (`ipfs cat`, `ipfs ls`,
# `ipfs pin add`), and trove fetches what Kubo added (its gateway, `trove
# cat`), byte-identical; the CIDs of the same bytes agree (both with the
# unixfs-v1-2025 import profile).  Both nodes in
# temporary repos on free ports, Kubo with the test profile, no bootstrap
# and Routing.Type none, so they find each other only by the direct
# connection; trove pins a DAG of Kubo's whose links pass through an
# identity node and a dag-json node, and one through a dag-jose JWS,
# lists them as Kubo does and keeps them through GC.  Skipped (passes) when Kubo is not installed.
INTEROP_TIMEOUT=300
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
sha() { sha256sum | cut -d' ' -f1; }

trove_p2p_init
interop_daemon
kubo_init
# trove imports with the unixfs-v1-2025 profile by default; so does Kubo here.
"$IPFS" config profile apply unixfs-v1-2025 >/dev/null
kubo_daemon
[ -n "$TID" ] && [ -n "$KUBO_ID" ] || fail "daemons did not start"
timeout 30 "$IPFS" swarm connect "/ip4/127.0.0.1/tcp/$TPORT/p2p/$TID" >/dev/null ||
  fail "Kubo cannot connect to trove"

# ---- Kubo fetches from trove
head -c $((8 << 20)) /dev/urandom >"$WORK/f1"
mkdir "$WORK/h1"
for i in $(seq 1 2000); do echo "trove entry $i" >"$WORK/h1/e$i.txt"; done
F1=$("$TROVE" add -Q "$WORK/f1")
H1=$("$TROVE" add -Q -r "$WORK/h1")
[ "$F1" = "$("$IPFS" add -Q -n "$WORK/f1")" ] || fail "file CIDs differ"
[ "$H1" = "$("$IPFS" add -Q -n -r "$WORK/h1")" ] || fail "HAMT CIDs differ"
got=$(timeout 120 "$IPFS" cat "$F1" | sha) || fail "Kubo cat $F1"
[ "$got" = "$(sha <"$WORK/f1")" ] || fail "Kubo got other bytes of $F1"
echo "ok - Kubo fetched an 8 MiB file from trove"
n=$(timeout 120 "$IPFS" ls "$H1" | wc -l) || fail "Kubo ls $H1"
[ "$n" = 2000 ] || fail "Kubo lists $n entries of the HAMT directory"
[ "$(timeout 60 "$IPFS" cat "$H1/e1234.txt")" = "trove entry 1234" ] || fail "HAMT entry"
timeout 120 "$IPFS" pin add "$H1" >/dev/null || fail "Kubo pin add $H1"
echo "ok - Kubo listed, read and pinned a 2000-entry HAMT directory from trove"

# ---- trove fetches from Kubo
head -c $((8 << 20)) /dev/urandom >"$WORK/f2"
mkdir "$WORK/h2"
for i in $(seq 1 2000); do echo "kubo entry $i" >"$WORK/h2/k$i.txt"; done
F2=$("$IPFS" add -Q "$WORK/f2")
H2=$("$IPFS" add -Q -r "$WORK/h2")
got=$(curl -sf -m 120 "http://127.0.0.1:$GPORT/ipfs/$F2" | sha) || fail "trove gateway $F2"
[ "$got" = "$(sha <"$WORK/f2")" ] || fail "trove got other bytes of $F2"
echo "ok - trove's gateway fetched an 8 MiB file from Kubo"
[ "$(curl -sf -m 60 "http://127.0.0.1:$GPORT/ipfs/$H2/k777.txt")" = "kubo entry 777" ] ||
  fail "trove gateway HAMT entry"
n=$(curl -sf -m 60 "http://127.0.0.1:$GPORT/ipfs/$H2/" | grep -c 'k[0-9]*\.txt</a>' || true)
[ "$n" -ge 2000 ] || fail "trove lists $n entries of Kubo's HAMT directory"
head -c 500000 /dev/urandom >"$WORK/f3"
F3=$("$IPFS" add -Q "$WORK/f3")
got=$(timeout 60 "$TROVE" cat "$F3" | sha) || fail "trove cat $F3"
[ "$got" = "$(sha <"$WORK/f3")" ] || fail "trove cat got other bytes"
echo "ok - trove fetched Kubo's HAMT directory and cat a file over bitswap"

# ---- a DAG through an identity node and dag-json nodes, fetched whole
# (trove's walks took both for leaves: pin add fetched the root alone,
# and GC removed what they link to).
X=$(head -c 3000 /dev/urandom | "$IPFS" block put)
Y=$(head -c 3000 /dev/urandom | "$IPFS" block put)
printf '{"x":{"/":"%s"}}' "$X" >"$WORK/id.json"
ID=$("$IPFS" dag put --hash identity "$WORK/id.json")
printf '{"y":{"/":"%s"}}' "$Y" >"$WORK/j.json"
J=$("$IPFS" dag put --store-codec dag-json "$WORK/j.json")
printf '{"i":{"/":"%s"},"j":{"/":"%s"}}' "$ID" "$J" >"$WORK/top.json"
TOP=$("$IPFS" dag put "$WORK/top.json")
timeout 120 "$TROVE" pin add "$TOP" >/dev/null || fail "trove pin add $TOP"
eq "$("$TROVE" refs -r "$TOP")" "$("$IPFS" refs -r "$TOP")" "refs -r of the DAG"
ind=$("$TROVE" pin ls --type=indirect -q)
for c in "$ID" "$J" "$X" "$Y"; do # Kubo lists the identity node too
  grep -qx "$c" <<<"$ind" || fail "$c is not listed as an indirect pin"
done
"$TROVE" repo gc >/dev/null || fail "trove repo gc"
for c in "$X" "$Y" "$J" "$TOP"; do
  "$TROVE" block get "$c" | cmp -s - <("$IPFS" block get "$c") || fail "block $c after GC"
done
echo "ok - trove pinned Kubo's DAG through an identity node and a dag-json node; GC kept it"

# ---- a dag-jose JWS (go-dag-jose: its payload is a CID, which Kubo's
# walks follow) under a dag-cbor node: trove took it for a leaf, and GC
# removed the payload.
Z=$(head -c 3000 /dev/urandom | "$IPFS" block put)
ZB=$("$IPFS" cid format -b base64url "$Z")
printf '{"payload":"%s","signatures":[{"protected":"eyJhbGciOiJFZERTQSJ9","signature":"AAAA"}]}' \
  "${ZB#u}" >"$WORK/jws.json"
JWS=$("$IPFS" dag put --input-codec dag-json --store-codec dag-jose "$WORK/jws.json")
printf '{"s":{"/":"%s"}}' "$JWS" >"$WORK/top2.json"
TOP2=$("$IPFS" dag put "$WORK/top2.json")
timeout 120 "$TROVE" pin add "$TOP2" >/dev/null || fail "trove pin add $TOP2"
eq "$("$TROVE" refs -r "$TOP2")" "$("$IPFS" refs -r "$TOP2")" "refs -r through dag-jose"
"$TROVE" repo gc >/dev/null || fail "trove repo gc"
for c in "$Z" "$JWS"; do
  "$TROVE" block get "$c" | cmp -s - <("$IPFS" block get "$c") || fail "block $c after GC"
done
echo "ok - trove pinned Kubo's DAG through a dag-jose JWS; GC kept its payload"
