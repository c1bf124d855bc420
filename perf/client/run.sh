#!/usr/bin/env bash
# Client benchmark: `arca push` and `arca pull` of a 2 GiB model (random bytes, generated in /tmp, five files:
# 1.5 GiB + 384 MiB + 96 MiB + 32 MiB + 2 KiB) against plain tools on the same machine in the same run:
#   push: `arca push DIR` (hashing included) vs `curl -T FILE` of the same files to the monolithic upload endpoint
#         `PUT /v1/blobs?digest=sha256:…` (one after another, and all at once); every push run goes to a fresh
#         server process on a fresh, empty data dir, so nothing is deduplicated away;
#   pull: `arca pull` (sha256 of every file and every chunk verified, atomic placement, fsync) vs `curl -s -o` of
#         each presigned layer URL (one after another, and all at once) vs `aria2c -x8 -s8 -k1M` with all URLs in one
#         input file; plus arca with --streams 1/4 (8 is the default) and --no-verify-chunks. The server's packs are read right
#         before every pull run (warm), the output goes to a fresh directory each time.
# Repetitions alternate the order of the variants; cells are medians. Prints the tables and writes
# perf/results/client.md with the command that made it.
#
#   perf/client/run.sh                                  # builds the AOT binary from HEAD, 3 reps (~25 min, 2 cores)
#   perf/client/run.sh --binary /tmp/arca-aot/arca --reps 1 --out /tmp/quick.md   # a quick check
#
# Needs curl, python3, openssl; installs aria2 with apt-get when missing (root); dotnet unless --binary.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(git -C "$here" rev-parse --show-toplevel)"
command_line="perf/client/run.sh$(printf ' %q' "$@")"

binary=""
reps=3
out="$repo/perf/results/client.md"
keep=0
scale=1   # divides the model's file sizes (for quick checks of the script itself)
push_list="arca,curl-seq,curl-par"
pull_list="arca,curl-seq,curl-par,aria2c,arca-streams1,arca-streams4,arca-no-verify-chunks"

usage() {
    sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

options:
  --binary PATH   use this arca binary (libe_sqlite3.so beside it) instead of building one from HEAD
  --reps N        repetitions; cells are medians (default 3)
  --scale N       divide every file size by N (a quick check of the script; results are not comparable)
  --out PATH      result file (default perf/results/client.md; "-" for none)
  --push LIST     push variants, comma-separated (default arca,curl-seq,curl-par; "none" skips the push phase)
  --pull LIST     pull variants (default arca,curl-seq,curl-par,aria2c,arca-streams1,arca-streams4,
                  arca-no-verify-chunks); a subset is for quick A/B checks: the report then needs --out -
  --keep          keep the work dir (logs, runs.tsv) — the model and data dirs are always removed
EOF
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --binary) binary="$(realpath "$2")"; shift 2 ;;
        --reps) reps="$2"; shift 2 ;;
        --scale) scale="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --push) push_list="$2"; shift 2 ;;
        --pull) pull_list="$2"; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [[ "$out" != "-" && ( "$push_list" != "arca,curl-seq,curl-par" || "$pull_list" != "arca,curl-seq,curl-par,aria2c,arca-streams1,arca-streams4,arca-no-verify-chunks" ) ]]; then
    echo "--push/--pull with a subset of the variants needs --out - (the report compares them all)" >&2
    exit 2
fi

say() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

if ! command -v aria2c >/dev/null; then
    if [[ $(id -u) -ne 0 ]]; then
        echo "aria2c is needed: run as root once, or: sudo apt-get install -y aria2" >&2
        exit 1
    fi
    say "installing aria2"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq aria2 >/dev/null
fi
for tool in curl python3 openssl; do
    command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 1; }
done

work="$(mktemp -d /tmp/arca-client-bench.XXXXXX)"
server_pid=""
cleanup() {
    local status=$?
    stop_server
    rm -rf "$work/model" "$work/data" "$work/out" "$work/build" "$work/src"
    if (( keep )); then
        say "work dir kept: $work"
    else
        rm -rf "$work"
    fi
    exit "$status"
}
stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

uptime_before="$(uptime)"
say "uptime before: $uptime_before"

