#!/usr/bin/env bash
# The same migrations on many tenant databases (issue 18): N databases, each
# with a `users` collection of 20 documents, get the 5 JSON migrations of
# bench/fanout/migrations/ours (an index, an updateMany, an insert, a second
# index, a $rename; migrate-mongo: the same commands in its format in
# bench/fanout/migrations/migrate-mongo), all variants in one run on one
# server, each on fresh databases of its own (a unique prefix, dropped after):
#
#   loop-up        a shell loop of single-database `mongo-migrate up`, one
#                  process per database, one after another
#   fanout-p1      mongo-migrate up --all-dbs --match '^PREFIX' --yes --parallel 1
#   fanout-p4      the same with --parallel 4
#   fanout-p16     the same with --parallel 16
#   loop-mm        a shell loop of `migrate-mongo up`, one Node process per
#                  database (its config reads the database name from
#                  FANBENCH_DB)
#   status-loop    a shell loop of single-database `mongo-migrate status
#                  --exit-code` over the N databases fanout-p4 migrated
#                  (loop-up's without the fan-out flags)
#   status-all     mongo-migrate status --exit-code --all-dbs --match '^PREFIX'
#                  (its default --parallel, 4) over the same databases
#
# Each variant runs once, under /usr/bin/time: wall time, user + system CPU of
# the whole process tree, peak RSS (the largest of any one process: for the
# loops that is one per-database process, for the fan-out the one process),
# and the server's CPU over the same interval (local server only). After each
# `up` variant every database is checked (bench/fanout/tenants.mjs check): 5
# of 5 applied in its log and their effects, no stray database; the script
# exits 1 if any check or command failed (after writing the report). The
# status variants must exit 0 (all applied) and name every database.
#
# A binary without --all-dbs (before the fan-out is built) gets the loop
# variants only; the others are reported as not measured.
#
#   bench/fanout/run.sh [--bin PATH] [--dbs N] [--uri URI]
#     --bin PATH   the mongo-migrate to measure (default: the Release build in
#                  $BENCH_BUILD or bench/.cache/build, built here)
#     --dbs N      databases per variant (default 1000; about 40 to 60 minutes
#                  on 2 cores; --dbs 50 takes a few minutes)
#     --uri URI    any server (default: the FerretDB 2 on PostgreSQL 15 of the
#                  tests, started on free loopback ports and stopped at the end)
#
# Writes bench/.cache/fanout-results/: meta.env, rows.tsv, results.json (raw),
# fanout.md (the table and the issue's ratios), logs/ (each variant's output).
# Installs what it needs like bench/run.sh (migrate-mongo from the lock in
# bench/lib/node, cached in bench/.cache/node). Environment: BENCH_JOBS (build
# parallelism, default 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/machine_meta.sh
. bench/lib/server_cpu.sh
. bench/lib/setup.sh
ROOT=$PWD
CACHE=$ROOT/bench/.cache
JOBS=${BENCH_JOBS:-1}
MIGRATE_MONGO_VERSION=14.0.7
MIGRATIONS=$ROOT/bench/fanout/migrations

