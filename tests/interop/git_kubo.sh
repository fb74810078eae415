#!/bin/bash
# git_kubo.sh — git objects as IPLD blocks (git-raw, sha1: a loose object
# without its zlib, named by git's own SHA-1), beside Kubo v0.43.1, whose
# go-ipld-git walks a commit's tree and parents, a tree's entries and a
# tag's object:
#   - a repository of two branches, a merge, an annotated tag, a symlink
#     and nested directories: each object `block put` into both gives the
#     same CID (its SHA-1), and `refs -r -u` of the head and of the tag
#     list the same objects in the same order;
#   - hand-made objects (a merge tag, a signature, CRLF, links in the
#     message, a tag of two object lines): `refs` gives Kubo's links;
#   - over bitswap: trove's `pin add` of Kubo's head fetches the whole
#     history, GC keeps it, and Kubo's `pin add` of trove's does the same
#     (before, trove took git objects for leaves: it fetched the commit
#     alone, and GC removed the rest).
# Skipped (passes) without Kubo or git.
INTEROP_TIMEOUT=240
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
command -v git >/dev/null || { echo "skip: no git"; exit 0; }

kubo_init
trove_p2p_init

# A repository to archive.
mkrepo() { # DIR WORD
  git init -q -b main "$1"
  (
    cd "$1" || exit 1
    git config user.email t@example.org && git config user.name T
    mkdir -p d/e && echo "one $2" >a.txt && echo "two $2" >d/b.txt &&
      echo "three $2" >d/e/c.txt && ln -s a.txt link && git add -A &&
      git commit -qm first && git checkout -qb side && echo "side $2" >d/s.txt &&
      git add -A && git commit -qm side && git tag -a v1 -m "tag v1" &&
      git checkout -q main && echo more >>a.txt && git commit -qam second &&
      git merge -q --no-ff -m merge v1
  ) || fail "git repo $1"
}
# put REPO CMD...: every object of REPO, by CMD (a block put), its CID
# checked against the object's name.
put() {
  local repo=$1 sha typ size c
  shift
  git -C "$repo" cat-file --batch-all-objects \
    --batch-check='%(objectname) %(objecttype) %(objectsize)' |
    while read -r sha typ size; do
      c=$({ printf '%s %d\0' "$typ" "$size"; git -C "$repo" cat-file "$typ" "$sha"; } |
        "$@" block put --cid-codec git-raw --mhtype sha1) || fail "block put $sha"
      [ "$c" = "$(cidof "$sha")" ] || fail "$sha put as $c"
    done
}
cidof() { # a SHA-1's CID (v1, git-raw, sha1), base32
  printf 'b%s' "$(printf '01781114%s' "$1" | tr a-f A-F | basenc --base16 -d |
    basenc --base32 -w0 | tr A-Z a-z | tr -d =)"
}

mkrepo "$WORK/r1" kubo
put "$WORK/r1" "$IPFS"
put "$WORK/r1" "$TROVE"
H1=$(cidof "$(git -C "$WORK/r1" rev-parse HEAD)")
T1=$(cidof "$(git -C "$WORK/r1" rev-parse v1)")
for c in "$H1" "$T1"; do
  eq "$("$TROVE" refs -r -u "$c")" "$("$IPFS" refs -r -u "$c")" "refs -r -u $c"
done
n=$("$TROVE" refs -r -u "$H1" | wc -l)
[ "$n" -ge 15 ] || fail "the history has $n objects under its head"
echo "ok - a git repository's $((n + 1)) objects: Kubo's CIDs, and refs -r -u lists them as Kubo does"

# dag get: go-ipld-git's data model, as dag-json and dag-cbor, the same
# bytes from both (or a failure on both).  go-ipld-git prints "unhandled
# line: ..." to stdout for a tag's unknown header line, before the node:
# that line is not part of what is compared.
gets=0 refused=0
cmp_get() { # ARGS...
  local k t
  k=$("$IPFS" dag get "$@" 2>/dev/null | sed '/^unhandled line: /d' | od -An -tx1) || k=ERR
  t=$("$TROVE" dag get "$@" 2>/dev/null | od -An -tx1) || t=ERR
  [ "$k" = "$t" ] || fail "dag get $*: Kubo $("$IPFS" dag get "$@" 2>&1 | head -c 400); trove $("$TROVE" dag get "$@" 2>&1 | head -c 400)"
  gets=$((gets + 1))
  [ "$k" != ERR ] || refused=$((refused + 1))
}
while read -r sha _; do
  for oc in dag-json dag-cbor; do cmp_get --output-codec=$oc "$(cidof "$sha")"; done
done < <(git -C "$WORK/r1" cat-file --batch-all-objects --batch-check='%(objectname) %(objecttype)')
for p in tree tree/d parents/0/message parents/1/tree/d/e/c.txt/mode author mergetag other tree/link; do
  cmp_get "$H1/$p"
done
cmp_get "$T1/object/message"
echo "ok - dag get of every object ($gets reads, paths across commits and trees): Kubo's bytes"

