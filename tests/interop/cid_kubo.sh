#!/bin/bash
# cid_kubo.sh — `trove cid format` and `cid base32` beside Kubo v0.43.1's
# `ipfs cid`, on the same arguments: every format specifier, conversions
# between versions, codecs and bases (CIDv0 in, CIDv1 out and back, upper
# case, identity, blake3, git-raw), stdin arguments, and the refusals (a
# bad specifier, a format without one, CIDv0 of a non-dag-pb CID, an
# unknown version, an argument that is not a CID among good ones): the
# same lines on stdout and the same exit status (the error texts may
# differ).  No repo or daemon is needed.  Then the API's cid/format and
# cid/base32 against Kubo's daemon: the same JSON lines (CidStr,
# Formatted, ErrorMsg, the last's wording aside) and status codes.
# Skipped (passes) without Kubo.
INTEROP_TIMEOUT=120
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
kubo_init

V0=QmYtUc4iTCbbfVSDNKvtQqrfyezPPnFvE33wFmutw9PBBk
PB=bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi
ID=bafkqaaa
B3=bafkr4ifpcne3t5pzugtkaqcn5i3nzskjtpfslsnnyejlpte2spfoihzsmi
GIT=baf4bcfbcthbxs6bglkk4x2bvusypbo7rlkwvksi
K=k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8
cases=(
  "base32 $V0 $ID $PB"
  "base32 $K"
  "format $V0 $PB $ID"
  "format -v 1 $V0"
  "format -v 1 -b base36 $V0"
  "format -v 0 $PB"
  "format -b base58btc -v 0 $V0"
  "format --mc raw $V0"
  "format --mc dag-cbor -b base32upper $PB"
  "format -f %P_%c_%h_%L_%m_%M_%b_%B_%v_%V_%C_%H $PB $V0 $B3 $GIT"
  "format -b base64 -f %s_%m_%M_%d_%D_%S_%B_%H_%C_%V $ID"
  "format -b base16 -f %s-%d-%S $ID $PB"
  "format -b base64url -f %S $ID"
  "format -b base32pad $PB"
  "format -b base36upper $K"
  "format ${PB^^}"
  "format -f %S $V0"
  "format -f %%%s%% $ID"
  "format -f %x $ID"
  "format -f x $ID"
  "format -v 0 $ID"
  "format -v 2 $ID"
  "base32 foo $ID"
)
for args in "${cases[@]}"; do
  # shellcheck disable=SC2086 # args is a word list
  kr=0 tr=0
  k=$("$IPFS" cid $args 2>/dev/null) || kr=$?
  # shellcheck disable=SC2086
  t=$("$TROVE" cid $args 2>/dev/null) || tr=$?
  eq "$t" "$k" "cid $args"
  [ "$tr" = "$kr" ] || fail "cid $args: exit $tr, Kubo's $kr"
done
eq "$(printf '%s\n%s\n' "$V0" "$PB" | "$TROVE" cid base32)" \
  "$(printf '%s\n%s\n' "$V0" "$PB" | "$IPFS" cid base32)" "stdin arguments"
echo "ok - ${#cases[@]} cid format/base32 cases: Kubo's output and exit status"

# ---- the API, beside Kubo's daemon
trove_p2p_init
interop_daemon
kubo_daemon
KAPI=$("$IPFS" config Addresses.API | sed 's#/ip4/\([^/]*\)/tcp/\([0-9]*\)#\1:\2#')
# The JSON lines with ErrorMsg's wording reduced to whether there is one.
api() { # HOST:PORT QUERY
  curl -s -X POST -w '\n%{http_code}' "http://$1/api/v0/$2" |
    sed 's/"ErrorMsg":"[^"][^"]*"/"ErrorMsg":"x"/; s/"Message":"[^"]*"/"Message":"x"/'
}
for q in "cid/base32?arg=$V0&arg=foo&arg=$ID" \
  "cid/format?arg=$PB&arg=$V0&f=%25P%20%25m&b=base36" \
  "cid/format?arg=$PB&v=0" "cid/format?arg=$ID&v=0" \
  "cid/format?arg=$ID&f=%25x" "cid/format?arg=$ID&v=7"; do
  eq "$(api "127.0.0.1:$APORT" "$q")" "$(api "$KAPI" "$q")" "API $q"
done
echo "ok - the API's cid/format and cid/base32 answer as Kubo's"
