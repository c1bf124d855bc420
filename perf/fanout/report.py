#!/usr/bin/env python3
"""Summarise a perf/fanout/run.sh run: per-scenario completion times against the tree's lower bound T*, bytes per
tier, CPU, targets for arca's tree; prints a table, writes the Markdown result and an SVG of the completion-time
CDFs (drawn by hand: no matplotlib on the appliance)."""
import argparse
import datetime
import json
import math
import os
import platform
import sys

CLIENTS = {
    "curl": "one `curl -H 'Authorization: Bearer …' http://EDGE:8701/blobs/sha256/…` (by digest, like the nginx and "
            "Varnish nodes, which also know their URL)",
    "curl-url": "two `curl`s: `GET /v1/artifacts/{digest}/download` at the edge, then the presigned layer URL",
    "arca": "`arca pull` (resolve, recipes, verification, placement on tmpfs)",
}

NAMES = {
    "a": "(a) direct from origin (nginx)",
    "b": "(b) nginx proxy_cache tree",
    "c": "(c) Varnish tree",
    "d": "(d) arca tree",
}
COLORS = {"a": "#7f7f7f", "b": "#1f77b4", "c": "#ff7f0e", "d": "#d62728"}
CPU_WARN = 0.90  # busy fraction of all cores above which the CPU, not the links, may have set the pace


def pct(sorted_vals, p):
    """Nearest-rank percentile (p in 0..100) of an ascending list."""
    if not sorted_vals:
        return float("nan")
    k = max(1, math.ceil(p / 100 * len(sorted_vals)))
    return sorted_vals[k - 1]


def lower_bound(a):
    """T* of the tree and its terms: every server's link carries S once per client, every node's link S once."""
    s_bits = a.size_mib * 1048576 * 8
    node, tier = a.node_mbit * 1e6, a.tier_mbit * 1e6
    per_edge = math.ceil(a.nodes / a.edges)
    terms = {
        "node link: S / node rate": s_bits / node,
        f"edge link: {per_edge} nodes × S / tier rate": per_edge * s_bits / tier,
        f"seeder link: {a.edges} edges × S / tier rate": a.edges * s_bits / tier,
        "origin link: 1 seeder × S / tier rate": s_bits / tier,
    }
    return max(terms.values()), terms


def round_paths(work, sc):
    """The summary.json of each round of a scenario, in the order they ran (r1, r2, …; a lone run has none)."""
    single = os.path.join(work, sc, "summary.json")
    if os.path.exists(single):
        return [single]
    rounds = []
    if os.path.isdir(os.path.join(work, sc)):
        for d in os.listdir(os.path.join(work, sc)):
            path = os.path.join(work, sc, d, "summary.json")
            if d.startswith("r") and d[1:].isdigit() and os.path.exists(path):
                rounds.append((int(d[1:]), path))
    return [path for _, path in sorted(rounds)]


