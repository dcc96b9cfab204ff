#!/usr/bin/env bash
# Property-based fuzzing of the live server against its own /openapi.json with Schemathesis
# (PyPI). Boots `stargraph serve` (debug build) on a free port with the example graphs, runs
# every check (no 5xx, status codes / content types / headers / bodies as documented, 405 with
# Allow for unsupported methods, invalid input rejected), bounded in examples and time.
# Not part of `make test`. Usage: scripts/fuzz-api.sh [MAX_EXAMPLES] [MAX_SECONDS]
set -euo pipefail
max_examples="${1:-50}"
max_time="${2:-240}"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${STARGRAPH:-$root/.build/debug/stargraph}"

if ! command -v schemathesis >/dev/null; then
  echo "installing schemathesis (PyPI)…" >&2
  python3 -m pip install --quiet schemathesis
fi
[ -x "$bin" ] || (cd "$root" && swift build --product stargraph >/dev/null)

work="$(mktemp -d)"
trap 'kill -9 ${pid:-} 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
# The example policy broker is configured, so its routes answer for real (without it they
# answer 503, as an unconfigured broker must).
mkdir broker
cp "$root"/examples/broker/{nautilus.yaml,graph.yaml,incidents.sql} broker/
python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).executescript(open(sys.argv[2]).read())' \
  broker/incidents.sqlite broker/incidents.sql
# An audit log, so the audit routes answer for real too.
"$bin" audit-key audit.key >/dev/null 2>&1
# Webhooks on, allowed to one local port where nothing listens, so a run's webhook is checked
# and its deliveries are attempted (and retried) for real.
cat >manifest.yaml <<'YAML'
webhooks:
  secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
  allow: ["127.0.0.1:9"]
  default: {url: "http://127.0.0.1:9/fuzz", events: [run_done, step]}
YAML
"$bin" serve --port 0 --db "$work/fuzz.sqlite" --manifest manifest.yaml --audit-log audit.jsonl --audit-signing-key audit.key \
  --graph "$root/examples/graph.yaml" --graph "$root/examples/pipeline.yaml" \
  --graph "$root/examples/hitl-graph.yaml" --graph broker/graph.yaml \
  --nautilus-config broker/nautilus.yaml --rate-limit 0 2>serve.log &
pid=$!
for _ in $(seq 1 200); do grep -q '^listening on ' serve.log && break; sleep 0.05; done
base=$(sed -n 's/^listening on \(http:[^ ]*\)$/\1/p' serve.log | head -1)
[ -n "$base" ] || { echo "serve did not start: $(cat serve.log)" >&2; exit 1; }

# Every check on every operation, except:
# - positive_data_acceptance on POST /v1/runs and /v1/runs/wait: which params are accepted depends on the graph
#   named at run time (no static schema can say), and a body whose idempotency_key differs from
#   the Idempotency-Key header is refused (422) on purpose;
# - positive_data_acceptance on the counterfactual routes, for the same reason: a mutation's
#   values must fit the parent's graph and from_step its steps, and a diff without ?against is
#   only defined for forks (422 otherwise), which no static schema can say of a run id;
# - positive_data_acceptance on GET /v1/runs: a cursor is opaque, and only one the server
#   issued (for the same filters) is valid, which no schema can say;
# - GET /v1/runs/{id}/stream, a WebSocket: an HTTP fuzzer only ever gets its 426 answer;
# - GET /v1/runs/{id}/events, Server-Sent Events: the response of a run that waits for input
#   stays open by design, which a request timeout would count as a failure.
cat >schemathesis.toml <<'TOML'
[[operations]]
include-operation-id = "submitRun"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "submitRunAndWait"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "listRuns"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "forkRun"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "diffRun"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "streamRun"
enabled = false

[[operations]]
include-operation-id = "runEvents"
enabled = false
TOML
rc=0
schemathesis --config-file schemathesis.toml run "$base/openapi.json" --url "$base" \
  --max-examples "$max_examples" --max-time "$max_time" \
  --workers 2 --request-timeout 10 --suppress-health-check all \
  --report junit --report-dir "$root/.build/fuzz-report" || rc=$?
kill -0 "$pid" 2>/dev/null || { echo "the server died during fuzzing: $(tail -20 serve.log)" >&2; exit 1; }
kill -TERM "$pid"; wait "$pid" || true
exit "$rc"
