#!/usr/bin/env bash
# name_kubo.sh — `name get|put|inspect` and `key sign|verify|rotate`
# beside Kubo v0.43.1, records and signatures going both ways:
#
#   1. Kubo (its DHT alone, no peer) publishes under its Ed25519 identity
#      and an RSA key; `ipfs name get` gives the records.  `trove name
#      inspect` prints what `ipfs name inspect` prints, byte for byte, for
#      each (plain, --verify its name, --verify another Ed25519 name and
#      the RSA one, --dump=false, a tampered record), fails as Kubo does
#      on a record that is no record; /api/v0/name/inspect answers Kubo's
#      JSON.
#   2. `trove name put` of Kubo's records (a daemon without peers:
#      --allow-offline), then `trove name get` gives the same bytes and
#      `trove name resolve` the value; the refusals, with Kubo's words and
#      exit status: a tampered record, another name's, an older sequence
#      (and --force past that check meets the routing's own), an empty one,
#      both --allow-offline and --allow-delegated.
#   3. trove's own record: Kubo's inspect finds it valid, and prints what
#      trove prints; Kubo takes it with `ipfs name put` and gives it back.
#   4. key sign/verify: Kubo's Ed25519 and RSA keys imported into trove
#      sign the same bytes (both schemes are deterministic: the same JSON
#      line as Kubo's), each verifies the other's, a wrong message is
#      SignatureValid false (Ed25519) or Kubo's RSA error; the node keys
#      checked by PeerID; /api/v0/key/sign answers as the CLI.
#   5. key rotate refused beside the daemon, then done: a new identity,
#      the old one kept as a key (with its last IPNS record) whose
#      signatures Kubo still verifies.
# Skipped (passes) without Kubo.
INTEROP_TIMEOUT=120
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
W=$WORK
tr() { timeout 30 "$TROVE" "$@"; }
ipfs() { timeout 30 "$IPFS" "$@"; }
# both EXPECT-STATUS ARGS...: `trove ARGS` and `ipfs ARGS` exit with the
# status and print the same stdout, into $W/t.out and $W/k.out; their
# errors (after "trove: CMD: " and "Error: ") are the same too.
both() {
  local want=$1 rt=0 rk=0
  shift
  tr "$@" >"$W/t.out" 2>"$W/t.err" || rt=$?
  ipfs "$@" >"$W/k.out" 2>"$W/k.err" || rk=$?
  [ "$rt" = "$want" ] && [ "$rk" = "$want" ] ||
    fail "$*: exit $rt (trove) and $rk (Kubo), want $want: $(cat "$W/t.err" "$W/k.err")"
  cmp -s "$W/t.out" "$W/k.out" || fail "$*: stdout differs: $(diff "$W/t.out" "$W/k.out" | head -20)"
  if [ "$want" != 0 ]; then
    eq "$(head -1 "$W/t.err" | sed 's/^trove: [a-z]* [a-z]*: //')" \
      "$(head -1 "$W/k.err" | sed 's/^Error: //')" "$*: the error"
  fi
}

kubo_init
ipfs config Routing.Type dht # Routing.Type none keeps no record to get
kubo_daemon
KAPI=$(sed 's#/ip4/\([^/]*\)/tcp/\([0-9]*\)#\1:\2#' "$IPFS_PATH/api")
trove_p2p_init
interop_daemon
[ -n "$TID" ] || fail "no trove peer identity"

# --- 1. Kubo's records, inspected
echo "the file $RANDOM" >"$W/f.txt"
CID=$(ipfs add -Q "$W/f.txt")
ipfs key gen --type=rsa --size=2048 rk >/dev/null
ipfs key gen ek >/dev/null
ipfs name publish --allow-offline "/ipfs/$CID" >/dev/null
ipfs name publish --allow-offline --key=rk "/ipfs/$CID" >/dev/null
KN=$(ipfs key ls -l | awk '$2=="self"{print $1}')
RN=$(ipfs key ls -l | awk '$2=="rk"{print $1}')
EN=$(ipfs key ls -l | awk '$2=="ek"{print $1}')
ipfs name get "$KN" >"$W/ed.rec" || fail "ipfs name get self"
ipfs name get "$RN" >"$W/rsa.rec" || fail "ipfs name get rk"
python3 - "$W/ed.rec" "$W/bad.rec" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
i = b.index(bytes([0x42, 0x40]))  # signatureV2: flip a byte inside it
b[i + 10] ^= 1
open(sys.argv[2], 'wb').write(b)
EOF
head -c 100 "$W/ed.rec" >"$W/cut.rec"
for r in ed rsa; do
  both 0 name inspect "$W/$r.rec"
  both 0 name inspect --dump=false "$W/$r.rec"
  for n in "$KN" "/ipns/$KN" "$EN" "$RN"; do
    both 0 name inspect --verify "$n" "$W/$r.rec"
  done
