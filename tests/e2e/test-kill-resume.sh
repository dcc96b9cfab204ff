# A run SIGKILLed during a delay node resumes and finishes with exactly one checkpoint per step.
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"

"$sg" run "$EXAMPLES/slow.yaml" --checkpoint k.sqlite --log-file audit.jsonl >/dev/null 2>&1 &
pid=$!
run_id=""
for _ in $(seq 1 100); do
  [ -s audit.jsonl ] && run_id=$(head -1 audit.jsonl | jq -r .run_id) && \
    [ "$("$sg" inspect "$run_id" --db k.sqlite --json 2>/dev/null | jq '.steps | length')" == "1" ] && break
  sleep 0.1
done
[ -n "$run_id" ] || fail "run never started"
kill -9 "$pid"; wait "$pid" 2>/dev/null
expect_eq "$("$sg" inspect "$run_id" --db k.sqlite --json | jq -r .status)" "running" "status after kill"
expect_eq "$("$sg" inspect "$run_id" --db k.sqlite --json | jq '.steps | length')" "1" "steps after kill"

out=$("$sg" resume "$run_id" --db k.sqlite --log-file audit.jsonl --no-summary); rc=$?
expect_eq "$rc" 0 "resume exit code"
expect_eq "$(echo "$out" | tail -1 | awk '{print $2}')" "status=done" "status after resume"
json=$("$sg" inspect "$run_id" --db k.sqlite --json)
expect_eq "$(echo "$json" | jq -r '[.steps[].node] | join(",")')" "start,wait,finish,stop" "nodes"
expect_eq "$(echo "$json" | jq -r '[.steps[].step] | join(",")')" "0,1,2,3" "one checkpoint per step"
expect_eq "$(echo "$json" | jq -r .state.phase)" "finished" "final state"
"$sg" verify-audit audit.jsonl >/dev/null || fail "audit chain broken across kill/resume"
"$sg" resume "$run_id" --db k.sqlite >/dev/null 2>&1; expect_eq "$?" 2 "resuming a done run"
exit 0
