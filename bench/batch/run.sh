#!/usr/bin/env bash
# The batch helper on a big collection: the seed's phone-number normalisation
# (examples/cpp-app/migrations/002-normalize-phone-numbers.cc) over a freshly
# seeded `clients` collection, three ways, each its own migrator and database:
#
#   batch-helper   ctx.for_each_batch, 1,000 documents a batch, one
#                  update_by_id per changed document, sent as unordered bulk
#                  writes (the example's own source file)
#   per-doc        the seed's loop: stream the cursor, one awaited updateOne
#                  per document (migrations/per-doc/)
#   server-side    one updateMany with an aggregation-pipeline update
#                  ($replaceAll), where the server can express it
#   server-floor   NOT the migration: one updateMany with a constant $set over
#                  the same documents, the server's own cost of rewriting them
#                  (the reference when server-side is not expressible)
#
# Each run is timed with /usr/bin/time -v (wall, peak RSS of the migrator) and
# checked afterwards: every client read back and compared field by field with
# what it must be (bench/batch/clients_tool.cc).
#
#   bench/batch/run.sh            full run: 1,000,000 clients on mongo-java-server,
#                                 100,000 on FerretDB/PostgreSQL, the per-update
#                                 probe of FerretDB/SQLite (15 to 20 minutes on
#                                 2 cores once installed): bench/.cache/batch-results/
#   bench/batch/run.sh --smoke    2,000 clients everywhere (under a minute once
#                                 installed and built): bench/.cache/batch-smoke/
#   --docs N                      clients on mongo-java-server (default 1000000)
#   --ferretdb-docs N             clients on FerretDB/PostgreSQL (default 100000)
#   --per-doc-limit S             run the per-doc loop on all N clients only if
#                                 a pilot run predicts at most S seconds (default
#                                 1200); otherwise measure it at N/100, N/20 and
#                                 N/10 and extrapolate linearly (labelled so)
#
# Servers, all started here on free loopback ports and stopped at the end:
#   mongo-java-server 1.46.0 (Maven Central), in-memory backend (Server.java)
#   FerretDB v1.24.2 on PostgreSQL 15 (a cluster of our own in a temp dir),
#     its default pool of 50 connections, plus a GIN index on _jsonb->'_id'
#     made by hand (synchronous_commit=off)
#   FerretDB v1.24.2 on SQLite (DESIGN.md §8): only the probe, see below
# Why those sizes and settings (measured by the probe step and described in
# docs/benchmarks.md): FerretDB/SQLite reads the whole collection for every
# update by _id; FerretDB/PostgreSQL does too (its `_id @>` filter cannot use
# the _id btree index) unless the GIN index is added. It deadlocks on an
# update command of 50 statements with its default pool of 50 connections,
# which is why the library sends at most 40 (src/mongo/data_ops.cc).
#
# Sets everything up on a fresh Debian 12 machine: the project's dependencies
# and FerretDB (scripts/install-deps.sh), PostgreSQL 15, OpenJDK 17 and Maven
# from Debian, mongo-java-server from Maven Central into bench/.cache/m2.
# Environment: BENCH_JOBS (build parallelism, default 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/machine_meta.sh
ROOT=$PWD
CACHE=$ROOT/bench/.cache
JOBS=${BENCH_JOBS:-1}

