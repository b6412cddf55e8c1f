#!/usr/bin/env bash
# The main job: build mongo-migrate, start a local FerretDB 2 on PostgreSQL 15
# (data under .local/server), apply examples/migrations to it and print the
# status. The servers are left running for you to explore;
# `scripts/demo.sh stop` stops them. Port: $MONGO_MIGRATE_DEMO_PORT (default
# 27217); PostgreSQL listens on the next port up.
set -euo pipefail
cd "$(dirname "$0")/.."

state=$PWD/.local/server
port=${MONGO_MIGRATE_DEMO_PORT:-27217}
pg_port=$((port + 1))
uri="mongodb://127.0.0.1:$port/mongo_migrate_example"

alive() { [ -f "$state/$1.pid" ] && kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=postgres --regid=postgres --clear-groups -- "$@"; else "$@"; fi; }

stop() {
  if alive ferretdb; then kill "$(cat "$state/ferretdb.pid")"; echo "stopped FerretDB"; fi
  if alive postgres; then kill -INT "$(cat "$state/postgres.pid")"; echo "stopped PostgreSQL"; fi
  rm -f "$state/ferretdb.pid" "$state/postgres.pid"
}
if [ "${1:-}" = stop ]; then stop; exit 0; fi

scripts/install-deps.sh
set -a; . .local/test-server.env; set +a
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build -j2 mongo-migrate

wait_port() {  # wait_port PORT NAME PIDFILE LOG
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    alive "$2" || { cat "$3" >&2; echo "$2 did not start" >&2; exit 3; }
    sleep 0.1
  done
  echo "$2 did not start on port $1" >&2; exit 3
}

if ! alive postgres; then
  mkdir -p "$state"
  if [ ! -f "$state/pg/PG_VERSION" ]; then
    mkdir -p "$state/pg" "$state/socket"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$state/pg" "$state/socket"
    as_postgres "$PG_BIN/initdb" -D "$state/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$state/pg/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$state/socket'
shared_preload_libraries = 'pg_cron,pg_documentdb_core,pg_documentdb'
cron.database_name = 'postgres'
documentdb.enableLetAndCollationForQueryMatch = true
documentdb.enableNowSystemVariable = true
documentdb.enableSortbyIdPushDownToPrimaryKey = true
documentdb.enableSchemaValidation = true
documentdb.enableBypassDocumentValidation = true
documentdb.enableUserCrud = true
documentdb.maxUserLimit = 100
CONF
  fi
  as_postgres "$PG_BIN/postgres" -D "$state/pg" >"$state/postgres.log" 2>&1 &
  echo $! >"$state/postgres.pid"
  wait_port "$pg_port" postgres "$state/postgres.log"
  for _ in $(seq 100); do
    psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
      -c 'CREATE EXTENSION IF NOT EXISTS documentdb CASCADE' 2>/dev/null && break
    sleep 0.1
  done
fi
if ! alive ferretdb; then
  mkdir -p "$state/ferretdb"
  "$FERRETDB_BIN" --postgresql-url="postgres://postgres@127.0.0.1:$pg_port/postgres" \
    --listen-addr="127.0.0.1:$port" --no-auth --telemetry=disable --log-level=warn \
    --state-dir="$state/ferretdb" --debug-addr=- >"$state/ferretdb.log" 2>&1 &
  echo $! >"$state/ferretdb.pid"
  wait_port "$port" ferretdb "$state/ferretdb.log"
  echo "== FerretDB 2 listening on 127.0.0.1:$port (stop it with: scripts/demo.sh stop)"
fi

echo "== mongo-migrate up"
build/mongo-migrate up --uri "$uri" --dir examples/migrations
echo
echo "== mongo-migrate status"
build/mongo-migrate status --uri "$uri" --dir examples/migrations
