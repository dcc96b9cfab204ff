#!/usr/bin/env bash
# The seed tutorial "Serve and Replay", Steps 1–7, against the real binary, with curl and jq:
# boot `stargraph serve` (Step 1 flags, on a free port), write a run into the serve DB with
# `stargraph run --checkpoint` while serve runs (Step 2), read it over HTTP (Step 3), POST a
# run that the server really executes (Step 4), then replay, mutate and compare forks with the
# CLI (Steps 5–7) and fork the same way over HTTP.
# Usage: STARGRAPH=path/to/stargraph EXAMPLES=path/to/examples bash tutorial.sh  (in an empty folder)
set -euo pipefail
sg="${STARGRAPH:?set STARGRAPH to the stargraph binary}"
source "$(dirname "$0")/lib.sh"

cp "${EXAMPLES:?set EXAMPLES to the examples folder}/graph.yaml" ./graph.yaml

# Step 1 — Boot the API (port 0: the system picks a free one; serve prints it).
"$sg" serve \
  --profile oss-default \
  --host 127.0.0.1 \
  --port 0 \
  --db ./.stargraph/serve.sqlite \
  --audit-log ./.stargraph/audit.jsonl 2>serve.log &
serve_pid=$!
await_serve
health=$(curl -sS "$base/health")
expect_eq "$(jq -r .status <<<"$health")" ok "GET /health status"
expect_eq "$(curl -sS "$base/openapi.json" | jq -r .info.title)" Stargraph "the OpenAPI title the tutorial expects"
expect_eq "$(jq -r .components.store.status <<<"$health")" ok "store component"
expect_eq "$(jq -r .components.scheduler.status <<<"$health")" ok "scheduler component"
expect_eq "$(jq -r .components.broker.status <<<"$health")" unconfigured "broker without nautilus.yaml"
grep -c 'broker unconfigured' serve.log | grep -qx 1 || fail "expected one broker warning line: $(cat serve.log)"

# Step 2 — a run written by another process on the serve DB, while serve runs.
"$sg" run graph.yaml \
  --inputs message=hello \
  --checkpoint ./.stargraph/serve.sqlite \
  --log-file ./.stargraph/audit.jsonl >run.out
tail -1 run.out | grep -q 'status=done$' || fail "stargraph run: $(tail -3 run.out)"
RUN_ID=$("$sg" run graph.yaml --inputs message=hello \
  --checkpoint ./.stargraph/serve.sqlite --no-summary | tail -1 | awk '{print $1}' | cut -d= -f2)
echo "$RUN_ID" | grep -q '^run-' || fail "no run id from stargraph run: '$RUN_ID'"

