#!/usr/bin/env bash
# The release build (`make release`, and what the benchmarks measure), into .build-release/release:
# the server, the benchmark and the three in-tree plugins the default manifest loads.
#   --static-swift-stdlib       the Swift runtime and Foundation linked into the executables;
#   -function-sections          one ELF section per function (Swift and C), so the linker can
#                               drop unused functions and place the ones it keeps;
#   lld --symbol-ordering-file  the functions serve uses first are placed together (the order is
#                               traced from the binary itself by trace-order.sh, then relinked);
#   --version-script            exports.map: only `main` and the plugin entry point are exported;
#   -no-pie                     no load-time relocation of the executable's data.
# See docs/release.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/.build-release"
order="$out/stargraph.order"
applied="$out/stargraph.order.applied"
cd "$root"
mkdir -p "$out"
[ -f "$order" ] || : >"$order"

build() {
  swift build -c release --product "$1" --scratch-path "$out" --static-swift-stdlib \
    -Xswiftc -use-ld=lld -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
    -Xlinker -no-pie -Xlinker --version-script="$root/scripts/release/exports.map" \
    -Xlinker --symbol-ordering-file="$order" -Xlinker --no-warn-symbol-ordering \
    -Xlinker --undefined-version
}
for product in stargraph stargraph-bench StargraphHello StargraphText StargraphDemoGraphs; do
  build "$product"
done

# When `stargraph` was relinked since its order was last applied, trace it and link it again.
bin="$out/release/stargraph"
if [ ! -f "$applied" ] || [ "$bin" -nt "$applied" ]; then
  bash "$root/scripts/release/trace-order.sh" "$bin" "$order"
  rm -f "$bin"
  build stargraph
  touch "$applied"
fi
