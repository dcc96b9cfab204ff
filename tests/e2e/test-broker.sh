# The policy broker against the real binary: `stargraph broker check` on the example config
# (valid, invalid with file:line:column, missing), then `stargraph serve` with it: /health,
# the sources listing, a direct request, and the example graph run through POST /v1/runs.
set -euo pipefail
sg="${STARGRAPH:?set STARGRAPH to the stargraph binary}"
source "$(dirname "$0")/lib.sh"

mkdir broker
cp "${EXAMPLES:?set EXAMPLES to the examples folder}"/broker/{nautilus.yaml,graph.yaml,incidents.sql} broker/
if command -v sqlite3 >/dev/null; then
  sqlite3 broker/incidents.sqlite <broker/incidents.sql
else
  python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).executescript(open(sys.argv[2]).read())' broker/incidents.sqlite broker/incidents.sql
fi

# broker check: valid
out=$("$sg" broker check --nautilus-config broker/nautilus.yaml)
grep -q 'source incident-db (sqlite, internal)' <<<"$out" || fail "check output: $out"
grep -q 'incidents.sqlite' <<<"$out" && fail "check printed a connection string: $out"
[ "$("$sg" broker check --nautilus-config broker/nautilus.yaml --json | jq -r '.sources | length')" == 3 ] || fail "check --json"

# broker check: an unknown key is named with file:line:column, exit 2
sed 's/^    max_rows: 50$/    max_rows: 50\n    colour: red/' broker/nautilus.yaml >broker/bad.yaml
line=$(grep -n '^    colour: red$' broker/bad.yaml | cut -d: -f1)
set +e; err=$("$sg" broker check --nautilus-config broker/bad.yaml 2>&1); code=$?; set -e
expect_eq "$code" 2 "exit code for a bad config"
grep -q "broker/bad.yaml:$line:5: unknown key 'colour'" <<<"$err" || fail "bad config message: $err"
set +e; "$sg" broker check --nautilus-config broker/none.yaml >/dev/null 2>&1; code=$?; set -e
expect_eq "$code" 2 "exit code for a missing config"

# serve with the broker
"$sg" serve --host 127.0.0.1 --port 0 --db ./serve.sqlite \
  --nautilus-config broker/nautilus.yaml --graph broker/graph.yaml 2>serve.log &
serve_pid=$!
await_serve
grep -q 'generated a new Ed25519 key' serve.log || fail "no key-generation log line: $(cat serve.log)"
expect_eq "$(stat -c %a broker/keys/broker-ed25519.key)" 600 "key file mode"
expect_eq "$(curl -sS "$base/health" | jq -r .components.broker.status)" ok "broker health"
expect_eq "$(curl -sS "$base/v1/broker/sources" | jq -r '[.sources[].id] | join(",")')" "product-catalog,incident-db,hr-records" "sources"
expect_eq "$(curl -sS "$base/v1/broker/jwks.json" | jq -r '.keys[0].crv')" Ed25519 "jwks"

answer=$(curl -sS "$base/v1/broker/request" -H 'Content-Type: application/json' \
  -d '{"agent_id": "kiosk", "intent": "open incidents", "context": {"purpose": "support"}}')
expect_eq "$(jq -r '.denial_records[0].rule' <<<"$answer")" clearance "kiosk denied by clearance"

run_id=$(curl -sS "$base/v1/runs" -H 'Content-Type: application/json' \
  -d '{"graph_id": "graph:broker-demo", "params": {"agent_id": "support-bot", "question": "product and incident status"}}' | jq -r .run_id)
await_final_status "$base" "$run_id" >/dev/null
summary=$(curl -sS "$base/v1/runs/$run_id")
expect_eq "$(jq -r .status <<<"$summary")" done "broker run status"
expect_eq "$(jq -r '.state.answer.sources_queried | join(",")' <<<"$summary")" "product-catalog,incident-db" "queried sources"
expect_eq "$(jq -r '.state.answer.data["incident-db"] | length' <<<"$summary")" 2 "incident rows"
expect_eq "$(wc -l <broker/audit/broker.jsonl | tr -d ' ')" 2 "audit lines"
"$sg" verify-audit broker/audit/broker.jsonl >/dev/null || fail "broker audit chain does not verify"

kill -TERM $serve_pid
wait $serve_pid || fail "serve did not exit cleanly"
trap - EXIT
echo "broker e2e ok"
