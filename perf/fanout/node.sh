#!/usr/bin/env bash
# One fan-out node: runs inside its network namespace (ip netns exec), waits at the barrier, pulls the artifact once,
# and appends "id start end rc user_s sys_s first_byte meta_s exit" to RESULT. Times are wall-clock epoch seconds
# ($EPOCHREALTIME, no fork), so they compare directly with the barrier release time the harness records.
# end is when the node had the artifact: for curl clients the moment curl exited after its last byte; for
# `arca pull` when it exited (its files written, verified and in place). exit is when the whole client was done
# (for curl clients also the sha256 pipeline and the shell around it): with 24 nodes on two cores, that wind-down
# waits for CPU behind every other node finishing at the same moment, which says nothing about the tree.
# first_byte is when the artifact's first byte arrived ("-" for `arca pull`, which does not say); meta_s is how
# long the download-URL request took (arca-curl only, else "-").
#
#   node.sh ID OUTDIR FIFO RESULT TIMEOUT url URL                          plain HTTP GET (nginx, Varnish)
#   node.sh ID OUTDIR FIFO RESULT TIMEOUT bearer URL TOKEN                  plain HTTP GET with a bearer token (arca)
#   node.sh ID OUTDIR FIFO RESULT TIMEOUT arca-curl CONTROL DIGEST          arca, curl only: download JSON, then the layer
#   node.sh ID OUTDIR FIFO RESULT TIMEOUT arca-pull CONTROL MODEL ARCA [TOKEN]   `arca pull`
#
# Not `set -e`: a failing client must still write its result line (rc != 0), not vanish.
set -uo pipefail

id=$1 out=$2 fifo=$3 result=$4 limit=$5 mode=$6
shift 6
mkdir -p "$out"
first_byte=-

# fetch URL: streams the artifact through `openssl dgst -sha256` into OUT.sha (the harness checks it after the run)
# instead of writing it to a file: 24 emulated nodes share two cores, and writing 3 GiB into fresh tmpfs pages cost more
# CPU than any server in the tree (first touch of every page), which made the clients, not the links, set the pace.
# Notes when the request went out, curl's time to first byte, and when curl was done (OUT.done: its status and
# the time it exited, taken in the pipeline's own subshell, a builtin with no fork).
fetch() {  # fetch URL [curl options…]
    local sent=$EPOCHREALTIME rc line url=$1
    shift
    { curl -sSf --max-time "$limit" -w '%{stderr}ttfb %{time_starttransfer}\n' "$@" "$url" 2>"$out.curl"
      echo "$? $EPOCHREALTIME" > "$out.done"; } \
        | openssl dgst -sha256 -r > "$out.sha"
    read -r rc _ < "$out.done" 2>/dev/null || rc=1
    line=$(grep '^ttfb ' "$out.curl")
    grep -v '^ttfb ' "$out.curl" >&2
    (( rc == 0 )) || return "$rc"
    echo "$sent ${line#ttfb }" > "$out.ttfb"
}

# arca-curl: GET the presigned layer URL(s) from the edge's control plane, then fetch the (single) layer.
arca_curl() {
    local control=$1 digest=$2 json url
    json=$(curl -sSf --max-time "$limit" -w '\n%{time_total}' "$control/v1/artifacts/$digest/download?ttl=3600") \
        || return 1
    echo "${json##*$'\n'}" > "$out.meta"
    json=${json%$'\n'*}
    # The first layer's "url", cut out with parameter expansion: no jq process (24 nodes start at once on a small
    # machine; every fork there is CPU the servers need). Presigned URLs contain no quotes or escapes.
    url=${json#*\"layers\":\[*\"url\":\"}
    url=${url%%\"*}
    [[ -n $url && $url != null ]] || { echo "no layer url in: $json" >&2; return 1; }
    fetch "$url"
}

client() {
    case "$mode" in
        url) fetch "$1" ;;
        bearer) fetch "$1" -H "Authorization: Bearer $2" ;;
        arca-curl) arca_curl "$1" "$2" ;;
        arca-pull)
            local token=()
            [[ -n ${4:-} ]] && token=(--token "$4")
            timeout "$limit" "$3" pull "$2" "$out" --url "$1" -q "${token[@]}" ;;
        *) echo "unknown mode $mode" >&2; return 2 ;;
    esac
}

# Tell the harness this node is about to block on the barrier, then block: open() of the FIFO returns when the
# harness opens its write end, read returns at EOF when it closes it, for every node at the same instant.
: > "$out.ready"
read -r _ < "$fifo" || true

start=$EPOCHREALTIME
TIMEFORMAT='%3U %3S'
{ time client "$@" >"$out.log" 2>&1; } 2>"$out.cpu"
rc=$?
exit_time=$EPOCHREALTIME
end=$exit_time
[[ -s $out.done ]] && read -r _ end < "$out.done"
if [[ -s $out.ttfb ]]; then
    read -r sent ttfb < "$out.ttfb"
    first_byte=$(awk -v s="$sent" -v t="$ttfb" 'BEGIN { printf "%.6f", s + t }')
fi
meta=$(cat "$out.meta" 2>/dev/null || echo -)
echo "$id $start $end $rc $(cat "$out.cpu" 2>/dev/null || echo '0 0') $first_byte $meta $exit_time" >> "$result"
