#!/usr/bin/env bash
# `make install`: puts `stargraph` on PATH.
#   scripts/install.sh PREFIX [BUILD_FOLDER]
# BUILD_FOLDER (default: the release build, .build-release/release) holds the binary and the
# in-tree plugins. They are copied into PREFIX/lib/stargraph, with the default manifest and the
# example graphs, and PREFIX/bin/stargraph links to the binary there: the host looks for plugin
# libraries named without a path beside its own executable, so the default manifest's bare names
# resolve from any working directory.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${1:?usage: scripts/install.sh PREFIX [BUILD_FOLDER]}"
build="${2:-$root/.build-release/release}"
home="$prefix/lib/stargraph"
for file in stargraph libStargraphHello.so libStargraphText.so libStargraphDemoGraphs.so; do
  [ -f "$build/$file" ] || { echo "install: $build/$file is missing; build first (make release)" >&2; exit 1; }
done
mkdir -p "$prefix/bin" "$home/manifests" "$home/examples"
install -m 0755 "$build/stargraph" "$home/stargraph"
install -m 0644 "$build"/libStargraphHello.so "$build"/libStargraphText.so "$build"/libStargraphDemoGraphs.so "$home/"
install -m 0644 "$root/manifests/default.yaml" "$home/manifests/default.yaml"
install -m 0644 "$root"/examples/*.yaml "$home/examples/"
ln -sfn "../lib/stargraph/stargraph" "$prefix/bin/stargraph"
echo "installed $("$prefix/bin/stargraph" --version) into $prefix (bin/stargraph → lib/stargraph/)"
