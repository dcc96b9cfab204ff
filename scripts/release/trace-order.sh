#!/usr/bin/env bash
# Writes the link order of the release build (called by build.sh): the functions `stargraph serve`
# runs while it starts and serves its first runs, in the order it first ran them, one symbol per
# line for lld's --symbol-ordering-file. The kernel maps a binary's code in 64 KB windows, so code
# scattered across the binary makes most of it resident; placed together, it takes a few MB.
#
# How: serve runs under pagetrace.so (LD_PRELOAD), which records each code page the first time it
# is used: from the repository root (`make serve`: the default manifest and its plugins), then the
# benchmark's setup (examples/pipeline.yaml), three rounds of both. The symbols on those pages,
# ranked by the page's first use, are the order. Functions it does not name keep the default
# order, so an order traced from an older binary costs memory, never correctness.
# Usage: trace-order.sh BIN ORDER_FILE. Needs clang (part of the Swift toolchain) and curl.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$1"
order="$2"

work="$(mktemp -d)"
trap 'kill -9 ${pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT
clang -shared -fPIC -O2 -o "$work/pagetrace.so" "$root/scripts/release/pagetrace.c" -lpthread

# trace DIR OUT GRAPH_ID [serve flags…]: serve from DIR under the tracer, post 20 runs of GRAPH_ID
# and read them back, then wait for the tracer to write OUT.
trace() {
  local dir="$1" out="$2" graph="$3"; shift 3
  (cd "$dir" && SWIFT_BACKTRACE=enable=no PAGETRACE_OUT="$out" PAGETRACE_SECONDS=8 \
    LD_PRELOAD="$work/pagetrace.so" exec "$bin" serve --port 0 --db "$work/$graph.sqlite" "$@" \
    2>"$work/serve.log") &
  pid=$!
  for _ in $(seq 1 100); do grep -q '^listening on ' "$work/serve.log" && break; sleep 0.05; done
  local base
  base=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' "$work/serve.log")
  [ -n "$base" ] || { echo "trace-order: serve did not start: $(cat "$work/serve.log")" >&2; exit 1; }
  curl -sf "$base/health" >/dev/null
  for _ in $(seq 1 20); do
    curl -sf -H 'Content-Type: application/json' \
      -d "{\"graph_id\":\"$graph\",\"params\":{\"message\":\"order\"}}" "$base/v1/runs" >/dev/null
  done
  sleep 1
  curl -sf "$base/v1/runs?limit=5" >/dev/null
  curl -sf "$base/metrics" >/dev/null
  for _ in $(seq 1 100); do [ -s "$out" ] && break; sleep 0.2; done
  [ -s "$out" ] || { echo "trace-order: the tracer wrote nothing to $out" >&2; exit 1; }
  kill -TERM "$pid"; wait "$pid" || true
}
# Three rounds: which functions run depends on thread timing, and a function one trace missed
# lands outside the placed block (one round alone leaves about 2.5 MB more resident). The first
# round starts on a new database, the others on that database again.
for round in 1 2 3; do
  trace "$root" "$work/default.$round.pages" "run:hello-stargraph"
  trace "$work" "$work/pipeline.$round.pages" "run:pipeline" --graph "$root/examples/pipeline.yaml" --rate-limit 0
  cat "$work/default.$round.pages" "$work/pipeline.$round.pages" >>"$work/all.pages"
done
nm --defined-only --print-size --radix=d "$bin" | awk '
  NR == FNR { page = int($1 / 4096); if (!(page in rank)) rank[page] = FNR; next }
  NF == 4 && $3 ~ /^[tTwW]$/ {
    first = int($1 / 4096); last = int(($1 + ($2 > 0 ? $2 : 1) - 1) / 4096); best = 0
    for (p = first; p <= last; p++) if ((p in rank) && (best == 0 || rank[p] < best)) best = rank[p]
    if (best > 0) print best, $1, $4
  }' "$work/all.pages" - | sort -n -k1,1 -k2,2 | awk '!seen[$3]++ { print $3 }' >"$order"
echo "trace-order: $(wc -l <"$order") functions placed first" >&2
