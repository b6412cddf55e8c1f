#!/usr/bin/env bash
# The main job: build mongo-migrate, start a local FerretDB (data under
# .local/ferretdb), apply examples/migrations to it and print the status.
# The server is left running for you to explore; `scripts/demo.sh stop`
# stops it. Port: $MONGO_MIGRATE_DEMO_PORT (default 27217).
set -euo pipefail
cd "$(dirname "$0")/.."

state=.local/ferretdb
port=${MONGO_MIGRATE_DEMO_PORT:-27217}
uri="mongodb://127.0.0.1:$port/mongo_migrate_example"

server_pid() { [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null && cat "$state/pid"; }

if [ "${1:-}" = stop ]; then
  if pid=$(server_pid); then kill "$pid"; echo "stopped FerretDB (pid $pid)"; else echo "FerretDB is not running"; fi
  rm -f "$state/pid"
  exit 0
fi

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build -j2 mongo-migrate

if ! server_pid >/dev/null; then
  mkdir -p "$state/data"
  "$(cat .local/ferretdb-bin)" --handler=sqlite --sqlite-url="file:$PWD/$state/data/" \
    --listen-addr="127.0.0.1:$port" --telemetry=disable --log-level=warn --state-dir=- --debug-addr=- \
    >"$state/ferretdb.log" 2>&1 &
  echo $! > "$state/pid"
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    server_pid >/dev/null || { cat "$state/ferretdb.log" >&2; exit 3; }
    sleep 0.1
  done
  echo "== FerretDB listening on 127.0.0.1:$port (stop it with: scripts/demo.sh stop)"
fi

echo "== mongo-migrate up"
build/mongo-migrate up --uri "$uri" --dir examples/migrations
echo
echo "== mongo-migrate status"
build/mongo-migrate status --uri "$uri" --dir examples/migrations
