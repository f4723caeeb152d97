#!/usr/bin/env bash
# Installs what a fresh Debian bookworm machine lacks to run and test njs-region-router, then `npm ci`.
# Idempotent: packages already present are not touched. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

# nginx + njs 0.7.9 module + njs CLI: the product. docker.io + debootstrap: the container harness (one
# image per runtime). openssl: the tests' throw-away CA and certificates. libnginx-mod-stream: the demo
# platform's global entry (TLS passthrough). chromium: the browser login test. wrk: the benchmark;
# libnginx-mod-http-lua, lua-cjson: its Lua reference. shellcheck: the installer test. prometheus: the
# integration and fault suites start one (on 127.0.0.1) to scrape the gateways' /metrics. lintian: the release
# test checks the Debian package that npm run package builds (with dpkg-deb, which every Debian system has).
PACKAGES=(nginx libnginx-mod-http-js libnginx-mod-stream njs docker.io debootstrap openssl chromium wrk libnginx-mod-http-lua lua-cjson shellcheck curl ca-certificates prometheus lintian)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's package may start its default server on :80; nothing here needs it.
if [ -s /run/nginx.pid ]; then nginx -s quit 2>/dev/null || true; fi
# Debian's prometheus package enables its service, which listens on every address (:9090), and starts it
# where services may start (systemd, or sysvinit without a policy-rc.d that forbids it). The suites run
# their own on 127.0.0.1: keep the packaged one stopped and disabled, every time (idempotent).
if [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now prometheus.service >/dev/null 2>&1 || true
else
  $SUDO systemctl disable prometheus.service >/dev/null 2>&1 || true
  [ ! -x /etc/init.d/prometheus ] || $SUDO /etc/init.d/prometheus stop >/dev/null 2>&1 || true
fi
[ ! -x /etc/init.d/prometheus ] || $SUDO update-rc.d prometheus disable >/dev/null 2>&1 || true
public=$(ss -Hltnp 2>/dev/null | awk '/"prometheus"/ && $4 !~ /^(127\.|\[::1\]:)/ { print $4 }' || true)
if [ -n "$public" ]; then
  echo "setup: a prometheus still listens on $public (not loopback): stop it; the tests start their own" >&2
  exit 1
fi

npm ci --no-audit --no-fund
