#!/usr/bin/env bash
# Scenario 4: single-pair one-way latency over WS, SSE and long-poll with the old server's own
# harness (../shared/bench/lat.js, 10 pairs × 100 ping-pongs). Its `ws` dependency is installed
# once into build/bench-node (never into the repository's package.json or ../shared).
source "$(dirname "$0")/lib.sh"
NODE_DIR=$ROOT/build/bench-node
if [ ! -d "$NODE_DIR/node_modules/ws" ]; then
  progress "latency: installing the harness's npm dependency (ws) into build/bench-node"
  npm install --prefix "$NODE_DIR" --no-audit --no-fund --silent ws@8 >/dev/null
fi
PAIRS=10; PINGS=100; [ "$QUICK" = 1 ] && PINGS=50
start_relay
progress "latency: $PAIRS pairs × $PINGS ping-pongs over ws, sse, long-poll"
NODE_PATH=$NODE_DIR/node_modules timeout 300 node "$SHARED/lat.js" "http://127.0.0.1:$RELAY_PORT" \
  "$PAIRS" "$PINGS" 2 ws,sse,lp "$RELAY_PID" |
  while read -r tag json; do
    [ "$tag" = RESULT ] && emit latency "${json:1:${#json}-2}"
  done
stop_relay
