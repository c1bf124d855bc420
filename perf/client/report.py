#!/usr/bin/env python3
"""Turns perf/client/run.sh's runs.tsv into the markdown report (and prints it)."""
import argparse
import datetime
import statistics
import sys

p = argparse.ArgumentParser()
p.add_argument("--runs", required=True)
p.add_argument("--bytes", type=int, required=True)
p.add_argument("--reps", type=int, required=True)
p.add_argument("--scale", type=int, default=1)
p.add_argument("--command", required=True)
p.add_argument("--arca", required=True)
p.add_argument("--uptime-before", required=True)
p.add_argument("--uptime-after", required=True)
p.add_argument("--curl", required=True)
p.add_argument("--aria2", required=True)
p.add_argument("--files", required=True)
p.add_argument("--out", required=True)
a = p.parse_args()

runs = []
for line in open(a.runs):
    phase, variant, rep, wall, client, server, foreign = line.rstrip("\n").split("\t")
    runs.append(dict(phase=phase, variant=variant, rep=int(rep), wall=float(wall), client=float(client),
                     server=float(server), foreign=float(foreign)))


def of(phase, variant):
    return [r for r in runs if r["phase"] == phase and r["variant"] == variant]


def med(phase, variant, key="wall"):
    return statistics.median(r[key] for r in of(phase, variant))


def gbps(seconds):
    return a.bytes / seconds / 1e9


def per_rep_ratio(phase, variant, refs):
    """arca's throughput ÷ the fastest reference's in the same repetition, for each repetition."""
    out = []
    for rep in sorted({r["rep"] for r in runs}):
        mine = [r["wall"] for r in of(phase, variant) if r["rep"] == rep]
        theirs = [r["wall"] for ref in refs for r in of(phase, ref) if r["rep"] == rep]
        if mine and theirs:
            out.append(min(theirs) / mine[0])
    return out


LABEL = {
    ("push", "arca"): "`arca push DIR` (hashes while uploading, 4 files at once)",
    ("push", "curl-seq"): "`curl -T FILE` to `PUT /v1/blobs?digest=…`, files one after another",
    ("push", "curl-par"): "`curl -T FILE`, all files at once",
    ("pull", "arca"): "`arca pull` (defaults: --parallel 4 --streams 8, chunks verified)",
    ("pull", "arca-streams1"): "`arca pull --streams 1`",
    ("pull", "arca-streams4"): "`arca pull --streams 4`",
    ("pull", "arca-no-verify-chunks"): "`arca pull --no-verify-chunks` (file sha256 only)",
    ("pull", "curl-seq"): "`curl -s -o` each layer URL, one after another",
    ("pull", "curl-par"): "`curl -s -o` each layer URL, all at once",
    ("pull", "aria2c"): "`aria2c -x8 -s8 -k1M`, all URLs in one input file",
}
PUSH_REFS = ["curl-seq", "curl-par"]
PULL_REFS = ["curl-seq", "curl-par", "aria2c"]
PUSH_ORDER = ["arca", "curl-seq", "curl-par"]
PULL_ORDER = ["arca", "arca-streams1", "arca-streams4", "arca-no-verify-chunks", "curl-seq", "curl-par", "aria2c"]

lines = []
w = lines.append
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
foreign = [r["foreign"] for r in runs]
w("# Client benchmark: `arca push` / `arca pull` vs curl and aria2c")
w("")
w(f"- Date: {now}")
w(f"- Command: `{a.command}`")
w(f"- arca: {a.arca}")
w(f"- References: {a.curl}; {a.aria2} (Debian packages), on the same machine, same server, same run")
w(f"- Model: {a.bytes:,} bytes of random data in 5 files ({a.files.strip()}), generated in /tmp by the script"
  + (f"; **sizes divided by {a.scale} (a check of the script, not a result)**" if a.scale != 1 else ""))
w("- Machine: 2 cores, loopback, client and server share the CPUs (nothing pinned); data dirs and outputs on the same disk")
w(f"- `uptime` before: `{a.uptime_before.strip()}`")
w(f"- `uptime` after: `{a.uptime_after.strip()}`")
w(f"- Foreign load (CPU taken by processes other than the client and the server, in cores, during the timed runs): "
  f"mean {statistics.mean(foreign):.2f}, max {max(foreign):.2f} of 2. Absolute GB/s on this shared machine are low and "
  "noisy; the ratios compare tools that ran alternately under the same load and are the numbers to judge.")
w(f"- {a.reps} repetitions; each repetition runs every variant, in an order rotated from one repetition to the next; "
  "cells are medians. GB/s = 10⁹ bytes of model per second of wall clock. Ratio = arca's throughput ÷ the reference's.")
w("")

# ---- push
push_ref = min(PUSH_REFS, key=lambda v: med("push", v))
w("## Push")
w("")
w("Every push run starts a fresh server process on a fresh, empty data dir (so no layer is deduplicated away and both "
  "sides write the full 2 GiB into the store); the model's files are read (`cat`) right before each run so they come "
  "from the page cache. arca's time includes hashing every file (the client does not know the digests); curl is "
  "handed the digests, computed beforehand and not timed. Fresh `XDG_CACHE_HOME` for every arca push.")
