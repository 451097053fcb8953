#!/bin/sh
# run-all.sh: the whole test suite from a fresh Debian 12 checkout, as
# root: installs the Debian packages it needs, builds once with
# ASan+UBSan and -Werror for the unit tests, then the normal build with
# every test (unit, golden, fuzz corpus replay, integration against real
# MTAs, DNS and Redis servers on loopback), then the lints. Every stage
# runs even when an earlier one failed; the last line sums them up.
set -u
cd "$(dirname "$0")/.."
. tests/lib/debian-packages.sh

# shellcheck disable=SC2086
install_packages $BUILD_PACKAGES $(cat tests/lib/test-packages.txt) ||
	exit 1
[ -f configure ] || { echo "no ./configure: run from a checkout"; exit 1; }

passed=0 failed=0 failures=""
stage() {	# stage NAME COMMAND...
	name=$1
	shift
	echo
	echo "=== $name"
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures="$failures
  - $name"
		echo "=== FAILED: $name"
	fi
}

configure() {
	./configure >tests/configure.log 2>&1 || { cat tests/configure.log; return 1; }
}
san_unit() {
	make clean >/dev/null &&
	make -j2 -s SAN=1 WERROR=-Werror check-unit
}
normal_build() {
	make clean >/dev/null && make -j2 -s WERROR=-Werror
}
lints() {
	make -s lint || return 1
	if command -v clang-format >/dev/null 2>&1; then
		make -s format-check && echo "clang-format: clean"
	fi
}

stage "configure" configure
stage "unit tests under ASan+UBSan, -Werror" san_unit
stage "normal build, -Werror" normal_build
stage "unit, golden and fuzz corpus tests" make -s check-unit
stage "integration tests (real MTAs, DNS, Redis on loopback)" make -s check-integration
stage "man pages and formatting" lints

echo
[ -n "$failures" ] && echo "failed stages:$failures"
echo "stages: $passed passed, $failed failed"
[ $failed -eq 0 ]
