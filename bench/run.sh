#!/usr/bin/env bash
# Benchmarks mongo-migrate against migrate-mongo (Node) and golang-migrate (Go,
# mongodb driver), side by side, in one run, on one server: the FerretDB 2 (on
# PostgreSQL 15 + DocumentDB) that this script starts on free loopback ports
# and stops at the end, or the server given with --uri (each tool then uses
# databases w3_*, w2big_* there, dropped and rewritten).
#
#   bench/run.sh           full run (about 10 minutes on 2 cores): writes
#                          docs/benchmarks.md and docs/benchmarks.png
#   bench/run.sh --uri mongodb://host:port   the same against that server
#   bench/run.sh --startup W1 alone (--version and help of each tool, 100
#                          runs, no server): writes bench/.cache/startup/w1.md
#   bench/run.sh --smoke   5 and 20 migrations, 2 runs each, short
#                          microbenchmarks, a tiny probe (about 2 minutes once
#                          installed and built): writes bench/.cache/smoke/, so
#                          CI keeps this script working without touching docs/
#
# Sets everything up on a fresh Debian 12 machine: the project's dependencies
# and the test server (scripts/install-deps.sh), hyperfine from Debian, the peers
# pinned below (migrate-mongo from npm with the lock in bench/lib/node,
# golang-migrate built with `go install -tags mongodb`) and matplotlib from
# PyPI in a venv, all cached under bench/.cache/ (git-ignored). Environment:
# BENCH_JOBS (build parallelism, default 1); BENCH_BUILD (the build directory,
# default bench/.cache/build: e.g. the release build of scripts/check-release.sh).
#
# Workloads (the same migrations, in each tool's own format, bench/lib/gen_workloads.py):
#   W1 start-up      --version (golang-migrate: -version) and help
#                    (golang-migrate: -help): neither initialises the
#                    MongoDB driver, which only a command that connects does
#   W2 status        1,000 and 10,000 applied migrations: mongo-migrate status
#                    and validate, migrate-mongo status, golang-migrate version
#   W3 apply         1,000 one-insert migrations into an empty database (dropped
#                    before every timed run)
#   W4 no-op deploy  `up` with 1,000 applied and nothing pending
#   W3's floor       the same inserts by bench/round_trips.cc (libmongoc, no
#                    tool): one round trip per migration, two, two as
#                    mongo-migrate's critical path sends them, and those with
#                    its lease read and event beside them
#   peak RSS of W2 (10,000) and W3 with /usr/bin/time -v; microbenchmarks
#   (bench/micro_bench.cc); a probe of the server's cost per tracking write.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib/machine_meta.sh
. bench/lib/setup.sh
ROOT=$PWD
CACHE=$ROOT/bench/.cache

MIGRATE_MONGO_VERSION=14.0.7      # with the mongodb driver 6.20.0 (bench/lib/node/package.json)
GOLANG_MIGRATE_VERSION=v4.19.1
MATPLOTLIB_VERSION=3.9.2
JOBS=${BENCH_JOBS:-1}

