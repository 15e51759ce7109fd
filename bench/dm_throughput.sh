#!/usr/bin/env bash
# DMs per second end to end (signed send, signed inbox wait, signed DELETE ack), with the C++
# client bench/dm_bench.cpp against the release relay. Rate limits are raised for the run: this
# measures the relay's DM path, not its per-IP buckets. Bounded: PAIRS x PER_PAIR DMs.
# Usage: bench/dm_throughput.sh [pairs=32] [per_pair=200]
set -euo pipefail
cd "$(dirname "$0")/.."
PAIRS=${1:-32}; PER_PAIR=${2:-200}
BIN=${BOT2BOT_BIN:-build/bot2bot}; CLIENT=build/bench/dm_bench
[ -x "$BIN" ] && [ -x "$CLIENT" ] || { echo "build first: make build" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
"$BIN" serve --listen 127.0.0.1:0 --data-dir "$WORK/data" --log-level warn \
  --room-rate-burst 1000000 --room-rate-per-sec 1000000 \
  --global-rate-burst 1000000 --global-rate-per-sec 1000000 > "$WORK/relay.out" 2>&1 &
PID=$!
for _ in $(seq 1 100); do grep -q listening "$WORK/relay.out" && break; sleep 0.05; done
PORT=$(grep -o '127.0.0.1:[0-9]*' "$WORK/relay.out" | head -1 | cut -d: -f2)
ticks() { awk '{print $14+$15}' /proc/$PID/stat; }
c0=$(ticks); t0=$(date +%s.%N)
timeout 300 "$CLIENT" 127.0.0.1 "$PORT" "$PAIRS" "$PER_PAIR"
c1=$(ticks); t1=$(date +%s.%N)
echo "relay_cpu_pct=$(echo "scale=1; ($c1-$c0)*100/100/($t1-$t0)" | bc)"
