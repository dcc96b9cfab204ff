#!/usr/bin/env bash
# Runs every tests/e2e/test-*.sh against the real binary ($1) and prints "N passed, M failed".
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$(cd "$(dirname "${1:?usage: run-all.sh path/to/stargraph}")" && pwd)/$(basename "$1")"
passed=0; failed=0; failures=()
for test in "$here"/test-*.sh; do
  name="$(basename "$test" .sh)"
  work="$(mktemp -d)"
  if (cd "$work" && STARGRAPH="$bin" EXAMPLES="$here/../../examples" bash "$test") >"$work/log" 2>&1; then
    passed=$((passed + 1)); echo "ok   $name"
  else
    failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name"; sed 's/^/    | /' "$work/log" | tail -40
  fi
  rm -rf "$work"
done
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
