# Sourced by bench/run.sh and bench/batch/run.sh, after scripts/install-deps.sh
# (and, without a URI, scripts/lib/server.sh):
#   bench_server WORK [URI]
# sets URI (no trailing slash) and SERVER_DESC: the server at URI (its
# password hidden), or a FerretDB 2 on PostgreSQL 15 started in WORK/server
# (the caller stops it with server_stop WORK/server).
bench_server() {
  if [ -n "${2:-}" ]; then
    URI=${2%/}
    SERVER_DESC="the server at $(printf '%s' "$URI" | sed -E 's#//[^@/]*@#//***@#')"
    echo "using $SERVER_DESC"
    return 0
  fi
  printf '\n== starting FerretDB 2 on PostgreSQL 15 + DocumentDB (data in %s/server)\n' "$1"
  local port
  port=$(free_port)
  server_start "$1/server" "$port" "$(free_port)" || return 3
  URI=mongodb://127.0.0.1:$port
  SERVER_DESC="FerretDB $("$FERRETDB_BIN" --version 2>&1 | sed -n 's/^version: *//p') on PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') + DocumentDB"
  echo "$SERVER_DESC on $URI"
}
