#!/usr/bin/env bash
# Data-plane throughput: Arca's DataPlaneListener (sendfile(2), Native AOT) vs a private nginx (sendfile on),
# same 1 GiB file, same machine, same run. One command:   perf/data-plane/serve.sh
# Prints the tables and writes perf/results/data-plane.md (OUT=- prints only).
#
# Two passes, both in the one run:
#   1. "defaults": each server as it ships. Arca's data plane sets its own TCP congestion control
#      (server.data_tcp_congestion, default cubic; the host below does the same); nginx has no such setting and uses
#      the kernel's default. This pass is scored against the issue's targets (>= 1.2x nginx's throughput at 1 and 8
#      clients, <= nginx's server CPU per GB).
#   2. "same congestion control" (root only; SAME_CC=NAME, default reno, SAME_CC= skips it): the whole benchmark again in
#      a private network namespace whose default is NAME, with arca set to NAME too, so nginx, arca and the clients all
#      run one algorithm. A namespace may only default to an algorithm in net.ipv4.tcp_allowed_congestion_control.
#      This pass shows what the send paths themselves do, and (client cores column) whether the readers are the limit.
#
# Knobs (environment): WORK (scratch dir, default /tmp/arca-dataplane-perf; the 1 GiB file lives there, never in git),
# RUNS (timed repetitions per configuration, default 5), CLIENTS ("1 8"), NGINX_WORKERS ("1 2"),
# FANOUT (connections of the many-connections scenario, default 300: one curl --parallel process, each connection
# fetching a distinct 4 MiB range; measures that hundreds of concurrent transfers stay correct and efficient),
# SAME_CC (see above), OUT (result file; "-" = none).
# Per timed run: the page cache is warmed right before (cat file > /dev/null), N concurrent
# `curl -s -o /dev/null` each download the whole file; GB/s = N x 1 GiB / wall time; server CPU-s/GB from the
# on-CPU time of all server threads in /proc/<pid>/task/*/schedstat (nginx: master + workers); client cores = the
# curls' CPU-seconds / wall time (1.0 = one core busy reading). Then a separate short run of each server under `strace -c -f` (one whole-file
# download) for the syscall summary.
set -euo pipefail

# The machine may be shared (other builds): servers and clients alike run at raised priority (nice NICE, default
# -10 when root), so both servers see the same, less noisy, conditions. The load average is printed with the results.
if [[ $EUID -eq 0 && -z "${ARCA_DP_PASS:-}" ]]; then renice -n "${NICE:--10}" -p $$ >/dev/null; fi

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${WORK:-/tmp/arca-dataplane-perf}"
RUNS="${RUNS:-5}"
CLIENTS="${CLIENTS:-1 8}"
NGINX_WORKERS="${NGINX_WORKERS:-1 2}"
FANOUT="${FANOUT:-300}"
SAME_CC="${SAME_CC-reno}"
OUT="${OUT:-$ROOT/perf/results/data-plane.md}"
PASS="${ARCA_DP_PASS:-defaults}" # internal: the same-CC pass re-runs this script inside its namespace
RANGE_BYTES=$((4 * 1024 * 1024))
ARCA_PORT=18701
NGINX_PORT=18702
TOKEN="perf-token"
SIZE=$((1024 * 1024 * 1024))
CLK_TCK="$(getconf CLK_TCK)"
FILE="$WORK/blob.bin"
HOST="$WORK/host/arca-dataplane-host"
COMMAND="perf/data-plane/serve.sh"

if [[ $PASS == defaults ]]; then
  missing=()
  for tool in nginx curl strace; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  mkdir -p "$WORK/www" "$WORK/nginx"
  if [[ ! -f "$FILE" || "$(stat -c %s "$FILE")" != "$SIZE" ]]; then
    echo "generating the 1 GiB test file in $FILE" >&2
    head -c "$SIZE" /dev/urandom > "$FILE"
  fi
  echo "publishing the Native AOT host" >&2
  dotnet publish "$ROOT/perf/data-plane/host" -c Release -r linux-x64 -p:PublishAot=true -o "$WORK/host" -v quiet -nologo >/dev/null
fi
NGINX="$(command -v nginx)"
HEX="${ARCA_DP_HEX:-$(sha256sum "$FILE" | cut -d' ' -f1)}"
ln -f "$FILE" "$WORK/www/$HEX"
if [[ $PASS == defaults ]]; then
  ARCA_CC="${DATAPLANE_TCP_CONGESTION-cubic}"
else
  ARCA_CC="$SAME_CC"
fi

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

