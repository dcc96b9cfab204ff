# Tampering with audit logs written by `serve` and by `run`: each kind of edit gets the verdict
# it should from `verify-audit` with the chain alone, with --db (anchors), with --public-key
# (signatures) and with both. Prints the verdict table. Also checks the head and key routes.
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"

"$sg" audit-key signing.key > public.jwks 2>keygen.err || fail "audit-key: $(cat keygen.err)"
grep -q "created signing.key" keygen.err || fail "audit-key should say it created the key: $(cat keygen.err)"
[ "$(stat -c %a signing.key)" = 600 ] || fail "the signing key must be mode 0600"
"$sg" audit-key signing.key | cmp -s - public.jwks || fail "audit-key on an existing key prints the same public key"
"$sg" run "$EXAMPLES/hello.yaml" --inputs message=x --audit-signing-key signing.key >/dev/null 2>err.txt
expect_eq "$?" 2 "a signing key without --log-file is a usage error"
grep -q -- "--log-file" err.txt || fail "the usage error should name --log-file: $(cat err.txt)"

# A log written by serve (runs and their http_request records), signed and anchored.
"$sg" serve --port 0 --db serve.sqlite --audit-log serve.jsonl --audit-signing-key signing.key \
  --graph "$EXAMPLES/hello.yaml" 2>serve.log &
serve_pid=$!
await_serve
for message in a b c; do
  run=$(curl -sS -X POST "$base/v1/runs" -H 'Content-Type: application/json' \
    -d "{\"graph_id\": \"run:hello\", \"params\": {\"message\": \"$message\"}}" | jq -r .run_id)
  expect_eq "$(await_final_status "$base" "$run")" done "serve run $message"
done
head_json=$(curl -sS "$base/v1/audit/head")
last=$(tail -1 serve.jsonl)
expect_eq "$(jq -r .seq <<<"$head_json")" "$(jq -r .seq <<<"$last")" "GET /v1/audit/head seq"
expect_eq "$(jq -r .sha256 <<<"$head_json")" "$(printf %s "$last" | sha256sum | cut -d' ' -f1)" "GET /v1/audit/head sha256 (of the last line)"
expect_eq "$(jq -r .signed <<<"$head_json")" true "the head says the log is signed"
expect_eq "$(curl -sS "$base/v1/audit/jwks.json" | jq -c .keys[0].x)" "$(jq -c .keys[0].x public.jwks)" "GET /v1/audit/jwks.json"
curl -sS "$base/metrics" | grep -q "^stargraph_audit_head_seq $(jq -r .seq <<<"$last")$" || fail "/metrics lacks stargraph_audit_head_seq"
kill -TERM $serve_pid; wait $serve_pid

# A log written by run (and resume's kin), signed and anchored.
for message in a b c; do
  "$sg" run "$EXAMPLES/hello.yaml" --inputs message=$message --checkpoint run.sqlite --log-file run.jsonl \
    --audit-signing-key signing.key --no-summary >/dev/null || fail "run $message"
done

for log in serve run; do
  out=$("$sg" verify-audit $log.jsonl --db $log.sqlite --public-key public.jwks) || fail "the untouched $log log must verify: $out"
  for check in "chain: ok" "anchors from DB: ok" "signatures: ok"; do
    grep -q "^$check" <<<"$out" || fail "verify-audit should report '$check': $out"
  done
done

cat > tamper.py <<'PY'
import hashlib, json, sys
kind, source, target = sys.argv[1:4]
raw = open(source, "rb").read()
lines = raw.split(b"\n")[:-1]

def canonical(record):
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

for line in lines:
    if canonical(json.loads(line)) != line:
        sys.exit("tamper.py: Python's canonical JSON differs from the log's; the recomputing tampers would be wrong")

def rechain(records, start=0):
    """Recomputes prev_sha256 and sha256 from record `start` on (signatures kept: no key)."""
    out = [canonical(r) for r in records[:start]]
    prev = hashlib.sha256(out[-1]).hexdigest() if out else "0" * 64
    for seq, record in enumerate(records[start:], start + 1):
        record = dict(record, seq=seq, prev_sha256=prev)
        body = {k: v for k, v in record.items() if k not in ("sha256", "sig")}
        record["sha256"] = hashlib.sha256(canonical(body)).hexdigest()
        line = canonical(record)
        out.append(line)
        prev = hashlib.sha256(line).hexdigest()
    return out

records = [json.loads(l) for l in lines]
middle = len(lines) // 2
def edited(record):
    record = dict(record)
    record["ts"] = "2000-01-01T00:00:00Z"
    return record

