#!/usr/bin/env bash
# Runs the old server's own load harness (../shared/bench) against our release binary, so our
# figures sit next to those of ../shared/bench/BASELINE.md: single-pair latency over WS, SSE
# and long-poll (lat.js) and 1-room POST throughput (wrk + post.lua).
# Usage: bench/shared-harness.sh [lat|post|all]   (default all). Bounded: ~2 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
WHAT=${1:-all}
SHARED=$(cd ../shared/bench && pwd)
BIN=${BOT2BOT_BIN:-build/bot2bot}
[ -x "$BIN" ] || { echo "build first: make build" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk missing: scripts/install-deps" >&2; exit 1; }

# The harness needs the `ws` npm package; install it into a scratch copy, never into ../shared.
WORK=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
cp "$SHARED"/*.js "$SHARED"/*.lua "$SHARED"/*.sh "$SHARED"/package.json "$WORK"/
if [ "$WHAT" != post ]; then
  echo "installing the harness's npm dependency (ws)…" >&2
  (cd "$WORK" && npm install --no-audit --no-fund --silent >/dev/null)
fi

"$BIN" serve --listen 127.0.0.1:0 --data-dir "$WORK/data" --log-level warn > "$WORK/relay.out" 2>&1 &
PID=$!
for _ in $(seq 1 100); do grep -q listening "$WORK/relay.out" && break; sleep 0.05; done
PORT=$(grep -o '127.0.0.1:[0-9]*' "$WORK/relay.out" | head -1 | cut -d: -f2)
BASE=http://127.0.0.1:$PORT
echo "relay pid $PID on $BASE, commit $(git rev-parse --short HEAD), $(nproc) cores, $(date -u +%FT%TZ)"

if [ "$WHAT" = all ] || [ "$WHAT" = lat ]; then
  echo "== single-pair latency (10 pairs x 100 ping-pongs)" >&2
  (cd "$WORK" && NODE_PATH="$WORK/node_modules" timeout 300 node lat.js "$BASE" 10 100 2 ws,sse,lp "$PID") | grep -v '^RESULT'
fi
if [ "$WHAT" = all ] || [ "$WHAT" = post ]; then
  for c in 10 50 200; do
    echo "== POST 1 room, $c connections (5 s warm-up, 15 s run)" >&2
    (cd "$WORK" && XFF=1 timeout 30 wrk -t2 -c"$c" -d5s -s post.lua "$BASE" >/dev/null 2>&1 || true)
    (cd "$WORK" && XFF=1 RPREFIX=r$c bash wrkrun.sh "$PID" "post-1room-c$c" -t2 -c"$c" -d15s -s post.lua "$BASE") |
      grep -E '^###|Requests/sec|p50=|Non-2xx|server_cpu'
  done
fi
