#!/bin/bash
# gen.sh — regenerate tests/vectors/pnet/{stream,keys,fingerprint}.txt from
# go-libp2p (the reference implementation) with tests/vectors/pnet/gen.
# Needs Go and the Go module proxy (go.sum pins every module).  The output
# is deterministic: a run on an unchanged generator changes no file.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/gen"
go run . "$here"
git -C "$here" diff --stat -- . || true
