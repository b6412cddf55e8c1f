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
# Needs what bench/run.sh installs (bench/lib/w2_probe_common.sh).
set -euo pipefail
RUNS=${1:-9}
source "$(dirname "$0")/w2_probe_common.sh"

# start LABEL [ENV=VALUE...]: one more target, LABEL=URI=PID
start() {
  start_ferretdb "$1" - "${@:2}"
  TARGETS+=("$1=mongodb://127.0.0.1:$STARTED_PORT/=$STARTED_PID")
}

TARGETS=()
start bench-flags
start gogc400 GOGC=400
start gogc1000 GOGC=1000
ALL=$(IFS=,; echo "${TARGETS[*]}")
node bench/lib/w2probe.mjs seed "$ALL" w2 10000 >/dev/null

build_w2load
IFS== read -r _ uri pid <<<"${TARGETS[0]}"
echo "== libmongoc, server started as bench/run.sh does ($RUNS runs each, interleaved)"
"$TMP/w2load" "$uri" w2 "$RUNS" "$pid" cur cur_bs5000 excl excl_bs5000 none_bs5000 2>/dev/null
echo
echo "== Node driver, three server settings ($RUNS runs each, interleaved)"
node bench/lib/w2probe.mjs time "$ALL" w2 "$RUNS" proj excl_bs100000 count_cmd
