#!/bin/bash
# it_keys.sh — the keystore (`trove key ...`) and IPNS names of keys other
# than the node's own:
#   1. locally (no daemon): gen, ls, rename, export, import, rm, with Kubo's
#      output and refusals (a name in use, "self", an empty name, rsa, a
#      file that is no key); the files are Kubo's layout, mode 0600;
#   2. with Kubo v0.43.1 (no daemon): a key made and exported by `ipfs key`
#      imports into trove with the ID `ipfs key ls -l` shows, and a key
#      exported by trove imports into Kubo with trove's ID;
#   3. through a daemon's API: gen, ls, rename, import, rm; `name publish
#      --key=NAME` signs with that key (the answer names the key's ID, the
#      sequence goes up per key), `name resolve /ipns/ID` and the gateway's
#      /ipns/ID give the value back; `routing get` of a record held here;
#   4. the IPNS republisher (Ipns.RepublishPeriod 1s): the records of the
#      node's own keys (self, a keystore key) are re-signed; a record
#      `routing put` for someone else's name is put again as it is, never
#      re-signed, and dropped when it expires; a removed key's record is
#      no longer re-signed.
# A daemon in a temporary repo on free ports of 127.0.0.1 (no bootstrap);
# the trap stops only it.
source "$(dirname "$0")/lib.sh"
KUBO=${KUBO:-/root/go/bin/ipfs}
ok() { echo "ok - $*"; }

t init >/dev/null
SW=$(port)
t config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$SW\"]" >/dev/null
t config --json Bootstrap '[]' >/dev/null

# ---------------------------------------------------------- 1. locally
A=$(t key gen alpha)
[[ $A == k51* ]] || fail "key gen prints a base36 ID: $A"
eq "$(t key gen --ipns-base=b58mh beta | cut -c1-8)" "12D3KooW" "b58mh ID"
expect_fail t key gen alpha
eq "$(t key gen alpha 2>&1)" "trove: key gen: key with name 'alpha' already exists"
eq "$(t key gen self 2>&1)" "trove: key gen: cannot create key with name 'self'"
expect_fail t key gen ""
expect_fail t key gen --type=rsa gamma
expect_fail t key gen "$(printf 'a\tb')"
# Kubo's file names: key_ + lowercase unpadded base32 of the name; 0600.
[ -f "$TROVE_PATH/keystore/key_mfwha2db" ] || fail "alpha's file: $(ls "$TROVE_PATH/keystore")"
eq "$(stat -c %a "$TROVE_PATH/keystore/key_mfwha2db")" 600 "key file mode"
eq "$(stat -c %a "$TROVE_PATH/keystore")" 700 "keystore mode"
eq "$(t key ls | tr '\n' ' ')" "self alpha beta " "key ls"
SELF=$(t key ls -l | awk '$2=="self"{print $1}')
[[ $SELF == k51* ]] || fail "self's ID in key ls -l"
eq "$(t key ls -l | awk '$2=="alpha"{print $1}')" "$A" "alpha's ID in key ls -l"
eq "$(t key rename alpha delta)" "Key $A renamed to delta"
expect_fail t key rename alpha epsilon
eq "$(t key rename delta beta 2>&1)" "trove: key rename: key by that name already exists, refusing to overwrite"
eq "$(t key rename self x 2>&1)" "trove: key rename: cannot rename key with name 'self'"
eq "$(t key rename --force delta beta)" "Key $A renamed to beta with overwriting"
eq "$(t key ls | tr '\n' ' ')" "self beta " "after rename --force"
(cd "$WORK" && t key export beta) || fail "key export"
eq "$(stat -c %s "$WORK/beta.key")" 68 "exported size"
eq "$(stat -c %a "$WORK/beta.key")" 600 "exported mode"
cmp "$WORK/beta.key" "$TROVE_PATH/keystore/key_mjsxiyi" || fail "export is the key file"
t key export -o "$WORK/b2.key" beta && cmp "$WORK/beta.key" "$WORK/b2.key" || fail "export -o"
eq "$(t key export self 2>&1)" "trove: key export: cannot export key with name 'self'"
eq "$(t key export nope 2>&1)" "trove: key export: key with name 'nope' doesn't exist"
eq "$(t key import beta2 "$WORK/beta.key")" "$A" "import gives the same ID"
eq "$(t key import self "$WORK/beta.key" 2>&1)" "trove: key import: cannot import key with name 'self'"
expect_fail t key import beta2 "$WORK/beta.key"
head -c 40 /dev/urandom >"$WORK/junk"
expect_fail t key import junk "$WORK/junk"
# An RSA PrivateKey whose PKCS#1 data is no key.
printf '\x08\x00\x12\x03abc' >"$WORK/rsa.key"
eq "$(t key import r "$WORK/rsa.key" 2>&1)" "trove: key import: unable to unmarshall format=libp2p-protobuf-cleartext: malformed or unsupported key"
eq "$(t key rm -l beta2 | awk '{print $1, $2}')" "$A beta2" "key rm -l"
eq "$(t key rm nope 2>&1)" "trove: key rm: no key named nope was found"
eq "$(t key rm self 2>&1)" "trove: key rm: cannot remove key with name 'self'"
ok "local keystore: gen, ls, rename, export, import, rm and refusals"

