#!/bin/bash
# config_kubo.sh — `config profile apply`, `init --profile` and the
# `bootstrap` commands beside Kubo v0.43.1's, and through trove's API with
# Kubo's own CLI (`ipfs --api`):
#   profiles   each of Kubo's (the datastore ones aside) applied to a trove
#              repo and to a Kubo repo: every key either side changed
#              holds the same JSON on both (randomports: the same shape,
#              a port each); `--dry-run` changes nothing; the datastore
#              profiles are refused (Kubo takes the one its repo has
#              already) and so is an unknown name; the diff
#              Kubo's CLI prints from trove's API marks what changes.
#   init       `init --profile=test,lowpower` writes what applying them
#              after init writes; an unknown profile is refused.
#   bootstrap  one sequence of list/add/rm/rm all/add default on both, on
#              the same starting list: the same lines out, the same
#              refusals, the same list left (as a set: Kubo orders the
#              peers rm keeps by a Go map); then Kubo's CLI against
#              trove's API and kubo-rpc-client's calls (add --default,
#              rm --all) answer the same.
# Skipped (passes) without Kubo.
INTEROP_TIMEOUT=180
source "$(dirname "$0")/lib/trove_lib.sh"
kubo_need
kubo_init
"$TROVE" init >/dev/null

# JSON of a whole config, normalised (keys sorted), without the identity.
kcfg() { "$IPFS" config show | python3 -c 'import json,sys; c=json.load(sys.stdin); c.pop("Identity",None); print(json.dumps(c,sort_keys=True))'; }
tcfg() { python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c.pop("Identity",None); print(json.dumps(c,sort_keys=True))' "$TROVE_PATH/config"; }
# compare BEFORE_K AFTER_K BEFORE_T AFTER_T NAME: every leaf path changed
# on either side holds the same value on both afterwards.
compare() {
  python3 - "$@" <<'EOF'
import json, re, sys
bk, ak, bt, at, name = sys.argv[1:6]
bk, ak, bt, at = (json.loads(x) for x in (bk, ak, bt, at))
def leaves(o, p=()):
    if isinstance(o, dict) and o:
        for k, v in o.items():
            yield from leaves(v, p + (k,))
    else:
        yield p, o
def get(o, p):
    for k in p:
        if not isinstance(o, dict) or k not in o:
            return "<absent>"
        o = o[k]
    return o
paths = set()
for b, a in ((bk, ak), (bt, at)):
    la, lb = dict(leaves(a)), dict(leaves(b))
    paths |= {p for p in set(la) | set(lb) if la.get(p, "<absent>") != lb.get(p, "<absent>")}
bad = []
for p in sorted(paths):
    k, t = get(ak, p), get(at, p)
    if name == "randomports" and p == ("Addresses", "Swarm"):
        pat = r"/ip[46]/(0\.0\.0\.0|::)/tcp/\d+"
        ok = all(len(x) == 2 and all(re.fullmatch(pat, s) for s in x) for x in (k, t))
    else:
        # Kubo's null and an absent key, or {} and an absent object, read alike
        ok = k == t or (k in (None, {}, "<absent>") and t in (None, {}, "<absent>"))
    if not ok:
        bad.append(f"  {'.'.join(p)}: Kubo {json.dumps(k)}, trove {json.dumps(t)}")
if bad:
    print(f"profile {name}: keys differ:\n" + "\n".join(bad))
    sys.exit(1)
print(len(paths))
EOF
}

profiles=(server local-discovery test default-networking lowpower announce-off
  announce-on randomports unixfs-v0-2015 legacy-cid-v0 unixfs-v1-2025
  autoconf-on autoconf-off)
n=0
for p in "${profiles[@]}"; do
  bk=$(kcfg) bt=$(tcfg)
  "$IPFS" config profile apply --dry-run "$p" >/dev/null
  "$TROVE" config profile apply --dry-run "$p" >/dev/null
  eq "$(kcfg)$(tcfg)" "$bk$bt" "$p --dry-run changed the config"
  "$IPFS" config profile apply "$p" >/dev/null
  "$TROVE" config profile apply "$p" >"$WORK/diff" || fail "trove: profile $p"
  out=$(compare "$bk" "$(kcfg)" "$bt" "$(tcfg)" "$p") || fail "$out"
  n=$((n + out))
done
echo "ok - ${#profiles[@]} profiles: the $n keys they change hold Kubo's values"

# Kubo takes a datastore profile only when the repo already has that
# datastore (its default, flatfs); trove's is LMDB, so it takes none.
for p in flatfs pebbleds badgerds nosuch; do
  "$TROVE" config profile apply "$p" >/dev/null 2>&1 && fail "trove took $p"
  [ "$p" = flatfs ] && continue
  "$IPFS" config profile apply "$p" >/dev/null 2>&1 && fail "Kubo took $p"
done
echo "ok - datastore profiles and unknown names refused"

# init --profile: what applying after init gives (the identity aside).
I1=$WORK/init1 I2=$WORK/init2
TROVE_PATH=$I1 "$TROVE" init --profile=test,lowpower >/dev/null
TROVE_PATH=$I2 "$TROVE" init >/dev/null
TROVE_PATH=$I2 "$TROVE" config profile apply test >/dev/null
TROVE_PATH=$I2 "$TROVE" config profile apply lowpower >/dev/null
eq "$(TROVE_PATH=$I1 tcfg)" "$(TROVE_PATH=$I2 tcfg)" "init --profile"
TROVE_PATH=$WORK/init3 "$TROVE" init --profile=nosuch 2>"$WORK/err" && fail "init took an unknown profile"
grep -q "invalid configuration profile: nosuch" "$WORK/err" || fail "init: $(cat "$WORK/err")"
[ ! -e "$WORK/init3/config" ] || fail "a refused init wrote a config"
echo "ok - init --profile=test,lowpower is init then both; an unknown one refused"

# ---- bootstrap: one sequence on both
P1=QmaCpDMGvV2BGHeYERUEnRQAwe3N8SzbUtfsmvsqQLuvuJ
P2=QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN
start='["/ip4/104.131.131.82/tcp/4001/p2p/'$P1'", "/dnsaddr/bootstrap.libp2p.io/p2p/'$P2'"]'
"$IPFS" config --json Bootstrap "$start"
"$TROVE" config --json Bootstrap "$start" >/dev/null
"$IPFS" config --json AutoConf.Enabled false
"$TROVE" config --json AutoConf.Enabled false >/dev/null
steps=(
  "bootstrap"
  "bootstrap list"
  "bootstrap add /ip4/1.2.3.4/tcp/4001/p2p/$P1 /ip4/1.2.3.5/tcp/4001/p2p/$P1 /ip4/1.2.3.4/tcp/4001/p2p/$P1"
  "bootstrap add /ipfs/$P1"
  "bootstrap add /ip4/1.2.3.4/tcp/4001"
  "bootstrap add /ip4/9.9.9.9/tcp/1/ipfs/$P2"
  "bootstrap rm /ip4/1.2.3.4/tcp/4001/p2p/$P1"
  "bootstrap rm /ip4/7.7.7.7/tcp/4001/p2p/$P1"
  "bootstrap rm /p2p/$P2"
  "bootstrap list"
  "bootstrap add default"
  "bootstrap rm all"
  "bootstrap list"
  "bootstrap add /ip4/5.5.5.5/tcp/1/p2p/$P2"
  "bootstrap rm --all"
  "config --json AutoConf.Enabled true"
  "bootstrap add default"
  "bootstrap add auto"
  "bootstrap list"
  "bootstrap rm /ip4/1.2.3.5/tcp/4001/p2p/$P1"
  "bootstrap add /ip4/6.6.6.6/tcp/1/p2p/$P1"
  "bootstrap rm all"
)
for s in "${steps[@]}"; do
  kr=0 tr=0
  # shellcheck disable=SC2086 # s is a word list
  k=$("$IPFS" $s 2>/dev/null) || kr=$?
  # shellcheck disable=SC2086
  t=$("$TROVE" $s 2>/dev/null) || tr=$?
  [ "${s#config}" != "$s" ] && continue
  eq "$t" "$k" "$s"
  [ "$tr" = "$kr" ] || fail "$s: exit $tr, Kubo's $kr"
  ks=$("$IPFS" config Bootstrap | python3 -c 'import json,sys; v=json.load(sys.stdin); print(sorted(v) if v is not None else None)')
  ts=$("$TROVE" config Bootstrap | python3 -c 'import json,sys; v=json.load(sys.stdin); print(sorted(v) if v is not None else None)')
  eq "$ts" "$ks" "the list after $s"
done
echo "ok - ${#steps[@]} bootstrap steps: Kubo's lines, exit status and list"

# ---- through trove's API, with Kubo's CLI and kubo-rpc-client's calls
"$TROVE" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$(port)\"]" >/dev/null
interop_daemon
TAPI=/ip4/127.0.0.1/tcp/$APORT
"$TROVE" config --json AutoConf.Enabled false >/dev/null
"$TROVE" config --json Bootstrap "$start" >/dev/null
eq "$("$IPFS" --api="$TAPI" bootstrap list)" "$("$TROVE" bootstrap list)" "bootstrap list through the API"
out=$("$IPFS" --api="$TAPI" bootstrap add "/ip4/1.2.3.4/tcp/4001/p2p/$P1")
eq "$out" "added /ip4/1.2.3.4/tcp/4001/p2p/$P1" "bootstrap add through the API"
out=$(echo "/ip4/1.2.3.4/tcp/4001/p2p/$P1" | "$IPFS" --api="$TAPI" bootstrap rm)
eq "$out" "removed /ip4/1.2.3.4/tcp/4001/p2p/$P1" "bootstrap rm, the peer on stdin"
"$IPFS" --api="$TAPI" bootstrap add default >/dev/null 2>&1 && fail "add default with AutoConf off"
eq "$(curl -sf -X POST "http://127.0.0.1:$APORT/api/v0/bootstrap/rm?all=true" |
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Peers"]))')" 2 "rm all=true (kubo-rpc-client's clear)"
"$TROVE" config --json AutoConf.Enabled true >/dev/null
eq "$(curl -sf -X POST "http://127.0.0.1:$APORT/api/v0/bootstrap/add?default=true")" \
  '{"Peers":["auto"]}' "add default=true (kubo-rpc-client's reset)"
"$IPFS" --api="$TAPI" bootstrap list --expand-auto >"$WORK/exp"
grep -q "/dnsaddr/bootstrap.libp2p.io/p2p/$P2" "$WORK/exp" || fail "expand-auto: $(cat "$WORK/exp")"
echo "ok - Kubo's CLI and kubo-rpc-client's calls against trove's API"

# Kubo's CLI renders trove's {"OldCfg","NewCfg"} as its diff (the loop
# above ended with local-discovery's filters gone: server adds them).
"$IPFS" --api="$TAPI" config profile apply --dry-run server >"$WORK/d" || fail "profile apply through the API"
grep -Eq '(<<|\*\*) .*/ip4/10\.0\.0\.0/ipcidr/8' "$WORK/d" ||
  fail "Kubo's diff of trove's answer: $(head -c 600 "$WORK/d")"
grep -q PrivKey "$WORK/d" && fail "the private key went out"
curl -sf -X POST "http://127.0.0.1:$APORT/api/v0/config/profile/apply?arg=nosuch" >/dev/null && fail "API took an unknown profile"
"$TROVE" config Swarm.AddrFilters | grep -q 10.0.0.0 && fail "dry-run through the API wrote"
"$IPFS" --api="$TAPI" config profile apply server >/dev/null
"$TROVE" config Swarm.AddrFilters | grep -q /ip4/10.0.0.0/ipcidr/8 || fail "profile apply through the API"
echo "ok - config profile apply through the API (Kubo's CLI prints its diff)"

# The diff itself: Kubo's config file in a trove repo, the same profile
# dry-run on both, the same text (Kubo's colours taken out).
mkdir -p "$WORK/same"
cp "$IPFS_PATH/config" "$WORK/same/config"
for p in server local-discovery lowpower unixfs-v0-2015; do
  k=$("$IPFS" config profile apply --dry-run "$p" | sed 's/\x1b\[[0-9;]*m//g')
  t=$(TROVE_PATH=$WORK/same "$TROVE" config profile apply --dry-run "$p")
  eq "$t" "$k" "the diff of $p"
done
echo "ok - config profile apply prints Kubo's diff, byte for byte"