# Step 3 — Poll over HTTP: the server reads the store, so the CLI's run is visible.
summary=$(curl -sS "$base/v1/runs/$RUN_ID")
expect_eq "$(jq -r .run_id <<<"$summary")" "$RUN_ID" "run_id"
expect_eq "$(jq -r .status <<<"$summary")" done "status of the CLI run"
jq -e '.graph_hash | startswith("sha256:")' <<<"$summary" >/dev/null || fail "graph_hash: $summary"
jq -e '.started_at != null and .finished_at != null' <<<"$summary" >/dev/null || fail "timestamps: $summary"
# The list command of the original docs: items with a cursor.
expect_eq "$(curl -s 'http://'"${base#http://}"'/v1/runs?limit=10' | jq -r '.items[].run_id' | grep -c "$RUN_ID")" 1 "Step 3's list shows the run"
page=$(curl -sS "$base/v1/runs?limit=1")
expect_eq "$(jq -r '.items | length' <<<"$page")" 1 "page size with limit=1"
expect_eq "$(jq -r .total <<<"$page")" 2 "total runs"
second=$(curl -sS "$base/v1/runs?limit=1&cursor=$(jq -r .next_cursor <<<"$page")")
expect_eq "$(jq -r '.items | length' <<<"$second")/$(jq -r .next_cursor <<<"$second")" "1/null" "the cursor's page is the last"
[ "$(jq -r '.items[0].run_id' <<<"$page")" != "$(jq -r '.items[0].run_id' <<<"$second")" ] || fail "the second page repeats the first"
steps=$(curl -sS "$base/v1/runs/$RUN_ID/steps")
expect_eq "$(jq -r '[.steps[].node] | join(",")' <<<"$steps")" "greet,done" "steps of the CLI run"

# Step 4 — Try the enqueue surface: the run really executes.
posted=$(curl -sS -w '\n%{http_code}' -X POST "$base/v1/runs" \
  -H "Content-Type: application/json" \
  -d '{"graph_id": "run:hello-stargraph", "params": {"message": "hello"}}')
expect_eq "$(tail -1 <<<"$posted")" 202 "POST /v1/runs status code"
NEW_ID=$(head -1 <<<"$posted" | jq -r .run_id)
echo "$NEW_ID" | grep -q '^run-' || fail "POST /v1/runs gave no run id: $posted"
# No manifest registers the graph: it is the one Step 2 stored in this database.
cli_hash=$(curl -sS "$base/v1/runs/$RUN_ID" | jq -r .graph_hash)
expect_eq "$(head -1 <<<"$posted" | jq -r '.origin + " " + .graph_hash')" "database $cli_hash" "origin and graph_hash of the POSTed run"
expect_eq "$(curl -sS "$base/v1/graphs" | jq -r '.items[] | select(.id == "run:hello-stargraph") | .origin')" database "GET /v1/graphs lists the stored graph"
pinned=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$base/v1/runs" -H "Content-Type: application/json" \
  -d '{"graph_id": "run:hello-stargraph", "graph_hash": "sha256:0000", "params": {"message": "hello"}}')
expect_eq "$pinned" 409 "a pinned graph_hash that differs"
status=$(await_final_status "$base" "$NEW_ID")
expect_eq "$status" done "status of the POSTed run"
expect_eq "$(curl -sS "$base/v1/runs/$NEW_ID" | jq -r .state.greeting)" "hello, stargraph!" "state.greeting"
expect_eq "$(curl -sS "$base/v1/runs/$NEW_ID" | jq -r .graph_origin)" database "the run says its graph came from the database"

# Step 5 — Replay the real run: a fresh cf id and an empty diff for a no-op fork.
out=$("$sg" replay "$RUN_ID" --db ./.stargraph/serve.sqlite)
echo "$out" | grep -qE '^cf_run_id=cf-[0-9a-f-]{36}$' || fail "replay stdout: $out"
noop=$("$sg" replay "$RUN_ID" --db ./.stargraph/serve.sqlite --from-step 0 --diff)
expect_eq "$(jq -c '[.added_steps, .removed_steps, .state_deltas, .fact_deltas]' <<<"$noop")" '[[],[],{},{}]' "no-op diff"

# Step 6 — Mutate state on replay (commands verbatim).
cat > mutation.json <<EOF
{
  "state_overrides": {"message": "mutated"},
  "facts_assert": [],
  "facts_retract": []
}
EOF
mutated=$("$sg" replay "$RUN_ID" \
  --db ./.stargraph/serve.sqlite \
  --mutation mutation.json \
  --from-step 0 \
  --diff)
expect_eq "$(jq -r '.state_deltas["0"].message.cf' <<<"$mutated")" mutated "state.message at step 0 of the fork"
expect_eq "$(jq -r '.state_deltas["0"].greeting.cf' <<<"$mutated")" "mutated, stargraph!" "greeting recomputed by the fork"
CF_RUN_ID=$("$sg" replay "$RUN_ID" --db ./.stargraph/serve.sqlite \
  --mutation mutation.json | head -1 | cut -d= -f2)
"$sg" inspect "$CF_RUN_ID" --db ./.stargraph/serve.sqlite >inspect.out
grep -q "parent  $RUN_ID  forked at step 0" inspect.out || fail "inspect of the fork: $(cat inspect.out)"

# Step 7 — Verify determinism: two replays, one derived_hash.
h1=$("$sg" replay "$RUN_ID" --db ./.stargraph/serve.sqlite --diff | jq -r '.derived_hash')
h2=$("$sg" replay "$RUN_ID" --db ./.stargraph/serve.sqlite --diff | jq -r '.derived_hash')
expect_eq "$h1" "$h2" "derived_hash of two identical replays"

# The same fork over HTTP runs in the scheduler and derives the same hash as the CLI's.
forked=$(curl -sS -w '\n%{http_code}' -X POST "$base/v1/runs/$RUN_ID/counterfactual" \
  -H "Content-Type: application/json" -d "{\"from_step\": 0, \"mutation\": $(cat mutation.json)}")
expect_eq "$(tail -1 <<<"$forked")" 202 "POST counterfactual status code"
HTTP_CF=$(head -1 <<<"$forked" | jq -r .run_id)
echo "$HTTP_CF" | grep -q '^cf-' || fail "counterfactual gave no cf id: $forked"
status=$(await_final_status "$base" "$HTTP_CF")
expect_eq "$status" done "status of the HTTP fork"
expect_eq "$(curl -sS "$base/v1/runs/$HTTP_CF/diff" | jq -r .derived_hash)" "$(jq -r .derived_hash <<<"$mutated")" "HTTP and CLI forks derive one hash"
bad=$(curl -sS -w '\n%{http_code}' -X POST "$base/v1/runs/$RUN_ID/counterfactual" -H "Content-Type: application/json" -d '{"from_step": 99}')
expect_eq "$(tail -1 <<<"$bad")" 422 "fork past the end"

# Clean shutdown: SIGTERM drains and exits 0.
kill -TERM $serve_pid
rc=0; wait $serve_pid || rc=$?
trap - EXIT
expect_eq "$rc" 0 "serve exit status after SIGTERM"
"$sg" verify-audit ./.stargraph/audit.jsonl | grep -q '^ok ' || fail "audit log shared by serve and run does not verify"
# Both processes anchored the shared log's head in the shared database.
"$sg" verify-audit ./.stargraph/audit.jsonl --db ./.stargraph/serve.sqlite | grep -q '^anchors from DB: ok' \
  || fail "the shared audit log does not agree with its anchors: $("$sg" verify-audit ./.stargraph/audit.jsonl --db ./.stargraph/serve.sqlite 2>&1)"
echo "tutorial steps 1-7: ok"
