#!/usr/bin/env bash
# dht_put_kubo.sh — `routing put` on trove, with Kubo (v0.43.1) on both
# ends, over the LAN DHT on 127.0.0.1:
#
#   1. Kubo D, alone (no peer ever), publishes its IPNS name a few times;
#      `ipfs routing get` on D gives the records' bytes.  D then stops:
#      nobody else has them.
#   2. Kubo's own CLI (`ipfs --api=<trove> routing put`) puts D's record
#      through trove's API (the multipart body Kubo sends), and prints D's
#      PeerID as Kubo's daemon would; the hub A (a DHT peer of trove)
#      answers `ipfs routing get /ipns/D` with the same bytes, and a Kubo
#      C that only knows A resolves D's name.
#   3. Refusals, as Kubo's (500, the validator's words): an older record
#      than the one held, a tampered one, an expired one, one under
#      another name, a key that is not /ipns/ or /pk/.  (The expired one
#      is trove's own name, published for 2 s.)
#   4. /pk/: a public key put under its PeerID comes back from routing get.
# Every wait is bounded; every process is stopped by the traps.  Skipped
# (passes) when Kubo is not installed.
INTEROP_TIMEOUT=600 INTEROP_DHT_KUBO=1
source "$(dirname "$0")/lib/trove_lib.sh"
tr() { timeout 60 "$TROVE" "$@"; }
W=$WORK

# --- 1. D's records, made where nobody can see them
kubo_new 3
kubo_start 3
D=${KUBO_ID[3]}
echo "D's file $RANDOM $(date +%s%N)" >"$W/d.txt"
DCID=$(kubo 3 add -Q "$W/d.txt")
kubo 3 name publish --allow-offline "/ipfs/$DCID" >/dev/null
kubo 3 routing get "/ipns/$D" >"$W/old.rec"
kubo 3 name publish --allow-offline "/ipfs/$DCID" >/dev/null
kubo 3 routing get "/ipns/$D" >"$W/new.rec"
cmp -s "$W/old.rec" "$W/new.rec" && fail "D's two records are the same"
kubo_stop 3
echo "ok 1: Kubo D's records ($(wc -c <"$W/new.rec") bytes), D stopped"

# --- the hub and trove
kubo_new 0
kubo_start 0
trove_p2p_init
tr config --json Bootstrap "[\"${KUBO_ADDR[0]}\"]" >/dev/null
tr config --json Routing.LoopbackAddressesOnLanDHT true >/dev/null
interop_daemon
AP=$APORT
[ -n "$TID" ] || fail "no trove peer identity"
kubo_wait_rt_has 0 "$TID" 30 || fail "the hub's LAN table never held trove"
for _ in $(seq 100); do
  tr stats dht | sed -n '/DHT lan/,$p' | grep "${KUBO_ID[0]}" >/dev/null && break
  sleep 0.2
done

# --- 2. Kubo's CLI puts D's record through trove; the hub has it
out=$(IPFS_PATH=$W/k0 timeout 60 "$KUBO_BIN" --api="/ip4/127.0.0.1/tcp/$AP" \
  routing put "/ipns/$D" "$W/new.rec" 2>&1) ||
  fail "ipfs --api=trove routing put: $out"
[ "$out" = "$D" ] || fail "ipfs routing put through trove printed '$out'"
kubo 0 routing get "/ipns/$D" >"$W/a.rec" || fail "the hub has no record for D"
cmp -s "$W/a.rec" "$W/new.rec" || fail "the hub's record for D differs"
tr routing get "/ipns/$D" >"$W/t.rec" || fail "trove routing get /ipns/D"
cmp -s "$W/t.rec" "$W/new.rec" || fail "trove's record for D differs"
# trove's own CLI, from stdin, the same record again: accepted.
out=$(tr routing put "/ipns/$D" <"$W/new.rec") || fail "trove routing put: $out"
[ "$out" = "$D" ] || fail "trove routing put printed '$out'"
kubo_new 2
kubo_start 2
kubo_connect 2 0
kubo_wait_resolve 2 "$D" "/ipfs/$DCID" 30 ||
  fail "Kubo C does not resolve D's name through the hub"
