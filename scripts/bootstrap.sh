#!/usr/bin/env bash
# Installs the system packages the build needs, only when they are missing; with `test`, also
# those the tests use (PostgreSQL and openssl for a throwaway cluster, sqlite3 and python3 clients).
set -euo pipefail
packages=(libsqlite3-dev libyaml-dev jq curl)
[ "${1:-}" = "test" ] && packages+=(postgresql sqlite3 python3 openssl)
need=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
command -v swift >/dev/null || { echo "swift is not on PATH (expected Swift 6.x at /opt/swift)"; exit 1; }
