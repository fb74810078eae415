#!/bin/bash
# jose_kubo.sh — dag-jose (`dag put --store-codec dag-jose`, `dag get` of a
# JWS or a JWE) beside Kubo v0.43.1 (go-dag-jose v0.1.1), both offline on
# the same inputs:
#   - a corpus of JOSE documents in DAG-JSON: JWS and JWE in the general
#     and the flattened forms, several signatures and recipients, headers
#     with strings, integers (2^53 + 1 too, and 10^6 and up, which
#     go-dag-jose stores as floats), floats (3.0, 1.5, 1e21, -0.0),
#     nested maps and lists, a "link" that matches its payload and one
#     that does not, keys go-dag-jose drops, escapes in header strings,
#     and what it refuses (bytes or a link in a header, a
#     payload that is no CID or is padded, a bool or a null in a header, a
#     signature without "signature", both forms at once, a JWE's empty
#     recipients, a payload given as bytes, neither a JWS nor a JWE):
#     trove stores the block Kubo stores (the same CID) or refuses what
#     Kubo refuses;
#   - each stored one read back with `dag get` as dag-json, dag-cbor and
#     json, and along paths (link, payload, signatures/0/signature,
#     recipients/0/encrypted_key, unprotected/...) and across the link to
#     the payload's block: the same bytes, or a failure on both;
#   - blocks made by hand as dag-cbor and stored with --cid-codec dag-jose
#     (base64url strings where bytes belong, an unknown key, a bool in a
#     header, a "link" that is not a link, a payload that is no CID, a JWE
#     whose "unprotected" is a string): `dag get` gives Kubo's bytes or
#     fails where Kubo fails.
# Skipped (passes) without Kubo.
INTEROP_TIMEOUT=180
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
kubo_init
"$TROVE" init >/dev/null

