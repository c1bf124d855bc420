#!/usr/bin/env bash
# Fan-out fleet benchmark: N nodes pull the same cold artifact at the same instant through a tree of network
# namespaces joined by tc-shaped veth links, and we measure how long the slowest node waits.
#
#   origin ──L_o── seeder ──L_s── edge_i ──L_n── nodes (round-robin over the E edges)
#
# Each server has one NIC per side (a veth into a per-tier bridge in the root namespace), so its egress is capped
# at its link rate no matter how many clients share it; each node's ingress is capped at the node link rate.
# Every link direction gets `tbf rate <mbit>` (+ `netem delay <latency>` as its child where the kernel has netem).
#
# Scenarios (each from cold caches, every node started together by a barrier):
#   a  every node pulls straight from the origin (a plain nginx) — routed through its edge and the seeder, so the
#      origin's link is the bottleneck, as it would be without caches
#   b  nginx tree: seeder and edges are nginx proxy_cache (proxy_cache_lock on, lock timeout/age 1h)
#   c  Varnish tree: seeder and edges are varnishd (malloc storage), which streams to waiting clients while it fills
#   d  arca tree: arca serve --mode origin|seeder|edge; nodes use curl (download JSON + layer URL) or `arca pull`
#
# Records per-node completion time (p50/p99/max from the barrier), origin egress (tx bytes of the origin's veth),
# bytes sent per tier, CPU (whole machine from /proc/stat, servers from their processes, clients from `time`),
# checks every node's sha256, and compares against the lower bound T* of the tree:
#   T* = max(S/node_rate, ceil(N/E)·S/tier_rate, E·S/tier_rate, S/tier_rate)
# Prints a table, writes perf/results/fanout.md and perf/results/fanout.svg (completion-time CDFs).
#
#   sudo perf/fanout/run.sh                             # default: 24 nodes, 4 edges, 100/600 Mbit/s, 128 MiB
#   sudo perf/fanout/run.sh --scenarios a,b,c --out -   # a quick look without arca and without writing results
#
# Needs root, iproute2 (ip, tc), curl, jq, python3; installs nginx / varnish with apt-get when missing;
# dotnet to build arca unless --arca PATH (or `arca` on PATH with --arca arca).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(git -C "$here" rev-parse --show-toplevel)"
# The exact command, for the result file; quoted only where the shell needs it (printf %q would escape commas).
command_line="perf/fanout/run.sh"
for arg in "$@"; do
    if [[ $arg =~ ^[A-Za-z0-9_./,:=@+-]+$ ]]; then command_line+=" $arg"; else command_line+=" $(printf '%q' "$arg")"; fi
done

nodes=24
edges=4
node_mbit=100
tier_mbit=600
latency_ms=1
size_mib=128
scenarios="a,b,c,d"
rounds=3           # each scenario runs this many times (alternating); the report takes medians
client=curl
arca=""
out="$repo/perf/results/fanout.md"
keep=0
hold=0
trace=0
state_base=/tmp    # where server state (caches, data dirs, the artifact) lives: a disk, as on a real cache
arca_sets=()      # extra --set KEY=VALUE for every arca server (experiments, e.g. tier.fetch_concurrency=2)
quiet_wait=300    # seconds to wait for a quiet machine before each scenario
cc=""              # TCP congestion control to set in every namespace ("" = leave each at the host's default)
fleet_cc=""        # what the namespaces actually use (read back from one of them; reported)
prefix=fo          # every namespace and bridge this script creates starts with "$prefix-" (crash recovery)

