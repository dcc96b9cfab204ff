# Two `stargraph run` processes on one DB file and one audit log at the same time both finish.
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"

for i in 1 2 3 4; do
  ( for _ in 1 2 3 4 5; do
      "$sg" run "$EXAMPLES/pipeline.yaml" --inputs message=p$i --checkpoint shared.sqlite \
        --log-file audit.jsonl --no-summary | tail -1
    done ) > "out$i.txt" 2> "err$i.txt" &
done
wait
total=$(cat out*.txt | grep -c 'status=done$')
expect_eq "$total" 20 "runs done across 4 processes (stderr: $(cat err*.txt | head -5))"
"$sg" verify-audit audit.jsonl | grep -q '^ok ' || fail "audit chain broken by concurrent appends"
# Every run has exactly its three checkpoints.
for id in $(cat out*.txt | awk '{print $1}' | cut -d= -f2); do
  expect_eq "$("$sg" inspect "$id" --db shared.sqlite --json | jq -r '[.steps[].node] | join(",")')" \
    "node_a,node_b,node_c" "steps of $id"
done
# Editing one line of the audit log is caught, naming the line.
sed -i '3s/"run_id":"run-/"run_id":"RUN-/' audit.jsonl
"$sg" verify-audit audit.jsonl 2>err.txt; rc=$?
expect_eq "$rc" 2 "verify-audit on an edited log"
grep -q "line 3" err.txt || fail "verify-audit should name line 3: $(cat err.txt)"
exit 0
