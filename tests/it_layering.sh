#!/bin/bash
# it_layering.sh — scripts/layering.py catches what it is there to catch:
# an #include against the documented layering, a call up the layers read
# from object files, and two files calling each other in a circle.  Each
# is added to a scratch copy of the sources (or to scratch objects), and
# the script must name it and fail.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
L="python3 $ROOT/scripts/layering.py"
mkdir -p "$WORK/src"
git -C "$ROOT" archive HEAD common dag blockstore | tar -x -C "$WORK/src"

# The clean lower layers pass on their own.
$L --src "$WORK/src" --obj "$WORK/none" 2>/dev/null || fail "clean tree refused"

# An include that runs upward.
echo '#include "../blockstore/bs.h"' >> "$WORK/src/dag/cid.c"
out=$($L --src "$WORK/src" --obj "$WORK/none" 2>/dev/null) && fail "upward include passed"
grep -q "dag/cid.c:.*dag includes blockstore/bs.h" <<<"$out" || fail "not named: $out"

# Calls, from objects: a call up and a circle inside one module.
mkdir -p "$WORK/c/dag" "$WORK/c/http" "$WORK/c/cli" "$WORK/o/dag" "$WORK/o/http" "$WORK/o/cli"
echo 'int cli_helper(void){return 1;}' > "$WORK/c/cli/h.c"
echo 'int cli_helper(void); int dag_up(void){return cli_helper();}' > "$WORK/c/dag/up.c"
echo 'int http_b(int); int http_a(int n){return n ? http_b(n-1) : 0;}' > "$WORK/c/http/a.c"
echo 'int http_a(int); int http_b(int n){return n ? http_a(n-1) : 1;}' > "$WORK/c/http/b.c"
for f in cli/h dag/up http/a http/b; do cc -c "$WORK/c/$f.c" -o "$WORK/o/$f.o"; done
out=$($L --src "$WORK/c" --obj "$WORK/o" 2>/dev/null) && fail "bad calls passed"
grep -q "dag/up.c: dag calls cli_helper of cli/h.c" <<<"$out" || fail "call up not named: $out"
grep -q "circle: http/a.c <-> http/b.c" <<<"$out" || fail "circle not named: $out"
echo ok
