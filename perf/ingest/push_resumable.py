#!/usr/bin/env python3
"""Pushes a file through arca's resumable upload session: POST /v1/blobs/uploads, PATCH pieces of the file
(Content-Range a-b, body sent with sendfile(2) so the client costs next to no CPU), then PUT ?digest=... with an
empty body. One keep-alive connection. Prints the 201 JSON; exits non-zero on any other status.

    push_resumable.py --url http://127.0.0.1:8700 --token T --digest sha256:HEX --piece-bytes 268435456 FILE
"""
import argparse
import http.client
import os
import sys
import urllib.parse


def expect(resp: http.client.HTTPResponse, status: int, what: str) -> bytes:
    body = resp.read()
    if resp.status != status:
        sys.exit(f"{what}: HTTP {resp.status} (wanted {status}): {body[:500]!r}")
    return body


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--digest", required=True)
    ap.add_argument("--piece-bytes", type=int, default=256 << 20)
    ap.add_argument("file")
    args = ap.parse_args()

    u = urllib.parse.urlsplit(args.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
    auth = {"Authorization": f"Bearer {args.token}"}

    conn.request("POST", "/v1/blobs/uploads", headers={**auth, "Content-Length": "0"})
    resp = conn.getresponse()
    expect(resp, 202, "POST /v1/blobs/uploads")
    location = resp.getheader("Location")
    if not location:
        sys.exit("POST /v1/blobs/uploads: no Location header")
    location = urllib.parse.urlsplit(location).path  # relative or absolute, same server

    size = os.path.getsize(args.file)
    with open(args.file, "rb") as f:
        offset = 0
        while offset < size:
            count = min(args.piece_bytes, size - offset)
            conn.putrequest("PATCH", location, skip_accept_encoding=True)
            for k, v in {**auth, "Content-Length": str(count), "Content-Range": f"{offset}-{offset + count - 1}",
                         "Content-Type": "application/octet-stream"}.items():
                conn.putheader(k, v)
            conn.endheaders()
            sent = 0
            while sent < count:
                sent += conn.sock.sendfile(f, offset + sent, count - sent)
            expect(conn.getresponse(), 202, f"PATCH {offset}-{offset + count - 1}")
            offset += count

    conn.request("PUT", f"{location}?digest={args.digest}", body=b"", headers=auth)
    body = expect(conn.getresponse(), 201, "PUT ?digest")
    sys.stdout.write(body.decode() + "\n")


if __name__ == "__main__":
    main()
