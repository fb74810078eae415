#!/bin/bash
# mirror_list.sh — listing 1,000,000 pins through the Pinning Service API
# (issue 13's target: the first page in under 50 ms, the whole listing
# streamed with the daemon's RSS under 128 MiB).
#
# The pins go into the store with build/bench/mir_fill (the store's own
# mir_pin_add, 20,000 per transaction: 1M HTTP POSTs would take longer
# than the listing being measured, and measure something else).  Then one
# daemon, and curl as a client: the first page (limit=1000, the spec's
# maximum) timed, then every page the way Kubo's client pages (before= the
# last created seen) until count equals the page, timed in all; the
# daemon's peak RSS (VmHWM) read from /proc at the end.
#
# Reference: IPFS Cluster users report minutes for millions of pins, but
# nothing comparable runs here (no Pinning Service API server but trove's
# on this machine), so no reference figure is measured; the targets above
# are the yardstick.  BENCH_MIRROR_PINS overrides the count.
# Environment: BENCH_TMP (scratch dir), TROVE_BIN, BENCH_DIR.
set -eu
N=${BENCH_MIRROR_PINS:-1000000}
BENCH_DIR=${BENCH_DIR:-build/bench}
TMP=${BENCH_TMP:-$(mktemp -d)}
FILL=$BENCH_DIR/mir_fill
[ -x "$FILL" ] || { echo "mirror_list: $FILL missing (make bench builds it)"; exit 1; }
export TROVE_PATH=$TMP/repo
PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; wait 2>/dev/null || true' EXIT
"$TROVE_BIN" init >/dev/null
"$TROVE_BIN" config --json Bootstrap '[]' >/dev/null
t0=$(date +%s.%N)
"$FILL" "$TROVE_PATH" "$N"
t1=$(date +%s.%N)
TOK=$("$TROVE_BIN" mirror token add bench 2>/dev/null)
"$TROVE_BIN" daemon --api=/ip4/127.0.0.1/tcp/0 --gateway=/ip4/127.0.0.1/tcp/0 \
  >"$TMP/daemon.log" 2>&1 &
PID=$!
for _ in $(seq 200); do [ -s "$TROVE_PATH/api" ] && break; sleep 0.05; done
B="http://127.0.0.1:$(sed 's|.*/tcp/||' "$TROVE_PATH/api")"
python3 - "$B" "$TOK" "$N" "$PID" "$t0" "$t1" <<'PY'
import json, sys, time, urllib.request, urllib.parse
base, tok, n, pid, t0, t1 = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]), float(sys.argv[6])
def get(q):
    r = urllib.request.Request(base + "/pins?" + q, headers={"Authorization": "Bearer " + tok})
    with urllib.request.urlopen(r) as f:
        return json.load(f)
get("limit=1")  # warm the connection path and the map
firsts = []
for _ in range(5):
    s = time.perf_counter(); d = get("limit=1000"); firsts.append(time.perf_counter() - s)
assert d["count"] == n and len(d["results"]) == min(1000, n), d["count"]
s = time.perf_counter(); seen = 0; before = None; pages = 0
while True:
    q = "limit=1000" + ("&before=" + urllib.parse.quote(before) if before else "")
    d = get(q); pages += 1
    seen += len(d["results"])
    if d["count"] == len(d["results"]) or not d["results"]:
        break
    before = d["results"][-1]["created"]
total = time.perf_counter() - s
assert seen == n, (seen, n)
hwm = 0
for line in open(f"/proc/{pid}/status"):
    if line.startswith("VmHWM:"):
        hwm = int(line.split()[1]) / 1024
first_ms = sorted(firsts)[len(firsts) // 2] * 1000
print(f"mirror_list: {n} pins put in the store in {t1 - t0:.1f} s (mir_fill)")
print(f"mirror_list: first page (1000 pins): {first_ms:.1f} ms (median of 5; target < 50 ms)")
print(f"mirror_list: whole listing: {pages} pages, {seen} pins in {total:.1f} s "
      f"({seen / total:.0f} pins/s)")
print(f"mirror_list: daemon peak RSS {hwm:.1f} MiB (target < 128 MiB)")
print("mirror_list: reference: none measured (no other Pinning Service API "
      "server runs here)")
PY
