#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: the Debian packages for the real
# services the tests start (Prometheus, Alertmanager, a Secret Service keyring, tmux, Redis,
# PostgreSQL, haproxy, Chromium for the approval page, buildah for the image), then the
# npm packages from the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(prometheus prometheus-alertmanager gnome-keyring dbus dbus-x11 libsecret-tools tmux g++ make python3 redis-server postgresql haproxy chromium buildah)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "Installing Debian packages: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm ci --no-audit --no-fund

# The agent CLIs the client tests run (kept out of package.json: large, test-only).
bash scripts/install-agent-clis.sh
