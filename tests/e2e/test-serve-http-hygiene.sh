# HTTP hygiene on raw sockets: malformed requests get a problem+json answer instead of a silent
# close; a half-sent request head is answered 408 and closed after --header-timeout; an idle
# keep-alive connection is closed after --idle-timeout; a refused WebSocket upgrade under
# `cleared` is the router's 401 problem, not an empty 400. The server stays up throughout.
set -u
source "$(dirname "$0")/lib.sh"
sg="$STARGRAPH"

key="hygiene-key-0123456789"
printf -- '- id: ops\n  key_sha256: %s\n  capabilities: [runs:read]\n' "$(printf %s "$key" | sha256sum | cut -d' ' -f1)" > keys.yaml
mkdir -p audit
"$sg" audit-key audit.key >/dev/null 2>&1 || fail "audit-key"
"$sg" serve --port 0 --db db.sqlite --profile cleared --api-keys keys.yaml --audit-log audit/audit.jsonl --audit-signing-key audit.key \
  --graph "$EXAMPLES/hello.yaml" --header-timeout 1 --idle-timeout 2 2>serve.log &
serve_pid=$!
await_serve
port=${base##*:}

# raw.py REQUEST_BYTES [WAIT]: sends the bytes, prints "<status> <type>" of the answer (or
# "closed <seconds>" when the server closes without one) and how long the close took.
cat > raw.py <<'EOF'
import json, socket, sys, time
port, payload = int(sys.argv[1]), sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
s = socket.create_connection(("127.0.0.1", port))
s.settimeout(10)
start = time.monotonic()
s.sendall(payload)
data = b""
while True:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        print("open-after-10s"); sys.exit(0)
    if not chunk: break
    data += chunk
elapsed = time.monotonic() - start
if not data:
    print(f"closed {elapsed:.1f}"); sys.exit(0)
head, _, body = data.partition(b"\r\n\r\n")
status = head.split(b" ")[1].decode()
ctype = [l.split(b":", 1)[1].strip().decode() for l in head.split(b"\r\n")[1:] if l.lower().startswith(b"content-type:")]
kind = json.loads(body)["type"].rsplit("/", 1)[-1] if ctype and "problem+json" in ctype[0] else "-"
print(f"{status} {kind} {elapsed:.1f}")
EOF
answer() { python3 raw.py "$port" "$1" | cut -d' ' -f1-2; }

expect_eq "$(answer 'POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}')" \
  "400 malformed-request" "Content-Length with Transfer-Encoding"
expect_eq "$(answer 'POST /v1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}')" \
  "400 malformed-request" "two Content-Lengths"
expect_eq "$(answer 'GET /health HTTP/1.1\nHost: x\n\n')" "400 malformed-request" "bare LF line ends"
expect_eq "$(answer 'BREW /health HTTP/1.1\r\nHost: x\r\n\r\n')" "501 method-not-implemented" "unknown method"
expect_eq "$(answer 'GET /health HTTP/1.1\r\nHost x\r\n\r\n')" "400 malformed-request" "a header line without a colon"
# A TLS ClientHello sent to the plain-HTTP port starts with bytes the parser reads as a method.
expect_eq "$(answer '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n')" "501 method-not-implemented" "TLS bytes on the HTTP port"

# A half-sent head: 408 after the header timeout (1 s), then closed.
read -r status kind seconds <<<"$(python3 raw.py "$port" 'GET /health HTTP/1.1\r\nHost: x\r\n')"
expect_eq "$status $kind" "408 request-timeout" "half-sent request head"
awk "BEGIN { exit !($seconds >= 0.9 && $seconds < 5) }" || fail "the half-sent head was closed after $seconds s, not the 1 s header timeout"
# A connection that sends nothing is closed silently after the header timeout.
read -r closed seconds <<<"$(python3 raw.py "$port" '')"
expect_eq "$closed" "closed" "a connection that sends nothing"
awk "BEGIN { exit !($seconds >= 0.9 && $seconds < 5) }" || fail "the silent connection was closed after $seconds s"

# An idle keep-alive connection: one request answered, then closed after the idle timeout (2 s).
cat > idle.py <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
data = b""
while b"\r\n\r\n" not in data: data += s.recv(65536)
start = time.monotonic()
try:
    while s.recv(65536): pass
    print(f"closed {time.monotonic() - start:.1f}")
except socket.timeout:
    print("open-after-10s")
EOF
read -r closed seconds <<<"$(python3 idle.py "$port")"
expect_eq "$closed" "closed" "an idle keep-alive connection"
awk "BEGIN { exit !($seconds >= 1.5 && $seconds < 6) }" || fail "the idle connection was closed after $seconds s, not the 2 s idle timeout"

# A WebSocket upgrade without a key under cleared: the router's 401 problem.
ws='GET /v1/runs/run-00000000-0000-7000-8000-000000000000/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'
expect_eq "$(answer "$ws")" "401 unauthorized" "WebSocket upgrade without an API key under cleared"

kill -0 "$serve_pid" || fail "serve died"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$base/v1/graphs")" "200" "an ordinary request after all that"
kill -TERM "$serve_pid"; wait "$serve_pid"
exit 0