cpu_ns() { # CPU time (ns) of every thread of the given pids, from /proc/<pid>/task/*/schedstat (exact, unlike clock ticks)
  local pid
  for pid in "$@"; do cat /proc/"$pid"/task/*/schedstat; done | awk '{ t += $1 } END { printf "%d\n", t }'
}

children_ticks() { # in a subshell, after `wait`: CPU ticks (user + system) of the children it reaped
  local stat
  read -r stat < "/proc/$BASHPID/stat"
  # shellcheck disable=SC2086
  set -- ${stat##*) }
  echo $(( ${14} + ${15} ))
}

server_pids() { # $1 main pid -> main pid and its children (nginx workers)
  echo "$1 $(pgrep -P "$1" | tr '\n' ' ')"
}

SERVER_PID=""
start_arca() {
  DATAPLANE_TCP_CONGESTION="$ARCA_CC" "$HOST" "$FILE" "$HEX" "$ARCA_PORT" "$TOKEN" > "$WORK/arca.log" 2>&1 &
  SERVER_PID=$!; wait_port "$ARCA_PORT"
}
start_nginx() { "$NGINX" -e "$WORK/nginx/error.log" -c "$(nginx_conf "$1")" & SERVER_PID=$!; wait_port "$NGINX_PORT"; }
stop_server() { kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
trap stop_server EXIT

RESULTS="$WORK/results-$PASS.tsv"
: > "$RESULTS"

record() { # label clients bytes-per-client t0 t1 server-ns client-ticks -> one raw row (also on stderr)
  awk -v l="$1" -v n="$2" -v s="$3" -v dt=$(($5 - $4)) -v cpu="$6" -v ccpu="$7" -v hz="$CLK_TCK" 'BEGIN {
    gb = n * s / 1e9; secs = dt / 1e9; cs = cpu / 1e9;
    printf "%s\t%d\t%.3f\t%.2f\t%.4f\t%.2f\n", l, n, secs, gb / secs, cs / gb, ccpu / hz / secs }' | tee -a "$RESULTS" >&2
}

timed_run() { # $1 label, $2 port, $3 clients
  local label=$1 port=$2 n=$3 pids t0 t1 c0 c1 cc i
  pids="$(server_pids "$SERVER_PID")"
  cat "$FILE" > /dev/null # warm the page cache right before the run
  c0=$(cpu_ns $pids)
  t0=$(date +%s%N)
  cc=$(
    for i in $(seq "$n"); do
      curl -s -o /dev/null -w '%{http_code} %{size_download}\n' -H "Authorization: Bearer $TOKEN" \
        "http://127.0.0.1:$port/blobs/sha256/$HEX" > "$WORK/curl.$i" &
    done
    wait
    children_ticks
  )
  t1=$(date +%s%N)
  c1=$(cpu_ns $pids)
  for i in $(seq "$n"); do
    [[ "$(cat "$WORK/curl.$i")" == "200 $SIZE" ]] || { echo "$label: bad download: $(cat "$WORK/curl.$i")" >&2; exit 1; }
  done
  record "$label" "$n" "$SIZE" "$t0" "$t1" $((c1 - c0)) "$cc"
}

fanout_run() { # $1 label, $2 port: FANOUT parallel connections, distinct 4 MiB ranges, one curl process
  local label=$1 port=$2 pids t0 t1 c0 c1 cc i first
  pids="$(server_pids "$SERVER_PID")"
  : > "$WORK/fanout.cfg"
  for i in $(seq 0 $((FANOUT - 1))); do
    first=$(( (i * 3 + 1) * RANGE_BYTES / 3 % (SIZE - RANGE_BYTES) ))
    printf 'url = "http://127.0.0.1:%s/blobs/sha256/%s"\noutput = "/dev/null"\nrange = "%s-%s"\n' \
      "$port" "$HEX" "$first" "$((first + RANGE_BYTES - 1))" >> "$WORK/fanout.cfg"
  done
  cat "$FILE" > /dev/null
  c0=$(cpu_ns $pids)
  t0=$(date +%s%N)
  cc=$(
    curl -s --no-progress-meter -Z --parallel-max "$FANOUT" --parallel-immediate -H "Authorization: Bearer $TOKEN" -K "$WORK/fanout.cfg" \
      -w '%{http_code} %{size_download}\n' > "$WORK/fanout.out" 2> "$WORK/fanout.err" || true
    children_ticks
  )
  t1=$(date +%s%N)
  c1=$(cpu_ns $pids)
  [[ "$(grep -c "^206 $RANGE_BYTES\$" "$WORK/fanout.out")" == "$FANOUT" ]] || { echo "$label: fan-out: bad responses" >&2; sort "$WORK/fanout.out" | uniq -c >&2; exit 1; }
  record "$label" "$FANOUT" "$RANGE_BYTES" "$t0" "$t1" $((c1 - c0)) "$cc"
}

median() { # $1 label, $2 clients, $3 column -> median of that column over the runs
  awk -F'\t' -v l="$1" -v n="$2" -v c="$3" '$1 == l && $2 == n { print $c }' "$RESULTS" | sort -g |
    awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

kernel_cc="$(sysctl -n net.ipv4.tcp_congestion_control)"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "== pass: $PASS (kernel default $kernel_cc for nginx and the clients; arca's data plane ${ARCA_CC:-the kernel default})" >&2
echo -e "server\tclients\twall_s\tGB/s\tcpu_s_per_GB\tclient_cores" >&2
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

# The pass's section of the report: its median table, the verdict against the targets, its raw rows.
SECTION="$WORK/section-$PASS.md"
{
  if [[ $PASS == defaults ]]; then
    echo "## Each server as it ships (scored)"
    echo
    echo "Kernel default congestion control \`$kernel_cc\` (nginx and the clients); arca's data plane \`${ARCA_CC:-the kernel default}\`."
  else
    echo "## Both servers and the clients on \`$SAME_CC\` (private network namespace)"
    echo
    echo "Every socket of nginx, arca and the clients uses \`$SAME_CC\`: what the two send paths do on equal terms."
  fi
  echo "Load average $load_before before the pass, $(cut -d' ' -f1-3 /proc/loadavg) after, on $(nproc) cores; nice $(ps -o ni= -p $$ | tr -d ' ')."
  echo "Medians of $RUNS runs."
  echo
  echo "| clients | reference | arca GB/s | reference GB/s | throughput arca/ref | arca CPU-s/GB | ref CPU-s/GB | CPU/GB arca/ref | client cores arca / ref |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for n in $CLIENTS $FANOUT; do
    atp=$(median arca "$n" 4); acpu=$(median arca "$n" 5); acl=$(median arca "$n" 6)
    for w in $NGINX_WORKERS; do
      rtp=$(median "nginx-${w}w" "$n" 4); rcpu=$(median "nginx-${w}w" "$n" 5); rcl=$(median "nginx-${w}w" "$n" 6)
      awk -v n="$n" -v r="nginx, worker_processes $w" -v atp="$atp" -v acpu="$acpu" -v rtp="$rtp" -v rcpu="$rcpu" \
        -v acl="$acl" -v rcl="$rcl" 'BEGIN {
        printf "| %d | %s | %.2f | %.2f | **%.2fx** | %.4f | %.4f | **%.2fx** | %.2f / %.2f |\n",
          n, r, atp, rtp, atp / rtp, acpu, rcpu, acpu / rcpu, acl, rcl }'
    done
  done
  echo
  echo "Against the targets (>= 1.2x nginx's throughput and <= its server CPU per GB, at $(echo $CLIENTS | sed "s/ / and /g") clients, against every"
  echo "nginx setting; the $FANOUT-connection row is not scored):"
  echo
  echo "| clients | reference | throughput >= 1.2x | CPU/GB <= 1x |"
  echo "|---|---|---|---|"
  for n in $CLIENTS; do
    atp=$(median arca "$n" 4); acpu=$(median arca "$n" 5)
    for w in $NGINX_WORKERS; do
      rtp=$(median "nginx-${w}w" "$n" 4); rcpu=$(median "nginx-${w}w" "$n" 5)
      awk -v n="$n" -v r="nginx, worker_processes $w" -v atp="$atp" -v acpu="$acpu" -v rtp="$rtp" -v rcpu="$rcpu" 'BEGIN {
        tp = "FAIL"; if (atp >= 1.2 * rtp) tp = "PASS"; cpu = "FAIL"; if (acpu <= rcpu) cpu = "PASS";
        printf "| %d | %s | %s (%.2fx) | %s (%.2fx) |\n", n, r, tp, atp / rtp, cpu, acpu / rcpu }'
    done
  done
  echo
  echo "<details><summary>Raw rows (server, clients, wall s, GB/s, server CPU-s/GB, client cores)</summary>"
  echo
  echo '```'
  cat "$RESULTS"
  echo '```'
  echo "</details>"
} > "$SECTION"
[[ $PASS == defaults ]] || exit 0

STRACE="$WORK/section-strace.md"
{
  echo "## strace -c -f, one whole-file download per server (separate run, each as it ships)"
  for label in arca nginx-1w; do
    echo; echo "### $label"; echo; echo '```'
    if [[ $label == arca ]]; then
      DATAPLANE_TCP_CONGESTION="$ARCA_CC" strace -c -f -o "$WORK/strace.$label" "$HOST" "$FILE" "$HEX" "$ARCA_PORT" "$TOKEN" > /dev/null 2>&1 &
      SERVER_PID=$!; port=$ARCA_PORT
    else
      strace -c -f -o "$WORK/strace.$label" "$NGINX" -e "$WORK/nginx/error.log" -c "$(nginx_conf 1)" & SERVER_PID=$!; port=$NGINX_PORT
    fi
    wait_port "$port"
    cat "$FILE" > /dev/null
    curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/blobs/sha256/$HEX"
    if [[ $label == arca ]]; then kill -TERM "$(pgrep -P "$SERVER_PID" -n)" 2>/dev/null || true
    else kill -QUIT "$(cat "$WORK/nginx/nginx.pid")" 2>/dev/null || true; fi
    wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
    sed -n '/^% time/,$p' "$WORK/strace.$label" | head -n 14
    echo '```'
  done
} > "$STRACE"

SAME="$WORK/section-same-cc.md"
rm -f "$SAME"
if [[ -z $SAME_CC ]]; then
  echo "(the same-congestion-control pass was skipped: SAME_CC is empty)" > "$SAME"
elif [[ $EUID -ne 0 ]]; then
  echo "(the same-congestion-control pass was skipped: it needs root for its network namespace)" > "$SAME"
else
  ns="arca-dp-$$"
  ip netns add "$ns"
  trap 'stop_server; ip netns del "$ns" 2>/dev/null || true' EXIT
  ip netns exec "$ns" ip link set lo up
  if ip netns exec "$ns" sysctl -qw net.ipv4.tcp_congestion_control="$SAME_CC" 2>/dev/null; then
    ip netns exec "$ns" env ARCA_DP_PASS=same-cc ARCA_DP_HEX="$HEX" WORK="$WORK" RUNS="$RUNS" CLIENTS="$CLIENTS" NGINX_WORKERS="$NGINX_WORKERS" \
      FANOUT="$FANOUT" SAME_CC="$SAME_CC" "$0"
  else
    echo "(the same-congestion-control pass was skipped: a network namespace may not default to '$SAME_CC' here;" \
      "allowed: $(sysctl -n net.ipv4.tcp_allowed_congestion_control))" > "$SAME"
  fi
  ip netns del "$ns" 2>/dev/null || true
fi

REPORT="$WORK/report.md"
{
  echo "# Data plane vs nginx: sendfile(2) throughput and CPU per GB"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- Command: \`$COMMAND\` (RUNS=$RUNS CLIENTS=\"$CLIENTS\" NGINX_WORKERS=\"$NGINX_WORKERS\" FANOUT=$FANOUT SAME_CC=$SAME_CC)"
  echo "- arca: \`perf/data-plane/host\` (Native AOT) at commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src perf/data-plane 2>/dev/null || echo ' with uncommitted changes'),"
  echo "  serving the file as one extent through the product's \`DataPlaneListener\`, bearer token checked."
  echo "- nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///'): \`sendfile on; tcp_nopush on; access_log off;\`, the same bearer check, worker_processes $NGINX_WORKERS."
  echo "- Machine: $(nproc) cores, kernel $(uname -r), loopback; file system of the file: $(df -T "$FILE" | awk 'NR == 2 { print $2 }')."
  echo "- Each timed run: page cache warmed right before (\`cat file > /dev/null\`), then N concurrent \`curl -s -o /dev/null\`"
  echo "  each download the whole 1 GiB file. GB = 10^9 bytes. Server CPU = on-CPU time of all server threads (schedstat) per GB"
  echo "  served. Client cores = the curls' CPU-seconds / wall seconds: near 1.0 per client, a reader is the limit, not the"
  echo "  server. The $FANOUT-connection row: one \`curl --parallel\` with $FANOUT connections, a distinct 4 MiB range each."
  echo "  Servers alternate run by run."
  echo
  cat "$WORK/section-defaults.md"
  echo
  cat "$SAME"
  echo
  cat "$STRACE"
} > "$REPORT"

echo
cat "$REPORT"
if [[ $OUT != - ]]; then
  marker='<!-- serve.sh keeps everything below this line when it rewrites the file: notes written by hand. -->'
  notes=""
  [[ -f $OUT ]] && notes="$(awk -v m="$marker" 'found { print } $0 == m { found = 1 }' "$OUT")"
  { cat "$REPORT"; echo; echo "$marker"; if [[ -n $notes ]]; then echo "$notes"; fi; } > "$OUT.tmp"
  mv "$OUT.tmp" "$OUT"
  echo "wrote $OUT" >&2
fi
