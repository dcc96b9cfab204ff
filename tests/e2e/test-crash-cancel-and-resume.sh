# Crash, then concurrent resumes: a `stargraph run` is SIGKILLed mid-step; six `resume`s of that
# run start at once. Exactly one executes it (to done); the others refuse at once, naming the
# process that executes it, and no step runs twice (one `step` event per step, one
# `run_resumed`). A `resume` while the original `run` is still alive is refused the same way.
# Then cancel and crash under `serve`: a cancel during a long `delay` step answers at once, the
# run ends `cancelled` without committing that step, and after a SIGKILL and a restart it stays so.
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"

cat > slow.yaml <<'EOF'
ir_version: "1.0.0"
id: "crash:resume"
nodes:
  - {id: begin, kind: set, config: {values: {phase: started}}}
  - {id: wait, kind: delay, config: {ms: 1500}}
  - {id: end, kind: set, config: {values: {phase: finished}}}
state_schema:
  phase: str
EOF

"$sg" run slow.yaml --checkpoint r.sqlite --no-summary >run.out 2>run.err &
run_pid=$!
trap 'kill -9 $run_pid 2>/dev/null || true' EXIT
run_id=""
for _ in $(seq 1 200); do
  run_id=$(sqlite3 r.sqlite "SELECT run_id FROM runs WHERE step_count = 1" 2>/dev/null)
  [ -n "$run_id" ] && break
  sleep 0.02
done
[ -n "$run_id" ] || fail "the run never committed its first step"

# While `run` is alive and inside the delay step, a resume is refused at once.
"$sg" resume "$run_id" --db r.sqlite --no-summary >live.out 2>live.err; rc=$?
expect_eq "$rc" "2" "exit code of a resume while the run executes"
grep -q "is being executed by stargraph run (pid $run_pid" live.err || fail "the refusal does not name the run's process: $(cat live.err)"

kill -9 "$run_pid"; wait "$run_pid" 2>/dev/null
expect_eq "$(sqlite3 r.sqlite "SELECT status FROM runs")" "running" "status after the kill"

for i in 1 2 3 4 5 6; do
  ( "$sg" resume "$run_id" --db r.sqlite --no-summary >"resume$i.out" 2>"resume$i.err"; echo $? >"resume$i.rc" ) &
done
wait
winners=$(grep -l '^0$' resume*.rc | wc -l)
expect_eq "$winners" "1" "resumes that executed the run (rc: $(cat resume*.rc | tr '\n' ' '))"
for i in 1 2 3 4 5 6; do
  rc=$(cat "resume$i.rc")
  if [ "$rc" = "0" ]; then
    grep -q "status=done" "resume$i.out" || fail "the winning resume did not finish the run: $(cat "resume$i.out")"
  else
    expect_eq "$rc" "2" "exit code of a refused resume"
    grep -q "is being executed by stargraph resume" "resume$i.err" || fail "resume $i failed for another reason: $(cat "resume$i.err")"
  fi
done
expect_eq "$(sqlite3 r.sqlite "SELECT status FROM runs")" "done" "status after the resumes"
expect_eq "$(sqlite3 r.sqlite "SELECT COUNT(*) FROM events WHERE type = 'run_resumed'")" "1" "run_resumed events"
expect_eq "$(sqlite3 r.sqlite "SELECT group_concat(step) FROM (SELECT step FROM events WHERE type = 'step' ORDER BY step)")" \
  "0,1,2" "step events (one per step)"
expect_eq "$(sqlite3 r.sqlite "SELECT COUNT(*) FROM run_executions")" "0" "execution claims left after the run ended"

# A finished run's claim is gone: resuming it is refused for its status, not for a claim.
"$sg" resume "$run_id" --db r.sqlite >after.out 2>after.err
grep -q "is being executed" after.err && fail "a claim outlived the run: $(cat after.err)"

sed -i 's/ms: 1500/ms: 20000/' slow.yaml
start_serve() {
  "$sg" serve --port 0 --db served.sqlite --graph slow.yaml 2>serve.log &
  serve_pid=$!
  await_serve
}
start_serve
run_id=$(curl -s -X POST "$base/v1/runs" -H 'Content-Type: application/json' -d '{"graph_id": "crash:resume"}' | jq -r .run_id)
for _ in $(seq 1 200); do
  [ "$(curl -s "$base/v1/runs/$run_id" | jq ".steps | length")" = "1" ] && break
  sleep 0.02
done
expect_eq "$(curl -s "$base/v1/runs/$run_id" | jq ".steps | length")" "1" "steps committed before the cancel"
sleep 0.3  # inside the 20 s delay step now
code=$(curl -s -o cancel.json -w '%{http_code} %{time_total}' -X POST "$base/v1/runs/$run_id/cancel")
read -r status seconds <<<"$code"
[ "$status" = "200" ] || [ "$status" = "202" ] || fail "cancel answered $status: $(cat cancel.json)"
awk "BEGIN { exit !($seconds < 2) }" || fail "cancel took $seconds s behind a 20 s delay step"
expect_eq "$(await_final_status "$base" "$run_id")" "cancelled" "status after the cancel"
kill -9 "$serve_pid"; wait "$serve_pid" 2>/dev/null
start_serve
sleep 1
expect_eq "$(curl -s "$base/v1/runs/$run_id" | jq -r '.status + " " + (.steps | length | tostring)')" "cancelled 1" \
  "the cancelled run after a crash and a restart (status, steps)"
expect_eq "$(sqlite3 served.sqlite "SELECT COUNT(*) FROM checkpoints WHERE run_id = '$run_id'")" "1" "checkpoints of the cancelled run"
kill -TERM "$serve_pid"; wait "$serve_pid"
exit 0
