#!/usr/bin/env python3
"""Print link rates over time from a run made with `perf/fanout/run.sh --trace --keep`:
one line per 0.5 s sample, Mbit/s sent by the origin and the seeder, received by each edge from upstream, and
received by each node (the first 8), time counted from the barrier.

    perf/fanout/trace.py WORK_DIR [SCENARIO[/rN]…]   e.g. perf/fanout/trace.py /tmp/fanout.rjIvtM c d/r2
(a scenario without /rN: each of its rounds)
"""
import json
import os
import signal
import sys


def show(work, sc):
    with open(os.path.join(work, sc, "summary.json")) as f:
        t0 = json.load(f)["t0"]
    with open(os.path.join(work, sc, "trace.tsv")) as f:
        rows = [line.split() for line in f]
    names, data = rows[0][1:], [[float(x) for x in r] for r in rows[1:] if len(r) == len(rows[0])]
    edges = [i for i, n in enumerate(names) if n.endswith("_rx") and n.startswith("e")]
    nodes = [i for i, n in enumerate(names) if n.startswith("n")][:8]
    print(f"scenario {sc}: Mbit/s per sample (t = s since the barrier)")
    print(f"{'t':>6} {'origin':>6} {'seeder':>6} | edges from upstream" + " " * 9 + "| nodes")
    for prev, cur in zip(data, data[1:]):
        dt = cur[0] - prev[0]
        rate = [(c - p) * 8 / dt / 1e6 for c, p in zip(cur[1:], prev[1:])]
        print(f"{cur[0] - t0:6.2f} {rate[0]:6.0f} {rate[1]:6.0f} | "
              + " ".join(f"{rate[i]:4.0f}" for i in edges) + " | "
              + " ".join(f"{rate[i]:4.0f}" for i in nodes))
    print()


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # | head
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    work = sys.argv[1]
    runs = []
    for sc in sys.argv[2:] or sorted(os.listdir(work)):
        if os.path.exists(os.path.join(work, sc, "trace.tsv")):
            runs.append(sc)
        elif os.path.isdir(os.path.join(work, sc)):
            runs += sorted((os.path.join(sc, r) for r in os.listdir(os.path.join(work, sc))
                            if os.path.exists(os.path.join(work, sc, r, "trace.tsv"))),
                           key=lambda p: int(p.rsplit("r", 1)[1]) if p.rsplit("r", 1)[1].isdigit() else 0)
    for run in runs:
        show(work, run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
