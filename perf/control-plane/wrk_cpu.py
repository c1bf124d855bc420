#!/usr/bin/env python3
"""Runs one wrk command and appends to its output how the machine's CPU time was spent meanwhile.

usage: wrk_cpu.py OUTFILE NAME=PID[,NAME=PID...] -- wrk ARGS...

The appended line reads "# cpu-seconds: busy=<all CPUs> wrk=<wrk> NAME=<pid's> ... other=<rest>". "other" is CPU
taken by processes outside the benchmark (other people's builds and tests on a shared machine) and tells whether a
run was disturbed.
"""
import os
import resource
import subprocess
import sys

TICK = os.sysconf("SC_CLK_TCK")


def busy_seconds() -> float:
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICK


def process_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(rest[11]) + int(rest[12])) / TICK  # utime + stime


def main() -> int:
    out_path, pid_spec = sys.argv[1], sys.argv[2]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    pids = {}
    for item in filter(None, pid_spec.split(",")):
        name, pid = item.split("=")
        pids.setdefault(name, []).append(int(pid))

    before = {n: sum(process_seconds(p) for p in ps) for n, ps in pids.items()}
    busy0 = busy_seconds()
    child0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(cmd, capture_output=True, text=True)
    child1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = busy_seconds() - busy0
    used = {n: sum(process_seconds(p) for p in ps) - before[n] for n, ps in pids.items()}
    wrk = (child1.ru_utime - child0.ru_utime) + (child1.ru_stime - child0.ru_stime)
    other = max(0.0, busy - wrk - sum(used.values()))
    line = f"# cpu-seconds: busy={busy:.2f} wrk={wrk:.2f} " + " ".join(f"{n}={v:.2f}" for n, v in used.items()) + f" other={other:.2f}"
    with open(out_path, "w") as f:
        f.write(result.stdout)
        f.write(result.stderr)
        f.write(line + "\n")
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