echo "ok 2: a record put through trove's API is on the DHT (Kubo gets it, resolves it)"

# --- 3. refusals
expect_refusal() { # FILE KEY WORDS: trove refuses, 500, with WORDS
  local code msg
  code=$(curl -s -o "$W/err.json" -w '%{http_code}' -X POST \
    -F "file=@$1" "http://127.0.0.1:$AP/api/v0/routing/put?arg=$2")
  msg=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("Message"))' "$W/err.json" 2>&1 || cat "$W/err.json")
  [ "$code" = 500 ] || fail "put of $1 under $2 answered $code: $msg"
  [ "$msg" = "$3" ] || fail "put of $1 under $2: '$msg', want '$3'"
}
expect_refusal "$W/old.rec" "/ipns/$D" "can't replace a newer value with an older value"
python3 - "$W/new.rec" "$W/bad.rec" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
# signatureV2 is field 8 (tag 0x42, a 64-byte Ed25519 signature): flip a
# byte inside it.
i = b.index(bytes([0x42, 0x40]))
b[i + 10] ^= 1
open(sys.argv[2], 'wb').write(b)
EOF
expect_refusal "$W/bad.rec" "/ipns/$D" "signature verification failed"
# An expired record: trove's own, signed for 2 s (Kubo's routing get does
# not hand out its short-lived records: it keeps the longer one).
tr name publish --lifetime=2s "/ipfs/$DCID" >/dev/null || fail "publish 2s"
tr routing get "/ipns/$TID" >"$W/exp.rec" || fail "get of trove's 2 s record"
sleep 2.5
expect_refusal "$W/exp.rec" "/ipns/$TID" "record is expired"
# Under another (Ed25519) name: its key is the name's, the signature is D's.
expect_refusal "$W/new.rec" "/ipns/${KUBO_ID[0]}" "signature verification failed"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -F "file=@$W/new.rec" \
  "http://127.0.0.1:$AP/api/v0/routing/put?arg=/foo/$D")
[ "$code" = 500 ] || fail "a /foo/ key answered $code"
if out=$(tr routing put "/ipns/$D" "$W/bad.rec" 2>&1); then
  fail "trove routing put took a tampered record: $out"
fi
grep -q "signature verification failed" <<<"$out" || fail "CLI said: $out"
tr routing get "/ipns/$D" >"$W/t2.rec"
cmp -s "$W/t2.rec" "$W/new.rec" || fail "a refused put changed the record held"
echo "ok 3: refusals (older, tampered, expired, another name, bad key)"

# --- 4. /pk/: an Ed25519 PeerID inlines its key; the key goes under /pk/
python3 - "${KUBO_ID[0]}" "$W/pk" <<'EOF'
import sys
A = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
n = 0
for c in sys.argv[1]:
    n = n * 58 + A.index(c)
s = sys.argv[1]
b = b'\0' * (len(s) - len(s.lstrip('1'))) + n.to_bytes((n.bit_length() + 7) // 8, 'big')
assert b[:2] == b'\x00\x24'  # identity multihash of a 36-byte key
open(sys.argv[2], 'wb').write(b[2:])
EOF
out=$(tr routing put "/pk/${KUBO_ID[0]}" "$W/pk") || fail "put /pk/: $out"
[ "$out" = "${KUBO_ID[0]}" ] || fail "put /pk/ printed '$out'"
tr routing get "/pk/${KUBO_ID[0]}" >"$W/pk2" || fail "get /pk/"
cmp -s "$W/pk" "$W/pk2" || fail "/pk/ came back different"
expect_refusal "$W/pk" "/pk/$D" "record public key does not match the expected public key"
echo "ok 4: /pk/ records"
kill -0 "$DPID" || fail "trove died"
# Stopped here so that, under ASan, its shutdown's leak check is read.
interop_daemon_stop
if grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$W"/daemon*.log; then
  fail "sanitizer report in trove's log"
fi
echo "dht_put_kubo: all ok"