usage() {
    sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    cat <<'EOF'

options:
  --nodes N          nodes (default 24)
  --edges E          edge caches; nodes are assigned round-robin (default 4)
  --node-mbit R      node link rate, Mbit/s (default 100)
  --tier-mbit R      origin, seeder and edge link rate, Mbit/s (default 600)
  --latency-ms L     one-way delay added in each direction of every link (default 1; needs sch_netem,
                     without it the run says so and adds none)
  --size-mib S       artifact size, MiB of random bytes (default 128)
  --scenarios LIST   comma-separated subset of a,b,c,d, run in this order (default a,b,c,d)
  --rounds R         run the scenarios R times, alternating (a b c d, a b c d, …); every figure and target is
                     taken from each scenario's median round (by max), and each round's p50 and max are listed
                     (default 3: one round's max moves by ±0.2 s with the machine's scheduling)
  --client C         node client for scenario d (default curl):
                       curl      one `curl` of the layer from the edge's data plane by digest, with a bearer token
                                 (like the nginx and Varnish nodes, which know their URL)
                       curl-url  two `curl`s: the download JSON from the edge, then its presigned layer URL
                       arca      `arca pull`
  --arca PATH        arca binary (libe_sqlite3.so beside it); "arca" = the one on PATH; default: build from this
                     checkout (dotnet publish, Native AOT) into a temp dir, or use PATH when dotnet is missing
  --arca-set K=V     pass --set K=V to every arca server (repeatable), e.g. tier.fetch_concurrency=2
  --cc NAME          TCP congestion control for every namespace of the fleet, e.g. cubic (default: the host's, as
                     new namespaces inherit it); the one in effect is reported
  --state-dir DIR    where the servers' caches and data dirs go (default /tmp; e.g. /dev/shm to take the disk out)
  --out PATH         result file (default perf/results/fanout.md, the SVG beside it); "-" = print only
  --quiet-wait SEC   before each scenario, wait up to SEC for background CPU < 20% (default 300)
  --keep             keep the work dir (server logs, per-node results)
  --trace            sample every link's byte counters every 0.5 s into <work>/<scenario>/r<round>/trace.tsv (use --keep)
  --hold             after each scenario, keep its servers up until <work>/hold is removed (debugging)
EOF
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --nodes) nodes="$2"; shift 2 ;;
        --edges) edges="$2"; shift 2 ;;
        --node-mbit) node_mbit="$2"; shift 2 ;;
        --tier-mbit) tier_mbit="$2"; shift 2 ;;
        --latency-ms) latency_ms="$2"; shift 2 ;;
        --size-mib) size_mib="$2"; shift 2 ;;
        --scenarios) scenarios="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --client) client="$2"; shift 2 ;;
        --arca) arca="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --keep) keep=1; shift ;;
        --hold) hold=1; shift ;;
        --trace) trace=1; shift ;;
        --arca-set) arca_sets+=(--set "$2"); shift 2 ;;
        --state-dir) state_base="$2"; shift 2 ;;
        --cc) cc="$2"; shift 2 ;;
        --quiet-wait) quiet_wait="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
    esac
done

say() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { say "error: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, tc)"
[[ $client == curl || $client == curl-url || $client == arca ]] || die "--client must be curl, curl-url or arca"
for v in nodes edges node_mbit tier_mbit size_mib rounds; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "--${v//_/-} must be a positive integer"
done
[[ $latency_ms =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--latency-ms must be a number"
(( edges <= 200 && (nodes + edges - 1) / edges <= 240 )) || die "at most 200 edges and 240 nodes per edge"
IFS=, read -r -a scenario_list <<<"$scenarios"
for s in "${scenario_list[@]}"; do [[ $s =~ ^[abcd]$ ]] || die "unknown scenario '$s' (a, b, c, d)"; done
has_scenario() { [[ ",$scenarios," == *",$1,"* ]]; }

# ---------------------------------------------------------------------------------------------------------------
# Addresses. Tier bridges: 10.77.0.0/24 origin↔seeder, 10.77.1.0/24 seeder↔edges, 10.77.(16+i).0/24 edge i↔nodes.
origin_ip=10.77.0.1
seeder_up_ip=10.77.0.2
seeder_ip=10.77.1.1
edge_up_ip() { echo "10.77.1.$((10 + $1))"; }
edge_ip() { echo "10.77.$((16 + $1)).1"; }
node_edge() { echo $(($1 % edges)); }
node_ip() { echo "10.77.$((16 + $1 % edges)).$((10 + $1 / edges))"; }

work=""
shm=""
owns_fleet=0   # set once we hold the lock: only then may cleanup tear namespaces down

# Kill every process inside our namespaces (all started by this script), then delete namespaces and bridges.
# Also what a re-run does first, so a crashed or killed run leaves nothing that breaks the next one.
teardown_fleet() {
    local ns pids
    for ns in $(ip netns list 2>/dev/null | awk -v p="^$prefix-" '$1 ~ p {print $1}'); do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [[ -n $pids ]] && kill $pids 2>/dev/null || true
    done
    stop_wait_kill
    for ns in $(ip netns list 2>/dev/null | awk -v p="^$prefix-" '$1 ~ p {print $1}'); do
        ip netns del "$ns" 2>/dev/null || true
    done
    ip link del "$prefix-probe0" 2>/dev/null || true
    for br in $(ip -o link show type bridge 2>/dev/null | awk -F': ' -v p="^$prefix-" '$2 ~ p {print $2}'); do
        ip link del "${br%@*}" 2>/dev/null || true
    done
}

# After SIGTERM, wait up to 5 s for the namespaces' processes to go, then SIGKILL what is left.
stop_wait_kill() {
    local ns pids i
    for i in $(seq 50); do
        pids=""
        for ns in $(ip netns list 2>/dev/null | awk -v p="^$prefix-" '$1 ~ p {print $1}'); do
            pids+=" $(ip netns pids "$ns" 2>/dev/null || true)"
        done
        [[ -z ${pids// /} ]] && return 0
        sleep 0.1
    done
    kill -9 $pids 2>/dev/null || true
    sleep 0.2
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    (( owns_fleet )) && teardown_fleet
    [[ -n $shm ]] && rm -rf "$shm"
    if [[ -n $work ]]; then
        if (( keep )); then say "work dir kept: $work"; else rm -rf "$work"; fi
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------------------------
# Tools

ensure_pkg() {  # ensure_pkg COMMAND PACKAGE
    command -v "$1" >/dev/null && return 0
    say "installing $2"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }
    command -v "$1" >/dev/null || die "$1 still missing after installing $2"
}

ensure_tools() {
    local t
    for t in ip tc curl jq python3 sha256sum openssl; do command -v "$t" >/dev/null || die "$t is needed"; done
    if has_scenario a || has_scenario b || has_scenario c; then ensure_pkg nginx nginx; fi
    if has_scenario c; then ensure_pkg varnishd varnish; fi
    # The distro packages start their own daemons on install; ours run only inside the namespaces.
    return 0
}

# The arca binary for scenario d: --arca PATH, or a Native-AOT build of this checkout (what the result describes).
ensure_arca() {
    has_scenario d || return 0
    if [[ $arca == arca ]]; then
        arca=$(command -v arca) || die "--arca arca: no arca on PATH"
    elif [[ -z $arca ]]; then
        if command -v dotnet >/dev/null; then
            say "building arca (Native AOT) from $(git -C "$repo" rev-parse --short HEAD) into $work/arca-bin"
            (cd "$repo" && dotnet publish src/Arca -c Release -r linux-x64 -p:PublishAot=true \
                -o "$work/arca-bin" >"$work/arca-build.log" 2>&1) \
                || { tail -30 "$work/arca-build.log" >&2; die "arca build failed"; }
            arca="$work/arca-bin/arca"
        else
            arca=$(command -v arca) || die "no dotnet to build arca and no arca on PATH: pass --arca PATH"
        fi
    fi
    arca=$(realpath "$arca")
    [[ -x $arca ]] || die "arca binary not executable: $arca"
    [[ -e $(dirname "$(readlink -f "$arca")")/libe_sqlite3.so ]] || say "warning: no libe_sqlite3.so beside $arca"
}

# ---------------------------------------------------------------------------------------------------------------
# Fleet

# shape DEV NS MBIT: rate (and delay) on the egress of DEV (in namespace NS, or the root namespace if NS is empty).
# tbf charges each GSO super-packet as its segments on the wire (headers included), so goodput is ~95% of MBIT, as
# on real Ethernet; its burst (256 KiB) is above the largest GSO packet, so it never has to segment one. The queue
# is 50 ms of the rate (at least 512 KiB), a switch-like buffer; server-side queues stay short anyway (TCP small
# queues). Delay needs sch_netem, as tbf's child; kernels without it (CONFIG_NET_SCH_NETEM unset) get none.
shape() {
    local dev=$1 ns=$2 mbit=$3 nsarg=() limit
    [[ -n $ns ]] && nsarg=(-n "$ns")
    limit=$((mbit * 1000000 / 8 / 20))
    (( limit < 524288 )) && limit=524288
    tc "${nsarg[@]}" qdisc replace dev "$dev" root handle 1: tbf rate "${mbit}mbit" burst 256kb limit "$limit"
    if (( have_netem )); then
        tc "${nsarg[@]}" qdisc add dev "$dev" parent 1:1 handle 10: netem delay "${latency_ms}ms" limit 10000
    fi
}

# Is sch_netem there (and is there a delay to add)? Probed on a throwaway veth pair.
probe_netem() {
    have_netem=0
    python3 -c "import sys; sys.exit(0 if float('$latency_ms') > 0 else 1)" || return 0
    ip link add "$prefix-probe0" type veth peer name "$prefix-probe1"
    if tc qdisc add dev "$prefix-probe0" root netem delay 1ms 2>/dev/null; then
        have_netem=1
    else
        say "warning: this kernel has no sch_netem (CONFIG_NET_SCH_NETEM): links get rates but no added latency"
    fi
    ip link del "$prefix-probe0"
}

# link NS IFNAME BRIDGE PEER IP/LEN MBIT: a veth from NS into BRIDGE, shaped both ways at MBIT (the NS side's egress
# is its upload; the bridge side's egress is its download).
link() {
    local ns=$1 ifname=$2 bridge=$3 peer=$4 addr=$5 mbit=$6
    ip link add "$peer" type veth peer name "$ifname" netns "$ns"
    ip link set "$peer" master "$bridge" up
    ip -n "$ns" addr add "$addr" dev "$ifname"
    ip -n "$ns" link set "$ifname" up
    shape "$ifname" "$ns" "$mbit"
    shape "$peer" "" "$mbit"
}

add_ns() {
    ip netns add "$1"
    ip -n "$1" link set lo up
    if [[ -n $cc ]]; then
        ip netns exec "$1" sysctl -qw net.ipv4.tcp_congestion_control="$cc" || die "cannot set congestion control $cc in $1 (a namespace may only default to one of net.ipv4.tcp_allowed_congestion_control: $(sysctl -n net.ipv4.tcp_allowed_congestion_control))"
    fi
    fleet_cc=$(ip netns exec "$1" sysctl -n net.ipv4.tcp_congestion_control)
}

add_bridge() {
    # No bridge netfilter: nothing filters here, and br_netfilter would run every frame through iptables hooks.
    ip link add "$1" type bridge nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0
    ip link set "$1" up
}

build_fleet() {
    local i n e
    probe_netem
    say "building the fleet: origin, seeder, $edges edges, $nodes nodes (${node_mbit}/${tier_mbit} Mbit/s, ${latency_ms} ms)"
    add_bridge "$prefix-br-o"
    add_bridge "$prefix-br-s"
    for ((i = 0; i < edges; i++)); do add_bridge "$prefix-br-e$i"; done

    add_ns "$prefix-origin"
    link "$prefix-origin" eth0 "$prefix-br-o" "$prefix-o" "$origin_ip/24" "$tier_mbit"
    ip -n "$prefix-origin" route add 10.77.0.0/16 via "$seeder_up_ip"

    add_ns "$prefix-seeder"
    link "$prefix-seeder" upstream "$prefix-br-o" "$prefix-s-up" "$seeder_up_ip/24" "$tier_mbit"
    link "$prefix-seeder" downstream "$prefix-br-s" "$prefix-s-dn" "$seeder_ip/24" "$tier_mbit"
    ip netns exec "$prefix-seeder" sysctl -qw net.ipv4.ip_forward=1

    for ((i = 0; i < edges; i++)); do
        add_ns "$prefix-e$i"
        link "$prefix-e$i" upstream "$prefix-br-s" "$prefix-e$i-up" "$(edge_up_ip "$i")/24" "$tier_mbit"
        link "$prefix-e$i" downstream "$prefix-br-e$i" "$prefix-e$i-dn" "$(edge_ip "$i")/24" "$tier_mbit"
        ip -n "$prefix-e$i" route add default via "$seeder_ip"
        ip netns exec "$prefix-e$i" sysctl -qw net.ipv4.ip_forward=1
        ip -n "$prefix-seeder" route add "10.77.$((16 + i)).0/24" via "$(edge_up_ip "$i")"
    done

    for ((n = 0; n < nodes; n++)); do
        e=$(node_edge "$n")
        add_ns "$prefix-n$n"
        link "$prefix-n$n" eth0 "$prefix-br-e$e" "$prefix-n$n" "$(node_ip "$n")/24" "$node_mbit"
        ip -n "$prefix-n$n" route add default via "$(edge_ip "$e")"
    done

    check_routes
}

# Every node must reach the origin through its edge and the seeder (the path of scenario a): a throwaway TCP
# listener in the origin's namespace, one connect from each node (no ping on a minimal system).
check_routes() {
    local n tries pid
    ip netns exec "$prefix-origin" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 9)); s.listen(64)
while True: s.accept()[0].close()' &
    pid=$!
    for ((n = 0; n < nodes; n++)); do
        for tries in $(seq 50); do
            ip netns exec "$prefix-n$n" bash -c "exec 3<>/dev/tcp/$origin_ip/9" 2>/dev/null && break
            (( tries == 50 )) && { kill "$pid"; die "node $n cannot reach the origin at $origin_ip"; }
            sleep 0.1
        done
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------------------------
# Servers. Every server listens on all addresses of its namespace; nginx/Varnish on :8080, arca on :8700/:8701.

nginx_conf_common() {  # nginx_conf_common DIR
    # user root: the work dir is private to root (mktemp), and this is a throwaway namespace.
    cat <<EOF
user root;
worker_processes 2;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    client_body_temp_path $1/tmp/body;
    proxy_temp_path $1/tmp/proxy;
    fastcgi_temp_path $1/tmp/fastcgi;
    uwsgi_temp_path $1/tmp/uwsgi;
    scgi_temp_path $1/tmp/scgi;
    default_type application/octet-stream;
EOF
}

start_nginx_origin() {  # serves $work/artifact/model.bin
    local dir=$work/$run/origin
    mkdir -p "$dir/tmp"
    { nginx_conf_common "$dir"
      cat <<EOF
    server {
        listen 8080 reuseport;
        root $work/artifact;
    }
}
EOF
    } > "$dir/nginx.conf"
    ip netns exec "$prefix-origin" nginx -c "$dir/nginx.conf" -p "$dir" \
        || die "nginx origin failed: $(cat "$dir/error.log" 2>/dev/null)"
}

start_nginx_cache() {  # start_nginx_cache NS NAME UPSTREAM_IP
    local ns=$1 dir=$work/$run/$2 upstream=$3
    mkdir -p "$dir/tmp" "$dir/cache"
    { nginx_conf_common "$dir"
      cat <<EOF
    proxy_cache_path $dir/cache levels=1:2 keys_zone=fanout:10m max_size=$((size_mib * 4))m inactive=1h use_temp_path=off;
    server {
        listen 8080 reuseport;
        location / {
            proxy_pass http://$upstream:8080;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache fanout;
            proxy_cache_valid 200 1h;
            # One upstream fetch per object; the others wait for it (up to 1 h, not the 5 s default, and no
            # second fetch after proxy_cache_lock_age's 5 s default either).
            proxy_cache_lock on;
            proxy_cache_lock_timeout 1h;
            proxy_cache_lock_age 1h;
            proxy_read_timeout 1h;
        }
    }
}
EOF
    } > "$dir/nginx.conf"
    ip netns exec "$ns" nginx -c "$dir/nginx.conf" -p "$dir" || die "nginx $2 failed: $(cat "$dir/error.log" 2>/dev/null)"
}

start_varnish() {  # start_varnish NS NAME UPSTREAM_IP
    local ns=$1 dir=$work/$run/$2 upstream=$3
    mkdir -p "$dir"
    # The cache key is the URL alone: by default Varnish hashes the Host header too, and each edge forwards its
    # nodes' Host (its own address), which would make the seeder fetch the artifact once per edge.
    cat > "$dir/default.vcl" <<EOF
vcl 4.1;
backend upstream {
    .host = "$upstream";
    .port = "8080";
    .first_byte_timeout = 3600s;
    .between_bytes_timeout = 3600s;
}
sub vcl_hash {
    hash_data(req.url);
    return (lookup);
}
sub vcl_backend_response {
    set beresp.ttl = 1h;
    set beresp.do_stream = true;
}
EOF
    # -j none: no privilege separation (we are root in a throwaway namespace); malloc storage 2×S + 64 MiB.
    ip netns exec "$ns" varnishd -n "$dir/work" -j none -a ":8080" -f "$dir/default.vcl" \
        -s "malloc,$((size_mib * 2 + 64))m" -P "$dir/varnishd.pid" \
        > "$dir/varnishd.log" 2>&1 || die "varnishd $2 failed: $(cat "$dir/varnishd.log")"
}

# arca_start NS NAME MODE LISTEN_IP [UPSTREAM_IP]: a fresh data dir each time, so every run starts cold.
arca_start() {
    local ns=$1 name=$2 mode=$3 ip=$4 upstream=${5:-} dir=$work/$run/$2 args=()
    mkdir -p "$dir"
    # An empty config file: the servers run on defaults and flags, never on the machine's /etc/arca/registry.toml.
    : > "$work/empty.toml"
    args=(serve --config "$work/empty.toml" --mode "$mode" --data-dir "$dir/data" --control-listen "$ip:8700" --data-listen "$ip:8701"
          --set auth.anonymous_read=true "${arca_sets[@]}")
    if [[ -n $upstream ]]; then
        args+=(--upstream "http://$upstream:8700" --set "tier.upstream_token=$admin_token")
    fi
    ip netns exec "$ns" "$arca" "${args[@]}" > "$dir/serve.log" 2>&1 &
}

arca_wait_ready() {  # arca_wait_ready NS NAME IP
    local ns=$1 name=$2 ip=$3 i
    for i in $(seq 300); do
        ip netns exec "$ns" curl -sf -o /dev/null "http://$ip:8700/readyz" && return 0
        sleep 0.1
    done
    tail -20 "$work/$run/$name/serve.log" >&2
    die "arca $name did not become ready"
}

wait_http() {  # wait_http NS URL: until the server answers at all
    local ns=$1 url=$2 i
    for i in $(seq 300); do
        ip netns exec "$ns" curl -s -o /dev/null "$url" && return 0
        sleep 0.1
    done
    die "no answer from $url in $ns"
}

# Starts the scenario's servers; sets node_args (the per-node client command tail, with @EDGE@ for the edge IP).
start_scenario() {
    local i
    case "$scenario" in
        a)
            start_nginx_origin
            wait_http "$prefix-origin" "http://$origin_ip:8080/"
            node_args=(url "http://$origin_ip:8080/model.bin") ;;
        b)
            start_nginx_origin
            start_nginx_cache "$prefix-seeder" seeder "$origin_ip"
            for ((i = 0; i < edges; i++)); do start_nginx_cache "$prefix-e$i" "edge$i" "$seeder_ip"; done
            # "/" is a directory without an index at the origin (403): a probe that never touches the artifact.
            for ((i = 0; i < edges; i++)); do wait_http "$prefix-e$i" "http://$(edge_ip "$i"):8080/"; done
            node_args=(url "http://@EDGE@:8080/model.bin") ;;
        c)
            start_nginx_origin
            start_varnish "$prefix-seeder" seeder "$origin_ip"
            for ((i = 0; i < edges; i++)); do start_varnish "$prefix-e$i" "edge$i" "$seeder_ip"; done
            for ((i = 0; i < edges; i++)); do wait_http "$prefix-e$i" "http://$(edge_ip "$i"):8080/"; done
            node_args=(url "http://@EDGE@:8080/model.bin") ;;
        d)
            arca_start "$prefix-origin" origin origin "$origin_ip"
            arca_wait_ready "$prefix-origin" origin "$origin_ip"
            admin_token=$(cat "$work/$run/origin/data/admin.token")
            # Push inside the origin's namespace (loopback-local, not over the shaped link, not in the measurement).
            say "pushing the artifact into the arca origin"
            ip netns exec "$prefix-origin" "$arca" push "$work/artifact/model.bin" --model fanout/model \
                --url "http://$origin_ip:8700" --token "$admin_token" --json -q > "$work/$run/push.json" \
                2> "$work/$run/push.log" || { cat "$work/$run/push.log" >&2; die "arca push failed"; }
            manifest_digest=$(jq -r '.artifact_digest // .digest // .manifest_digest' "$work/$run/push.json")
            version=$(jq -r '.version' "$work/$run/push.json")
            [[ $manifest_digest == sha256:* ]] || die "no digest in push output: $(cat "$work/$run/push.json")"
            # The tiers start after the push, with empty data dirs: they have nothing until the nodes ask.
            arca_start "$prefix-seeder" seeder seeder "$seeder_ip" "$origin_ip"
            for ((i = 0; i < edges; i++)); do arca_start "$prefix-e$i" "edge$i" edge "$(edge_ip "$i")" "$seeder_ip"; done
            arca_wait_ready "$prefix-seeder" seeder "$seeder_ip"
            for ((i = 0; i < edges; i++)); do arca_wait_ready "$prefix-e$i" "edge$i" "$(edge_ip "$i")"; done
            if [[ $client == arca ]]; then
                node_args=(arca-pull "http://@EDGE@:8700" "fanout/model:$version" "$arca" "$admin_token")
            elif [[ $client == curl ]]; then
                node_args=(bearer "http://@EDGE@:8701/blobs/sha256/$artifact_sha" "$admin_token")
            else
                node_args=(arca-curl "http://@EDGE@:8700" "$manifest_digest")
            fi ;;
    esac
}

