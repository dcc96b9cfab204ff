# Helpers for e2e tests: fail with a message, assert equality, pull run ids.
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() { [ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"; }
run_id_of() { tail -1 | awk '{print $1}' | cut -d= -f2; }
# Prints the status of run $2 on server $1 once it is final (done, failed, cancelled), or the
# last status seen after 10 s.
await_final_status() {
  local status=""
  for _ in $(seq 1 200); do
    status=$(curl -sS "$1/v1/runs/$2" | jq -r .status)
    case "$status" in done|failed|cancelled) break ;; esac
    sleep 0.05
  done
  echo "$status"
}
# After `stargraph serve … 2>serve.log &` and `serve_pid=$!`: waits until serve prints its
# address, sets base=http://HOST:PORT, and kills the server if the test exits early.
await_serve() {
  trap 'kill -9 $serve_pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 200); do
    grep -q '^listening on ' serve.log && break
    kill -0 "$serve_pid" 2>/dev/null || fail "serve exited during boot: $(cat serve.log)"
    sleep 0.05
  done
  base=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' serve.log | head -1)
  [ -n "$base" ] || fail "serve never printed 'listening on http://HOST:PORT': $(cat serve.log)"
}
# Starts `$STARGRAPH serve --port 0 ARGS…` (after the log file $1, which gets its stderr),
# waits until /health answers, and sets pid and base; fails with the log when serve exits
# during start or never listens.
start_serve_logged() {
  local log="$1"; shift
  "$STARGRAPH" serve --port 0 "$@" 2>>"$log" &
  pid=$!
  for _ in $(seq 1 200); do
    base=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$log" | tail -1)
    [ -n "$base" ] && curl -sf "$base/health" >/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "serve exited during start"; }
    sleep 0.05
  done
  cat "$log" >&2
  fail "serve did not start"
}