done
both 0 name inspect --verify "$KN" "$W/bad.rec"
both 1 name inspect "$W/cut.rec"
for q in "verify=$KN" "verify=$RN&dump=false" ""; do
  t=$(curl -s -X POST -F "file=@$W/rsa.rec" "http://127.0.0.1:$APORT/api/v0/name/inspect?$q")
  k=$(curl -s -X POST -F "file=@$W/rsa.rec" "http://$KAPI/api/v0/name/inspect?$q")
  eq "$t" "$k" "/api/v0/name/inspect?$q"
done
echo "ok 1: Kubo's records inspected as Kubo inspects them (text, JSON)"

# --- 2. name put, name get, name resolve
eq "$(tr name put --allow-offline "$KN" "$W/ed.rec")" "$KN" "name put prints the name"
tr name get "$KN" >"$W/got.rec" || fail "trove name get"
cmp "$W/got.rec" "$W/ed.rec" || fail "name get: not the record put"
eq "$(tr name resolve "$KN")" "/ipfs/$CID" "name resolve of the record put"
eq "$(tr name put -q --allow-offline "/ipns/$RN" <"$W/rsa.rec")" "" "name put -q, stdin"
tr name get "/ipns/$RN" | cmp - "$W/rsa.rec" || fail "name get of the RSA name"
# The same record again: allowed (republishing).
tr name put --allow-offline "$KN" "$W/ed.rec" >/dev/null || fail "the same record again"
# Refusals, as Kubo's (whose daemon holds the same records).
both 1 name put --allow-offline "$KN" "$W/bad.rec"
both 1 name put --allow-offline "$EN" "$W/ed.rec"
both 1 name put --allow-offline "$RN" "$W/ed.rec"
: >"$W/empty.rec"
both 1 name put --allow-offline "$KN" "$W/empty.rec"
both 1 name put --allow-offline --allow-delegated "$KN" "$W/ed.rec"
both 1 name put --allow-delegated "$KN" "$W/ed.rec"
echo "the second file $RANDOM" >"$W/g.txt"
CID2=$(ipfs add -Q "$W/g.txt") # a new value: Kubo's next sequence
ipfs name publish --allow-offline "/ipfs/$CID2" >/dev/null
ipfs name get "$KN" >"$W/ed1.rec"
out=$(tr name put --allow-offline "$KN" "$W/ed1.rec" 2>&1) || fail "put of the next record: $out"
both 1 name put --allow-offline "$KN" "$W/ed.rec"
grep -q "existing IPNS record has sequence 1 >= new record sequence 0" "$W/t.err" ||
  fail "older sequence: $(cat "$W/t.err")"
# Past the check, the routing refuses to go back a sequence.
out=$(tr name put --force --allow-offline "$KN" "$W/ed.rec" 2>&1) && fail "put --force of an older record: $out"
eq "$out" "trove: name put: can't replace a newer value with an older value"
tr name get "$KN" | cmp - "$W/ed1.rec" || fail "a refused put changed the record"
curl -s -X POST -F "record=@$W/ed1.rec" "http://127.0.0.1:$APORT/api/v0/name/put?arg=$KN&allow-offline=true" >"$W/api.out"
eq "$(cat "$W/api.out")" "{\"Name\":\"$KN\",\"Value\":\"/ipfs/$CID2\"}" "/api/v0/name/put"
curl -s -X POST "http://127.0.0.1:$APORT/api/v0/name/get?arg=$KN" | cmp - "$W/ed1.rec" ||
  fail "/api/v0/name/get"
echo "ok 2: name put, get and resolve of Kubo's records; Kubo's refusals"

# --- 3. trove's record, in Kubo
TN=$(tr key ls -l | awk '$2=="self"{print $1}')
tr name publish --allow-offline "/ipfs/$CID" >/dev/null
tr name get "$TN" >"$W/trove.rec" || fail "trove name get of its own name"
both 0 name inspect --verify "$TN" "$W/trove.rec"
grep -q "Valid:  *true" "$W/k.out" || fail "Kubo finds trove's record invalid: $(cat "$W/k.out")"
eq "$(ipfs name put "$TN" "$W/trove.rec")" "$TN" "ipfs name put of trove's record"
ipfs name get "$TN" | cmp - "$W/trove.rec" || fail "Kubo's name get of trove's record"
echo "ok 3: trove's record valid in Kubo, put and got back"

