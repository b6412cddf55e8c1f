#!/usr/bin/env bash
# The main job: build mongo-migrate, start a local FerretDB 2 on PostgreSQL 15
# (data under .local/server), apply examples/migrations to it and print the
# status. The servers are left running for you to explore;
# `scripts/demo.sh stop` stops them. Port: $MONGO_MIGRATE_DEMO_PORT (default
# 27217); PostgreSQL listens on the next port up.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/server.sh

state=.local/server
port=${MONGO_MIGRATE_DEMO_PORT:-27217}
uri="mongodb://127.0.0.1:$port/mongo_migrate_example"

if [ "${1:-}" = stop ]; then server_stop "$state"; exit 0; fi

scripts/install-deps.sh
set -a; . .local/test-server.env; set +a
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build -j2 mongo-migrate

server_start "$state" "$port" $((port + 1))
echo "== FerretDB 2 listening on 127.0.0.1:$port (stop it with: scripts/demo.sh stop)"

echo "== mongo-migrate up"
build/mongo-migrate up --uri "$uri" --dir examples/migrations
echo
echo "== mongo-migrate status"
build/mongo-migrate status --uri "$uri" --dir examples/migrations