MODE=full DOCS=1000000 FERRET_DOCS=100000 PER_DOC_LIMIT=1200
usage() { echo "usage: bench/batch/run.sh [--smoke] [--docs N] [--ferretdb-docs N] [--per-doc-limit S]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) MODE=smoke DOCS=2000 FERRET_DOCS=2000 ;;
    --docs) [ $# -ge 2 ] || usage; DOCS=$2; shift ;;
    --ferretdb-docs) [ $# -ge 2 ] || usage; FERRET_DOCS=$2; shift ;;
    --per-doc-limit) [ $# -ge 2 ] || usage; PER_DOC_LIMIT=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) usage ;;
  esac
  shift
done
if [ "$MODE" = smoke ]; then OUT=$CACHE/batch-smoke PROBE_SIZES=(1000); else OUT=$CACHE/batch-results PROBE_SIZES=(1000 10000 50000); fi

step() { echo; echo "== $*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
T0=$(date +%s)

# ---------------------------------------------------------------- set-up
step "installing (cached after the first run)"
scripts/install-deps.sh
FERRETDB=$(cat .local/ferretdb-bin)
PGBIN=/usr/lib/postgresql/15/bin
missing=()
[ -x /usr/bin/time ] || missing+=(time)
[ -x "$PGBIN/postgres" ] || missing+=(postgresql-15)
command -v psql >/dev/null || missing+=(postgresql-client-15)
command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
MJS_POM=bench/batch/mongo-java-server/pom.xml
MJS_CP=$CACHE/batch-mjs.classpath
if [ ! -s "$MJS_CP" ] || [ "$MJS_POM" -nt "$MJS_CP" ]; then
  echo "resolving mongo-java-server from Maven Central into bench/.cache/m2"
  mvn -q -B -Dmaven.repo.local="$CACHE/m2" -f "$MJS_POM" dependency:build-classpath -Dmdep.outputFile="$MJS_CP.tmp"
  mv "$MJS_CP.tmp" "$MJS_CP"
fi

# ---------------------------------------------------------------- build
step "building the migrators (Release) into bench/.cache/batch-build"
BUILD=$CACHE/batch-build
cmake -S bench/batch -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$CACHE/batch-configure.log" 2>&1 ||
  { cat "$CACHE/batch-configure.log" >&2; exit 1; }
ninja -C "$BUILD" -j"$JOBS" batch-helper-migrate per-doc-migrate server-side-migrate server-floor-migrate clients-tool
TOOL=$BUILD/clients-tool

# ---------------------------------------------------------------- servers
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mongo-migrate-batch.XXXXXX")
chmod 755 "$WORK"
SERVER_PIDS=()
PG_DATA=
pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for pid in "${SERVER_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
  done
  if [ -n "$PG_DATA" ]; then pg "$PGBIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {  # PORT PID LOG
  for _ in $(seq 600); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2; exit 3; }
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2; cat "$3" >&2; exit 3
}
start_ferretdb() {  # NAME HANDLER-ARGS... ; sets FPORT
  local name=$1; shift
  FPORT=$(free_port)
  "$FERRETDB" "$@" --listen-addr="127.0.0.1:$FPORT" --telemetry=disable --log-level=error --state-dir=- \
    --debug-addr=- >"$WORK/$name.log" 2>&1 &
  SERVER_PIDS+=($!)
  wait_port "$FPORT" $! "$WORK/$name.log"
}
mkdir -p "$WORK/empty" "$OUT"
rm -f "$OUT"/rows.tsv "$OUT"/probe.tsv "$OUT"/*.time "$OUT"/*.log

step "starting PostgreSQL 15 (own cluster in $WORK/pg), FerretDB on it, and mongo-java-server"
PG_PORT=$(free_port)
PG_DATA=$WORK/pg/data
mkdir -p "$WORK/pg"
[ "$(id -u)" -ne 0 ] || chown postgres: "$WORK/pg"
pg "$PGBIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --no-sync >"$WORK/initdb.log" 2>&1 ||
  { cat "$WORK/initdb.log" >&2; exit 1; }
# synchronous_commit=off: commits are not flushed one by one, which helps the
# per-document loop (one commit per update) more than anyone else.
pg "$PGBIN/pg_ctl" -D "$PG_DATA" -l "$WORK/pg/postgres.log" -w -o "-p $PG_PORT -k $WORK/pg \
  -c listen_addresses=127.0.0.1 -c max_connections=200 -c synchronous_commit=off" start >/dev/null
pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres ferretdb
psql_q() { psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d ferretdb -qAt "$@"; }
# FerretDB's default pool (50 connections): the library's bulk writes of at
# most 40 statements fit in it (50 would deadlock).
start_ferretdb ferretdb-pg --handler=postgresql --postgresql-url="postgres://postgres@127.0.0.1:$PG_PORT/ferretdb"
FERRET_PG_URI=mongodb://127.0.0.1:$FPORT
FERRET_PG_PID=${SERVER_PIDS[-1]}
# FerretDB v1.24 looks documents up by `_jsonb->'_id' @> '<id>'`, which its own
# btree index on _jsonb->'_id' cannot serve: every update by _id reads the
# whole table. A GIN index serves @>.
gin_index() {  # DB
  local table
  table=$(psql_q -c "SELECT _jsonb->>'table' FROM \"$1\"._ferretdb_database_metadata WHERE _jsonb->>'_id' = 'clients'")
  # fastupdate off: with its pending list, every lookup would also scan the
  # updates not yet merged into the index.
  psql_q -c "CREATE INDEX clients_id_gin ON \"$1\".\"$table\" USING gin ((_jsonb->'_id') jsonb_path_ops)
             WITH (fastupdate = off)"
}
MJS_PORT=$(free_port)
java -Xmx12g -cp "$(cat "$MJS_CP")" bench/batch/mongo-java-server/Server.java "$MJS_PORT" >"$WORK/mjs.log" 2>&1 &
MJS_PID=$!
SERVER_PIDS+=($MJS_PID)
wait_port "$MJS_PORT" "$MJS_PID" "$WORK/mjs.log"
MJS_URI=mongodb://127.0.0.1:$MJS_PORT

{
  machine_meta "$MODE"
  echo "ours=$("$BUILD/batch-helper-migrate" --version) (commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src include examples/cpp-app CMakeLists.txt 2>/dev/null || echo ' with uncommitted changes'), Release build, g++ $(g++ -dumpfullversion), libmongoc $(pkg-config --modversion libmongoc-1.0 2>/dev/null || echo '?'))"
  echo "ferretdb=FerretDB $("$FERRETDB" --version 2>&1 | sed -n 's/^version: *//p')"
  echo "postgres=$("$PGBIN/postgres" --version)"
  echo "mjs=mongo-java-server $(sed -n 's:.*<version>\(1\.[0-9.]*\)</version>.*:\1:p' "$MJS_POM" | head -1) (memory backend), $(java -version 2>&1 | head -1)"
} >"$OUT/meta.env"