# ---------------------------------------------------------- 2. with Kubo
if [ -x "$KUBO" ]; then
  export IPFS_PATH=$WORK/kubo
  "$KUBO" init --profile=test >/dev/null 2>&1 || fail "ipfs init"
  KID=$("$KUBO" key gen fromkubo)
  (cd "$WORK" && "$KUBO" key export fromkubo) || fail "ipfs key export"
  eq "$(t key import fromkubo "$WORK/fromkubo.key")" "$KID" "Kubo's key in trove"
  eq "$(t key ls -l | awk '$2=="fromkubo"{print $1}')" "$KID" "trove lists Kubo's ID"
  eq "$("$KUBO" key import fromtrove "$WORK/beta.key")" "$A" "trove's key in Kubo"
  eq "$("$KUBO" key ls -l | awk '$2=="fromtrove"{print $1}')" "$A" "Kubo lists trove's ID"
  # Kubo's RSA and secp256k1 keys: imported, listed and exported as
  # they are (`key sign` signs with them; IPNS names take Ed25519 keys).
  for ty in rsa secp256k1; do
    KT=$("$KUBO" key gen --type=$ty "k$ty")
    (cd "$WORK" && "$KUBO" key export "k$ty") || fail "ipfs key export k$ty"
    eq "$(t key import "k$ty" "$WORK/k$ty.key")" "$KT" "Kubo's $ty key in trove"
    eq "$(t key ls -l | awk -v n="k$ty" '$2==n{print $1}')" "$KT" "trove lists Kubo's $ty ID"
    t key export -o "$WORK/k$ty.back" "k$ty" || fail "key export k$ty"
    cmp "$WORK/k$ty.key" "$WORK/k$ty.back" || fail "the $ty key exports as imported"
    t key rm "k$ty" >/dev/null || fail "key rm k$ty"
  done
  # The keystore files are interchangeable as they are.
  cmp "$IPFS_PATH/keystore/key_mzzg63llovrg6" "$TROVE_PATH/keystore/key_mzzg63llovrg6" ||
    fail "the same key file in both keystores"
  unset IPFS_PATH
  ok "Kubo interop: keys exported by each import into the other with the same ID"
else
  echo "skip - Kubo not at $KUBO"
fi

