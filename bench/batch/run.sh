#!/usr/bin/env bash
# The batch helper on a big collection: the seed's phone-number normalisation
# (examples/cpp-app/migrations/002-normalize-phone-numbers.cc) over a freshly
# seeded `clients` collection, all strategies in one run on one server, each
# its own migrator and database:
#
#   batch-helper   ctx.for_each_batch, 1,000 documents a batch, one
#                  update_by_id per changed document, sent as unordered bulk
#                  writes (the example's own source file)
#   per-doc        the seed's loop: stream the cursor, one awaited updateOne
#                  per document (migrations/per-doc/)
#   server-side    one updateMany with an aggregation-pipeline update
#                  ($replaceAll): no document leaves the server
#   server-floor   NOT the migration: one updateMany with a constant $set over
#                  the same documents, the server's own cost of rewriting them
#   parallel-N     the batch helper with BatchQuery::parallel = N (1, 2, 4):
#                  N workers over `_id` ranges, each with its own connection,
#                  cursor and bulk writes (migrations/parallel/; parallel-1
#                  is the batch helper again, built from that file)
#
# Server: the FerretDB 2 on PostgreSQL 15 + DocumentDB of the tests
# (scripts/lib/server.sh: its settings, synchronous_commit on), started here on
# free loopback ports with its data in a temp dir and stopped at the end; or,
# with --uri, any server (the strategies then use databases named like
# batch_helper_1000000 there, dropped and rewritten, and dropped at the end).
#
# Reported per strategy: wall time and peak RSS of the migrator (/usr/bin/time
# -v, start-up to exit, tracking log and lease included), its user + system
# CPU, the server's CPU over the same interval (FerretDB + the postmaster and
# its backends, exited ones included, from /proc; with --uri: not measured),
# and the check: every client read back and compared field by field with what
# it must be (bench/batch/clients_tool.cc verify). Also a probe: one updateOne
# by _id by collection size (what the per-document loop pays per client), and
# one update command of 1, 40 and 1,000 statements by _id (what a bulk write
# pays per statement; the library sends a batch as one bulk write).
#
#   bench/batch/run.sh            full run: 1,000,000 clients (about 40 to 60
#                                 minutes on 2 cores): bench/.cache/batch-results/
#   bench/batch/run.sh --smoke    2,000 clients (about a minute once installed
#                                 and built): bench/.cache/batch-smoke/
#   --uri URI                     run on the server at URI instead
#   --strategies LIST             only these, comma-separated, in this order
#                                 (default: probe,server-side,server-floor,
#                                 batch-helper,parallel-1,parallel-2,parallel-4,
#                                 per-doc; `probe` is the probes)
#   --docs N                      clients (default 1000000)
#   --per-doc-limit S             run the per-doc loop on all N clients only if
#                                 a pilot run predicts at most S seconds (default
#                                 1200); otherwise measure it at N/20 and N/10
#                                 too and extrapolate linearly from the three
#                                 (labelled so)
#
# Sets everything up on a fresh Debian 12 machine: the project's dependencies
# and the test server (scripts/install-deps.sh, which caches the server build),
# GNU time from Debian. Environment: BENCH_JOBS (build parallelism, default 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib/machine_meta.sh
. bench/lib/server_cpu.sh
. bench/lib/setup.sh
ROOT=$PWD
CACHE=$ROOT/bench/.cache
JOBS=${BENCH_JOBS:-1}

MODE=full DOCS=1000000 PER_DOC_LIMIT=1200 GIVEN_URI=
STRATEGIES=probe,server-side,server-floor,batch-helper,parallel-1,parallel-2,parallel-4,per-doc
usage() {
  echo "usage: bench/batch/run.sh [--smoke] [--uri URI] [--docs N] [--per-doc-limit S] [--strategies LIST]" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) MODE=smoke DOCS=2000 ;;
    --uri) [ $# -ge 2 ] || usage; GIVEN_URI=$2; shift ;;
    --docs) [ $# -ge 2 ] || usage; DOCS=$2; shift ;;
    --per-doc-limit) [ $# -ge 2 ] || usage; PER_DOC_LIMIT=$2; shift ;;
    --strategies) [ $# -ge 2 ] || usage; STRATEGIES=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) usage ;;
  esac
  shift
done
for s in ${STRATEGIES//,/ }; do
  case "$s" in probe|server-side|server-floor|batch-helper|parallel-1|parallel-2|parallel-4|per-doc) ;;
    *) echo "bench/batch/run.sh: unknown strategy \"$s\"" >&2; usage ;; esac
