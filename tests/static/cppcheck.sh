#!/bin/sh
# cppcheck.sh: cppcheck over daemon/*.c with the checks below; any finding
# fails (exit 1).  Run from anywhere; needs a configured build folder for
# config.h (BUILD, default: the current folder).
#   usage: tests/static/cppcheck.sh [BUILD]
# Checks: warning (real bugs: null derefs, leaks, UB), portability,
# performance.  Not enabled: style (too noisy for KNF code: reduced
# variable scope, const parameters), information.
# Suppressions:
#   missingIncludeSystem  cppcheck does not need the system headers to
#                         check our code, and reading them is slow.
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-.}
exec cppcheck --quiet --std=c11 --inline-suppr \
	--enable=warning,portability,performance \
	--suppress=missingIncludeSystem \
	-I "$build" -I "$src/daemon" -D__GNUC__ \
	--error-exitcode=1 "$src"/daemon/*.c
