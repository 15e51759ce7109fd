#!/usr/bin/env bash
# Scenario 1: POST /api/rooms/:id/messages throughput with wrk and ../shared/bench/post.lua
# (fixed envelope, X-Forwarded-For rotated over 2000 addresses, default rate limits as in the
# baseline). 1 room and 50 rooms whose buffers the warm-up fills (50 × 2000 messages);
# 10, 50 and 200 connections, each measured with wrk and then with bench/post_load (the same
# requests from C++). Bounded: 5 s warm-up + 2 × 10 s per cell (2 + 2 × 4 s quick).
source "$(dirname "$0")/lib.sh"
WARM=5; RUN=10; [ "$QUICK" = 1 ] && WARM=2 && RUN=4
for rooms in 1 50; do
  start_relay
  base=http://127.0.0.1:$RELAY_PORT
  for c in 10 50 200; do
    progress "post: $rooms room(s), $c connections"
    (cd "$SHARED" && NROOMS=$rooms RPREFIX=r$c XFF=1 timeout 60 wrk -t2 -c"$c" -d${WARM}s -s post.lua "$base" >/dev/null 2>&1 || true)
    t0=$(date +%s.%N); c0=$(proc_ticks "$RELAY_PID")
    out=$(cd "$SHARED" && NROOMS=$rooms RPREFIX=r$c XFF=1 timeout 60 wrk -t2 -c"$c" -d${RUN}s -s post.lua "$base" 2>&1)
    t1=$(date +%s.%N); c1=$(proc_ticks "$RELAY_PID")
    rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
    p50=$(echo "$out" | grep -o 'p50=[0-9.]*' | cut -d= -f2)
    p99=$(echo "$out" | grep -o 'p99=[0-9.]*' | cut -d= -f2)
    non2xx=$(echo "$out" | awk '/Non-2xx/{print $5}'); non2xx=${non2xx:-0}
    cpu=$(echo "scale=1; ($c1-$c0)*100/$(getconf CLK_TCK)/($t1-$t0)" | bc)
    emit post "\"generator\":\"wrk\",\"rooms\":$rooms,\"conns\":$c,\"rps\":${rps:-0},\"p50_ms\":${p50:-0},\"p99_ms\":${p99:-0},\"non_2xx\":$non2xx,\"cpu_pct\":$cpu,\"rss_kib\":$(proc_rss_kib "$RELAY_PID")"
    # The same requests from bench/post_load (C++, one epoll thread): wrk's per-request Lua
    # takes most of a core here, so this shows what the relay itself sustains.
    t0=$(date +%s.%N); c0=$(proc_ticks "$RELAY_PID")
    json=$(timeout 60 "$TOOLS/post_load" 127.0.0.1 "$RELAY_PORT" "$c" "$RUN" "$rooms" "r$c" | sed -n 's/^RESULT {//p')
    t1=$(date +%s.%N); c1=$(proc_ticks "$RELAY_PID")
    cpu=$(echo "scale=1; ($c1-$c0)*100/$(getconf CLK_TCK)/($t1-$t0)" | bc)
    emit post "\"generator\":\"post_load\",\"rooms\":$rooms,\"cpu_pct\":$cpu,\"rss_kib\":$(proc_rss_kib "$RELAY_PID"),${json%\}}"
  done
  stop_relay
done