# ---------------------------------------------------------------- runs
# CPU seconds used so far by a server's processes (FerretDB/PostgreSQL: FerretDB,
# the postmaster and its backends; a backend that has exited is not counted).
server_cpu() {  # LABEL
  local pids=() pid ticks=0 postmaster
  if [ "$1" = mongo-java-server ]; then
    pids=("$MJS_PID")
  else
    postmaster=$(head -1 "$PG_DATA/postmaster.pid")
    pids=("$FERRET_PG_PID" "$postmaster" $(pgrep -P "$postmaster" || true))
  fi
  for pid in "${pids[@]}"; do
    ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}
# run_strategy LABEL URI STRATEGY N [gin]: seeds a fresh database, runs the
# strategy's migrator under /usr/bin/time -v, checks the clients, appends a
# row to rows.tsv: server strategy docs wall_s rss_kb status note cpu_s (the
# migrator's user + system time) server_cpu_s (the server's, same interval)
run_strategy() {
  local label=$1 uri=$2 strategy=$3 n=$4 gin=${5:-} db key rc wall rss cpu status note mode cpu0 scpu
  db="${strategy//-/_}_$n"
  key="${label//\//-}__${strategy}__$n"
  "$TOOL" seed "$uri" "$db" "$n"
  [ "$gin" != gin ] || gin_index "$db"
  rc=0
  cpu0=$(server_cpu "$label")
  /usr/bin/time -v -o "$OUT/$key.time" "$BUILD/$strategy-migrate" up --uri "$uri/$db" --dir "$WORK/empty" \
    >"$OUT/$key.log" 2>&1 || rc=$?
  scpu=$(awk -v a="$cpu0" -v b="$(server_cpu "$label")" 'BEGIN { printf "%.1f", b - a }')
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$OUT/$key.time" |
         awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/$key.time")
  cpu=$(sed -n 's/.*\(User\|System\) time (seconds): //p' "$OUT/$key.time" | awk '{ s += $1 } END { print s }')
  if [ "$rc" -eq 0 ]; then
    status=ok note=""
    mode=normalised; [ "$strategy" != server-floor ] || mode=checked
  else
    status=failed
    note=$("$BUILD/$strategy-migrate" status --json --uri "$uri/$db" --dir "$WORK/empty" |
           python3 -c 'import json, sys; print(json.load(sys.stdin)["migrations"][0]["error"])' | tr '\t\n' '  ')
    mode=seeded   # a refused update must leave every client as it was
  fi
  "$TOOL" verify "$uri" "$db" "$n" "$mode" | tee -a "$OUT/verify.log"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$strategy" "$n" "$wall" "$rss" "$status" "$note" "$cpu" \
    "$scpu" >>"$OUT/rows.tsv"
  printf '%s %s %s: %s s (CPU: migrator %s s, server %s s), peak RSS %s KB, %s %s\n' "$label" "$strategy" "$n" "$wall" \
    "$cpu" "$scpu" "$rss" "$status" "$note"
  "$TOOL" seed "$uri" "$db" 0 >/dev/null   # free the server's memory
}
last_wall() { tail -1 "$OUT/rows.tsv" | cut -f4; }

