#!/usr/bin/env bash
# Installs the Debian packages odr and its tests need; does nothing when all are present.
set -euo pipefail
PACKAGES=(postgresql redis-server chromium ffmpeg poppler-utils fonts-wqy-zenhei coturn wrk nginx)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian services are not needed as system services: tests start their own servers.
for svc in postgresql redis-server coturn nginx; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then :; fi
done
echo "system packages ready"
