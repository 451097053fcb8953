#!/bin/sh
# run-all.sh: the whole test suite from a fresh Debian 12 checkout, as
# root: installs the Debian packages it needs, builds once with
# ASan+UBSan and -Werror for the unit tests, then the normal build with
# every test (unit, golden, fuzz corpus replay, integration against real
# MTAs, DNS and Redis servers on loopback), then the lints.
set -eu
cd "$(dirname "$0")/.."
. tests/lib/debian-packages.sh

# shellcheck disable=SC2086
install_packages $BUILD_PACKAGES $(cat tests/lib/test-packages.txt)

[ -f configure ] || { echo "no ./configure: run from a checkout"; exit 1; }

step() { echo; echo "=== $*"; }

step "configure"
./configure >tests-configure.log 2>&1 || { cat tests-configure.log; exit 1; }
rm -f tests-configure.log

step "unit tests under ASan+UBSan, -Werror"
make clean >/dev/null
ASAN_OPTIONS=detect_leaks=1 make -j2 SAN=1 WERROR=-Werror check-unit

step "normal build, -Werror, every test"
make clean >/dev/null
make -j2 WERROR=-Werror
make check

step "lints"
make lint
if command -v clang-format >/dev/null 2>&1; then
	make format-check && echo "clang-format: clean"
fi