# The per-document loop: all N if a pilot predicts at most PER_DOC_LIMIT
# seconds, else N/100, N/20, N/10 for a linear extrapolation (in the report).
run_per_doc() {  # LABEL URI N [gin]
  local label=$1 uri=$2 n=$3 gin=${4:-} pilot estimate
  pilot=$(( n / 100 > 1000 ? n / 100 : (n < 1000 ? n : 1000) ))
  if [ "$pilot" -ge "$n" ]; then run_strategy "$label" "$uri" per-doc "$n" "$gin"; return; fi
  run_strategy "$label" "$uri" per-doc "$pilot" "$gin"
  estimate=$(awk -v w="$(last_wall)" -v p="$pilot" -v n="$n" 'BEGIN { printf "%d", w * n / p }')
  echo "per-doc: $pilot clients took $(last_wall) s: all $n would take about $estimate s"
  if [ "$estimate" -le "$PER_DOC_LIMIT" ]; then
    run_strategy "$label" "$uri" per-doc "$n" "$gin"
  else
    echo "over --per-doc-limit $PER_DOC_LIMIT s: measuring $((n / 20)) and $((n / 10)) for an extrapolation"
    run_strategy "$label" "$uri" per-doc $((n / 20)) "$gin"
    run_strategy "$label" "$uri" per-doc $((n / 10)) "$gin"
  fi
}

step "probe: one updateOne by _id, median of 21, by collection size (${PROBE_SIZES[*]})"
mkdir -p "$WORK/sqlite"
start_ferretdb ferretdb-sqlite --handler=sqlite --sqlite-url="file:$WORK/sqlite/"
FERRET_SQLITE_URI=mongodb://127.0.0.1:$FPORT
for n in "${PROBE_SIZES[@]}"; do
  "$TOOL" seed "$FERRET_SQLITE_URI" "probe_$n" "$n" >/dev/null
  printf 'FerretDB/SQLite\t%s\t%s\n' "$n" "$("$TOOL" probe "$FERRET_SQLITE_URI" "probe_$n" "$n")" | tee -a "$OUT/probe.tsv"
  "$TOOL" seed "$FERRET_PG_URI" "probe_$n" "$n" >/dev/null
  printf 'FerretDB/PostgreSQL\t%s\t%s\n' "$n" "$("$TOOL" probe "$FERRET_PG_URI" "probe_$n" "$n")" | tee -a "$OUT/probe.tsv"
  # A database of its own: FerretDB's prepared statements on the first one
  # may have settled on PostgreSQL's generic plan (a sequential scan), which
  # an index made afterwards does not change.
  "$TOOL" seed "$FERRET_PG_URI" "probe_gin_$n" "$n" >/dev/null
  gin_index "probe_gin_$n"
  printf 'FerretDB/PostgreSQL + GIN index\t%s\t%s\n' "$n" "$("$TOOL" probe "$FERRET_PG_URI" "probe_gin_$n" "$n")" |
    tee -a "$OUT/probe.tsv"
  "$TOOL" seed "$FERRET_PG_URI" "probe_$n" 0 >/dev/null
  "$TOOL" seed "$FERRET_PG_URI" "probe_gin_$n" 0 >/dev/null
  "$TOOL" seed "$MJS_URI" "probe_$n" "$n" >/dev/null
  printf 'mongo-java-server\t%s\t%s\n' "$n" "$("$TOOL" probe "$MJS_URI" "probe_$n" "$n")" | tee -a "$OUT/probe.tsv"
  "$TOOL" seed "$MJS_URI" "probe_$n" 0 >/dev/null
done
kill "${SERVER_PIDS[-1]}"; wait "${SERVER_PIDS[-1]}" 2>/dev/null || true

step "mongo-java-server: $DOCS clients"
for s in server-side server-floor batch-helper; do run_strategy mongo-java-server "$MJS_URI" "$s" "$DOCS"; done
run_per_doc mongo-java-server "$MJS_URI" "$DOCS"

step "FerretDB/PostgreSQL (+ GIN index on _id): $FERRET_DOCS clients"
for s in server-side server-floor batch-helper; do run_strategy FerretDB/PostgreSQL "$FERRET_PG_URI" "$s" "$FERRET_DOCS" gin; done
run_per_doc FerretDB/PostgreSQL "$FERRET_PG_URI" "$FERRET_DOCS" gin

echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.env"
echo "duration_s=$(( $(date +%s) - T0 ))" >>"$OUT/meta.env"

# ---------------------------------------------------------------- report
step "report"
python3 bench/batch/report.py "$OUT" "$OUT/batch.md"