w("")
w("| variant | median s | GB/s | arca ÷ this | client CPU s | server CPU s | foreign cores |")
w("|---|---:|---:|---:|---:|---:|---:|")
arca_push = med("push", "arca")
for v in PUSH_ORDER:
    m = med("push", v)
    ratio = "" if v == "arca" else f"{m / arca_push:.2f}×"
    w(f"| {LABEL[('push', v)]} | {m:.2f} | {gbps(m):.3f} | {ratio} | {med('push', v, 'client'):.2f} | "
      f"{med('push', v, 'server'):.2f} | {med('push', v, 'foreign'):.2f} |")
w("")

# ---- pull
pull_ref = min(PULL_REFS, key=lambda v: med("pull", v))
w("## Pull")
w("")
w("One server holds the model (pushed once more with arca); its packs are read (`cat chunks/shards/*.pack`) right before "
  "every run, and every run writes into a fresh, empty directory (`sync` before each run so one run's write-back does "
  "not land in the next). arca resolves the alias and fetches the recipes itself (three API calls, inside its time), "
  "verifies the sha256 of every file and, by default, of every chunk, writes `.arca/partial/…`, fsyncs and renames into "
  "place. curl and aria2c get the presigned layer URLs resolved beforehand and only write the bytes (no fsync, no "
  "hashing; their output was compared byte for byte with the model once, untimed).")
w("")
w(f"| variant | median s | GB/s | arca (default) ÷ this | client CPU s | server CPU s | foreign cores |")
w("|---|---:|---:|---:|---:|---:|---:|")
arca_pull = med("pull", "arca")
for v in PULL_ORDER:
    m = med("pull", v)
    ratio = "" if v == "arca" else f"{m / arca_pull:.2f}×"
    w(f"| {LABEL[('pull', v)]} | {m:.2f} | {gbps(m):.3f} | {ratio} | {med('pull', v, 'client'):.2f} | "
      f"{med('pull', v, 'server'):.2f} | {med('pull', v, 'foreign'):.2f} |")
w("")
verify_cost = med("pull", "arca") / med("pull", "arca-no-verify-chunks")
w(f"Per-chunk verification: `arca pull` takes {verify_cost:.2f}× the time of `--no-verify-chunks` "
  f"(client CPU {med('pull', 'arca', 'client'):.2f} s vs {med('pull', 'arca-no-verify-chunks', 'client'):.2f} s). "
  "The whole-file sha256 is computed in both.")
cpu = {v: med("pull", v, "client") for v in PULL_ORDER}
w(f"Client CPU for the same 2 GiB: arca {cpu['arca']:.2f} s, arca --no-verify-chunks {cpu['arca-no-verify-chunks']:.2f} s, "
  f"curl one after another {cpu['curl-seq']:.2f} s, aria2c {cpu['aria2c']:.2f} s. With other people's work taking "
  f"{statistics.mean(foreign):.1f} of the 2 cores, throughput here follows CPU: every extra CPU-second the client spends "
  "(hashing every byte twice, for the file digest and the chunk digests) is wall time.")
w("")

# ---- targets
w("## Targets")
w("")
w("| target | arca | fastest reference (same run) | ratio | per-repetition ratios | result |")
w("|---|---:|---:|---:|---|---|")
pull_ratio = med("pull", pull_ref) / arca_pull
push_ratio = med("push", push_ref) / arca_push
pr = per_rep_ratio("pull", "arca", PULL_REFS)
ps = per_rep_ratio("push", "arca", PUSH_REFS)
w(f"| `arca pull` (verification included) ≥ 0.9× the fastest of curl / aria2c | {gbps(arca_pull):.3f} GB/s | "
  f"{gbps(med('pull', pull_ref)):.3f} GB/s ({pull_ref}) | {pull_ratio:.2f}× | {', '.join(f'{x:.2f}' for x in pr)} | "
  f"{'PASS' if pull_ratio >= 0.9 else 'FAIL'} |")
w(f"| `arca push` ≥ 0.8× `curl -T` of the same bytes | {gbps(arca_push):.3f} GB/s | "
  f"{gbps(med('push', push_ref)):.3f} GB/s ({push_ref}) | {push_ratio:.2f}× | {', '.join(f'{x:.2f}' for x in ps)} | "
  f"{'PASS' if push_ratio >= 0.8 else 'FAIL'} |")
w("")
w("The reference in each row is the fastest of the listed ways of using the plain tool (medians); per-repetition "
  "ratios compare arca with the fastest reference of that same repetition.")
w("")

# ---- raw
w("## Raw runs")
w("")
w("| phase | variant | rep | wall s | GB/s | client CPU s | server CPU s | foreign cores |")
w("|---|---|---:|---:|---:|---:|---:|---:|")
for r in runs:
    w(f"| {r['phase']} | {r['variant']} | {r['rep']} | {r['wall']:.2f} | {gbps(r['wall']):.3f} | {r['client']:.2f} | "
      f"{r['server']:.2f} | {r['foreign']:.2f} |")
w("")
w("Client CPU: user + system seconds of the client processes (arca, curl, aria2c) during the run; server CPU: of the "
  "arca server process; foreign cores: CPU-seconds used by everything else on the machine ÷ wall seconds.")

text = "\n".join(lines) + "\n"
sys.stdout.write(text)
if a.out != "-":
    with open(a.out, "w") as f:
        f.write(text)
