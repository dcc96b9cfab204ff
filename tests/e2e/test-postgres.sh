# The CLI and serve on a PostgreSQL database (the throwaway cluster of
# scripts/with-test-postgres.sh): `run --checkpoint`, `runs`, `inspect` and `replay` take the URL
# as `--db`; two `serve` replicas on one database answer for each other's runs; the password
# appears in no output and no log.
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"
admin="${STARGRAPH_TEST_POSTGRES_URL:?run through make test (scripts/with-test-postgres.sh sets STARGRAPH_TEST_POSTGRES_URL)}"
database="e2e_$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
psql -q "$admin" -c "CREATE DATABASE $database" || fail "cannot create the test database"
db="${admin/\/postgres?/\/$database?}"
password=$(sed -n 's|^postgresql://[^:]*:\([^@]*\)@.*|\1|p' <<<"$admin")
[ -n "$password" ] || fail "the test URL has no password"

# The CLI: a run checkpointed in PostgreSQL, listed, inspected and replayed from there.
out=$("$sg" run "$EXAMPLES/hello.yaml" --inputs message=pg --checkpoint "$db" 2>cli.log) || fail "run --checkpoint: $(cat cli.log)"
run_id=$(run_id_of <<<"$out")
[ -n "$run_id" ] || fail "no run id in: $out"
expect_eq "$("$sg" runs --db "$db" --json | jq -r '.items[0].run_id')" "$run_id" "runs --db postgresql://"
"$sg" inspect "$run_id" --db "$db" > inspect.txt 2>>cli.log || fail "inspect: $(cat cli.log)"
grep -q "done" inspect.txt || fail "inspect does not show the run done: $(cat inspect.txt)"
"$sg" replay "$run_id" --db "$db" > replay.txt 2>>cli.log || fail "replay: $(cat cli.log)"
grep -q '^cf_run_id=cf-' replay.txt || fail "replay printed no fork: $(cat replay.txt)"
expect_eq "$(psql -qtA "$db" -c "SELECT COUNT(*) FROM runs")" "2" "runs in PostgreSQL after run and replay"

# Two replicas on the database: a run accepted by A is read, streamed and listed by B.
cat > slow.yaml <<'YAML'
ir_version: "1.0.0"
id: "pg:slow"
nodes:
  - {id: one, kind: delay, config: {ms: 300}}
  - {id: two, kind: delay, config: {ms: 300}}
  - {id: three, kind: delay, config: {ms: 300}}
state_schema:
  message: str
YAML
sed 's/pg:slow/pg:long/; s/ms: 300/ms: 2000/' slow.yaml > long.yaml
pid=""
start_serve_logged a.log --db "$db" --graph "$EXAMPLES/graph.yaml" --graph slow.yaml --graph long.yaml --rate-limit 0
a_pid=$pid; a=$base
start_serve_logged b.log --db "$db" --graph "$EXAMPLES/graph.yaml" --graph slow.yaml --graph long.yaml --rate-limit 0 --db-pool-size 4
b_pid=$pid; b=$base
trap 'kill -9 $a_pid $b_pid 2>/dev/null' EXIT
posted=$(curl -s -X POST "$a/v1/runs" -H 'Content-Type: application/json' \
  -d '{"graph_id": "run:hello-stargraph", "params": {"message": "replicas"}}')
served=$(jq -r .run_id <<<"$posted")
[ "$served" != null ] || fail "POST to replica A: $posted"
expect_eq "$(await_final_status "$b" "$served")" "done" "the run, read from replica B"
expect_eq "$(curl -s "$b/v1/runs/$served" | jq -r .state.greeting)" "replicas, stargraph!" "its final state, from replica B"
expect_eq "$(curl -sN "$b/v1/runs/$served/events" | grep -c '^id: ')" "$(psql -qtA "$db" -c "SELECT COUNT(*) FROM events WHERE run_id = '$served'")" \
  "events streamed by replica B"
expect_eq "$(curl -s "$b/v1/runs?limit=10" | jq '.total')" "3" "runs listed by replica B"
# Live events of a run executing on A, streamed by B while it runs: the whole log, in order.
slow=$(curl -s -X POST "$a/v1/runs" -H 'Content-Type: application/json' -d '{"graph_id": "pg:slow"}' | jq -r .run_id)
curl -sN --max-time 20 "$b/v1/runs/$slow/events" | sed -n 's/^id: //p' > live-ids.txt
expect_eq "$(curl -s "$b/v1/runs/$slow" | jq -r .status)" "done" "the slow run, after B's stream ended"
expect_eq "$(tr '\n' ' ' < live-ids.txt)" "$(psql -qtA "$db" -c "SELECT seq FROM events WHERE run_id = '$slow' ORDER BY seq" | tr '\n' ' ')" \
  "events B streamed live of a run on A"
# A cancel sent to B for a run executing on A: 202 at once, and A stops the run at its next sweep.
long=$(curl -s -X POST "$a/v1/runs" -H 'Content-Type: application/json' -d '{"graph_id": "pg:long"}' | jq -r .run_id)
for _ in $(seq 1 100); do [ "$(curl -s "$a/v1/runs/$long" | jq -r .status)" = running ] && break; sleep 0.05; done
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$b/v1/runs/$long/cancel")" "202" "cancel sent to B for a run on A"
expect_eq "$(await_final_status "$b" "$long")" "cancelled" "the run on A, after the cancel sent to B"
# One idempotency key sent to both replicas at once: one run, whichever replica took it.
body='{"graph_id": "run:hello-stargraph", "params": {"message": "once"}, "idempotency_key": "e2e-once"}'
curl -s -X POST "$a/v1/runs" -H 'Content-Type: application/json' -d "$body" > once-a.json & once=$!
curl -s -X POST "$b/v1/runs" -H 'Content-Type: application/json' -d "$body" > once-b.json
wait $once
expect_eq "$(jq -r .run_id once-a.json)" "$(jq -r .run_id once-b.json)" "the run of one idempotency key on two replicas"
expect_eq "$(psql -qtA "$db" -c "SELECT COUNT(*) FROM idempotency_keys WHERE key = 'e2e-once'")" "1" "rows of the key"
expect_eq "$(curl -s "$a/health" | jq -r .status)" "ok" "replica A's health"

# The password never reaches output or logs.
kill -TERM $a_pid $b_pid; wait $a_pid $b_pid 2>/dev/null
for file in cli.log inspect.txt replay.txt a.log b.log; do
  grep -qF "$password" "$file" && fail "$file holds the database password"
done
psql -q "$admin" -c "DROP DATABASE $database WITH (FORCE)" >/dev/null
echo "postgres: run, runs, inspect and replay on a postgresql:// database; two serve replicas answer for each other's runs"
