#!/usr/bin/env bash
# Fails unless BINARY needs nothing at run time but glibc: every library ldd
# lists must be one of glibc's (docs/packaging.md says why these and no
# others). Used on the release build by scripts/check-release.sh (CI).
#
#   scripts/check-binary-deps.sh build-release/mongo-migrate
set -euo pipefail
binary=${1:?usage: scripts/check-binary-deps.sh BINARY}
[ -x "$binary" ] || { echo "check-binary-deps: $binary is not an executable" >&2; exit 2; }

# glibc's own libraries (libresolv is glibc's too) and the kernel's vDSO; and
# one justified exception, Cyrus SASL (libsasl2.so.2, itself needing libc
# only): Debian's libsasl2.a has its plugins built in, one of them needing
# OpenLDAP, which Debian ships no archive of (docs/packaging.md).
glibc='linux-vdso.so.1 libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libresolv.so.2 ld-linux-x86-64.so.2'
justified='libsasl2.so.2'

listed=$(ldd "$binary") || { echo "check-binary-deps: ldd failed on $binary" >&2; exit 1; }
bad=()
while read -r name _; do
  name=${name##*/}                       # /lib64/ld-linux-x86-64.so.2 -> ld-linux-x86-64.so.2
  [ -n "$name" ] || continue
  case " $glibc $justified " in *" $name "*) ;; *) bad+=("$name") ;; esac
done <<<"$listed"
if [ ${#bad[@]} -gt 0 ]; then
  echo "check-binary-deps: $binary needs libraries other than glibc's and $justified: ${bad[*]}" >&2
  echo "$listed" >&2
  exit 1
fi
echo "check-binary-deps: $binary needs glibc and $justified only ($(echo "$listed" | awk '{print $1}' | xargs -n1 basename | tr '\n' ' '))"
