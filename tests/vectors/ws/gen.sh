#!/bin/bash
# gen.sh — regenerate tests/vectors/ws/frames.txt from gorilla/websocket with
# tests/vectors/ws/gen (a Go test, for testing/cryptotest's fixed
# randomness).  Needs Go and the modules go.sum pins (in the module cache or
# from the proxy).  The output is deterministic: a run on an unchanged
# generator changes no file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/gen"
WS_VECTORS="$here" go test -count=1 -run TestGenerate .
git -C "$here" diff --stat -- . || true
