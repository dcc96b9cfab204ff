# Full disk and the audit log: `serve` runs with a file-size limit that leaves the audit log
# ~100 bytes of room (the kernel's RLIMIT_FSIZE: writes past it fail with EFBIG, as they fail with
# ENOSPC on a full disk, after writing what fits). A POST then answers 503 and leaves no run
# behind, /health says the audit log is in error, and the log stays an intact chain (no torn
# record). Once the limit is lifted ("space freed"), /health is ok and runs are accepted again.
# Then a torn record left by a crash mid-append is cut off at the next start, and recorded.
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"

# An intact two-record chain whose size is ~100 bytes below a multiple of 1024 (the unit of
# `ulimit -f`). The first record is padded to 8 MiB, more than the database files will grow to
# here, so the audit log is the file that meets the limit.
python3 - <<'EOF'
import hashlib, json
def canonical(o): return json.dumps(o, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
def chain(records):
    prev, lines = "0" * 64, []
    for seq, fields in enumerate(records, 1):
        fields = dict(fields, seq=seq, prev_sha256=prev)
        fields["sha256"] = hashlib.sha256(canonical(fields).encode()).hexdigest()
        line = canonical(fields).encode()
        lines.append(line)
        prev = hashlib.sha256(line).hexdigest()
    return b"".join(l + b"\n" for l in lines)
def log(pad): return chain([{"event": "padding", "note": "x" * pad}, {"event": "padding", "note": "end"}])
pad = 8 * 1024 * 1024
pad += 1024 - len(log(pad)) % 1024 - 100
open("audit.jsonl", "wb").write(log(pad))
EOF
"$sg" verify-audit audit.jsonl >/dev/null || fail "the prepared audit log does not verify"
size=$(stat -c %s audit.jsonl)
limit_blocks=$(( (size + 1023) / 1024 ))
echo "audit log $size bytes, file-size limit $((limit_blocks * 1024)) bytes: $((limit_blocks * 1024 - size)) bytes of room"

# SIGXFSZ is ignored (the disposition survives exec), so an oversized write fails with EFBIG
# instead of killing the process. The hard limit stays unlimited so prlimit can lift it later.
( trap '' XFSZ; ulimit -S -f "$limit_blocks"
  exec "$sg" serve --port 0 --db db.sqlite --audit-log audit.jsonl --graph "$EXAMPLES/hello.yaml" ) 2>serve.log &
serve_pid=$!
await_serve

post() { curl -s -o post.json -w '%{http_code}' -X POST "$base/v1/runs" -H 'Content-Type: application/json' \
  -d "{\"graph_id\": \"run:hello\", \"params\": {\"message\": \"$1\"}}"; }
run_count() { curl -s "$base/v1/runs?limit=1" | jq .total; }

expect_eq "$(run_count)" "0" "runs before the disk fills"
expect_eq "$(post full)" "503" "POST with the audit log out of room"
expect_eq "$(jq -r .type post.json)" "tag:stargraph.dev,2026:problem/storage-unavailable" "problem type of the refused POST"
jq -r .detail post.json | grep -q "nothing was accepted" || fail "the 503 does not say nothing was accepted: $(cat post.json)"
expect_eq "$(run_count)" "0" "runs stored after the refused POST (it must leave nothing behind)"
expect_eq "$(stat -c %s audit.jsonl)" "$size" "audit log size after the failed append (cut back to where it began)"
"$sg" verify-audit audit.jsonl >/dev/null || fail "the audit log is broken after the failed append: $("$sg" verify-audit audit.jsonl)"

expect_eq "$(curl -s -o health.json -w '%{http_code}' "$base/health")" "503" "/health while audit writes fail"
expect_eq "$(jq -r .components.audit.status health.json)" "error" "/health audit component while writes fail"
jq -r .components.audit.detail health.json | grep -q "File too large\|No space" \
  || fail "/health does not say why the audit log fails: $(cat health.json)"

# Space freed: the limit is lifted; the probe write of the next /health succeeds.
prlimit --pid "$serve_pid" --fsize=unlimited
expect_eq "$(curl -s -o health.json -w '%{http_code}' "$base/health")" "200" "/health once writes succeed again"
expect_eq "$(jq -r .components.audit.status health.json)" "ok" "/health audit component once writes succeed"
expect_eq "$(post freed)" "202" "POST once writes succeed again"
run_id=$(jq -r .run_id post.json)
expect_eq "$(await_final_status "$base" "$run_id")" "done" "the run accepted after space was freed"
expect_eq "$(run_count)" "1" "runs stored: only the accepted one"
"$sg" verify-audit audit.jsonl >/dev/null || fail "the audit log does not verify: $("$sg" verify-audit audit.jsonl)"
grep -c "\"run_id\":\"$run_id\"" audit.jsonl | grep -qv '^0$' || fail "the accepted run is not in the audit log"

# A crash mid-append leaves a torn record: the next start cuts it off and records the cut.
kill -9 "$serve_pid"; wait "$serve_pid" 2>/dev/null
torn='{"event":"run_done","payload":{"sta'
printf '%s' "$torn" >> audit.jsonl
"$sg" verify-audit audit.jsonl >/dev/null 2>&1 && fail "verify-audit accepts a torn final record"
"$sg" serve --port 0 --db db.sqlite --audit-log audit.jsonl --graph "$EXAMPLES/hello.yaml" 2>serve.log &
serve_pid=$!
await_serve
grep -q "torn final record" serve.log || fail "serve did not log the repair: $(cat serve.log)"
"$sg" verify-audit audit.jsonl >/dev/null || fail "the audit log does not verify after the repair: $("$sg" verify-audit audit.jsonl)"
repair=$(grep '"event":"audit_tail_repaired"' audit.jsonl | tail -1)
expect_eq "$(jq -r .dropped_bytes <<<"$repair")" "${#torn}" "bytes the repair record says it dropped"
expect_eq "$(post after-repair)" "202" "POST after the repair"
kill -TERM "$serve_pid"; wait "$serve_pid"

# The database out of room: a fresh store under a 2 MiB file-size limit takes runs until its
# WAL meets the limit; from then POSTs answer 503 and store nothing, and /health says the store
# is in error. Every 202 is a stored run, and every stored run was answered 202.
( trap '' XFSZ; ulimit -S -f 2048
  exec "$sg" serve --port 0 --db small.sqlite --graph "$EXAMPLES/hello.yaml" --rate-limit 0 ) 2>serve.log &
serve_pid=$!
await_serve
accepted=0
for i in $(seq 1 2000); do
  code=$(post "fill-$i")
  [ "$code" = "202" ] && accepted=$((accepted + 1)) && continue
  expect_eq "$code" "503" "POST once the database is out of room"
  break
done
[ "$code" = "503" ] || fail "2000 runs fit under a 2 MiB limit; the database never ran out of room"
expect_eq "$(jq -r .type post.json)" "tag:stargraph.dev,2026:problem/storage-unavailable" "problem type with the database out of room"
expect_eq "$(run_count)" "$accepted" "runs stored: exactly the accepted ones"
expect_eq "$(curl -s -o health.json -w '%{http_code}' "$base/health")" "503" "/health while store writes fail"
expect_eq "$(jq -r .components.store.status health.json)" "error" "/health store component while writes fail"
prlimit --pid "$serve_pid" --fsize=unlimited
# SQLite may fail the first write after an I/O error once more while it recovers its WAL.
for _ in 1 2 3 4 5; do
  [ "$(curl -s -o health.json -w '%{http_code}' "$base/health")" = "200" ] && break
done
expect_eq "$(jq -r .components.store.status health.json)" "ok" "/health store component once writes succeed again"
expect_eq "$(post after-room)" "202" "POST once the database has room again"
echo "database out of room after $accepted runs"
kill -TERM "$serve_pid"; wait "$serve_pid"
exit 0