# The payload: a raw block, as base64url of its CID's bytes (both nodes).
X=$(echo "the payload" | "$IPFS" block put)
echo "the payload" | "$TROVE" block put >/dev/null
P=$("$IPFS" cid format -b base64url "$X"); P=${P#u}
Y=$(echo "another" | "$IPFS" block put)
PROT=eyJhbGciOiJFZERTQSJ9 SIG=c2lnbmF0dXJlLWJ5dGVz

C=$WORK/corpus
mkdir -p "$C"
n=0
doc() { n=$((n + 1)); printf '%s' "$1" >"$C/$(printf %02d $n)"; }
# JWS
doc '{"payload":"'$P'","signatures":[{"protected":"'$PROT'","signature":"'$SIG'"}]}'
doc '{"payload":"'$P'","signatures":[{"protected":"'$PROT'","signature":"'$SIG'"},{"header":{"kid":"did:key:z6Mk#a","n":1,"deep":{"l":[1,"two",{"x":-3}]}},"signature":"AAAA"}]}'
doc '{"payload":"'$P'","protected":"'$PROT'","signature":"'$SIG'"}'
doc '{"payload":"'$P'","header":{"kid":"x","alg":"EdDSA"},"signature":"'$SIG'"}'
doc '{"link":{"/":"'$X'"},"payload":"'$P'","signatures":[{"signature":"'$SIG'"}]}'
doc '{"link":{"/":"'$Y'"},"payload":"'$P'","signatures":[{"signature":"'$SIG'"}]}'
doc '{"payload":"'$P'","signatures":[{"signature":"'$SIG'"}],"foo":"dropped","bar":[1,true,null]}'
doc '{"payload":"bm90LWEtY2lk","signatures":[{"signature":"'$SIG'"}]}'
doc '{"payload":"'$P'=","signatures":[{"signature":"'$SIG'"}]}'
doc '{"payload":"'$P'","signatures":[]}'
doc '{"payload":"'$P'","signatures":[{"protected":"'$PROT'"}]}'
doc '{"payload":"'$P'","signatures":[{"header":{"b64":false},"signature":"'$SIG'"}]}'
doc '{"payload":"'$P'","signatures":[{"header":{"x":null},"signature":"'$SIG'"}]}'
doc '{"payload":"'$P'","signatures":[{"header":{"f":1.5,"g":3.0,"big":9007199254740993,"e":1e21,"neg":-0.25,"small":1e-7},"signature":"'$SIG'"}]}'
doc '{"payload":"'$P'","signatures":[{"header":{"iat":1700000000,"a":999999,"b":1000000,"c":0.0001,"d":0.00001,"z":-0.0,"h":100000.5},"signature":"'$SIG'"}]}'
doc '{"payload":"'$P'","signature":"'$SIG'","signatures":[{"signature":"'$SIG'"}]}'
doc '{"payload":"'$P'","signatures":[{"header":{"b":{"/":{"bytes":"AQI"}}},"signature":"'$SIG'"}]}'
doc '{"payload":"'$P'","signatures":[{"header":{"l":{"/":"'$X'"}},"signature":"'$SIG'"}]}'
doc '{"payload":"'$P'","signatures":[{"header":{"s":"\u00e9\ud83d\ude00<&>","u":"\u0000x"},"signature":"'$SIG'"}]}'
doc '{"payload":"'$P'","signatures":[{"signature":"'$SIG'","extra":"x"}]}'
doc '{"payload":{"/":{"bytes":"AVUSIA"}},"signatures":[{"signature":"'$SIG'"}]}'
doc '{"payload":"'$P'","signatures":[{"protected":"'$PROT'","signature":"'$SIG'"}],"protected":"'$PROT'"}'
doc '{"payload":"'$P'","signatures":{"signature":"'$SIG'"}}'
doc '{"payload":"'$P'"}'
# JWE
doc '{"aad":"YWFk","ciphertext":"Y2lwaGVy","iv":"aXY","protected":"'$PROT'","recipients":[{"encrypted_key":"a2V5","header":{"alg":"ECDH-ES+XC20PKW","epk":{"crv":"X25519","x":"abc"}}},{"encrypted_key":"a2V5Mg"}],"tag":"dGFn","unprotected":{"cty":"x","n":[1,2]}}'
doc '{"ciphertext":"Y2lwaGVy","encrypted_key":"a2V5","header":{"alg":"dir"},"iv":"aXY","tag":"dGFn"}'
doc '{"ciphertext":"Y2lwaGVy"}'
doc '{"ciphertext":"Y2lwaGVy","recipients":[]}'
doc '{"ciphertext":"Y2lwaGVy","recipients":[{}]}'
doc '{"ciphertext":"Y2lwaGVy","recipients":[{},{"encrypted_key":"a2V5"}]}'
doc '{"ciphertext":"Y2lwaGVy","unprotected":"not-a-map"}'
doc '{"ciphertext":42}'
doc '{"ciphertext":"Y2lwaGVy","encrypted_key":"a2V5","recipients":[{"encrypted_key":"a2V5"}]}'
doc '{"ciphertext":"Y2lwaGVy","payload":"'$P'","signature":"'$SIG'"}'
doc '{"neither":"one"}'
doc '[1,2,3]'

stored=() same=0 refused=0
for f in "$C"/*; do
  k=$("$IPFS" dag put --store-codec dag-jose "$f" 2>/dev/null) || k=ERR
  t=$("$TROVE" dag put --store-codec dag-jose "$f" 2>/dev/null) || t=ERR
  [ "$k" = "$t" ] || fail "dag put $(cat "$f"): Kubo $k, trove $t"
  if [ "$k" = ERR ]; then refused=$((refused + 1)); else same=$((same + 1)); stored+=("$k"); fi
done
echo "ok - dag put --store-codec dag-jose: $same stored with Kubo's CIDs, $refused refused by both"
[ $same -ge 15 ] && [ $refused -ge 10 ] || fail "the corpus lost its balance: $same stored, $refused refused"

# dag get, in three codecs and along paths, of everything stored.
gets=0
cmp_get() { # ARGS...: the same bytes, or both fail
  local k t
  k=$("$IPFS" dag get "$@" 2>/dev/null | od -An -tx1) || k=ERR
  t=$("$TROVE" dag get "$@" 2>/dev/null | od -An -tx1) || t=ERR
  [ "$k" = "$t" ] || fail "dag get $*: Kubo $k; trove $t"
  gets=$((gets + 1))
}
for c in "${stored[@]}"; do
  for oc in dag-json dag-cbor json; do cmp_get --output-codec=$oc "$c"; done
  for p in link payload signatures signatures/0/signature signatures/1/header/deep/l/2 \
    recipients/0/encrypted_key recipients/0/header/epk/crv unprotected/n/1 ciphertext nothing; do
    cmp_get "$c/$p"
  done
  # Across the link, into the payload's block (raw: its bytes).
  cmp_get --output-codec=dag-json "$c/link"
done
echo "ok - dag get: $gets reads of ${#stored[@]} JOSE blocks the same on both (or failing on both)"

# Blocks made by hand: dag-cbor bytes stored as dag-jose.
H=$WORK/hand
mkdir -p "$H"
m=0
hand() { m=$((m + 1)); printf '%s' "$1" >"$H/$(printf %02d $m)"; }
PB=$(python3 -c 'import base64,sys; print(base64.b64encode(base64.urlsafe_b64decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 4))).decode().rstrip("="))' "$P")
hand '{"payload":{"/":{"bytes":"'$PB'"}},"signatures":[{"signature":{"/":{"bytes":"AAAA"}}}]}'
hand '{"payload":"'$P'","signatures":[{"signature":"'$SIG'","protected":"'$PROT'"}]}'
hand '{"payload":{"/":{"bytes":"'$PB'"}},"signatures":[{"signature":{"/":{"bytes":"AAAA"}}}],"x":1}'
hand '{"payload":{"/":{"bytes":"'$PB'"}},"signatures":[{"header":{"ok":true},"signature":{"/":{"bytes":"AAAA"}}}]}'
hand '{"link":"not-a-link","payload":{"/":{"bytes":"'$PB'"}}}'
hand '{"payload":{"/":{"bytes":"bm90IGEgY2lk"}}}'
hand '{"link":{"/":"'$Y'"},"payload":{"/":{"bytes":"bm90IGEgY2lk"}}}'
hand '{"ciphertext":{"/":{"bytes":"Y2lwaGVy"}},"unprotected":"a string"}'
hand '{"ciphertext":{"/":{"bytes":"Y2lwaGVy"}},"recipients":[{"header":{"b":{"/":{"bytes":"AQI"}}}}]}'
hand '{"ciphertext":{"/":{"bytes":"Y2lwaGVy"}},"recipients":[{"header":{"l":{"/":"'$Y'"}}}]}'
hand '{"payload":null}'
got=0 bad=0
for f in "$H"/*; do
  b=$("$IPFS" dag put "$f") || fail "Kubo's dag put of $(cat "$f")"
  "$IPFS" block get "$b" >"$WORK/blk" # one Kubo at a time: the repo's lock
  k=$("$IPFS" block put --cid-codec dag-jose "$WORK/blk")
  t=$("$TROVE" block put --cid-codec dag-jose "$WORK/blk")
  eq "$t" "$k" "block put --cid-codec dag-jose"
  ko=$("$IPFS" dag get "$k" 2>/dev/null) || ko=ERR
  to=$("$TROVE" dag get "$k" 2>/dev/null) || to=ERR
  [ "$ko" = "$to" ] || fail "dag get of $(cat "$f") as dag-jose: Kubo $ko; trove $to"
  if [ "$ko" = ERR ]; then bad=$((bad + 1)); else got=$((got + 1)); fi
done
echo "ok - hand-made dag-jose blocks: $got read as Kubo reads them, $bad refused by both"
[ $got -ge 3 ] && [ $bad -ge 4 ] || fail "the hand-made set lost its balance: $got read, $bad refused"
echo "jose_kubo: all passed"
