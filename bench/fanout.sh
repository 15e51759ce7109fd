#!/usr/bin/env bash
# Scenario 2: fan-out, 1 sender → 50 / 500 / 5000 subscribers over SSE and WS, with the C++
# subscriber build/bench/fanout_receiver. Offered load climbs (deliveries/s = rate × subs)
# until p99 reaches 50 ms or a delivery is lost; each step lasts STEP seconds.
# FANOUT_RECEIVER_THREADS=N spreads the subscribers over N receiver threads (default 1; at 5,000
# subscribers 2 threads changed nothing: relay and receiver together need more CPU per message
# than the two cores give in 50 ms, see RESULTS.md "part 3").
source "$(dirname "$0")/lib.sh"
STEP=3; SUBS="50 500 5000"; [ "$QUICK" = 1 ] && STEP=1 && SUBS="50 500"
SUBS=${FANOUT_SUBS:-$SUBS}  # e.g. FANOUT_SUBS="50 500" skips the 5,000-subscriber join storms
DELIVERIES="25000 50000 100000 200000 300000 400000 500000 600000 800000 1000000 1200000"
for transport in sse ws; do
  for subs in $SUBS; do
    progress "fanout: $transport, $subs subscribers, p99 < 50 ms search"
    rates=$(for d in $DELIVERIES; do echo $((d / subs)); done | paste -sd,)
    start_relay "${UNLIMITED[@]}"
    c0=$(proc_ticks "$RELAY_PID"); t0=$(date +%s.%N)
    timeout 600 "$TOOLS/fanout_receiver" fanout 127.0.0.1 "$RELAY_PORT" "fan$subs$transport" "$transport" "$subs" "$rates" "$STEP" "$RELAY_PID" |
      while read -r tag json; do
        [ "$tag" = RESULT ] && emit fanout "${json:1:${#json}-2}"
      done
    stop_relay
  done
done
