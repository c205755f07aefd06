#!/usr/bin/env python3
"""Where a process's memory is at its peak: polls /proc/PID/smaps, keeps the sample with the
largest resident total, and prints it grouped by mapping (the binary's code pages, each heap
arena, thread stacks, shared libraries).

Run it beside a benchmark, for example during the 16 concurrent uploads of bench/transfer.py:

    python3 bench/transfer.py --concurrent 16 --ops-csv-mib 0 &
    python3 bench/smaps_peak.py --match 'passerelle.*serve' --seconds 120

--match is a `pgrep -f` pattern, looked for again if the process goes away (a benchmark that
restarts its server); --pid names one process. Linux only, Python standard library only.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections import defaultdict

HEADER = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")


def find_pid(pattern: str) -> int | None:
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    mine = str(os.getpid())
    pids = [p for p in out if p != mine]
    return int(pids[0]) if pids else None


def parse(text: str) -> list[dict]:
    """One entry per mapping: virtual size and resident KiB, permissions, name."""
    maps: list[dict] = []
    for line in text.splitlines():
        m = HEADER.match(line)
        if m:
            start, end = int(m.group(1), 16), int(m.group(2), 16)
            maps.append({"kib": (end - start) // 1024, "perms": m.group(3),
                         "name": m.group(4) or "", "rss": 0})
        elif line.startswith("Rss:") and maps:
            maps[-1]["rss"] = int(line.split()[1])
    return maps


def kind(m: dict) -> str:
    """A readable group for a mapping."""
    name = m["name"]
    if name:
        return name
    if m["kib"] <= 8 * 1024 and m["kib"] in (256, 260, 264, 2048, 8192, 8196):
        return f"anonymous {m['kib']} KiB (a thread stack, most likely)"
    return f"anonymous {m['kib']} KiB ({m['perms']})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    who = ap.add_mutually_exclusive_group(required=True)
    who.add_argument("--pid", type=int, help="the process to watch")
    who.add_argument("--match", help="a pgrep -f pattern naming the process to watch")
    ap.add_argument("--seconds", type=float, default=60, help="how long to poll (default 60, at most 3600)")
    ap.add_argument("--interval", type=float, default=0.05, help="seconds between samples (default 0.05)")
    ap.add_argument("--top", type=int, default=25, help="groups printed (default 25)")
    args = ap.parse_args()
    if not 0 < args.seconds <= 3600:
        ap.error("--seconds must be between 0 and 3600")

    best_total, best_maps, samples = 0, [], 0
    pid = args.pid
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        if pid is None:
            pid = find_pid(args.match)
            if pid is None:
                time.sleep(0.2)
                continue
        try:
            with open(f"/proc/{pid}/smaps", encoding="utf-8") as f:
                maps = parse(f.read())
        except OSError:
            if args.pid is not None:
                break
            pid = None
            continue
        samples += 1
        total = sum(m["rss"] for m in maps)
        if total > best_total:
            best_total, best_maps = total, maps
        time.sleep(args.interval)

    if not best_maps:
        print("no sample taken: the process was not found", file=sys.stderr)
        return 2
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for m in best_maps:
        g = groups[kind(m)]
        g[0] += m["rss"]
        g[1] += 1
        g[2] += m["kib"]
    print(f"peak resident {best_total / 1024:.1f} MiB ({samples} samples)")
    print(f"{'resident KiB':>13} {'maps':>5} {'virtual KiB':>12}  mapping")
    for name, (rss, n, virt) in sorted(groups.items(), key=lambda kv: -kv[1][0])[: args.top]:
        print(f"{rss:>13} {n:>5} {virt:>12}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
