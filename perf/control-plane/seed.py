#!/usr/bin/env python3
"""Registers N versions of one model on a running arca, concurrently over keep-alive connections.

Each version gets a unique artifact, a random metrics.f1 in [0, 1) and a params.lr. The artifact is a small
manifest with no layers and an annotation naming the version, so its digest is unique; it is pushed with
PUT /v1/manifests/{digest} only when the server answers 422 ARTIFACT_NOT_STORED (a server that checks artifacts),
and from then on before every registration. Writes are group-committed by the server, so many in flight at once
is what makes this fast. Prints one line: "<model> <count> <seconds> <per-second> <manifests pushed>".
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
    push_manifests = [False]
    pushed = [0]

    def manifest(i: int) -> tuple[str, bytes]:
        body = json.dumps({"annotations": {"arca.bench/version": f"{args.model}/{i}"}, "layers": [],
                           "mediaType": "application/vnd.arca.manifest.v1+json"},
                          sort_keys=True, separators=(",", ":")).encode()
        return "sha256:" + hashlib.sha256(body).hexdigest(), body

    def worker(tid: int) -> None:
        rng = random.Random(args.seed * 1000 + tid)
        conn = http.client.HTTPConnection(args.host, args.port, timeout=60)

        def call(method: str, path: str, body: bytes | str) -> tuple[int, bytes]:
            nonlocal conn
            for attempt in range(3):
                try:
                    conn.request(method, path, body, headers)
                    resp = conn.getresponse()
                    return resp.status, resp.read()
                except (ConnectionError, http.client.HTTPException, OSError):
                    conn.close()
                    conn = http.client.HTTPConnection(args.host, args.port, timeout=60)
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

        while True:
            with lock:
                i = next_index[0]
                if i >= end or failures:
                    break
                next_index[0] = i + 1
            digest, manifest_body = manifest(i)
            body = json.dumps({
                "artifact_digest": digest,
                "metrics": {"f1": rng.random()},
                "params": {"lr": 0.0003},
            })
            status, data, manifest_sent = 0, b"", False
            for _ in range(2):
                if push_manifests[0]:
                    status, data = call("PUT", f"/v1/manifests/{digest}", manifest_body)
                    if status not in (200, 201):
                        break
                    manifest_sent = True
                    with lock:
                        pushed[0] += 1
                status, data = call("POST", path, body)
                if status == 422 and b"ARTIFACT_NOT_STORED" in data and not manifest_sent:
                    push_manifests[0] = True
                    continue
                break
            if status not in (201, 409):  # 409: a re-run over the same index range
                with lock:
                    failures.append(f"version {i}: HTTP {status}: {data[:300]!r}")
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
    print(f"{args.model} {args.count} {elapsed:.1f} {args.count / elapsed:.0f} {pushed[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
