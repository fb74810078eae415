#!/bin/bash
# gateway_browser.sh — headless Chromium against trove's gateway: a
# directory listing (screenshot kept in tests/artifacts/), links followed,
# an MP4 played and seeked through Range requests.  See
# gateway_browser.mjs.  The MP4 (H.264, 8 s, a keyframe a second, a few
# tens of MB, so that no first response can hold it all) is made at test
# time with ffmpeg, its index (moov) at the end as ffmpeg writes it by default, so
# the browser must ask for a range in the middle of the file to play it.
#
# Needs node, tests/interop/node_modules, /usr/bin/chromium and ffmpeg
# (make deps).  Bounded in time; the daemon is killed on exit.
INTEROP_TIMEOUT=240
source "$(dirname "$0")/lib/trove_lib.sh"
ART=$(cd ../.. && pwd)/tests/artifacts
interop_need /usr/bin/chromium ffmpeg node
interop_need_modules playwright-core

D=$WORK/data
mkdir -p "$D/sub" "$ART"
ffmpeg -v error -y -f lavfi -i testsrc2=duration=8:size=640x360:rate=25 \
  -vf noise=alls=60:allf=t -c:v libx264 -preset ultrafast -b:v 30M -maxrate 30M -bufsize 8M -g 25 \
  -pix_fmt yuv420p "$D/movie.mp4"
echo "some notes" >"$D/notes.txt"
echo "inside sub" >"$D/sub/inner.txt"
"$TROVE" init >/dev/null
ROOT=$("$TROVE" add -r -Q "$D")
interop_daemon
echo "gateway http://127.0.0.1:$GPORT, root $ROOT, movie $(stat -c %s "$D/movie.mp4") bytes"
node gateway_browser.mjs "http://127.0.0.1:$GPORT" "$ROOT" "$ART"
