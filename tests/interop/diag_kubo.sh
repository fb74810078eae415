#!/bin/bash
# diag_kubo.sh — Kubo v0.43.1's CLI against trove's API (`ipfs --api`) for
# the commands that describe a daemon: diag cmds [-v] (Go decodes trove's
# log and prints its table: the same header and columns as trove's CLI),
# diag healthy, diag sys, log ls, swarm addrs listen (the same lines as
# trove's CLI), version deps (the same lines), repo version (trove's
# schema), and config replace: a file from `config show` replaces the
# config through Kubo's CLI, and a file with a private key is refused with
# Kubo's message, trove's daemon and Kubo's own alike.
# Skipped (passes) without Kubo.
INTEROP_TIMEOUT=120
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
kubo_init
kubo_daemon
export TROVE_PATH=$WORK/trove
trove_p2p_init
interop_daemon
K=("$IPFS" --api "/ip4/127.0.0.1/tcp/$APORT")

"$TROVE" version >/dev/null
out=$("${K[@]}" diag cmds)
eq "$(echo "$out" | head -1)" "$("$TROVE" diag cmds | head -1)" "diag cmds' header"
grep -qE '^diag/cmds +true +[A-Z][a-z]{2} [ 1-3][0-9] [0-9:]{8} +[0-9.]+(ns|µs|ms|s)$' <<<"$out" ||
  fail "Kubo's diag cmds of trove: $out"
out=$("${K[@]}" diag cmds -v)
grep -qE '^[0-9]+ +diag/cmds +\[\] +\[.*\] +(true|false) ' <<<"$out" ||
  fail "Kubo's diag cmds -v of trove: $out"
"${K[@]}" diag cmds clear
"${K[@]}" diag cmds set-time 1m
eq "$("${K[@]}" diag healthy)" '"ok"' "diag healthy"
"${K[@]}" diag sys | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["net"]["online"] is True and s["diskinfo"]["total_space"] > 0, s
' || fail "Kubo's diag sys of trove"
eq "$("${K[@]}" log ls)" "$("$TROVE" log ls)" "log ls"
eq "$("${K[@]}" swarm addrs listen)" "$("$TROVE" swarm addrs listen)" "swarm addrs listen"
eq "$("${K[@]}" swarm addrs listen)" "/ip4/127.0.0.1/tcp/$TPORT" "swarm addrs listen's address"
eq "$("${K[@]}" version deps)" "$("$TROVE" version deps)" "version deps"
eq "$("${K[@]}" repo version -q)" "fs-repo@$("$TROVE" version --repo)" "repo version"
ok "diag, log, swarm addrs listen, versions through Kubo's CLI"

# config replace: a round trip through Kubo's CLI keeps the identity
"$TROVE" config show >"$WORK/cfg.json"
python3 - "$WORK/cfg.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.setdefault("Gateway", {})["RootRedirect"] = "/ipfs/replaced"
json.dump(c, open(sys.argv[1], "w"))
c["Identity"]["PrivKey"] = "CAESQ"
json.dump(c, open(sys.argv[1] + ".pk", "w"))
PY
id=$("$TROVE" config Identity.PeerID)
"${K[@]}" config replace "$WORK/cfg.json"
eq "$("$TROVE" config Gateway.RootRedirect)" /ipfs/replaced "config replace"
eq "$("$TROVE" config Identity.PeerID)" "$id" "config replace keeps the PeerID"
grep -q '"PrivKey"' "$WORK/trove/config" || fail "config replace lost the private key"
kerr=$("$IPFS" config replace "$WORK/cfg.json.pk" 2>&1 >/dev/null) && fail "Kubo took a private key"
terr=$("${K[@]}" config replace "$WORK/cfg.json.pk" 2>&1 >/dev/null) && fail "trove took a private key"
eq "$(echo "$terr" | head -1)" "$(echo "$kerr" | head -1)" "the refusal"
ok "config replace"
