#!/usr/bin/env bash
# Builds the Native-AOT `arca` binary and installs it. Idempotent: run it again to upgrade.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: ./install.sh [--prefix DIR] [--config-dir DIR] [--systemd] [--help]

Builds `arca` as one Native-AOT binary (dotnet publish -p:PublishAot=true) and installs:
  PREFIX/lib/arca/arca              the binary, with SQLite's native library (libe_sqlite3.so) beside it
  PREFIX/bin/arca                   a symlink to it
  CONFIG_DIR/registry.toml          the annotated default configuration, only if none exists yet

Options:
  --prefix DIR      install prefix (default /usr/local)
  --config-dir DIR  where registry.toml goes (default /etc/arca for the /usr and /usr/local prefixes,
                    PREFIX/etc/arca otherwise)
  --systemd         also create the `arca` system user, /var/lib/arca (0750) and the hardened unit
                    /etc/systemd/system/arca.service (enabled and started when systemd is running)
  --help            this text

Then: `arca serve` starts an origin (control plane :8700, data plane :8701); its first start writes an
admin token to <data_dir>/admin.token (mode 0600).
USAGE
}

prefix=/usr/local
config_dir=""
systemd=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --prefix=*) prefix="${1#*=}"; shift ;;
    --config-dir) config_dir="${2:?--config-dir needs a directory}"; shift 2 ;;
    --config-dir=*) config_dir="${1#*=}"; shift ;;
    --systemd) systemd=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$config_dir" ]; then
  case "$prefix" in
    /usr|/usr/local) config_dir=/etc/arca ;;
    *) config_dir="$prefix/etc/arca" ;;
  esac
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v dotnet >/dev/null || { echo "install.sh: the .NET SDK (dotnet) is required" >&2; exit 1; }
command -v gcc >/dev/null || command -v clang >/dev/null || {
  echo "install.sh: Native AOT links with gcc or clang; install one (apt-get install gcc)" >&2; exit 1; }

out="$here/artifacts/publish"
echo "==> building the Native-AOT binary (dotnet publish, Release, linux-x64)"
dotnet publish "$here/src/Arca/Arca.csproj" -c Release -r linux-x64 -p:PublishAot=true \
  -o "$out" --nologo -v quiet -clp:NoSummary
[ -x "$out/arca" ] || { echo "install.sh: publish produced no binary at $out/arca" >&2; exit 1; }

libdir="$prefix/lib/arca"
echo "==> installing to $libdir (binary and libe_sqlite3.so) and $prefix/bin/arca"
mkdir -p "$libdir" "$prefix/bin"
install -m 0755 "$out/arca" "$libdir/arca.new" && mv -f "$libdir/arca.new" "$libdir/arca"
for lib in "$out"/*.so; do
  [ -e "$lib" ] && install -m 0644 "$lib" "$libdir/"
done
ln -sfn "$libdir/arca" "$prefix/bin/arca"

mkdir -p "$config_dir"
if [ -e "$config_dir/registry.toml" ]; then
  echo "==> keeping existing $config_dir/registry.toml"
else
  install -m 0644 "$here/registry.toml" "$config_dir/registry.toml"
  echo "==> installed default $config_dir/registry.toml"
fi
mkdir -p "$prefix/share/doc/arca"
install -m 0644 "$here/README.md" "$prefix/share/doc/arca/README.md"

if [ "$systemd" = 1 ]; then
  [ "$(id -u)" = 0 ] || { echo "install.sh: --systemd needs root" >&2; exit 1; }
  if ! id arca >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/arca --no-create-home --shell /usr/sbin/nologin arca
    echo "==> created system user arca"
  fi
  install -d -m 0750 -o arca -g arca /var/lib/arca
  # The data plane sets its own TCP congestion control (server.data_tcp_congestion, default cubic). The service runs
  # unprivileged, and the kernel lets an unprivileged process pick only what net.ipv4.tcp_allowed_congestion_control
  # lists; hosts whose default is BBR often list only "reno bbr". Add cubic there (now and at every boot).
  allowed="$(sysctl -n net.ipv4.tcp_allowed_congestion_control 2>/dev/null || true)"
  available="$(sysctl -n net.ipv4.tcp_available_congestion_control 2>/dev/null || true)"
  case " $allowed " in
    *" cubic "*) ;;
    *)
      if [ -n "$allowed" ] && { case " $available " in *" cubic "*) true ;; *) modprobe -q tcp_cubic 2>/dev/null ;; esac; }; then
        echo "net.ipv4.tcp_allowed_congestion_control = $allowed cubic" > /etc/sysctl.d/60-arca.conf
        if sysctl -q -w net.ipv4.tcp_allowed_congestion_control="$allowed cubic"; then
          echo "==> allowed unprivileged use of TCP cubic (/etc/sysctl.d/60-arca.conf) for the data plane"
        fi
      else
        echo "==> note: this kernel offers no TCP cubic; the data plane will log event 2004 and keep the kernel's default"
      fi
      ;;
  esac
  sed -e "s#@BINDIR@#$libdir#g" -e "s#@CONFIG@#$config_dir/registry.toml#g" \
    "$here/packaging/arca.service" > /etc/systemd/system/arca.service.new
  mv -f /etc/systemd/system/arca.service.new /etc/systemd/system/arca.service
  echo "==> installed /etc/systemd/system/arca.service"
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable --now arca.service
    echo "==> arca.service enabled and started; admin token: /var/lib/arca/admin.token"
  else
    echo "==> systemd is not running here; start it later with: systemctl enable --now arca"
  fi
fi

echo "==> done: $("$prefix/bin/arca" --version 2>/dev/null || echo arca) installed as $prefix/bin/arca"
