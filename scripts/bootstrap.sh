#!/usr/bin/env bash
# Installs the system packages the build needs, only when they are missing.
set -euo pipefail
need=()
for pkg in libsqlite3-dev libyaml-dev jq curl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
command -v swift >/dev/null || { echo "swift is not on PATH (expected Swift 6.x at /opt/swift)"; exit 1; }