# ---------------------------------------------------------- 3. daemon
checked_stop 20
start_daemon
G=$(t key gen viaapi)
[[ $G == k51* ]] || fail "key gen through the API: $G"
grep -q "key/gen" "$WORK/daemon.log" || true
eq "$(t key gen viaapi 2>&1)" "trove: key gen: key with name 'viaapi' already exists"
eq "$(t key ls | tr '\n' ' ')" "self beta fromkubo viaapi " "key ls through the API"
[ -n "$(curl -s -X POST "http://127.0.0.1:$APORT/api/v0/key/list" | grep -o '"Name":"self"')" ] ||
  fail "key/list answers"
eq "$(t key rename viaapi named)" "Key $G renamed to named"
eq "$(t key import again "$WORK/beta.key" 2>&1)" "$A" "key import through the API"
eq "$(t key import bad "$WORK/junk" 2>&1 | cut -c1-40)" "trove: key import: unable to unmarshall " "bad file through the API"
eq "$(t key rm again | tr '\n' ' ')" "again " "key rm through the API"
CID=$(echo "hello from a named key" | t add -Q)
CID2=$(echo "second version" | t add -Q)
out=$(t name publish --key=named --allow-offline "/ipfs/$CID") || fail "publish --key: $out"
eq "$out" "Published to $G: /ipfs/$CID"
ls "$TROVE_PATH"/ipns-12D3KooW*.record >/dev/null || fail "the key's record kept"
[ ! -f "$TROVE_PATH/ipns-self.record" ] || fail "self's record untouched"
eq "$(t name resolve "/ipns/$G")" "/ipfs/$CID" "name resolve the key's name"
eq "$(curl -sL "http://127.0.0.1:$GPORT/ipns/$G")" "hello from a named key" "gateway /ipns/KEY"
# A second publish with the key's PeerID as --key: the next sequence.
out=$(t name publish --key="$G" -Q --allow-offline "/ipfs/$CID2") || fail "publish --key=ID: $out"
eq "$out" "$G"
eq "$(t name resolve "$G")" "/ipfs/$CID2" "resolve after the second publish"
eq "$(t name resolve "ipns://$G")" "/ipfs/$CID2" "resolve ipns://NAME (Kubo 0.43's native URIs)"
eq "$(curl -s -X POST "http://127.0.0.1:$APORT/api/v0/resolve?arg=IPNS:$G" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["Path"])')" "/ipfs/$CID2" "/api/v0/resolve of IPNS:NAME"
eq "$(t resolve "/ipns/$G")" "/ipfs/$CID2" "trove resolve /ipns/NAME"
t resolve "/ipfs/$CID2/no-such-name" >/dev/null 2>&1 && fail "resolve of a missing name"
eq "$(curl -sL "http://127.0.0.1:$GPORT/ipns/$G")" "second version" "gateway serves the new value"
curl -sL -o "$WORK/rec" "http://127.0.0.1:$GPORT/ipns/$G?format=ipns-record" || fail "ipns-record"
cmp "$WORK/rec" "$TROVE_PATH"/ipns-12D3KooW*.record || fail "the gateway's record is the one kept"
python3 - "$WORK/rec" <<'EOF' || fail "the record's sequence is 1"
import sys
b = open(sys.argv[1], 'rb').read()
# IpnsEntry field 5 (sequence, varint): tag 0x28.
i = b.find(b'\x28')
while i >= 0 and i + 1 < len(b):
    if b[i + 1] == 1: sys.exit(0)
    i = b.find(b'\x28', i + 1)
sys.exit(1)
EOF
# A record valid for 1h with a TTL of 1h, a second later: cached for
# what is left of its validity, not for its whole TTL (boxo).
S=$(t key gen short) || fail "key gen short"
out=$(t name publish --key=short -Q --allow-offline --lifetime=1h --ttl=1h "/ipfs/$CID2") ||
  fail "publish --lifetime: $out"
sleep 1.1
cc=$(curl -s -o /dev/null -w '%{header_json}' "http://127.0.0.1:$GPORT/ipns/$S?format=ipns-record" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["cache-control"][0])')
case $cc in
  "public, max-age=35"[0-9][0-9]) ;;
  *) fail "an IPNS record's max-age past its EOL: $cc" ;;
esac
cc=$(curl -s -o /dev/null -w '%{header_json}' "http://127.0.0.1:$GPORT/ipns/$S" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["cache-control"][0])')
case $cc in
  "public, max-age=35"[0-9][0-9]) ;;
  *) fail "content under an IPNS name cached past the record's EOL: $cc" ;;
