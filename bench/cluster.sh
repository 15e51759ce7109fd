#!/usr/bin/env bash
# Scenario: cluster mode (issue 9). One redis-server (AOF everysec, its own temp dir) and
# relay nodes started with --redis, all on this 2-core machine with the load generators, so
# the figures show what Redis and the nodes cost here, not what more cores would give.
#  * POST throughput with 1 node and with 3 nodes (bench/post_load, 50 connections split over
#    the nodes; 1 room and 50 rooms), with Redis commands, scripts and CPU per post.
#  * Cross-node delivery latency: 1 sender on node 1, 50 SSE subscribers on nodes 2 and 3, at a
#    low and a moderate rate; the same with sender and subscribers on one node for comparison.
#  * Fan-out with 500 subscribers spread over the 3 nodes (SSE and WS), climbing until p99 ≥ 50 ms,
#    with Redis commands per delivery.
source "$(dirname "$0")/lib.sh"
command -v redis-server >/dev/null || { echo "redis-server missing: scripts/install-deps" >&2; exit 1; }
RUN=8; STEP=3; [ "$QUICK" = 1 ] && RUN=3 && STEP=1

REDIS_DIR=$(mktemp -d)
REDIS_PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" --appendonly yes \
  --appendfsync everysec --save "" --daemonize no --logfile "$REDIS_DIR/redis.log" &
REDIS_PID=$!
for _ in $(seq 1 200); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.025; done

NODE_PIDS=(); NODE_PORTS=(); NODE_DIRS=()
start_nodes() {  # start_nodes N
  for _ in $(seq 1 "$1"); do
    local dir; dir=$(mktemp -d)
    "$BIN" serve --listen 127.0.0.1:0 --threads 2 --log-level warn --data-dir "$dir/data" \
      --redis "redis://127.0.0.1:$REDIS_PORT" "${UNLIMITED[@]}" > "$dir/relay.out" 2>&1 &
    NODE_PIDS+=($!); NODE_DIRS+=("$dir")
    for _ in $(seq 1 400); do grep -qs listening "$dir/relay.out" && break; sleep 0.025; done
    local port; port=$(grep -o 'http://127.0.0.1:[0-9]*' "$dir/relay.out" | head -1 | cut -d: -f3)
    [ -n "$port" ] || { cat "$dir/relay.out" >&2; return 1; }
    NODE_PORTS+=("$port")
  done
}
stop_nodes() {
  for pid in "${NODE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  for dir in "${NODE_DIRS[@]}"; do rm -rf "$dir"; done
  NODE_PIDS=(); NODE_PORTS=(); NODE_DIRS=()
}
cleanup() { stop_nodes; kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; rm -rf "$REDIS_DIR"; }
trap cleanup EXIT
nodes_ticks() { local t=0; for pid in "${NODE_PIDS[@]}"; do t=$((t + $(proc_ticks "$pid"))); done; echo $t; }
stats() { /usr/bin/python3 "$ROOT/bench/redis_stats.py" "$REDIS_PORT" "$@"; }

