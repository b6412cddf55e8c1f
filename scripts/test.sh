#!/usr/bin/env bash
# Runs every test: installs dependencies, builds the tests with
# AddressSanitizer and UndefinedBehaviorSanitizer, and runs the unit tests
# and the integration tests. Each integration test binary starts its own
# FerretDB 2 on PostgreSQL 15 (built once by scripts/install-deps.sh).
#
#   scripts/test.sh                 everything, against servers it starts
#   scripts/test.sh --uri URI       the integration tests against the server at
#                                   URI (MongoDB, FerretDB 2, DocumentDB...):
#                                   nothing is started; tests that must kill or
#                                   restart a server are skipped, saying why.
#                                   Each test uses a database of its own
#                                   (t_<test>_<pid>_<n>) and leaves it behind.
#   scripts/test.sh -- ARGS         extra arguments for ctest (-L unit, -R name)
set -euo pipefail
cd "$(dirname "$0")/.."

ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --uri) [ $# -ge 2 ] || { echo "--uri needs a value" >&2; exit 2; }
           export MONGOMIGRATE_TEST_URI="$2"; shift 2 ;;
    --uri=*) export MONGOMIGRATE_TEST_URI="${1#--uri=}"; shift ;;
    --) shift; ctest_args=("$@"); break ;;
    *) echo "unknown argument: $1 (see the top of $0)" >&2; exit 2 ;;
  esac
done

if [ -n "${MONGOMIGRATE_TEST_URI:-}" ]; then
  scripts/install-deps.sh --no-server
else
  scripts/install-deps.sh
  set -a; . .local/test-server.env; set +a
fi

build=${MONGO_MIGRATE_TEST_BUILD:-build-test}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMONGOMIGRATE_SANITIZE=ON >/dev/null
ninja -C "$build" -j2
cd "$build"
ctest -j2 --output-on-failure --timeout 600 "${ctest_args[@]}"