esac
t key rm short >/dev/null # the republishing rounds below count own keys
# Kubo 0.43's rules: no record that expires at once, no TTL past its
# lifetime when asked for (the default one is cut to it).
err=$(t name publish --allow-offline --lifetime=0s "/ipfs/$CID2" 2>&1) && fail "a lifetime of 0 accepted"
[[ $err == *"lifetime must be greater than zero"* ]] || fail "lifetime 0: $err"
err=$(t name publish --allow-offline --lifetime=1h --ttl=2h "/ipfs/$CID2" 2>&1) && fail "a TTL past the lifetime accepted"
[[ $err == *"ttl (7200s) must not be greater than lifetime (3600s)"* ]] || fail "ttl > lifetime: $err"
eq "$(t name publish --key=nope /ipfs/$CID 2>&1)" "trove: name publish: no key by the given name was found"
# `routing get` finds the record held here although the DHT table is
# empty (no peers): the one published, byte for byte.
t routing get "/ipns/$G" >"$WORK/got" || fail "routing get /ipns/KEY: $(cat "$WORK/got")"
cmp "$WORK/got" "$WORK/rec" || fail "routing get: not the record held"
eq "$(t routing get "/ipns/k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8" 2>&1)" \
  "trove: routing get: routing: not found" "routing get of a name nobody published"
ok "daemon: key commands through the API; name publish --key, resolve and the gateway; routing get"

# The gateway's Cache-Control for an /ipns/ path is the record's TTL, as
# boxo's (for a file, and for a directory listing, which must not take the
# week an /ipfs/ listing gets); an /ipfs/ path stays immutable.
cc_of() { curl -sI "$1" | tr -d '\r' | sed -n 's/^[Cc]ache-[Cc]ontrol: //p'; }
eq "$(cc_of "http://127.0.0.1:$GPORT/ipns/$G")" "public, max-age=300" "Cache-Control of /ipns/ (publish's default TTL, 5m)"
mkdir -p "$WORK/site/sub"; echo page >"$WORK/site/sub/p.txt"
DIRCID=$(t add -r -Q "$WORK/site")
t name publish --key=named --ttl=42s --allow-offline "/ipfs/$DIRCID" >/dev/null || fail "publish --ttl"
eq "$(cc_of "http://127.0.0.1:$GPORT/ipns/$G/sub/p.txt")" "public, max-age=42" "Cache-Control of a file under /ipns/ (--ttl=42s)"
eq "$(cc_of "http://127.0.0.1:$GPORT/ipns/$G/sub/")" "public, max-age=42, stale-while-revalidate=2678400" \
  "Cache-Control of a listing under /ipns/ (boxo's dirListingCacheControl)"
eq "$(cc_of "http://127.0.0.1:$GPORT/ipfs/$DIRCID/sub/p.txt")" "public, max-age=29030400, immutable" "Cache-Control of /ipfs/"

# A record of a key that is then removed: someone else's name from now on.
O=$(t key gen --ipns-base=b58mh other)
t name publish --key=other --allow-offline --lifetime=10s "/ipfs/$CID" >/dev/null || fail "publish --key=other"
t routing get "/ipns/$O" >"$WORK/other.rec" || fail "routing get other"
cp "$TROVE_PATH/ipns-$O.record" "$WORK/other.signed"
eq "$(t key rm other)" "other"
NB58=$(t key list -l --ipns-base=b58mh | awk '$2 == "named" {print $1}')
[ -f "$TROVE_PATH/ipns-$NB58.record" ] || fail "no record of the key named"