MODE=full
GIVEN_URI=
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) MODE=smoke; shift ;;
    --startup) MODE=startup; shift ;;
    --uri) [ $# -ge 2 ] || { echo "--uri needs a value" >&2; exit 2; }; GIVEN_URI=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: bench/run.sh [--smoke | --startup] [--uri URI]" >&2; exit 2 ;;
  esac
done

if [ "$MODE" = full ]; then
  N_SMALL=1000 N_BIG=10000            # W2 sizes; W3 and W4 use N_SMALL
  RUNS_W1=30 RUNS_W2=10 RUNS_W3=3 RUNS_W4=10 WARMUP=1
  MICRO_ARGS=(--benchmark_min_time=0.5 --benchmark_repetitions=5)
  PROBE_SIZES=(100 1000 5000)
  OUT=$CACHE/results
  REPORT_MD=$ROOT/docs/benchmarks.md REPORT_PNG=$ROOT/docs/benchmarks.png
elif [ "$MODE" = startup ]; then
  RUNS_W1=100
  OUT=$CACHE/startup
else
  N_SMALL=5 N_BIG=20
  RUNS_W1=2 RUNS_W2=2 RUNS_W3=2 RUNS_W4=2 WARMUP=0
  MICRO_ARGS=(--benchmark_min_time=0.01 --benchmark_repetitions=1)
  PROBE_SIZES=(10)
  OUT=$CACHE/smoke
  REPORT_MD=$OUT/benchmarks.md REPORT_PNG=$OUT/benchmarks.png
fi


# ---------------------------------------------------------------- set-up
bench_install "$GIVEN_URI"
missing=()
command -v hyperfine >/dev/null || missing+=(hyperfine)
[ -x /usr/bin/time ] || missing+=(time)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "migrate-mongo $MIGRATE_MONGO_VERSION needs Node.js >= 20; this machine has $(node --version)" >&2
  exit 1
fi
mkdir -p "$CACHE/node" "$CACHE/bin" "$OUT"

# migrate-mongo, exactly as locked in bench/lib/node.
install_migrate_mongo "$CACHE/node" "$MIGRATE_MONGO_VERSION"
MM=$CACHE/node/node_modules/.bin/migrate-mongo
export NODE_PATH=$CACHE/node/node_modules   # for bench/lib/*.mjs

# golang-migrate with its mongodb driver; -X sets the version that -version prints.
GM=$CACHE/bin/migrate
if [ "$("$GM" -version 2>&1)" != "$GOLANG_MIGRATE_VERSION" ]; then
  echo "building golang-migrate $GOLANG_MIGRATE_VERSION (go install -tags mongodb)"
  GOBIN=$CACHE/bin go install -tags mongodb -ldflags "-X main.Version=$GOLANG_MIGRATE_VERSION" \
    "github.com/golang-migrate/migrate/v4/cmd/migrate@$GOLANG_MIGRATE_VERSION"
fi

# matplotlib for the chart.
PY=$CACHE/venv/bin/python
if ! "$PY" -c "import matplotlib, sys; sys.exit(matplotlib.__version__ != '$MATPLOTLIB_VERSION')" 2>/dev/null; then
  echo "installing matplotlib $MATPLOTLIB_VERSION into bench/.cache/venv"
  python3 -m venv "$CACHE/venv"
  "$PY" -m pip install -q --disable-pip-version-check "matplotlib==$MATPLOTLIB_VERSION"
fi

# ---------------------------------------------------------------- build
step "building mongo-migrate (Release) and bench/micro_bench"
BUILD=${BENCH_BUILD:-$CACHE/build}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMONGOMIGRATE_BUILD_TESTS=OFF \
  -DMONGOMIGRATE_BUILD_EXAMPLES=OFF -DMONGOMIGRATE_BUILD_BENCH=ON >"$CACHE/configure.log" 2>&1 ||
  { cat "$CACHE/configure.log" >&2; exit 1; }
OURS=$BUILD/mongo-migrate
MICRO=$BUILD/bench/micro_bench
if [ "$MODE" = startup ]; then
  ninja -C "$BUILD" -j"$JOBS" mongo-migrate
  step "W1 start-up alone: --version and help, $RUNS_W1 runs each (no server)"
  mkdir -p "$OUT"
  "$OURS" --version
  hyperfine -N --style basic --warmup 10 --runs "$RUNS_W1" --export-json "$OUT/w1.json" --export-markdown "$OUT/w1.md" \
    -n "mongo-migrate --version" "$OURS --version" \
    -n "golang-migrate -version" "$GM -version" \
    -n "migrate-mongo --version" "$MM --version" \
    -n "mongo-migrate help" "$OURS help" \
    -n "golang-migrate -help" "$GM -help" \
    -n "migrate-mongo --help" "$MM --help"
  cat "$OUT/w1.md"
  exit 0
fi
ninja -C "$BUILD" -j"$JOBS" mongo-migrate micro_bench round_trips
RT=$BUILD/bench/round_trips   # W3's floor: the least any tool can do (bench/round_trips.cc)

# ---------------------------------------------------------------- server, workloads
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mongo-migrate-bench.XXXXXX")
chmod 755 "$WORK"   # PostgreSQL runs as postgres and must reach its data inside
cleanup() {
  [ -n "$GIVEN_URI" ] || server_stop "$WORK/server" >/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

. bench/lib/bench_server.sh
bench_server "$WORK" "$GIVEN_URI"

step "generating workloads ($N_SMALL and $N_BIG migrations)"
python3 bench/lib/gen_workloads.py "$WORK/small" "$N_SMALL"
python3 bench/lib/gen_workloads.py "$WORK/big" "$N_BIG"

# A migrate-mongo config per database: mm_config WORKLOAD DB -> path
mm_config() {
  local file=$WORK/$1/mm-$2.config.js
  cat >"$file" <<EOF
module.exports = {
  mongodb: { url: "$URI", databaseName: "$2", options: {} },
  migrationsDir: "$WORK/$1/migrate-mongo",
  changelogCollectionName: "changelog",
  lockCollectionName: "changelog_lock",
  lockTtl: 0,
  migrationFileExtension: ".js",
  useFileHash: false,
  moduleSystem: "commonjs",
};
EOF
  echo "$file"
}
dbtool() { node bench/lib/dbtool.mjs "$1" "$URI" "${@:2}"; }

# The three commands of one action for the workload dir $1 and database prefix $2.
ours() { echo "$OURS $3 --uri $URI/${2}_ours --dir $WORK/$1/ours"; }
mm() { echo "$MM $3 -f $(mm_config "$1" "${2}_mm")"; }
gm() { echo "$GM -path $WORK/$1/golang-migrate -database $URI/${2}_gm $3"; }

HF=(hyperfine -N --style basic)
rm -rf "${OUT:?}"/{raw,rss}; mkdir -p "$OUT/raw" "$OUT/rss"
{
  machine_meta "$MODE"
  echo "ours=$("$OURS" --version) (commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src cli include CMakeLists.txt 2>/dev/null || echo ' with uncommitted changes'), Release build)"
  echo "migrate_mongo=migrate-mongo $("$MM" --version) (Node.js $(node --version), mongodb driver $(node -p 'require(process.env.NODE_PATH + "/mongodb/package.json").version'))"
  echo "golang_migrate=golang-migrate $("$GM" -version 2>&1) ($(go version | cut -d' ' -f3), -tags mongodb)"
  echo "server=$SERVER_DESC"
  echo "hyperfine=$(hyperfine --version)"
  echo "n_small=$N_SMALL"
  echo "n_big=$N_BIG"
  echo "runs=W1 $RUNS_W1, W2 $RUNS_W2, W3 $RUNS_W3, W4 $RUNS_W4 (warm-up $WARMUP, W1 3)"
} >"$OUT/meta.env"

# /usr/bin/time -v NAME CMD... : one run, its report kept for peak RSS
rss() { local name=$1; shift; /usr/bin/time -v -o "$OUT/rss/$name.txt" "$@" >/dev/null 2>"$OUT/rss/$name.err"; }

check_eq() {  # WHAT EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then echo "check failed: $1: expected $2, got $3" >&2; exit 1; fi
}
# Each tool's state in databases ${prefix}_*: all N migrations of $workload applied.
verify_applied() {  # WORKLOAD PREFIX N [ITEMS]
  local w=$1 p=$2 n=$3
  check_eq "mongo-migrate status applied ($p)" "$n" \
    "$($(ours "$w" "$p" "status --json") | python3 -c 'import json,sys; s=json.load(sys.stdin)["summary"]; print(s["applied"] if s["total"] == s["applied"] else -1)')"
  $(ours "$w" "$p" validate) >/dev/null
  # To a file, not a pipe: migrate-mongo exits before Node has flushed a large
  # table into a pipe, so a pipe gets only its first 64 KiB.
  $(mm "$w" "$p" status) >"$WORK/mm-status.txt"
  check_eq "migrate-mongo pending ($p)" 0 "$(grep -c PENDING "$WORK/mm-status.txt" || true)"
  check_eq "migrate-mongo applied ($p)" "$n" "$(grep -c '[0-9]Z ' "$WORK/mm-status.txt" || true)"
  check_eq "golang-migrate version ($p)" "$n" "$($(gm "$w" "$p" version) 2>&1)"
  if [ "${4:-}" = items ]; then
    for t in ours mm gm; do check_eq "documents inserted (${p}_$t)" "$n" "$(dbtool count "${p}_$t" bench_items)"; done
  fi
  echo "checked: all three tools report $n of $n applied in ${p}_*"
}

# ---------------------------------------------------------------- W1
step "W1 start-up: --version, and help (the whole program)"
"${HF[@]}" --warmup 3 --runs "$RUNS_W1" --export-json "$OUT/raw/w1.json" \
  -n "mongo-migrate" "$OURS --version" \
  -n "migrate-mongo" "$MM --version" \
  -n "golang-migrate" "$GM -version" \
  -n "mongo-migrate help" "$OURS help" \
  -n "migrate-mongo --help" "$MM --help" \
  -n "golang-migrate -help" "$GM -help"

# ---------------------------------------------------------------- W3
step "W3 apply: $N_SMALL migrations into an empty database (dropped before each run)"
"${HF[@]}" --runs "$RUNS_W3" --export-json "$OUT/raw/w3.json" \
  --prepare "node bench/lib/dbtool.mjs drop $URI w3_ours" -n "mongo-migrate up" "$(ours small w3 up)" \
  --prepare "node bench/lib/dbtool.mjs drop $URI w3_mm" -n "migrate-mongo up" "$(mm small w3 up)" \
  --prepare "node bench/lib/dbtool.mjs drop $URI w3_gm" -n "golang-migrate up" "$(gm small w3 up)" \
  --prepare "node bench/lib/dbtool.mjs drop $URI w3_floor1" -n "floor: one round trip" "$RT $URI w3_floor1 $N_SMALL one" \
  --prepare "node bench/lib/dbtool.mjs drop $URI w3_floor2" -n "floor: two round trips" "$RT $URI w3_floor2 $N_SMALL two" \
  --prepare "node bench/lib/dbtool.mjs drop $URI w3_floor3" -n "floor: two round trips, ours" "$RT $URI w3_floor3 $N_SMALL ours" \
  --prepare "node bench/lib/dbtool.mjs drop $URI w3_floor4" -n "floor: ours, whole" "$RT $URI w3_floor4 $N_SMALL full"
for f in w3_floor1 w3_floor2 w3_floor3 w3_floor4; do check_eq "documents inserted ($f)" "$N_SMALL" "$(dbtool count $f bench_items)"; done
check_eq "log records (w3_floor2)" "$N_SMALL" "$(dbtool count w3_floor2 log)"
check_eq "events (w3_floor4)" "$N_SMALL" "$(dbtool count w3_floor4 log_events)"
dbtool drop w3_floor1 w3_floor2 w3_floor3 w3_floor4

step "W3 peak RSS (one more run each, which also prepares the $N_SMALL-applied state of W2 and W4)"
dbtool drop w3_ours w3_mm w3_gm
rss w3__mongo-migrate $(ours small w3 up)
rss w3__migrate-mongo $(mm small w3 up)
rss w3__golang-migrate $(gm small w3 up)
verify_applied small w3 "$N_SMALL" items

# ---------------------------------------------------------------- W2
step "W2 status: $N_SMALL applied"
"${HF[@]}" --warmup "$WARMUP" --runs "$RUNS_W2" --export-json "$OUT/raw/w2_small.json" \
  -n "mongo-migrate status" "$(ours small w3 status)" \
  -n "mongo-migrate validate" "$(ours small w3 validate)" \
  -n "migrate-mongo status" "$(mm small w3 status)" \
  -n "golang-migrate version" "$(gm small w3 version)"

step "W4 no-op deploy: up with $N_SMALL applied, nothing pending"
"${HF[@]}" --warmup "$WARMUP" --runs "$RUNS_W4" --export-json "$OUT/raw/w4.json" \
  -n "mongo-migrate up" "$(ours small w3 up)" \
  -n "migrate-mongo up" "$(mm small w3 up)" \
  -n "golang-migrate up" "$(gm small w3 up)"
verify_applied small w3 "$N_SMALL" items

step "W2 status: preparing $N_BIG applied (each tool's documents from its own up of $N_SMALL, extended)"
dbtool seed mongo-migrate w3_ours w2big_ours "$WORK/big/ours"
dbtool seed migrate-mongo w3_mm w2big_mm "$WORK/big/migrate-mongo"
dbtool seed golang-migrate w3_gm w2big_gm "$WORK/big/golang-migrate"
verify_applied big w2big "$N_BIG" items

step "W2 status: $N_BIG applied"
"${HF[@]}" --warmup "$WARMUP" --runs "$RUNS_W2" --export-json "$OUT/raw/w2_big.json" \
  -n "mongo-migrate status" "$(ours big w2big status)" \
  -n "mongo-migrate validate" "$(ours big w2big validate)" \
  -n "migrate-mongo status" "$(mm big w2big status)" \
  -n "golang-migrate version" "$(gm big w2big version)"

step "W2 peak RSS ($N_BIG applied)"
rss w2__mongo-migrate $(ours big w2big status)
rss w2__mongo-migrate-validate $(ours big w2big validate)
rss w2__migrate-mongo $(mm big w2big status)
rss w2__golang-migrate $(gm big w2big version)

# ---------------------------------------------------------------- micro, probe
step "microbenchmarks (bench/micro_bench.cc)"
"$MICRO" "${MICRO_ARGS[@]}" --benchmark_report_aggregates_only=true \
  --benchmark_out="$OUT/raw/micro.json" --benchmark_out_format=json

step "probe: the server's cost per tracking write, by log size (${PROBE_SIZES[*]})"
node bench/lib/probe.mjs "$URI" "$OUT/raw/probe.json" "${PROBE_SIZES[@]}"

echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.env"

# ---------------------------------------------------------------- report
step "report"
"$PY" bench/lib/report.py "$OUT" "$REPORT_MD" "$REPORT_PNG"