stop_servers() {
    local ns pids
    for ns in "$prefix-origin" "$prefix-seeder" $(for ((i = 0; i < edges; i++)); do echo "$prefix-e$i"; done); do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [[ -n $pids ]] && kill $pids 2>/dev/null || true
    done
    stop_wait_kill
}

# ---------------------------------------------------------------------------------------------------------------
# Measurement

tx_bytes() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/tx_bytes"; }
rx_bytes() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/rx_bytes"; }

# "origin seeder edges nodes_rx": bytes the origin, the seeder (downstream) and all edges (downstream) sent, and what
# all nodes received.
link_counters() {
    local e=0 n=0 i
    for ((i = 0; i < edges; i++)); do e=$((e + $(tx_bytes "$prefix-e$i" downstream))); done
    for ((i = 0; i < nodes; i++)); do n=$((n + $(rx_bytes "$prefix-n$i" eth0))); done
    echo "$(tx_bytes "$prefix-origin" eth0) $(tx_bytes "$prefix-seeder" downstream) $e $n"
}

# Jiffies of the whole machine (all cores): "busy total tasks irq steal". busy = all but idle and iowait, so
# softirq (the veth/bridge/tbf work) and steal count; tasks = user+nice+system (processes); irq = irq+softirq.
# guest time is already inside user, so the total is the first eight fields only.
cpu_jiffies() {
    awk '/^cpu / {t=0; for (i=2;i<=9;i++) t+=$i; print t-$5-$6, t, $2+$3+$4, $7+$8, $9}' /proc/stat
}

