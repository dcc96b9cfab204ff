# Webhooks: a receiver on 127.0.0.1 that answers 500 to the first 3 attempts of every message
# and then 204 gets exactly one accepted delivery per subscribed event, each signed as Standard
# Webhooks says (verified here with Python's hmac, not our code); the host, SIGKILLed while a
# delivery is pending, delivers it after restart; URLs outside the allow-list are refused.
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"
secret="whsec_$(head -c 32 /dev/urandom | base64)"
export SG_WEBHOOK_SECRET="$secret"

cat > receiver.py <<'EOF'
import base64, hashlib, hmac, http.server, json, sys, threading, time
secret = base64.b64decode(sys.argv[1].removeprefix("whsec_"))
fail_first = int(sys.argv[2])
attempts, lock = {}, threading.Lock()
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        msg_id, ts = self.headers["webhook-id"], self.headers["webhook-timestamp"]
        expected = base64.b64encode(hmac.new(secret, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()).decode()
        signed = ("v1," + expected) in self.headers["webhook-signature"].split(" ")
        fresh = abs(time.time() - int(ts)) < 300
        event = json.loads(body)
        with lock:
            attempts[msg_id] = attempts.get(msg_id, 0) + 1
            n = attempts[msg_id]
            accept = n > fail_first
            with open("attempts.log", "a") as log:
                log.write(f"{msg_id} {n} {event['type']} {event['data']['run_id']} {int(signed and fresh)} {204 if accept else 500}\n")
        self.send_response(204 if accept else 500)
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[3]) if len(sys.argv) > 3 else 0), Hook)
open("receiver.port", "w").write(str(server.server_address[1]))
server.serve_forever()
EOF

receiver_pid=""
start_receiver() {  # $1: attempts refused per message, $2: port (optional)
  rm -f receiver.port
  python3 receiver.py "$secret" "$1" ${2:-} & receiver_pid=$!
  for _ in $(seq 1 100); do [ -s receiver.port ] && break; sleep 0.05; done
  [ -s receiver.port ] || fail "the receiver did not start"
  port=$(cat receiver.port)
}
pid=""
base=""
start_server() {  # $1: manifest, $2: log
  start_serve_logged "$2" --manifest "$1" --db hooks.sqlite --rate-limit 0
}
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; [ -n "$receiver_pid" ] && kill "$receiver_pid" 2>/dev/null' EXIT

cat > hooks.yaml <<'EOF'
ir_version: "1.0.0"
id: "hooks:two-steps"
nodes:
  - {id: first, kind: set, config: {values: {phase: one}}}
  - {id: second, kind: set, config: {values: {phase: two}}}
state_schema:
  phase: str
EOF
cat > manifest.yaml <<'EOF'
graphs:
  - path: hooks.yaml
webhooks:
  secret_env: SG_WEBHOOK_SECRET
  allow: ["127.0.0.1"]
  initial_backoff_ms: 100
  max_backoff_ms: 400
EOF

start_receiver 3
start_server manifest.yaml serve-1.log

# Refusals: a host outside the allow-list, an unknown event type, a malformed webhook.
post() { curl -s -o "$1" -w '%{http_code}' -X POST "$base/v1/runs" -H 'Content-Type: application/json' -d "$2"; }
code=$(post refused.json '{"graph_id": "hooks:two-steps", "webhook": {"url": "http://169.254.169.254/latest"}}')
expect_eq "$code" "422" "a webhook to a host outside the allow-list"
jq -e '.detail | contains("169.254.169.254:80 is not in the manifest'"'"'s webhooks.allow list")' refused.json >/dev/null \
  || fail "the refusal does not name the host and the allow-list: $(cat refused.json)"
code=$(post refused.json '{"graph_id": "hooks:two-steps", "webhook": {"url": "http://127.0.0.1:1/", "events": ["run_finished"]}}')
expect_eq "$code" "422" "a webhook for an unknown event type"
jq -e '.detail | contains("run_finished")' refused.json >/dev/null || fail "the refusal does not name the event: $(cat refused.json)"
code=$(post refused.json '{"graph_id": "hooks:two-steps", "webhook": "http://127.0.0.1/"}')
expect_eq "$code" "422" "a webhook that is not an object"
expect_eq "$(curl -s "$base/v1/runs" | jq .total)" "0" "runs stored by refused requests"

# Five runs, each subscribed to its start, its steps and its end: 4 events per run.
for i in 1 2 3 4 5; do
  code=$(post "run-$i.json" "{\"graph_id\": \"hooks:two-steps\", \"webhook\": {\"url\": \"http://127.0.0.1:$port/hook\", \"events\": [\"run_started\", \"step\", \"run_done\"]}}")
  expect_eq "$code" "202" "POST /v1/runs with a webhook"
  jq -r .run_id "run-$i.json" >> runs.txt
