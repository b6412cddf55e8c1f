#!/usr/bin/env bash
# The release as a user gets it (docs/packaging.md), checked end to end:
#   1. a Release build: one static binary that needs glibc only (ldd,
#      scripts/check-binary-deps.sh), --version naming version and commit;
#   2. cpack: mongo-migrate_<version>_amd64.deb and
#      libmongomigrate-dev_<version>_amd64.deb, each with the files it must have;
#   3. the tool's .deb installed with dpkg -i: mongo-migrate --version and
#      man -w mongo-migrate work from /usr, then dpkg -r removes it all;
#   4. examples/cpp-subproject: mongo-migrate embedded with add_subdirectory.
# Needs root for dpkg (CI runs as root). Environment: MONGO_MIGRATE_RELEASE_BUILD
# (build directory, default build-release).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --no-server

build=${MONGO_MIGRATE_RELEASE_BUILD:-build-release}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
fail() { echo "check-release: $*" >&2; exit 1; }

echo "== release build ($build)"
# Prefix /usr: the packages' paths (Debian's multiarch libdir, zsh's vendor-completions).
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr -DMONGOMIGRATE_BUILD_TESTS=OFF \
  -DMONGOMIGRATE_BUILD_EXAMPLES=OFF -DMONGOMIGRATE_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
grep -q '^MONGOMIGRATE_STATIC:BOOL=ON' "$build/CMakeCache.txt" || fail "the release build is not static"
ninja -C "$build" -j2
scripts/check-binary-deps.sh "$build/mongo-migrate"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
printed=$("$build/mongo-migrate" --version)
echo "$printed"
case "$printed" in "mongo-migrate $version"*) ;; *) fail "--version printed '$printed', not version $version" ;; esac

echo "== packages (cpack)"
rm -rf "$build/packages"
(cd "$build" && cpack >/dev/null)
tool_deb=$build/packages/mongo-migrate_${version}_amd64.deb
dev_deb=$build/packages/libmongomigrate-dev_${version}_amd64.deb
[ -f "$tool_deb" ] && [ -f "$dev_deb" ] || fail "cpack did not make $tool_deb and $dev_deb: $(ls "$build/packages")"
expect_files() {
  local deb=$1; shift
  local listing; listing=$(dpkg-deb -c "$deb" | awk '{print $6}')
  for f in "$@"; do grep -qx "\./$f" <<<"$listing" || fail "$(basename "$deb") lacks $f"; done
}
expect_files "$tool_deb" usr/bin/mongo-migrate usr/share/man/man1/mongo-migrate.1.gz \
  usr/share/bash-completion/completions/mongo-migrate usr/share/zsh/vendor-completions/_mongo-migrate \
  usr/share/fish/vendor_completions.d/mongo-migrate.fish usr/share/doc/mongo-migrate/copyright
expect_files "$dev_deb" usr/include/mongomigrate/migrator.h usr/lib/x86_64-linux-gnu/libmongomigrate.a \
  usr/lib/x86_64-linux-gnu/cmake/mongomigrate/mongomigrateConfig.cmake \
  usr/lib/x86_64-linux-gnu/pkgconfig/mongomigrate.pc usr/share/doc/libmongomigrate-dev/copyright
if dpkg-deb -c "$tool_deb" | grep -q 'usr/include\|\.a$'; then fail "the tool's package carries library files"; fi
echo "tool depends: $(dpkg-deb -f "$tool_deb" Depends)"
echo "dev depends:  $(dpkg-deb -f "$dev_deb" Depends)"

echo "== dpkg -i / --version / man -w / dpkg -r"
command -v man >/dev/null || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends man-db >/dev/null
# Minimal images exclude /usr/share/man from every package (path-exclude in
# /etc/dpkg/dpkg.cfg.d/); a path-include given later, on the command line, wins.
as_root dpkg --path-include='/usr/share/man/man1/mongo-migrate.1.gz' -i "$tool_deb" >/dev/null
trap 'as_root dpkg -r mongo-migrate >/dev/null 2>&1 || true' EXIT
installed=$(/usr/bin/mongo-migrate --version)
[ "$installed" = "$printed" ] || fail "the installed mongo-migrate --version printed '$installed'"
man_page=$(man -w mongo-migrate) || fail "man -w mongo-migrate found no page"
echo "man page: $man_page"
as_root dpkg -r mongo-migrate >/dev/null
trap - EXIT
[ ! -e /usr/bin/mongo-migrate ] || fail "dpkg -r left /usr/bin/mongo-migrate"
! man -w mongo-migrate >/dev/null 2>&1 || fail "dpkg -r left the man page"

echo "== examples/cpp-subproject (add_subdirectory)"
sub=$build/cpp-subproject
cmake -S examples/cpp-subproject -B "$sub" -G Ninja -DCMAKE_BUILD_TYPE=Debug "${launcher[@]}" >/dev/null
ninja -C "$sub" -j2
"$sub/app-migrate" --version
"$sub/app-migrate" --dir examples/cpp-subproject/migrations status --help >/dev/null
echo "check-release: all good"