# Hand-made objects: the links of each as Kubo's refs has them.
A=$(git -C "$WORK/r1" rev-parse HEAD:a.txt)
B=$(git -C "$WORK/r1" rev-parse HEAD^{tree})
C=$(git -C "$WORK/r1" rev-parse HEAD^1)
D=$(git -C "$WORK/r1" rev-parse v1)
obj() { printf '%s %d\0' "$1" "$(printf '%b' "$2" | wc -c)"; printf '%b' "$2"; }
cases=(
  "commit|tree $B\nparent $C\nauthor T <a@b.c> 1 +0000\ncommitter T <a@b.c> 1 +0000\nmergetag object $D\n type commit\n tag v1\n tagger T <a@b.c> 1 +0000\n \n tag v1\nparent $A\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\nmsg\ntree $A\nparent $A\n"
  "commit|parent $C\r\ntree $B\r\nauthor T <a@b.c> 1 +0000\r\n\r\nmsg\n"
  "tag|object $A\ntype blob\ntag x\ntagger T <a@b.c> 1 +0000\nobject $B\n\nmsg\nobject $C\n"
  "blob|hello"
)
# dag get of a few more, some of which Kubo refuses.
dags=(
  "tree|100644 a\\0$(printf '%s' "$A" | sed 's/../\\x&/g')40000 b\\0$(printf '%s' "$B" | sed 's/../\\x&/g')trailing"
  "tree|100644 a\\0$(printf '%s' "$A" | sed 's/../\\x&/g')100644 a\\0$(printf '%s' "$B" | sed 's/../\\x&/g')"
  "tree|100644 a\\0\\x01\\x02"
  "blob|short"
)
for cs in "${cases[@]}"; do
  obj "${cs%%|*}" "${cs#*|}" >"$WORK/o"
  k=$("$IPFS" block put --cid-codec git-raw --mhtype sha1 <"$WORK/o")
  t=$("$TROVE" block put --cid-codec git-raw --mhtype sha1 <"$WORK/o")
  eq "$t" "$k" "hand-made object's CID"
  eq "$("$TROVE" refs "$t")" "$("$IPFS" refs "$k")" "refs of a hand-made ${cs%%|*}"
  for oc in dag-json dag-cbor; do cmp_get --output-codec=$oc "$k"; done
done
# More, for dag get alone (Kubo's refs fails on some: its walk needs the
# whole object decoded, where trove's reads the links alone).
more=(
  "commit|tree $B\nauthor  Some   Body  <a  b@c> 1 +0000 extra\ncommitter <x> \nencoding ISO-8859-1\nx-unknown header\n continuation\ngpgsig -----BEGIN PGP SIGNATURE-----\n Version: GnuPG\n \n sig\n -----END PGP SIGNATURE-----\n"
  "commit|tree $B\ngpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----\n\nssh-signed\n"
  "commit|tree $B\nmergetag object $D\n type commit\n \n runs to the end"
  "commit|tree $B\nmergetag object $D\n type commit\n tag v1\nauthor T <a@b.c> 1 +0000\n"
  "commit|tree $B\nauthor nobody"
  "tag|object $A\ntype blob\nweird line\ntagger T <t@x> 5 -0100\n"
  "blob|"
)
for cs in "${more[@]}"; do
  obj "${cs%%|*}" "${cs#*|}" >"$WORK/o"
  k=$("$IPFS" block put --cid-codec git-raw --mhtype sha1 <"$WORK/o")
  "$TROVE" block put --cid-codec git-raw --mhtype sha1 <"$WORK/o" >/dev/null
  for oc in dag-json dag-cbor; do cmp_get --output-codec=$oc "$k"; done
done
raw() { printf '%s %s\0' "$1" "$3"; printf "$2"; }
for cs in "${dags[@]}"; do
  body=${cs#*|}
  raw "${cs%%|*}" "$body" "$(printf "$body" | wc -c)" >"$WORK/o"
  [ "${cs%%|*}" != blob ] || raw blob "$body" 99 >"$WORK/o" # a size the body lacks
  k=$("$IPFS" block put --cid-codec git-raw --mhtype sha1 <"$WORK/o")
  "$TROVE" block put --cid-codec git-raw --mhtype sha1 <"$WORK/o" >/dev/null
  for oc in dag-json dag-cbor; do cmp_get --output-codec=$oc "$k"; done
done
echo "ok - hand-made commits, tags, trees and blobs (merge tags, PGP and SSH signatures, CRLF, odd people, unknown headers, trees that end early or repeat a name): Kubo's links and dag get ($gets reads in all, $refused refused by both)"
[ $refused -ge 8 ] && [ $((gets - refused)) -ge 50 ] || fail "dag get lost its balance: $gets reads, $refused refused"

# ---- over bitswap, both ways
mkrepo "$WORK/r2" kubo-only
put "$WORK/r2" "$IPFS"
H2=$(cidof "$(git -C "$WORK/r2" rev-parse HEAD)")
mkrepo "$WORK/r3" trove-only
put "$WORK/r3" "$TROVE"
H3=$(cidof "$(git -C "$WORK/r3" rev-parse HEAD)")
"$TROVE" pin add "$H3" >/dev/null || fail "trove pin add $H3 (stored here)"
interop_daemon
kubo_daemon
[ -n "$TID" ] && [ -n "$KUBO_ID" ] || fail "daemons did not start"
timeout 30 "$IPFS" swarm connect "/ip4/127.0.0.1/tcp/$TPORT/p2p/$TID" >/dev/null ||
  fail "Kubo cannot connect to trove"
timeout 60 "$TROVE" pin add "$H2" >/dev/null || fail "trove pin add $H2"
"$TROVE" repo gc >/dev/null || fail "trove repo gc"
eq "$("$TROVE" refs -r -u "$H2")" "$("$IPFS" refs -r -u "$H2")" "refs -r -u after GC"
while read -r c; do
  "$TROVE" block get "$c" | cmp -s - <("$IPFS" block get "$c") || fail "object $c after GC"
done < <("$IPFS" refs -r -u "$H2")
echo "ok - trove pinned Kubo's git history over bitswap, and GC kept every object"
timeout 60 "$IPFS" pin add "$H3" >/dev/null || fail "Kubo pin add $H3"
eq "$("$IPFS" refs -r -u "$H3")" "$("$TROVE" refs -r -u "$H3")" "Kubo's refs of trove's history"
echo "ok - Kubo pinned trove's git history over bitswap"
