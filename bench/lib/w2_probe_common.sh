# Sourced by the W2 probes (w2_read_probe.sh, w2_server_profile.sh): what
# bench/run.sh installs, a temp dir, and FerretDBs started as bench/run.sh
# starts them, each stopped on exit.
# Needs: .local/ferretdb-bin (or FERRETDB=path), bench/.cache/node (or
# NODE_PATH=its node_modules), libmongoc-dev.
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
FERRETDB=${FERRETDB:-$(cat .local/ferretdb-bin)}
export NODE_PATH=${NODE_PATH:-$PWD/bench/.cache/node/node_modules}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/w2-probe.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_ferretdb LABEL DEBUG_ADDR [ENV=VALUE...]: a FerretDB with bench/run.sh's
# flags (and --debug-addr=DEBUG_ADDR), data in $TMP/LABEL; sets STARTED_PORT
# and STARTED_PID once it accepts connections.
start_ferretdb() {
  local label=$1 debug=$2
  shift 2
  STARTED_PORT=$(free_port)
  mkdir -p "$TMP/$label"
  env ${1+"$@"} "$FERRETDB" --handler=sqlite --sqlite-url="file:$TMP/$label/" \
    --listen-addr="127.0.0.1:$STARTED_PORT" --telemetry=disable --log-level=warn --state-dir=- \
    --debug-addr="$debug" >"$TMP/$label.log" 2>&1 &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$STARTED_PORT") 2>/dev/null && break
    sleep 0.1
  done
}

# $TMP/w2load: load()'s read of the log through libmongoc (bench/lib/w2load.c).
build_w2load() { cc -O2 -o "$TMP/w2load" bench/lib/w2load.c $(pkg-config --cflags --libs libmongoc-1.0); }
