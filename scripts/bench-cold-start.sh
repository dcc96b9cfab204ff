#!/usr/bin/env bash
# Median wall time of a cold `stargraph run examples/hello.yaml` (release build), 21 runs.
set -euo pipefail
bin="${1:-.build-release/release/stargraph}"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
times=()
for _ in $(seq 1 21); do
  start=$(date +%s%N)
  "$bin" run examples/hello.yaml --inputs message=hello --checkpoint "$work/cold.sqlite" --no-summary >/dev/null
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000 )))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 11p)
awk -v us="$median" 'BEGIN { printf "cold run hello.yaml:      %8.1f ms median of 21 (target ≤ 60 ms)\n", us / 1000 }'
