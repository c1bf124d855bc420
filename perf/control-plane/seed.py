#!/usr/bin/env python3
"""Registers N versions of one model on a running arca, concurrently over keep-alive connections.

Each version gets a unique artifact digest (sha256 of "<model>/<i>"), a random metrics.f1 in [0, 1) and a
params.lr. Registrations are group-committed by the server, so many in flight at once is what makes this fast.
Prints one line: "<model> <count> <seconds> <per-second>".
"""
import argparse
import hashlib
import http.client
import json
import random
import sys
import threading
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--start", type=int, default=0, help="first index, so a second call adds new digests")
    ap.add_argument("--threads", type=int, default=48)
    ap.add_argument("--seed", type=int, default=42, help="random seed for the f1 values (reproducible data)")
    args = ap.parse_args()

    headers = {"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"}
    path = f"/v1/models/{args.model}/versions"
    lock = threading.Lock()
    next_index = [args.start]
    end = args.start + args.count
    failures: list[str] = []

    def worker(tid: int) -> None:
        rng = random.Random(args.seed * 1000 + tid)
        conn = http.client.HTTPConnection(args.host, args.port, timeout=60)
        while True:
            with lock:
                i = next_index[0]
                if i >= end or failures:
                    break
                next_index[0] = i + 1
            digest = hashlib.sha256(f"{args.model}/{i}".encode()).hexdigest()
            body = json.dumps({
                "artifact_digest": "sha256:" + digest,
                "metrics": {"f1": rng.random()},
                "params": {"lr": 0.0003},
            })
            for attempt in range(3):
                try:
                    conn.request("POST", path, body, headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    break
                except (ConnectionError, http.client.HTTPException, OSError):
                    conn.close()
                    conn = http.client.HTTPConnection(args.host, args.port, timeout=60)
                    if attempt == 2:
                        raise
            if resp.status not in (201, 409):  # 409: a re-run over the same index range
                with lock:
                    failures.append(f"version {i}: HTTP {resp.status}: {data[:300]!r}")
                break
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    if failures:
        print("seed failed: " + failures[0], file=sys.stderr)
        return 1
    print(f"{args.model} {args.count} {elapsed:.1f} {args.count / elapsed:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