# ---------------------------------------------------------- 4. republisher
kill "$DPID"
wait "$DPID" || fail "the daemon did not stop cleanly"
t config Ipns.RepublishPeriod 1s >/dev/null
start_daemon
RSA=k2k4r8ph6mjaqxb65opssmdu8o21ak13uzwi6ro1cnlozbufa3npnsef
RSAREC="$(cd "$(dirname "$0")" && pwd)/vectors/ipns/kubo-0.43.1_$RSA.ipns-record"
t name publish --allow-offline "/ipfs/$CID" >/dev/null || fail "publish self"
t routing put --allow-offline "/ipns/$RSA" "$RSAREC" >/dev/null || fail "routing put the RSA record"
t routing put --allow-offline "/ipns/$O" "$WORK/other.rec" >/dev/null || fail "routing put other's record"
eq "$(ls "$TROVE_PATH"/ipns-held-*.record | wc -l)" 2 "the two records put are held"
seq_of() { # the sequence (IpnsEntry field 5) of the record in file $1
  python3 -c '
import sys
b, i = open(sys.argv[1], "rb").read(), 0
def varint():
    global i
    v = s = 0
    while True:
        x = b[i]; i += 1; v |= (x & 0x7f) << s; s += 7
        if x < 0x80: return v
while i < len(b):
    t = varint()
    if (t & 7) == 0:
        v = varint()
        if t >> 3 == 5: print(v); break
    else:
        n = varint()
        i += n' "$1"
}
S0=$(seq_of "$TROVE_PATH/ipns-self.record")
N0=$(seq_of "$TROVE_PATH/ipns-$NB58.record")
# Rounds run every second: wait (20 s at most) for the one that drops the
# short-lived record, which expires 10 s after it was signed.
DROP="the record held for $O is expired: dropped"
for _ in $(seq 200); do grep -q "$DROP" "$WORK/daemon.log" && break; sleep 0.1; done
grep -q "$DROP" "$WORK/daemon.log" || fail "the expired record was not dropped"
[ ! -f "$TROVE_PATH/ipns-held-$O.record" ] || fail "the expired record is still held"
grep -q "2 own records re-signed, 2 held records put again, 0 dropped" "$WORK/daemon.log" ||
  fail "no round re-signed self's and named's records and put both held records again"
# A round after the drop: the RSA record alone is put again.
L=$(wc -l <"$WORK/daemon.log")
AFTER="2 own records re-signed, 1 held records put again, 0 dropped"
for _ in $(seq 50); do tail -n +"$((L + 1))" "$WORK/daemon.log" | grep "$AFTER" >/dev/null && break; sleep 0.1; done
tail -n +"$((L + 1))" "$WORK/daemon.log" | grep "$AFTER" >/dev/null || fail "no round after the drop put the RSA record alone"
eq "$(grep -c "the record held for $O" "$WORK/daemon.log")" 1 "the expired record dropped once, never put again"
t routing get "/ipns/$RSA" >"$WORK/rsa.got" || fail "routing get the RSA name"
cmp "$WORK/rsa.got" "$RSAREC" || fail "the held RSA record was changed"
cmp "$TROVE_PATH/ipns-$O.record" "$WORK/other.signed" || fail "a removed key's record was re-signed"
[ "$(seq_of "$TROVE_PATH/ipns-self.record")" -gt "$S0" ] || fail "self's record was not re-signed"
[ "$(seq_of "$TROVE_PATH/ipns-$NB58.record")" -gt "$N0" ] || fail "the keystore key's record was not re-signed"
ok "republisher: own keys' records re-signed; a record put for another name put again as it is, dropped once expired"
# A record lifetime shorter than the republishing period stops the start
# (Kubo 0.43): the records would expire between two rounds.
kill "$DPID"; wait "$DPID" 2>/dev/null || true; DPID=""
t config Ipns.RepublishPeriod 4h >/dev/null
t config Ipns.RecordLifetime 1h >/dev/null
t daemon --gateway=/ip4/127.0.0.1/tcp/0 --api=/ip4/127.0.0.1/tcp/0 >"$WORK/bad.log" 2>&1 &&
  fail "a record lifetime under the republishing period accepted"
grep -q "Ipns.RecordLifetime (3600 s) must be >= Ipns.RepublishPeriod (14400 s)" "$WORK/bad.log" ||
  fail "no message naming both settings: $(cat "$WORK/bad.log")"
ok "name publish's lifetime and TTL rules, Ipns.RecordLifetime >= Ipns.RepublishPeriod"

# Ipns.MaxCacheTTL caps what an /ipns/ answer says it may be cached for.
t config Ipns.RecordLifetime 48h >/dev/null
t config Ipns.MaxCacheTTL 30s >/dev/null
start_daemon
t name publish --allow-offline --ttl=1h "/ipfs/$CID2" >/dev/null || fail "publish with a 1 h TTL"
cc=$(curl -sL -o /dev/null -w '%{header_json}' "http://127.0.0.1:$GPORT/ipns/$(t config Identity.PeerID)" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["cache-control"][0])')
eq "$cc" "public, max-age=30" "Ipns.MaxCacheTTL caps a 1 h TTL"
kill "$DPID"; wait "$DPID" || fail "the daemon did not stop cleanly"; DPID=""
ok "Ipns.MaxCacheTTL"