def load(a):
    """One row per scenario: its median round (by max; the slower middle one of an even count), with every
    round's p50 and max, the worst round's origin egress and the failures of all rounds."""
    rows = []
    for sc in a.scenarios.split(","):
        runs = [load_round(a, sc, path) for path in round_paths(a.work, sc)]
        if not runs:
            continue
        by_max = sorted(range(len(runs)), key=lambda i: runs[i]["max"])
        row = dict(runs[by_max[len(runs) // 2]])
        row["round"] = by_max[len(runs) // 2] + 1
        row["rounds"] = [(r["p50"], r["max"]) for r in runs]
        row["origin_tx_worst"] = max(r["origin_tx"] for r in runs)
        row["failed_all"] = sum(r["failed"] for r in runs)
        row["bad_all"] = sum(r["bad"] for r in runs)
        row["ok_all"] = sum(r["ok"] for r in runs)
        rows.append(row)
    return rows


def load_round(a, sc, path):
    """One round of a scenario: its nodes' times, bytes and CPU."""
    with open(path) as f:
        s = json.load(f)
    nodes = []
    with open(s["nodes_file"]) as f:
        for line in f:
            p = line.split()
            if len(p) < 6:
                continue
            nodes.append({"id": int(p[0]), "start": float(p[1]), "end": float(p[2]), "rc": int(p[3]),
                          "cpu": float(p[4]) + float(p[5]),
                          "first": float(p[6]) if len(p) > 6 and p[6] != "-" else None,
                          "meta": float(p[7]) if len(p) > 7 and p[7] != "-" else None,
                          "exit": float(p[8]) if len(p) > 8 else float(p[2])})
    t0 = s["t0"]
    times = sorted(n["end"] - t0 for n in nodes)
    firsts = sorted(n["first"] - t0 for n in nodes if n["first"] is not None)
    metas = sorted(n["meta"] for n in nodes if n["meta"] is not None)
    failed = sum(1 for n in nodes if n["rc"] != 0) + (a.nodes - len(nodes))
    busy = s["cpu_busy_jiffies"] / max(1, s["cpu_total_jiffies"])
    return {
        "sc": sc,
        "times": times,
        "m50": pct(metas, 50), "mmax": metas[-1] if metas else float("nan"),
        "fb50": pct(firsts, 50), "fbmax": firsts[-1] if firsts else float("nan"),
        "p50": pct(times, 50), "p99": pct(times, 99), "max": times[-1] if times else float("nan"),
        "exitmax": max((n["exit"] - t0 for n in nodes), default=float("nan")),
        "failed": failed, "ok": s["ok"], "bad": s["bad"],
        "origin_tx": s["origin_tx"], "seeder_tx": s["seeder_tx"], "edges_tx": s["edges_tx"],
        "nodes_rx": s["nodes_rx"],
        "busy": busy, "cores": busy * s["ncpu"], "ncpu": s["ncpu"],
        "server_cpu": s["server_ticks"] / s["clk_tck"],
        "client_cpu": sum(n["cpu"] for n in nodes),
        "window": s["t_end"] - t0,
        "bg": s.get("background_busy_pct", 0),
        "irq_cpu": s.get("cpu_irq_jiffies", 0) / s["clk_tck"],
        "steal_cpu": s.get("cpu_steal_jiffies", 0) / s["clk_tck"],
        "task_cpu": s.get("cpu_task_jiffies", 0) / s["clk_tck"],
        "kthread_cpu": s.get("kthread_ticks", 0) / s["clk_tck"],
    }


def fmt2(v):
    return "–" if math.isnan(v) else f"{v:.2f}"


def gib(b):
    return f"{b / 2**30:.2f} GiB"


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) / 2**20
    except OSError:
        mem = 0
    return f"{os.cpu_count()} × {model}, {mem:.0f} GiB RAM, Linux {platform.release()}"


def svg(rows, tstar, nodes, path, title):
    w, h, ml, mr, mt, mb = 820, 460, 60, 20, 40, 110
    xmax = max([tstar] + [r["max"] for r in rows if r["times"]]) * 1.05
    step = next(s for s in (1, 2, 5, 10, 20, 30, 60, 120, 300, 600) if xmax / s <= 10)
    pw, ph = w - ml - mr, h - mt - mb
    x = lambda t: ml + pw * t / xmax
    y = lambda f: mt + ph * (1 - f)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="22" text-anchor="middle" font-size="14">{title}</text>']
    for i in range(0, int(xmax / step) + 1):
        t = i * step
        out.append(f'<line x1="{x(t):.1f}" y1="{mt}" x2="{x(t):.1f}" y2="{mt + ph}" stroke="#eee"/>')
        out.append(f'<text x="{x(t):.1f}" y="{mt + ph + 16}" text-anchor="middle">{t:g}</text>')
    for i in range(0, 5):
        f = i / 4
        out.append(f'<line x1="{ml}" y1="{y(f):.1f}" x2="{ml + pw}" y2="{y(f):.1f}" stroke="#eee"/>')
        out.append(f'<text x="{ml - 6}" y="{y(f) + 4:.1f}" text-anchor="end">{f:.2f}</text>')
    out.append(f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    out.append(f'<text x="{ml + pw / 2}" y="{mt + ph + 34}" text-anchor="middle">'
               f'completion time since the barrier (s)</text>')
    out.append(f'<text transform="translate(16 {mt + ph / 2}) rotate(-90)" text-anchor="middle">'
               f'fraction of nodes done</text>')
    out.append(f'<line x1="{x(tstar):.1f}" y1="{mt}" x2="{x(tstar):.1f}" y2="{mt + ph}" stroke="black" '
               f'stroke-dasharray="5,4"/>')
    out.append(f'<text x="{x(tstar) + 4:.1f}" y="{mt + 14}">T* = {tstar:.1f} s</text>')
    for r in rows:
        if not r["times"]:
            continue
        n = max(nodes, len(r["times"]))
        pts = [(x(0), y(0))]
        for i, t in enumerate(r["times"]):
            pts.append((x(t), y(i / n)))
            pts.append((x(t), y((i + 1) / n)))
        d = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
        out.append(f'<polyline points="{d}" fill="none" stroke="{COLORS[r["sc"]]}" stroke-width="2"/>')
    for i, r in enumerate(rows):
        lx, ly = ml + (i % 2) * 380, mt + ph + 58 + (i // 2) * 20
        out.append(f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 24}" y2="{ly - 4}" stroke="{COLORS[r["sc"]]}" '
                   f'stroke-width="2"/>')
        out.append(f'<text x="{lx + 30}" y="{ly}">{NAMES[r["sc"]]}: max {r["max"]:.1f} s</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser()
    for k in ("work", "out", "scenarios", "client", "command", "versions", "load-before", "latency-emulated",
              "congestion-control", "congestion-pinned"):
        ap.add_argument("--" + k, default="")
    for k in ("nodes", "edges", "node-mbit", "tier-mbit", "size-mib", "rounds"):
        ap.add_argument("--" + k, type=int)
    ap.add_argument("--latency-ms", type=float)
    a = ap.parse_args()

    size = a.size_mib * 1048576
    tstar, terms = lower_bound(a)
    rows = load(a)
    warnings = []
    for r in rows:
        # Process time nobody in the fleet accounts for: other work on the machine (e.g. a build) during the run.
        r["other_cpu"] = max(0.0, r["task_cpu"] - r["server_cpu"] - r["client_cpu"] - r["kthread_cpu"])
        r["eff"] = tstar / r["max"] if r["times"] else 0.0
        r["cpu_bound"] = r["busy"] > CPU_WARN
        if r["cpu_bound"]:
            warnings.append(f"{NAMES[r['sc']]}: CPU busy {r['busy'] * 100:.0f}% of {r['ncpu']} cores during the run "
                            f"— the CPU, not only the links, may have limited it")
        if r["other_cpu"] > 0.1 * r["window"] * r["ncpu"]:
            warnings.append(f"{NAMES[r['sc']]}: about {r['other_cpu']:.1f} CPU-s of processes outside the fleet ran "
                            f"during the run ({r['other_cpu'] / r['window']:.2f} cores)")
        if r["bg"] >= 20:
            warnings.append(f"{NAMES[r['sc']]}: the machine was already {r['bg']}% busy (other work) right before "
                            f"the run")
        if r["failed_all"] or r["bad_all"]:
            warnings.append(f"{NAMES[r['sc']]}: {r['failed_all']} client(s) failed, {r['bad_all']} node(s) without "
                            f"correct bytes (all rounds)")

    hdr = ("| scenario | URL request p50 / max s | first byte p50 / max s | p50 s | p99 s | max s | T*/Tmax | origin egress | × S | seeder sent | edges sent "
           "| nodes got | sha256 ok | CPU busy (cores) | server CPU s | client CPU s | softirq + kthreads s | other s | clients done max s |")
    sep = "|" + "---|" * 19
    lines = [hdr, sep]
    for r in rows:
        lines.append(
            f"| {NAMES[r['sc']]} | {fmt2(r['m50'])} / {fmt2(r['mmax'])} | {fmt2(r['fb50'])} / {fmt2(r['fbmax'])} | {r['p50']:.2f} | {r['p99']:.2f} | {r['max']:.2f} | {r['eff']:.2f} "
            f"| {r['origin_tx']:,} B | {r['origin_tx'] / size:.2f} | {gib(r['seeder_tx'])} | {gib(r['edges_tx'])} "
            f"| {gib(r['nodes_rx'])} | {r['ok']}/{a.nodes} "
            f"| {r['busy'] * 100:.0f}% ({r['cores']:.2f}){' ⚠' if r['cpu_bound'] else ''} "
            f"| {r['server_cpu']:.1f} | {r['client_cpu']:.1f} | {r['irq_cpu'] + r['kthread_cpu']:.1f} | {r['other_cpu']:.1f} | {fmt2(r['exitmax'])} |")

    n_rounds = max((len(r["rounds"]) for r in rows), default=1)
    round_lines = []
    if n_rounds > 1:
        round_lines = ["| scenario | " + " | ".join(f"round {i + 1}: p50 / max s" for i in range(n_rounds))
                       + " | median max s (round) |", "|" + "---|" * (n_rounds + 2)]
        for r in rows:
            cells = [f"{p50:.2f} / {mx:.2f}" for p50, mx in r["rounds"]] + ["–"] * (n_rounds - len(r["rounds"]))
            round_lines.append(f"| {NAMES[r['sc']]} | " + " | ".join(cells) + f" | {r['max']:.2f} ({r['round']}) |")

    targets = []
    d = next((r for r in rows if r["sc"] == "d"), None)
    if d is not None:
        rounds_note = f" (median of {len(d['rounds'])} rounds)" if len(d["rounds"]) > 1 else ""
        targets.append(("arca: efficiency T*/Tmax ≥ 0.9", d["eff"] >= 0.9, f"{d['eff']:.3f}{rounds_note}"))
        targets.append(("arca: origin egress ≤ 1.05 × S", d["origin_tx_worst"] <= 1.05 * size,
                        f"{d['origin_tx_worst'] / size:.3f} × S" + (" (worst round)" if len(d["rounds"]) > 1 else "")))
        for r in rows:
            if r["sc"] != "d":
                pairs = list(zip(d["rounds"], r["rounds"]))
                won = sum(1 for (_, dm), (_, rm) in pairs if dm < rm)
                targets.append((f"arca: max faster than {NAMES[r['sc']]}", d["max"] < r["max"],
                                f"{d['max']:.2f} s vs {r['max']:.2f} s{rounds_note}"
                                + (f"; faster in {won} of {len(pairs)} rounds" if len(pairs) > 1 else "")))
        expected = a.nodes * len(d["rounds"])
        targets.append(("arca: every node got the right bytes", d["ok_all"] == expected and not d["failed_all"],
                        f"{d['ok_all']}/{expected}" + (" (all rounds)" if len(d["rounds"]) > 1 else "")))

    # Console
    print()
    print(f"T* = {tstar:.2f} s  ({', '.join(f'{k} = {v:.2f} s' for k, v in terms.items())})")
    print("\n".join(lines))
    if round_lines:
        print()
        print("\n".join(round_lines))
    for name, ok, val in targets:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {val}")
    for w in warnings:
        print("WARNING: " + w)

    if a.out in ("", "-"):
        return
    base = os.path.splitext(a.out)[0]
    svg_path = base + ".svg"
    svg(rows, tstar, a.nodes, svg_path,
        f"{a.nodes} nodes pull {a.size_mib} MiB at once: {a.edges} edges, {a.node_mbit}/{a.tier_mbit} Mbit/s links")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    md = [
        "# Fan-out: N nodes pull one cold artifact at once through a tiered tree",
        "",
        f"Produced by `{a.command}` on {now}.",
        "",
        f"- Machine: {machine()}; load average before the run {a.load_before}.",
        f"- Software: {a.versions.replace(';', '; ')}.",
        f"- Fleet: network namespaces joined by veth links through one Linux bridge per tier; every link direction "
        f"shaped with `tbf rate R burst 256kb` (queue: 50 ms of R, ≥ 512 KiB)"
        + (f" and `netem delay {a.latency_ms:g}ms` (RTT per link {2 * a.latency_ms:g} ms)." if a.latency_emulated == "1"
           else f"; **no added latency**: this kernel has no sch_netem (CONFIG_NET_SCH_NETEM unset), so "
                f"--latency-ms {a.latency_ms:g} was not applied (veth RTT ≈ 0.05 ms).")
        + (f" TCP congestion control in every namespace: `{a.congestion_control}`"
           + (" (pinned with `--cc`)." if a.congestion_pinned == "1" else " (the host's default; `--cc NAME` pins one).")
           + " The arca servers' data-plane connections use what `server.data_tcp_congestion` names (default `cubic`;"
             " the harness runs them as root, so the kernel allows it); nginx, Varnish and the node clients use the"
             " namespace's."
           if a.congestion_control else ""),
        f"- Topology: origin ─{a.tier_mbit} Mbit/s─ seeder ─{a.tier_mbit} Mbit/s─ {a.edges} edges "
        f"─{a.tier_mbit} Mbit/s per edge, shared by its nodes─ {a.nodes} nodes at {a.node_mbit} Mbit/s "
        f"(round-robin, ≤ {math.ceil(a.nodes / a.edges)} per edge). Each server has one NIC per side, so its egress "
        f"is capped at its link rate whatever the number of clients.",
        f"- Artifact: S = {a.size_mib} MiB of random bytes ({size:,} B); every tier starts cold (fresh cache / "
        f"data dirs, servers restarted); all nodes start together (a FIFO barrier), each makes one pull; "
        f"node client for (d): {CLIENTS.get(a.client, a.client)}.",
        "",
        "## Lower bound",
        "",
        f"T* = **{tstar:.2f} s**, the slowest link of the tree carrying what it must:",
        "",
    ]
    md += [f"- {k} = {v:.2f} s" for k, v in terms.items()]
    md += [
        "",
        "T* is for the tree (every scenario is scored against it, so (a), which has no tree, scores badly on "
        "purpose). Link rates count Ethernet/IP/TCP headers, so even a perfect transfer reaches only ~0.95 of T*.",
        "",
        "## Results",
        "",
        (f"Each scenario ran {n_rounds} times, alternating (a b c d, a b c d, …); each row below is its median "
         "round by max, and the targets compare those. " if n_rounds > 1 else ""),
        "Completion time = from the barrier's release to the node's last byte: for curl clients the moment curl "
        "exits after it (for `arca pull`, when it exits: files verified and placed); clients done = when the last "
        "node's whole client had wound down (for curl, also the sha256 pipeline and the shell around it; 24 nodes "
        "finishing together queue for the two cores there, which is not the tree's doing); first byte = when the artifact's first byte reached the node (curl clients; "
        "for (d) after the download-URL request); URL request = how long (d)'s `GET /v1/artifacts/{digest}/download` "
        "took at the edge. Bytes are the `tx_bytes` / `rx_bytes` of the veths (frames, headers "
        "included) during the run: origin egress, the seeder's and all edges' downstream links, all nodes' receive. "
        "CPU busy = /proc/stat over the run, all cores (softirq — the veth/bridge/tbf work — included); server CPU = "
        "user+system of the origin/seeder/edge processes; client CPU = user+system of the node clients (curl "
        "piped into `openssl dgst -sha256`, so the node's copy is checked without being written anywhere; `arca pull` "
        "writes, verifies and places files on tmpfs); softirq + kthreads = irq/softirq time of the machine plus the kernel threads' "
        "time (ksoftirqd, kworkers: veth, bridge, tbf, forwarding, TCP receive); other = process time not accounted "
        "for by any of these (other work on the machine, e.g. a build). "
        "⚠ = busy > 90%: the CPU, not only the links, may have set the pace.",
        "",
    ]
    md += lines
    if round_lines:
        md += ["", "Every round (the table above shows each scenario's median round by max):", ""] + round_lines
    md += ["", f"![completion-time CDFs]({os.path.basename(svg_path)})", ""]
    if targets:
        md += ["## Targets (arca's tree)", ""]
        md += [f"- **{'PASS' if ok else 'FAIL'}** {name}: {val}" for name, ok, val in targets]
        md += [""]
    if warnings:
        md += ["## Warnings", ""] + [f"- {w}" for w in warnings] + [""]
    md += ["## Per-node completion times (s, sorted; the median round)", ""]
    for r in rows:
        md.append(f"- {NAMES[r['sc']]}: " + " ".join(f"{t:.2f}" for t in r["times"]))
    md.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(md))
    print(f"\nwrote {a.out} and {svg_path}")


if __name__ == "__main__":
    sys.exit(main())