# Busy fraction of all cores over one second.
busy_1s() {
    local b0 t0 b1 t1
    read -r b0 t0 _ <<<"$(cpu_jiffies)"
    sleep 1
    read -r b1 t1 _ <<<"$(cpu_jiffies)"
    echo $(( (b1 - b0) * 100 / (t1 - t0 > 0 ? t1 - t0 : 1) ))
}

# The measurement needs a quiet machine (2 cores: a compiler elsewhere would be the bottleneck): wait up to
# --quiet-wait seconds for three consecutive seconds of background CPU below 20%, then go anyway; the result
# records how busy it was, and the report estimates other processes' CPU during the run.
wait_quiet() {
    local waited=0 quiet=0
    while (( waited < quiet_wait )); do
        background_busy=$(busy_1s)
        waited=$((waited + 1))
        if (( background_busy < 20 )); then
            quiet=$((quiet + 1))
            (( quiet >= 3 )) && return 0
        else
            quiet=0
            (( waited % 15 == 1 )) && say "machine busy (${background_busy}% of all cores) before scenario $scenario; waiting for quiet"
        fi
    done
    say "warning: still ${background_busy}% busy after ${quiet_wait} s; measuring anyway"
}

# Clock ticks of user+system time of every live process in the server namespaces.
server_ticks() {
    local ns pid t=0 stat f
    for ns in "$prefix-origin" "$prefix-seeder" $(for ((i = 0; i < edges; i++)); do echo "$prefix-e$i"; done); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
            stat=${stat##*) }   # the fields after "(comm) "; utime and stime are fields 14 and 15 of the line
            read -r -a f <<<"$stat"
            t=$((t + f[11] + f[12]))
        done
    done
    echo "$t"
}

# Clock ticks of user+system time of the kernel's threads (children of kthreadd: ksoftirqd, kworkers), which do
# part of the fleet's network work; long-lived, so a snapshot difference is exact.
kthread_ticks() {
    # Through cat: a process that exits between the glob and the read must not fail the sum (awk stops at a missing
    # file, with status 2, which ended the whole run under set -e).
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } \
        | awk '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); if (f[2] == 2) t += f[12] + f[13] } END { print t + 0 }'
}