# --- POST throughput, 1 and 3 nodes -------------------------------------------------------
for n in 1 3; do
  start_nodes "$n"
  for rooms in 1 50; do
    progress "cluster: POST throughput, $n node(s), $rooms room(s), 50 connections"
    per=$((50 / n))
    loads=()  # (a bare `wait` would also wait for the nodes)
    for i in $(seq 0 $((n - 1))); do  # warm-up (fills the streams of the rooms)
      timeout 60 "$TOOLS/post_load" 127.0.0.1 "${NODE_PORTS[$i]}" "$per" 2 "$rooms" "c$n-$rooms" >/dev/null &
      loads+=($!)
    done
    wait "${loads[@]}"
    stats snapshot "$REDIS_DIR/before.json"
    t0=$(date +%s.%N); c0=$(nodes_ticks); r0=$(proc_ticks "$REDIS_PID")
    loads=()
    for i in $(seq 0 $((n - 1))); do
      timeout 60 "$TOOLS/post_load" 127.0.0.1 "${NODE_PORTS[$i]}" "$per" "$RUN" "$rooms" "c$n-$rooms" \
        > "$REDIS_DIR/post$i.out" &
      loads+=($!)
    done
    wait "${loads[@]}"
    for i in $(seq 0 $((n - 1))); do sed -n 's/^RESULT //p' "$REDIS_DIR/post$i.out" > "$REDIS_DIR/post$i.json"; done
    t1=$(date +%s.%N); c1=$(nodes_ticks); r1=$(proc_ticks "$REDIS_PID")
    json=$(/usr/bin/python3 - "$REDIS_DIR" "$n" <<'PY'
import json, sys
rows = [json.load(open(f"{sys.argv[1]}/post{i}.json")) for i in range(int(sys.argv[2]))]
req = sum(r["requests"] for r in rows)
print(json.dumps({"requests": req, "rps": round(sum(r["rps"] for r in rows)),
                  "p50_ms": max(r["p50_ms"] for r in rows), "p99_ms": max(r["p99_ms"] for r in rows),
                  "non_2xx": sum(r.get("non_2xx", 0) for r in rows)}))
PY
)
    posts=$(echo "$json" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
    redis=$(stats delta "$REDIS_DIR/before.json" "$posts")
    secs=$(echo "$t1 - $t0" | bc)
    nodes_cpu=$(echo "scale=1; ($c1-$c0)*100/$(getconf CLK_TCK)/$secs" | bc)
    redis_cpu=$(echo "scale=1; ($r1-$r0)*100/$(getconf CLK_TCK)/$secs" | bc)
    emit cluster "\"kind\":\"post\",\"nodes\":$n,\"rooms\":$rooms,\"conns\":50,\"nodes_cpu_pct\":$nodes_cpu,\"redis_cpu_pct\":$redis_cpu,${json:1:${#json}-2},${redis:1:${#redis}-2}"
  done
  stop_nodes
done

# --- cross-node latency and fan-out over 3 nodes -------------------------------------------
start_nodes 3
ports=$(IFS=,; echo "${NODE_PORTS[*]}")
others="${NODE_PORTS[1]},${NODE_PORTS[2]}"
for where in cross same; do
  progress "cluster: delivery latency, 50 SSE subscribers ($where node)"
  receive=$([ "$where" = cross ] && echo "$others" || echo "${NODE_PORTS[0]}")
  FANOUT_SEND_PORT=${NODE_PORTS[0]} timeout 300 "$TOOLS/fanout_receiver" fanout 127.0.0.1 "$receive" \
    "lat$where" sse 50 "20,200" "$STEP" |
    while read -r tag json; do
      [ "$tag" = RESULT ] && emit cluster "\"kind\":\"latency\",\"where\":\"$where\",${json:1:${#json}-2}"
    done
done
DELIVERIES="25000 50000 100000 150000 200000 300000 400000"
for transport in sse ws; do
  progress "cluster: fan-out, 500 $transport subscribers over 3 nodes, p99 < 50 ms search"
  rates=$(for d in $DELIVERIES; do echo $((d / 500)); done | paste -sd,)
  stats snapshot "$REDIS_DIR/before.json"
  timeout 600 "$TOOLS/fanout_receiver" fanout 127.0.0.1 "$ports" "spread$transport" "$transport" 500 \
    "$rates" "$STEP" > "$REDIS_DIR/fanout.out"
  delivered=$(sed -n 's/^RESULT //p' "$REDIS_DIR/fanout.out" | /usr/bin/python3 -c 'import json,sys; print(sum(json.loads(l)["delivered"] for l in sys.stdin))')
  redis=$(stats delta "$REDIS_DIR/before.json" "$delivered")
  sed -n 's/^RESULT //p' "$REDIS_DIR/fanout.out" | while read -r json; do
    emit cluster "\"kind\":\"fanout\",\"nodes\":3,${json:1:${#json}-2},\"redis_per_delivery\":$redis"
  done
done
stop_nodes