done
while read -r run; do
  expect_eq "$(await_final_status "$base" "$run")" "done" "run $run"
  curl -s "$base/v1/runs/$run/events" -H 'Accept: text/event-stream' > /dev/null
done < runs.txt
# The events owed, from the durable log: msg_<run>_<seq> of each subscribed event.
while read -r run; do
  sqlite3 hooks.sqlite "SELECT 'msg_' || run_id || '_' || seq FROM events WHERE run_id = '$run' AND type IN ('run_started', 'step', 'run_done')"
done < runs.txt | sort > owed.txt
expect_eq "$(wc -l < owed.txt)" "20" "events owed to webhooks (4 per run)"
for _ in $(seq 1 300); do
  [ "$(grep -c ' 204$' attempts.log 2>/dev/null)" -ge 20 ] && break
  sleep 0.1
done
grep ' 204$' attempts.log | awk '{print $1}' | sort > accepted.txt
expect_eq "$(cat accepted.txt)" "$(cat owed.txt)" "accepted deliveries (exactly one per owed event)"
expect_eq "$(awk '$5 != 1' attempts.log | wc -l)" "0" "attempts whose signature or timestamp did not verify"
expect_eq "$(awk '{print $1}' attempts.log | sort | uniq -c | awk '$1 != 4' | wc -l)" "0" "messages not attempted exactly 4 times"
# The host's own record of the same: 3 × 500 then 204, delivered, for every delivery.
run=$(head -1 runs.txt)
curl -s "$base/v1/runs/$run/webhooks" > deliveries.json
expect_eq "$(jq '.items | length' deliveries.json)" "4" "deliveries listed for run $run"
expect_eq "$(jq -c '[.items[].status] | unique' deliveries.json)" '["delivered"]' "delivery statuses"
expect_eq "$(jq -c '[.items[] | [.attempts[].status_code]] | unique' deliveries.json)" '[[500,500,500,204]]' "attempt status codes"
expect_eq "$(jq -r '.items[0].webhook_id' deliveries.json)" "$(grep "msg_${run}_" owed.txt | sort -t_ -k3 -n | head -1)" "webhook id"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' "$base/v1/runs/run_nope/webhooks")" "404" "webhooks of an unknown run"

# SIGKILL with a delivery pending: the receiver is down, the run ends, its delivery fails
# once, the host is killed; after a restart (receiver up, accepting) it is delivered.
kill "$receiver_pid"; wait "$receiver_pid" 2>/dev/null; receiver_pid=""
code=$(post pending.json "{\"graph_id\": \"hooks:two-steps\", \"webhook\": {\"url\": \"http://127.0.0.1:$port/hook\"}}")
expect_eq "$code" "202" "POST /v1/runs while the receiver is down"
pending=$(jq -r .run_id pending.json)
expect_eq "$(await_final_status "$base" "$pending")" "done" "run $pending"
for _ in $(seq 1 100); do
  [ "$(curl -s "$base/v1/runs/$pending/webhooks" | jq '[.items[].attempts[]] | length')" -ge 1 ] && break
  sleep 0.05
done
curl -s "$base/v1/runs/$pending/webhooks" > pending-before.json
expect_eq "$(jq -r '.items[0].status' pending-before.json)" "pending" "the delivery while the receiver is down"
jq -e '.items[0].attempts[0].status_code == null and (.items[0].attempts[0].error | length > 0)' pending-before.json >/dev/null \
  || fail "a refused connection is recorded without a status and with its error: $(cat pending-before.json)"
kill -9 "$pid"; wait "$pid" 2>/dev/null; pid=""
: > attempts.log
start_receiver 0 "$port"

# The restart also has a default webhook: a run that names none gets it.
sed "s|^  max_backoff_ms: 400|  max_backoff_ms: 400\n  default: {url: \"http://127.0.0.1:$port/default\", events: [run_done]}|" manifest.yaml > manifest-2.yaml
start_server manifest-2.yaml serve-2.log
code=$(post defaulted.json '{"graph_id": "hooks:two-steps"}')
expect_eq "$code" "202" "POST /v1/runs without a webhook"
defaulted=$(jq -r .run_id defaulted.json)
for _ in $(seq 1 200); do
  [ "$(grep -c ' 204$' attempts.log 2>/dev/null)" -ge 2 ] && break
  sleep 0.05
done
expect_eq "$(awk '$6 == 204 {print $3, $4}' attempts.log | sort | tr '\n' ' ')" \
  "$(printf 'run_done %s\nrun_done %s\n' "$pending" "$defaulted" | sort | tr '\n' ' ')" "deliveries after the restart"
expect_eq "$(awk '$5 != 1' attempts.log | wc -l)" "0" "unverified attempts after the restart"
expect_eq "$(curl -s "$base/v1/runs/$pending/webhooks" | jq -r '.items[0].status')" "delivered" "the pending delivery after the restart"
echo "webhooks: 20 events delivered once each after 3 refusals, signatures verified; a pending delivery survived SIGKILL"
