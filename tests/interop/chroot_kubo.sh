#!/bin/bash
# chroot_kubo.sh — `files chroot`, Kubo's MFS recovery command, beside Kubo
# v0.43.1's on the same steps, no daemons: without --confirm (refused),
# to the empty directory on a fresh repo ("MFS root set to"), to a
# directory added to both ("changed from ... to ...": the same lines, the
# same CIDs), back to the empty directory and to the directory, `files ls
# /` then; refusals (a
# file, a raw block, a CID neither has, not a CID) exit 1 in both.  trove
# refuses while its daemon runs.  Skipped (passes) without Kubo.
INTEROP_TIMEOUT=120
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
kubo_init
export TROVE_PATH=$WORK/trove
trove_p2p_init
mkdir -p "$WORK/d/x"
echo y >"$WORK/d/x/f"

# both TOOL-ARGS...: stdout and exit status of trove's and Kubo's the same
both() {
  local to ko tr=0 kr=0
  to=$("$TROVE" "$@" 2>/dev/null) || tr=$?
  ko=$("$IPFS" "$@" 2>/dev/null) || kr=$?
  eq "$to" "$ko" "$* (stdout)"
  eq "$tr" "$kr" "$* (exit status)"
}
both files chroot
both files chroot --confirm
D=$("$TROVE" add -Q -r --cid-version 1 "$WORK/d")
eq "$("$IPFS" add -Q -r --cid-version 1 "$WORK/d")" "$D" "the tree's CID"
F=$(echo zz | "$TROVE" add -Q --cid-version 1)
echo zz | "$IPFS" add -Q --cid-version 1 >/dev/null
R=$(echo raw | "$TROVE" block put)
echo raw | "$IPFS" block put >/dev/null
both files chroot --confirm "$D"
both files chroot --confirm
both files chroot --confirm "$D"
# (Kubo's files ls writes its root back in its own CID format after)
both files ls /
both files chroot --confirm "$F"
both files chroot --confirm "$R"
both files chroot --confirm bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi
both files chroot --confirm foo
ok "files chroot as Kubo's"

interop_daemon
if "$TROVE" files chroot --confirm "$D" 2>"$WORK/err"; then fail "chroot with a daemon running"; fi
grep -q "daemon is running" "$WORK/err" || fail "chroot's refusal: $(cat "$WORK/err")"
ok "files chroot refused while the daemon runs"
