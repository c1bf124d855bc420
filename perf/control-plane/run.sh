#!/usr/bin/env bash
# Control-plane benchmark: alias resolve on the Native-AOT arca against nginx (one worker) serving a static file of
# the same size, both measured in this run with wrk at 16 and 64 connections; then a filtered, sorted listing over
# a large model. Prints a PASS/FAIL table and writes perf/results/control-plane.md with the command that made it.
#
#   perf/control-plane/run.sh                       # builds the AOT binary from HEAD, full sizes
#   perf/control-plane/run.sh --binary /tmp/arca-aot/arca --versions 2000 --listing-versions 20000 \
#       --duration 3s --rounds 1 --out /tmp/quick.md  # a quick check
#
# Time on 2 busy cores: the build 3-15 min, the measuring ~3 min, and seeding 250k versions through the API
# ~5 min at ~1k registrations/s, or 10-40 min on a server that needs each version's manifest pushed first (one
# fsync per manifest). The listing's cost grows with its page size, not the model's size (the query walks the
# (model_id, key, value, version_no) index from its end), so a smaller --listing-versions is a fair quick check.
#
# Needs wrk and nginx (installed with apt-get when missing, which needs root), python3, curl, and dotnet unless
# --binary is given.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(git -C "$here" rev-parse --show-toplevel)"
command_line="perf/control-plane/run.sh$(printf ' %q' "$@")"

binary=""
versions=10000
listing_versions=250000
duration=10s
warmup=3s
rounds=3
listing_connections=4
out="$repo/perf/results/control-plane.md"
keep=0
publish_args=()

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
    cat <<'EOF'

options:
  --binary PATH             use this arca binary (libe_sqlite3.so beside it) instead of building one from HEAD
  --versions N              versions in the store for the resolve benchmark (default 10000)
  --listing-versions N      versions of the model for the listing benchmark (default 250000)
  --duration D              wrk duration of each measured run (default 10s)
  --warmup D                wrk warm-up before measuring each server (default 3s)
  --rounds N                measured rounds; cells are medians, order alternates each round (default 3)
  --listing-connections N   wrk connections for the listing (default 4)
  --publish-arg ARG         extra argument for the dotnet publish of the build (repeatable), e.g.
                            -p:TreatWarningsAsErrors=false while a dependency's AOT warnings break the build
  --out PATH                result file (default perf/results/control-plane.md; "-" for none)
  --keep                    keep the work dir (logs, wrk outputs, database) for inspection
EOF
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --binary) binary="$(realpath "$2")"; shift 2 ;;
        --versions) versions="$2"; shift 2 ;;
        --listing-versions) listing_versions="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --listing-connections) listing_connections="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --publish-arg) publish_args+=("$2"); shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done
if (( listing_versions < versions )); then
    echo "--listing-versions must be at least --versions (the listing model is the resolve model, grown)" >&2
    exit 2
fi

say() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "wrk and nginx are needed: run as root once, or: sudo apt-get install -y wrk nginx" >&2
        exit 1
    fi
    say "installing wrk and nginx"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx >/dev/null
fi

work="$(mktemp -d /tmp/arca-cp-bench.XXXXXX)"
chmod 755 "$work"  # nginx's worker (user nobody when started as root) must read the static file
pids=()
cleanup() {
    local status=$?
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if (( status != 0 )) && compgen -G "$work/*-r1.txt" >/dev/null; then
        keep=1  # measurements were made: keep them for a look (and report.py --work) rather than lose them
    fi
    if (( keep )); then
        say "work dir kept: $work"
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
say "load average before: $load_before (on $(nproc) cores)"

if [[ -z "$binary" ]]; then
    rev="$(git -C "$repo" rev-parse --short HEAD)"
    say "building the Native-AOT binary from HEAD ($rev) in $work/build (about 2-3 min)"
    mkdir -p "$work/src"
    git -C "$repo" archive HEAD | tar -x -C "$work/src"
    if ! (cd "$work/src" && dotnet publish src/Arca -c Release -r linux-x64 -p:PublishAot=true \
            --disable-build-servers "${publish_args[@]}" -o "$work/build") >"$work/build.log" 2>&1; then
        tail -30 "$work/build.log" >&2
        echo "build failed (log above); if only third-party AOT/trim warnings fail it, --publish-arg -p:TreatWarningsAsErrors=false measures the same code" >&2
        exit 1
    fi
    binary="$work/build/arca"
    arca_desc="Native AOT, built by this script from commit $rev${publish_args[*]:+ (publish arguments: ${publish_args[*]})}"
    if [[ -n "$(git -C "$repo" status --porcelain -- src)" ]]; then
        arca_desc+=" (uncommitted changes in src/ were not included)"
    fi
else
    arca_desc="binary given with --binary ($(sha256sum "$binary" | cut -c1-12)), HEAD was $(git -C "$repo" rev-parse --short HEAD)"
fi
[[ -x "$binary" ]] || { echo "no executable at $binary" >&2; exit 1; }

read -r control_port data_port nginx_port < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
EOF
)

