# Crash test: 500 runs accepted over HTTP, the server SIGKILLed while they execute,
# restarted on the same DB: every accepted run ends done with one checkpoint per step, and no
# step ran twice past its last checkpoint (one `step` event per step in the durable event log).
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"
runs=500
steps=4

cat > crash.yaml <<'EOF'
ir_version: "1.0.0"
id: "crash:slow"
nodes:
  - {id: begin, kind: set, config: {values: {phase: started}}}
  - {id: wait1, kind: delay, config: {ms: 150}}
  - {id: wait2, kind: delay, config: {ms: 150}}
  - {id: end, kind: set, config: {values: {phase: finished}}}
state_schema:
  phase: str
  message: str
EOF
printf 'graphs:\n  - path: crash.yaml\n' > manifest.yaml

pid=""
base=""
start_server() {
  start_serve_logged "serve-$1.log" --manifest manifest.yaml --db crash.sqlite --workers 8 --rate-limit 0
}
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null' EXIT

start_server 1
started=$(date +%s)
# 500 POSTs, 16 at a time: bodies to posts/N.json, "N <http code>" lines to codes.txt.
mkdir posts
seq 1 "$runs" | xargs -P 16 -I{} curl -s -o "posts/{}.json" -w '{} %{http_code}\n' -X POST "$base/v1/runs" \
  -H "Content-Type: application/json" \
  -d '{"graph_id": "crash:slow", "params": {"message": "m{}"}, "idempotency_key": "crash-{}"}' > codes.txt
grep -vE ' (200|202)$' codes.txt | head -3 >&2
grep -E ' (200|202)$' codes.txt | awk '{print "posts/" $1 ".json"}' | xargs jq -r .run_id > accepted.txt
accepted=$(wc -l < accepted.txt)
expect_eq "$accepted" "$runs" "runs accepted before the kill"

echo "accepted $accepted runs in $(( $(date +%s) - started )) s"

# Kill while runs execute: as soon as one run has committed steps without being done.
for _ in $(seq 1 200); do
  [ "$(sqlite3 crash.sqlite "SELECT COUNT(*) FROM runs WHERE status = 'running' AND step_count > 0")" -gt 0 ] && break
  sleep 0.02
done
kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=""
read -r done_at_kill running_at_kill <<<"$(sqlite3 -separator ' ' crash.sqlite \
  "SELECT SUM(status = 'done'), SUM(status = 'running') FROM runs")"
echo "at kill: $done_at_kill done, $running_at_kill running of $runs"
[ "$done_at_kill" -lt "$runs" ] || fail "every run finished before the kill; the kill must land mid-run"
[ "$running_at_kill" -gt 0 ] || fail "no run was mid-execution at the kill"
half_done=$(sqlite3 crash.sqlite "SELECT COUNT(*) FROM runs WHERE status = 'running' AND step_count > 0")
echo "runs with committed steps but not done at kill: $half_done"

start_server 2
for _ in $(seq 1 600); do
  left=$(sqlite3 crash.sqlite "SELECT COUNT(*) FROM runs WHERE status != 'done'")
  [ "$left" -eq 0 ] && break
  sleep 0.05
done
expect_eq "$(curl -s "$base/v1/runs?status=done&limit=1" | jq .total)" "$runs" "runs done after restart (GET /v1/runs)"

# Every accepted run: done, checkpoints for steps 0..3 exactly, over HTTP.
mkdir steps
xargs -P 8 -I{} curl -s -o "steps/{}.json" "$base/v1/runs/{}/steps" < accepted.txt
jq -r '[.run_id, .status, ([.steps[].step] | map(tostring) | join(","))] | join(" ")' steps/*.json > steps.txt
bad=$(grep -vc " done 0,1,2,3$" steps.txt)
expect_eq "$bad" "0" "runs not done with exactly one checkpoint per step ($(grep -v ' done 0,1,2,3$' steps.txt | head -3))"
expect_eq "$(wc -l < steps.txt)" "$runs" "runs checked over HTTP"

# The durable event log: exactly one `step` event per step, one run_done per run, and no
# pending_runs rows left.
dupes=$(sqlite3 crash.sqlite "SELECT COUNT(*) FROM (SELECT run_id, step FROM events WHERE type = 'step' GROUP BY run_id, step HAVING COUNT(*) > 1)")
expect_eq "$dupes" "0" "steps with more than one step event (executed twice past a checkpoint)"
expect_eq "$(sqlite3 crash.sqlite "SELECT COUNT(*) FROM events WHERE type = 'step'")" "$((runs * steps))" "step events"
expect_eq "$(sqlite3 crash.sqlite "SELECT COUNT(*) FROM events WHERE type = 'run_done'")" "$runs" "run_done events"
expect_eq "$(sqlite3 crash.sqlite "SELECT COUNT(*) FROM runs")" "$runs" "runs stored (no duplicate from a retried POST)"
expect_eq "$(sqlite3 crash.sqlite "SELECT COUNT(*) FROM pending_runs")" "0" "queue rows left"

kill -TERM "$pid"; wait "$pid"; rc=$?; pid=""
expect_eq "$rc" "0" "serve exit code on SIGTERM"
echo "crash test took $(( $(date +%s) - started )) s"
exit 0
