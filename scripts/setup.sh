#!/usr/bin/env bash
# Installs what a fresh Debian bookworm machine lacks to run and test njs-region-router, then `npm ci`.
# Idempotent: packages already present are not touched. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

# nginx + njs 0.7.9 module + njs CLI: the product. docker.io + debootstrap: the container harness (one
# image per runtime). openssl: the tests' throw-away CA and certificates. libnginx-mod-stream: the demo
# platform's global entry (TLS passthrough). chromium: the browser login test. wrk: the benchmark;
# libnginx-mod-http-lua, lua-cjson: its Lua reference. shellcheck: the installer test.
PACKAGES=(nginx libnginx-mod-http-js libnginx-mod-stream njs docker.io debootstrap openssl chromium wrk libnginx-mod-http-lua lua-cjson shellcheck curl ca-certificates)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's package may start its default server on :80; nothing here needs it.
if [ -s /run/nginx.pid ]; then nginx -s quit 2>/dev/null || true; fi

npm ci --no-audit --no-fund
