#!/usr/bin/env python3
"""Reads the wrk outputs and RSS samples that run.sh left in its work dir, prints the result table with
PASS/FAIL per target and writes the Markdown result file.

Every number comes from this run: arca is compared with nginx measured on the same machine, minutes apart,
alternating the order each round. Each cell is the median over the rounds.
"""
import argparse
import datetime
import json
import pathlib
import re
import statistics
import sys

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}

TARGET_RATIO = 0.5
TARGET_P99_MS_C16 = 2.0
TARGET_RSS_MB = 80.0
TARGET_LIST_P99_MS = 10.0
FOREIGN_LOAD_WARN = 0.2  # cores taken by other processes, on average, above which latencies are flagged


def ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(f"unparsable wrk latency '{text}'")
    return float(m.group(1)) * UNITS[m.group(2)]


def parse_wrk(path: pathlib.Path) -> dict:
    text = path.read_text()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p50 = re.search(r"^\s+50%\s+(\S+)", text, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", text, re.M)
    total = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)", text)
    if not (rps and p50 and p99 and total):
        raise ValueError(f"{path.name}: not a wrk --latency output:\n{text}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    cpu = dict((k, float(v)) for k, v in re.findall(r"(\w+)=([\d.]+)", re.search(r"# cpu-seconds: (.*)", text).group(1)))
    return {
        "cpu": cpu,
        "rps": float(rps.group(1)),
        "p50": ms(p50.group(1)),
        "p99": ms(p99.group(1)),
        "requests": int(total.group(1)),
        "seconds": float(total.group(2)) * UNITS[total.group(3)] / 1e3,
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def cpu_text(run: dict) -> str:
    return ", ".join(f"{k} {v:.1f}" for k, v in run["cpu"].items())


def fmt_ms(v: float) -> str:
    return f"{v * 1000:.0f} µs" if v < 1 else f"{v:.2f} ms"


def cpu_per_request_us(runs: list[dict], name: str) -> float:
    return statistics.median(r["cpu"].get(name, 0.0) / r["requests"] * 1e6 for r in runs)


def foreign_cores(runs: list[dict]) -> float:
    """CPU taken by processes outside the benchmark, in cores (the largest over the rounds)."""
    return max(r["cpu"]["other"] / r["seconds"] for r in runs)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True, type=pathlib.Path)
    ap.add_argument("--out", type=pathlib.Path)
    args = ap.parse_args()
    work = args.work
    meta = json.loads((work / "meta.json").read_text())
    rounds = meta["rounds"]
    conns = meta["connections"]

    problems: list[str] = []
    resolve: dict[tuple[str, int], list[dict]] = {}
    for server in ("nginx", "arca"):
        for c in conns:
            runs = [parse_wrk(work / f"resolve-{server}-c{c}-r{r}.txt") for r in range(1, rounds + 1)]
            for i, run in enumerate(runs, 1):
                if run["non2xx"] or run["socket_errors"]:
                    problems.append(f"{server} c{c} round {i}: {run['non2xx']} non-2xx, socket errors: {run['socket_errors'] or 'none'}")
            resolve[(server, c)] = runs
    listing = [parse_wrk(work / f"listing-c{meta['listing_connections']}-r{r}.txt") for r in range(1, rounds + 1)]
    for i, run in enumerate(listing, 1):
        if run["non2xx"] or run["socket_errors"]:
            problems.append(f"listing round {i}: {run['non2xx']} non-2xx, socket errors: {run['socket_errors'] or 'none'}")

    rss: dict[str, int] = {}
    for line in (work / "rss.log").read_text().splitlines():
        fields = line.split()
        if len(fields) != 2:
            continue
        phase, kb = fields
        rss[phase] = max(rss.get(phase, 0), int(kb))
    rss_resolve_mb = max(rss.get(p, 0) for p in ("seed-resolve", "resolve")) / 1024
    rss_listing_mb = max(rss.get(p, 0) for p in ("seed-listing", "listing")) / 1024

    lines: list[str] = []
    out = lines.append
    out("## Alias resolve: arca vs nginx (static file of the same size)")
    out("")
    out(f"`GET {meta['resolve_path']}`, {meta['versions']:,} versions in the store, response body "
        f"{meta['body_bytes']} bytes from both servers. wrk `--latency -t2 -d{meta['duration']}`; "
        f"median of {rounds} rounds (order alternated each round).")
    out("")
    out("| connections | server | req/s | p50 | p99 | arca/nginx req/s | server CPU per request | foreign load (max) |")
    out("|---:|---|---:|---:|---:|---:|---:|---:|")
    ratios = {}
    for c in conns:
        n_rps = median(resolve[("nginx", c)], "rps")
        a_rps = median(resolve[("arca", c)], "rps")
        ratios[c] = a_rps / n_rps
        for server in ("nginx", "arca"):
            runs = resolve[(server, c)]
            ratio = f"**{ratios[c]:.2f}×**" if server == "arca" else ""
            out(f"| {c} | {server} | {median(runs, 'rps'):,.0f} | {fmt_ms(median(runs, 'p50'))} | "
                f"{fmt_ms(median(runs, 'p99'))} | {ratio} | {cpu_per_request_us(runs, server):.0f} µs | "
                f"{foreign_cores(runs):.2f} cores |")
    out("")
    out("Server CPU per request: CPU-seconds the server's processes used during the run ÷ requests served. "
        "Foreign load: CPU used meanwhile by processes other than wrk and the two servers (other people's work on "
        "this shared machine), in cores, the largest over the rounds.")
    out("")
    out(f"arca RSS (max of VmRSS sampled every 0.2 s while seeding {meta['versions']:,} versions, warming up and "
        f"running the resolve benchmark): **{rss_resolve_mb:.1f} MB**.")
    out("")
    out(f"## Filtered, sorted listing over {meta['listing_versions']:,} versions of one model")
    out("")
    out(f"`GET {meta['listing_path']}` ({meta['listing_items']} items, {meta['listing_bytes']:,} bytes per response). "
        f"wrk `--latency -t2 -c{meta['listing_connections']} -d{meta['duration']}`; median of {rounds} rounds.")
    out("")
    out("| connections | req/s | p50 | p99 | server CPU per request | foreign load (max) |")
    out("|---:|---:|---:|---:|---:|---:|")
    out(f"| {meta['listing_connections']} | {median(listing, 'rps'):,.0f} | {fmt_ms(median(listing, 'p50'))} | "
        f"{fmt_ms(median(listing, 'p99'))} | {cpu_per_request_us(listing, 'arca'):.0f} µs | {foreign_cores(listing):.2f} cores |")
    out("")
    out(f"arca RSS while seeding to and listing over {meta['listing_versions']:,} versions: {rss_listing_mb:.1f} MB "
        "(not a target; for reference).")
    out("")

    c_low = min(conns)
    targets = []  # (target, arca, nginx in the same run, ok)
    for c in conns:
        targets.append((f"resolve throughput at {c} connections ≥ {TARGET_RATIO}× nginx", f"{ratios[c]:.2f}×",
                        f"{median(resolve[('nginx', c)], 'rps'):,.0f} req/s", ratios[c] >= TARGET_RATIO))
    p99_low = median(resolve[("arca", c_low)], "p99")
    targets.append((f"resolve p99 at {c_low} connections ≤ {TARGET_P99_MS_C16:g} ms", fmt_ms(p99_low),
                    fmt_ms(median(resolve[("nginx", c_low)], "p99")), p99_low <= TARGET_P99_MS_C16))
    targets.append((f"arca RSS ≤ {TARGET_RSS_MB:g} MB", f"{rss_resolve_mb:.1f} MB", "", rss_resolve_mb <= TARGET_RSS_MB))
    list_p99 = median(listing, "p99")
    targets.append((f"listing p99 ≤ {TARGET_LIST_P99_MS:g} ms ({meta['listing_versions']:,} versions)", fmt_ms(list_p99), "",
                    list_p99 <= TARGET_LIST_P99_MS))
    out("## Targets")
    out("")
    out("| target | arca | nginx, same run | result |")
    out("|---|---:|---:|---|")
    for name, value, reference, ok in targets:
        out(f"| {name} | {value} | {reference} | {verdict(ok)} |")
    out("")
    all_runs = [r for runs in resolve.values() for r in runs] + listing
    foreign = statistics.mean(r["cpu"]["other"] / r["seconds"] for r in all_runs)
    if foreign > FOREIGN_LOAD_WARN:
        out(f"**Caution:** other processes took {foreign:.2f} of the {meta['cores']} cores on average during the measured "
            "runs. The req/s ratios suffer least (both servers ran under the same load, alternating, medians of rounds) "
            "but still vary from round to round (see the raw runs); absolute latencies, p99 above all, are inflated "
            "by waiting for a CPU, as nginx's own p99 shows: judge the p99 targets on a quiet machine.")
        out("")
    if problems:
        out("**Invalid run:** " + "; ".join(problems))
        out("")

    summary = "\n".join(lines)
    print(summary)

    if args.out:
        raw = ["| run | round | req/s | p50 | p99 | requests | CPU-seconds during the run |", "|---|---:|---:|---:|---:|---:|---|"]
        for (server, c), runs in resolve.items():
            for i, r in enumerate(runs, 1):
                raw.append(f"| resolve {server} c{c} | {i} | {r['rps']:,.0f} | {fmt_ms(r['p50'])} | {fmt_ms(r['p99'])} | "
                           f"{r['requests']:,} | {cpu_text(r)} |")
        for i, r in enumerate(listing, 1):
            raw.append(f"| listing c{meta['listing_connections']} | {i} | {r['rps']:,.0f} | {fmt_ms(r['p50'])} | "
                       f"{fmt_ms(r['p99'])} | {r['requests']:,} | {cpu_text(r)} |")
        doc = [
            "# Control-plane benchmark: alias resolve vs nginx, filtered listing",
            "",
            f"- Date: {meta['date']}",
            f"- Command: `{meta['command']}`",
            f"- arca: {meta['arca']}",
            f"- nginx: {meta['nginx_version']}, `worker_processes 1`, `access_log off`, `sendfile off` with `open_file_cache` (faster than sendfile for a file this small), no keep-alive request limit, serving the resolve body saved as a static file with arca's Content-Type; wrk: {meta['wrk_version']}",
            f"- Machine: {meta['cores']} cores, loopback, wrk and servers share the CPUs (nothing pinned). "
            f"Load average before the runs: {meta['load_before']}; after: {meta['load_after']}."
            + (f" {meta['load_note']}" if meta.get("load_note") else ""),
            f"- Seeding: {meta['seed_note']}",
            "",
            summary,
            "## Raw runs",
            "",
            *raw,
            "",
        ]
        args.out.write_text("\n".join(doc))
        print(f"wrote {args.out}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