if kind == "edit-field":
    lines[middle] = canonical(edited(records[middle]))
elif kind == "edit-and-rehash-last":
    records[-1] = edited(records[-1]); lines = rechain(records, len(records) - 1)
elif kind == "delete-first":
    del lines[0]
elif kind == "delete-middle":
    del lines[middle]
elif kind == "delete-last":
    del lines[-1]
elif kind == "delete-middle-rechain":
    del records[middle]; lines = rechain(records, middle)
elif kind == "swap-two":
    lines[middle], lines[middle + 1] = lines[middle + 1], lines[middle]
elif kind == "duplicate-one":
    lines.insert(middle, lines[middle])
elif kind == "truncate-half":
    lines = lines[:len(lines) // 2]
elif kind == "append-forged":
    forged = dict(records[-1], event="run_done", run_id="run-forged")
    forged.pop("sig", None)
    lines = rechain(records + [forged], len(records))
elif kind == "rewrite-chain":
    lines = rechain([edited(r) for r in records])
elif kind == "blank-line":
    lines.insert(middle, b"")
elif kind == "whitespace":
    lines[middle] = lines[middle].replace(b",", b", ", 1)
elif kind == "nul-byte":
    lines[middle] = lines[middle][:10] + b"\x00" + lines[middle][10:]
out = b"".join(l + b"\n" for l in lines)
if kind == "cut-last-line":
    out = out[:-(len(lines[-1]) // 2 + 1)]
elif kind == "crlf":
    out = out.replace(b"\n", b"\r\n")
elif kind == "no-final-newline":
    out = out[:-1]
open(target, "wb").write(out)
PY

# kind  chain  --db  --public-key  both  (ok / FAIL), then whether the edit changes what the log says
expected="edit-field            FAIL FAIL FAIL FAIL
edit-and-rehash-last  ok   FAIL FAIL FAIL
delete-first          FAIL FAIL FAIL FAIL
delete-middle         FAIL FAIL FAIL FAIL
delete-last           ok   FAIL ok   FAIL
delete-middle-rechain ok   FAIL FAIL FAIL
swap-two              FAIL FAIL FAIL FAIL
duplicate-one         FAIL FAIL FAIL FAIL
truncate-half         ok   FAIL ok   FAIL
cut-last-line         FAIL FAIL FAIL FAIL
append-forged         ok   ok   FAIL FAIL
rewrite-chain         ok   FAIL FAIL FAIL
blank-line            FAIL FAIL FAIL FAIL
crlf                  FAIL FAIL FAIL FAIL
nul-byte              FAIL FAIL FAIL FAIL
whitespace            FAIL FAIL FAIL FAIL
no-final-newline      ok   ok   ok   ok"

verdict() { if "$sg" verify-audit "$@" >/dev/null 2>&1; then echo ok; else [ $? -eq 2 ] && echo FAIL || echo "exit$?"; fi; }
mismatches=0
for log in serve run; do
  echo "== $log log ($(wc -l < $log.jsonl) records)"
  printf '%-22s %-5s %-5s %-5s %-5s\n' tamper chain db sig both
  while read -r kind want; do
    python3 tamper.py "$kind" $log.jsonl t.jsonl || fail "tamper.py $kind"
    got="$(verdict t.jsonl) $(verdict t.jsonl --db $log.sqlite) $(verdict t.jsonl --public-key public.jwks) $(verdict t.jsonl --db $log.sqlite --public-key public.jwks)"
    printf '%-22s %-5s %-5s %-5s %-5s\n' "$kind" $got
    if [ "$(echo $got)" != "$(echo $want)" ]; then
      echo "   expected: $want"; mismatches=$((mismatches + 1))
    fi
  done <<<"$expected"
done
expect_eq "$mismatches" 0 "tamper verdicts that differ from the expected table"

# A failure names the check, the record and the reason.
python3 tamper.py delete-middle-rechain run.jsonl t.jsonl
"$sg" verify-audit t.jsonl --db run.sqlite >out.txt 2>err.txt
expect_eq "$?" 2 "verify-audit exit code on a recomputed chain"
grep -q "^chain: ok" out.txt || fail "the chain check passes on a recomputed chain: $(cat out.txt)"
grep -q "^anchors from DB: broken at line [0-9]* (seq [0-9]*): the record differs from the one the database anchored" err.txt \
  || fail "the anchor failure should name the record: $(cat err.txt)"
echo "audit tamper table: ok"
