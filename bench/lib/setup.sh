# Sourced by the benchmark scripts, from the repository's root:
#   step TEXT...              print a heading
#   apt_install PACKAGE...    install Debian packages (as root, or through sudo)
#   bench_install [URI]       scripts/install-deps.sh: with a URI the build
#                             dependencies only; without, the test server too,
#                             whose .local/test-server.env and scripts/lib/server.sh
#                             it then loads (server_start, server_stop, free_port)
#   install_migrate_mongo DIR VERSION
#                             migrate-mongo exactly as locked in bench/lib/node,
#                             into DIR (kept while the lock and version match)
step() { echo; echo "== $*"; }

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  echo "installing Debian packages: $*"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

bench_install() {
  step "installing (cached after the first run)"
  if [ -n "${1:-}" ]; then
    scripts/install-deps.sh --no-server
  else
    scripts/install-deps.sh
    set -a; . .local/test-server.env; set +a
    . scripts/lib/server.sh
  fi
}

install_migrate_mongo() {
  local dir=$1 version=$2
  mkdir -p "$dir"
  if ! cmp -s bench/lib/node/package-lock.json "$dir/package-lock.json" ||
     [ "$("$dir/node_modules/.bin/migrate-mongo" --version 2>/dev/null)" != "$version" ]; then
    echo "installing migrate-mongo $version"
    cp bench/lib/node/package.json bench/lib/node/package-lock.json "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}