say "starting arca on 127.0.0.1:$control_port"
"$binary" serve --data-dir "$work/data" --control-listen "127.0.0.1:$control_port" \
    --data-listen "127.0.0.1:$data_port" --set log.level=warning >"$work/arca.log" 2>&1 &
arca_pid=$!
pids+=("$arca_pid")
base="http://127.0.0.1:$control_port"
for _ in $(seq 100); do
    if [[ -s "$work/data/admin.token" ]] && curl -sf "$base/healthz" >/dev/null; then
        break
    fi
    kill -0 "$arca_pid" 2>/dev/null || { cat "$work/arca.log" >&2; echo "arca exited" >&2; exit 1; }
    sleep 0.2
done
token="$(cat "$work/data/admin.token")"
auth="Authorization: Bearer $token"

# The RSS sampler tags each sample with the phase; written by rename so that it never reads a half-written file.
set_phase() { echo "$1" >"$work/phase.tmp" && mv "$work/phase.tmp" "$work/phase"; }
set_phase seed-resolve
(
    while kill -0 "$arca_pid" 2>/dev/null; do
        kb="$(awk '/^VmRSS:/ {print $2}' "/proc/$arca_pid/status" 2>/dev/null || true)"
        [[ -n "$kb" ]] && echo "$(<"$work/phase") $kb"
        sleep 0.2
    done
) >>"$work/rss.log" &
pids+=("$!")

say "seeding $versions versions of model m"
seed_resolve="$(python3 "$here/seed.py" --port "$control_port" --token "$token" --model m --count "$versions")"
read -r _ _ seed_resolve_s seed_resolve_rate seed_resolve_manifests <<<"$seed_resolve"
curl -sf -X PUT -H "$auth" -H 'Content-Type: application/json' "$base/v1/models/m/aliases/prod" \
    -d "{\"version\":$versions,\"reason\":\"control-plane benchmark\"}" >/dev/null

resolve_path=/v1/models/m/aliases/prod
mkdir -p "$work/www$(dirname "$resolve_path")" "$work/nginx"
content_type="$(curl -sf -H "$auth" -o "$work/www$resolve_path" -w '%{content_type}' "$base$resolve_path")"
body_bytes="$(stat -c %s "$work/www$resolve_path")"

cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    server_tokens off;
    # For a response of a few hundred bytes, one writev of a cached copy beats sendfile (about 1.7x the req/s here);
    # the reference should be nginx at its best for this workload.
    sendfile off;
    open_file_cache max=64 inactive=60s;
    open_file_cache_valid 60s;
    keepalive_requests 10000000;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    types { }
    default_type "$content_type";
    server {
        listen 127.0.0.1:$nginx_port;
        root $work/www;
    }
}
EOF
say "starting nginx (1 worker) on 127.0.0.1:$nginx_port serving $body_bytes bytes as $content_type"
nginx -e "$work/nginx/error.log" -p "$work/nginx" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
pids+=("$nginx_pid")
for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$nginx_port$resolve_path" -o /dev/null && break
    sleep 0.1
done
nginx_bytes="$(curl -sf -H "$auth" "http://127.0.0.1:$nginx_port$resolve_path" | wc -c)"
if [[ "$nginx_bytes" != "$body_bytes" ]]; then
    echo "nginx serves $nginx_bytes bytes, arca $body_bytes" >&2
    exit 1
fi
nginx_pids="nginx=$nginx_pid$(pgrep -P "$nginx_pid" | sed 's/^/,nginx=/' | tr -d '\n')"

# One measured wrk run; the output file also gets the CPU-seconds each process used meanwhile (wrk_cpu.py).
run_wrk() { # out-file pid-spec connections url
    python3 "$here/wrk_cpu.py" "$1" "$2" -- wrk --latency -t2 -c"$3" -d"$duration" -H "$auth" "$4"
}

set_phase resolve
say "warming up (${warmup} each)"
for url in "$base$resolve_path" "http://127.0.0.1:$nginx_port$resolve_path"; do
    wrk -t2 -c64 -d"$warmup" -H "$auth" "$url" >/dev/null
