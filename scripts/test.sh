#!/usr/bin/env bash
# Runs every test: installs dependencies, builds the tests with
# AddressSanitizer and UndefinedBehaviorSanitizer, and runs unit and
# integration tests (each integration binary starts its own FerretDB).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
FERRETDB_BIN=$(cat .local/ferretdb-bin)
export FERRETDB_BIN

build=${MONGO_MIGRATE_TEST_BUILD:-build-test}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMONGOMIGRATE_SANITIZE=ON >/dev/null
ninja -C "$build" -j2
cd "$build"
ctest -j2 --output-on-failure --timeout 600
