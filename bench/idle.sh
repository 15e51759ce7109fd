#!/usr/bin/env bash
# Scenario 3: idle SSE and WS connections (1k, 10k, 19k; the fd hard limit is 20000), 50 per
# room, 16 per loopback source address: open rate, relay RSS per connection and idle CPU
# (from /proc) over a HOLD-second hold. A fresh relay per cell so RSS starts from idle.
source "$(dirname "$0")/lib.sh"
HOLD=10; COUNTS="1000 10000 19000"; [ "$QUICK" = 1 ] && HOLD=3 && COUNTS="1000 10000"
for transport in sse ws; do
  for n in $COUNTS; do
    progress "idle: $n $transport connections, ${HOLD}s hold"
    start_relay
    timeout 300 "$TOOLS/fanout_receiver" idle 127.0.0.1 "$RELAY_PORT" "$transport" "$n" 50 "$HOLD" "$RELAY_PID" |
      while read -r tag json; do
        [ "$tag" = RESULT ] && emit idle "${json:1:${#json}-2}"
      done
    stop_relay
  done
done
