#!/usr/bin/env bash
# Scenario 5: signed room POSTs/s (bench/signed_posts.py: wrk over pre-signed bodies, 1 and 4
# handles) and DMs/s end to end (bench/dm_throughput.sh: signed send, signed inbox wait,
# signed ack). Each starts its own relay.
source "$(dirname "$0")/lib.sh"
SECS=10; PER_PAIR=200; [ "$QUICK" = 1 ] && SECS=4 && PER_PAIR=60
for h in 1 4; do
  progress "signed: room POSTs, $h handle(s), ${SECS}s"
  line=$(timeout 300 /usr/bin/python3 "$ROOT/bench/signed_posts.py" --handles "$h" --seconds "$SECS" 2>/dev/null | tail -1)
  rps=$(echo "$line" | grep -o '[0-9,]* signed POST/s' | cut -d' ' -f1 | tr -d ,)
  non2xx=$(echo "$line" | grep -o '[0-9]* non-2xx' | cut -d' ' -f1)
  emit signed "\"kind\":\"room_post\",\"handles\":$h,\"per_s\":${rps:-0},\"non_2xx\":${non2xx:-0}"
done
progress "signed: DMs end to end, 32 pairs × $PER_PAIR"
line=$(timeout 300 bash "$ROOT/bench/dm_throughput.sh" 32 "$PER_PAIR" | tr '\n' ' ')
dms=$(echo "$line" | grep -o 'dms_per_s=[0-9]*' | cut -d= -f2)
p50=$(echo "$line" | grep -o 'p50=[0-9.]*' | cut -d= -f2)
p99=$(echo "$line" | grep -o 'p99=[0-9.]*' | cut -d= -f2)
cpu=$(echo "$line" | grep -o 'relay_cpu_pct=[0-9.]*' | cut -d= -f2)
emit signed "\"kind\":\"dm\",\"pairs\":32,\"per_s\":${dms:-0},\"p50_ms\":${p50:-0},\"p99_ms\":${p99:-0},\"cpu_pct\":${cpu:-0}"