done
for round in $(seq "$rounds"); do
    order=(nginx arca)
    (( round % 2 == 0 )) && order=(arca nginx)
    for c in 16 64; do
        for server in "${order[@]}"; do
            if [[ $server == arca ]]; then
                url="$base$resolve_path"; spec="arca=$arca_pid"
            else
                url="http://127.0.0.1:$nginx_port$resolve_path"; spec="$nginx_pids,arca=$arca_pid"
            fi
            say "round $round/$rounds: resolve, $server, $c connections"
            run_wrk "$work/resolve-$server-c$c-r$round.txt" "$spec" "$c" "$url"
        done
    done
done

set_phase seed-listing
seed_listing_note=""
if (( listing_versions > versions )); then
    say "seeding model m up to $listing_versions versions (the longest step: ~1k registrations/s on 2 busy cores, ~10x less when every version needs its manifest pushed)"
    seed_listing="$(python3 "$here/seed.py" --port "$control_port" --token "$token" --model m \
        --start "$versions" --count $((listing_versions - versions)))"
    read -r _ _ seed_listing_s seed_listing_rate _ <<<"$seed_listing"
    seed_listing_note=", then $((listing_versions - versions)) more in ${seed_listing_s} s (${seed_listing_rate}/s)"
fi

set_phase listing
listing_path='/v1/models/m/versions?filter=metrics.f1%3E0.5&sort=-metrics.f1&limit=50'
curl -sf -H "$auth" "$base$listing_path" -o "$work/listing.json"
listing_items="$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d.get("items", d.get("versions")); f=[x["metrics"]["f1"] for x in v]; assert all(x>0.5 for x in f) and f==sorted(f, reverse=True), "listing not filtered/sorted"; print(len(v))' "$work/listing.json")"
listing_bytes="$(stat -c %s "$work/listing.json")"
say "warming up the listing (${warmup})"
wrk -t2 -c"$listing_connections" -d"$warmup" -H "$auth" "$base$listing_path" >/dev/null
for round in $(seq "$rounds"); do
    say "round $round/$rounds: listing, $listing_connections connections"
    run_wrk "$work/listing-c$listing_connections-r$round.txt" "arca=$arca_pid" "$listing_connections" "$base$listing_path"
done
set_phase done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

manifest_note=""
if (( ${seed_resolve_manifests:-0} > 0 )); then
    manifest_note="; this server requires stored artifacts, so each registration was preceded by a PUT of its (layer-less) manifest"
fi
load_note=""
if awk -v l="${load_before%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
    load_note="The machine was busy before the runs (other engineers' builds and tests); the 'foreign load' columns show how much CPU outside processes took during each measured run."
fi

export META_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')" META_COMMAND="$command_line" META_ARCA="$arca_desc" \
    META_NGINX="$(nginx -v 2>&1 | sed 's/^nginx version: //')" META_WRK="$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)" \
    META_CORES="$(nproc)" META_LOAD_BEFORE="$load_before" META_LOAD_AFTER="$load_after" META_LOAD_NOTE="$load_note" \
    META_SEED="$versions versions registered through the API in ${seed_resolve_s} s (${seed_resolve_rate}/s, 48 threads)$seed_listing_note$manifest_note" \
    META_ROUNDS="$rounds" META_DURATION="$duration" META_VERSIONS="$versions" META_LISTING_VERSIONS="$listing_versions" \
    META_RESOLVE_PATH="$resolve_path" META_BODY="$body_bytes" META_LISTING_PATH="$listing_path" \
    META_LISTING_ITEMS="$listing_items" META_LISTING_BYTES="$listing_bytes" META_LISTING_CONNECTIONS="$listing_connections"
python3 - "$work/meta.json" <<'EOF'
import json, os, sys
e = os.environ
meta = {
    "date": e["META_DATE"], "command": e["META_COMMAND"], "arca": e["META_ARCA"], "nginx_version": e["META_NGINX"],
    "wrk_version": e["META_WRK"], "cores": int(e["META_CORES"]), "load_before": e["META_LOAD_BEFORE"],
    "load_after": e["META_LOAD_AFTER"], "load_note": e["META_LOAD_NOTE"], "seed_note": e["META_SEED"],
    "rounds": int(e["META_ROUNDS"]), "duration": e["META_DURATION"], "connections": [16, 64],
    "versions": int(e["META_VERSIONS"]), "listing_versions": int(e["META_LISTING_VERSIONS"]),
    "resolve_path": e["META_RESOLVE_PATH"], "body_bytes": int(e["META_BODY"]),
    "listing_path": e["META_LISTING_PATH"], "listing_items": int(e["META_LISTING_ITEMS"]),
    "listing_bytes": int(e["META_LISTING_BYTES"]), "listing_connections": int(e["META_LISTING_CONNECTIONS"]),
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
EOF

report_args=(--work "$work")
[[ "$out" != "-" ]] && report_args+=(--out "$out")
python3 "$here/report.py" "${report_args[@]}"
