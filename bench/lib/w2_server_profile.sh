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
# overlap where one calls another), then the top of `go tool pprof -top -cum`.
# Needs what bench/run.sh installs (bench/lib/w2_probe_common.sh), go and curl.
set -euo pipefail
SECONDS_TO_PROFILE=${1:-15}
source "$(dirname "$0")/w2_probe_common.sh"

DEBUG_PORT=$(free_port)
start_ferretdb server "127.0.0.1:$DEBUG_PORT"
PORT=$STARTED_PORT
SERVER=$STARTED_PID
node bench/lib/w2probe.mjs seed "mongodb://127.0.0.1:$PORT/" w2 10000 >/dev/null
build_w2load

# Reads for longer than the profile lasts; stopped at the end.
"$TMP/w2load" "mongodb://127.0.0.1:$PORT/" w2 1000 "$SERVER" excl_bs5000 >"$TMP/w2load.txt" 2>/dev/null &
PIDS+=($!)
sleep 1
curl -fsS -o "$TMP/cpu.prof" "http://127.0.0.1:$DEBUG_PORT/debug/pprof/profile?seconds=$SECONDS_TO_PROFILE"
go tool pprof -top -cum -nodecount=400 "$FERRETDB" "$TMP/cpu.prof" >"$TMP/top.txt" 2>/dev/null

total=$(sed -n 's/.*Total samples = \([0-9.]*\)s.*/\1/p' "$TMP/top.txt")
echo "FerretDB CPU samples while reading 10,000 records in a loop: ${total} s in ${SECONDS_TO_PROFILE} s"
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
echo
sed -n '/flat%/,$p' "$TMP/top.txt" | head -41