# --- 4. key sign, key verify
printf 'a message to sign\n' >"$W/msg"
printf 'another message\n' >"$W/msg2"
for k in ek rk; do
  (cd "$W" && ipfs key export "$k") || fail "ipfs key export $k"
  tr key import "$k" "$W/$k.key" >/dev/null || fail "trove key import $k"
  both 0 key sign --key "$k" "$W/msg"
  S=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Signature"])' "$W/k.out")
  both 0 key verify --key "$k" --signature "$S" "$W/msg"
  grep -q '"SignatureValid":true' "$W/t.out" || fail "$k: $(cat "$W/t.out")"
  both 0 key sign --key "$k" --ipns-base=b58mh "$W/msg"
done
# A wrong message: Ed25519 says false, RSA is an error.
S=$(ipfs key sign --key ek "$W/msg" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Signature"])')
both 0 key verify --key ek --signature "$S" "$W/msg2"
grep -q '"SignatureValid":false' "$W/t.out" || fail "ek, wrong message: $(cat "$W/t.out")"
S=$(ipfs key sign --key rk "$W/msg" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Signature"])')
both 1 key verify --key rk --signature "$S" "$W/msg2"
both 1 key sign --key nokey "$W/msg"
both 1 key verify --key nokey --signature "$S" "$W/msg"
both 1 key verify --key "$RN" --signature "$S" "$W/msg"
# The node keys, by PeerID: each side's own signature, the other's check.
S=$(tr key sign <"$W/msg" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Signature"])')
ipfs key verify --key "$TN" --signature "$S" "$W/msg" | grep -q '"SignatureValid":true' ||
  fail "Kubo does not verify trove's own signature"
S=$(ipfs key sign <"$W/msg" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Signature"])')
both 0 key verify --key "$KN" --signature "$S" "$W/msg"
grep -q '"SignatureValid":true' "$W/t.out" || fail "trove does not verify Kubo's own signature"
eq "$(curl -s -X POST -F "data=@$W/msg" "http://127.0.0.1:$APORT/api/v0/key/sign?key=rk")" \
  "$(ipfs key sign --key rk "$W/msg")" "/api/v0/key/sign"
echo "ok 4: key sign and verify across trove and Kubo (ed25519, rsa, the node keys)"

# --- 5. key rotate
out=$(tr key rotate -o old 2>&1) && fail "key rotate beside the daemon: $out"
eq "$out" "trove: key rotate: trove daemon is running. please stop it to run this command"
S=$(tr key sign <"$W/msg" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Signature"])')
interop_daemon_stop
out=$(tr key rotate 2>&1) && fail "key rotate without --oldkey: $out"
eq "$out" "trove: key rotate: keystore name for backing up old key must be provided"
out=$(tr key rotate -o old) || fail "key rotate: $out"
NEW=$(sed -n 's/^peer identity: //p' <<<"$out")
eq "$(head -1 <<<"$out")" "generating ED25519 keypair...done" "key rotate's first line"
eq "$(tr config Identity.PeerID)" "$NEW" "the config's new identity"
eq "$(tr key ls -l | awk '$2=="old"{print $1}')" "$TN" "the old identity kept as a key"
# Its last IPNS record (part 3's) goes with it: the key's from now on.
[ -f "$TROVE_PATH/ipns-$TID.record" ] && [ ! -f "$TROVE_PATH/ipns-self.record" ] ||
  fail "the old identity's record was not handed to its key: $(ls "$TROVE_PATH")"
ipfs key verify --key "$TN" --signature "$S" "$W/msg" | grep -q '"SignatureValid":true' ||
  fail "the old identity's signature"
tr key sign --key old "$W/msg" | grep -q "\"Signature\":\"$S\"" || fail "signing with the old identity"
out=$(tr key rotate -o old 2>&1 >/dev/null) && fail "key rotate onto an existing key: $out"
eq "$out" "trove: key rotate: saving old key in keystore (key by that name already exists, refusing to overwrite)"
eq "$(tr config Identity.PeerID)" "$NEW" "a refused rotate changed nothing"
echo "ok 5: key rotate"
if grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$W"/daemon*.log; then
  fail "sanitizer report in trove's log"
fi
echo "name_kubo: all ok"
