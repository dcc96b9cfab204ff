#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster: initdb into a fresh folder, a server on
# 127.0.0.1 at a free port (password authentication and TLS, as operators run it), then the command
# with STARGRAPH_TEST_POSTGRES_URL set to its URL; the cluster is stopped and removed after,
# whatever the command's outcome. Uses Debian's PostgreSQL (`postgresql`, installed by
# `scripts/bootstrap.sh test`). Usage: scripts/with-test-postgres.sh COMMAND [ARGS…]
set -euo pipefail
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$bin/initdb" ] || { echo "PostgreSQL's initdb is not installed; run: bash scripts/bootstrap.sh test" >&2; exit 1; }
folder="$(mktemp -d /tmp/stargraph-pg.XXXXXX)"
password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user.
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$folder"
stop() {
  as_owner "$bin/pg_ctl" -D "$folder/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$folder"
}
trap stop EXIT
printf '%s\n' "$password" > "$folder/pwfile"
[ "$(id -u)" -eq 0 ] && chown postgres "$folder/pwfile"
as_owner "$bin/initdb" -D "$folder/data" -U stargraph --pwfile="$folder/pwfile" --auth=scram-sha-256 \
  --encoding=UTF8 --locale=C.UTF-8 >"$folder/initdb.log" 2>&1 || { cat "$folder/initdb.log" >&2; exit 1; }
# TLS on, with a certificate of its own (not trusted by the system): clients choose by sslmode.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -keyout "$folder/server.key" -out "$folder/server.crt" >/dev/null 2>&1
chmod 600 "$folder/server.key"
[ "$(id -u)" -eq 0 ] && chown postgres "$folder/server.key" "$folder/server.crt"
as_owner "$bin/pg_ctl" -D "$folder/data" -l "$folder/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$folder -c fsync=on -c max_connections=200 \
      -c ssl=on -c ssl_cert_file=$folder/server.crt -c ssl_key_file=$folder/server.key" \
  start >/dev/null || { cat "$folder/server.log" >&2; exit 1; }
export STARGRAPH_TEST_POSTGRES_URL="postgresql://stargraph:$password@127.0.0.1:$port/postgres?sslmode=disable"
"$@"
