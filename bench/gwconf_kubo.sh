#!/bin/bash
# gwconf_kubo.sh — issue 14: the ported gateway-conformance cases
# (tests/gwconf/, from ipfs/gateway-conformance v0.13.2) run against trove
# and against Kubo v0.43.1 in the same run, results side by side.
#
# trove: tests/it_gwconf.sh exactly as `make test` runs it (its fixture
# loading and config), its report kept; the verdicts are read as pass
# (PASS, XPASS) or fail (FAIL, XFAIL), so trove's expected-failures list
# does not hide anything here.
#
# Kubo: a fresh repo loaded as Kubo's own CI does
# (.github/workflows/gateway-conformance.yml of Kubo): `ipfs init -e`
# (default profile, empty), Gateway.PublicGateways with example.com and
# localhost (UseSubdomains, InlineDNSLink), every fixture CAR under
# tests/gwconf/fixtures through `dag import --pin-roots=false`, every
# *.ipns-record through `routing put --allow-offline /ipns/<name>` (name =
# the file name up to its first "_"), the DNSLink names of every
# dnslink.yml through IPFS_NS_MAP (built by the same code as trove's), and
# `ipfs daemon --offline` on free ports of 127.0.0.1.  gwconf.py runs
# against it with no expected-failures list.
#
# Printed: each case where one passes and the other fails (with Kubo's
# reasons when Kubo is the one failing), then both summaries.  Reports are
# kept in build/artifacts/gwconf-{trove,kubo}.txt.  Exit status 0 unless a
# gateway could not be set up: differences are findings, not failures.
#
# Kubo v0.43.1 (boxo v0.43.0) no longer sends X-Ipfs-Path (IPIP-548: the
# Ipfs-Uri header replaces it; gateway-conformance v0.14.0 tests that);
# the ported cases read Ipfs-Uri where v0.13.2 read X-Ipfs-Path, so Kubo
# as shipped is the reference for those values.
# GWCONF_KUBO_XIPFSPATH=1 sets Kubo's Gateway.DeprecatedXIpfsPath (the
# cases then see both headers).
#
# Environment: TROVE_BIN, IPFS_BIN (default $(go env GOPATH)/bin/ipfs), BENCH_TMP,
# GWCONF_ONLY (a regex: only the cases it matches), GWCONF_ARTIFACTS,
# GWCONF_KUBO_XIPFSPATH.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export TROVE_BIN=${TROVE_BIN:-$ROOT/bin/trove}
# Where scripts/kubo.sh (make deps) puts Kubo.
IPFS=${IPFS_BIN:-$( (go env GOPATH 2>/dev/null || echo "$HOME/go") | cut -d: -f1)/bin/ipfs}
OWN_TMP=; [ -n "${BENCH_TMP:-}" ] || OWN_TMP=$(mktemp -d)
T=${BENCH_TMP:-$OWN_TMP}
ART=${GWCONF_ARTIFACTS:-$ROOT/build/artifacts}
FIX=$ROOT/tests/gwconf/fixtures
ONLY=(); [ -z "${GWCONF_ONLY:-}" ] || ONLY=(--only "$GWCONF_ONLY")
KPID=""
cleanup() {
  if [ -n "$KPID" ]; then kill "$KPID" 2>/dev/null || true; wait "$KPID" 2>/dev/null || true; fi
  [ -z "$OWN_TMP" ] || rm -rf "$OWN_TMP"
  true
}
trap cleanup EXIT
[ -x "$IPFS" ] || { echo "gwconf_kubo: Kubo not found at $IPFS (make deps): skipped"; exit 0; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mkdir -p "$ART"

# ------------------------------------------------------------------ trove
echo "gwconf_kubo: trove through tests/it_gwconf.sh"
trc=0
GWCONF_OUT=$ART/gwconf-trove.txt bash tests/it_gwconf.sh "${ONLY[@]}" >"$T/trove.log" 2>&1 || trc=$?
[ -s "$ART/gwconf-trove.txt" ] || { cat "$T/trove.log"; echo "gwconf_kubo: no report from trove"; exit 1; }

# ------------------------------------------------------------------- Kubo
echo "gwconf_kubo: Kubo $("$IPFS" version --number) loaded as Kubo's CI loads it"
export IPFS_PATH=$T/kubo
k() { "$IPFS" "$@"; }
k init -e >"$T/kubo-init.log"
GP=$(port) AP=$(port)
k config Addresses.Gateway "/ip4/127.0.0.1/tcp/$GP"
k config Addresses.API "/ip4/127.0.0.1/tcp/$AP"
k config --json Addresses.Swarm '[]'
k config --json Bootstrap '[]'
k config --json Gateway.PublicGateways '{
  "example.com": {"UseSubdomains": true, "InlineDNSLink": true, "Paths": ["/ipfs", "/ipns"]},
  "localhost":   {"UseSubdomains": true, "InlineDNSLink": true, "Paths": ["/ipfs", "/ipns"]}
}'
[ "${GWCONF_KUBO_XIPFSPATH:-0}" != 1 ] || k config --json Gateway.DeprecatedXIpfsPath true
: >"$T/kubo-import.log"
while read -r car; do
  k dag import --pin-roots=false "$car" >>"$T/kubo-import.log" 2>&1 ||
    echo "dag import refused ${car#$FIX/}" >>"$T/kubo-import.log"
