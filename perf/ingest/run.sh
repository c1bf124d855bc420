#!/usr/bin/env bash
# Ingest benchmark: pushes a 2 GiB random file through arca's upload API (monolithic PUT with curl -T, and a
# resumable session in 256 MiB PATCHes), 3 rounds, each on a fresh process and data dir, with the data dir on the
# disk and on tmpfs; references measured in the same run: `openssl dgst -sha256` on the same file, the disk's
# durable-write ceiling (dd conv=fdatasync) and CNCF distribution (Debian docker-registry). Then chunk dedup of a
# safetensors-like 1 GiB checkpoint and a fine-tune of it, and a 20 GiB streamed upload sampling RSS.
# Prints a PASS/FAIL table and writes perf/results/ingest.md with the command that made it.
#
#   perf/ingest/run.sh                                   # builds the AOT binary from HEAD; ~15 min on 2 cores
#   perf/ingest/run.sh --binary /tmp/arca-aot/arca --size 512M --rounds 1 --stream 0 --no-registry \
#       --out /tmp/quick.md                              # a quick check
#
# Needs python3, curl, openssl; installs docker-registry with apt-get when missing (root); dotnet unless --binary.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(git -C "$here" rev-parse --show-toplevel)"
command_line="perf/ingest/run.sh"
[[ $# -eq 0 ]] || command_line+="$(printf ' %q' "$@")"

binary=""
size=2G
rounds=3
piece=256M
dedup_size=1G
stream=20G
registry=1
tmpfs=/dev/shm
out="$repo/perf/results/ingest.md"
keep=0
binary_note=""

usage() {
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

options:
  --binary PATH     use this arca binary (libe_sqlite3.so beside it) instead of building one from HEAD
  --binary-note T   how that binary was built, for the report
  --size N          size of the random file (default 2G; K/M/G suffixes are binary)
  --rounds N        rounds; cells are medians (default 3)
  --piece N         PATCH size of the resumable upload (default 256M)
  --dedup-size N    size of the safetensors-like base checkpoint (default 1G)
  --stream N        size of the streamed upload for the RSS check, 0 to skip (default 20G; skipped if the disk
                    lacks room for it plus 4 GiB)
  --no-registry     do not measure docker-registry
  --tmpfs DIR       RAM-backed dir for the CPU-path runs (default /dev/shm; "" to skip them)
  --out PATH        result file (default perf/results/ingest.md; "-" for none)
  --keep            keep the work dir (logs, responses, runs.json)
EOF
}

bytes() {
    python3 -c 'import sys; t=sys.argv[1].upper().rstrip("B").rstrip("I"); u={"K":1<<10,"M":1<<20,"G":1<<30}
print(int(float(t[:-1])*u[t[-1]]) if t[-1] in u else int(t))' "$1"
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --binary) binary="$(realpath "$2")"; shift 2 ;;
        --binary-note) binary_note="$2"; shift 2 ;;
        --size) size="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --piece) piece="$2"; shift 2 ;;
        --dedup-size) dedup_size="$2"; shift 2 ;;
        --stream) stream="$2"; shift 2 ;;
        --no-registry) registry=0; shift ;;
        --tmpfs) tmpfs="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done

say() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

for tool in python3 curl openssl; do
    command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 1; }
done
registry_bin=""
if (( registry )); then
    if ! command -v docker-registry >/dev/null; then
        if [[ $(id -u) -ne 0 ]]; then
            echo "docker-registry is needed: run as root once, sudo apt-get install -y docker-registry, or --no-registry" >&2
            exit 1
        fi
        say "installing docker-registry (its service is not started: the benchmark runs its own instance)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >/dev/null
    fi
    registry_bin="$(command -v docker-registry)"
fi

# The 2 GiB file and the data dirs on disk go under /tmp (never into the repo).
work="$(mktemp -d /tmp/arca-ingest-bench.XXXXXX)"
cleanup() {
    local status=$?
    if (( keep )); then
        say "work dir kept: $work (big files removed)"
        rm -rf "$work"/disk "$work"/*.bin "$work"/*.safetensors
    else
        rm -rf "$work"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z "$binary" ]]; then
    rev="$(git -C "$repo" rev-parse --short HEAD)"
    say "building the Native-AOT binary from HEAD ($rev) in $work/build (about 2-3 min)"
    mkdir -p "$work/src"
    git -C "$repo" archive HEAD | tar -x -C "$work/src"
    publish() {
        (cd "$work/src" && dotnet publish src/Arca -c Release -r linux-x64 -p:PublishAot=true \
            --disable-build-servers -o "$work/build" "$@") >"$work/build.log" 2>&1
    }
    arca_desc="Native AOT, built by this script from commit $rev"
    if ! publish; then
        # FASTER.core's trim/AOT analysis warnings (IL2104/IL3053) fail the build under TreatWarningsAsErrors; when
        # they are the only errors, measure anyway with them left as warnings, and say so in the report.
        if [[ -z "$(grep -E ' error ' "$work/build.log" | grep -vE 'error IL(2104|3053):' || true)" ]] \
            && grep -qE 'error IL(2104|3053):' "$work/build.log"; then
            say "the AOT publish fails only on IL2104/IL3053 (FASTER.core); rebuilding with them as warnings"
            if ! publish '-p:WarningsNotAsErrors="IL2104;IL3053"'; then
                tail -30 "$work/build.log" >&2; echo "build failed (log above); or pass --binary" >&2; exit 1
            fi
            arca_desc+=" with -p:WarningsNotAsErrors=\"IL2104;IL3053\" (the plain AOT publish of this commit fails on FASTER.core's trim/AOT warnings)"
        else
            tail -30 "$work/build.log" >&2; echo "build failed (log above); or pass --binary" >&2; exit 1
        fi
    fi
    binary="$work/build/arca"
    if [[ -n "$(git -C "$repo" status --porcelain -- src)" ]]; then
        arca_desc+=" (uncommitted changes in src/ were not included)"
    fi
else
    arca_desc="Native AOT binary given with --binary (sha256 $(openssl dgst -sha256 -r "$binary" | cut -c1-12)), HEAD was $(git -C "$repo" rev-parse --short HEAD)"
fi
[[ -x "$binary" ]] || { echo "no executable at $binary" >&2; exit 1; }

tmpfs_args=(--tmpfs "$tmpfs")
[[ -n "$tmpfs" ]] || tmpfs_args=(--no-tmpfs)
registry_args=()
[[ -z "$registry_bin" ]] || registry_args=(--registry "$registry_bin")

python3 "$here/bench.py" --binary "$binary" --binary-desc "$arca_desc" --binary-note "$binary_note" --command "$command_line" \
    --work "$work" --size "$(bytes "$size")" --rounds "$rounds" --piece-bytes "$(bytes "$piece")" \
    --dedup-size "$dedup_size" --stream-bytes "$(bytes "$stream")" --out "$out" \
    "${tmpfs_args[@]}" "${registry_args[@]}"
[[ "$out" == "-" ]] || say "wrote $out"
