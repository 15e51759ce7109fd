#!/usr/bin/env bash
# Scenario 6: start-up to a healthy /api/health and idle RSS (bench/startup.py, 10 starts).
source "$(dirname "$0")/lib.sh"
progress "startup: 10 starts to a healthy /api/health"
/usr/bin/python3 "$ROOT/bench/startup.py" "$BIN" 10 |
  while read -r tag json; do
    [ "$tag" = RESULT ] && emit startup "${json:1:${#json}-2}"
  done
