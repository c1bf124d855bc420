#!/usr/bin/env bash
# Data-plane throughput: Arca's DataPlaneListener (sendfile(2), Native AOT) vs a private nginx (sendfile on),
# same 1 GiB file, same machine, same run. One command:   perf/data-plane/serve.sh
#
# TCP congestion control: arca's data plane sets its own (server.data_tcp_congestion, default cubic; the host below
# does the same, DATAPLANE_TCP_CONGESTION="" leaves the kernel's), nginx has no such setting and uses the kernel's
# default. CC=NAME (root) runs the whole benchmark in a private network namespace whose default is NAME, so nginx,
# the clients and arca all use it (the host's own setting is untouched).
#
# Knobs (environment): WORK (scratch dir, default /tmp/arca-dataplane-perf; the 1 GiB file lives there, never in git),
# RUNS (timed repetitions per configuration, default 5), CLIENTS ("1 8"), NGINX_WORKERS ("1 2"),
# FANOUT (connections of the many-connections scenario, default 300: one curl --parallel process, each connection
# fetching a distinct 4 MiB range; measures that hundreds of concurrent transfers stay correct and efficient).
# Per timed run: the page cache is warmed right before (cat file > /dev/null), N concurrent
# `curl -s -o /dev/null` each download the whole file; GB/s = N x 1 GiB / wall time; server CPU-s/GB from the
# utime+stime deltas in /proc/<pid>/stat (nginx: master + workers). Then a separate short run of each server under
# `strace -c -f` (one whole-file download) for the syscall summary.
set -euo pipefail

# The machine may be shared (other builds): servers and clients alike run at raised priority (nice NICE, default
# -10 when root), so both servers see the same, less noisy, conditions. The load average is printed with the results.
if [[ $EUID -eq 0 ]]; then renice -n "${NICE:--10}" -p $$ >/dev/null; fi

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

if [[ -n "${CC:-}" && -z "${ARCA_DP_NETNS:-}" ]]; then
  ns="arca-dp-$$"
  ip netns add "$ns"
  trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" sysctl -qw net.ipv4.tcp_congestion_control="$CC"
  status=0
  ip netns exec "$ns" env ARCA_DP_NETNS="$ns" "$0" "$@" || status=$?
  exit "$status"
fi
WORK="${WORK:-/tmp/arca-dataplane-perf}"
RUNS="${RUNS:-5}"
CLIENTS="${CLIENTS:-1 8}"
NGINX_WORKERS="${NGINX_WORKERS:-1 2}"
FANOUT="${FANOUT:-300}"
RANGE_BYTES=$((4 * 1024 * 1024))
ARCA_PORT=18701
NGINX_PORT=18702
TOKEN="perf-token"
SIZE=$((1024 * 1024 * 1024))
CLK_TCK="$(getconf CLK_TCK)"

missing=()
for tool in nginx curl strace; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX="$(command -v nginx)"

mkdir -p "$WORK/www" "$WORK/nginx"
FILE="$WORK/blob.bin"
if [[ ! -f "$FILE" || "$(stat -c %s "$FILE")" != "$SIZE" ]]; then
  echo "generating the 1 GiB test file in $FILE" >&2
  head -c "$SIZE" /dev/urandom > "$FILE"
fi
HEX="$(sha256sum "$FILE" | cut -d' ' -f1)"
ln -f "$FILE" "$WORK/www/$HEX"

echo "publishing the Native AOT host" >&2
dotnet publish "$ROOT/perf/data-plane/host" -c Release -r linux-x64 -p:PublishAot=true -o "$WORK/host" -v quiet -nologo >/dev/null
HOST="$WORK/host/arca-dataplane-host"

nginx_conf() { # $1 workers -> path of a private config
  local conf="$WORK/nginx/nginx-$1.conf"
  cat > "$conf" <<CONF
worker_processes $1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 60s;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  types { }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location /blobs/sha256/ {
      if (\$http_authorization != "Bearer $TOKEN") { return 401; }
      alias $WORK/www/;
    }
  }
}
CONF
  echo "$conf"
}

wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }

cpu_ticks() { # sum of utime+stime of the given pids
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
  done
  echo "$total"
}

server_pids() { # $1 main pid -> main pid and its children (nginx workers)
  echo "$1 $(pgrep -P "$1" | tr '\n' ' ')"
}

SERVER_PID=""
start_arca() { "$HOST" "$FILE" "$HEX" "$ARCA_PORT" "$TOKEN" > "$WORK/arca.log" 2>&1 & SERVER_PID=$!; wait_port "$ARCA_PORT"; }
start_nginx() { "$NGINX" -e "$WORK/nginx/error.log" -c "$(nginx_conf "$1")" & SERVER_PID=$!; wait_port "$NGINX_PORT"; }
stop_server() { kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
trap stop_server EXIT

RESULTS="$WORK/results.tsv"
: > "$RESULTS"

timed_run() { # $1 label, $2 port, $3 clients
  local label=$1 port=$2 n=$3 pids t0 t1 c0 c1 i
  pids="$(server_pids "$SERVER_PID")"
  cat "$FILE" > /dev/null # warm the page cache right before the run
  c0=$(cpu_ticks $pids)
  t0=$(date +%s%N)
  for i in $(seq "$n"); do
    curl -s -o /dev/null -w '%{http_code} %{size_download}\n' -H "Authorization: Bearer $TOKEN" \
      "http://127.0.0.1:$port/blobs/sha256/$HEX" > "$WORK/curl.$i" &
  done
  wait $(jobs -p | grep -v "^$SERVER_PID\$")
  t1=$(date +%s%N)
  c1=$(cpu_ticks $pids)
  for i in $(seq "$n"); do
    [[ "$(cat "$WORK/curl.$i")" == "200 $SIZE" ]] || { echo "$label: bad download: $(cat "$WORK/curl.$i")" >&2; exit 1; }
  done
  awk -v l="$label" -v n="$n" -v s="$SIZE" -v dt=$((t1 - t0)) -v cpu=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN {
    gb = n * s / 1e9; secs = dt / 1e9; cs = cpu / hz;
    printf "%s\t%d\t%.3f\t%.2f\t%.3f\n", l, n, secs, gb / secs, cs / gb }' | tee -a "$RESULTS"
}

fanout_run() { # $1 label, $2 port: FANOUT parallel connections, distinct 4 MiB ranges, one curl process
  local label=$1 port=$2 pids t0 t1 c0 c1 i first
  pids="$(server_pids "$SERVER_PID")"
  : > "$WORK/fanout.cfg"
  for i in $(seq 0 $((FANOUT - 1))); do
    first=$(( (i * 3 + 1) * RANGE_BYTES / 3 % (SIZE - RANGE_BYTES) ))
    printf 'url = "http://127.0.0.1:%s/blobs/sha256/%s"\noutput = "/dev/null"\nrange = "%s-%s"\n' \
      "$port" "$HEX" "$first" "$((first + RANGE_BYTES - 1))" >> "$WORK/fanout.cfg"
  done
  cat "$FILE" > /dev/null
  c0=$(cpu_ticks $pids)
  t0=$(date +%s%N)
  curl -s --no-progress-meter -Z --parallel-max "$FANOUT" --parallel-immediate -H "Authorization: Bearer $TOKEN" -K "$WORK/fanout.cfg" \
    -w '%{http_code} %{size_download}\n' > "$WORK/fanout.out" 2> "$WORK/fanout.err"
  t1=$(date +%s%N)
  c1=$(cpu_ticks $pids)
  [[ "$(grep -c "^206 $RANGE_BYTES\$" "$WORK/fanout.out")" == "$FANOUT" ]] || { echo "$label: fan-out: bad responses" >&2; sort "$WORK/fanout.out" | uniq -c >&2; exit 1; }
  awk -v l="$label" -v n="$FANOUT" -v s="$RANGE_BYTES" -v dt=$((t1 - t0)) -v cpu=$((c1 - c0)) -v hz="$CLK_TCK" 'BEGIN {
    gb = n * s / 1e9; secs = dt / 1e9; cs = cpu / hz;
    printf "%s\t%d\t%.3f\t%.2f\t%.3f\n", l, n, secs, gb / secs, cs / gb }' | tee -a "$RESULTS"
}

