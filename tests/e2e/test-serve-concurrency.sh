# A graph with max_concurrency: 1 (from the manifest) never has two runs running at once under
# parallel POSTs, while runs of a graph without a limit do run in parallel.
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"

graph() {
  cat <<EOF
ir_version: "1.0.0"
id: "$1"
nodes:
  - {id: begin, kind: set, config: {values: {phase: started}}}
  - {id: wait, kind: delay, config: {ms: $2}}
  - {id: end, kind: set, config: {values: {phase: finished}}}
state_schema:
  phase: str
EOF
}
graph "conc:serial" 30 > serial.yaml
graph "conc:free" 300 > free.yaml
cat > manifest.yaml <<'EOF'
graphs:
  - path: serial.yaml
  - path: free.yaml
max_concurrency:
  "conc:serial": 1
EOF

# One event loop for the listener: the parallel POSTs below all go through it.
"$sg" serve --manifest manifest.yaml --db conc.sqlite --port 0 --workers 8 --io-threads 1 --rate-limit 0 2>serve.log &
serve_pid=$!
await_serve

"$sg" serve --db other.sqlite --port 0 --io-threads 0 2>threads.log; rc=$?
expect_eq "$rc" 2 "serve with --io-threads 0"
grep -q "io-threads must be at least 1" threads.log || fail "--io-threads 0: $(cat threads.log)"

# A second server on the same port says so and exits 2.
"$sg" serve --db other.sqlite --port "${base##*:}" 2>second.log; rc=$?
expect_eq "$rc" 2 "second serve on a taken port"
grep -q "address is already in use" second.log || fail "second serve: $(cat second.log)"

post() { curl -s -o /dev/null -w "%{http_code}\n" -X POST "$base/v1/runs" -H "Content-Type: application/json" -d "{\"graph_id\": \"$1\", \"params\": {}}"; }
export -f post; export base
{ seq 1 40 | sed 's/.*/conc:serial/'; seq 1 6 | sed 's/.*/conc:free/'; } | xargs -P 16 -I{} bash -c 'post {}' > codes.txt
expect_eq "$(grep -c '^202$' codes.txt)" "46" "runs accepted"

# Sample statuses while they execute: never more than one conc:serial run running.
max_serial=0; max_free=0
for _ in $(seq 1 400); do
  read -r serial free left <<<"$(sqlite3 -separator ' ' conc.sqlite \
    "SELECT SUM(graph_id = 'conc:serial' AND status = 'running'), SUM(graph_id = 'conc:free' AND status = 'running'), SUM(status != 'done') FROM runs")"
  [ "${serial:-0}" -gt "$max_serial" ] && max_serial=$serial
  [ "${free:-0}" -gt "$max_free" ] && max_free=$free
  [ "${left:-1}" -eq 0 ] && break
  sleep 0.01
done
expect_eq "$(curl -s "$base/v1/runs?status=done&limit=1" | jq .total)" "46" "runs done"
[ "$max_serial" -le 1 ] || fail "saw $max_serial conc:serial runs running at once"

# Exact check from stored times: conc:serial runs never overlap (each starts after the previous finished).
overlaps=$(sqlite3 conc.sqlite "SELECT COUNT(*) FROM runs a JOIN runs b ON a.run_id < b.run_id
  WHERE a.graph_id = 'conc:serial' AND b.graph_id = 'conc:serial'
    AND a.started_at < b.finished_at AND b.started_at < a.finished_at")
expect_eq "$overlaps" "0" "overlapping conc:serial runs"
free_overlaps=$(sqlite3 conc.sqlite "SELECT COUNT(*) FROM runs a JOIN runs b ON a.run_id < b.run_id
  WHERE a.graph_id = 'conc:free' AND b.graph_id = 'conc:free'
    AND a.started_at < b.finished_at AND b.started_at < a.finished_at")
[ "$free_overlaps" -gt 0 ] || fail "conc:free runs never ran in parallel (max sampled running: $max_free)"
echo "max running at once: conc:serial $max_serial, conc:free $max_free; overlapping conc:free pairs: $free_overlaps"
exit 0