BIN= DBS=1000 GIVEN_URI=
usage() { echo "usage: bench/fanout/run.sh [--bin PATH] [--dbs N] [--uri URI]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) [ $# -ge 2 ] || usage; BIN=$2; shift ;;
    --dbs) [ $# -ge 2 ] || usage; DBS=$2; shift ;;
    --uri) [ $# -ge 2 ] || usage; GIVEN_URI=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) usage ;;
  esac
  shift
done
[[ "$DBS" =~ ^[1-9][0-9]{0,4}$ ]] || { echo "--dbs must be a number from 1 to 99999" >&2; exit 2; }
if [ -n "$BIN" ]; then
  [ -x "$BIN" ] || { echo "--bin $BIN: not an executable file" >&2; exit 2; }
  BIN=$(realpath "$BIN") BIN_DESC="given with --bin"
fi
OUT=$CACHE/fanout-results
T0=$(date +%s)

# ---------------------------------------------------------------- set-up
bench_install "$GIVEN_URI"
missing=()
[ -x /usr/bin/time ] || missing+=(time)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
install_migrate_mongo "$CACHE/node" "$MIGRATE_MONGO_VERSION"
MM=$CACHE/node/node_modules/.bin/migrate-mongo
export NODE_PATH=$CACHE/node/node_modules   # for tenants.mjs

if [ -z "$BIN" ]; then
  step "building mongo-migrate (Release)"
  BUILD=${BENCH_BUILD:-$CACHE/build}
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMONGOMIGRATE_BUILD_TESTS=OFF \
    -DMONGOMIGRATE_BUILD_EXAMPLES=OFF >"$CACHE/fanout-configure.log" 2>&1 ||
    { cat "$CACHE/fanout-configure.log" >&2; exit 1; }
  ninja -C "$BUILD" -j"$JOBS" mongo-migrate
  BIN=$BUILD/mongo-migrate
  BIN_DESC="Release build of this checkout"
fi
FANOUT=yes
"$BIN" up --help 2>&1 | grep -q -- '--all-dbs' || FANOUT=no

# ---------------------------------------------------------------- server
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mongo-migrate-fanout.XXXXXX")
chmod 755 "$WORK"   # PostgreSQL runs as the postgres user, its data under here
RUN=fb$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')   # this run's database prefix
tenants() { node bench/fanout/tenants.mjs "$1" "$URI" "${@:2}"; }
cleanup() {
  if [ -n "$GIVEN_URI" ]; then
    tenants drop "${RUN}_" >/dev/null 2>&1 || echo "could not drop the databases ${RUN}_* at $GIVEN_URI" >&2
  else
    server_stop "$WORK/server" >/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
rm -rf "$OUT"; mkdir -p "$OUT/logs"

. bench/lib/bench_server.sh
bench_server "$WORK" "$GIVEN_URI"

{
  machine_meta "dbs $DBS"
  echo "ours=$("$BIN" --version | head -1) ($BIN_DESC)"
  echo "fanout=$FANOUT"
  echo "migrate_mongo=migrate-mongo $("$MM" --version) (Node.js $(node --version))"
  echo "server=$SERVER_DESC"
  echo "server_cpu=$([ -z "$GIVEN_URI" ] && echo measured || echo 'not measured')"
  echo "dbs=$DBS"
  echo "migrations=$(find "$MIGRATIONS/ours" -name '*.json' | wc -l)"
} >"$OUT/meta.env"

cat >"$WORK/mm.config.js" <<EOF
module.exports = {
  mongodb: { url: "$URI", databaseName: process.env.FANBENCH_DB, options: {} },
  migrationsDir: "$MIGRATIONS/migrate-mongo",
  changelogCollectionName: "changelog",
  lockCollectionName: "changelog_lock",
  lockTtl: 0,
  migrationFileExtension: ".js",
  useFileHash: false,
  moduleSystem: "commonjs",
};
EOF

# ---------------------------------------------------------------- variants
# The loops, as the shell scripts a team would write: stop at the first error.
LOOP_UP='while IFS= read -r db; do "$0" up --uri "$1/$db" --dir "$2" || exit 1; done <"$3"'
LOOP_STATUS='while IFS= read -r db; do "$0" status --exit-code --uri "$1/$db" --dir "$2" || exit 1; done <"$3"'
LOOP_MM='while IFS= read -r db; do FANBENCH_DB=$db "$0" up -f "$1" || exit 1; done <"$2"'

server_cpu() { [ -z "$GIVEN_URI" ] || return 0; server_cpu_seconds "$WORK/server"; }
names() {  # PREFIX: the file listing this variant's N databases
  local file=$WORK/$1names
  seq -f "${1}%05g" 1 "$DBS" >"$file"
  echo "$file"
}

FAILED=0
# measure KEY LABEL PREFIX TOOL CMD...: runs CMD (in WORK, so no config file
# is picked up) under /usr/bin/time, checks PREFIX's databases in TOOL's log
# (TOOL "status" for a read-only variant: its exit code, status --exit-code's
# verdict, and every database named in its output), appends a row to rows.tsv:
# key label wall_s user_s sys_s maxrss_kb server_cpu_s rc check
measure() {
  local key=$1 label=$2 prefix=$3 tool=$4 rc=0 cpu0 cpu1 scpu= wall user sys rss check=-
  shift 4
  echo "-- $key: $label"
  cpu0=$(server_cpu)
  (cd "$WORK" && /usr/bin/time -f '%e %U %S %M' -o "$OUT/$key.time" "$@") \
    >"$OUT/logs/$key.out" 2>"$OUT/logs/$key.err" || rc=$?
  cpu1=$(server_cpu)
  [ -z "$cpu0" ] || scpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.1f", b - a }')
  read -r wall user sys rss < <(tail -1 "$OUT/$key.time")
  if [ "$rc" -ne 0 ]; then
    echo "$key exited with $rc; the end of its stderr:" >&2
    tail -5 "$OUT/logs/$key.err" >&2
    FAILED=$((FAILED + 1))
  fi
  if [ "$tool" = status ]; then
    local seen
    seen=$({ grep -o "${prefix}[0-9]\{5\}" "$OUT/logs/$key.out" || true; } | sort -u | wc -l)
    check="status of $seen of $DBS databases ${prefix}* shown, all applied: $([ "$rc" -eq 0 ] && echo yes || echo no)"
    if [ "$seen" -ne "$DBS" ]; then check="check failed: $check" FAILED=$((FAILED + 1)); fi
    echo "$check"
  else
    if check=$(tenants check "$prefix" "$DBS" "$tool" 2>&1); then :; else
      FAILED=$((FAILED + 1))
    fi
    echo "$check"
    check=$(echo "$check" | head -1)
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$key" "$label" "$wall" "$user" "$sys" "$rss" "$scpu" "$rc" \
    "$check" >>"$OUT/rows.tsv"
  printf '%s: %s s wall, CPU %s s user + %s s sys, peak RSS %s KB, server CPU %s s, exit %s\n' \
    "$key" "$wall" "$user" "$sys" "$rss" "${scpu:-?}" "$rc"
}
not_measured() {  # KEY LABEL WHY
  printf '%s\t%s\t\t\t\t\t\t\tnot measured: %s\n' "$1" "$2" "$3" >>"$OUT/rows.tsv"
  echo "-- $1: not measured: $3"
}
fresh() {  # VARIANT: seeds N fresh tenant databases, prints their prefix
  local prefix=${RUN}_$1_
  tenants seed "$prefix" "$DBS"
  echo "$prefix"
}
ours_dir=$MIGRATIONS/ours
NO_FANOUT="$("$BIN" --version | head -1) has no --all-dbs"

# Both status variants over PREFIX's migrated databases.
status_variants() {  # PREFIX
  step "status over the $DBS migrated databases ($1*)"
  measure status-loop "shell loop: mongo-migrate status --exit-code, one process per database" "$1" status \
    bash -c "$LOOP_STATUS" "$BIN" "$URI" "$ours_dir" "$(names "$1")"
  if [ "$FANOUT" = no ]; then
    not_measured status-all "mongo-migrate status --all-dbs" "$NO_FANOUT"
  else
    measure status-all "mongo-migrate status --exit-code --all-dbs (--parallel 4, the default)" "$1" status \
      "$BIN" status --exit-code --all-dbs --match "^$1" --uri "$URI" --dir "$ours_dir"
  fi
}

# Every `up` variant runs with only its own N databases on the server.
step "$DBS databases, 5 migrations each: a shell loop of single-database mongo-migrate up"
p=$(fresh loopup)
measure loop-up "shell loop: mongo-migrate up, one process per database" "$p" mongo-migrate \
  bash -c "$LOOP_UP" "$BIN" "$URI" "$ours_dir" "$(names "$p")"
[ "$FANOUT" = yes ] || status_variants "$p"
tenants drop "$p"

for n in 1 4 16; do
  step "$DBS databases: mongo-migrate up --all-dbs --parallel $n"
  if [ "$FANOUT" = no ]; then
    not_measured "fanout-p$n" "mongo-migrate up --all-dbs --parallel $n" "$NO_FANOUT"
    continue
  fi
  p=$(fresh "p$n")
  measure "fanout-p$n" "mongo-migrate up --all-dbs --parallel $n" "$p" mongo-migrate \
    "$BIN" up --all-dbs --match "^$p" --yes --parallel "$n" --uri "$URI" --dir "$ours_dir"
  [ "$n" != 4 ] || status_variants "$p"
  tenants drop "$p"
done

step "$DBS databases: a shell loop of migrate-mongo up"
p=$(fresh mm)
measure loop-mm "shell loop: migrate-mongo up, one Node process per database" "$p" migrate-mongo \
  bash -c "$LOOP_MM" "$MM" "$WORK/mm.config.js" "$(names "$p")"
tenants drop "$p"

echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.env"
echo "duration_s=$(( $(date +%s) - T0 ))" >>"$OUT/meta.env"

# ---------------------------------------------------------------- report
step "report"
python3 bench/fanout/report.py "$OUT"
if [ "$FAILED" -gt 0 ]; then echo "$FAILED command(s) or check(s) failed: see above and $OUT/logs/" >&2; exit 1; fi
