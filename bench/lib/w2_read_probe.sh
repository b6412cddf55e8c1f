#!/usr/bin/env bash
# W2's one read of the tracking log (10,000 records) on FerretDB, measured outside
# bench/run.sh: how the server's settings and the client's find options change its cost.
#
#   bench/lib/w2_read_probe.sh [RUNS]        (default 9 runs of each case, medians printed)
#
# Starts, on free loopback ports with data in a temp dir, one FerretDB as bench/run.sh
# starts it and one each with GOGC=400 and GOGC=1000 in its environment; seeds each with
# 10,000 log records shaped like mongo-migrate's (bench/lib/w2probe.mjs seed); then
#   1. libmongoc, as mongo-migrate's load() sends the find and with other options
#      (bench/lib/w2load.c), on the bench/run.sh-like server;
#   2. the Node driver (bench/lib/w2probe.mjs), the find with load()'s projection and with
#      the exclusion projection + one batch, on all three servers, interleaved.
# Both print wall medians and the server's CPU time per read (/proc/PID/stat).
# Needs what bench/run.sh installs: .local/ferretdb-bin (or FERRETDB=path), bench/.cache/node
# (or NODE_PATH=its node_modules), libmongoc-dev.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-9}
FERRETDB=${FERRETDB:-$(cat .local/ferretdb-bin)}
export NODE_PATH=${NODE_PATH:-$PWD/bench/.cache/node/node_modules}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/w2-read-probe.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start LABEL [ENV=VALUE...]: a FerretDB with bench/run.sh's flags; prints LABEL=URI=PID
start() {
  local label=$1 port; shift
  port=$(free_port)
  mkdir -p "$TMP/$label"
  env ${1+"$@"} "$FERRETDB" --handler=sqlite --sqlite-url="file:$TMP/$label/" --listen-addr="127.0.0.1:$port" \
    --telemetry=disable --log-level=warn --state-dir=- --debug-addr=- >"$TMP/$label.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  TARGETS+=("$label=mongodb://127.0.0.1:$port/=$!")
}

TARGETS=()
start bench-flags
start gogc400 GOGC=400
start gogc1000 GOGC=1000
ALL=$(IFS=,; echo "${TARGETS[*]}")
node bench/lib/w2probe.mjs seed "$ALL" w2 10000 >/dev/null

cc -O2 -o "$TMP/w2load" bench/lib/w2load.c $(pkg-config --cflags --libs libmongoc-1.0)
IFS== read -r _ uri pid <<<"${TARGETS[0]}"
echo "== libmongoc, server started as bench/run.sh does ($RUNS runs each, interleaved)"
"$TMP/w2load" "$uri" w2 "$RUNS" "$pid" cur cur_bs5000 excl excl_bs5000 none_bs5000 2>/dev/null
echo
echo "== Node driver, three server settings ($RUNS runs each, interleaved)"
node bench/lib/w2probe.mjs time "$ALL" w2 "$RUNS" proj excl_bs100000 count_cmd
