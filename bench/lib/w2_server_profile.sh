#!/usr/bin/env bash
# The server's own view of W2's one read of the tracking log: a CPU profile of
# FerretDB (its Go pprof endpoint) while it serves mongo-migrate's read of
# 10,000 records, over and over, and where that time goes.
#
#   bench/lib/w2_server_profile.sh [SECONDS]     (default 15 s of profile)
#
# Starts one FerretDB as bench/run.sh does but with --debug-addr on a free
# loopback port, seeds 10,000 log records shaped like mongo-migrate's
# (bench/lib/w2probe.mjs seed), reads them in a loop with the find load() sends
# (bench/lib/w2load.c, variant excl_bs5000), and prints the share of the
# server's CPU samples under each part of its read path (cumulative: the parts
# overlap where one calls another), with the full `go tool pprof -top -cum`
# kept in the temp dir it names.
# Needs what bench/run.sh installs: .local/ferretdb-bin (or FERRETDB=path),
# bench/.cache/node (or NODE_PATH=its node_modules), libmongoc-dev, go, curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_TO_PROFILE=${1:-15}
FERRETDB=${FERRETDB:-$(cat .local/ferretdb-bin)}
export NODE_PATH=${NODE_PATH:-$PWD/bench/.cache/node/node_modules}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/w2-server-profile.XXXXXX")
SERVER=
LOADER=
cleanup() {
  for pid in $LOADER $SERVER; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
DEBUG_PORT=$(free_port)
mkdir -p "$TMP/data"
"$FERRETDB" --handler=sqlite --sqlite-url="file:$TMP/data/" --listen-addr="127.0.0.1:$PORT" \
  --telemetry=disable --log-level=warn --state-dir=- --debug-addr="127.0.0.1:$DEBUG_PORT" >"$TMP/ferretdb.log" 2>&1 &
SERVER=$!
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done
node bench/lib/w2probe.mjs seed "mongodb://127.0.0.1:$PORT/" w2 10000 >/dev/null
cc -O2 -o "$TMP/w2load" bench/lib/w2load.c $(pkg-config --cflags --libs libmongoc-1.0)

# Reads for longer than the profile lasts; stopped at the end.
"$TMP/w2load" "mongodb://127.0.0.1:$PORT/" w2 1000 "$SERVER" excl_bs5000 >"$TMP/w2load.txt" 2>/dev/null &
LOADER=$!
sleep 1
curl -fsS -o "$TMP/cpu.prof" "http://127.0.0.1:$DEBUG_PORT/debug/pprof/profile?seconds=$SECONDS_TO_PROFILE"
go tool pprof -top -cum -nodecount=400 "$FERRETDB" "$TMP/cpu.prof" >"$TMP/top.txt" 2>/dev/null

total=$(sed -n 's/.*Total samples = \([0-9.]*\)s.*/\1/p' "$TMP/top.txt")
echo "FerretDB CPU samples while reading 10,000 records in a loop: ${total} s in ${SECONDS_TO_PROFILE} s"
echo "(full profile: $TMP/top.txt)"
printf '%-58s %8s\n' "part of the read path (cumulative)" "share"
share() {  # LABEL FUNCTION-REGEX
  local cum
  cum=$(awk -v re="$2" '$6 ~ re { gsub("s", "", $4); print $4; exit }' "$TMP/top.txt")
  printf '%-58s %7.0f%%\n' "$1" "$(python3 -c "print(100 * ${cum:-0} / $total)")"
}
share "whole find + getMore handling" 'handleOpMsg$'
share "decoding each stored JSON document (sjson.Unmarshal)" 'sjson\.Unmarshal$'
share "garbage collection (background mark workers)" 'runtime\.gcBgMarkWorker$'
share "leak tracking: a stack trace per document iterator" 'resource\.Track$'
share "applying the projection" 'common\.ProjectDocument$'
share "applying the (empty) filter" 'common\.FilterDocument$'
share "encoding the reply (BSON)" 'handler\.documentOpMsg$'
