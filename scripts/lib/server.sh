# Sourced by scripts/demo.sh and the benchmarks: starts and stops the local
# test server, FerretDB 2 on a PostgreSQL 15 with DocumentDB, in a state
# directory of the caller's. Needs FERRETDB_BIN and PG_BIN (from
# .local/test-server.env, written by scripts/install-deps.sh).
#
#   server_start STATE PORT PG_PORT   start both (PostgreSQL's data is made
#                                     once in STATE/pg and kept); a part that
#                                     is already running is left as it is
#   server_stop STATE                 stop both
#   free_port                         print a free loopback port

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

_server_alive() { [ -f "$1/$2.pid" ] && kill -0 "$(cat "$1/$2.pid")" 2>/dev/null; }

# PostgreSQL refuses to run as root: as root it runs as the postgres user.
_as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=postgres --regid=postgres --clear-groups -- "$@"; else "$@"; fi
}

_server_wait_port() {  # PORT NAME STATE
  local _
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    _server_alive "$3" "$2" || { cat "$3/$2.log" >&2; echo "$2 exited at start-up" >&2; return 3; }
    sleep 0.1
  done
  echo "$2 did not start on port $1" >&2
  return 3
}

server_start() {  # STATE PORT PG_PORT
  local state=$1 port=$2 pg_port=$3
  mkdir -p "$state"
  state=$(cd "$state" && pwd -P)
  if [ "$(id -u)" -eq 0 ] && ! setpriv --reuid=postgres --regid=postgres --clear-groups -- test -x "$(dirname "$state")"; then
    echo "PostgreSQL runs as the postgres user, which cannot reach $state: make its parent directories traversable (chmod o+x)" >&2
    return 2
  fi
  if ! _server_alive "$state" postgres; then
    if [ ! -f "$state/pg/PG_VERSION" ]; then
      rm -rf "$state/pg" && mkdir -p "$state/pg" "$state/socket"
      [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$state" "$state/pg" "$state/socket"
      _as_postgres "$PG_BIN/initdb" -D "$state/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        --no-sync >/dev/null
      # DocumentDB's settings as FerretDB documents them, and the test
      # harness's durability settings (tests/support/test_server.cc): fsync
      # and full_page_writes off (a killed process does not lose the OS
      # cache; a commit need not wait for the disk, much as MongoDB
      # acknowledges a write before its journal is flushed), while
      # synchronous_commit stays on (with it off, a killed postmaster loses
      # acknowledged writes).
      cat >>"$state/pg/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
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
fsync = off
full_page_writes = off
CONF
    fi
    # max_connections on the command line, so that a data directory made by
    # an older version of this script (PostgreSQL's 100, too few for a
    # parallel batch over a fan-out) gets it too once restarted.
    _as_postgres "$PG_BIN/postgres" -D "$state/pg" -p "$pg_port" -c max_connections=300 \
      >"$state/postgres.log" 2>&1 &
    echo $! >"$state/postgres.pid"
    _server_wait_port "$pg_port" postgres "$state" || return 3
    # As root, $! is the subshell that runs setpriv, not the postmaster, and
    # a signal to it does not reach PostgreSQL: keep the postmaster's own pid.
    head -1 "$state/pg/postmaster.pid" >"$state/postgres.pid"
    local _
    for _ in $(seq 100); do
      psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres \
        -c 'CREATE EXTENSION IF NOT EXISTS documentdb CASCADE' 2>/dev/null && break
      sleep 0.1
    done
  fi
  if ! _server_alive "$state" ferretdb; then
    mkdir -p "$state/ferretdb"
    "$FERRETDB_BIN" --postgresql-url="postgres://postgres@127.0.0.1:$pg_port/postgres" \
      --listen-addr="127.0.0.1:$port" --no-auth --telemetry=disable --log-level=warn \
      --state-dir="$state/ferretdb" --debug-addr=- >"$state/ferretdb.log" 2>&1 &
    echo $! >"$state/ferretdb.pid"
    _server_wait_port "$port" ferretdb "$state" || return 3
  fi
}

server_stop() {  # STATE
  local state=$1 name pid
  for name in ferretdb postgres; do
    if _server_alive "$state" "$name"; then
      pid=$(cat "$state/$name.pid")
      if [ "$name" = postgres ]; then kill -INT "$pid"; else kill "$pid"; fi
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      echo "stopped $name"
    fi
    rm -f "$state/$name.pid"
  done
}
