# SIGTERM while a plugin call blocks and ignores is_cancelled: the server exits after
# --drain-timeout instead of waiting for the call, starts no new step, and leaves the run
# `running` with only its committed steps, to continue on the next start.
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"

cat > manifest.yaml <<'YAML'
plugins:
  - {name: faulty, library: libSGTestFaulty.so}
YAML
cat > stuck.yaml <<'YAML'
ir_version: "1.0.0"
id: "e2e:stuck"
nodes:
  - {id: first, kind: set, config: {values: {phase: started}}}
  - {id: stuck, kind: faulty.blocks}
  - {id: never, kind: set, config: {values: {phase: finished}}}
state_schema: {phase: str}
YAML
"$sg" serve --port 0 --db drain.sqlite --manifest manifest.yaml --graph stuck.yaml --drain-timeout 1 2>serve.log & serve_pid=$!
await_serve
run_id=$(curl -sS -X POST "$base/v1/runs" -H 'Content-Type: application/json' -d '{"graph_id": "e2e:stuck"}' | jq -r .run_id)
for _ in $(seq 1 200); do
  [ "$(curl -sS "$base/v1/runs/$run_id" | jq -r .steps)" = "1" ] && break
  sleep 0.05
done
expect_eq "$(curl -sS "$base/v1/runs/$run_id" | jq -r .steps)" "1" "first step committed before SIGTERM"
sleep 0.3

kill -TERM "$serve_pid"
exited=""
for _ in $(seq 1 200); do
  kill -0 "$serve_pid" 2>/dev/null || { exited=yes; break; }
  sleep 0.1
done
[ -n "$exited" ] || fail "serve still running 20 s after SIGTERM with --drain-timeout 1 (a blocked plugin call held it): $(tail -5 serve.log)"
wait "$serve_pid"; expect_eq "$?" 0 "serve exit status after SIGTERM"
grep -q "shutdown did not wait for steps that ignore cancellation" serve.log || fail "the abandoned step is not logged: $(tail -5 serve.log)"

summary=$("$sg" inspect "$run_id" --db drain.sqlite --manifest manifest.yaml --json)
expect_eq "$(echo "$summary" | jq -r .status)" "running" "the run stays running, to continue on the next start"
expect_eq "$(echo "$summary" | jq -r '[.steps[].node] | join(",")')" "first" "only the committed step is stored"
exit 0
