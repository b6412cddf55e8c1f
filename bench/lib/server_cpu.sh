# Sourced by the benchmark scripts:
#   server_cpu_seconds STATE
# prints the CPU seconds (user + system) used so far by the test server that
# scripts/lib/server.sh started in STATE: FerretDB, the postmaster, its live
# children (backends and workers) and, through the postmaster's cutime and
# cstime, the children that have exited. The difference of two readings is
# the server's CPU over that interval.
server_cpu_seconds() {
  local state=$1 postmaster ferretdb
  postmaster=$(head -1 "$state/pg/postmaster.pid") ferretdb=$(cat "$state/ferretdb.pid")
  {
    awk '{ print $14 + $15 }' "/proc/$ferretdb/stat"
    awk '{ print $14 + $15 + $16 + $17 }' "/proc/$postmaster/stat"
    for pid in $(pgrep -P "$postmaster" || true); do awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || true; done
  } | awk -v hz="$(getconf CLK_TCK)" '{ t += $1 } END { printf "%.2f", t / hz }'
}