done < <(find "$FIX" -name '*.car' | sort)
while read -r rec; do
  name=$(basename "$rec" .ipns-record); name=${name%%_*}
  k routing put --allow-offline "/ipns/$name" "$rec" >>"$T/kubo-import.log" 2>&1 ||
    echo "routing put refused ${rec#$FIX/}" >>"$T/kubo-import.log"
done < <(find "$FIX" -name '*.ipns-record' | sort)
IPFS_NS_MAP=$(cd tests/gwconf && python3 -c 'import cases_dnslink; print(cases_dnslink.dnslink_map())')
export IPFS_NS_MAP
"$IPFS" daemon --offline >"$T/kubo-daemon.log" 2>&1 &
KPID=$!
for _ in $(seq 300); do
  grep -q "Daemon is ready" "$T/kubo-daemon.log" && break
  kill -0 "$KPID" 2>/dev/null || break
  sleep 0.1
done
grep -q "Daemon is ready" "$T/kubo-daemon.log" || { cat "$T/kubo-daemon.log"; echo "gwconf_kubo: Kubo did not start"; exit 1; }
python3 tests/gwconf/gwconf.py --gateway "http://127.0.0.1:$GP" --out "$ART/gwconf-kubo.txt" \
  "${ONLY[@]}" >/dev/null || true
[ -s "$ART/gwconf-kubo.txt" ] || { echo "gwconf_kubo: no report from Kubo"; exit 1; }

# ------------------------------------------------------------- side by side
echo "fixture loading: trove: $(grep -c refused "$T/trove.log" || true) refusal(s) (see its import log);" \
  "Kubo: $(grep -c refused "$T/kubo-import.log" || true) refusal(s)"
grep refused "$T/kubo-import.log" | sed 's/^/  Kubo: /' || true
python3 - "$ART/gwconf-trove.txt" "$ART/gwconf-kubo.txt" <<'PY'
import re, sys

def load(path):
    """name -> (passed, [reason lines]) and the summary line of a report."""
    out, cur, summary = {}, None, ""
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        m = re.match(r"^(PASS|FAIL|XFAIL|XPASS)\s+(.*)$", line)
        if m:
            cur = m.group(2)
            out[cur] = (m.group(1) in ("PASS", "XPASS"), [])
        elif line.startswith("        ") and cur:
            out[cur][1].append(line.strip())
        elif line.startswith("gateway conformance"):
            summary = line
    return out, summary

tr, ts = load(sys.argv[1])
ku, ks = load(sys.argv[2])
names = list(tr) + [n for n in ku if n not in tr]
diff = [n for n in names if tr.get(n, (None,))[0] != ku.get(n, (None,))[0]]
fmt = lambda v: "-" if v is None else ("pass" if v else "FAIL")
print("\n%-6s %-6s  case (where the two differ: %d)" % ("trove", "Kubo", len(diff)))
for n in diff:
    t, k = tr.get(n, (None, []))[0], ku.get(n, (None, []))[0]
    print("%-6s %-6s  %s" % (fmt(t), fmt(k), n))
    reasons = (ku.get(n) or (0, []))[1] if k is False else (tr.get(n) or (0, []))[1] if t is False else []
    for r in [r for r in reasons if not r.startswith("expected failure:")][:4]:
        print("               " + r[:300])
both = [n for n in names if tr.get(n, (None,))[0] is False and ku.get(n, (None,))[0] is False]
print("\nfailing on both (%d):" % len(both))
for n in both:
    print("               " + n)
def count(d):
    p = sum(1 for v in d.values() if v[0])
    return "%d cases, %d pass, %d fail" % (len(d), p, len(d) - p)
print("\n%-6s %s\n       (%s)" % ("trove", count(tr), ts))
print("%-6s %s\n       (%s)" % ("Kubo", count(ku), ks))
PY
echo "reports: $ART/gwconf-trove.txt, $ART/gwconf-kubo.txt (it_gwconf.sh exit $trc)"