if [[ -z "$binary" ]]; then
    rev="$(git -C "$repo" rev-parse --short HEAD)"
    say "building the Native-AOT binary from HEAD ($rev) in $work/build (2-4 min)"
    mkdir -p "$work/src"
    git -C "$repo" archive HEAD | tar -x -C "$work/src"
    arca_desc="Native AOT, built by this script from commit $rev"
    if ! grep -q 'PullCommand' "$work/src/src/Arca/Program.cs"; then
        # The commit carries the push/pull/sync commands but its Program.cs does not register them: register them
        # in the build copy (nothing else changes) and say so in the report.
        sed -i 's/^root.Subcommands.Add(IndexCommand.Create());$/&\nroot.Subcommands.Add(PushCommand.Create());\nroot.Subcommands.Add(PullCommand.Create());\nroot.Subcommands.Add(SyncCommand.Create());/' \
            "$work/src/src/Arca/Program.cs"
        grep -q 'PullCommand' "$work/src/src/Arca/Program.cs" || { echo "could not register the pull command" >&2; exit 1; }
        arca_desc+=" plus the registration of the committed push/pull/sync commands in Program.cs (missing at that commit)"
    fi
    publish() {
        (cd "$work/src" && dotnet publish src/Arca -c Release -r linux-x64 -p:PublishAot=true \
            --disable-build-servers -o "$work/build" "$@") >"$work/build.log" 2>&1
    }
    if ! publish; then
        # This commit's plain AOT publish fails on FASTER.core's trim/AOT analysis warnings (IL2104/IL3053) being
        # errors; those two alone are then downgraded to warnings.
        if grep -q 'error IL\(2104\|3053\)' "$work/build.log" && ! grep 'error' "$work/build.log" | grep -vq 'IL2104\|IL3053'; then
            say "the AOT publish fails only on IL2104/IL3053 (FASTER.core); rebuilding with them as warnings"
            publish '-p:WarningsNotAsErrors="IL2104;IL3053"' || { tail -30 "$work/build.log" >&2; echo "build failed" >&2; exit 1; }
            arca_desc+=' with -p:WarningsNotAsErrors="IL2104;IL3053" (the plain AOT publish fails on FASTER.core'"'"'s trim/AOT warnings)'
        else
            tail -30 "$work/build.log" >&2
            echo "build failed (log above)" >&2
            exit 1
        fi
    fi
    mkdir -p "$work/bin"
    cp "$work/build/arca" "$work/build/libe_sqlite3.so" "$work/bin/"
    binary="$work/bin/arca"
    if [[ -n "$(git -C "$repo" status --porcelain -- src)" ]]; then
        arca_desc+=" (uncommitted changes in src/ were not included)"
    fi
else
    arca_desc="Native AOT binary given with --binary ($(sha256sum "$binary" | cut -c1-12)), HEAD was $(git -C "$repo" rev-parse --short HEAD)"
fi
[[ -x "$binary" ]] || { echo "no executable at $binary" >&2; exit 1; }
"$binary" pull --help >/dev/null 2>&1 || { echo "$binary has no pull command" >&2; exit 1; }

# ---------------------------------------------------------------- the model
files=(model-00001-of-00003.safetensors model-00002-of-00003.safetensors model-00003-of-00003.safetensors
       tokenizer.json config.json)
sizes=($(( (1536 << 20) / scale )) $(( (384 << 20) / scale )) $(( (96 << 20) / scale )) $(( (32 << 20) / scale )) 2048)
model="$work/model"
mkdir -p "$model"
say "generating the model in $model (random bytes, AES-CTR keystream)"
total=0
for i in "${!files[@]}"; do
    key="$(openssl rand -hex 16)"
    { openssl enc -aes-128-ctr -K "$key" -iv 00000000000000000000000000000000 -in /dev/zero 2>/dev/null || true; } \
        | head -c "${sizes[$i]}" >"$model/${files[$i]}"  # openssl ends on SIGPIPE once head has enough
    total=$(( total + sizes[i] ))
done
declare -A digest
for f in "${files[@]}"; do
    digest[$f]="sha256:$(sha256sum "$model/$f" | cut -d' ' -f1)"
done
say "model: ${#files[@]} files, $total bytes"

# ---------------------------------------------------------------- the server
read -r control_port data_port < <(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
EOF
)
base="http://127.0.0.1:$control_port"

# start_server DATA_DIR: a fresh arca process on DATA_DIR; sets server_pid, token, auth
start_server() {
    stop_server
    "$binary" serve --data-dir "$1" --control-listen "127.0.0.1:$control_port" \
        --data-listen "127.0.0.1:$data_port" --set log.level=warning >>"$work/arca.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 150); do
        if [[ -s "$1/admin.token" ]] && curl -sf "$base/healthz" >/dev/null; then
            token="$(cat "$1/admin.token")"
            auth="Authorization: Bearer $token"
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || { tail -20 "$work/arca.log" >&2; echo "arca exited" >&2; exit 1; }
        sleep 0.2
    done
    echo "arca did not come up" >&2
    exit 1
}