echo -e "server\tclients\twall_s\tGB/s\tcpu_s_per_GB" >&2
for n in $CLIENTS; do
  for run in $(seq "$RUNS"); do
    start_arca; timed_run "arca" "$ARCA_PORT" "$n"; stop_server
    for w in $NGINX_WORKERS; do
      start_nginx "$w"; timed_run "nginx-${w}w" "$NGINX_PORT" "$n"; stop_server
    done
  done
done
for run in $(seq "$RUNS"); do
  start_arca; fanout_run "arca" "$ARCA_PORT"; stop_server
  for w in $NGINX_WORKERS; do
    start_nginx "$w"; fanout_run "nginx-${w}w" "$NGINX_PORT"; stop_server
  done
done

echo
median() { # $1 label, $2 clients, $3 column -> median of that column over the runs
  awk -F'\t' -v l="$1" -v n="$2" -v c="$3" '$1 == l && $2 == n { print $c }' "$RESULTS" | sort -g |
    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

arca_cc="${DATAPLANE_TCP_CONGESTION-cubic}"; [[ -n $arca_cc ]] || arca_cc="the kernel default"
echo "load average after the timed runs: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; nice $(ps -o ni= -p $$ | tr -d ' ')"
echo "TCP congestion control: kernel default $(sysctl -n net.ipv4.tcp_congestion_control)${ARCA_DP_NETNS:+ (private namespace $ARCA_DP_NETNS, CC=$CC)} (nginx, clients); arca's data plane ${arca_cc}"
echo
echo "## median of $RUNS runs (GB = 1e9 bytes; CPU = server utime+stime per GB served; the $FANOUT-client row is the"
echo "## many-connections scenario: $FANOUT parallel connections from one curl --parallel, 4 MiB range each)"
echo
echo "| clients | reference | arca GB/s | reference GB/s | throughput arca/ref | arca CPU-s/GB | ref CPU-s/GB | CPU/GB arca/ref |"
echo "|---|---|---|---|---|---|---|---|"
for n in $CLIENTS $FANOUT; do
  atp=$(median arca "$n" 4); acpu=$(median arca "$n" 5)
  for w in $NGINX_WORKERS; do
    rtp=$(median "nginx-${w}w" "$n" 4); rcpu=$(median "nginx-${w}w" "$n" 5)
    awk -v n="$n" -v r="nginx, worker_processes $w" -v atp="$atp" -v acpu="$acpu" -v rtp="$rtp" -v rcpu="$rcpu" 'BEGIN {
      printf "| %d | %s | %.2f | %.2f | **%.2fx** | %.3f | %.3f | **%.2fx** |\n", n, r, atp, rtp, atp / rtp, acpu, rcpu, acpu / rcpu }'
  done
done

echo
echo "## strace -c -f, one whole-file download per server (separate run)"
for label in arca nginx-1w; do
  echo; echo "### $label"; echo; echo '```'
  if [[ $label == arca ]]; then
    strace -c -f -o "$WORK/strace.$label" "$HOST" "$FILE" "$HEX" "$ARCA_PORT" "$TOKEN" > /dev/null 2>&1 & SERVER_PID=$!; port=$ARCA_PORT
  else
    strace -c -f -o "$WORK/strace.$label" "$NGINX" -e "$WORK/nginx/error.log" -c "$(nginx_conf 1)" & SERVER_PID=$!; port=$NGINX_PORT
  fi
  wait_port "$port"
  cat "$FILE" > /dev/null
  curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/blobs/sha256/$HEX"
  if [[ $label == arca ]]; then kill -TERM "$(pgrep -P "$SERVER_PID" -n)" 2>/dev/null || true
  else kill -QUIT "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true; fi
  wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  head -n 14 "$WORK/strace.$label"
  echo '```'
done
