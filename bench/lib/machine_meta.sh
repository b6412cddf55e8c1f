# Sourced by the benchmark scripts: machine_meta prints, as key=value lines
# for a results' meta.env, what the machine was when a run started (mode,
# time, cores, CPU, memory, kernel, load average).
machine_meta() {  # MODE
  echo "mode=$1"
  echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
  echo "nproc=$(nproc)"
  echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
  echo "memory=$(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
  echo "kernel=$(uname -sr)"
  echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
}