# ---------------------------------------------------------------- measuring
# One line per timed run in runs.tsv: phase variant rep wall_s client_cpu_s server_cpu_s foreign_cores
runs="$work/runs.tsv"
: >"$runs"
jiffies_busy() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }
server_jiffies() { awk '{print $14+$15}' "/proc/$server_pid/stat"; }
hz="$(getconf CLK_TCK)"

# children_cpu FILE: writes `times` to FILE (its last line: user and system time of this shell's waited-for children); called in
# this shell, not in $(…), whose subshell would report its own (no) children
children_cpu() { times >"$1"; }

# measure PHASE VARIANT REP CMD...: times CMD (wall clock, its CPU with its children's, the server's CPU, and the CPU
# everything else on the machine took meanwhile)
measure() {
    local phase="$1" variant="$2" rep="$3"
    shift 3
    sync  # write back earlier runs' output now, not during this run
    local b0 s0 c0 t0 t1 c1 s1 b1
    children_cpu "$work/cpu0"; b0="$(jiffies_busy)"; s0="$(server_jiffies)"; t0="$(date +%s%N)"
    if ! "$@" >"$work/cmd.out" 2>&1; then
        cat "$work/cmd.out" >&2
        echo "$phase/$variant failed" >&2
        exit 1
    fi
    t1="$(date +%s%N)"; s1="$(server_jiffies)"; b1="$(jiffies_busy)"; children_cpu "$work/cpu1"
    python3 - "$phase" "$variant" "$rep" "$t0" "$t1" "$s0" "$s1" "$b0" "$b1" "$hz" "$(tail -1 "$work/cpu0")" "$(tail -1 "$work/cpu1")" >>"$runs" <<'EOF'
import re, sys
phase, variant, rep, t0, t1, s0, s1, b0, b1, hz, c0, c1 = sys.argv[1:]
def seconds(times_line):
    return sum(int(m) * 60 + float(s) for m, s in re.findall(r"(\d+)m([\d.]+)s", times_line))
wall = (int(t1) - int(t0)) / 1e9
hz = int(hz)
client = seconds(c1) - seconds(c0)
server = (int(s1) - int(s0)) / hz
busy = (int(b1) - int(b0)) / hz
foreign = max(0.0, busy - client - server) / wall
print(f"{phase}\t{variant}\t{rep}\t{wall:.3f}\t{client:.2f}\t{server:.2f}\t{foreign:.2f}")
EOF
    say "  $phase $variant rep $rep: $(tail -1 "$runs" | cut -f4)s"
}

