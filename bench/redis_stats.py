#!/usr/bin/env python3
"""Redis work of a cluster benchmark step, from `INFO commandstats` and `INFO cpu`.

  redis_stats.py PORT snapshot FILE        save the counters
  redis_stats.py PORT delta FILE N         JSON: commands, scripts (one round trip each) and Redis CPU
                                           per unit (N = posts or deliveries of the step)

`commands` counts every command Redis ran, those inside scripts included (EVALSHA's own call
and the XADD, PUBLISH, … it runs); INFO itself is left out."""
import json
import subprocess
import sys


def info(port: str) -> dict:
    out = subprocess.run(["redis-cli", "-p", port, "INFO", "all"], capture_output=True, text=True,
                         timeout=10, check=True).stdout
    stats = {"cmd": {}, "cpu": 0.0}
    for line in out.splitlines():
        if line.startswith("cmdstat_"):
            name, _, fields = line[len("cmdstat_"):].partition(":")
            kv = dict(f.split("=", 1) for f in fields.split(","))
            stats["cmd"][name] = {"calls": int(kv["calls"]), "usec": int(kv["usec"])}
        elif line.startswith(("used_cpu_sys:", "used_cpu_user:")):
            stats["cpu"] += float(line.split(":", 1)[1])
    return stats


def main() -> None:
    port, what, path = sys.argv[1], sys.argv[2], sys.argv[3]
    now = info(port)
    if what == "snapshot":
        with open(path, "w") as f:
            json.dump(now, f)
        return
    with open(path) as f:
        before = json.load(f)
    units = max(1, int(sys.argv[4]))
    calls, per_cmd = 0, {}
    for name, c in now["cmd"].items():
        if name in ("info",):
            continue
        d = c["calls"] - before["cmd"].get(name, {}).get("calls", 0)
        if d:
            calls += d
            per_cmd[name] = round(d / units, 3)
    scripts = sum(now["cmd"].get(n, {}).get("calls", 0) - before["cmd"].get(n, {}).get("calls", 0)
                  for n in ("evalsha", "eval"))
    print(json.dumps({"redis_commands_per_unit": round(calls / units, 3),
                      "redis_scripts_per_unit": round(scripts / units, 3),
                      "redis_cpu_us_per_unit": round((now["cpu"] - before["cpu"]) * 1e6 / units, 2),
                      "redis_commands": per_cmd}))


if __name__ == "__main__":
    main()
