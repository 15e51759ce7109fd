# Shared helpers of the bench/ scenarios (sourced, not run). Every scenario starts its own
# release relay on a free loopback port and appends `RESULT {json}` lines to $BENCH_OUT/<name>.jsonl
# for bench/report.py (tables, RESULTS.md) and bench/charts.py (SVG).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BOT2BOT_BIN:-$ROOT/build/bot2bot}
TOOLS=$ROOT/build/bench
SHARED=$(cd "$ROOT/../shared/bench" && pwd)
BENCH_OUT=${BENCH_OUT:-$ROOT/build/bench-results}
QUICK=${BENCH_QUICK:-0}
mkdir -p "$BENCH_OUT"
# The fd hard limit of this machine kind is 20000; the idle scenario needs ~19k on both sides.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

RELAY_PID=""; RELAY_PORT=""; RELAY_DIR=""
# No per-IP or per-room rate limits unless a scenario measures them: the load comes from a few
# addresses and would otherwise measure the token buckets.
UNLIMITED=(--room-rate-burst 1e9 --room-rate-per-sec 1e9 --global-rate-burst 1e9 --global-rate-per-sec 1e9)

start_relay() {  # start_relay [extra serve flags…]
  RELAY_DIR=$(mktemp -d)
  "$BIN" serve --listen 127.0.0.1:0 --threads 2 --log-level warn --data-dir "$RELAY_DIR/data" "$@" \
    > "$RELAY_DIR/relay.out" 2>&1 &
  RELAY_PID=$!
  for _ in $(seq 1 200); do grep -qs listening "$RELAY_DIR/relay.out" && break; sleep 0.025; done
  RELAY_PORT=$(grep -o 'http://127.0.0.1:[0-9]*' "$RELAY_DIR/relay.out" | head -1 | cut -d: -f3)
  [ -n "$RELAY_PORT" ] || { cat "$RELAY_DIR/relay.out" >&2; return 1; }
}

stop_relay() {
  [ -n "$RELAY_PID" ] || return 0
  kill "$RELAY_PID" 2>/dev/null || true
  wait "$RELAY_PID" 2>/dev/null || true
  rm -rf "$RELAY_DIR"
  RELAY_PID=""
}
trap stop_relay EXIT

proc_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
proc_rss_kib() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
load1() { cut -d' ' -f1 /proc/loadavg; }
progress() { echo "[$(date -u +%T)] $*" >&2; }

# emit SCENARIO JSON-OBJECT-BODY: one result line, printed and recorded.
emit() {
  local line="{\"scenario\":\"$1\",\"load1\":$(load1),$2}"
  echo "$line" >> "$BENCH_OUT/$1.jsonl"
  echo "  $line" >&2
}