done
wants() { case ",$STRATEGIES," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
if [ "$MODE" = smoke ]; then OUT=$CACHE/batch-smoke PROBE_SIZES=(1000); else OUT=$CACHE/batch-results PROBE_SIZES=(1000 10000 100000); fi

T0=$(date +%s)

# ---------------------------------------------------------------- set-up
bench_install "$GIVEN_URI"
[ -x /usr/bin/time ] || apt_install time

# ---------------------------------------------------------------- build
step "building the migrators (Release) into bench/.cache/batch-build"
BUILD=$CACHE/batch-build
mkdir -p "$CACHE"
cmake -S bench/batch -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$CACHE/batch-configure.log" 2>&1 ||
  { cat "$CACHE/batch-configure.log" >&2; exit 1; }
ninja -C "$BUILD" -j"$JOBS" batch-helper-migrate per-doc-migrate server-side-migrate server-floor-migrate \
  parallel-1-migrate parallel-2-migrate parallel-4-migrate clients-tool
TOOL=$BUILD/clients-tool

# ---------------------------------------------------------------- server
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mongo-migrate-batch.XXXXXX")
chmod 755 "$WORK"   # PostgreSQL runs as the postgres user, its data under here
DBS=()
cleanup() {
  if [ -n "$GIVEN_URI" ]; then
    for db in "${DBS[@]}"; do "$TOOL" drop "$URI" "$db" >/dev/null 2>&1 || true; done
  else
    server_stop "$WORK/server" >/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/empty" "$OUT"
rm -f "$OUT"/rows.tsv "$OUT"/probe.tsv "$OUT"/bulk.tsv "$OUT"/verify.log "$OUT"/*.time "$OUT"/*.log

. bench/lib/bench_server.sh
bench_server "$WORK" "$GIVEN_URI"

{
  machine_meta "$MODE"
  echo "ours=$("$BUILD/batch-helper-migrate" --version) (commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src include examples/cpp-app CMakeLists.txt 2>/dev/null || echo ' with uncommitted changes'), Release build, g++ $(g++ -dumpfullversion), libmongoc $(pkg-config --modversion libmongoc-1.0 2>/dev/null || echo '?'))"
  echo "server=$SERVER_DESC"
  echo "server_cpu=$([ -z "$GIVEN_URI" ] && echo measured || echo 'not measured')"
  echo "docs=$DOCS"
  echo "per_doc_limit=$PER_DOC_LIMIT"
  echo "strategies=$STRATEGIES"
} >"$OUT/meta.env"

# ---------------------------------------------------------------- runs
# CPU seconds used so far by the server (bench/lib/server_cpu.sh). Empty with --uri.
server_cpu() {
  [ -z "$GIVEN_URI" ] || return 0
  server_cpu_seconds "$WORK/server"
}
seed() {  # DB N
  DBS+=("$1")
  "$TOOL" seed "$URI" "$1" "$2"
}
# run_strategy STRATEGY N: seeds a fresh database, runs the strategy's
# migrator under /usr/bin/time -v, checks the clients, appends a row to
# rows.tsv: strategy docs wall_s rss_kb status note cpu_s (the migrator's user
# + system time) server_cpu_s (the server's, same interval; empty with --uri)
# check (clients-tool verify's line, "FAILED: " in front if it failed)
FAILED_CHECKS=0
run_strategy() {
  local strategy=$1 n=$2 db key rc vrc wall rss cpu status note mode cpu0 cpu1 scpu= check
  db="${strategy//-/_}_$n"
  key="${strategy}__$n"
  seed "$db" "$n"
  rc=0
  cpu0=$(server_cpu)
  /usr/bin/time -v -o "$OUT/$key.time" "$BUILD/$strategy-migrate" up --uri "$URI/$db" --dir "$WORK/empty" \
    >"$OUT/$key.log" 2>&1 || rc=$?
  cpu1=$(server_cpu)
  [ -z "$cpu0" ] || scpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.1f", b - a }')
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$OUT/$key.time" |
         awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$OUT/$key.time")
  cpu=$(sed -n 's/.*\(User\|System\) time (seconds): //p' "$OUT/$key.time" | awk '{ s += $1 } END { print s }')
  if [ "$rc" -eq 0 ]; then
    status=ok note=""
    mode=normalised; [ "$strategy" != server-floor ] || mode=checked
  else
    status=failed
    note=$("$BUILD/$strategy-migrate" status --json --uri "$URI/$db" --dir "$WORK/empty" |
           python3 -c 'import json, sys; print(json.load(sys.stdin)["migrations"][0]["error"])' | tr '\t\n' '  ')
    mode=seeded   # a refused update must leave every client as it was
  fi
  vrc=0
  check=$("$TOOL" verify "$URI" "$db" "$n" "$mode" 2>>"$OUT/verify.log") || vrc=$?
  echo "$check" | tee -a "$OUT/verify.log"
  if [ "$vrc" -ne 0 ]; then check="FAILED: $check" FAILED_CHECKS=$((FAILED_CHECKS + 1)); fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$strategy" "$n" "$wall" "$rss" "$status" "$note" "$cpu" "$scpu" \
    "$check" >>"$OUT/rows.tsv"
  printf '%s %s: %s s (CPU: migrator %s s, server %s), peak RSS %s KB, %s %s\n' "$strategy" "$n" "$wall" \
    "$cpu" "$([ -n "$scpu" ] && echo "$scpu s" || echo 'not measured')" "$rss" "$status" "$note"
  # The probe on the biggest collection, once it is checked.
  if [ "$strategy" = server-floor ] && [ "$n" = "$DOCS" ] && wants probe; then probe "$db" "$n"; fi
  "$TOOL" drop "$URI" "$db"   # free the server's memory and disk
}
last_wall() { tail -1 "$OUT/rows.tsv" | cut -f3; }
probe() {  # DB N: one updateOne by _id (median of 21) on DB.clients of N clients
  printf '%s\t%s\n' "$2" "$("$TOOL" probe "$URI" "$1" "$2")" | tee -a "$OUT/probe.tsv"
}

# The per-document loop: all N if a pilot predicts at most PER_DOC_LIMIT
# seconds, else N/20 and N/10 too, for a linear extrapolation (in the report).
run_per_doc() {  # N
  local n=$1 pilot estimate
  pilot=$(( n / 100 > 1000 ? n / 100 : (n < 1000 ? n : 1000) ))
  if [ "$pilot" -ge "$n" ]; then run_strategy per-doc "$n"; return; fi
  run_strategy per-doc "$pilot"
  estimate=$(awk -v w="$(last_wall)" -v p="$pilot" -v n="$n" 'BEGIN { printf "%d", w * n / p }')
  echo "per-doc: $pilot clients took $(last_wall) s: all $n would take about $estimate s"
  if [ "$estimate" -le "$PER_DOC_LIMIT" ]; then
    run_strategy per-doc "$n"
  else
    echo "over --per-doc-limit $PER_DOC_LIMIT s: measuring $((n / 20)) and $((n / 10)) for an extrapolation"
    run_strategy per-doc $((n / 20))
    run_strategy per-doc $((n / 10))
  fi
}

if wants probe; then
  step "probe: one updateOne by _id (median of 21) by collection size (${PROBE_SIZES[*]}, and $DOCS below);" \
    "one update command of 1, 40, 1000 statements by _id (median of 5)"
  for n in "${PROBE_SIZES[@]}"; do
    seed "probe_$n" "$n" >/dev/null
    probe "probe_$n" "$n"
  done
  n=${PROBE_SIZES[-1]}
  for k in 1 40 1000; do
    printf '%s\t%s\t%s\n' "$n" "$k" "$("$TOOL" bulk-probe "$URI" "probe_$n" "$n" "$k")" | tee -a "$OUT/bulk.tsv"
  done
  for n in "${PROBE_SIZES[@]}"; do "$TOOL" drop "$URI" "probe_$n"; done
fi

step "$DOCS clients, each strategy on a fresh database ($STRATEGIES)"
for s in ${STRATEGIES//,/ }; do
  case "$s" in
    probe) ;;
    per-doc) run_per_doc "$DOCS" ;;
    *) run_strategy "$s" "$DOCS" ;;
  esac
done

echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.env"
echo "duration_s=$(( $(date +%s) - T0 ))" >>"$OUT/meta.env"

# ---------------------------------------------------------------- report
step "report"
python3 bench/batch/report.py "$OUT" "$OUT/batch.md"
if [ "$FAILED_CHECKS" -gt 0 ]; then echo "$FAILED_CHECKS check(s) failed: see $OUT/verify.log" >&2; exit 1; fi
