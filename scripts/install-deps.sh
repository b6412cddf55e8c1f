#!/usr/bin/env bash
# Installs everything mongo-migrate needs to build, test and demo on Debian 12:
# the Debian packages of DESIGN.md §7 and the test server, FerretDB 2.7 on
# PostgreSQL 15 with the DocumentDB extension, built from the pinned source
# tarballs in ../shared/servers/ferretdb2 (checked against their SHA256SUMS).
#
# Safe to run again: it installs only what is missing. The server build is
# cached under ~/.cache/mongo-migrate/ (the FerretDB binary and a staged copy
# of the PostgreSQL extensions), so a second run builds nothing and a machine
# whose /usr lost the extensions gets them back from the cache in a second.
# Writes .local/test-server.env (FERRETDB_BIN, PG_BIN) for the other scripts.
#
#   scripts/install-deps.sh            everything
#   scripts/install-deps.sh --no-server  the build dependencies only (to test
#                                       against your own server by URI)
set -euo pipefail
cd "$(dirname "$0")/.."

FERRETDB_VERSION=v2.7.0
# libicu-dev for ICU's static archives (the release binary), help2man for the
# man page, dpkg-dev (dpkg-shlibdeps) and man-db for the packages and their check.
packages=(g++ cmake ninja-build pkg-config libmongoc-dev libbson-dev libssl-dev libcli11-dev
          libfmt-dev libgtest-dev libbenchmark-dev nlohmann-json3-dev libtomlplusplus-dev openssl
          libicu-dev help2man dpkg-dev man-db python3-jsonschema)
server_packages=(postgresql-15 postgresql-server-dev-15 postgresql-15-postgis-3 postgresql-15-rum
                 libpcre2-dev libkrb5-dev libicu-dev libintelrdfpmath-dev)
with_server=1
[ "${1:-}" = --no-server ] && with_server=0

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

wanted=("${packages[@]}")
[ $with_server = 1 ] && wanted+=("${server_packages[@]}")
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v go >/dev/null 2>&1 && [ $with_server = 1 ]; then missing+=(golang-go); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
mkdir -p .local
[ $with_server = 1 ] || exit 0

# ---- The test server -------------------------------------------------------
vendor=${MONGO_MIGRATE_SERVER_SOURCES:-../shared/servers/ferretdb2}
tarballs=(documentdb-ferretdb-3f80da90.tar.gz libbson-1.28.0-src.tar.gz pgvector-v0.8.0.tar.gz
          pg_cron-v1.6.3.tar.gz)
cache="${MONGO_MIGRATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mongo-migrate}"
server="$cache/ferretdb2-$FERRETDB_VERSION-documentdb-3f80da90"
pg_bin=/usr/lib/postgresql/15/bin
pg_lib=$(/usr/lib/postgresql/15/bin/pg_config --pkglibdir 2>/dev/null || echo /usr/lib/postgresql/15/lib)

extensions_installed() {
  [ -f "$pg_lib/pg_documentdb.so" ] && [ -f "$pg_lib/pg_documentdb_core.so" ] &&
  [ -f "$pg_lib/vector.so" ] && [ -f "$pg_lib/pg_cron.so" ] &&
  [ -f /usr/share/postgresql/15/extension/documentdb.control ]
}