warm_model() { cat "$model"/* >/dev/null; }
warm_packs() { cat "$data"/chunks/shards/*.pack >/dev/null; }

# rotate ORDER-NAME REP: prints the variants of the named array rotated by REP (alternating order between reps)
rotate() {
    local -n list="$1"
    local n=${#list[@]} i
    for (( i = 0; i < n; i++ )); do
        echo "${list[$(( (i + $2) % n ))]}"
    done
}

# ---------------------------------------------------------------- push
push_arca() { XDG_CACHE_HOME="$work/xdg" ARCA_URL="$base" ARCA_TOKEN="$token" "$binary" push "$model" --model m --alias prod -q --json; }
push_curl_one() { curl -sSf -o /dev/null -H "$auth" -T "$model/$1" "$base/v1/blobs?digest=${digest[$1]}"; }
push_curl_seq() { local f; for f in "${files[@]}"; do push_curl_one "$f" || return 1; done; }
push_curl_par() {
    local f pids=() p rc=0
    for f in "${files[@]}"; do push_curl_one "$f" & pids+=($!); done
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    return "$rc"
}

IFS=, read -r -a push_variants <<<"${push_list/none/}"
say "push: ${#push_variants[@]} variants x $reps reps, each on a fresh data dir"
for (( rep = 1; rep <= reps; rep++ )); do
    for variant in $(rotate push_variants "$rep"); do
        rm -rf "$work/data" "$work/xdg"
        data="$work/data"
        start_server "$data"
        warm_model
        case "$variant" in
            arca) measure push arca "$rep" push_arca ;;
            curl-seq) measure push curl-seq "$rep" push_curl_seq ;;
            curl-par) measure push curl-par "$rep" push_curl_par ;;
        esac
        stop_server
    done
done

# ---------------------------------------------------------------- pull
say "pull: pushing the model once more to a fresh data dir"
rm -rf "$work/data" "$work/xdg"
data="$work/data"
start_server "$data"
push_arca >/dev/null
version="$(curl -sf -H "$auth" "$base/v1/models/m/aliases/prod" | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')"
artifact="$(curl -sf -H "$auth" "$base/v1/models/m/versions/$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["artifact_digest"])')"
curl -sf -H "$auth" "$base/v1/artifacts/$artifact/download?ttl=3600" >"$work/download.json"
# layers: "path url" lines
python3 -c 'import json,sys
for l in json.load(open(sys.argv[1]))["layers"]: print(l["path"], l["url"])' "$work/download.json" >"$work/layers.txt"
[[ $(wc -l <"$work/layers.txt") -eq ${#files[@]} ]] || { cat "$work/download.json" >&2; echo "unexpected layers" >&2; exit 1; }
: >"$work/aria2.txt"
while read -r path url; do
    printf '%s\n  out=%s\n' "$url" "$path" >>"$work/aria2.txt"
done <"$work/layers.txt"
packs_bytes="$(cat "$data"/chunks/shards/*.pack | wc -c)"
say "store: $packs_bytes bytes of packs for $total bytes of model"

pull_out="$work/out"
pull_arca() { ARCA_URL="$base" ARCA_TOKEN="$token" "$binary" pull m@prod "$pull_out" -q --json "$@"; }
pull_curl_seq() {
    local path url
    while read -r path url; do curl -sSf -o "$pull_out/$path" "$url" || return 1; done <"$work/layers.txt"
}
pull_curl_par() {
    local path url pids=() p rc=0
    while read -r path url; do curl -sSf -o "$pull_out/$path" "$url" & pids+=($!); done <"$work/layers.txt"
    for p in "${pids[@]}"; do wait "$p" || rc=1; done
    return "$rc"
}
pull_aria2() {
    aria2c -q -x8 -s8 -k1M -j "${#files[@]}" -i "$work/aria2.txt" -d "$pull_out" --file-allocation=falloc \
        --allow-overwrite=true --auto-file-renaming=false --summary-interval=0 --console-log-level=error
}

check_output() {  # the reference tools' output must be the model, byte for byte (checked once each, not timed)
    local f
    for f in "${files[@]}"; do
        cmp -s "$model/$f" "$pull_out/$f" || { echo "$1: $f differs from the model" >&2; exit 1; }
    done
}

IFS=, read -r -a pull_variants <<<"$pull_list"
say "pull: ${#pull_variants[@]} variants x $reps reps"
for (( rep = 1; rep <= reps; rep++ )); do
    for variant in $(rotate pull_variants "$rep"); do
        rm -rf "$pull_out"
        mkdir -p "$pull_out"
        warm_packs
        case "$variant" in
            arca) measure pull arca "$rep" pull_arca ;;
            arca-streams1) measure pull arca-streams1 "$rep" pull_arca --streams 1 ;;
            arca-streams4) measure pull arca-streams4 "$rep" pull_arca --streams 4 ;;
            arca-no-verify-chunks) measure pull arca-no-verify-chunks "$rep" pull_arca --no-verify-chunks ;;
            curl-seq) measure pull curl-seq "$rep" pull_curl_seq ;;
            curl-par) measure pull curl-par "$rep" pull_curl_par ;;
            aria2c) measure pull aria2c "$rep" pull_aria2 ;;
        esac
        if (( rep == 1 )); then
            check_output "$variant"
        fi
    done
done
rm -rf "$pull_out"
stop_server

uptime_after="$(uptime)"
say "uptime after: $uptime_after"

# ---------------------------------------------------------------- report
if [[ "$push_list" != "arca,curl-seq,curl-par" || "$pull_list" != "arca,curl-seq,curl-par,aria2c,arca-streams1,arca-streams4,arca-no-verify-chunks" ]]; then
    say "a subset of the variants: raw runs only"
    column -t "$runs"
    exit 0
fi
python3 "$here/report.py" --runs "$runs" --bytes "$total" --reps "$reps" --scale "$scale" \
    --command "$command_line" --arca "$arca_desc" --uptime-before "$uptime_before" --uptime-after "$uptime_after" \
    --curl "$(curl --version | head -1 | cut -d' ' -f1-2)" --aria2 "$(aria2c --version | head -1)" \
    --files "$(for i in "${!files[@]}"; do printf '%s=%s ' "${files[$i]}" "${sizes[$i]}"; done)" \
    --out "$out"
if (( keep )); then
    cp "$runs" "$work/runs.kept.tsv"
fi