# trace_links FILE: until killed, every 0.5 s one line "epoch_s counter…" of the root-side veth peers (read without
# entering the namespaces, no fork per counter): the peer's rx is its host's tx and vice versa.
trace_links() {
    local file=$1 i cols=() names=() line v c
    cols+=("/sys/class/net/$prefix-o/statistics/rx_bytes"); names+=(origin_tx)
    cols+=("/sys/class/net/$prefix-s-dn/statistics/rx_bytes"); names+=(seeder_tx)
    for ((i = 0; i < edges; i++)); do
        cols+=("/sys/class/net/$prefix-e$i-up/statistics/tx_bytes"); names+=("e${i}_rx")
        cols+=("/sys/class/net/$prefix-e$i-dn/statistics/rx_bytes"); names+=("e${i}_tx")
    done
    for ((i = 0; i < nodes; i++)); do cols+=("/sys/class/net/$prefix-n$i/statistics/tx_bytes"); names+=("n${i}_rx"); done
    echo "t ${names[*]}" > "$file"
    while :; do
        line=$EPOCHREALTIME
        for c in "${cols[@]}"; do read -r v < "$c"; line+=" $v"; done
        echo "$line" >> "$file"
        sleep "${FANOUT_TRACE_INTERVAL:-0.5}"
    done
}