if [ ! -f "$server/stage.done" ]; then
  if [ ! -d "$vendor" ]; then
    echo "The test server's sources are not here ($vendor is missing); run the suite against your own server instead: scripts/test.sh --uri mongodb://HOST:PORT (see docs/development.md)." >&2
    exit 2
  fi
  echo "== building the test server: FerretDB $FERRETDB_VERSION + DocumentDB on PostgreSQL 15 (once, 4-5 minutes; cached in $cache)"
  (cd "$vendor" && sha256sum --quiet -c SHA256SUMS) ||
    { echo "The test server's source tarballs in $vendor do not match their SHA256SUMS." >&2; exit 2; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  rm -rf "$server" && mkdir -p "$server/bin" "$server/stage" "$work/pkgconfig"
  unpack() { mkdir -p "$work/$1" && tar -xzf "$vendor/$2" -C "$work/$1" --strip-components="${3:-0}"; }
  log="$work/build.log"
  fail() { tail -n 30 "$log" >&2; echo "building the test server failed at: $1" >&2; exit 1; }

  echo "   FerretDB (go install)"
  GOBIN="$server/bin" GOFLAGS=-trimpath go install "github.com/FerretDB/FerretDB/v2/cmd/ferretdb@$FERRETDB_VERSION" \
    >>"$log" 2>&1 || fail "go install ferretdb"

  # pgvector and pg_cron are required by documentdb.control; Debian 12 has no
  # pgvector and its pg_cron 1.4 rejects DocumentDB's '2 seconds' schedule.
  echo "   pgvector, pg_cron"
  unpack pgvector pgvector-v0.8.0.tar.gz
  unpack pg_cron pg_cron-v1.6.3.tar.gz
  for d in pgvector pg_cron; do
    dir=$(find "$work/$d" -maxdepth 2 -name Makefile -printf '%h\n' | head -n 1)
    make -C "$dir" -j2 OPTFLAGS="" >>"$log" 2>&1 || fail "$d"
    make -C "$dir" install DESTDIR="$server/stage" >>"$log" 2>&1 || fail "$d install"
  done

  # DocumentDB pins libbson 1.28 (Debian's 1.23 lacks BSON_SUBTYPE_SENSITIVE):
  # a static, PIC build in a private prefix, linked into the extension.
  echo "   libbson 1.28 (private, static)"
  unpack mongo-c-driver libbson-1.28.0-src.tar.gz 1
  mkdir -p "$work/mongo-c-driver/src/libbson/tests" "$work/mongo-c-driver/src/libmongoc/tests"
  cmake -S "$work/mongo-c-driver" -B "$work/mongo-c-driver/cmake-build" \
    -DENABLE_MONGOC=OFF -DENABLE_TESTS=OFF -DENABLE_EXAMPLES=OFF -DENABLE_STATIC=ON -DENABLE_SHARED=OFF \
    -DENABLE_ICU=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DCMAKE_C_FLAGS=-fPIC -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$work/libbson" >>"$log" 2>&1 || fail "libbson configure"
  make -C "$work/mongo-c-driver/cmake-build" -j2 install >>"$log" 2>&1 || fail "libbson"

  # Debian's libintelrdfpmath-dev ships libbidgcc000.a without a pkg-config file.
  cat >"$work/pkgconfig/intelmathlib.pc" <<'EOF'
prefix=/usr
libdir=/usr/lib/x86_64-linux-gnu
includedir=/usr/include
Name: intelmathlib
Description: Intel Decimal Floating point math library (Debian libintelrdfpmath-dev)
Version: 2.0u2
Cflags: -I${includedir}
Libs: -L${libdir} -l:libbidgcc000.a
EOF

  echo "   DocumentDB (about 90 s)"
  unpack documentdb documentdb-ferretdb-3f80da90.tar.gz
  documentdb=$(find "$work/documentdb" -maxdepth 2 -type d -name pg_documentdb_core -printf '%h\n' | head -n 1)
  for d in pg_documentdb_core pg_documentdb; do
    PKG_CONFIG_PATH="$work/libbson/lib/pkgconfig:$work/pkgconfig" \
      make -j2 -C "$documentdb/$d" >>"$log" 2>&1 || fail "$d"
    PKG_CONFIG_PATH="$work/libbson/lib/pkgconfig:$work/pkgconfig" \
      make -C "$documentdb/$d" install DESTDIR="$server/stage" >>"$log" 2>&1 || fail "$d install"
  done
  "$server/bin/ferretdb" --version >/dev/null
  touch "$server/stage.done"
fi

if ! extensions_installed; then
  echo "== installing the PostgreSQL extensions from $server"
  as_root cp -a "$server/stage/." /
fi
extensions_installed || { echo "the PostgreSQL extensions did not install into $pg_lib" >&2; exit 1; }
printf 'FERRETDB_BIN=%s\nPG_BIN=%s\n' "$server/bin/ferretdb" "$pg_bin" > .local/test-server.env
