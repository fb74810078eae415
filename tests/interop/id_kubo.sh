#!/bin/bash
# id_kubo.sh — `trove id` beside Kubo v0.43.1's `ipfs id` (core/commands/
# id.go, test/sharness/t0026-id.sh), trove's repo given Kubo's identity so
# that the two print the same node.  Without a daemon: the JSON (tab
# indents, an empty line after), -f's template (<id> <aver> <pubkey>
# <addrs> <protocols>, \n and \t, <pver> left as Kubo leaves it),
# --peerid-base in every spelling Kubo takes, --offline PEER (its key
# from an inline ID) and the errors, byte for byte but the agent version
# (--peerid-base identity is left out: Kubo prints the CID's raw bytes,
# NULs among them; trove refuses the base).
# Then against trove's daemon: Kubo's CLI on trove's API prints what
# trove's CLI prints, for the same options.  Skipped (passes) without
# Kubo.
INTEROP_TIMEOUT=90
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
kubo_init
export TROVE_PATH=$WORK/trove
trove_p2p_init
python3 - "$IPFS_PATH/config" "$TROVE_PATH/config" <<'PY'
import json, sys
k, t = (json.load(open(p)) for p in sys.argv[1:])
t["Identity"] = k["Identity"]
json.dump(t, open(sys.argv[2], "w"), indent=2)
PY
KAV=$("$IPFS" id -f '<aver>')
TAV=$("$TROVE" id -f '<aver>')
eq "$TAV" "trove/$("$TROVE" version --number 2>/dev/null || echo 0.1.0)" "trove's agent"
PEER=QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N # t0026's
ED=12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA
SELF36=$("$IPFS" id -f '<id>' --peerid-base base36)

# same ARGS...: stdout (trove's agent read as Kubo's), exit status, and
# the error after "trove: id: " and "Error: ".
n=0
same() {
  local kr=0 tr=0
  "$IPFS" id "$@" >"$WORK/k.out" 2>"$WORK/k.err" || kr=$?
  "$TROVE" id "$@" >"$WORK/t.raw" 2>"$WORK/t.err" || tr=$?
  sed "s#$TAV#$KAV#g" "$WORK/t.raw" >"$WORK/t.out"
  cmp -s "$WORK/k.out" "$WORK/t.out" ||
    fail "id $*: stdout differs: $(diff "$WORK/t.out" "$WORK/k.out" | od -c | head -20)"
  [ "$tr" = "$kr" ] || fail "id $*: exit $tr, Kubo's $kr: $(cat "$WORK/t.err")"
  if [ "$kr" != 0 ]; then
    eq "$(sed 's/^trove: id: //' "$WORK/t.err")" "$(head -1 "$WORK/k.err" | sed 's/^Error: //')" "id $*: the error"
  fi
  n=$((n + 1))
}
same
same -f '<id>|<aver>|<pver>|<pubkey>|<addrs>|<protocols>\t\n\x<id><id>'
same -f '<id>\n'
same --format='<pubkey>\n<addrs>\n<protocols>'
same -f ''
for b in b58mh v0 base36 k base32 b base58btc z base16 f base64url u base2 base256emoji 🚀 nope ""; do
  same --peerid-base "$b" -f '<id>\n'
  same --peerid-base="$b"
done
same --offline --peerid-base base36 -f '<id>\n' "$PEER"
same --offline "$PEER"
same --offline "$ED"
same --offline --peerid-base base32 "$ED"
same --offline --peerid-base k -f '<id> <pubkey> <addrs>' "$ED"
same "$SELF36"
same --peerid-base base36 -f '<id>\n' "$SELF36"
same "$PEER"
same nope
same a b
ok "offline: $n commands print Kubo's bytes"

# ---- the daemon: Kubo's CLI on trove's API, trove's CLI on the same
interop_daemon
K=("$IPFS" --api "/ip4/127.0.0.1/tcp/$APORT")
n=0
via() {
  local kr=0 tr=0
  "${K[@]}" id "$@" >"$WORK/k.out" 2>"$WORK/k.err" || kr=$?
  "$TROVE" id "$@" >"$WORK/t.out" 2>"$WORK/t.err" || tr=$?
  cmp -s "$WORK/k.out" "$WORK/t.out" ||
    fail "id $* via the daemon: stdout differs: $(diff "$WORK/t.out" "$WORK/k.out" | head -20)"
  [ "$tr" = "$kr" ] || fail "id $* via the daemon: exit $tr, Kubo's $kr: $(cat "$WORK/t.err" "$WORK/k.err")"
  if [ "$kr" != 0 ]; then
    eq "$(sed 's/^trove: id: //' "$WORK/t.err")" "$(head -1 "$WORK/k.err" | sed 's/^Error: //')" "id $* via the daemon: the error"
  fi
  n=$((n + 1))
}
via
via -f '<id>|<aver>|<pver>|<pubkey>\n<addrs>\n<protocols>\n'
for b in b58mh base36 k base32 z nope; do
  via --peerid-base "$b"
  via --peerid-base "$b" -f '<id>\n'
done
via --offline "$ED"
via --offline --peerid-base base36 -f '<id> <pubkey> <addrs>\n' "$PEER"
via "$SELF36"
via nope
out=$("$TROVE" id -f '<id>\n<addrs>')
eq "$(head -1 <<<"$out")" "$("$IPFS" id -f '<id>')" "the daemon's ID, Kubo's identity"
grep -q "^/ip4/127.0.0.1/tcp/$TPORT/p2p/$(head -1 <<<"$out")\$" <<<"$out" ||
  fail "the daemon's <addrs>: $out"
out=$("$TROVE" id -f '<protocols>')
grep -qx /ipfs/bitswap/1.2.0 <<<"$out" || fail "the daemon's <protocols>: $out"
ok "the daemon: $n commands, Kubo's CLI on trove's API and trove's alike"