run_scenario() {
    local dir n e args fifo result timeout_s i done_count t0 t_end alive f
    dir=$work/$run
    mkdir -p "$dir"
    say "scenario $scenario, round $round of $rounds: starting servers"
    start_scenario

    fifo=$dir/barrier
    result=$dir/nodes.txt
    mkfifo "$fifo"
    : > "$result"
    # Generous per-client limit: 5× the no-cache bound (all N copies through the origin's link) + 60 s.
    timeout_s=$(( (5 * nodes * size_mib * 8 * 1048576) / (tier_mbit * 1000000) + 60 ))

    node_pids=()
    for ((n = 0; n < nodes; n++)); do
        e=$(node_edge "$n")
        args=("${node_args[@]//@EDGE@/$(edge_ip "$e")}")
        ip netns exec "$prefix-n$n" "$here/node.sh" "$n" "$shm/$run/n$n" "$fifo" "$result" "$timeout_s" \
            "${args[@]}" &
        node_pids+=($!)
    done
    # Wait for every node to be at the barrier, then give the last ones a moment to reach open() of the FIFO.
    for i in $(seq 1200); do
        (( $(find "$shm/$run" -maxdepth 1 -name 'n*.ready' 2>/dev/null | wc -l) == nodes )) && break
        sleep 0.05
    done
    (( $(find "$shm/$run" -maxdepth 1 -name 'n*.ready' | wc -l) == nodes )) || die "nodes did not reach the barrier"
    wait_quiet

    read -r ob0 sb0 eb0 nb0 <<<"$(link_counters)"
    read -r cb0 ct0 ck0 ci0 cs0 <<<"$(cpu_jiffies)"
    st0=$(server_ticks)
    kt0=$(kthread_ticks)
    local tracer=""
    if (( trace )); then trace_links "$dir/trace.tsv" & tracer=$!; fi
    say "scenario $scenario: $nodes nodes go"
    t0=$EPOCHREALTIME
    exec 3>"$fifo"
    exec 3>&-

    # Wait for every node's result line, sampling CPU at the moment the last one lands.
    while :; do
        done_count=$(wc -l < "$result")
        (( done_count >= nodes )) && break
        alive=0
        for i in "${node_pids[@]}"; do kill -0 "$i" 2>/dev/null && alive=1 && break; done
        (( alive )) || break
        sleep 0.05
    done
    t_end=$EPOCHREALTIME
    read -r cb1 ct1 ck1 ci1 cs1 <<<"$(cpu_jiffies)"
    st1=$(server_ticks)
    kt1=$(kthread_ticks)
    read -r ob1 sb1 eb1 nb1 <<<"$(link_counters)"
    wait "${node_pids[@]}" || true
    if [[ -n $tracer ]]; then kill "$tracer"; wait "$tracer" 2>/dev/null || true; fi
    say "scenario $scenario: done in $(python3 -c "print(f'{$t_end - $t0:.1f}')") s; verifying"

    # sha256 of every node's copy, two at a time (after the clock stopped: not in the measured window).
    local ok=0 bad=0 h
    declare -A got=()
    while read -r h f; do
        f=${f#\*}
        n=${f#"$shm/$run/n"}
        got[${n%%/*}]=$h
    done < <(find "$shm/$run" -mindepth 2 -type f -name model.bin -print0 2>/dev/null \
                 | xargs -0 -r -n 4 -P 2 sha256sum)
    # curl nodes hashed their stream (OUT.sha, "<hex> *stdin"); `arca pull` nodes wrote files, hashed above.
    for ((n = 0; n < nodes; n++)); do
        [[ -z ${got[$n]:-} && -s $shm/$run/n$n.sha ]] && read -r got[$n] _ < "$shm/$run/n$n.sha"
    done
    for ((n = 0; n < nodes; n++)); do
        if [[ ${got[$n]:-} == "$artifact_sha" ]]; then
            ok=$((ok + 1))
        else
            bad=$((bad + 1))
            say "node $n: wrong or missing bytes (${got[$n]:-none}); log: $(head -c 300 "$shm/$run/n$n.log" 2>/dev/null)"
        fi
    done
    # Keep the node logs with the rest of the work dir, then drop the copies (tmpfs).
    for ((n = 0; n < nodes; n++)); do cp "$shm/$run/n$n.log" "$dir/n$n.log" 2>/dev/null || true; done
    rm -rf "${shm:?}/$run"

    cat > "$dir/summary.json" <<EOF
{"scenario":"$scenario","t0":$t0,"t_end":$t_end,"ok":$ok,"bad":$bad,
 "origin_tx":$((ob1 - ob0)),"seeder_tx":$((sb1 - sb0)),"edges_tx":$((eb1 - eb0)),"nodes_rx":$((nb1 - nb0)),
 "cpu_busy_jiffies":$((cb1 - cb0)),"cpu_total_jiffies":$((ct1 - ct0)),"cpu_task_jiffies":$((ck1 - ck0)),
 "cpu_irq_jiffies":$((ci1 - ci0)),"cpu_steal_jiffies":$((cs1 - cs0)),"server_ticks":$((st1 - st0)),"kthread_ticks":$((kt1 - kt0)),
 "background_busy_pct":$background_busy,"clk_tck":$(getconf CLK_TCK),"ncpu":$(nproc),"nodes_file":"$result"}
EOF
    if (( hold )); then
        : > "$work/hold"
        say "holding scenario $scenario's servers up (work dir $work); rm $work/hold to go on"
        while [[ -e $work/hold ]]; do sleep 1; done
    fi
    stop_servers
}

# ---------------------------------------------------------------------------------------------------------------

main() {
    # One run at a time: a second one would tear down this one's namespaces as "leftovers".
    exec 9>/tmp/arca-fanout.lock
    flock -n 9 || die "another perf/fanout/run.sh is running (lock /tmp/arca-fanout.lock)"
    owns_fleet=1
    ensure_tools
    teardown_fleet   # leftovers of a crashed run
    work=$(mktemp -d "$state_base/fanout.XXXXXX")
    shm=$(mktemp -d /dev/shm/fanout.XXXXXX)
    ensure_arca

    say "making a ${size_mib} MiB artifact of random bytes"
    mkdir -p "$work/artifact"
    head -c "$((size_mib * 1048576))" /dev/urandom > "$work/artifact/model.bin"
    artifact_sha=$(sha256sum "$work/artifact/model.bin" | cut -d' ' -f1)

    build_fleet
    local load
    load=$(cut -d' ' -f1 /proc/loadavg)
    # Rounds alternate the scenarios (a b c d, a b c d, …) so that drift in the machine's load hits all alike.
    for ((round = 1; round <= rounds; round++)); do
        for scenario in "${scenario_list[@]}"; do
            run=$scenario/r$round
            run_scenario
        done
    done

    local versions=()
    has_scenario b || has_scenario a || has_scenario c && versions+=("$(nginx -v 2>&1 | sed 's/^nginx version: //')")
    has_scenario c && versions+=("$(varnishd -V 2>&1 | head -1 | sed 's/ revision.*//; s/^varnishd (//')")
    # What the arca binary is: this checkout's src/ as of its last change (what a default build compiles).
    has_scenario d && versions+=("arca $arca (checkout's src/ last changed in $(git -C "$repo" log -1 --format=%h -- src))")
    python3 "$here/report.py" --work "$work" --out "$out" --scenarios "$scenarios" --nodes "$nodes" --edges "$edges" \
        --node-mbit "$node_mbit" --tier-mbit "$tier_mbit" --latency-ms "$latency_ms" --size-mib "$size_mib" \
        --rounds "$rounds" --client "$client" --command "$command_line" --load-before "$load" --latency-emulated "$have_netem" --congestion-control "$fleet_cc" \
        --congestion-pinned "$([[ -n $cc ]] && echo 1)" \
        --versions "$(IFS=';'; echo "${versions[*]}")"
}

# On one line: bash reads a script as it runs, so an edit to this file during a run cannot shift what runs after.
main; exit $?
