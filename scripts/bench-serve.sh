#!/usr/bin/env bash
# Benchmark of `stargraph serve` (release build): POSTs runs of examples/pipeline.yaml over 8
# keep-alive connections (wrk, for SECONDS), waits until every accepted run is `done`, and prints
#   runs per second (first POST → last run done), p50/p99 latency of POST /v1/runs,
#   the server's RSS when idle and at peak (/proc/PID/status VmRSS, VmHWM),
#   the server's CPU time per run (user + system, from /proc/PID/stat): steadier than runs/s
#   on a shared machine, where other processes take cores away.
# Figures only; nothing is asserted. Usage: scripts/bench-serve.sh [SECONDS] [WORKERS]
# It measures the release build (scripts/release/build.sh), or the binary named by BENCH_BIN, on
# a new SQLite file, or on the empty database BENCH_DB names (a postgresql:// URL, say; the
# server CPU figure then leaves out PostgreSQL's own processes).
set -euo pipefail
seconds="${1:-10}"
workers="${2:-64}"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${BENCH_BIN:+$(cd "$(dirname "$BENCH_BIN")" && pwd)/$(basename "$BENCH_BIN")}"
if [ -z "$bin" ]; then
  bash "$root/scripts/release/build.sh" >/dev/null
  bin="$root/.build-release/release/stargraph"
fi

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)…" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  # A fresh machine may have no package lists yet: read them first.
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
fi

# A binary just written has all its pages in the page cache, and the kernel's fault-around then
# maps whole 64 KB windows of it: 2-3 MB more idle RSS than the same binary started later. Write
# it back and drop it from the cache, so the RSS figures do not depend on how fresh the build is.
sync "$bin" && dd if="$bin" iflag=nocache count=0 status=none

work="$(mktemp -d)"
trap 'kill -9 ${pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
"$bin" serve --port 0 --db "${BENCH_DB:-$work/bench.sqlite}" --graph "$root/examples/pipeline.yaml" \
  --rate-limit 0 --workers "$workers" 2>serve.log &
pid=$!
for _ in $(seq 1 200); do grep -q '^listening on ' serve.log && break; sleep 0.05; done
base=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' serve.log | head -1)
[ -n "$base" ] || { echo "serve did not start: $(cat serve.log)" >&2; exit 1; }
rss() { awk -v f="$1" '$1 == f":" {printf "%.1f MB", $2 / 1024}' "/proc/$pid/status"; }
# utime + stime of the server, in clock ticks (fields 14 and 15 after the command name).
cpu_ticks() { sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}'; }
curl -sf "$base/health" >/dev/null
sleep 1
idle_rss=$(rss VmRSS)

cat >post.lua <<'EOF'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"graph_id":"run:pipeline","params":{"message":"bench"}}'
function done(summary, latency, requests)
  io.write(string.format("posted=%d non2xx=%d errors=%d\n", summary.requests,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("p50_ms=%.3f p99_ms=%.3f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
EOF
cpu_before=$(cpu_ticks)
start=$(date +%s.%N)
wrk -t2 -c8 -d"${seconds}s" --timeout 10s -s post.lua "$base/v1/runs" >wrk.out
posted_at=$(date +%s.%N)
posted=$(sed -n 's/^posted=\([0-9]*\).*/\1/p' wrk.out)
non2xx=$(sed -n 's/.*non2xx=\([0-9]*\).*/\1/p' wrk.out)
accepted=$(( posted - non2xx ))
done_count=0
for _ in $(seq 1 6000); do
  done_count=$(curl -sf "$base/v1/runs?status=done&limit=1" | jq -r .total)
  [ "$done_count" -ge "$accepted" ] && break
  sleep 0.02
done
finished=$(date +%s.%N)
cpu_after=$(cpu_ticks)
peak_rss=$(rss VmHWM)
metric() { curl -sf "$base/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
commits=$(metric stargraph_store_commits_total)
writes=$(metric stargraph_store_writes_total)
kill -TERM "$pid"; wait "$pid" || true

awk -v a="$accepted" -v d="$done_count" -v s="$start" -v p="$posted_at" -v f="$finished" \
  -v c="$(( cpu_after - cpu_before ))" -v hz="$(getconf CLK_TCK)" 'BEGIN {
  printf "runs accepted:        %d (done: %d)\n", a, d
  printf "POST phase:           %.2f s (%.0f POST/s)\n", p - s, a / (p - s)
  printf "runs per second:      %.0f (first POST to last run done, %.2f s)\n", d / (f - s), f - s
  printf "server CPU per run:   %.0f µs (%.2f CPU s; %.2f cores busy)\n", c / hz / d * 1e6, c / hz, c / hz / (f - s)
}'
sed -n 's/^p50_ms=\([0-9.]*\) p99_ms=\([0-9.]*\)$/POST \/v1\/runs latency: p50 \1 ms, p99 \2 ms/p' wrk.out
echo "non-2xx responses:    $non2xx"
awk -v w="$writes" -v c="$commits" -v d="$done_count" 'BEGIN {
  if (c > 0 && d > 0) printf "group commit:         %.1f writes per SQLite commit (%.2f writes, %.2f commits per run)\n", w / c, w / d, c / d
}'
echo "server RSS idle:      $idle_rss"
echo "server RSS peak:      $peak_rss"
