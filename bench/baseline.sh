#!/usr/bin/env bash
# Times `mongo-migrate baseline` of N one-command migrations into a fresh
# database: the FerretDB 2 this script starts on free loopback ports (and
# stops), or the server given with --uri (it writes a new database
# bench_baseline_<count>_<pid> there). One run per count; prints one line each.
#
#   bench/baseline.sh [--uri URI] [--bin PATH] [COUNT...]   default: 10000
#
# PATH defaults to build/mongo-migrate (a Release build:
# cmake -B build -DCMAKE_BUILD_TYPE=Release). Needs .local/test-server.env
# (scripts/install-deps.sh) when it starts the server.
set -euo pipefail
cd "$(dirname "$0")/.."
uri="" bin=build/mongo-migrate counts=()
while [ $# -gt 0 ]; do
  case $1 in
    --uri) uri=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    *) counts+=("$1"); shift ;;
  esac
done
[ ${#counts[@]} -gt 0 ] || counts=(10000)
work=$(mktemp -d /tmp/mongo-migrate-bench-baseline.XXXXXX)
chmod o+x "$work"
if [ -z "$uri" ]; then
  set -a; . .local/test-server.env; set +a
  . scripts/lib/server.sh
  port=$(free_port)
  server_start "$work/server" "$port" "$(free_port)" >/dev/null
  trap 'server_stop "$work/server" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
  uri=mongodb://127.0.0.1:$port
else
  trap 'rm -rf "$work"' EXIT
fi
for count in "${counts[@]}"; do
  dir="$work/m$count"
  mkdir -p "$dir"
  python3 - "$dir" "$count" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(1, n + 1):
    with open(f"{d}/{i:05}-step.json", "w") as f:
        f.write('{"up": [{"insert": "things", "documents": [{"_id": %d}]}]}' % i)
PY
  db=bench_baseline_${count}_$$
  "$bin" --uri "$uri" --db "$db" --dir "$dir" status >/dev/null  # connects; writes nothing
  start=$(date +%s%N)
  "$bin" --uri "$uri" --db "$db" --dir "$dir" baseline "$(printf '%05d-step.json' "$count")" >/dev/null
  end=$(date +%s%N)
  applied=$("$bin" --uri "$uri" --db "$db" --dir "$dir" status --json | python3 -c \
    'import json, sys; print(json.load(sys.stdin)["summary"]["applied"])')
  ms=$(( (end - start) / 1000000 ))
  printf 'baseline of %s migrations: %d.%03d s (%s recorded applied)\n' "$count" $((ms / 1000)) $((ms % 1000)) "$applied"
done
